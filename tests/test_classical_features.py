"""Exact feature values on hand-built notes (the definitions are pinned here)."""

import numpy as np
import pytest

from emopia_lightning.classical.features import (
    EXPERT_NAMES,
    FeatureSpec,
    expert_features,
    pianoroll_activity,
    pitch_class_transitions,
    pitch_density,
)
from emopia_lightning.data.notes import Notes


def notes(start, end, pitch, velocity):
    start, end = np.array(start, float), np.array(end, float)
    return Notes(start, end, start * 2, end * 2, np.array(pitch, np.int16), np.array(velocity, np.uint8))


# C4 for 0.5 s at velocity 100, then E4 for 0.25 s at velocity 50: 75 frames of 10 ms.
TWO = notes([0.0, 0.5], [0.5, 0.75], [60, 64], [100, 50])


def test_pianoroll_activity_is_the_share_of_frames_each_pitch_sounds():
    activity = pianoroll_activity(TWO)
    assert activity.shape == (128,)
    assert activity[60] == pytest.approx(50 / 75) and activity[64] == pytest.approx(25 / 75)
    assert activity.sum() == pytest.approx(1.0)


def test_pitch_density_is_the_share_of_onsets_per_pitch():
    density = pitch_density(notes([0, 1, 2, 3], [1, 2, 3, 4], [60, 60, 60, 72], [90] * 4))
    assert density[60] == 0.75 and density[72] == 0.25 and density.sum() == 1.0


def test_transitions_count_successive_pitch_classes_in_onset_then_pitch_order():
    # C4+G4 together, then E5: order C, G, E -> transitions C->G and G->E.
    matrix = pitch_class_transitions(notes([0, 0, 1], [1, 1, 2], [67, 60, 76], [90] * 3)).reshape(12, 12)
    assert matrix[0, 7] == 0.5 and matrix[7, 4] == 0.5 and matrix.sum() == 1.0


def test_expert_features_exact_values():
    values = dict(zip(EXPERT_NAMES, expert_features(TWO)))
    expected = {
        "note_density": 2 / 0.75,
        "pitch_mean": 62,
        "pitch_std": 2,
        "pitch_min": 60,
        "pitch_max": 64,
        "pitch_range": 4,
        "velocity_mean": 75,
        "velocity_std": 25,
        "polyphony_mean": 1,
        "polyphony_max": 1,
        "silence_share": 0,
        "duration_mean": 0.375,
        "duration_std": 0.125,
        "duration_median": 0.375,
        "ioi_mean": 0.5,
        "ioi_std": 0,
        "low_register_share": 0,
        "pc_C": 0.5 / 0.75,
        "pc_E": 0.25 / 0.75,
    }
    for name, value in expected.items():
        assert values[name] == pytest.approx(value), name
    assert sum(
        values[f"pc_{n}"] for n in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    ) == pytest.approx(1)


def test_key_strength_tells_major_from_minor():
    c_major = notes([0, 1, 2, 3], [1, 2, 3, 4], [60, 64, 67, 72], [90] * 4)  # C E G C
    a_minor = notes([0, 1, 2, 3], [1, 2, 3, 4], [57, 60, 64, 69], [90] * 4)  # A C E A
    major = dict(zip(EXPERT_NAMES, expert_features(c_major)))
    minor = dict(zip(EXPERT_NAMES, expert_features(a_minor)))
    assert major["major_minus_minor"] > 0 > minor["major_minus_minor"]
    chord = dict(zip(EXPERT_NAMES, expert_features(notes([0, 0, 0], [1, 1, 1], [60, 64, 67], [90] * 3))))
    assert chord["polyphony_mean"] == 3 and chord["ioi_mean"] == 0  # one onset: no interval


def test_chord_qualities_and_scale_degrees():
    # C major triad, then A minor triad, then C + C#: three onset groups.
    chords = notes(
        [0, 0, 0, 1, 1, 1, 2, 2], [1, 1, 1, 2, 2, 2, 3, 3], [60, 64, 67, 57, 60, 64, 72, 73], [90] * 8
    )
    values = dict(zip(EXPERT_NAMES, expert_features(chords)))
    # C-E-G holds a major triad; A-C-E a minor triad (and, by pitch classes, no major one).
    assert values["major_triad_share"] == pytest.approx(1 / 3)
    assert values["minor_triad_share"] == pytest.approx(1 / 3)
    assert values["dissonance_share"] == pytest.approx(1 / 3)
    degrees = [values[f"degree_{d}"] for d in range(12)]
    pcs = [values[f"pc_{n}"] for n in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")]
    assert sorted(degrees) == pytest.approx(sorted(pcs)) and sum(degrees) == pytest.approx(1)


def test_pedal_use():
    pedalled = Notes(
        *(np.array(a, float) for a in ([0.0], [4.0], [0.0], [8.0])),
        np.array([60], np.int16),
        np.array([80], np.uint8),
        4,
        np.array([0.0, 2.0]),
        np.array([1.0, 2.5]),
    )
    values = dict(zip(EXPERT_NAMES, expert_features(pedalled)))
    assert (values["pedal_share"], values["pedal_rate"], values["pedal_mean_s"]) == pytest.approx(
        (1.5 / 4, 0.5, 0.75)
    )
    assert dict(zip(EXPERT_NAMES, expert_features(TWO)))["pedal_share"] == 0


def test_feature_spec_concatenates_sets_in_order():
    spec = FeatureSpec(("expert", "pianoroll"))
    row = spec.render(TWO)
    assert row.shape == (1, len(EXPERT_NAMES) + 128) == (1, len(spec.names()))
    np.testing.assert_allclose(row[0, len(EXPERT_NAMES) :], pianoroll_activity(TWO))
    with pytest.raises(ValueError, match="unknown feature sets"):
        FeatureSpec(("chroma",))
