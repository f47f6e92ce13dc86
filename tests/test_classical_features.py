"""Exact feature values on hand-built notes (the definitions are pinned here), and what the richer
sets tell apart on EMOPIA itself."""

import numpy as np
import pytest

from emopia_lightning.classical.features import (
    EXPERT_NAMES,
    WINDOW_NAMES,
    FeatureSpec,
    expert_features,
    pianoroll_activity,
    pitch_class_transitions,
    pitch_density,
    window_features,
)
from emopia_lightning.classical.harmony_features import HARMONY_NAMES, harmony_features
from emopia_lightning.classical.performance_features import PERFORMANCE_NAMES, performance_features
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.errors import RequestError


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
        "onsets_per_second": 2 / 0.75,
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
    with pytest.raises(RequestError, match="unknown feature sets"):
        FeatureSpec(("chroma",))


def chords(*triads, seconds=2.0):
    """Each triad (three pitches) held for ``seconds`` (a 4-beat bar at 120 bpm), one after another."""
    starts = [i * seconds for i, triad in enumerate(triads) for _ in triad]
    return notes(starts, [s + seconds for s in starts], [p for t in triads for p in t], [80] * len(starts))


C_MAJOR, A_MINOR, CLUSTER = (60, 64, 67), (57, 60, 64), (60, 61, 62)


def test_harmony_follows_chords_keys_and_tension_bar_by_bar():
    held = dict(zip(HARMONY_NAMES, harmony_features(chords(*[C_MAJOR] * 4))))
    assert (held["chord_changes_per_bar"], held["chord_run_beats"], held["minor_chord_share"]) == (0, 16, 0)
    assert held["distinct_chords_per_bar"] == 1 / 4 and held["chromatic_share"] == 0
    assert (held["key_change_rate"], held["off_key_share"], held["distinct_keys"]) == (0, 0, 1)
    assert held["tension_std"] == pytest.approx(0) and held["tension_trend"] == pytest.approx(0)

    swaying = dict(zip(HARMONY_NAMES, harmony_features(chords(C_MAJOR, A_MINOR, C_MAJOR, A_MINOR))))
    assert swaying["chord_changes_per_bar"] == 3 / 4 and swaying["chord_run_beats"] == 4
    assert swaying["minor_chord_share"] == 0.5 and swaying["distinct_chords_per_bar"] == 0.5

    clashing = dict(zip(HARMONY_NAMES, harmony_features(chords(C_MAJOR, CLUSTER, CLUSTER, CLUSTER))))
    assert clashing["tension_mean"] > held["tension_mean"] and clashing["tension_trend"] > 0
    assert clashing["strain_max"] > held["strain_max"] and clashing["chromatic_share"] > 0


def test_performance_reads_onset_intervals_hands_and_the_velocity_contour():
    # Sixteen 2 s bars of quarter notes (0.5 s apart), alternating C3 and C5, louder by 5 each bar.
    starts = np.arange(64) * 0.5
    velocity = 40 + 5 * (starts // 2)
    played = notes(starts, starts + 0.4, [48, 72] * 32, velocity)
    values = dict(zip(PERFORMANCE_NAMES, performance_features(played)))
    assert values["ioi_median"] == 0.5 and values["ioi_cv"] == 0 and values["fast_ioi_share"] == 0
    assert values["ioi_entropy"] == 0  # every interval in one bin
    assert (values["left_pitch_mean"], values["right_pitch_mean"], values["hand_gap"]) == (48, 72, 24)
    assert values["left_onsets_per_s"] == pytest.approx(32 / 31.9)  # the last note ends at 31.9 s
    assert values["velocity_trend"] == pytest.approx(75) and values["crescendo_share"] == 1  # 40 to 115
    assert values["velocity_bar_change"] == 5 and values["velocity_bar_range"] == 75
    assert values["melody_accent"] == 0  # no chords, so no top note over others
    chord_with_loud_top = notes([0, 0, 1, 1], [1, 1, 2, 2], [60, 72, 60, 72], [50, 90, 50, 90])
    assert dict(zip(PERFORMANCE_NAMES, performance_features(chord_with_loud_top)))["melody_accent"] == 40


def test_window_features_pool_each_window_and_a_too_sparse_clip_stands_for_itself():
    steady_starts = np.arange(32) * 0.5  # 16 s of two notes a second
    steady = notes(steady_starts, steady_starts + 0.25, [60] * 32, [80] * 32)
    pooled = dict(zip(WINDOW_NAMES, window_features(steady)))
    # Windows start at 0, 4 and 8 s, each 8 s of the same playing.
    assert pooled["window_mean_velocity_mean"] == 80 and pooled["window_std_velocity_mean"] == 0
    assert pooled["window_mean_pitch_mean"] == 60 and pooled["window_std_ioi_mean"] == pytest.approx(0)
    loud_then_soft = notes(steady_starts, steady_starts + 0.25, [60] * 32, [100] * 16 + [40] * 16)
    assert dict(zip(WINDOW_NAMES, window_features(loud_then_soft)))["window_std_velocity_mean"] > 20
    sparse = window_features(TWO)  # two notes: no window has enough, so the clip itself, once
    np.testing.assert_allclose(sparse, np.r_[expert_features(TWO), np.zeros(len(EXPERT_NAMES))])


def test_on_emopia_low_valence_clips_sit_in_minor_and_high_arousal_clips_play_louder(data_root, cache_dir):
    corpus = load_corpus(locate_emopia(data_root), FeatureSpec(("harmony", "performance")), cache_dir)
    values = dict(zip(HARMONY_NAMES + PERFORMANCE_NAMES, np.asarray(corpus.rows).T))
    quadrant = np.array([label.target("quadrant") for label in corpus.labels])  # 0..3 for Q1..Q4
    positive, high = np.isin(quadrant, [0, 3]), np.isin(quadrant, [0, 1])
    minor = values["minor_window_share"]
    assert minor[~positive].mean() > minor[positive].mean() + 0.15  # measured: .56 against .32
    left = values["left_velocity_mean"]
    assert left[high].mean() > left[~high].mean() + 15  # measured: 74 against 47
