"""Build callbacks and loggers from their config groups (each entry one object)."""

from __future__ import annotations

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger


def _entries(config: DictConfig | None) -> list:
    if not config:
        return []
    return [instantiate(entry) for entry in config.values() if entry and "_target_" in entry]


def instantiate_callbacks(config: DictConfig | None) -> list[pl.Callback]:
    return _entries(config)


def instantiate_loggers(config: DictConfig | None) -> list[Logger]:
    return _entries(config)
