"""Generated pieces written out: one MIDI (and WAV) per piece, one piano-roll PNG of them all."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.render.audio import audio_unavailable_reason, render_wav
from emopia_lightning.render.midi import write_midi
from emopia_lightning.render.roll_pictures import plot_piano_rolls

log = logging.getLogger(__name__)


def write_pieces(
    pieces: np.ndarray, names: list[str], out_dir: str | Path, layout: SegmentLayout, wav: bool = True,
    title: str | None = None, png_name: str = "piano_roll.png", qpm: float = 120.0,
) -> dict[str, list[Path]]:  # fmt: skip
    """Write ``names[i].mid`` (and ``.wav``) per piece, and one PNG of them all; returns the paths."""
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {"midi": [], "wav": [], "png": []}
    for piece, name in zip(pieces, names):
        written["midi"].append(write_midi(piece, out_dir / f"{name}.mid", layout, qpm))
    written["png"].append(plot_piano_rolls(pieces, names, out_dir / png_name, layout, title))
    if wav:
        reason = audio_unavailable_reason()
        if reason:
            log.warning("%s; MIDI and PNG written to %s", reason, out_dir)
        else:
            for midi in written["midi"]:
                try:
                    written["wav"].append(render_wav(midi, midi.with_suffix(".wav")))
                except RuntimeError as error:  # the MIDI is written; audio is a bonus
                    log.warning("%s", error)
                    break
    return written
