"""A corpus of awkward and broken MIDI files, built in code, byte by byte where symusic would not
write them: every category the reader reads, repairs or skips (``data.notes``, ``data.source``).

``BAD_CASES`` maps a clip file name to (its bytes, or ``None`` for a directory of that name; the
decision: ``read``, ``repaired`` or ``skipped``; a piece of the reason or repair that must be named).
"""

from __future__ import annotations

import struct
from pathlib import Path


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def _track(events: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(_vlq(delta) + event for delta, event in events) + _vlq(0) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(body)) + body


def midi(tracks: list[list[tuple[int, bytes]]], division: int = 480, file_format: int | None = None) -> bytes:
    """A standard MIDI file of ``tracks`` (lists of (delta ticks, event bytes))."""
    file_format = (0 if len(tracks) == 1 else 1) if file_format is None else file_format
    header = struct.pack(">IHHH", 6, file_format, len(tracks), division)
    return b"MThd" + header + b"".join(_track(t) for t in tracks)


def note(pitch: int, velocity: int = 80, length: int = 480, channel: int = 0, delta: int = 0) -> list:
    return [(delta, bytes([0x90 | channel, pitch, velocity])), (length, bytes([0x80 | channel, pitch, 0]))]


def tempo(microseconds_per_beat: int) -> tuple[int, bytes]:
    return 0, b"\xff\x51\x03" + microseconds_per_beat.to_bytes(3, "big")


def melody(channel: int = 0) -> list:
    return [event for i in range(8) for event in note(60 + i, 70 + i, channel=channel)]


GOOD = midi([melody()])

BAD_CASES: dict[str, tuple[bytes | None, str, str]] = {
    "Q1_zero_division_0.mid": (midi([melody()], division=0), "skipped", "0 ticks per quarter note"),
    "Q1_smpte_0.mid": (midi([melody()], division=0xE728), "skipped", "SMPTE time division"),
    "Q2_x_0.mid": (None, "skipped", "cannot read the file"),  # a directory named like a clip
    "Q2_zero_tempo_0.mid": (midi([[tempo(0), *melody()]]), "repaired", "tempo outside 10..1000 bpm"),
    "Q2_slow_tempo_0.mid": (midi([[tempo(0xFFFFFF), *melody()]]), "repaired", "tempo outside 10..1000 bpm"),
    "Q3_late_note_0.mid": (
        midi([[*melody(), *note(62, delta=20_000_000)]]),
        "repaired",
        "notes starting after 600 s dropped: 1",
    ),
    "Q3_endless_note_0.mid": (midi([note(60, length=2_000_000)]), "repaired", "notes cut at 600 s: 1"),
    "Q3_no_notes_0.mid": (midi([[tempo(500_000)]]), "skipped", "no pitched notes"),
    "Q4_drums_only_0.mid": (midi([melody(channel=9)]), "skipped", "no pitched notes"),
    "Q4_never_released_0.mid": (midi([[(0, bytes([0x90, 60, 80]))]]), "skipped", "no pitched notes"),
    "Q4_truncated_0.mid": (GOOD[:40], "skipped", "unreadable MIDI"),
    "Q1_random_bytes_0.mid": (bytes(range(7, 250, 3)) * 4, "skipped", "unreadable MIDI"),
    "Q1_type_two_0.mid": (midi([melody(), melody()], file_format=2), "skipped", "type-2 MIDI"),
    "Q2_off_the_piano_0.mid": (
        midi([[*note(10), *melody(), *note(120)]]),
        "repaired",
        "notes outside the piano (MIDI 21..108) dropped: 2",
    ),
    "Q3_band_with_drums_0.mid": (  # General MIDI: piano, bass, drums
        midi([melody(), melody(channel=1), melody(channel=9)]),
        "repaired",
        "drum notes dropped: 8",
    ),
    "Q4_overlapping_0.mid": (  # C4 struck again while still held
        midi(
            [[(0, b"\x90\x3c\x5a"), (240, b"\x90\x3c\x32"), (480, b"\x80\x3c\x00"), (480, b"\x80\x3c\x00")]]
        ),
        "read",
        "",
    ),
    "Q5_bad_quadrant_0.mid": (GOOD, "skipped", "not an EMOPIA clip name"),
    "no_label.mid": (GOOD, "skipped", "not an EMOPIA clip name"),
}


def write_bad_cases(folder: Path) -> list[str]:
    """Write every bad case into ``folder`` (beside whatever is there); returns their stems."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (blob, _, _) in BAD_CASES.items():
        if blob is None:
            (folder / name).mkdir()
        else:
            (folder / name).write_bytes(blob)
    return [name.rsplit(".", 1)[0] for name in BAD_CASES]
