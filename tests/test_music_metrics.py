"""Every musical metric pinned on hand-built rolls, and checked against muspy on real clips."""

import math

import muspy
import numpy as np
import pytest

from conftest import piece_of
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.rolls import BeatRollSpec, cut_segments
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.generator_evaluation.comparisons import arousal_claim, per_quadrant_comparison
from emopia_lightning.generator_evaluation.emotion_scores import chance_scores, emotion_scores
from emopia_lightning.generator_evaluation.music_metrics import (
    METRICS,
    metric_table,
    overlapping_area,
    segment_metrics,
)
from emopia_lightning.render.midi import write_midi

FMT = SegmentLayout()  # MIDI 22.., 16 steps a bar, 4 bars a segment
C4, E4, G4 = 60 - 22, 64 - 22, 67 - 22  # roll columns


def _roll(bars: int = 4, notes=()) -> np.ndarray:
    return piece_of(list(notes), bars * FMT.steps_per_bar)


def test_every_metric_of_a_hand_built_segment():
    # Bar 1 only: C4 held a beat (4 steps), then E4 for one step and G4 for two, together.
    roll = _roll(notes=[(0, 4, C4, 100), (4, 1, E4, 60), (4, 2, G4, 80)])
    values = segment_metrics(roll, FMT, qualified_steps=2)
    assert set(values) == set(METRICS)
    assert values == pytest.approx(
        {
            "note_density": 3 / 4,  # 3 notes over 4 bars
            "mean_pitch": (60 + 64 + 67) / 3,
            "pitch_range": 7,
            "pitch_classes_used": 3,
            "polyphony": 7 / 6,  # steps 0-3: one pitch, step 4: two, step 5: one
            "bass_pitch": (4 * 60 + 64 + 67) / 6,  # the lowest sounding: C4 x 4, E4, G4
            "bass_spread": math.sqrt(
                (4 * (60 - 371 / 6) ** 2 + (64 - 371 / 6) ** 2 + (67 - 371 / 6) ** 2) / 6
            ),
            "triad_share": 0.0,  # C4 is gone before E4 and G4 sound
            "scale_consistency": 1.0,  # C, E, G lie in C major
            "pitch_class_entropy": math.log2(3),
            "empty_beat_rate": 14 / 16,  # sound in beats 1 and 2 only
            "groove_consistency": 1 - 2 / 48,  # onsets at steps 0 and 4 of bar 1; bars 2-4 have none
            "empty_bars": 3 / 4,
            "used_pitch_classes": 3,  # averaged over the one non-empty bar
            "qualified_note_rate": 2 / 3,  # the one-step E4 is a fragment
            "long_note_rate": 0.0,
            "mean_velocity": 80.0,
            "velocity_spread": math.sqrt((20**2 + 20**2) / 3),
        }
    )


def test_a_re_struck_note_is_two_notes_and_a_held_one_is_long():
    # C4 struck at step 0 and again at 4 without a gap; G4 held from bar 1 into bar 2 (20 steps).
    roll = _roll(notes=[(0, 4, C4, 90), (4, 4, C4, 50), (0, 20, G4, 70)])
    values = segment_metrics(roll, FMT)
    assert values["note_density"] == 3 / 4
    assert values["long_note_rate"] == pytest.approx(1 / 3) and values["qualified_note_rate"] == 1.0
    assert values["mean_velocity"] == pytest.approx(70.0)


def test_an_empty_segment_has_no_note_metrics_and_is_all_empty():
    values = segment_metrics(_roll(), FMT)
    assert values["note_density"] == 0 and values["empty_beat_rate"] == 1 and values["empty_bars"] == 1
    for name in ("mean_pitch", "pitch_range", "polyphony", "scale_consistency", "qualified_note_rate",
                 "mean_velocity", "velocity_spread", "long_note_rate", "bass_pitch", "bass_spread",
                 "triad_share"):  # fmt: skip
        assert math.isnan(values[name]), name


def test_scale_groove_and_pitch_classes_on_chromatic_and_repeated_bars():
    # a chromatic run of 12 sixteenths in bar 1, the same run in bar 2
    roll = _roll(2, [(bar + pitch, 1, C4 + pitch, 80) for pitch in range(12) for bar in (0, 16)])
    values = segment_metrics(roll, FMT)
    assert values["scale_consistency"] == pytest.approx(7 / 12)  # the most of 12 in any 7-note scale
    assert values["pitch_class_entropy"] == pytest.approx(math.log2(12))
    assert values["groove_consistency"] == 1.0  # both bars have onsets at steps 0..11
    assert values["used_pitch_classes"] == 12 and values["qualified_note_rate"] == 0
    # Octaves are one pitch class; the range counts semitones.
    octaves = _roll(1, [(0, 8, C4 + octave, 80) for octave in (0, 12, 24)])
    values = segment_metrics(octaves, FMT)
    assert values["pitch_classes_used"] == 1 and values["pitch_range"] == 24 and values["polyphony"] == 3


def test_bass_line_and_triads_of_hand_built_chords():
    a3, d4 = 57 - 22, 62 - 22
    # C major (C4 E4 G4) for 4 steps, A minor over A3 (A3 C4 E4) for 2, C4 D4 G4 (no triad) for 2.
    chords = [(0, 4, (C4, E4, G4)), (4, 2, (a3, C4, E4)), (6, 2, (C4, d4, G4))]
    roll = _roll(
        notes=[(start, length, column, 80) for start, length, columns in chords for column in columns]
    )
    values = segment_metrics(roll, FMT)
    assert values["triad_share"] == 6 / 8 and values["polyphony"] == 3
    assert values["bass_pitch"] == (6 * 60 + 2 * 57) / 8
    assert values["bass_spread"] == pytest.approx(math.sqrt((6 * 0.75**2 + 2 * 2.25**2) / 8))
    # A triad spread over octaves, other notes beside it, still holds one; a lone fifth does not.
    spread = _roll(1, [(0, 4, C4 - 12, 80), (0, 4, E4 + 12, 80), (0, 4, G4, 80), (0, 4, d4, 80)])
    fifth = _roll(1, [(0, 4, C4, 80), (0, 4, G4, 80)])
    assert (
        segment_metrics(spread, FMT)["triad_share"] == 1 and segment_metrics(fifth, FMT)["triad_share"] == 0
    )


def _bass_and_triads_by_hand(roll: np.ndarray) -> tuple[float, float, float]:
    """(bass mean, bass spread, triad share) of a (time, 128) roll, one frame at a time in sets."""
    bass, triads = [], 0
    for frame in roll:
        pitches = np.flatnonzero(frame)
        if not len(pitches):
            continue
        bass.append(pitches.min())
        classes = {int(p) % 12 for p in pitches}
        triads += any(
            {r, (r + 7) % 12} <= classes and ({(r + 3) % 12, (r + 4) % 12} & classes) for r in range(12)
        )
    return float(np.mean(bass)), float(np.std(bass)), triads / len(bass)


def test_bass_and_triads_agree_with_muspy_s_piano_roll_of_our_midi(tmp_path, real_clips):
    spec = BeatRollSpec.of(FMT)
    for stem, blob in list(real_clips.items())[:4]:
        segment = cut_segments(spec.render(read_notes(blob)), 16, 4)[0].reshape(64, 84, 2)
        music = muspy.read_midi(write_midi(segment, tmp_path / f"{stem}.mid", FMT))
        roll = muspy.to_pianoroll_representation(music, encode_velocity=False)  # (ticks, 128)
        values = segment_metrics(segment, FMT)
        ours = (values["bass_pitch"], values["bass_spread"], values["triad_share"])
        assert ours == pytest.approx(_bass_and_triads_by_hand(roll)), stem


def test_empty_beats_count_to_the_end_of_the_segment_not_to_the_last_note():
    roll = _roll(notes=[(0, 16, C4, 80)])  # one whole note in bar 1, then three silent bars
    assert segment_metrics(roll, FMT)["empty_beat_rate"] == 12 / 16


def test_a_roll_of_part_of_a_bar_is_refused():
    with pytest.raises(ValueError, match="not whole bars"):
        segment_metrics(np.zeros((20, 84, 2), dtype=np.uint8), FMT)


def test_muspy_metrics_agree_with_muspy_reading_our_midi_of_real_segments(tmp_path, real_clips):
    spec = BeatRollSpec.of(FMT)
    names = ("pitch_range", "n_pitch_classes_used", "polyphony", "scale_consistency", "pitch_class_entropy")
    ours = {"n_pitch_classes_used": "pitch_classes_used"}
    for stem, blob in list(real_clips.items())[:4]:
        segment = cut_segments(spec.render(read_notes(blob)), 16, 4)[0].reshape(64, 84, 2)
        music = muspy.read_midi(write_midi(segment, tmp_path / f"{stem}.mid", FMT))
        values = segment_metrics(segment, FMT)
        for name in names:
            assert values[ours.get(name, name)] == pytest.approx(getattr(muspy, name)(music)), (stem, name)
        notes = [n for track in music.tracks for n in track.notes]
        assert values["note_density"] == len(notes) / 4
        assert values["mean_pitch"] == pytest.approx(np.mean([n.pitch for n in notes]))
        assert values["mean_velocity"] == pytest.approx(np.mean([n.velocity for n in notes]))


def test_metric_table_stacks_segment_metrics():
    rolls = np.stack([_roll(), _roll(notes=[(0, 8, C4, 80)])])
    table = metric_table(rolls, FMT)
    assert table["note_density"].tolist() == [0.0, 0.25]
    assert math.isnan(table["mean_pitch"][0]) and table["mean_pitch"][1] == 60


def test_overlapping_area_of_histograms():
    assert overlapping_area([0, 0, 0, 1], [0, 1, 1, 1], bins=2) == pytest.approx(0.5)
    assert overlapping_area([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert overlapping_area([0, 0], [5, 5]) == 0.0
    assert overlapping_area([2, 2], [2, 2]) == 1.0  # one value on both sides
    assert overlapping_area([0, np.nan, 0, 1], [np.nan, 0, 1, 1], bins=2) == pytest.approx(2 / 3)
    assert math.isnan(overlapping_area([np.nan], [1.0]))


def test_emotion_scores_read_arousal_and_valence_off_quadrants():
    targets = [0, 0, 1, 2, 3, 3]
    predictions = [0, 1, 1, 3, 3, 2]
    scores = emotion_scores(targets, predictions)
    assert scores["accuracy"] == pytest.approx(3 / 6)
    assert scores["per_quadrant"] == pytest.approx({"Q1": 0.5, "Q2": 1.0, "Q3": 0.0, "Q4": 0.5})
    assert scores["arousal_accuracy"] == 1.0  # every mistake stays on its arousal side
    assert scores["valence_accuracy"] == pytest.approx(3 / 6)  # Q1->Q2, Q3->Q4, Q4->Q3 flip valence
    assert scores["confusion"][0] == [1, 1, 0, 0] and np.sum(scores["confusion"]) == 6
    with pytest.raises(ValueError, match="as many predictions"):
        emotion_scores([0, 1], [0])


def test_chance_scores_uniform_and_majority():
    chance = chance_scores([0, 0, 0, 1, 2, 3, 3, 3])
    assert chance["uniform"]["accuracy"] == 0.25
    assert chance["majority"] == pytest.approx(
        {"accuracy": 3 / 8, "arousal_accuracy": 4 / 8, "valence_accuracy": 6 / 8}
    )


def test_arousal_claim_and_per_quadrant_comparison():
    quadrants = np.array([0, 1, 2, 3] * 10)
    density = np.where(quadrants < 2, 10.0, 4.0) + np.arange(40) * 0.01
    claim = arousal_claim({"note_density": density}, quadrants, "note_density")
    assert claim["holds"] and claim["low_mean"] < claim["high_mean"] and claim["p_value"] < 1e-6
    reversed_claim = arousal_claim({"note_density": -density}, quadrants, "note_density")
    assert not reversed_claim["holds"] and reversed_claim["p_value"] > 0.99
    table = per_quadrant_comparison(
        {"note_density": density}, quadrants, {"note_density": density}, quadrants
    )
    assert table["note_density"]["Q1"]["overlap"] == 1.0
    assert table["note_density"]["Q3"]["real"]["mean"] == pytest.approx(density[quadrants == 2].mean())
