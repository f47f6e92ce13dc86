"""Write confusion matrices as PNGs into the run folder (and to W&B when it logs)."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.trainer.states import TrainerFn

from emopia_lightning.render.confusion_matrix import plot_confusion_matrix

log = logging.getLogger(__name__)


class ConfusionMatrixPlot(pl.Callback):
    """Save ``confusion_matrix_{stage}.png`` in ``output_dir``: train (last epoch), val (after
    ``trainer.validate``, i.e. the chosen checkpoint) and test."""

    def __init__(self, output_dir: str):
        self.output_dir = Path(output_dir)
        self.active = True

    @contextlib.contextmanager
    def paused(self):
        """Write nothing inside (a validation pass over other data, e.g. the training clips)."""
        self.active = False
        try:
            yield
        finally:
            self.active = True

    def _write(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str, note: str) -> None:
        matrix = getattr(pl_module, "confusion", {}).get(stage)
        if matrix is None or not trainer.is_global_zero or not self.active:
            return
        title = (
            f"{pl_module.hparams.get('name', 'model')} · {pl_module.hparams.get('task', '')} · {stage}{note}"
        )
        path = self.output_dir / f"confusion_matrix_{stage}.png"
        plot_confusion_matrix(matrix.numpy(), pl_module.class_names, title, path)
        log.info("Confusion matrix written to %s", path)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(f"{stage}/confusion_matrix", [str(path)])

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._write(trainer, pl_module, "train", " (last epoch)")

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.state.fn == TrainerFn.VALIDATING:  # not the per-epoch checks during fit
            self._write(trainer, pl_module, "val", "")

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._write(trainer, pl_module, "test", "")
