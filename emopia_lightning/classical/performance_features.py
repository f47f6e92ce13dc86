"""How a clip is played: onset intervals, the two hands' registers and the velocity contour
(the ``performance`` set).

The expert set gives one mean and spread of each; these give the shape. The hands are split at
middle C (MIDI 60), the usual first guess for two-hand piano without fingering annotations. The
velocity contour is each bar's mean onset velocity, bars in quarter-note beats. (EMOPIA's clips are
transcribed performances without a tempo map, all at 120 bpm: a bar is 2 s, and beat positions say
nothing of metre, so no feature here reads the beat grid beyond the bar.)
"""

from __future__ import annotations

import numpy as np

from emopia_lightning.data.notes import Notes

PERFORMANCE_NAMES = (
    "ioi_median",  # seconds between distinct successive onsets
    "ioi_p10",
    "ioi_p90",
    "ioi_cv",  # std / mean: steady (low) or rubato and mixed values (high)
    "ioi_entropy",  # bits, over half-octave bins of log2 seconds
    "fast_ioi_share",  # intervals under 0.1 s
    "left_pitch_mean",  # below middle C
    "right_pitch_mean",
    "hand_gap",  # right mean - left mean
    "left_velocity_mean",
    "right_velocity_mean",
    "right_minus_left_velocity",
    "left_onsets_per_s",
    "right_onsets_per_s",
    "bass_p5",  # the low end of the register
    "velocity_bar_std",  # of the bars' mean velocities
    "velocity_bar_range",
    "velocity_trend",  # slope of the bars' mean velocities over the clip (clip length = 1)
    "velocity_bar_change",  # mean absolute change from one bar to the next
    "crescendo_share",  # successive bars growing louder
    "melody_accent",  # the top note of a chord minus its other notes
    "velocity_pitch_corr",
)
HAND_SPLIT = 60  # middle C


def _onset_intervals(notes: Notes) -> list[float]:
    onsets = np.unique(np.round(notes.start_s, 2))  # within 10 ms: one chord
    ioi = np.diff(onsets)
    if not len(ioi):
        return [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    bins = np.histogram(np.log2(np.clip(ioi, 1 / 64, 4)), bins=np.arange(-6, 2.5, 0.5))[0] / len(ioi)
    bins = bins[bins > 0]
    return [
        float(np.median(ioi)),
        *np.percentile(ioi, [10, 90]),
        float(ioi.std() / ioi.mean()),
        float(-(bins * np.log2(bins)).sum()),
        float((ioi < 0.1).mean()),
    ]


def _hands(notes: Notes, clip_seconds: float) -> list[float]:
    left = notes.pitch < HAND_SPLIT
    overall = float(notes.velocity.mean())
    pitch = [float(notes.pitch[h].mean()) if h.any() else float(HAND_SPLIT) for h in (left, ~left)]
    velocity = [float(notes.velocity[h].mean()) if h.any() else overall for h in (left, ~left)]
    onset_rates = [len(np.unique(np.round(notes.start_s[h], 2))) / clip_seconds for h in (left, ~left)]
    return [
        *pitch,
        pitch[1] - pitch[0],
        *velocity,
        velocity[1] - velocity[0],
        *onset_rates,
        float(np.percentile(notes.pitch, 5)),
    ]


def _bar_contour(notes: Notes) -> list[float]:
    bars = (notes.start_beat // notes.beats_per_bar).astype(np.int64)
    counts = np.bincount(bars)
    means = np.bincount(bars, weights=notes.velocity)[counts > 0] / counts[counts > 0]  # (bars played,)
    if len(means) < 2:
        return [0.0, 0.0, 0.0, 0.0, 0.0]
    steps = np.diff(means)
    trend = float(np.polyfit(np.linspace(0, 1, len(means)), means, 1)[0])
    return [
        float(means.std()),
        float(np.ptp(means)),
        trend,
        float(np.abs(steps).mean()),
        float((steps > 0).mean()),
    ]


def _accents(notes: Notes) -> list[float]:
    velocity = notes.velocity.astype(float)
    onset = np.round(notes.start_s, 2)
    group_top = np.zeros(len(notes), bool)  # the highest note of each onset with two or more
    order = np.lexsort((-notes.pitch, onset))  # by onset, highest pitch first
    first = np.r_[True, onset[order][1:] != onset[order][:-1]]
    sizes = np.diff(np.r_[np.flatnonzero(first), len(order)])
    group_top[order[first][sizes > 1]] = True
    in_chords = np.repeat(sizes > 1, sizes)[np.argsort(order)]  # notes of onsets with two or more
    melody = velocity[group_top].mean() - velocity[in_chords & ~group_top].mean() if group_top.any() else 0.0
    varied = np.ptp(velocity) > 0 and np.ptp(notes.pitch) > 0
    correlation = float(np.corrcoef(velocity, notes.pitch)[0, 1]) if varied else 0.0
    return [float(melody), correlation]


def performance_features(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(len(PERFORMANCE_NAMES),) onset intervals, hands and velocity contour (``roll`` is unused)."""
    clip_seconds = max(float(notes.end_s.max()), 1e-3)
    values = [
        *_onset_intervals(notes),
        *_hands(notes, clip_seconds),
        *_bar_contour(notes),
        *_accents(notes),
    ]
    return np.asarray(values, dtype=np.float64)
