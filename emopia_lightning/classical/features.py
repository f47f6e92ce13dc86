"""Clip-level feature vectors for the classical models; every function takes a clip's notes.

Feature sets (names used in ``conf/classical/features/``):

- ``pianoroll`` (128): the report's feature — the share of the clip's 1/100 s frames in which each
  MIDI pitch sounds (the mean over time of the binary 128-pitch piano roll).
- ``pitch_density`` (128): the share of the clip's note onsets at each MIDI pitch.
- ``transitions`` (144): the pitch-class transition matrix — shares of successive note pairs
  (ordered by onset, then pitch) going from pitch class ``i`` to ``j``, flattened row-major.
- ``expert`` (see :data:`EXPERT_NAMES`): note density, pitch, register and velocity statistics,
  top voice and bass, polyphony, silence, note durations, inter-onset intervals, chord qualities,
  sustain-pedal use, the pitch-class histogram, key-relative scale degrees and major/minor key
  strength (Krumhansl–Kessler profiles).
- ``harmony`` (see :mod:`~emopia_lightning.classical.harmony_features`): tonal tension, harmonic
  rhythm and key changes, bar by bar.
- ``performance`` (see :mod:`~emopia_lightning.classical.performance_features`): onset-interval
  statistics, the two hands' registers and the velocity contour.
- ``windows``: the expert features of 8 s windows (4 s hop), pooled per clip as mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from emopia_lightning.classical.harmony_features import HARMONY_NAMES, harmony_features
from emopia_lightning.classical.performance_features import PERFORMANCE_NAMES, performance_features
from emopia_lightning.classical.tonality import PITCH_CLASSES, key_correlations
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.rolls import TimeRollSpec
from emopia_lightning.errors import RequestError

# Bump when a feature's definition changes: it is part of the cache key.
FEATURES_VERSION = 4  # 4: key correlations as one matrix product (equal to 1e-16; caches rebuilt)

REPORT_FPS = 100
_REPORT_ROLL = TimeRollSpec(fs=REPORT_FPS, lowest_pitch=0, n_pitches=128, velocity=False)


def report_roll(notes: Notes) -> np.ndarray:
    """(frames, 128) 0/1: the report's 100 fps roll, which several feature sets read."""
    return _REPORT_ROLL.render(notes)


def pianoroll_activity(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(128,) share of 1/100 s frames in which each pitch sounds."""
    roll = report_roll(notes) if roll is None else roll
    return roll.mean(axis=0, dtype=np.float64)


def pitch_density(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(128,) share of note onsets at each pitch."""
    return np.bincount(notes.pitch, minlength=128)[:128] / len(notes)


def pitch_class_transitions(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(144,) shares of successive-note pitch-class transitions, row ``from``, column ``to``."""
    order = np.lexsort((notes.pitch, notes.start_s))
    classes = notes.pitch[order] % 12
    matrix = np.zeros((12, 12))
    np.add.at(matrix, (classes[:-1], classes[1:]), 1.0)
    return (matrix / max(1, len(classes) - 1)).ravel()


EXPERT_NAMES = (
    "onsets_per_second",  # notes starting per second (the generation metric note_density counts per bar)
    "onsets_per_second_std",  # their std over 2 s windows
    "pitch_mean",
    "pitch_std",
    "pitch_min",
    "pitch_max",
    "pitch_range",
    "pitch_p10",
    "pitch_p90",
    "top_voice_mean",  # highest pitch of each onset group
    "bass_mean",  # lowest pitch of each onset group
    "top_voice_step",  # mean absolute interval between successive top-voice pitches
    "velocity_mean",
    "velocity_std",
    "polyphony_mean",  # notes sounding per non-silent frame
    "polyphony_max",
    "silence_share",  # share of frames where nothing sounds
    "duration_mean",  # seconds
    "duration_std",
    "duration_median",
    "ioi_mean",  # seconds between distinct successive onsets
    "ioi_std",
    "low_register_share",  # notes below middle C
    "major_strength",
    "minor_strength",
    "major_minus_minor",
    "major_triad_share",  # onset groups whose sounding pitch classes hold a major triad
    "minor_triad_share",
    "dissonance_share",  # onset groups sounding two pitch classes a semitone apart
    "pedal_share",  # share of the clip with the sustain pedal down
    "pedal_rate",  # pedal presses per second
    "pedal_mean_s",  # mean press length
    *(f"pc_{name}" for name in PITCH_CLASSES),  # duration-weighted pitch-class histogram
    *(f"degree_{d}" for d in range(12)),  # the same, rotated so the best key's tonic is degree 0
)


def _key(histogram: np.ndarray) -> tuple[float, float, int]:
    """(best major correlation, best minor correlation, tonic of the best key overall)."""
    correlations = key_correlations(histogram)
    if correlations is None:
        return 0.0, 0.0, 0
    scores = correlations.reshape(2, 12)  # (major | minor, tonic)
    mode, tonic = np.unravel_index(np.argmax(scores), scores.shape)
    return float(scores[0].max()), float(scores[1].max()), int(tonic)


def _onset_groups(notes: Notes, roll: np.ndarray, fs: float) -> np.ndarray:
    """(groups, pitches) bool: what sounds at each distinct onset frame where anything sounds (a
    chord, or a melody note over its harmony)."""
    frames = np.unique(np.round(notes.start_s * fs).astype(np.int64))
    sounding = roll[frames[frames < len(roll)]].astype(bool)
    return sounding[sounding.any(axis=1)]


def _chord_shares(groups: np.ndarray) -> tuple[float, float, float]:
    """Shares of onset groups holding a major triad, a minor triad, and a semitone clash."""
    octaves = -(-groups.shape[1] // 12)
    padded = np.zeros((len(groups), 12 * octaves), bool)
    padded[:, : groups.shape[1]] = groups
    classes = padded.reshape(len(groups), octaves, 12).any(axis=1)  # (groups, pitch class)

    def above(k: int) -> np.ndarray:  # [g, r]: pitch class r + k sounds in group g
        return np.roll(classes, -k, axis=1)

    n = max(len(groups), 1)
    major = (classes & above(4) & above(7)).any(axis=1).sum() / n
    minor = (classes & above(3) & above(7)).any(axis=1).sum() / n
    clash = (classes & above(1)).any(axis=1).sum() / n
    return float(major), float(minor), float(clash)


def _pedal_use(notes: Notes, clip_seconds: float) -> tuple[float, float, float]:
    """(share of time pedalled, presses per second, mean press length in seconds)."""
    lengths = notes.pedal_end_s - notes.pedal_start_s
    if len(lengths) == 0:
        return 0.0, 0.0, 0.0
    return float(lengths.sum() / clip_seconds), len(lengths) / clip_seconds, float(lengths.mean())


def expert_features(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(len(EXPERT_NAMES),) descriptors a music researcher would compute first."""
    fs = _REPORT_ROLL.fs
    roll = report_roll(notes) if roll is None else roll  # (frames, 128) of 0/1
    sounding = roll.sum(axis=1)  # (frames,) notes sounding per frame
    clip_seconds = len(roll) / fs
    durations = notes.end_s - notes.start_s
    onsets = np.unique(np.round(notes.start_s, 3))
    ioi = np.diff(onsets) if len(onsets) > 1 else np.zeros(1)
    windows = np.bincount((notes.start_s // 2.0).astype(np.int64)) / 2.0  # onsets/s per 2 s window
    groups = _onset_groups(notes, roll, fs)
    if len(groups):
        top = (groups.shape[1] - 1 - np.argmax(groups[:, ::-1], axis=1)).astype(float)
        bass = np.argmax(groups, axis=1).astype(float)
    else:
        top = bass = notes.pitch[:1].astype(float)
    pc_histogram = np.bincount(notes.pitch % 12, weights=durations, minlength=12)
    pc_histogram = pc_histogram / max(pc_histogram.sum(), 1e-9)
    major, minor, tonic = _key(pc_histogram)
    values = [
        len(notes) / clip_seconds,
        windows.std(),
        notes.pitch.mean(),
        notes.pitch.std(),
        notes.pitch.min(),
        notes.pitch.max(),
        float(notes.pitch.max() - notes.pitch.min()),
        *np.percentile(notes.pitch, [10, 90]),
        top.mean(),
        bass.mean(),
        float(np.abs(np.diff(top)).mean()) if len(top) > 1 else 0.0,
        notes.velocity.mean(),
        notes.velocity.std(),
        sounding[sounding > 0].mean() if (sounding > 0).any() else 0.0,
        sounding.max(),
        float((sounding == 0).mean()),
        durations.mean(),
        durations.std(),
        float(np.median(durations)),
        ioi.mean(),
        ioi.std(),
        float((notes.pitch < 60).mean()),
        major,
        minor,
        major - minor,
        *_chord_shares(groups),
        *_pedal_use(notes, clip_seconds),
        *pc_histogram,
        *np.roll(pc_histogram, -tonic),
    ]
    return np.asarray(values, dtype=np.float64)


WINDOW_SECONDS, WINDOW_HOP_SECONDS = 8.0, 4.0
MIN_WINDOW_NOTES = 4  # fewer: too little to describe; such windows are left out of the pooling
WINDOW_NAMES = tuple(f"window_{stat}_{name}" for stat in ("mean", "std") for name in EXPERT_NAMES)


def _window(notes: Notes, start_s: float) -> Notes:
    """The notes starting in [start_s, start_s + WINDOW_SECONDS), cut there, time-shifted to 0."""
    end_s = start_s + WINDOW_SECONDS
    inside = (notes.start_s >= start_s) & (notes.start_s < end_s)
    beat_shift = notes.start_beat[inside].min() if inside.any() else 0.0
    pedals = (notes.pedal_end_s > start_s) & (notes.pedal_start_s < end_s)
    return replace(
        notes,
        start_s=notes.start_s[inside] - start_s,
        end_s=np.minimum(notes.end_s[inside], end_s) - start_s,
        start_beat=notes.start_beat[inside] - beat_shift,
        end_beat=notes.end_beat[inside] - beat_shift,
        pitch=notes.pitch[inside],
        velocity=notes.velocity[inside],
        pedal_start_s=np.clip(notes.pedal_start_s[pedals], start_s, end_s) - start_s,
        pedal_end_s=np.clip(notes.pedal_end_s[pedals], start_s, end_s) - start_s,
    )


def window_features(notes: Notes, roll: np.ndarray | None = None) -> np.ndarray:
    """(2 x len(EXPERT_NAMES),) the expert features of every 8 s window (4 s hop), pooled per clip
    as their mean and standard deviation: how the clip changes, beside what it is on the whole."""
    starts = np.arange(
        0.0, max(float(notes.end_s.max()) - WINDOW_HOP_SECONDS, 0.0) + 1e-9, WINDOW_HOP_SECONDS
    )
    windows = [_window(notes, s) for s in starts]
    rows = [expert_features(w) for w in windows if len(w) >= MIN_WINDOW_NOTES]
    rows = np.stack(rows) if rows else expert_features(notes)[None]  # a clip too sparse: itself, once
    return np.concatenate([rows.mean(axis=0), rows.std(axis=0)])


FEATURE_SETS = {
    "pianoroll": (pianoroll_activity, tuple(f"pitch_{p}_active" for p in range(128))),
    "pitch_density": (pitch_density, tuple(f"pitch_{p}_onsets" for p in range(128))),
    "transitions": (
        pitch_class_transitions,
        tuple(f"pc_{a}_to_{b}" for a in PITCH_CLASSES for b in PITCH_CLASSES),
    ),
    "expert": (expert_features, EXPERT_NAMES),
    "harmony": (harmony_features, HARMONY_NAMES),
    "performance": (performance_features, PERFORMANCE_NAMES),
    "windows": (window_features, WINDOW_NAMES),
}


@dataclass(frozen=True)
class FeatureSpec:
    """Concatenated feature sets of one clip, as a (1, n_features) row (fits ``load_corpus``)."""

    sets: tuple[str, ...] = ("pianoroll",)

    def __post_init__(self):
        unknown = [s for s in self.sets if s not in FEATURE_SETS]
        if unknown or not self.sets:
            raise RequestError(f"unknown feature sets {unknown}; choose from {sorted(FEATURE_SETS)}")

    dtype = np.float64

    def names(self) -> list[str]:
        return [name for s in self.sets for name in FEATURE_SETS[s][1]]

    @property
    def width(self) -> int:
        return len(self.names())

    def n_rows(self, notes: Notes) -> int:
        return 1

    def render(self, notes: Notes, out: np.ndarray | None = None) -> np.ndarray:
        roll = report_roll(notes)  # rendered once, shared by the sets that read it
        row = np.concatenate([FEATURE_SETS[s][0](notes, roll) for s in self.sets])[None, :]  # (1, F)
        if out is not None:
            out[:] = row
        return row

    def key(self) -> dict:
        return {"kind": "features", "sets": list(self.sets), "version": FEATURES_VERSION}
