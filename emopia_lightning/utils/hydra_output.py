"""Hydra makes a run's folder before the command's own code starts; this callback checks it first,
so that an unwritable ``hydra.run.dir`` (or ``hydra.sweep.dir``) is one ``error:`` line too."""

from __future__ import annotations

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from emopia_lightning.errors import OutputError, say_error, writable_folder


def _checked(folder: str) -> None:
    try:
        writable_folder(folder)
    except OutputError as error:
        # Hydra prints a traceback for an exception here; a SystemExit passes through it.
        raise SystemExit(say_error(f"{error} (hydra.run.dir / hydra.sweep.dir)")) from None


class OutputFolderCheck(Callback):
    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        _checked(config.hydra.run.dir)

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        _checked(config.hydra.sweep.dir)
