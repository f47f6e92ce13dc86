"""``python -m emopia_lightning.app generator=CKPT classifier=CKPT host=127.0.0.1 port=7860``.

Without ``generator=`` it serves the generator ``make run`` trains, and trains it first (the same
command, with its progress bar) where it is missing. A missing or wrong checkpoint ends with one
``error:`` line.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

import emopia_lightning  # noqa: F401  (registers the config resolvers)
from emopia_lightning.app.actions import PageActions
from emopia_lightning.app.composer import Composer
from emopia_lightning.app.emotion_reading import ClassifierReader, EmotionReader, FeatureJudgeReader
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.utils.cli import say_error

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up requests, each logged


def make_run_generator(run_dir: str | Path, overrides: list[str]) -> Path:
    """The checkpoint ``make run`` trains into ``run_dir`` (with these train ``overrides``), trained
    first if missing (~8 min on 2 cores); RuntimeError if training fails."""
    checkpoint = Path(run_dir) / "checkpoints" / "last.ckpt"
    if checkpoint.is_file():
        return checkpoint
    log.info("No generator at %s yet: training it as `make run` does (about 8 min on 2 cores)", checkpoint)
    command = [sys.executable, "-m", "emopia_lightning.train", *overrides, f"hydra.run.dir={run_dir}"]
    if subprocess.run(command).returncode != 0 or not checkpoint.is_file():
        raise RuntimeError(f"training the generator failed (see above); it was: {' '.join(command)}")
    return checkpoint


def emotion_reader(cfg: DictConfig, composer: Composer) -> EmotionReader:
    """The classifier given, else ``make classify``'s model where it is made, else the feature judge
    of the generator's segment layout (fitted and cached on first use, ~1 min; ``make run`` has
    fitted it)."""
    if cfg.classifier:
        return ClassifierReader(cfg.classifier)
    if Path(cfg.make_classify_model).is_file():
        return ClassifierReader(cfg.make_classify_model)
    from emopia_lightning.generator_evaluation.feature_judge import feature_judge

    return FeatureJudgeReader(
        feature_judge(composer.run_config["data"], cfg.paths.data_dir, cfg.paths.cache_dir)
    )


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt  # Gradio's serving loop closes the server on it


def serve(cfg: DictConfig) -> None:
    """Load the models, then serve the page until interrupted; its temporary folder is removed."""
    try:
        generator = cfg.generator or make_run_generator(cfg.make_run.dir, list(cfg.make_run.train))
        composer = Composer.load(generator, cfg.threshold, cfg.renderer)
        reader = emotion_reader(cfg, composer)
    except (ValueError, RuntimeError, OSError) as error:  # CheckpointError is a ValueError
        raise SystemExit(say_error(str(error))) from None
    workspace = Workspace(keep_seconds=60 * cfg.keep_minutes)
    # Gradio reads its folder when imported: set first, so its uploads and copies land in ours too.
    os.environ["GRADIO_TEMP_DIR"] = str(workspace.gradio)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls
    from emopia_lightning.app.page import build_page

    actions = PageActions(composer, reader, workspace, max_upload_bytes=cfg.max_upload_mb * 2**20)
    page = build_page(actions, cfg.concurrency)
    page.queue(max_size=cfg.queue_size, default_concurrency_limit=cfg.concurrency)
    log.info("Composing with %s; reading emotions with %s", composer.checkpoint, reader.description)
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops the page as Ctrl-C does: its folder is removed
    try:
        page.launch(
            server_name=cfg.host, server_port=cfg.port, max_file_size=f"{cfg.max_upload_mb}mb",
            allowed_paths=[str(workspace.root)], footer_links=[],
        )  # fmt: skip
    except OSError as error:  # e.g. the port is taken
        raise SystemExit(say_error(f"cannot serve on {cfg.host}:{cfg.port}: {error}")) from None
    finally:
        workspace.close()


@hydra.main(version_base="1.3", config_path="../../conf", config_name="app")
def main(cfg: DictConfig) -> None:
    serve(cfg)


if __name__ == "__main__":
    main()
