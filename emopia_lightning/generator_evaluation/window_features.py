"""Features of 4-bar windows of notes as they sound: what the real-vs-generated test reads.

A piece (a real clip, or a generated piece) is cut at bar lines into windows of ``bars`` bars (8 s
at EMOPIA's 120 bpm), from its first beat; a tail shorter than a window is left out. Notes are read
as they sound (``Notes.sounding_ends``): the sustain pedal holds a note released while it is down
until it lifts, and a key struck again ends the sound before it. A generated piece has no pedal
unless it writes one. Each window is then described by :data:`WINDOW_FEATURES`, on a 100 fps roll of
the piano's 88 keys (``texture``) and on the notes that start in it. A value a window cannot have (a
median note length with no note) is NaN; the forest reads NaN as missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from emopia_lightning.classical.tonality import key_correlations
from emopia_lightning.data.notes import PIANO, Notes
from emopia_lightning.generator_evaluation.texture import bass_register, chroma, polyphony, triad_share

FPS = 100  # frames a second of the sounding roll
SHORT_S = 0.1  # a note sounding less than this is a fragment
LONG_S = 1.0
TOGETHER_S = 0.03  # notes starting this close together are struck as one chord
KEYS = PIANO[1] - PIANO[0] + 1  # the roll's columns: MIDI PIANO[0]..PIANO[1]

WINDOW_FEATURES: dict[str, str] = {
    "notes_per_second": "notes starting per second",
    "polyphony": "notes sounding at once (mean over frames where any sounds)",
    "silence_share": "share of frames in which nothing sounds",
    "short_note_share": f"share of notes sounding less than {SHORT_S:g} s",
    "median_note_s": "median length in seconds of the notes as they sound",
    "long_note_share": f"share of notes sounding {LONG_S:g} s or longer",
    "chord_size": f"notes struck together (within {TOGETHER_S:g} s), mean over strikes",
    "chord_clash": "share of strikes of two or more pitch classes with two a semitone apart",
    "chord_triad_fit": "share of a strike's pitch classes inside its best-fitting triad, mean over strikes of two or more",
    "triad_share": "share of sounding frames that hold a major or minor triad",
    "bass_pitch": "bass line (lowest sounding note): mean MIDI pitch",
    "bass_spread": "bass line: standard deviation in semitones",
    "bass_leap": "bass line: mean size in semitones of its moves",
    "top_pitch": "top line (highest sounding note): mean MIDI pitch",
    "top_leap": "top line: mean size in semitones of its moves",
    "top_steps": "top line: share of its moves that are steps (one or two semitones)",
    "triad_fit": "share of a frame's pitch classes inside its best-fitting major or minor triad, mean over frames",
    "clash_share": "share of sounding frames with two pitch classes a semitone apart",
    "mean_pitch": "mean MIDI pitch of the notes",
    "pitch_range": "highest minus lowest MIDI pitch of the notes",
    "mean_velocity": "mean MIDI velocity of the notes",
    "velocity_spread": "standard deviation of the notes' velocities",
    "pitch_class_entropy": "entropy in bits of the notes' pitch-class histogram",
    "note_interval": "mean size in semitones of the interval from each note to the next struck",
    "key_clarity": "best correlation of the sounding pitch classes with a major or minor key profile",
}


def sounding_roll(notes: Notes, ends: np.ndarray, frames: int) -> np.ndarray:
    """(frames, KEYS) bool at FPS: each note from its onset to its sounding end, a frame at least."""
    roll = np.zeros((frames, KEYS), dtype=bool)
    first = np.floor(notes.start_s * FPS).astype(np.int64)
    last = np.maximum(np.round(ends * FPS).astype(np.int64), first + 1)
    for begin, end, key in zip(first.tolist(), last.tolist(), (notes.pitch - PIANO[0]).tolist()):
        roll[max(begin, 0) : min(end, frames), key] = True
    return roll


def seconds_per_beat(notes: Notes) -> float:
    """The piece's beat in seconds, read off its notes (one tempo; the median where it changes)."""
    beats = notes.end_beat - notes.start_beat
    held = beats > 0
    return float(np.median((notes.end_s - notes.start_s)[held] / beats[held])) if held.any() else 0.5


def _entropy(pitches: np.ndarray) -> float:
    shares = np.bincount(pitches % 12, minlength=12) / len(pitches)
    shares = shares[shares > 0]
    return float(-(shares * np.log2(shares)).sum())


def _note_interval(notes: Notes) -> float:
    """Mean |pitch difference| of successive notes in the order they are struck (low to high
    within a chord): small in scales, arpeggios and close chords; large in scattered notes."""
    if len(notes) < 2:
        return math.nan
    pitches = notes.pitch[np.lexsort((notes.pitch, notes.start_s))].astype(np.int64)
    return float(np.abs(np.diff(pitches)).mean())


def _strikes(notes: Notes) -> tuple[float, float, float]:
    """(notes a strike, share of chords with a semitone clash, chords' triad fit): a strike is the
    notes struck within TOGETHER_S of the one before; a chord, a strike of two or more pitch classes."""
    order = np.argsort(notes.start_s, kind="stable")
    strike = np.concatenate([[0], np.cumsum(np.diff(notes.start_s[order]) > TOGETHER_S)])  # (notes,)
    classes = np.zeros((strike[-1] + 1, 12), dtype=bool)
    classes[strike, notes.pitch[order] % 12] = True
    chords = classes[classes.sum(axis=1) >= 2]
    clash = (chords & np.roll(chords, -1, axis=1)).any(axis=1)
    if not len(chords):
        return len(notes) / len(classes), math.nan, math.nan
    return len(notes) / len(classes), float(clash.mean()), _triad_fit(chords)


TRIADS = np.array(
    [
        np.isin(np.arange(12), [(root + i) % 12 for i in (0, third, 7)])
        for root in range(12)
        for third in (3, 4)
    ]
)  # (24, 12)


def _triad_fit(classes: np.ndarray) -> float:
    """Mean over frames of the largest share of the sounding pitch classes inside one triad."""
    if not len(classes):
        return math.nan
    inside = classes.astype(np.int64) @ TRIADS.T.astype(np.int64)  # (frames, 24)
    return float((inside.max(axis=1) / classes.sum(axis=1)).mean())


def _moves(line: np.ndarray) -> tuple[float, float]:
    """(mean size, share of steps) of a line's moves (frames where its pitch changes)."""
    moves = np.abs(np.diff(line))
    moves = moves[moves > 0]
    return (float(moves.mean()), float(np.mean(moves <= 2))) if len(moves) else (math.nan, math.nan)


def _window(roll: np.ndarray, notes: Notes, lengths: np.ndarray, seconds: float) -> dict[str, float]:
    """The features of one window: its (frames, KEYS) roll and the notes that start in it."""
    sounding = roll.any(axis=1)
    bass_line = PIANO[0] + np.argmax(roll[sounding], axis=1)  # (sounding frames,)
    top_line = PIANO[0] + KEYS - 1 - np.argmax(roll[sounding][:, ::-1], axis=1)
    classes = chroma(roll[sounding], PIANO[0])  # (sounding frames, 12)
    correlations = key_correlations(classes.sum(axis=0).astype(float))
    values = dict.fromkeys(WINDOW_FEATURES, math.nan)
    values.update(
        notes_per_second=len(notes) / seconds, polyphony=polyphony(roll), silence_share=1 - sounding.mean(),
        triad_share=triad_share(roll, PIANO[0]), bass_leap=_moves(bass_line)[0], triad_fit=_triad_fit(classes),
        key_clarity=math.nan if correlations is None else float(correlations.max()),
    )  # fmt: skip
    values["bass_pitch"], values["bass_spread"] = bass_register(roll, PIANO[0])
    values["top_leap"], values["top_steps"] = _moves(top_line)
    if sounding.any():
        values["top_pitch"] = float(top_line.mean())
        values["clash_share"] = float((classes & np.roll(classes, -1, axis=1)).any(axis=1).mean())
    if len(notes):
        velocity = notes.velocity.astype(float)
        values.update(
            short_note_share=float(np.mean(lengths < SHORT_S)), median_note_s=float(np.median(lengths)),
            long_note_share=float(np.mean(lengths >= LONG_S)), mean_pitch=float(notes.pitch.mean()),
            pitch_range=float(np.ptp(notes.pitch)), mean_velocity=float(velocity.mean()),
            velocity_spread=float(velocity.std()), pitch_class_entropy=_entropy(notes.pitch.astype(np.int64)),
            note_interval=_note_interval(notes),
        )  # fmt: skip
        values["chord_size"], values["chord_clash"], values["chord_triad_fit"] = _strikes(notes)
    return values


def _subset(notes: Notes, keep: np.ndarray) -> Notes:
    return Notes(
        notes.start_s[keep], notes.end_s[keep], notes.start_beat[keep], notes.end_beat[keep],
        notes.pitch[keep], notes.velocity[keep], notes.beats_per_bar,
    )  # fmt: skip


def window_features(notes: Notes, bars: int = 4, beats: float | None = None) -> np.ndarray:
    """(windows, len(WINDOW_FEATURES)) features of the successive ``bars``-bar windows of a piece
    ``beats`` long (a generated piece's length; default: up to its last note's sounding end)."""
    ends = notes.sounding_ends()
    beat_s = seconds_per_beat(notes)
    window_s = bars * notes.beats_per_bar * beat_s
    length_s = float(ends.max(initial=0.0)) if beats is None else beats * beat_s
    n_windows = int(math.floor(length_s / window_s + 1e-9))
    frames = round(window_s * FPS)
    roll = sounding_roll(notes, ends, n_windows * frames)  # (windows * frames, KEYS)
    rows = []
    for k in range(n_windows):
        starts_here = (notes.start_s >= k * window_s) & (notes.start_s < (k + 1) * window_s)
        values = _window(roll[k * frames : (k + 1) * frames], _subset(notes, starts_here),
                         (ends - notes.start_s)[starts_here], window_s)  # fmt: skip
        rows.append([values[name] for name in WINDOW_FEATURES])
    return np.array(rows, dtype=np.float64).reshape(n_windows, len(WINDOW_FEATURES))


def pieces_windows(
    pieces: Sequence[Notes], groups: Sequence[str], bars: int = 4, beats: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(features (windows, features), group of each window): every piece's windows, each window
    named by its piece's group (a real clip's song, a generated piece)."""
    parts = [
        window_features(notes, bars, None if beats is None else beats[i]) for i, notes in enumerate(pieces)
    ]
    labels = [np.full(len(part), group, dtype=object) for part, group in zip(parts, groups)]
    if not parts:
        return np.zeros((0, len(WINDOW_FEATURES))), np.zeros(0, dtype=object)
    return np.concatenate(parts), np.concatenate(labels)
