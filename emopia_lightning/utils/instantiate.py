"""Build objects from their configs: one object, or each entry of a callbacks / loggers group.

A class that refuses its config raises a :class:`~emopia_lightning.errors.ProjectError`, which
Hydra wraps in its ``InstantiationException``; :func:`build` hands back the class's own refusal,
so that the entry point says it in one line.
"""

from __future__ import annotations

import pytorch_lightning as pl
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger

from emopia_lightning.errors import ProjectError


def build(config, **kwargs):
    """``hydra.utils.instantiate(config, **kwargs)``, raising a refusal of the built class itself."""
    try:
        return instantiate(config, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        while cause is not None and not isinstance(cause, ProjectError):
            cause = cause.__cause__
        if cause is None:
            raise
        raise cause from None


def _entries(config: DictConfig | None) -> list:
    if not config:
        return []
    return [build(entry) for entry in config.values() if entry and "_target_" in entry]


def instantiate_callbacks(config: DictConfig | None) -> list[pl.Callback]:
    return _entries(config)


def instantiate_loggers(config: DictConfig | None) -> list[Logger]:
    return _entries(config)
