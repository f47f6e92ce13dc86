"""Piano-roll pictures of generated or real segments."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from emopia_lightning.render.figures import save_figure  # noqa: E402


def plot_piano_rolls(
    rolls: Sequence[np.ndarray],
    titles: Sequence[str],
    path: str | Path,
    lowest_pitch: int,
    steps_per_bar: int,
    suptitle: str | None = None,
) -> Path:
    """One panel per (steps, pitches) roll, pitch upwards, bar lines dashed; saved as a PNG."""
    n = len(rolls)
    figure, axes = plt.subplots(n, 1, figsize=(9, 2.1 * n + 0.4), squeeze=False)
    for ax, roll, title in zip(axes[:, 0], rolls, titles):
        roll = np.asarray(roll, dtype=float)
        steps, pitches = roll.shape
        ax.imshow(
            roll.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
            extent=(0, steps, lowest_pitch - 0.5, lowest_pitch + pitches - 0.5),
        )  # fmt: skip
        for bar in range(steps_per_bar, steps, steps_per_bar):
            ax.axvline(bar, color="tab:blue", linestyle="--", linewidth=0.7)
        c_notes = [p for p in range(lowest_pitch, lowest_pitch + pitches) if p % 12 == 0]
        ax.set_yticks(c_notes, [f"C{p // 12 - 1}" for p in c_notes])
        ax.set_xticks(
            range(0, steps + 1, steps_per_bar), [str(b + 1) for b in range(steps // steps_per_bar + 1)]
        )
        ax.set_title(title, fontsize=10, loc="left")
    axes[-1, 0].set_xlabel("bar")
    if suptitle:
        figure.suptitle(suptitle)
    return save_figure(figure, path)
