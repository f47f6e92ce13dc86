"""Music in one key: a clip moved so that its estimated tonic is C (``data.key_relative``).

A composer trained so reads every clip relative to its key (C major or C minor, the mode left in
the notes), as EMO-Disentanger's "functional" representation does: it need not learn harmony in
twelve keys, nor choose a key as it goes. Its pieces are then moved to the key a request asks
for, or one its seed draws; a prompt is read in C and the new bars go back to the prompt's key.
"""

from __future__ import annotations

import numpy as np

from emopia_lightning.classical.tonality import estimated_key
from emopia_lightning.data.notes import PIANO

OCTAVE = 12  # semitones


def tonic(pitches: np.ndarray) -> int | None:
    """The estimated tonic's pitch class (0 = C) of MIDI ``pitches`` (one per note), or None for
    music without a key (no notes, or every pitch class alike)."""
    pitches = np.asarray(pitches, dtype=np.int64)
    key = estimated_key(np.bincount(pitches % OCTAVE, minlength=OCTAVE).astype(float))
    return None if key < 0 else key % OCTAVE


def nearest_shift(pitch_class: int, pitches: np.ndarray) -> int:
    """Semitones (-6..5 where the piano allows, else an octave further) that move pitch class 0
    to ``pitch_class`` while keeping ``pitches`` on the piano; 0 if none does."""
    shift = (int(pitch_class) + 6) % OCTAVE - 6
    pitches = np.asarray(pitches, dtype=np.int64)
    if not len(pitches):
        return shift
    low, high = PIANO[0] - int(pitches.min()), PIANO[1] - int(pitches.max())
    for candidate in (shift, shift + OCTAVE, shift - OCTAVE):
        if low <= candidate <= high:
            return candidate
    return 0


def to_c(pitches: np.ndarray) -> int:
    """Semitones that move the tonic of ``pitches`` to C (0 for music without a key)."""
    found = tonic(pitches)
    return 0 if found is None else nearest_shift(-found % OCTAVE, pitches)
