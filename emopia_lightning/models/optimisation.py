"""The one optimiser setup of the classifiers and the token pretraining: the config's partial
optimiser over every parameter, and its optional partial scheduler stepped each epoch on the
module's monitored metric."""

from __future__ import annotations

from typing import Callable

import torch


def optimiser_and_schedule(
    parameters, optimizer_factory: Callable, scheduler_factory: Callable | None, monitor: str
) -> dict:
    """What ``configure_optimizers`` returns for Lightning."""
    optimizer: torch.optim.Optimizer = optimizer_factory(params=parameters)
    if scheduler_factory is None:
        return {"optimizer": optimizer}
    scheduler = scheduler_factory(optimizer=optimizer)
    return {
        "optimizer": optimizer,
        "lr_scheduler": {"scheduler": scheduler, "monitor": monitor, "interval": "epoch"},
    }
