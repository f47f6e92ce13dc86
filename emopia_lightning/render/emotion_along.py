"""A piece's emotion along its length: each 4-bar window's judged probabilities, drawn as a strip
under its piano roll (``roll_pictures``), so a creator sees where the emotion holds and turns.

The windows are the piece's 4-bar phrases from its first bar; a last part shorter than a window is
read as the piece's last 4 bars (a piece shorter than a window is one window, padded with silence).
A window in which no note starts is not read (a gap in the strip).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS
from emopia_lightning.render.emotion_pictures import QUADRANT_COLOURS

WINDOW_BARS = 4


@dataclass(frozen=True)
class EmotionAlong:
    """Windows of ``window_bars`` bars starting at ``starts`` (in bars) and what a reader made of
    each: ``quadrants`` (n, 4) probabilities of Q1..Q4, or None for a reader of arousal or valence
    alone; ``arousal`` and ``valence`` (n,) P(high), P(positive), or None where unknown."""

    starts: np.ndarray
    quadrants: np.ndarray | None
    arousal: np.ndarray | None
    valence: np.ndarray | None
    reader: str
    window_bars: int = WINDOW_BARS

    def verdicts(self) -> list[str]:
        """The likeliest quadrant of each window (of a quadrant reader)."""
        if self.quadrants is None:
            raise ValueError("this reader gives no quadrants")
        return [QUADRANTS[i] for i in self.quadrants.argmax(axis=1)]


def window_starts(total_beats: float, beats_per_bar: int, window_bars: int = WINDOW_BARS) -> list[int]:
    """The first bar of each window of a piece ``total_beats`` long (see the module docstring)."""
    bars = max(1, int(np.ceil(total_beats / beats_per_bar - 1e-9)))
    if bars <= window_bars:
        return [0]
    starts = list(range(0, bars - window_bars + 1, window_bars))
    if starts[-1] + window_bars < bars:
        starts.append(bars - window_bars)
    return starts


def draw_emotion_along(ax, along: EmotionAlong, steps_per_bar: int, steps: int) -> None:
    """Each window as a column of its quadrant probabilities stacked (Q1 at the bottom) over its
    bars, in the circumplex pictures' colours; a halves reader's arousal and valence as steps."""
    ax.set_xlim(0, steps)
    ax.set_ylim(0, 1)
    edges = np.asarray(along.starts) * steps_per_bar  # window starts in steps
    width = along.window_bars * steps_per_bar
    if along.quadrants is not None:
        bottom = np.zeros(len(edges))
        for q, quadrant in enumerate(QUADRANTS):
            share = along.quadrants[:, q]
            ax.bar(edges, share, width=width, bottom=bottom, align="edge", color=QUADRANT_COLOURS[quadrant],
                   edgecolor="white", linewidth=0.5, label=f"{quadrant} {EMOTION_NAMES[quadrant][0]}")  # fmt: skip
            bottom += share
        ax.legend(loc="upper left", bbox_to_anchor=(1.002, 1.05), fontsize=7, frameon=False, handlelength=1)
    else:
        halves = [
            (along.arousal, "P(high arousal)", "tab:red"),
            (along.valence, "P(positive valence)", "tab:blue"),
        ]
        for values, name, colour in halves:
            if values is not None:
                ax.stairs(values, [*edges, edges[-1] + width], color=colour, label=name)
        ax.legend(loc="upper left", bbox_to_anchor=(1.002, 1.05), fontsize=7, frameon=False)
    ax.set_yticks([0, 0.5, 1], ["0", ".5", "1"], fontsize=7)
    ax.set_ylabel("emotion", fontsize=8)
