"""Piano rolls: the two representations every model here reads.

Layouts (time first, so a roll is also a sequence of frames):

- time roll  ``(frames, n_pitches)`` uint8 — the report's representation: one frame per ``1/fs``
  seconds (``fs=100``: 10 ms), value 1 (binary) or the note's velocity 1..127.
- beat roll  ``(steps, 2 * n_pitches)`` uint8 — the GAN's pieces (``data.segment_layout``):
  beat-quantised, the sounding and the onset velocity of each pitch; cut into segments of
  ``bars`` bars by :func:`cut_segments`.

Column ``j`` of either roll is MIDI pitch ``lowest_pitch + j``. A note outside that range is moved by
whole octaves into it, keeping its pitch class. Sustain pedal is ignored, as in the report's
pretty_midi rolls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from emopia_lightning.data.notes import Notes
from emopia_lightning.data.segment_layout import ONSET, SOUNDING, SegmentLayout
from emopia_lightning.errors import RequestError


def fold_into_range(pitch: np.ndarray, lowest: int, n_pitches: int) -> np.ndarray:
    """Move pitches outside ``[lowest, lowest + n_pitches)`` by octaves until they fit."""
    if n_pitches < 12:
        raise RequestError(f"n_pitches must cover an octave (>= 12), got {n_pitches}")
    pitch = np.asarray(pitch, dtype=np.int64)
    highest = lowest + n_pitches - 1
    below = pitch < lowest
    above = pitch > highest
    folded = pitch.copy()
    folded[below] += 12 * -(-(lowest - pitch[below]) // 12)
    folded[above] -= 12 * -(-(pitch[above] - highest) // 12)
    return folded


def _spans_to_roll(
    start: np.ndarray,
    end: np.ndarray,
    column: np.ndarray,
    value: np.ndarray,
    n_columns: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """A (max(end), n_columns) roll with ``roll[start:end, column] = value`` for every note.

    Writes into ``out`` (zeros, C-contiguous, that shape) when given, so a corpus renders straight
    into one shared array. Vectorised over cells through flat indices; where notes of one pitch
    overlap, the loudest wins.
    """
    roll = np.zeros((int(end.max()), n_columns), dtype=np.uint8) if out is None else out
    flat = roll.reshape(-1)  # a view: out is C-contiguous
    order = np.argsort(value, kind="stable")  # quietest first, so the loudest is written last
    start, end, column, value = start[order], end[order], column[order], value[order]
    lengths = end - start
    onset_cell = start * n_columns + column  # flat index of each note's first cell
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    frame_offset = np.arange(int(lengths.sum()), dtype=np.int64) - first  # (cells,)
    flat[np.repeat(onset_cell, lengths) + frame_offset * n_columns] = np.repeat(value, lengths)
    return roll


def _quantise(start: np.ndarray, end: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Onset and offset cells at ``rate`` cells per unit; every note keeps at least one cell."""
    first = np.round(start * rate).astype(np.int64)
    last = np.maximum(first + 1, np.round(end * rate).astype(np.int64))
    return first, last


class _RollSpec:
    """Shared rendering of the two rolls; a subclass says where its notes start and end."""

    lowest_pitch: int
    n_pitches: int
    dtype = np.uint8

    def _cells(self, notes: Notes) -> tuple[np.ndarray, np.ndarray]:
        """Each note's first and one-past-last row."""
        raise NotImplementedError

    def _values(self, notes: Notes) -> np.ndarray:
        return np.ones(len(notes), np.uint8)

    @property
    def width(self) -> int:
        return self.n_pitches

    def n_rows(self, notes: Notes) -> int:
        return int(self._cells(notes)[1].max())

    def render(self, notes: Notes, out: np.ndarray | None = None) -> np.ndarray:
        """(rows, n_pitches) uint8 (written into ``out`` when given)."""
        start, end = self._cells(notes)
        column = fold_into_range(notes.pitch, self.lowest_pitch, self.n_pitches) - self.lowest_pitch
        return _spans_to_roll(start, end, column, self._values(notes), self.n_pitches, out)


@dataclass(frozen=True)
class TimeRollSpec(_RollSpec):
    """The report's piano roll: ``fs`` frames per second, binary or velocity."""

    fs: float = 100.0
    lowest_pitch: int = 0
    n_pitches: int = 128
    velocity: bool = False

    def _cells(self, notes: Notes) -> tuple[np.ndarray, np.ndarray]:
        return _quantise(notes.start_s, notes.end_s, self.fs)

    def _values(self, notes: Notes) -> np.ndarray:
        return notes.velocity if self.velocity else super()._values(notes)

    def key(self) -> dict:
        return {"kind": "time_roll", **asdict(self)}


@dataclass(frozen=True)
class BeatRollSpec(_RollSpec):
    """Beat-quantised pieces (``data.segment_layout``): ``steps_per_beat`` steps per quarter note,
    each step and pitch holding the sounding velocity and the onset velocity, side by side."""

    steps_per_beat: int
    lowest_pitch: int
    n_pitches: int

    @classmethod
    def of(cls, layout: SegmentLayout) -> BeatRollSpec:
        return cls(layout.steps_per_beat, layout.lowest_pitch, layout.n_pitches)

    @property
    def width(self) -> int:
        return 2 * self.n_pitches  # (steps, width) is a (steps, n_pitches, 2) piece

    def _cells(self, notes: Notes) -> tuple[np.ndarray, np.ndarray]:
        return _quantise(notes.start_beat, notes.end_beat, self.steps_per_beat)

    def render(self, notes: Notes, out: np.ndarray | None = None) -> np.ndarray:
        """(rows, 2 * n_pitches) uint8: column ``2j + SOUNDING`` the velocity over each note's
        steps, ``2j + ONSET`` the velocity at its first step."""
        start, end = self._cells(notes)
        column = 2 * (fold_into_range(notes.pitch, self.lowest_pitch, self.n_pitches) - self.lowest_pitch)
        velocity = np.asarray(notes.velocity, dtype=np.uint8)
        return _spans_to_roll(
            np.concatenate([start, start]), np.concatenate([end, start + 1]),
            np.concatenate([column + SOUNDING, column + ONSET]), np.concatenate([velocity, velocity]),
            self.width, out,
        )  # fmt: skip

    def key(self) -> dict:
        return {"kind": "beat_piece", **asdict(self)}


def cut_segments(
    roll: np.ndarray, steps_per_bar: int, bars_per_segment: int, hop_bars: int | None = None
) -> np.ndarray:
    """Cut a beat roll into whole segments: (steps, P) -> (n, bars_per_segment, steps_per_bar, P).

    Segments start every ``hop_bars`` bars (default: back to back); a trailing part shorter than a
    segment is dropped, so every segment is full length.
    """
    hop_bars = hop_bars or bars_per_segment
    segment_steps = steps_per_bar * bars_per_segment
    starts = range(0, len(roll) - segment_steps + 1, hop_bars * steps_per_bar)
    segments = [roll[s : s + segment_steps] for s in starts]
    if not segments:
        return np.zeros((0, bars_per_segment, steps_per_bar, roll.shape[1]), roll.dtype)
    stacked = np.stack(segments)  # (n, segment_steps, P)
    return stacked.reshape(len(segments), bars_per_segment, steps_per_bar, roll.shape[1])


def notes_to_piece(notes: Notes, layout: SegmentLayout, steps: int) -> np.ndarray:
    """A (steps, pitches, 2) uint8 piece (``data.segment_layout``) of notes placed in beats: what
    the judges, the metrics and the pictures read of any composer's music. Notes past ``steps`` are cut."""
    piece = np.zeros((steps, 2 * layout.n_pitches), dtype=np.uint8)  # (steps, 2P): 2j + SOUNDING, 2j + ONSET
    if len(notes):
        roll = BeatRollSpec.of(layout).render(notes)
        piece[: min(steps, len(roll))] = roll[:steps]
    return piece.reshape(steps, layout.n_pitches, 2)
