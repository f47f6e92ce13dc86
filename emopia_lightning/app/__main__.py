"""``python -m emopia_lightning.app generators.NAME=CKPT classifier=CKPT host=127.0.0.1 port=7860``.

It offers the composers of ``generators`` (name: checkpoint or run folder; the first is the
default): by default the Transformer composer ``make run`` trains, trained first (the same command,
with its progress bar) where it is missing, and the MuseGAN ``make musegan`` trains where it is
there. A wrong checkpoint ends with one ``error:`` line.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig

from emopia_lightning.app.actions import PageActions
from emopia_lightning.app.composer import Composers
from emopia_lightning.app.emotion_reading import EmotionReader, chosen_reader
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.config_registry import register as register_configs
from emopia_lightning.errors import ProjectError, RequestError, one_line_errors

register_configs()  # before Hydra composes this command's config

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up requests, each logged


def make_run_generator(run_dir: str | Path, overrides: list[str]) -> Path:
    """The run folder ``make run`` trains (with these train ``overrides``), trained first if it has
    not finished (~6 min on 2 cores); :class:`ProjectError` if training fails."""
    run_dir = Path(run_dir)
    if (run_dir / "metrics.json").is_file():
        return run_dir
    log.info("No composer at %s yet: training it as `make run` does (about 6 min on 2 cores)", run_dir)
    command = [sys.executable, "-m", "emopia_lightning.train", *overrides, f"hydra.run.dir={run_dir}"]
    if subprocess.run(command).returncode != 0 or not (run_dir / "metrics.json").is_file():
        raise ProjectError(f"training the composer failed (see above); it was: {' '.join(command)}")
    return run_dir


def offered_generators(cfg: DictConfig) -> dict[str, Path]:
    """name -> checkpoint or run folder: make run's trained first where missing; any other that is
    not there is left out, with a log line."""
    offered = {}
    make_run = Path(cfg.make_run.dir).resolve()
    for name, path in cfg.generators.items():
        if path is None:
            continue
        if Path(path).resolve() == make_run:
            offered[name] = make_run_generator(make_run, list(cfg.make_run.train))
        elif Path(path).exists():
            offered[name] = Path(path)
        else:
            log.info("Composer %s left out: %s is not there", name, path)
    return offered


def emotion_reader(cfg: DictConfig, composers: Composers) -> EmotionReader:
    """``chosen_reader`` for the default composer's segment layout."""
    layout = composers.composer().layout
    return chosen_reader(
        cfg.classifier, cfg.make_classify_model, layout, cfg.paths.data_dir, cfg.paths.cache_dir
    )


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt  # Gradio's serving loop closes the server on it


def serve(cfg: DictConfig) -> None:
    """Load the models, then serve the page until interrupted; its temporary folder is removed."""
    composers = Composers.load(offered_generators(cfg), cfg.renderer, cfg.composer_options, cfg.sample_rate)
    reader = emotion_reader(cfg, composers)
    workspace = Workspace(keep_seconds=60 * cfg.keep_minutes)
    # Gradio reads its folder when imported: set first, so its uploads and copies land in ours too.
    os.environ["GRADIO_TEMP_DIR"] = str(workspace.gradio)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls
    from emopia_lightning.app.page import build_page

    actions = PageActions(composers, reader, workspace, max_upload_bytes=cfg.max_upload_mb * 2**20)
    started = time.perf_counter()
    actions.warm_up()  # the first creator waits for their piece only, not for imports and loading
    log.info("Warmed up in %.1f s", time.perf_counter() - started)
    page = build_page(actions, cfg.concurrency)
    page.queue(max_size=cfg.queue_size, default_concurrency_limit=cfg.concurrency)
    log.info("Composing with %s; reading emotions with %s", composers.describe(), reader.description)
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops the page as Ctrl-C does: its folder is removed
    try:
        page.launch(
            server_name=cfg.host, server_port=cfg.port, max_file_size=f"{cfg.max_upload_mb}mb",
            allowed_paths=[str(workspace.root)], footer_links=[],
        )  # fmt: skip
    except OSError as error:  # Gradio's refusal of the address, e.g. the port is taken
        raise RequestError(f"cannot serve on {cfg.host}:{cfg.port}: {error}") from None
    finally:
        workspace.close()


@hydra.main(version_base="1.3", config_path="../../conf", config_name="app")
@one_line_errors
def main(cfg: DictConfig) -> None:
    serve(cfg)


if __name__ == "__main__":
    main()
