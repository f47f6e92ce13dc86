"""How the command-line entry points end on bad input: one ``error:`` line, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def positive_count(name: str, value) -> int:
    """``value`` if it is a whole number >= 1 (not a bool), else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def one_line_errors(action: Callable[[], T], output: str) -> T:
    """Run ``action``; a refused option or checkpoint (ValueError, exit 2) or an ``output`` that
    cannot be written (OSError, exit 1) ends the process with one line on stderr."""
    try:
        return action()
    except ValueError as error:  # CheckpointError included
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as error:
        print(f"error: cannot write to {output}: {error.strerror or error}", file=sys.stderr)
        raise SystemExit(1) from None
