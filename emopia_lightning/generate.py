"""Generate piano music for a requested emotion with a trained MuseGAN.

``python -m emopia_lightning.generate ckpt=PATH emotion=sad n=8 bars=32 seed=0 out=DIR`` writes
``Q3_00.mid`` and ``Q3_00.wav`` ... and ``piano_roll.png`` into ``out``: pieces of ``bars`` bars,
phrases chained as ``sampling`` describes, ending on a held chord.
"""

from __future__ import annotations

import logging
import time

import hydra
import torch
from omegaconf import DictConfig, OmegaConf

import emopia_lightning  # noqa: F401  (registers the config resolvers)
from emopia_lightning.checkpoints import load_model
from emopia_lightning.data.labels import QUADRANTS, parse_emotion
from emopia_lightning.models.musegan.module import MuseGAN
from emopia_lightning.models.musegan.pieces import write_pieces
from emopia_lightning.models.musegan.sampling import compose_pieces
from emopia_lightning.utils.cli import one_line_errors, positive_count

log = logging.getLogger(__name__)


def requested_labels(emotion: str, n: int) -> torch.Tensor:
    """Class indices: ``n`` of the one emotion, or ``n`` of each quadrant for ``all``."""
    n = positive_count("n", n)
    quadrants = range(len(QUADRANTS)) if str(emotion).lower() == "all" else [parse_emotion(emotion)]
    return torch.tensor(quadrants).repeat_interleave(n)


def generate(cfg: DictConfig) -> dict:
    """Load, generate and write; returns the written paths and the seconds generation took."""
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise ValueError("ckpt=PATH is required: a MuseGAN checkpoint, e.g. <run>/checkpoints/last.ckpt")
    labels = requested_labels(cfg.emotion, cfg.n)
    bars = positive_count("bars", cfg.bars)
    if not cfg.qpm > 0:
        raise ValueError(f"qpm must be a positive tempo, got {cfg.qpm!r}")
    model, _ = load_model(cfg.ckpt, MuseGAN, "MuseGAN generator")
    if not model.hparams.conditional:
        log.warning("This generator was trained without labels (label_aug=false): the emotion has no effect")
    started = time.perf_counter()
    pieces = compose_pieces(
        model, labels, bars, torch.Generator().manual_seed(cfg.seed), cfg.threshold, cfg.continuity,
        cfg.final_chord,
    )  # fmt: skip
    # labels hold each emotion n times in a row: Q3_00, Q3_01, ...
    names = [f"{QUADRANTS[label]}_{i % cfg.n:02d}" for i, label in enumerate(labels.tolist())]
    title = f"generated for {cfg.emotion} (seed {cfg.seed}), {cfg.ckpt}"
    written = write_pieces(pieces, names, cfg.out, model.layout, cfg.wav, title, qpm=cfg.qpm)
    return {"written": written, "seconds": time.perf_counter() - started}


@hydra.main(version_base="1.3", config_path="../conf", config_name="generate")
def main(cfg: DictConfig) -> None:
    result = one_line_errors(lambda: generate(cfg), cfg.out)
    written = result["written"]
    audio = f", {len(written['wav'])} WAV" if written["wav"] else " (no WAV: see the log line above)"
    print(f"Wrote {len(written['midi'])} MIDI{audio} and {written['png'][0].name} to {cfg.out}")


if __name__ == "__main__":
    main()
