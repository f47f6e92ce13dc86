"""The real-vs-generated two-sample test: notes as they sound, window features pinned on hand-built
notes, and a test that fails both ways on real clips (real against real reads about .5, real
against its own notes with shuffled pitches near 1)."""

import dataclasses
import math

import numpy as np
import pytest

from emopia_lightning.data.labels import parse_clip_name
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import official_split
from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.realness import (
    Windows,
    clip_windows,
    real_windows,
    two_sample_test,
)
from emopia_lightning.generator_evaluation.window_features import (
    WINDOW_FEATURES,
    window_features,
)


def _notes(rows, pedal=()) -> Notes:
    """Notes at 120 bpm from (start beat, end beat, pitch, velocity), with pedal presses in seconds."""
    start, end, pitch, velocity = (np.array(column, dtype=float) for column in zip(*rows))
    notes = Notes.from_beats(start, end, pitch.astype(int), velocity.astype(int), qpm=120.0)
    presses = np.array(pedal, dtype=float).reshape(-1, 2)
    return dataclasses.replace(notes, pedal_start_s=presses[:, 0], pedal_end_s=presses[:, 1])


def test_notes_sound_as_the_pedal_and_re_strikes_let_them():
    # seconds: A 0-0.5 (released under the pedal 0.2-1.0), B 0.25-1.5 (held past the lift),
    # A again at 0.8 (cuts the pedalled A), C 2.0-2.2 (no pedal).
    notes = _notes(
        [(0, 1, 60, 80), (0.5, 3, 64, 80), (1.6, 2.0, 60, 80), (4, 4.4, 67, 80)], pedal=[(0.2, 1.0)]
    )
    by_start = np.argsort(notes.start_s)
    assert notes.sounding_ends()[by_start].tolist() == pytest.approx([0.8, 1.5, 1.0, 2.2])
    plain = dataclasses.replace(notes, pedal_start_s=np.zeros(0), pedal_end_s=np.zeros(0))
    assert np.array_equal(plain.sounding_ends(), plain.end_s)  # no pedal: as written


def test_window_features_of_a_hand_built_window():
    # 8 s: a C major triad (C3, E4, G4) for 4 s, then a 0.05 s D5, then silence.
    rows = [(0, 8, 48, 60), (0, 8, 64, 80), (0, 8, 67, 100), (8, 8.1, 74, 40)]
    (values,) = window_features(_notes(rows), bars=4, beats=16)
    got = dict(zip(WINDOW_FEATURES, values))
    frames = 400 + 5  # sounding 100 fps frames: the triad's, then the D's
    assert got == pytest.approx({
        "notes_per_second": 4 / 8, "polyphony": (400 * 3 + 5) / frames, "silence_share": 1 - frames / 800,
        "short_note_share": 1 / 4, "median_note_s": 4.0, "long_note_share": 3 / 4,
        "chord_size": 2.0, "chord_clash": 0.0, "chord_triad_fit": 1.0,  # two strikes: the triad, the D
        "triad_share": 400 / frames, "bass_pitch": (48 * 400 + 74 * 5) / frames,
        "bass_spread": math.sqrt(400 * 5 / frames**2 * (74 - 48) ** 2),  # two values, 400 : 5
        "bass_leap": 26.0, "top_pitch": (67 * 400 + 74 * 5) / frames, "top_leap": 7.0, "top_steps": 0.0,
        "triad_fit": 1.0, "clash_share": 0.0, "mean_pitch": (48 + 64 + 67 + 74) / 4, "pitch_range": 26.0,
        "mean_velocity": 70.0, "velocity_spread": math.sqrt((10**2 + 10**2 + 30**2 + 30**2) / 4),
        "pitch_class_entropy": 2.0, "note_interval": (16 + 3 + 7) / 3,
        "key_clarity": got["key_clarity"],  # Krumhansl-Kessler: pinned in classical's tests
    })  # fmt: skip
    assert got["key_clarity"] > 0.5
    # The pedal (4.02 s to 6 s, after the triad is released) holds the D until it lifts: no fragment, 2 s of D.
    (pedalled,) = window_features(_notes(rows, pedal=[(4.02, 6.0)]), bars=4, beats=16)
    got = dict(zip(WINDOW_FEATURES, pedalled))
    assert got["short_note_share"] == 0 and got["silence_share"] == pytest.approx(1 - 600 / 800)
    assert got["triad_share"] == pytest.approx(400 / 600)


def test_a_piece_is_cut_in_whole_windows_and_a_silent_one_has_no_note_features():
    windows = window_features(_notes([(0, 4, 60, 80)]), bars=4, beats=40)  # 2.5 windows: 2
    assert windows.shape == (2, len(WINDOW_FEATURES))
    silent = dict(zip(WINDOW_FEATURES, windows[1]))
    assert silent["notes_per_second"] == 0 and silent["silence_share"] == 1
    assert math.isnan(silent["polyphony"]) and math.isnan(silent["median_note_s"])
    # A real clip's length is its last note's sounding end: 4 bars and a beat give one window.
    assert window_features(_notes([(0, 17, 60, 80)]), bars=4).shape == (1, len(WINDOW_FEATURES))


@pytest.fixture(scope="module")
def split_stems(data_root):
    source = locate_emopia(data_root)
    stems = sorted(source.members)
    split = official_split([parse_clip_name(stem) for stem in stems], source.split_csvs)
    return source, {part: [stems[i] for i in split.part(part)] for part in ("train", "test")}


def test_real_against_real_reads_about_one_half(split_stems):
    source, stems = split_stems
    held_out = clip_windows(source, stems["test"])
    training = clip_windows(source, stems["train"][::8])  # about as many clips as the test songs hold
    result = two_sample_test(held_out, training, trees=100)
    assert result["auc"] < 0.65 and result["accuracy"] < 0.6
    assert result["windows"] == {"real": len(held_out), "generated": len(training)}
    assert len(result["give_away"]) == 5 and set(result["means"]) == set(WINDOW_FEATURES)


def test_real_against_its_own_notes_with_shuffled_pitches_reads_near_one(split_stems):
    source, stems = split_stems
    rng = np.random.default_rng(0)

    def shuffled(notes: Notes) -> Notes:
        return dataclasses.replace(notes, pitch=rng.permutation(notes.pitch))

    real = clip_windows(source, stems["test"])
    result = two_sample_test(real, clip_windows(source, stems["test"], transform=shuffled), trees=100)
    assert result["auc"] > 0.9
    give_away = {row["feature"]: row for row in result["give_away"]}
    assert give_away["triad_fit"]["real"] > give_away["triad_fit"]["generated"]  # harmony is what goes


def test_hand_built_windows_apart_and_alike_and_too_few_groups_refused():
    rng = np.random.default_rng(0)
    low = Windows(rng.normal(0, 1, (60, len(WINDOW_FEATURES))), np.repeat(np.arange(10), 6))
    high = Windows(rng.normal(5, 1, (60, len(WINDOW_FEATURES))), np.repeat(np.arange(10), 6))
    same = Windows(rng.normal(0, 1, (60, len(WINDOW_FEATURES))), np.repeat(np.arange(10), 6))
    assert two_sample_test(low, high, trees=20)["auc"] == 1.0
    assert two_sample_test(low, same, trees=20)["auc"] < 0.7
    with pytest.raises(RequestError, match="at least 5 songs and 5 pieces"):
        two_sample_test(low, Windows(high.features[:6], np.zeros(6)), trees=20)


def test_real_windows_are_cached_and_parts_checked(tmp_path, data_root):
    first = real_windows(str(data_root), str(tmp_path), ["test"])
    (entry,) = tmp_path.glob("realness_windows-*/windows.npz")
    again = real_windows(str(data_root), str(tmp_path), ["test"])
    assert np.array_equal(first.features, again.features, equal_nan=True)
    assert first.groups.tolist() == again.groups.tolist() and entry.is_file()
    with pytest.raises(RequestError, match="real_parts"):
        real_windows(str(data_root), None, ["holdout"])
