"""Texture of a sounding roll: how many notes sound at once, where the bass line lies, how often a
triad sounds.

One definition for the segment metrics (``music_metrics``: a beat-grid roll, one row a step) and
the real-vs-generated windows (``window_features``: a roll of frames in seconds, notes as they
sound). A roll is ``(frames, pitches)`` bool, column ``j`` MIDI pitch ``lowest + j``; every value
is taken over the frames in which something sounds, and is NaN when nothing does.
"""

from __future__ import annotations

import math

import numpy as np

MAJOR_THIRD, MINOR_THIRD, FIFTH = 4, 3, 7  # semitones above a triad's root


def polyphony(roll: np.ndarray) -> float:
    """Mean number of pitches sounding over the frames where any sounds (muspy's ``polyphony``)."""
    counts = np.asarray(roll).sum(axis=1)  # (frames,)
    counts = counts[counts > 0]
    return float(counts.mean()) if len(counts) else math.nan


def bass_line(roll: np.ndarray, lowest: int) -> np.ndarray:
    """(sounding frames,) MIDI pitch of the lowest note sounding in each frame where any sounds."""
    roll = np.asarray(roll, dtype=bool)
    sounding = roll.any(axis=1)
    return lowest + np.argmax(roll[sounding], axis=1)


def bass_register(roll: np.ndarray, lowest: int) -> tuple[float, float]:
    """(mean, standard deviation) of the bass line's MIDI pitch, over the frames where any note
    sounds: a steady left hand is low and narrow, a bass that wanders is spread."""
    bass = bass_line(roll, lowest)
    return (float(bass.mean()), float(bass.std())) if len(bass) else (math.nan, math.nan)


def chroma(roll: np.ndarray, lowest: int) -> np.ndarray:
    """(frames, 12) bool: the pitch classes sounding in each frame (C first)."""
    roll = np.asarray(roll, dtype=bool)
    classes = (lowest + np.arange(roll.shape[1])) % 12
    out = np.zeros((len(roll), 12), dtype=bool)
    for pitch_class in range(12):
        out[:, pitch_class] = roll[:, classes == pitch_class].any(axis=1)
    return out


def holds_triad(classes: np.ndarray) -> np.ndarray:
    """(frames,) bool: a (frames, 12) chroma holds a major or minor triad (a root, its fifth and its
    major or minor third), in any inversion or octave, other notes allowed."""
    above = {interval: np.roll(classes, -interval, axis=1) for interval in (MINOR_THIRD, MAJOR_THIRD, FIFTH)}
    third = above[MAJOR_THIRD] | above[MINOR_THIRD]  # column r: r + 4 or r + 3 sounds
    return (classes & third & above[FIFTH]).any(axis=1)


def triad_share(roll: np.ndarray, lowest: int) -> float:
    """Share of the frames where any note sounds that hold a major or minor triad."""
    classes = chroma(roll, lowest)
    sounding = classes.any(axis=1)
    return float(holds_triad(classes[sounding]).mean()) if sounding.any() else math.nan
