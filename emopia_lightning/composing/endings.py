"""How every composer's piece ends: exactly at its end beat (after its last bar, or at its seconds),
on a held chord if asked."""

from __future__ import annotations

import numpy as np

from emopia_lightning.data.notes import Notes


def _subset(notes: Notes, keep: np.ndarray, end_beat: np.ndarray | None = None) -> dict:
    return {
        "start_beat": notes.start_beat[keep],
        "end_beat": notes.end_beat[keep] if end_beat is None else end_beat,
        "pitch": notes.pitch[keep],
        "velocity": notes.velocity[keep],
    }


def _rebuilt(notes: Notes, qpm: float, *parts: dict) -> Notes:
    joined = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    return Notes.from_beats(**joined, qpm=qpm, beats_per_bar=notes.beats_per_bar)


def cut_at(notes: Notes, end: float, qpm: float) -> Notes:
    """The notes that start before beat ``end``; a note still sounding there stops there."""
    keep = notes.start_beat < end
    return _rebuilt(notes, qpm, _subset(notes, keep, np.minimum(notes.end_beat[keep], end)))


def end_on_chord(notes: Notes, end: float, qpm: float) -> Notes:
    """The piece cut at beat ``end`` with its last bar's worth of beats replaced by one held chord.

    The chord is every pitch struck within a beat of the first onset in the last ``beats_per_bar``
    beats (else of the piece's last onset), at its loudest onset there, struck together and held to
    the end; what sounded before it stops there. A silent piece is returned unchanged.
    """
    notes = cut_at(notes, end, qpm)
    if not len(notes):
        return notes
    onsets = notes.start_beat
    in_last_bar = onsets[onsets >= end - notes.beats_per_bar]
    first = float(in_last_bar.min() if len(in_last_bar) else onsets.max())
    struck = (onsets >= first) & (onsets < first + 1)
    pitches = np.unique(notes.pitch[struck])
    loudest = np.array([notes.velocity[struck & (notes.pitch == p)].max() for p in pitches])
    before = onsets < first
    chord = {
        "start_beat": np.full(len(pitches), first),
        "end_beat": np.full(len(pitches), float(end)),
        "pitch": pitches,
        "velocity": loudest,
    }
    return _rebuilt(notes, qpm, _subset(notes, before, np.minimum(notes.end_beat[before], first)), chord)
