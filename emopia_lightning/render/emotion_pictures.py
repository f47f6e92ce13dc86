"""Pictures of emotions on Russell's circumplex: where a quadrant lies (the page's emotion choice)
and how likely each quadrant, arousal and valence are (the page's reading of a MIDI file)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matplotlib.patches import Rectangle

from emopia_lightning.data.labels import (
    EMOTION_NAMES,
    QUADRANTS,
    circumplex_signs,
)
from emopia_lightning.render.figures import new_figure, save_figure

QUADRANT_COLOURS = {"Q1": "#f2a93b", "Q2": "#d1495b", "Q3": "#4f6d9a", "Q4": "#5aa469"}


def plot_circumplex(chosen: str | None, path: str | Path) -> Path:
    """A small valence-arousal plane with the four quadrants' first two words; ``chosen`` shaded."""
    figure = new_figure(figsize=(2.6, 2.6))
    axes = figure.subplots()
    for quadrant in QUADRANTS:
        valence, arousal = circumplex_signs(quadrant)
        picked = quadrant == chosen
        axes.add_patch(Rectangle(
            (min(0, valence), min(0, arousal)), 1, 1, color=QUADRANT_COLOURS[quadrant],
            alpha=0.85 if picked else 0.18, linewidth=0,
        ))  # fmt: skip
        axes.text(valence / 2, arousal / 2, f"{quadrant}\n" + "\n".join(EMOTION_NAMES[quadrant][:2]),
                  ha="center", va="center", fontsize=8, fontweight="bold" if picked else "normal",
                  color="white" if picked else "black")  # fmt: skip
    axes.axhline(0, color="black", linewidth=0.8)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlim(-1, 1)
    axes.set_ylim(-1, 1)
    axes.set_xticks([-1, 1], ["negative", "positive"], fontsize=7)
    axes.set_yticks([-1, 1], ["low", "high"], fontsize=7)
    axes.set_xlabel("valence", fontsize=8, labelpad=-6)
    axes.set_ylabel("arousal", fontsize=8, labelpad=-10)
    axes.set_aspect("equal")
    return save_figure(figure, path, dpi=100)


def _quadrant_bars(ax, quadrants: Mapping[str, float]) -> None:
    names = list(quadrants)
    shares = [quadrants[name] for name in names]
    bars = ax.bar(range(len(names)), shares, color=[QUADRANT_COLOURS.get(n, "grey") for n in names])
    ax.bar_label(bars, [f"{share:.0%}" for share in shares], fontsize=8)
    words = [f"{n}\n{EMOTION_NAMES[n][0]}" if n in EMOTION_NAMES else n for n in names]
    ax.set_xticks(range(len(names)), words)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title("quadrant", fontsize=10)


def _halves_bars(ax, arousal: float | None, valence: float | None) -> None:
    """One bar per known half: its low (negative) share grey on the left, high (positive) right."""
    rows = [row for row in (("arousal", "low", "high", arousal), ("valence", "negative", "positive", valence))
            if row[3] is not None]  # fmt: skip
    for y, (_, low, high, share) in enumerate(rows):
        ax.barh(y, 1 - share, color="#9aa5b1")
        ax.barh(y, share, left=1 - share, color="#f2a93b")
        ax.text(0.02, y, f"{low} {1 - share:.0%}", va="center", ha="left", fontsize=8)
        ax.text(0.98, y, f"{high} {share:.0%}", va="center", ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [row[0] for row in rows])
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    ax.invert_yaxis()
    ax.set_title("arousal and valence", fontsize=10)


def plot_emotion_probabilities(
    quadrants: Mapping[str, float] | None, arousal: float | None, valence: float | None,
    path: str | Path, title: str = "",
) -> Path:  # fmt: skip
    """Bars of the quadrant probabilities (when known) and of high arousal and positive valence
    against their opposites (each when known); a missing reading is left out."""
    halves = arousal is not None or valence is not None
    panels = int(bool(quadrants)) + int(halves)
    if not panels:
        raise ValueError("nothing to picture: no quadrant, arousal or valence probabilities")
    figure = new_figure(figsize=(4.2 * panels, 2.8))
    axes = list(figure.subplots(1, panels, squeeze=False)[0])
    if quadrants:
        _quadrant_bars(axes.pop(0), quadrants)
    if halves:
        _halves_bars(axes.pop(0), arousal, valence)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_figure(figure, path, dpi=100)
