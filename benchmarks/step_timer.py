"""What the training benchmarks share: the wall time of every Lightning training step, and the
command-line flags every benchmark takes."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import open_dict

QUICK_HELP = "a few steps, to show it still runs (CI: make bench-quick); its figures mean nothing"


def add_run_flags(parser: argparse.ArgumentParser, threads: int | None = None) -> None:
    """``--threads``, ``--quick`` and the config ``overrides``, the same in every training benchmark."""
    help_threads = "torch threads" + (f" (default {threads})" if threads else " (default: torch's)")
    parser.add_argument("--threads", type=int, default=threads, help=help_threads)
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    parser.add_argument("overrides", nargs="*", help="config overrides (key=value)")


class StepTimer(pl.Callback):
    """Wall time of every training step (a GAN's: one generator step with its critic steps); on a
    GPU the step's kernels are waited for."""

    def __init__(self):
        self.seconds: list[float] = []

    @staticmethod
    def _sync(pl_module) -> None:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize()

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._sync(pl_module)
        self.started = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self._sync(pl_module)
        self.seconds.append(time.perf_counter() - self.started)


def timed_fit(cfg, max_steps: int, **trainer_options) -> list[float]:
    """Fit the composed model from seed 0 for ``max_steps`` optimiser steps with nothing but the
    timer (no logger, checkpoints, progress bar or summary); returns every step's seconds."""
    pl.seed_everything(0, verbose=False)
    model = instantiate(cfg.model)
    timer = StepTimer()
    trainer = instantiate(
        cfg.trainer, max_steps=max_steps, callbacks=[timer], logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, **trainer_options,
    )  # fmt: skip
    trainer.fit(model, datamodule=instantiate(cfg.data))
    return timer.seconds


def alternating_medians(cfg, rounds: int, steps: int, bare, lightning) -> dict[str, float]:
    """Median step seconds of ``bare(cfg, steps)`` and ``lightning(cfg, steps)``, alternating
    rounds so that a busy machine slows both alike; runs write into a temporary folder."""
    times = {"lightning": [], "bare": []}
    with open_dict(cfg), tempfile.TemporaryDirectory() as tmp:
        cfg.paths.output_dir = tmp
        for _ in range(rounds):
            times["bare"] += bare(cfg, steps)
            times["lightning"] += lightning(cfg, steps)
    return {kind: statistics.median(values) for kind, values in times.items()}
