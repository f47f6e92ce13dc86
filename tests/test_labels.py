import pytest

from emopia_lightning.data.labels import class_names, clip_stem, num_classes, parse_clip_name, valence_mirror
from emopia_lightning.errors import InputFileError, RequestError


@pytest.mark.parametrize(
    "file_name, quadrant, song, index",
    [
        ("Q1_0vLPYiPN7qY_0.mid", 1, "0vLPYiPN7qY", 0),
        ("midis/Q2_L3_TadjSQQ0_0.mid", 2, "L3_TadjSQQ0", 0),  # song id holds an underscore
        ("Q4__BK2o77sTc0_2.mid", 4, "_BK2o77sTc0", 2),  # song id starts with one
        ("Q3_ii1Jw1-7Ka4_12.MIDI", 3, "ii1Jw1-7Ka4", 12),  # dash, two-digit index, upper suffix
        ("Q3_c6CwY8Gbw0c_4", 3, "c6CwY8Gbw0c", 4),  # split CSVs name clips without a suffix
        ("a\\b\\Q1_x_y_z_3.mid", 1, "x_y_z", 3),
    ],
)
def test_parse_clip_name_reads_quadrant_song_and_index(file_name, quadrant, song, index):
    label = parse_clip_name(file_name)
    assert (label.quadrant, label.song_id, label.clip_index) == (quadrant, song, index)
    assert label.name == clip_stem(file_name)


@pytest.mark.parametrize(
    "bad", ["Q5_abc_1.mid", "Q1_abc.mid", "notes.mid", "Q1__1.mid", "Q1_abc_x.mid", "q1_abc_1.mid"]
)
def test_parse_clip_name_rejects_names_that_are_not_emopia(bad):
    with pytest.raises(InputFileError, match="not an EMOPIA clip name"):
        parse_clip_name(bad)


@pytest.mark.parametrize("quadrant, arousal, valence", [(1, 1, 1), (2, 1, 0), (3, 0, 0), (4, 0, 1)])
def test_arousal_and_valence_follow_the_circumplex(quadrant, arousal, valence):
    label = parse_clip_name(f"Q{quadrant}_song_0")
    assert (label.arousal, label.valence) == (arousal, valence)
    assert label.target("quadrant") == quadrant - 1
    assert label.target("arousal") == arousal
    assert label.target("valence") == valence
    assert class_names("arousal")[arousal] == ("high" if quadrant <= 2 else "low")


def test_the_valence_mirror_keeps_the_arousal_and_flips_the_valence():
    # Q1 happy <-> Q2 tense, Q3 sad <-> Q4 calm (indices 0..3)
    assert [valence_mirror(index) for index in range(4)] == [1, 0, 3, 2]


def test_unknown_task_is_a_clear_error():
    with pytest.raises(RequestError, match="unknown task 'tempo'"):
        parse_clip_name("Q1_a_0").target("tempo")
    with pytest.raises(RequestError, match="unknown task"):
        num_classes("tempo")
    assert [num_classes(t) for t in ("quadrant", "arousal", "valence")] == [4, 2, 2]
