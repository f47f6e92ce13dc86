"""Musical metrics of one segment, real or generated, so the two can be compared.

A segment is a (steps, pitches, 2) piece (``data.segment_layout``); its notes are those the MIDI
writer writes (``piece_notes``: onsets, ends, velocities). Four metrics are muspy's, computed on
those notes; polyphony (muspy's definition), the bass line and triads read the sounding roll
(``texture``). The empty-beat rate and groove consistency follow muspy's formulas but over the
whole segment: muspy's versions end at the last note's end (and add a beat or bar past it when a
note ends on a boundary), which would score a segment with a quiet second half as full. The MuseGAN
metrics (Dong et al., 2018) are per bar. A metric that needs notes is NaN for an empty segment.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import muspy
import numpy as np

from emopia_lightning.data.segment_layout import SOUNDING, PieceNotes, SegmentLayout, piece_notes
from emopia_lightning.generator_evaluation.texture import bass_register, polyphony, triad_share


@dataclass(frozen=True)
class Segment:
    """One (steps, pitches, 2) piece of whole bars, with what its metrics read."""

    layout: SegmentLayout
    notes: PieceNotes
    music: muspy.Music
    roll: np.ndarray  # (steps, pitches) bool: sounding
    bars: np.ndarray  # (bars, steps per bar, pitches) bool
    onsets: np.ndarray  # (bars, steps per bar) bool: any note starts
    qualified_steps: int

    @classmethod
    def of(cls, piece: np.ndarray, layout: SegmentLayout, qualified_steps: int) -> Segment:
        piece = np.asarray(piece)
        roll = piece[..., SOUNDING] > 0
        steps, pitches = roll.shape
        if steps % layout.steps_per_bar:
            raise ValueError(f"a segment of {steps} steps is not whole bars of {layout.steps_per_bar}")
        n_bars = steps // layout.steps_per_bar
        notes = piece_notes(piece)
        onsets = np.zeros(steps, dtype=bool)
        onsets[notes.start] = True
        return cls(layout, notes, _music(notes, layout), roll, roll.reshape(n_bars, layout.steps_per_bar, pitches),
                   onsets.reshape(n_bars, layout.steps_per_bar), qualified_steps)  # fmt: skip

    @property
    def velocity(self) -> np.ndarray:
        return self.notes.velocity.astype(float)


@dataclass(frozen=True)
class Metric:
    name: str
    measure: Callable[[Segment], float]
    doc: str  # what it measures: the report's glossary
    needs_notes: bool = True  # NaN for an empty segment


def _used_pitch_classes(segment: Segment) -> float:
    lowest = segment.layout.lowest_pitch
    used = [
        len(np.unique((np.nonzero(bar.any(axis=0))[0] + lowest) % 12)) for bar in segment.bars if bar.any()
    ]
    return float(np.mean(used)) if used else math.nan


def _empty_beat_rate(segment: Segment) -> float:
    sounding = segment.roll.any(axis=1).reshape(-1, segment.layout.steps_per_beat)
    return float(1.0 - sounding.any(axis=1).mean())


# The one vocabulary of the generation metrics, in the order of the report's tables.
REGISTRY: tuple[Metric, ...] = (
    Metric("note_density", lambda s: len(s.notes) / len(s.bars), "notes starting per bar", needs_notes=False),
    Metric("mean_pitch", lambda s: s.layout.lowest_pitch + float(np.mean(s.notes.column)), "mean MIDI pitch of the notes"),
    Metric("pitch_range", lambda s: float(muspy.pitch_range(s.music)), "highest minus lowest MIDI pitch (muspy)"),
    Metric("pitch_classes_used", lambda s: float(muspy.n_pitch_classes_used(s.music)),
           "distinct pitch classes in the segment (muspy)"),
    Metric("polyphony", lambda s: polyphony(s.roll),
           "mean number of sounding pitches over steps where any sounds (muspy's)", needs_notes=False),
    Metric("bass_pitch", lambda s: bass_register(s.roll, s.layout.lowest_pitch)[0],
           "mean MIDI pitch of the bass line (the lowest sounding note) over steps where any sounds"),
    Metric("bass_spread", lambda s: bass_register(s.roll, s.layout.lowest_pitch)[1],
           "standard deviation in semitones of the bass line over steps where any sounds"),
    Metric("triad_share", lambda s: triad_share(s.roll, s.layout.lowest_pitch),
           "share of steps where any note sounds that hold a major or minor triad"),
    Metric("scale_consistency", lambda s: float(muspy.scale_consistency(s.music)),
           "largest share of notes inside one major or minor scale (muspy)", needs_notes=False),
    Metric("pitch_class_entropy", lambda s: float(muspy.pitch_class_entropy(s.music)),
           "entropy in bits of the notes' pitch-class histogram (muspy)", needs_notes=False),
    Metric("empty_beat_rate", _empty_beat_rate, "share of beats in which nothing sounds", needs_notes=False),
    Metric("groove_consistency", lambda s: float(_groove_consistency(s.onsets)),
           "1 - mean Hamming distance of neighbouring bars' onset patterns / steps per bar", needs_notes=False),
    Metric("empty_bars", lambda s: float(1.0 - s.bars.any(axis=(1, 2)).mean()),
           "share of bars in which nothing sounds (MuseGAN's EB)", needs_notes=False),
    Metric("used_pitch_classes", _used_pitch_classes,
           "distinct pitch classes per non-empty bar, averaged (MuseGAN's UPC)", needs_notes=False),
    Metric("qualified_note_rate", lambda s: float(np.mean(s.notes.length >= s.qualified_steps)),
           "share of notes lasting at least `qualified_steps` steps (MuseGAN's QN)"),
    Metric("long_note_rate", lambda s: float(np.mean(s.notes.length > s.layout.steps_per_bar)),
           "share of notes lasting longer than a bar"),
    Metric("mean_velocity", lambda s: float(s.velocity.mean()), "mean MIDI velocity of the notes"),
    Metric("velocity_spread", lambda s: float(s.velocity.std()), "standard deviation of the notes' velocities"),
)  # fmt: skip
METRICS: dict[str, str] = {metric.name: metric.doc for metric in REGISTRY}  # name -> what it measures


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
    """Every metric of :data:`REGISTRY` for one (steps, pitches, 2) piece of whole bars.

    MuseGAN's qualified notes are those no shorter than a 32nd note at 24 steps a beat; at 4 steps a
    beat every note is at least a 16th, so ``qualified_steps=2`` (an eighth) marks the fragments.
    """
    segment = Segment.of(piece, layout, qualified_steps)
    empty = not len(segment.notes)
    return {m.name: math.nan if empty and m.needs_notes else m.measure(segment) for m in REGISTRY}


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
