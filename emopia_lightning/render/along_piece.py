"""Emotion along a long piece: each judge's accuracy at every 4-bar window position, one picture."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from emopia_lightning.render.figures import save_figure  # noqa: E402


def plot_along_piece(
    along: Mapping[str, dict], real_accuracy: Mapping[str, float], quadrants: Sequence[str], path: str | Path
) -> Path:
    """Top row, one panel per judge: 4Q accuracy by window position for each piece length, the
    judge's accuracy on real held-out segments (dashed) and chance (dotted). Bottom row: each
    quadrant's recall by position in the longest pieces.

    ``along``: piece length (bars, as text) -> ``along_piece.along_piece``'s result;
    ``real_accuracy``: judge -> its accuracy on real held-out segments.
    """
    judges = list(real_accuracy)
    figure, axes = plt.subplots(2, len(judges), figsize=(6.5 * len(judges), 7), squeeze=False)
    longest = along[max(along, key=int)]
    for column, judge in enumerate(judges):
        top, bottom = axes[0, column], axes[1, column]
        for bars, result in sorted(along.items(), key=lambda item: int(item[0])):
            accuracy = [p["accuracy"] for p in result["judges"][judge]["by_position"]]
            top.plot(range(1, len(accuracy) + 1), accuracy, marker="o", label=f"{bars} bars")
        top.axhline(real_accuracy[judge], color="grey", linestyle="--", label="real held-out segments")
        top.axhline(0.25, color="grey", linestyle=":", label="chance")
        top.set(title=f"{judge} judge: 4Q accuracy along the piece", ylabel="accuracy", ylim=(0, 1))
        positions = longest["judges"][judge]["by_position"]
        for q in quadrants:
            recall = [p["per_quadrant"][q] for p in positions]
            bottom.plot(range(1, len(recall) + 1), recall, marker=".", label=q)
        bottom.set(
            title=f"{judge} judge: recall per quadrant, {longest['bars']}-bar pieces",
            xlabel="4-bar window (8 s at 120 bpm)", ylabel="recall", ylim=(0, 1),
        )  # fmt: skip
        for ax in (top, bottom):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="lower left")
    return save_figure(figure, path)
