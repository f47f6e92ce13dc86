"""Read a MIDI file into flat note arrays (symusic parses; it is ~100x faster than pretty_midi)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import symusic


class MidiReadError(ValueError):
    """A file that is not readable MIDI, or holds no pitched notes."""


@dataclass(frozen=True)
class Notes:
    """All pitched notes of a piece, sorted by onset; each array has one entry per note.

    Times are given twice: in seconds (tempo-aware, for the report's 1/100 s piano roll) and in
    quarter-note beats (tempo-free, for beat-quantised rolls).
    """

    start_s: np.ndarray  # float64
    end_s: np.ndarray  # float64
    start_beat: np.ndarray  # float64
    end_beat: np.ndarray  # float64
    pitch: np.ndarray  # int16, MIDI 0..127
    velocity: np.ndarray  # uint8, 1..127
    beats_per_bar: int = 4
    # Sustain-pedal presses, in seconds (empty where a file has none).
    pedal_start_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pedal_end_s: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.pitch)


def _track_arrays(score: symusic.Score) -> dict[str, np.ndarray]:
    tracks = [t for t in score.tracks if not t.is_drum and len(t.notes)]
    if not tracks:
        return {}
    parts = [t.notes.numpy() for t in tracks]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def read_notes(midi: bytes) -> Notes:
    """Parse MIDI bytes; raise :class:`MidiReadError` if unreadable or without pitched notes."""
    try:
        score = symusic.Score.from_midi(midi)
        in_seconds = score.to("second")
    except Exception as error:  # symusic raises plain RuntimeError/ValueError on corrupt data
        raise MidiReadError(f"unreadable MIDI ({error})") from None
    ticks, seconds = _track_arrays(score), _track_arrays(in_seconds)
    if not ticks or len(ticks["pitch"]) == 0:
        raise MidiReadError("no pitched notes")
    # Stable sort: timsort is linear on the already-ordered notes most files hold.
    order = np.argsort(ticks["time"], kind="stable")
    tpq = float(score.ticks_per_quarter)
    start_beat = ticks["time"][order] / tpq
    signatures = score.time_signatures
    beats_per_bar = 4
    if len(signatures):
        # Beats here are quarter notes: a 6/8 bar is 3 of them.
        beats_per_bar = max(1, round(signatures[0].numerator * 4 / signatures[0].denominator))
    pedals = [t.pedals.numpy() for t in in_seconds.tracks if not t.is_drum and len(t.pedals)]
    pedal_start = np.concatenate([p["time"] for p in pedals]).astype(np.float64) if pedals else np.zeros(0)
    pedal_end = pedal_start + (np.concatenate([p["duration"] for p in pedals]) if pedals else 0.0)
    return Notes(
        start_s=seconds["time"][order].astype(np.float64),
        end_s=(seconds["time"] + seconds["duration"])[order].astype(np.float64),
        start_beat=start_beat,
        end_beat=start_beat + ticks["duration"][order] / tpq,
        pitch=ticks["pitch"][order].astype(np.int16),
        velocity=np.clip(ticks["velocity"][order], 1, 127).astype(np.uint8),
        beats_per_bar=beats_per_bar,
        pedal_start_s=pedal_start,
        pedal_end_s=pedal_end,
    )
