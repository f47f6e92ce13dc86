"""Exact values of notes and rolls on hand-built MIDI; sanity on real clips."""

import numpy as np
import pytest

from conftest import make_midi
from emopia_lightning.data.notes import MidiReadError, Notes, read_notes
from emopia_lightning.data.rolls import BeatRollSpec, TimeRollSpec, cut_segments, fold_into_range
from emopia_lightning.data.segment_layout import ONSET, SOUNDING, SegmentLayout
from emopia_lightning.errors import RequestError

# At 120 bpm and 480 ticks per quarter, 480 ticks = one beat = 0.5 s.
TWO_NOTES = [(0, 480, 60, 100), (480, 240, 64, 50)]


def test_read_notes_gives_seconds_and_beats():
    notes = read_notes(make_midi(TWO_NOTES))
    np.testing.assert_allclose(notes.start_s, [0.0, 0.5])
    np.testing.assert_allclose(notes.end_s, [0.5, 0.75])
    np.testing.assert_allclose(notes.start_beat, [0.0, 1.0])
    np.testing.assert_allclose(notes.end_beat, [1.0, 1.5])
    assert notes.pitch.tolist() == [60, 64] and notes.velocity.tolist() == [100, 50]
    assert notes.beats_per_bar == 4


def test_read_notes_sorts_by_onset_and_follows_tempo():
    notes = read_notes(make_midi([(960, 480, 67, 90), (0, 480, 60, 80)], qpm=60.0))
    assert notes.pitch.tolist() == [60, 67]
    np.testing.assert_allclose(notes.start_s, [0.0, 2.0])  # 60 bpm: one second per beat


def test_time_roll_exact_cells_binary_and_velocity():
    notes = read_notes(make_midi(TWO_NOTES))
    binary = TimeRollSpec(fs=10, lowest_pitch=60, n_pitches=12).render(notes)
    assert binary.shape == (8, 12) and binary.dtype == np.uint8  # ends at 0.75 s -> 8 frames
    expected = np.zeros((8, 12), np.uint8)
    expected[0:5, 0] = 1  # C4 for 0.5 s
    expected[5:8, 4] = 1  # E4 from 0.5 s to 0.75 s (7.5 rounds to 8)
    np.testing.assert_array_equal(binary, expected)
    velocity = TimeRollSpec(fs=10, lowest_pitch=60, n_pitches=12, velocity=True).render(notes)
    np.testing.assert_array_equal(velocity, expected * np.where(np.arange(12) == 4, 50, 100))


def _notes(start_s, end_s, pitch, velocity) -> Notes:
    start, end = np.array(start_s, float), np.array(end_s, float)
    return Notes(start, end, start * 2, end * 2, np.array(pitch, np.int16), np.array(velocity, np.uint8))


def test_time_roll_overlapping_notes_keep_the_loudest_and_short_notes_keep_a_frame():
    # Built directly: overlapping same-pitch notes are ambiguous once written to MIDI.
    notes = _notes([0.0, 0.25, 1.0], [1.0, 0.5, 1.001], [60, 60, 62], [40, 110, 70])
    roll = TimeRollSpec(fs=4, lowest_pitch=60, n_pitches=12, velocity=True).render(notes)
    # fs=4: a frame is 0.25 s. The loud note covers frame 1 only; the 1 ms note keeps one frame.
    assert roll[:, 0].tolist() == [40, 110, 40, 40, 0]
    assert roll[:, 2].tolist() == [0, 0, 0, 0, 70]
    loud_first = _notes([0.0, 0.25], [1.0, 0.5], [60, 60], [110, 40])
    assert (
        TimeRollSpec(fs=4, lowest_pitch=60, n_pitches=12, velocity=True).render(loud_first)[:, 0].tolist()
        == [110] * 4
    )


def test_report_roll_is_128_pitches_at_100_fps():
    notes = read_notes(make_midi(TWO_NOTES))
    roll = TimeRollSpec().render(notes)
    assert roll.shape == (75, 128) and roll[:50, 60].all() and roll[50:, 64].all()
    assert roll.sum() == 75


def test_fold_into_range_moves_by_octaves_keeping_pitch_class():
    folded = fold_into_range(np.array([10, 21, 60, 104, 105, 127]), lowest=21, n_pitches=84)
    assert folded.tolist() == [22, 21, 60, 104, 93, 103]
    assert (folded % 12 == np.array([10, 21, 60, 104, 105, 127]) % 12).all()
    with pytest.raises(RequestError, match="octave"):
        fold_into_range(np.array([60]), 60, 11)


def test_beat_roll_quantises_to_sixteenth_steps_with_sounding_and_onset_velocities():
    # C4 struck twice back to back (100, then 40), D4 at 500 ticks
    notes = read_notes(make_midi([(0, 240, 60, 100), (240, 240, 60, 40), (500, 100, 62, 90)]))
    piece = BeatRollSpec(steps_per_beat=4, lowest_pitch=60, n_pitches=12).render(notes).reshape(-1, 12, 2)
    # Note 3 starts at 500/120 = 4.17 -> step 4 and ends at 600/120 = 5 -> step 5.
    assert piece.shape == (5, 12, 2)
    assert piece[:, 0, SOUNDING].tolist() == [100, 100, 40, 40, 0] and piece[:, 0, ONSET].tolist() == [
        100,
        0,
        40,
        0,
        0,
    ]
    assert piece[:, 2, SOUNDING].tolist() == [0, 0, 0, 0, 90] and piece[:, 2, ONSET].tolist() == [
        0,
        0,
        0,
        0,
        90,
    ]


def test_cut_segments_keeps_whole_segments_only():
    roll = np.arange(10 * 16 * 3).reshape(160, 3) % 2  # 10 bars of 16 steps, 3 pitches
    segments = cut_segments(roll, steps_per_bar=16, bars_per_segment=4)
    assert segments.shape == (2, 4, 16, 3)  # bars 0-3 and 4-7; bars 8-9 are too short
    np.testing.assert_array_equal(segments[1].reshape(64, 3), roll[64:128])
    overlapping = cut_segments(roll, steps_per_bar=16, bars_per_segment=4, hop_bars=2)
    assert overlapping.shape == (4, 4, 16, 3)
    assert cut_segments(roll[:20], 16, 4).shape == (0, 4, 16, 3)


def test_real_clip_rolls_span_the_clip(real_clips):
    for blob in real_clips.values():
        notes = read_notes(blob)
        roll = TimeRollSpec(fs=100, velocity=True).render(notes)
        assert len(roll) == round(notes.end_s.max() * 100)
        assert roll.max() == notes.velocity.max() and 22 <= notes.pitch.min() <= notes.pitch.max() <= 105
        segments = cut_segments(BeatRollSpec.of(SegmentLayout()).render(notes), 16, 4)
        assert segments.shape[1:] == (4, 16, 84 * 2) and segments.sum() > 0


@pytest.mark.parametrize("blob, reason", [(b"garbage", "unreadable MIDI"), (b"", "unreadable MIDI")])
def test_unreadable_bytes_raise_a_clear_error(blob, reason):
    with pytest.raises(MidiReadError, match=reason):
        read_notes(blob)


def test_midi_without_notes_is_rejected():
    with pytest.raises(MidiReadError, match="no pitched notes"):
        read_notes(make_midi([]))
