"""Piano-roll pictures of generated or real pieces: shaded by velocity, onsets marked, bars and
phrases (segments) ruled."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emopia_lightning.data.segment_layout import ONSET, SOUNDING, SegmentLayout
from emopia_lightning.render.emotion_along import EmotionAlong, draw_emotion_along
from emopia_lightning.render.figures import new_figure, save_figure

ALONG_SHARE = 0.3  # the emotion strip's height, as a share of its roll's


def plot_piano_rolls(
    pieces: Sequence[np.ndarray],
    titles: Sequence[str],
    path: str | Path,
    layout: SegmentLayout,
    suptitle: str | None = None,
    panel_height: float = 2.1,
    dpi: int = 110,
    alongs: Sequence[EmotionAlong | None] | None = None,
) -> Path:
    """One panel per (steps, pitches, 2) piece, pitch upwards, darker for louder; a note's onset
    is a dot, so a re-struck note shows as two. Bar lines dotted, phrase (segment) starts solid.
    Each panel is ``panel_height`` inches high, at ``dpi`` pixels an inch. ``alongs``: each piece's
    emotion along it (``render.emotion_along``), drawn in a strip under its roll."""
    n = len(pieces)
    strips = alongs is not None and any(along is not None for along in alongs)
    longest = max((len(piece) for piece in pieces), default=layout.segment_steps)
    width = min(18.0, 6.0 + 3.0 * longest / layout.segment_steps)
    height = panel_height * n * (1 + ALONG_SHARE if strips else 1) + 0.6
    # Fixed margins, not a layout engine: laying out was the picture's largest cost on the page.
    figure = new_figure(figsize=(width, height))
    figure.fixed_margins = True  # save_figure must not tight_layout it
    top = 1 - (0.75 if suptitle else 0.35) / height
    figure.subplots_adjust(left=0.7 / width, right=1 - 1.1 / width, bottom=0.55 / height, top=top, hspace=0.3)
    if strips:
        grid = figure.subplots(2 * n, 1, squeeze=False, height_ratios=[1, ALONG_SHARE] * n)[:, 0]
        axes, under = grid[0::2], grid[1::2]
        for ax, along, piece in zip(under, alongs, pieces):
            if along is None:
                ax.set_visible(False)
            else:
                draw_emotion_along(ax, along, layout.steps_per_bar, len(piece))
                ax.set_xticks([])
    else:
        axes = figure.subplots(n, 1, squeeze=False)[:, 0]
    image = None
    for ax, piece, title in zip(axes, pieces, titles):
        piece = np.asarray(piece)
        steps = len(piece)
        velocity = np.ma.masked_equal(piece[..., SOUNDING].astype(float), 0)  # silence stays white
        image = ax.imshow(
            velocity.T, origin="lower", aspect="auto", cmap="viridis_r", vmin=1, vmax=127,
            interpolation="nearest",
            extent=(0, steps, layout.lowest_pitch - 0.5, layout.lowest_pitch + layout.n_pitches - 0.5),
        )  # fmt: skip
        onset_step, onset_column = np.nonzero(piece[..., ONSET])
        ax.scatter(onset_step + 0.5, onset_column + layout.lowest_pitch, s=3, c="black", linewidths=0)
        bars = np.arange(layout.steps_per_bar, steps, layout.steps_per_bar)
        phrases = bars % layout.segment_steps == 0
        ax.vlines(bars[~phrases], 0, 1, transform=ax.get_xaxis_transform(), colors="grey", linestyles=":",
                  linewidth=0.6)  # fmt: skip
        ax.vlines(bars[phrases], 0, 1, transform=ax.get_xaxis_transform(), colors="tab:red", linewidth=1.0)
        c_notes = [
            p for p in range(layout.lowest_pitch, layout.lowest_pitch + layout.n_pitches) if p % 12 == 0
        ]
        ax.set_yticks(c_notes, [f"C{p // 12 - 1}" for p in c_notes])
        bar_every = max(1, steps // layout.steps_per_bar // 16)  # at most ~16 bar numbers
        ticks = range(0, steps + 1, layout.steps_per_bar * bar_every)
        ax.set_xticks(ticks, [str(t // layout.steps_per_bar + 1) for t in ticks])
        ax.set_xlim(0, steps)
        ax.set_title(title, fontsize=10, loc="left")
    axes[-1].set_xlabel("bar (red: a new phrase, i.e. segment)")
    if image is not None:
        low = (
            axes[0].get_position().y0 if strips else 0.55 / height
        )  # beside the first roll: strips keep their legend
        bar_axes = figure.add_axes((1 - 0.95 / width, low, 0.12 / width, top - low))
        figure.colorbar(image, cax=bar_axes, label="velocity")
    if suptitle:
        figure.suptitle(suptitle)
    return save_figure(figure, path, dpi)
