"""Musical metrics of one segment, real or generated, so the two can be compared.

A segment is a (steps, pitches, 2) piece (``data.segment_layout``); its notes are those the MIDI
writer writes (``piece_notes``: onsets, ends, velocities). Five metrics are muspy's, computed on
those notes. The empty-beat rate and groove consistency follow muspy's formulas but over the whole
segment: muspy's versions end at the last note's end (and add a beat or bar past it when a note ends
on a boundary), which would score a segment with a quiet second half as full. The MuseGAN metrics
(Dong et al., 2018) are per bar. A metric that needs notes is NaN for an empty segment.
"""

from __future__ import annotations

import math

import muspy
import numpy as np

from emopia_lightning.data.segment_layout import SOUNDING, PieceNotes, SegmentLayout, piece_notes

# name -> what it measures (the report's glossary); the order of the report's tables.
METRICS: dict[str, str] = {
    "note_density": "notes starting per bar",
    "mean_pitch": "mean MIDI pitch of the notes",
    "pitch_range": "highest minus lowest MIDI pitch (muspy)",
    "pitch_classes_used": "distinct pitch classes in the segment (muspy)",
    "polyphony": "mean number of sounding pitches over steps where any sounds (muspy)",
    "scale_consistency": "largest share of notes inside one major or minor scale (muspy)",
    "pitch_class_entropy": "entropy in bits of the notes' pitch-class histogram (muspy)",
    "empty_beat_rate": "share of beats in which nothing sounds",
    "groove_consistency": "1 - mean Hamming distance of neighbouring bars' onset patterns / steps per bar",
    "empty_bars": "share of bars in which nothing sounds (MuseGAN's EB)",
    "used_pitch_classes": "distinct pitch classes per non-empty bar, averaged (MuseGAN's UPC)",
    "qualified_note_rate": "share of notes lasting at least `qualified_steps` steps (MuseGAN's QN)",
    "long_note_rate": "share of notes lasting longer than a bar",
    "mean_velocity": "mean MIDI velocity of the notes",
    "velocity_spread": "standard deviation of the notes' velocities",
}


def _music(notes: PieceNotes, layout: SegmentLayout) -> muspy.Music:
    track = muspy.Track(
        notes=[
            muspy.Note(start, layout.lowest_pitch + column, length, velocity)
            for start, length, column, velocity in zip(
                notes.start.tolist(), notes.length.tolist(), notes.column.tolist(), notes.velocity.tolist()
            )
        ]
    )
    return muspy.Music(resolution=layout.steps_per_beat, tracks=[track])


def _groove_consistency(onsets: np.ndarray) -> float:
    """``onsets`` (bars, steps_per_bar) bool; NaN for fewer than two bars."""
    if len(onsets) < 2:
        return math.nan
    return 1.0 - np.count_nonzero(onsets[1:] != onsets[:-1]) / onsets[1:].size


def segment_metrics(piece: np.ndarray, layout: SegmentLayout, qualified_steps: int = 2) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one (steps, pitches, 2) piece of whole bars.

    MuseGAN's qualified notes are those no shorter than a 32nd note at 24 steps a beat; at 4 steps a
    beat every note is at least a 16th, so ``qualified_steps=2`` (an eighth) marks the fragments.
    """
    piece = np.asarray(piece)
    roll = piece[..., SOUNDING] > 0  # (steps, pitches)
    steps, pitches = roll.shape
    if steps % layout.steps_per_bar:
        raise ValueError(f"a segment of {steps} steps is not whole bars of {layout.steps_per_bar}")
    n_bars = steps // layout.steps_per_bar
    notes = piece_notes(piece)
    music = _music(notes, layout)
    sounding = roll.any(axis=1)  # (steps,)
    onsets = np.zeros(steps, dtype=bool)
    onsets[notes.start] = True
    bars = roll.reshape(n_bars, layout.steps_per_bar, pitches)
    used_per_bar = [
        len(np.unique((np.nonzero(bar.any(axis=0))[0] + layout.lowest_pitch) % 12))
        for bar in bars
        if bar.any()
    ]
    no_notes = not len(notes)
    velocity = notes.velocity.astype(float)
    return {
        "note_density": len(notes) / n_bars,
        "mean_pitch": math.nan if no_notes else layout.lowest_pitch + float(np.mean(notes.column)),
        "pitch_range": math.nan if no_notes else float(muspy.pitch_range(music)),
        "pitch_classes_used": math.nan if no_notes else float(muspy.n_pitch_classes_used(music)),
        "polyphony": float(muspy.polyphony(music)),
        "scale_consistency": float(muspy.scale_consistency(music)),
        "pitch_class_entropy": float(muspy.pitch_class_entropy(music)),
        "empty_beat_rate": float(1.0 - sounding.reshape(-1, layout.steps_per_beat).any(axis=1).mean()),
        "groove_consistency": float(_groove_consistency(onsets.reshape(n_bars, layout.steps_per_bar))),
        "empty_bars": float(1.0 - bars.any(axis=(1, 2)).mean()),
        "used_pitch_classes": float(np.mean(used_per_bar)) if used_per_bar else math.nan,
        "qualified_note_rate": math.nan if no_notes else float(np.mean(notes.length >= qualified_steps)),
        "long_note_rate": math.nan if no_notes else float(np.mean(notes.length > layout.steps_per_bar)),
        "mean_velocity": math.nan if no_notes else float(velocity.mean()),
        "velocity_spread": math.nan if no_notes else float(velocity.std()),
    }


def metric_table(
    pieces: np.ndarray, layout: SegmentLayout, qualified_steps: int = 2
) -> dict[str, np.ndarray]:
    """``{metric: (n,) values}`` for a stack of (steps, pitches, 2) pieces."""
    rows = [segment_metrics(piece, layout, qualified_steps) for piece in pieces]
    return {name: np.array([row[name] for row in rows], dtype=float) for name in METRICS}


def overlapping_area(a: np.ndarray, b: np.ndarray, bins: int = 20) -> float:
    """Overlap (0..1) of two samples' histograms on ``bins`` equal bins spanning both samples.

    1 means the same distribution at this resolution, 0 disjoint ones (Yang & Lerch, 2020, use the
    overlapping area of smoothed densities). NaN values are left out; NaN if either side has none.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not len(a) or not len(b):
        return math.nan
    low, high = min(a.min(), b.min()), max(a.max(), b.max())
    if low == high:
        return 1.0
    edges = np.linspace(low, high, bins + 1)
    p = np.histogram(a, edges)[0] / len(a)
    q = np.histogram(b, edges)[0] / len(b)
    return float(np.minimum(p, q).sum())
