"""Compose piano music for a requested emotion with a trained composer (Transformer or MuseGAN).

``python -m emopia_lightning.generate ckpt=PATH emotion=sad n=8 bars=32 seed=0 out=DIR`` writes
``sad-Q3_seed-0_32-bars_120-bpm.mid`` (and ``.wav``) per piece, seeds ``seed`` .. ``seed + n - 1``,
and ``piano_roll.png`` (each piece's emotion along it under its roll) into ``out``. ``seconds=45``
instead of ``bars=``; ``then=calm turn=16``: the emotion turns after 16 bars (default: half);
``prompt=FILE.mid``: the file's whole bars open each piece and ``bars=`` new bars follow. The page
writes the same piece for the same request.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from emopia_lightning.app.emotion_reading import MAX_UPLOAD_BYTES, chosen_reader, read_upload
from emopia_lightning.composing.composer import compose, load_composer
from emopia_lightning.composing.pieces import write_pieces
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.config_registry import register as register_configs
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data_licence import write_licence_note
from emopia_lightning.errors import RequestError, one_line_errors, positive_count, writable_folder

register_configs()  # before Hydra composes this command's config

log = logging.getLogger(__name__)

DEFAULT_BARS = 16  # without bars= or seconds=


def requests_of(cfg: DictConfig) -> list[PieceRequest]:
    """``n`` checked requests of the one emotion, or ``n`` of each quadrant for ``all``; the
    prompt read (and refused in one line) before any model is loaded."""
    n = positive_count("n", cfg.n)
    emotions = QUADRANTS if str(cfg.emotion).lower() == "all" else [cfg.emotion]
    seconds, then, turn, prompt_file = (cfg.get(key) for key in ("seconds", "then", "turn", "prompt"))
    bars = cfg.bars if cfg.bars is not None or seconds is not None else DEFAULT_BARS
    prompt = read_upload(prompt_file, MAX_UPLOAD_BYTES) if prompt_file else None
    prompt_name = Path(prompt_file).stem if prompt_file else "prompt"
    return [
        PieceRequest(e, bars, cfg.qpm, cfg.seed + i, then=then, turn=turn, seconds=seconds, prompt=prompt,
                     prompt_name=prompt_name).checked()
        for e in emotions for i in range(n)
    ]  # fmt: skip


def generate(cfg: DictConfig) -> dict:
    """Load, compose and write; returns the written files and the seconds composing took."""
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise RequestError(
            "ckpt=PATH is required: a composer checkpoint or run folder, e.g. outputs/demo/train"
        )
    requests = requests_of(cfg)
    writable_folder(cfg.out)
    composer, _ = load_composer(cfg.ckpt)
    if not composer.follows_emotion:
        log.warning("This composer was trained without labels (label_aug=false): the emotion has no effect")
    started = time.perf_counter()
    notes = compose(composer, requests, OmegaConf.to_container(cfg.options))
    seconds = time.perf_counter() - started
    reader = None
    if cfg.get("along", False):  # the emotion along each piece, read as the page reads it
        reader = chosen_reader(
            cfg.get("classifier"),
            cfg.make_classify_model,
            composer.layout,
            cfg.paths.data_dir,
            cfg.paths.cache_dir,
            OmegaConf.to_container(cfg.get("feature_judge") or OmegaConf.create({})),
        )
    title = f"{composer.description}, {cfg.ckpt}"
    write_licence_note(cfg.out)
    written = write_pieces(
        list(zip(requests, notes)), cfg.out, wav=cfg.wav, title=title, layout=composer.layout, reader=reader
    )
    return {"written": written, "seconds": seconds}


@hydra.main(version_base="1.3", config_path="../conf", config_name="generate")
@one_line_errors
def main(cfg: DictConfig) -> None:
    written = generate(cfg)["written"]
    audio = f", {len(written.wav)} WAV" if written.wav else " (no WAV: see the log line above)"
    print(f"Wrote {len(written.midi)} MIDI{audio} and {written.picture.name} to {cfg.out}")


if __name__ == "__main__":
    main()
