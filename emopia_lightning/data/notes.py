"""Read a MIDI file into flat note arrays: the one step between bytes and notes, for every path that
reads MIDI (the corpus, ``predict``, the tests' generated files). symusic parses (it is ~100x faster
than pretty_midi); then each file is read as it is, repaired with a named note in ``Notes.repairs``,
or refused with :class:`MidiReadError` naming the reason.

Refused: bytes that are not MIDI, a header with 0 ticks per quarter note or SMPTE time, a type-2
file (independent patterns, not one piece), times that are not finite, no pitched notes.
Repaired: tempi outside 10..1000 bpm (or zero: "0 microseconds a beat") are replaced by one 120 bpm
tempo; notes outside the piano's MIDI 21..108 are dropped; drum tracks are dropped and the pitched
tracks merged; notes starting after MAX_SECONDS are dropped and those running past it cut there, so
that no file makes more than about 8 MB of 100 fps roll. Overlapping notes of one pitch are kept as
they are (the rolls write the louder over the softer).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import symusic

from emopia_lightning.errors import InputFileError


class MidiReadError(InputFileError):
    """A file that is not readable MIDI, or holds no pitched notes."""


MAX_SECONDS = 600.0  # 10 minutes: at 100 fps x 128 pitches, 7.7 MB of roll at most
PIANO = (21, 108)  # A0..C8
TEMPO_RANGE = (10.0, 1000.0)  # beats per minute read as real; others fall back to FALLBACK_QPM
FALLBACK_QPM = 120.0


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
    repairs: tuple[str, ...] = ()  # what reading changed, "kind: detail" each (empty: read as it is)

    def __len__(self) -> int:
        return len(self.pitch)

    @classmethod
    def from_beats(cls, start_beat, end_beat, pitch, velocity, qpm: float = FALLBACK_QPM,
                   beats_per_bar: int = 4) -> Notes:  # fmt: skip
        """Notes placed in beats (a generator's), timed in seconds at one tempo, sorted by onset."""
        start_beat, end_beat = (
            np.asarray(start_beat, dtype=np.float64),
            np.asarray(end_beat, dtype=np.float64),
        )
        order = np.lexsort((np.asarray(pitch), start_beat))
        seconds_per_beat = 60.0 / qpm
        return cls(
            start_s=start_beat[order] * seconds_per_beat,
            end_s=end_beat[order] * seconds_per_beat,
            start_beat=start_beat[order],
            end_beat=end_beat[order],
            pitch=np.asarray(pitch, dtype=np.int16)[order],
            velocity=np.clip(np.asarray(velocity), 1, 127).astype(np.uint8)[order],
            beats_per_bar=beats_per_bar,
        )

    def transposed(self, semitones: int) -> Notes:
        """Every note moved by ``semitones``; notes pushed off the piano (``PIANO``) are dropped."""
        pitch = self.pitch.astype(np.int32) + int(semitones)
        keep = (pitch >= PIANO[0]) & (pitch <= PIANO[1])
        moved = {
            name: getattr(self, name)[keep]
            for name in ("start_s", "end_s", "start_beat", "end_beat", "velocity")
        }
        return dataclasses.replace(self, pitch=pitch[keep].astype(np.int16), **moved)

    def sounding_ends(self) -> np.ndarray:
        """(n,) when each note stops sounding, in seconds.

        A note released while the sustain pedal is down sounds until the pedal lifts; a note held
        down past the pedal's release ends when it is released; the sound of a key struck again
        ends at the new strike (the note's own held length is kept: overlapping MIDI notes are read
        as they are).
        """
        ends = np.asarray(self.end_s, dtype=np.float64).copy()
        if len(self.pedal_start_s):
            order = np.argsort(self.pedal_start_s)
            pressed, lifted = self.pedal_start_s[order], self.pedal_end_s[order]
            press = np.maximum(np.searchsorted(pressed, ends, side="right") - 1, 0)  # the last press before
            down = (pressed[press] <= ends) & (ends < lifted[press])
            ends = np.where(down, lifted[press], ends)
        order = np.lexsort((self.start_s, self.pitch))  # by key, then time
        next_strike = np.full(len(ends), np.inf)
        same_key = self.pitch[order][1:] == self.pitch[order][:-1]
        next_strike[order[:-1][same_key]] = self.start_s[order][1:][same_key]
        return np.minimum(ends, np.maximum(next_strike, self.end_s))

    def as_sounding(self) -> Notes:
        """The notes as they sound: each held until ``sounding_ends`` (in beats through the piece's
        own tempo map, read off its notes' times), and no pedal left to apply."""
        if not len(self) or not len(self.pedal_start_s):
            return dataclasses.replace(self, pedal_start_s=np.zeros(0), pedal_end_s=np.zeros(0))
        seconds = np.concatenate([self.start_s, self.end_s])
        beats = np.concatenate([self.start_beat, self.end_beat])
        order = np.argsort(seconds, kind="stable")
        seconds, beats = seconds[order], beats[order]
        ends_s = self.sounding_ends()
        ends_beat = np.interp(ends_s, seconds, beats)
        past = ends_s > seconds[-1]  # beyond the last note's end: at the last tempo
        if past.any():
            span = max(seconds[-1] - seconds[0], 1e-9)
            ends_beat[past] = beats[-1] + (ends_s[past] - seconds[-1]) * (beats[-1] - beats[0]) / span
        return dataclasses.replace(
            self, end_s=ends_s, end_beat=np.maximum(ends_beat, self.end_beat),
            pedal_start_s=np.zeros(0), pedal_end_s=np.zeros(0),
        )  # fmt: skip

    def to_score(self, qpm: float | None = None, ticks_per_beat: int = 480) -> symusic.Score:
        """One piano track in ticks of ``ticks_per_beat``, each note a tick at least; with ``qpm``
        also that tempo and the bar's time signature (what a MIDI file of the piece holds)."""
        start = np.round(self.start_beat * ticks_per_beat).astype(np.int32)
        duration = np.maximum(1, np.round((self.end_beat - self.start_beat) * ticks_per_beat)).astype(
            np.int32
        )
        track = symusic.Track("Piano", 0, False)
        track.notes.extend(
            symusic.Note.from_numpy(
                start, duration, self.pitch.astype(np.int8), self.velocity.astype(np.int8)
            )
        )
        score = symusic.Score(ticks_per_beat)
        if qpm is not None:
            score.tempos.append(symusic.Tempo(0, qpm))
            score.time_signatures.append(symusic.TimeSignature(0, self.beats_per_bar, 4))
        score.tracks.append(track)
        return score


def _track_arrays(score: symusic.Score) -> dict[str, np.ndarray]:
    tracks = [t for t in score.tracks if not t.is_drum and len(t.notes)]
    if not tracks:
        return {}
    parts = [t.notes.numpy() for t in tracks]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _header(midi: bytes) -> None:
    """Refuse what symusic would read into garbage or reject with a cryptic message."""
    if len(midi) < 14 or midi[:4] != b"MThd":
        raise MidiReadError("unreadable MIDI (no MThd header)")
    file_format, division = int.from_bytes(midi[8:10], "big"), int.from_bytes(midi[12:14], "big")
    if division & 0x8000:
        raise MidiReadError("SMPTE time division (frames per second), not ticks per quarter note")
    if division == 0:
        raise MidiReadError("header says 0 ticks per quarter note")
    if file_format == 2:
        raise MidiReadError("type-2 MIDI (independent patterns, not one piece)")


def _parse(midi: bytes) -> tuple[symusic.Score, list[str]]:
    _header(midi)
    try:
        score = symusic.Score.from_midi(midi)
    except Exception as error:  # symusic raises plain RuntimeError/ValueError on corrupt data
        raise MidiReadError(f"unreadable MIDI ({error})") from None
    repairs = []
    low, high = TEMPO_RANGE
    odd = [t.qpm for t in score.tempos if not (math.isfinite(t.qpm) and low <= t.qpm <= high)]
    if odd:
        shown = ", ".join(f"{q:g}" for q in sorted(set(odd))[:3])
        repairs.append(f"tempo outside {low:g}..{high:g} bpm: {shown} bpm read as {FALLBACK_QPM:g}")
        score.tempos.clear()
        score.tempos.append(symusic.Tempo(0, FALLBACK_QPM))
    drums = sum(len(t.notes) for t in score.tracks if t.is_drum)
    if drums:
        repairs.append(f"drum notes dropped: {drums}")
    return score, repairs


def _keep(arrays: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {key: values[keep] for key, values in arrays.items()}


def read_notes(midi: bytes) -> Notes:
    """Parse and check MIDI bytes (see the module docstring); raise :class:`MidiReadError` with the
    reason for a file that cannot be read as music."""
    score, repairs = _parse(midi)
    in_seconds = score.to("second")
    ticks, seconds = _track_arrays(score), _track_arrays(in_seconds)
    if not ticks or len(ticks["pitch"]) == 0:
        raise MidiReadError("no pitched notes")
    if not (np.isfinite(seconds["time"]).all() and np.isfinite(seconds["duration"]).all()):
        raise MidiReadError("note times are not finite")
    on_piano = (ticks["pitch"] >= PIANO[0]) & (ticks["pitch"] <= PIANO[1])
    if not on_piano.all():
        repairs.append(
            f"notes outside the piano (MIDI {PIANO[0]}..{PIANO[1]}) dropped: {int((~on_piano).sum())}"
        )
    in_time = seconds["time"] < MAX_SECONDS
    if not in_time.all():
        repairs.append(f"notes starting after {MAX_SECONDS:g} s dropped: {int((~in_time).sum())}")
    kept = on_piano & in_time
    ticks, seconds = _keep(ticks, kept), _keep(seconds, kept)
    if len(ticks["pitch"]) == 0:
        raise MidiReadError(f"no pitched notes on the piano within {MAX_SECONDS:g} s")
    # Stable sort: timsort is linear on the already-ordered notes most files hold.
    order = np.argsort(ticks["time"], kind="stable")
    tpq = float(score.ticks_per_quarter)
    start_s = seconds["time"][order].astype(np.float64)
    end_s = (seconds["time"] + seconds["duration"])[order].astype(np.float64)
    start_beat = ticks["time"][order] / tpq
    end_beat = start_beat + ticks["duration"][order] / tpq
    over = end_s > MAX_SECONDS
    if over.any():  # cut at MAX_SECONDS, in beats at the same share of the note
        repairs.append(f"notes cut at {MAX_SECONDS:g} s: {int(over.sum())}")
        share = (MAX_SECONDS - start_s[over]) / (end_s[over] - start_s[over])
        end_beat[over] = start_beat[over] + share * (end_beat[over] - start_beat[over])
        end_s[over] = MAX_SECONDS
    signatures = score.time_signatures
    beats_per_bar = 4
    if len(signatures):
        # Beats here are quarter notes: a 6/8 bar is 3 of them.
        beats_per_bar = max(1, round(signatures[0].numerator * 4 / signatures[0].denominator))
    pedals = [t.pedals.numpy() for t in in_seconds.tracks if not t.is_drum and len(t.pedals)]
    pedal_start = np.concatenate([p["time"] for p in pedals]).astype(np.float64) if pedals else np.zeros(0)
    pedal_end = pedal_start + (np.concatenate([p["duration"] for p in pedals]) if pedals else 0.0)
    pedalled = pedal_start < MAX_SECONDS
    pedal_start, pedal_end = pedal_start[pedalled], np.minimum(pedal_end[pedalled], MAX_SECONDS)
    return Notes(
        start_s=start_s,
        end_s=end_s,
        start_beat=start_beat,
        end_beat=end_beat,
        pitch=ticks["pitch"][order].astype(np.int16),
        velocity=np.clip(ticks["velocity"][order], 1, 127).astype(np.uint8),
        beats_per_bar=beats_per_bar,
        pedal_start_s=pedal_start,
        pedal_end_s=pedal_end,
        repairs=tuple(repairs),
    )
