"""Saving matplotlib figures as files (no display: servers have none)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def new_figure(**options) -> Figure:
    """A figure outside pyplot's global registry (``Figure(**options)``): the page draws in its
    request threads, and pyplot's state is not made for threads."""
    return Figure(**options)


def save_figure(figure, path: str | Path, dpi: int = 110) -> Path:
    """Lay out, write as PNG (making the folder) and close ``figure``; returns the path."""
    if figure.get_layout_engine() is None and not getattr(figure, "fixed_margins", False):
        figure.tight_layout()  # figures that chose a layout (constrained) or set margins keep theirs
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path
