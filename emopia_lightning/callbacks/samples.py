"""Write a composer's music for fixed seeds, one piece per emotion, at chosen training steps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytorch_lightning as pl
import wandb
from pytorch_lightning.loggers import WandbLogger

from emopia_lightning.composing.composer import compose
from emopia_lightning.composing.pieces import write_pieces
from emopia_lightning.composing.request import quadrant_requests

log = logging.getLogger(__name__)


class SampleWriter(pl.Callback):
    """``output_dir/step_XXXXXX/{Q1..Q4}.mid`` (+ ``.wav``) and ``piano_roll.png`` of ``bars``-bar
    pieces at each of ``at_steps`` (the composer's steps: generator steps for the MuseGAN; the
    run's last step is always added), one seed for every emotion so that only the emotion
    differs. Only rank 0 writes; the PNG and the WAVs also go to W&B."""

    def __init__(self, output_dir: str, at_steps: Sequence[int] = (0, 100, 1000, 10000, 20000),
                 seed: int = 1234, wav: bool = True, bars: int = 4):  # fmt: skip
        self.output_dir = Path(output_dir)
        self.at_steps = sorted({int(s) for s in at_steps})
        self.seed, self.wav, self.bars = seed, wav, bars
        self.written: list[int] = []

    def _write(self, trainer: pl.Trainer, pl_module, step: int) -> None:
        if step in self.written or not trainer.is_global_zero:
            return
        self.written.append(step)
        requests = [request.checked() for request in quadrant_requests(1, self.bars, self.seed)]
        notes = compose(pl_module, requests)
        title = f"{pl_module.description} after {step} steps"
        out = self.output_dir / f"step_{step:06d}"
        names = [request.emotion for request in requests]
        written = write_pieces(list(zip(requests, notes)), out, wav=self.wav, title=title,
                               layout=pl_module.layout, names=names)  # fmt: skip
        log.info("Samples at step %d: %s", step, out)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image("samples/piano_roll", [str(written.picture)], step=trainer.global_step)
                if written.wav:
                    audio = [wandb.Audio(str(path), caption=path.stem) for path in written.wav]
                    logger.experiment.log(
                        {"samples/audio": audio, "trainer/global_step": trainer.global_step}
                    )

    def on_train_start(self, trainer: pl.Trainer, pl_module) -> None:
        if 0 in self.at_steps and pl_module.composer_step() == 0:
            self._write(trainer, pl_module, 0)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step = pl_module.composer_step()
        if step in self.at_steps:
            self._write(trainer, pl_module, step)

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        self._write(trainer, pl_module, pl_module.composer_step())

    def state_dict(self) -> dict:
        return {"written": list(self.written)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.written = list(state_dict.get("written", []))
