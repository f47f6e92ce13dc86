"""The judged emotion control of a composer over its training: one picture of ``val/judged_*``."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from emopia_lightning.render.figures import save_figure  # noqa: E402

LINES = {"val/judged_acc": "quadrant", "val/judged_arousal": "arousal", "val/judged_valence": "valence"}


def plot_judged_curve(history: list[dict], path: str | Path, title: str, real_accuracy: float) -> Path:
    """Accuracy of the judge on generated segments per training step, with its real ceiling."""
    figure, ax = plt.subplots(figsize=(8, 3.8))
    steps = [h["step"] for h in history]
    for key, label in LINES.items():
        ax.plot(steps, [h[key] for h in history], marker=".", label=label)
    ax.axhline(real_accuracy, color="grey", linestyle="--", label="quadrant, real held-out")
    ax.axhline(0.25, color="grey", linestyle=":", label="quadrant, chance")
    ax.set(
        xlabel="training step (the GAN: generator steps)", ylabel="judged accuracy", ylim=(0, 1), title=title
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(figure, path)
