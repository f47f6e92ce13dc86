"""The project's refusals, and the one way every entry point ends on them.

Each refusal is a :class:`ProjectError` whose message is the whole story in one line. Every
command-line entry point is wrapped in :func:`one_line_errors`, which turns a ``ProjectError``
into ``error: <message>`` on stderr and exit status 2, and lets anything else through as the bug
it is (a traceback). Nothing here guesses from a built-in exception's type or a library's
message: code that meets a library's refusal says what it means by raising one of these.

Two argument styles, on purpose: commands that build a run from the configs (train, generate,
evaluate_generator, classical, app) take Hydra ``key=value`` overrides, and can sweep them;
commands that take files and no config (predict, summarize, ensemble, data.check,
data.download) take argparse paths and ``--flags``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

USER_ERROR = 2  # the exit status for every ProjectError


class ProjectError(Exception):
    """A refusal the user can act on; ``str(error)`` is the one line they see."""


class RequestError(ProjectError):
    """An option, request or config value outside what is offered: which one, and what is allowed."""


class DataNotFoundError(ProjectError):
    """EMOPIA is not where the configuration points; the message says where we looked."""


class CheckpointError(ProjectError):
    """A model file that is missing, of another kind, tampered with or unbuildable by this version."""


class InputFileError(ProjectError):
    """An input file (a MIDI file, an upload) that cannot be read."""


class OutputError(ProjectError):
    """An output folder or file that cannot be written."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"cannot write to {path}: {reason}")


def say_error(message: str) -> int:
    """Print ``error: message`` on stderr; returns :data:`USER_ERROR`."""
    print(f"error: {message}", file=sys.stderr)
    return USER_ERROR


def one_line_errors(main: Callable[..., T]) -> Callable[..., T]:
    """``main`` ending on a :class:`ProjectError` with one ``error:`` line and exit status 2.

    Put it under ``@hydra.main`` (Hydra would print a traceback for an exception that reaches it).
    """

    @functools.wraps(main)
    def run(*args, **kwargs) -> T:
        try:
            return main(*args, **kwargs)
        except ProjectError as error:
            raise SystemExit(say_error(str(error))) from None

    return run


def writable_folder(path: str | Path) -> Path:
    """``path`` as a folder that exists and takes new files, else :class:`OutputError`; called
    before any work, so that an unwritable output never costs a run."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write_probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise OutputError(folder, error.strerror or type(error).__name__) from None
    return folder


def positive_count(name: str, value) -> int:
    """``value`` if it is a whole number >= 1 (not a bool), else a :class:`RequestError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value
