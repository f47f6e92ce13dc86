"""Confusion-matrix pictures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from emopia_lightning.render.figures import save_figure  # noqa: E402


def plot_confusion_matrix(
    matrix: np.ndarray, class_names: Sequence[str], title: str, path: str | Path
) -> Path:
    """Save a confusion matrix (rows true, columns predicted) as a PNG: counts and row shares."""
    matrix = np.asarray(matrix, dtype=np.int64)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(1.2 * len(class_names) + 2.5, 1.1 * len(class_names) + 2))
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for row in range(len(class_names)):
        for col in range(len(class_names)):
            colour = "white" if shares[row, col] > 0.6 else "black"
            axes.text(
                col,
                row,
                f"{matrix[row, col]}\n{shares[row, col]:.0%}",
                ha="center",
                va="center",
                color=colour,
            )
    axes.set_xticks(range(len(class_names)), class_names)
    axes.set_yticks(range(len(class_names)), class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    axes.set_title(f"{title}\naccuracy {accuracy:.3f} ({matrix.sum()} clips)")
    figure.colorbar(image, ax=axes, fraction=0.046, label="share of true class")
    return save_figure(figure, path, dpi=120)
