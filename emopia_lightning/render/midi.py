"""Pieces (``data.segment_layout``) to MIDI: every note with its own start, end and velocity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import symusic

from emopia_lightning.data.segment_layout import SegmentLayout, piece_notes

TICKS_PER_BEAT = 480


def piece_to_score(piece: np.ndarray, layout: SegmentLayout, qpm: float = 120.0) -> symusic.Score:
    """A one-track piano score of a (steps, pitches, 2) piece at ``qpm`` beats per minute, in 4/4."""
    piece = np.asarray(piece)
    if piece.ndim != 3 or piece.shape[1:] != (layout.n_pitches, 2):
        raise ValueError(f"expected a (steps, {layout.n_pitches}, 2) piece, got shape {piece.shape}")
    ticks = TICKS_PER_BEAT // layout.steps_per_beat
    score = symusic.Score(TICKS_PER_BEAT)
    score.tempos.append(symusic.Tempo(0, qpm))
    score.time_signatures.append(symusic.TimeSignature(0, layout.beats_per_bar, 4))
    track = symusic.Track("Piano", 0, False)
    notes = piece_notes(piece)
    for start, length, column, velocity in zip(
        notes.start.tolist(), notes.length.tolist(), notes.column.tolist(), notes.velocity.tolist()
    ):
        track.notes.append(
            symusic.Note(start * ticks, length * ticks, layout.lowest_pitch + column, velocity)
        )
    score.tracks.append(track)
    return score


def write_midi(piece: np.ndarray, path: str | Path, layout: SegmentLayout, qpm: float = 120.0) -> Path:
    """Write a (steps, pitches, 2) piece as a MIDI file; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # write_bytes: a folder that cannot be written raises OSError (symusic's writer a RuntimeError)
    path.write_bytes(piece_to_score(piece, layout, qpm).dumps_midi())
    return path
