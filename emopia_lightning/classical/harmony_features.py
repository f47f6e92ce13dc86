"""Harmony over time: tonal tension, harmonic rhythm and key changes of a clip (the ``harmony`` set).

The expert set hears a clip's harmony as one histogram; these follow it bar by bar and beat by
beat, in quarter-note beats (tempo-free), from pitch-class histograms weighted by how long each note
sounds inside each bar, beat or two-bar window.

- **Tonal tension**, two proxies after Herremans & Chew's (2016) tension ribbons: a bar's *key
  ambiguity* (1 − its best key correlation) and its *strain* against the clip's key (1 − the
  correlation with that key's profile), plus the share of sounding time outside that key's scale.
- **Harmonic rhythm**: each sounding beat's best-matching major or minor triad; how often it
  changes, how long a chord lasts, how many differ.
- **Key changes**: the best key of each two-bar window; how often it changes and how often it is
  not the clip's key.
"""

from __future__ import annotations

import numpy as np

from emopia_lightning.classical.tonality import estimated_key, key_correlations
from emopia_lightning.data.notes import Notes

HARMONY_NAMES = (
    "tension_mean",  # per bar: 1 - its best key correlation (ambiguity)
    "tension_std",
    "tension_max",
    "tension_trend",  # slope of the bars' tension over the clip (clip length = 1)
    "strain_mean",  # per bar: 1 - correlation with the clip's key
    "strain_max",
    "chromatic_share",  # sounding time outside the clip's key's scale
    "chord_changes_per_bar",  # between successive sounding beats
    "chord_run_beats",  # mean beats one chord lasts
    "minor_chord_share",  # sounding beats whose best triad is minor
    "distinct_chords_per_bar",
    "key_change_rate",  # between successive two-bar windows
    "off_key_share",  # two-bar windows whose key is not the clip's
    "distinct_keys",
    "minor_window_share",  # two-bar windows in a minor key
)

_MAJOR_SCALE = np.array([0, 2, 4, 5, 7, 9, 11])
_NATURAL_MINOR_SCALE = np.array([0, 2, 3, 5, 7, 8, 10])
# (24, 12) triads, C major .. B major, C minor .. B minor: root, third, fifth.
_TRIADS = np.stack(
    [np.roll(np.isin(np.arange(12), third), root) for third in ([0, 4, 7], [0, 3, 7]) for root in range(12)]
).astype(float)


def pitch_class_windows(notes: Notes, window_beats: float) -> np.ndarray:
    """(windows, 12) beats each pitch class sounds inside each window of ``window_beats`` beats."""
    n_windows = max(1, int(np.ceil(notes.end_beat.max() / window_beats)))
    starts = np.arange(n_windows)[:, None] * window_beats  # (windows, 1)
    overlap = np.minimum(notes.end_beat, starts + window_beats) - np.maximum(notes.start_beat, starts)
    classes = np.eye(12)[notes.pitch % 12]  # (notes, 12)
    return np.clip(overlap, 0, None) @ classes


def _trend(values: np.ndarray) -> float:
    """Least-squares slope of ``values`` over positions 0..1 (0 for fewer than two)."""
    if len(values) < 2:
        return 0.0
    return float(np.polyfit(np.linspace(0, 1, len(values)), values, 1)[0])


def _tension(bars: np.ndarray, clip_key: int) -> list[float]:
    correlations = [key_correlations(h) for h in bars]
    correlations = np.array([c for c in correlations if c is not None])  # (bars with a key, 24)
    if not len(correlations):
        return [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    ambiguity = 1 - correlations.max(axis=1)
    strain = 1 - correlations[:, clip_key]
    return [
        ambiguity.mean(),
        ambiguity.std(),
        ambiguity.max(),
        _trend(ambiguity),
        strain.mean(),
        strain.max(),
    ]


def _chromatic_share(histogram: np.ndarray, clip_key: int) -> float:
    scale = _MAJOR_SCALE if clip_key < 12 else _NATURAL_MINOR_SCALE
    in_key = histogram[(scale + clip_key % 12) % 12].sum()
    return float(1 - in_key / histogram.sum())


def _harmonic_rhythm(beats: np.ndarray, beats_per_bar: int) -> list[float]:
    sounding = beats[beats.sum(axis=1) > 0]
    if not len(sounding):
        return [0.0, 0.0, 0.0, 0.0]
    chords = np.argmax((sounding / sounding.sum(axis=1, keepdims=True)) @ _TRIADS.T, axis=1)
    changes = int((np.diff(chords) != 0).sum())
    bars = len(sounding) / beats_per_bar
    return [
        changes / bars,
        len(chords) / (changes + 1),
        float((chords >= 12).mean()),
        len(set(chords)) / bars,
    ]


def _key_changes(windows: np.ndarray, clip_key: int) -> list[float]:
    keys = np.array([k for k in map(estimated_key, windows) if k >= 0])
    if not len(keys):
        return [0.0, 0.0, 0.0, 0.0]
    change_rate = float((np.diff(keys) != 0).mean()) if len(keys) > 1 else 0.0
    return [change_rate, float((keys != clip_key).mean()), float(len(set(keys))), float((keys >= 12).mean())]


def harmony_features(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(len(HARMONY_NAMES),) tonal tension, harmonic rhythm and key changes (``roll`` is unused)."""
    bar_beats = float(notes.beats_per_bar)
    bars = pitch_class_windows(notes, bar_beats)
    whole = bars.sum(axis=0)
    clip_key = max(estimated_key(whole), 0)  # a flat histogram: C major, as good as any
    values = [
        *_tension(bars, clip_key),
        _chromatic_share(whole, clip_key),
        *_harmonic_rhythm(pitch_class_windows(notes, 1.0), notes.beats_per_bar),
        *_key_changes(pitch_class_windows(notes, 2 * bar_beats), clip_key),
    ]
    return np.asarray(values, dtype=np.float64)
