"""A monitored metric that a run does not log, refused in one line at the first validation."""

from __future__ import annotations

import pytorch_lightning as pl

from emopia_lightning.errors import RequestError


class MonitoredMetricsLogged(pl.Callback):
    """After the first real validation, every ``monitor`` of the trainer's callbacks (checkpoint,
    early stopping) must be a logged metric, else :class:`RequestError` naming what is logged.
    ``train`` puts it first, so it speaks before Lightning's own callbacks would."""

    def __init__(self):
        self.checked = False

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.checked or trainer.sanity_checking:
            return
        self.checked = True
        logged = set(trainer.callback_metrics)
        for callback in trainer.callbacks:
            monitor = getattr(callback, "monitor", None)
            if monitor and monitor not in logged:
                raise RequestError(
                    f"{type(callback).__name__} monitors {monitor!r}, which this run does not log; "
                    f"it logs {', '.join(sorted(logged)) or 'nothing'}"
                )
