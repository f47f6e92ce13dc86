"""The GAN's piece layout, defined once: what every axis and channel of a generated or real piece means.

A **piece** is ``(steps, n_pitches, 2)`` uint8, time first, ``steps_per_beat`` steps per quarter
note in 4/4 bars; column ``j`` is MIDI pitch ``lowest_pitch + j``:

- ``piece[..., SOUNDING]``: the velocity (1..127) of the note sounding at that step, 0 where silent;
- ``piece[..., ONSET]``: the velocity of a note that starts at that step, 0 elsewhere.

So a re-struck note is a new onset inside a sounding run, a held note one onset and a long run:
the two are no longer the same roll (as a binary roll made them). A **segment** is ``bars`` bars of
a piece, what the GAN reads and writes. The nets see it as ``(bars, steps_per_bar, n_pitches, 3)``
float channels in [0, 1] (:data:`NET_CHANNELS`): onset flag, sounding flag, velocity / 127 where
sounding; :meth:`SegmentLayout.to_net` and :meth:`SegmentLayout.from_net` convert.

Hydra reads these fields as ``data.layout`` (registered in ``emopia_lightning/__init__.py``): the
data module, the nets, the sampler, the metrics, the judges and the pictures all take this one object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from emopia_lightning.data.notes import Notes
from emopia_lightning.errors import RequestError

SOUNDING, ONSET = 0, 1  # the two values a piece holds per step and pitch
NET_CHANNELS = ("onset", "sounding", "velocity")  # what the nets read and write, in this order


@dataclass(frozen=True)
class SegmentLayout:
    """Pitch range, time grid and segment length of the GAN's pieces."""

    lowest_pitch: int = 22  # MIDI 22..105: every EMOPIA note fits
    n_pitches: int = 84
    steps_per_beat: int = 4  # sixteenth notes
    beats_per_bar: int = 4
    bars: int = 4  # per segment: 8 s at EMOPIA's 120 bpm

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or value < (0 if name == "lowest_pitch" else 1):
                raise RequestError(f"layout {name} must be a positive whole number, got {value!r}")
        if self.lowest_pitch + self.n_pitches > 128:
            highest = self.lowest_pitch + self.n_pitches - 1
            raise RequestError(f"layout pitches {self.lowest_pitch}..{highest} exceed MIDI's 127")

    @classmethod
    def of(cls, value: SegmentLayout | Mapping) -> SegmentLayout:
        """A layout from itself or from a config's plain values (``data.layout``)."""
        return value if isinstance(value, cls) else cls(**{k: int(v) for k, v in dict(value).items()})

    @property
    def steps_per_bar(self) -> int:
        return self.steps_per_beat * self.beats_per_bar

    @property
    def segment_steps(self) -> int:
        return self.bars * self.steps_per_bar

    @property
    def net_shape(self) -> tuple[int, int, int, int]:
        """One segment as the nets see it: (bars, steps_per_bar, n_pitches, channels)."""
        return self.bars, self.steps_per_bar, self.n_pitches, len(NET_CHANNELS)

    def key(self) -> dict:
        return asdict(self)

    # -- conversions ----------------------------------------------------------------------------

    def to_net(self, pieces: np.ndarray) -> np.ndarray:
        """(..., steps, pitches, 2) uint8 pieces -> (..., bars, steps_per_bar, pitches, 3) float32."""
        pieces = np.asarray(pieces)
        sounding = pieces[..., SOUNDING].astype(np.float32)
        channels = np.stack([pieces[..., ONSET] > 0, sounding > 0, sounding / 127.0], axis=-1)
        shape = (*pieces.shape[:-3], -1, self.steps_per_bar, self.n_pitches, len(NET_CHANNELS))
        return channels.astype(np.float32).reshape(shape)

    def from_net(self, channels: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """(..., bars, steps_per_bar, pitches, 3) net output -> (..., bars * steps_per_bar, pitches, 2)
        uint8 pieces: a cell sounds above ``threshold``, an onset needs a sounding cell, and the
        velocity is read relative to the sounding probability (the generator scales it by that).
        The pieces are as written (:func:`as_written`): what the metrics and judges see is the MIDI."""
        channels = np.asarray(channels, dtype=np.float32)
        onset_p, sounding_p, velocity = (channels[..., i] for i in range(len(NET_CHANNELS)))
        sounding = sounding_p > threshold
        onset = (onset_p > threshold) & sounding
        level = np.clip(np.rint(velocity / np.maximum(sounding_p, 1e-6) * 127), 1, 127).astype(np.uint8)
        pieces = np.stack([np.where(sounding, level, 0), np.where(onset, level, 0)], axis=-1).astype(np.uint8)
        pieces = pieces.reshape(-1, self.segment_steps, self.n_pitches, 2)
        written = np.stack([as_written(piece) for piece in pieces]) if len(pieces) else pieces
        return written.reshape(*channels.shape[:-4], -1, self.n_pitches, 2)

    def classifier_roll(self, pieces: np.ndarray) -> np.ndarray:
        """(..., steps, pitches) float32 velocity / 127 where sounding: what segment classifiers read
        (the clip classifiers' velocity rolls, on the beat grid)."""
        return np.asarray(pieces)[..., SOUNDING].astype(np.float32) / 127.0


@dataclass(frozen=True)
class PieceNotes:
    """The notes of one piece, by onset: first step, steps held, pitch column and velocity."""

    start: np.ndarray
    length: np.ndarray
    column: np.ndarray
    velocity: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


def piece_notes(piece: np.ndarray) -> PieceNotes:
    """The notes of a (steps, pitches, 2) piece.

    A note starts at an onset, or where a pitch starts sounding without one (a note held in from
    before the segment); it lasts until the pitch falls silent or is struck again. Its velocity is
    its onset's (else the sounding value of its first step).
    """
    piece = np.asarray(piece)
    sounding, onset = piece[..., SOUNDING], piece[..., ONSET]
    steps, pitches = sounding.shape
    # Column-major with a silent step after each column, so no note runs from one pitch into the next.
    playing = np.zeros((pitches, steps + 1), dtype=bool)
    playing[:, :steps] = sounding.T > 0
    struck = np.zeros_like(playing)
    struck[:, :steps] = onset.T > 0
    before = np.pad(playing, ((0, 0), (1, 0)))[:, :-1]
    starts = playing & (struck | ~before)
    ends = ~playing | starts  # a note ends at the first step that is silent or struck again
    start_flat = np.flatnonzero(starts)
    end_flat = np.flatnonzero(ends)
    stop = end_flat[np.searchsorted(end_flat, start_flat, side="right")]
    column, start = np.divmod(start_flat, steps + 1)
    velocity = np.where(struck.flat[start_flat], onset.T.flat[column * steps + start], 0)
    velocity = np.where(velocity > 0, velocity, sounding.T.flat[column * steps + start])
    order = np.lexsort((column, start))
    return PieceNotes(
        start[order], (stop - start_flat)[order], column[order], velocity[order].astype(np.uint8)
    )


def piece_to_notes(piece: np.ndarray, layout: SegmentLayout, qpm: float = 120.0) -> Notes:
    """The notes of a (steps, pitches, 2) piece (:func:`piece_notes`), placed in beats."""
    notes = piece_notes(piece)
    start = notes.start / layout.steps_per_beat
    return Notes.from_beats(start, start + notes.length / layout.steps_per_beat,
                            layout.lowest_pitch + notes.column, notes.velocity, qpm, layout.beats_per_bar)  # fmt: skip


def as_written(piece: np.ndarray) -> np.ndarray:
    """The piece as its MIDI holds it: every note of :func:`piece_notes` with its onset, at the
    mean velocity of its steps throughout (a generated cell's velocity varies along a note; a MIDI
    note has one, and the mean of its steps is the least noisy estimate of it)."""
    notes = piece_notes(piece)
    written = np.zeros_like(piece)
    sounding = piece[..., SOUNDING]
    for start, length, column in zip(notes.start.tolist(), notes.length.tolist(), notes.column.tolist()):
        velocity = np.rint(sounding[start : start + length, column].mean())
        written[start : start + length, column, SOUNDING] = velocity
        written[start, column, ONSET] = velocity
    return written
