"""Write the generator's music for fixed latents, one piece per emotion, at chosen generator steps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytorch_lightning as pl
import torch
import wandb
from pytorch_lightning.loggers import WandbLogger

from emopia_lightning.models.musegan.pieces import write_pieces
from emopia_lightning.models.musegan.sampling import generate_pieces, quadrant_labels

log = logging.getLogger(__name__)


class GANSampleWriter(pl.Callback):
    """``output_dir/step_XXXXXX/{Q1..Q4}.mid`` (+ ``.wav``) and ``piano_roll.png`` at each of
    ``at_steps`` (generator steps; the run's last step is always added), the same latent for every
    emotion so that only the label differs. Only rank 0 writes; the PNG and the WAVs also go to W&B."""

    def __init__(self, output_dir: str, at_steps: Sequence[int] = (0, 100, 1000, 10000, 20000),
                 seed: int = 1234, wav: bool = True):  # fmt: skip
        self.output_dir = Path(output_dir)
        self.at_steps = sorted({int(s) for s in at_steps})
        self.seed = seed
        self.wav = wav
        self.written: list[int] = []

    def _latents(self, pl_module, n_emotions: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        latent = pl_module.sample_latents(1, generator)  # (1, 2, D): one latent for every emotion
        return latent.expand(n_emotions, -1, -1).unsqueeze(1)  # (emotions, 1 segment, 2, D)

    def _write(self, trainer: pl.Trainer, pl_module, step: int) -> None:
        if step in self.written or not trainer.is_global_zero:
            return
        self.written.append(step)
        labels, names = quadrant_labels()
        pieces = generate_pieces(pl_module, labels, latents=self._latents(pl_module, len(labels)))
        title = f"{pl_module.description} after {step} generator steps"
        out = self.output_dir / f"step_{step:06d}"
        paths = write_pieces(pieces, names, out, pl_module.layout, self.wav, title)
        log.info("Samples at generator step %d: %s", step, out)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image("samples/piano_roll", [str(paths["png"][0])], step=trainer.global_step)
                if paths["wav"]:
                    audio = [wandb.Audio(str(path), caption=path.stem) for path in paths["wav"]]
                    logger.experiment.log(
                        {"samples/audio": audio, "trainer/global_step": trainer.global_step}
                    )

    def on_train_start(self, trainer: pl.Trainer, pl_module) -> None:
        if 0 in self.at_steps and pl_module.generator_step() == 0:
            self._write(trainer, pl_module, 0)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step = pl_module.generator_step()
        if step in self.at_steps:
            self._write(trainer, pl_module, step)

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        self._write(trainer, pl_module, pl_module.generator_step())

    def state_dict(self) -> dict:
        return {"written": list(self.written)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.written = list(state_dict.get("written", []))
