"""Write the test confusion matrix as a PNG into the run folder (and to W&B when it logs)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger

from emopia_lightning.render.confusion_matrix import plot_confusion_matrix

log = logging.getLogger(__name__)


class ConfusionMatrixPlot(pl.Callback):
    """After testing, save ``confusion_matrix_test.png`` in ``output_dir``."""

    def __init__(self, output_dir: str):
        self.output_dir = Path(output_dir)

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        matrix = getattr(pl_module, "confusion", {}).get("test")
        if matrix is None or not trainer.is_global_zero:
            return
        title = f"{pl_module.hparams.get('name', 'model')} · {pl_module.hparams.get('task', '')} · test"
        path = self.output_dir / "confusion_matrix_test.png"
        plot_confusion_matrix(matrix.numpy(), pl_module.class_names, title, path)
        log.info("Confusion matrix written to %s", path)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image("test/confusion_matrix", [str(path)])
