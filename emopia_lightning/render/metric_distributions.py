"""Box plots of musical metrics per quadrant, real against generated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from emopia_lightning.render.figures import save_figure  # noqa: E402


def plot_metric_distributions(
    sets: Mapping[str, tuple[Mapping[str, np.ndarray], np.ndarray]],
    metrics: Sequence[str],
    class_names: Sequence[str],
    path: str | Path,
    columns: int = 4,
) -> Path:
    """One panel per metric; in it, for every class, one box per set side by side.

    ``sets`` maps a set's name (e.g. real, generated) to ({metric: (n,) values}, (n,) class indices).
    NaN values (a metric undefined for an empty segment) are left out.
    """
    rows = -(-len(metrics) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    width = 0.8 / len(sets)
    for ax, metric in zip(axes.flat, metrics):
        for s, (set_name, (values, classes)) in enumerate(sets.items()):
            data = [
                values[metric][(classes == c) & np.isfinite(values[metric])] for c in range(len(class_names))
            ]
            positions = np.arange(len(class_names)) + (s - (len(sets) - 1) / 2) * width
            boxes = ax.boxplot(
                data, positions=positions, widths=width * 0.9, patch_artist=True, showfliers=False,
                medianprops={"color": "black"},
            )  # fmt: skip
            for box in boxes["boxes"]:
                box.set_facecolor(colours[s % len(colours)])
                box.set_alpha(0.7)
            ax.plot([], [], color=colours[s % len(colours)], linewidth=6, alpha=0.7, label=set_name)
        ax.set_xticks(range(len(class_names)), class_names)
        ax.set_title(metric.replace("_", " "))
    for ax in axes.flat[len(metrics) :]:
        ax.axis("off")
    axes.flat[0].legend(loc="best", fontsize="small")
    return save_figure(figure, path, dpi=100)
