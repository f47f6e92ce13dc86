"""LightningModule that trains any sequence classifier net on emotion labels."""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix, MulticlassF1Score

from emopia_lightning.data.labels import class_names
from emopia_lightning.models.optimisation import optimiser_and_schedule


class EmotionClassifier(pl.LightningModule):
    """Cross-entropy training of ``net(rolls, lengths) -> logits`` for a task of ``data/labels.py``.

    Logs ``{stage}/loss``, ``{stage}/acc`` (accuracy) and ``{stage}/f1`` (support-weighted F1) per
    epoch, and keeps each validation/test epoch's confusion matrix in ``confusion[stage]``
    (rows: true class, columns: predicted).
    """

    def __init__(
        self,
        net: nn.Module,
        task: str,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., torch.optim.lr_scheduler.LRScheduler] | None = None,
        monitor: str = "val/loss",
        name: str = "classifier",
    ):
        super().__init__()
        # Checkpoints hold plain values only (loadable with weights_only=True); the net and the
        # optimizer are rebuilt from the run's config, which on_save_checkpoint stores.
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.net = net
        self.class_names = class_names(task)
        n = len(self.class_names)
        # ModuleDict keys may not shadow nn.Module attributes such as .train: suffix them.
        self.metrics = nn.ModuleDict(
            {
                f"{stage}_": MetricCollection(
                    {
                        "acc": MulticlassAccuracy(n, average="micro"),
                        "f1": MulticlassF1Score(n, average="weighted"),
                    },
                    prefix=f"{stage}/",
                )
                for stage in ("train", "val", "test")
            }
        )
        self.confusion_metrics = nn.ModuleDict(
            {f"{stage}_": MulticlassConfusionMatrix(n) for stage in ("train", "val", "test")}
        )
        self.confusion: dict[str, torch.Tensor] = {}

    def forward(self, rolls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.net(rolls, lengths)

    def _step(self, batch: tuple, stage: str) -> torch.Tensor:
        rolls, lengths, targets = batch  # (B, T, P), (B,), (B,)
        logits = self(rolls, lengths)  # (B, C)
        loss = F.cross_entropy(logits, targets)
        predictions = logits.argmax(dim=-1)
        self.metrics[f"{stage}_"].update(predictions, targets)
        self.confusion_metrics[f"{stage}_"].update(predictions, targets)
        self.log(
            f"{stage}/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(targets),
            sync_dist=stage != "train",  # under DDP: the mean over every process's share of val/test
        )  # fmt: skip
        self.log_dict(self.metrics[f"{stage}_"], on_step=False, on_epoch=True, prog_bar=stage != "train")
        return loss

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], on_step=False, on_epoch=True)
        return self._step(batch, "train")

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple, batch_idx: int) -> None:
        self._step(batch, "test")

    def _keep_confusion(self, stage: str) -> None:
        self.confusion[stage] = self.confusion_metrics[f"{stage}_"].compute().cpu()
        self.confusion_metrics[f"{stage}_"].reset()

    def on_train_epoch_end(self) -> None:
        self._keep_confusion("train")

    def on_validation_epoch_end(self) -> None:
        self._keep_confusion("val")

    def on_test_epoch_end(self) -> None:
        self._keep_confusion("test")

    def configure_optimizers(self) -> dict:
        return optimiser_and_schedule(
            self.parameters(), self.optimizer_factory, self.scheduler_factory, self.hparams.monitor
        )
