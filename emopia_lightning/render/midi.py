"""Beat rolls back to MIDI: consecutive active steps of a pitch become one note (as MuseGAN does;
a binary roll cannot tell a held note from repeated ones)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import symusic

TICKS_PER_BEAT = 480


def roll_to_notes(roll: np.ndarray) -> list[tuple[int, int, int]]:
    """(steps, pitches) bool -> (first step, steps held, pitch column) of every note, by onset."""
    active = np.asarray(roll, dtype=bool)
    padded = np.pad(active, ((1, 1), (0, 0)))
    changes = np.diff(padded.astype(np.int8), axis=0)  # +1 at onsets, -1 one past offsets
    onset_step, onset_col = np.nonzero(changes == 1)
    offset_step, offset_col = np.nonzero(changes == -1)
    # np.nonzero walks row by row; sorting both by (column, step) pairs each onset with its offset.
    on = np.lexsort((onset_step, onset_col))
    off = np.lexsort((offset_step, offset_col))
    notes = [(int(s), int(e - s), int(c)) for s, e, c in zip(onset_step[on], offset_step[off], onset_col[on])]
    return sorted(notes)


def roll_to_score(
    roll: np.ndarray, lowest_pitch: int, steps_per_beat: int, qpm: float = 120.0, velocity: int = 80
) -> symusic.Score:
    """A one-track piano score of a (steps, pitches) roll at ``qpm`` beats per minute, in 4/4."""
    if roll.ndim != 2:
        raise ValueError(f"expected a (steps, pitches) roll, got shape {roll.shape}")
    ticks = TICKS_PER_BEAT // steps_per_beat
    score = symusic.Score(TICKS_PER_BEAT)
    score.tempos.append(symusic.Tempo(0, qpm))
    score.time_signatures.append(symusic.TimeSignature(0, 4, 4))
    track = symusic.Track("Piano", 0, False)
    for step, length, column in roll_to_notes(roll):
        track.notes.append(symusic.Note(step * ticks, length * ticks, lowest_pitch + column, velocity))
    score.tracks.append(track)
    return score


def write_midi(roll: np.ndarray, path: str | Path, lowest_pitch: int, steps_per_beat: int, **options) -> Path:
    """Write a (steps, pitches) roll as a MIDI file; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # write_bytes: a folder that cannot be written raises OSError (symusic's writer a RuntimeError)
    path.write_bytes(roll_to_score(roll, lowest_pitch, steps_per_beat, **options).dumps_midi())
    return path
