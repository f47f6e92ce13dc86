"""The page's new controls without a browser: requests composed together, the emotion along a
piece, seconds and turns from the page's settings, more of a piece, and refused uploads."""

import numpy as np
import pytest

from conftest import TINY_FEATURE_JUDGE, emopia_root, make_midi
from emopia_lightning.app.actions import PageActions, Settings
from emopia_lightning.app.composer import Composers
from emopia_lightning.app.emotion_reading import (
    ClassifierReader,
    FeatureJudgeReader,
    UploadRefused,
    read_upload,
    window_notes,
)
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.composing.request import whole_bars
from emopia_lightning.data.notes import Notes, read_notes
from emopia_lightning.data.segment_datamodule import clip_segments
from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.feature_judge import JudgeCandidates, feature_judge
from emopia_lightning.render.emotion_along import window_starts


@pytest.fixture(scope="module")
def composers(gan_checkpoint, composer_checkpoint):
    checkpoints = {"transformer": composer_checkpoint, "musegan": gan_checkpoint}
    return Composers.load(checkpoints, options={"musegan": {"threshold": 0.02}}, sample_rate=22050)


@pytest.fixture(scope="module")
def judge_reader(composers, cache_dir):
    candidates = JudgeCandidates.from_options(TINY_FEATURE_JUDGE)
    return FeatureJudgeReader(
        feature_judge(composers.composer().layout, str(emopia_root()), str(cache_dir), candidates)
    )


@pytest.fixture
def actions(composers, judge_reader, tmp_path):
    space = Workspace(parent=tmp_path)
    yield PageActions(composers, judge_reader, space)
    space.close()


def test_windows_are_the_4_bar_phrases_and_a_short_end_is_read_as_the_last_4_bars():
    assert window_starts(32 * 4, 4) == [0, 4, 8, 12, 16, 20, 24, 28]
    assert window_starts(30 * 4 + 2, 4) == [0, 4, 8, 12, 16, 20, 24, 27]  # 30.5 bars: 31 bars begun
    assert window_starts(10, 4) == [0]  # shorter than a window: one, padded
    assert window_starts(0, 4) == [0]


def test_the_feature_judge_reads_each_window_of_a_real_clip_as_its_segment(judge_reader, real_clips):
    notes = read_notes(list(real_clips.values())[2])
    along = judge_reader.along(notes)
    starts = window_starts(notes.end_beat.max(), 4)
    assert along.starts.tolist() == starts and along.quadrants.shape == (len(starts), 4)
    every_bar = clip_segments(judge_reader.layout, notes)  # a segment starting at every bar
    inside = [i for i, s in enumerate(starts) if s < len(every_bar)]
    expected = judge_reader.judge.probabilities(every_bar[[starts[i] for i in inside]])
    assert np.allclose(along.quadrants[inside], expected)
    assert np.allclose(along.arousal, along.quadrants[:, 0] + along.quadrants[:, 1])


def test_a_silent_window_is_not_read_and_a_silent_piece_has_no_emotion_along_it(judge_reader):
    bar = 4 * 480  # ticks: notes in bars 1-2 and 9-12 of 12, silence between
    notes = read_notes(make_midi([(0, bar, 60, 80), (bar, bar, 64, 80), (8 * bar, 4 * bar, 67, 80)]))
    assert judge_reader.along(notes).starts.tolist() == [0, 8]
    silent = Notes.from_beats([], [], [], [])
    with pytest.raises(ValueError, match="no emotion along it"):
        judge_reader.along(silent)


def test_a_classifier_reads_each_window_on_its_own_notes(classifier_checkpoint, real_clips):
    reader = ClassifierReader(classifier_checkpoint)
    notes = read_notes(list(real_clips.values())[4])
    along = reader.along(notes)
    second = reader.read(window_notes(notes, int(along.starts[1]), 4))
    assert [second.quadrants[q] for q in ("Q1", "Q2", "Q3", "Q4")] == pytest.approx(
        along.quadrants[1].tolist()
    )
    assert not np.allclose(along.quadrants[0], along.quadrants[1])  # windows differ: not the whole clip's


@pytest.mark.parametrize("composer", ["transformer", "musegan"])
def test_requests_composed_together_are_each_the_piece_it_is_alone(actions, composer):
    settings = [
        Settings("Q2", 8, 120, 3, composer),
        Settings("calm", 16, 90, 7, composer),
        Settings("Q1", 8, 120, 1, "musegan", then="Q3", turn=4),
        Settings("Q3", 3, 120, 0, composer),  # refused: the page offers 8 to 64 bars
        Settings("Q4", 8, 100, 2, composer, seconds=20),
        Settings("Q2", 8, 120, 3, "transformer" if composer == "musegan" else "musegan"),
    ]
    together = actions.batch(settings)
    assert isinstance(together[3], RequestError) and "8 to 64 bars" in str(together[3])
    for asked, piece in zip(settings, together):
        if asked.bars == 3:
            continue
        alone = actions.compose(asked)
        assert piece.name == alone.name and piece.midi.read_bytes() == alone.midi.read_bytes()
    assert together[0].midi.read_bytes() != together[1].midi.read_bytes()


def test_a_page_piece_by_seconds_ends_within_a_beat_and_shows_its_emotion_along_it(actions):
    piece = actions.compose(Settings("calm", 16, 90, 0, "musegan", seconds=45))
    assert piece.name == "calm-Q4_seed-0_45-s_90-bpm_musegan"
    notes = read_notes(piece.midi.read_bytes())
    assert abs(notes.end_s.max() - 45) <= 60 / 90
    assert piece.along.starts.tolist() == window_starts(notes.end_beat.max(), 4)  # 17 bars begun
    assert piece.along.quadrants.sum(axis=1) == pytest.approx(1.0)


def test_a_turning_page_piece_is_named_after_its_turn(actions):
    piece = actions.compose(Settings("tense", 16, 120, 4, "musegan", then="calm", turn=0))
    assert piece.name == "tense-Q2_then-calm-Q4-at-8_seed-4_16-bars_120-bpm_musegan"
    assert piece.request.plan == (1,) * 8 + (3,) * 8


def test_uploads_that_are_empty_broken_too_large_or_without_a_whole_bar_are_refused(
    actions, tmp_path, real_clips
):
    stem, blob = next(iter(real_clips.items()))
    (tmp_path / f"{stem}.mid").write_bytes(blob)
    path, bars = actions.start_from(tmp_path / f"{stem}.mid")
    assert bars == whole_bars(read_upload(path))[1] >= 4
    cases = {"empty.mid": (b"", "empty.mid is empty"), "photo.mid": (b"\x89PNG" + bytes(64), "not a MIDI file"),
             "short.mid": (make_midi([(0, 960, 60, 80)]), "no whole bar")}  # fmt: skip
    for name, (content, says) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises((UploadRefused, RequestError), match=says):
            actions.start_from(tmp_path / name)
    actions.max_upload_bytes = len(blob) - 1
    with pytest.raises(UploadRefused, match="files up to"):
        actions.start_from(tmp_path / f"{stem}.mid")


def test_the_musegan_cannot_continue_a_piece_and_says_so(actions, tmp_path, real_clips):
    (tmp_path / "clip.mid").write_bytes(next(iter(real_clips.values())))
    with pytest.raises(RequestError, match="the musegan cannot continue a piece"):
        actions.continued(Settings("Q1", 8, 120, 0, "musegan"), tmp_path / "clip.mid")


def test_continue_this_opens_with_an_uploaded_real_clips_whole_bars(actions, tmp_path, real_clips):
    stem, blob = list(real_clips.items())[1]
    (tmp_path / f"{stem}.mid").write_bytes(blob)
    kept, bars = whole_bars(read_upload(tmp_path / f"{stem}.mid"))
    piece = actions.continued(Settings("Q1", 8, 120, 0, "transformer"), tmp_path / f"{stem}.mid")
    assert piece.name == f"happy-Q1_seed-0_8-bars_120-bpm_after-{stem}_transformer"
    notes = read_notes(piece.midi.read_bytes())
    opening = notes.start_beat < bars * 4
    assert notes.start_beat[opening] == pytest.approx(kept.start_beat, abs=1 / 480)  # ticks of the MIDI
    assert notes.pitch[opening].tolist() == kept.pitch.tolist()
    assert notes.end_beat.max() == (bars + 8) * 4


def test_another_like_this_keeps_the_first_bars_and_writes_a_new_rest(actions):
    first = actions.compose(Settings("Q4", 16, 120, 2, "transformer"))
    other = actions.another_like(Settings("Q4", 16, 120, 99, "transformer"), first.midi, 8)
    assert other.name == f"calm-Q4_seed-99_8-bars_120-bpm_after-{first.name}-first-8_transformer"
    a, b = read_notes(first.midi.read_bytes()), read_notes(other.midi.read_bytes())
    assert b.end_beat.max() == 16 * 4
    start = a.start_beat < 32
    assert b.start_beat[b.start_beat < 32].tolist() == a.start_beat[start].tolist()
    assert b.pitch[b.start_beat < 32].tolist() == a.pitch[start].tolist()
    assert b.pitch[b.start_beat >= 32].tolist() != a.pitch[a.start_beat >= 32].tolist()
    with pytest.raises(RequestError, match="keep 1 to 15 of the piece's 16 bars, got 16"):
        actions.another_like(Settings("Q4", 16, 120, 99, "transformer"), first.midi, 16)
