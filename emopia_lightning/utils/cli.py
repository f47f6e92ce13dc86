"""How every command-line entry point ends on bad input: one ``error: ...`` line on stderr and exit
status 2 (:func:`say_error`), never a traceback.

Two argument styles, on purpose: commands that build a run from the configs (train, generate,
evaluate_generator, classical, app) take Hydra ``key=value`` overrides, and can sweep them; commands that take
files and no config (predict, summarize, ensemble, data.check, data.download) take argparse
paths and ``--flags``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

USER_ERROR = 2  # the exit status for a refused option, input or checkpoint


def say_error(message: str) -> int:
    """Print ``error: message`` on stderr; returns USER_ERROR (``return`` it from a main, or
    ``raise SystemExit(...)`` with it from a Hydra entry)."""
    print(f"error: {message}", file=sys.stderr)
    return USER_ERROR


def positive_count(name: str, value) -> int:
    """``value`` if it is a whole number >= 1 (not a bool), else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def one_line_errors(action: Callable[[], T], output: str) -> T:
    """Run ``action``; a refused option or checkpoint (ValueError) or an ``output`` that cannot be
    written (OSError) ends the process with one ``error:`` line."""
    try:
        return action()
    except ValueError as error:  # CheckpointError included
        raise SystemExit(say_error(str(error))) from None
    except OSError as error:
        raise SystemExit(say_error(f"cannot write to {output}: {error.strerror or error}")) from None
