"""Pieces to MIDI: notes (a composer's) or (steps, pitches, 2) pieces (``data.segment_layout``),
every note with its own start, end and velocity, at the piece's tempo in 4/4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import symusic

from emopia_lightning.data.notes import Notes
from emopia_lightning.data.segment_layout import SegmentLayout, piece_to_notes

TICKS_PER_BEAT = 480


def piece_to_score(piece: np.ndarray, layout: SegmentLayout, qpm: float = 120.0) -> symusic.Score:
    """A one-track piano score of a (steps, pitches, 2) piece at ``qpm`` beats per minute."""
    piece = np.asarray(piece)
    if piece.ndim != 3 or piece.shape[1:] != (layout.n_pitches, 2):
        raise ValueError(f"expected a (steps, {layout.n_pitches}, 2) piece, got shape {piece.shape}")
    return piece_to_notes(piece, layout).to_score(qpm, TICKS_PER_BEAT)


def _write(score: symusic.Score, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # write_bytes: a folder that cannot be written raises OSError (symusic's writer a RuntimeError)
    path.write_bytes(score.dumps_midi())
    return path


def write_midi(piece: np.ndarray, path: str | Path, layout: SegmentLayout, qpm: float = 120.0) -> Path:
    """Write a (steps, pitches, 2) piece as a MIDI file; returns the path."""
    return _write(piece_to_score(piece, layout, qpm), path)


def write_notes(notes: Notes, path: str | Path, qpm: float) -> Path:
    """Write notes placed in beats as a MIDI file at ``qpm``; returns the path."""
    return _write(notes.to_score(qpm, TICKS_PER_BEAT), path)
