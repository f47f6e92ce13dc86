"""Test-time views: a clip moved by a few semitones, as every model that reads notes sees it, and
a whole clip read in windows as long as a model's training windows."""

import numpy as np
import pytest

from emopia_lightning.data.clip_datamodule import EmopiaClipDataModule
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.notes import PIANO, Notes, read_notes
from emopia_lightning.data.token_datamodule import EmopiaTokenDataModule
from emopia_lightning.data.views import covering_windows
from emopia_lightning.emotion_models import TransposedViews
from emopia_lightning.errors import RequestError


def test_a_transposed_clip_is_the_clip_shifted_in_notes_and_in_tokens(real_clips):
    vocabulary = ComposerVocabulary(8)
    for blob in list(real_clips.values())[:3]:
        notes = read_notes(blob)
        low, high = PIANO[0] - int(notes.pitch.min()), PIANO[1] - int(notes.pitch.max())
        for shift in (-2, 1, 2):
            if not low <= shift <= high:
                continue
            moved = notes.transposed(shift)
            np.testing.assert_array_equal(moved.pitch, notes.pitch + shift)
            np.testing.assert_array_equal(moved.start_beat, notes.start_beat)
            np.testing.assert_array_equal(moved.velocity, notes.velocity)
            tokens = vocabulary.remi.tokens(notes)
            np.testing.assert_array_equal(
                vocabulary.remi.tokens(moved), vocabulary.transposed(tokens, shift)
            )  # the REMI of the moved notes is the clip's REMI with every Pitch token moved


def test_notes_moved_off_the_piano_are_dropped():
    notes = Notes.from_beats([0, 1, 2], [1, 2, 3], [21, 60, 107], [50, 60, 70])
    assert notes.transposed(2).pitch.tolist() == [23, 62]  # 107 + 2 is above C8
    down = notes.transposed(-1)
    assert down.pitch.tolist() == [59, 106] and down.start_beat.tolist() == [1, 2]  # 20 is below A0


class LowestPitchClassModel:
    """A hand-made model that notes every clip it is asked about; P(first class) = the lowest
    note's pitch class / 11, which no mean of shifts can stand in for."""

    task, class_names = "valence", ("negative", "positive")

    def __init__(self):
        self.asked: list[list[int]] = []

    def probabilities(self, notes: Notes) -> np.ndarray:
        self.asked.append(notes.pitch.tolist())
        share = (int(notes.pitch.min()) % 12) / 11
        return np.array([share, 1 - share])


def test_views_average_the_models_answers_over_exactly_the_clip_moved_by_each_shift():
    notes = Notes.from_beats([0, 1], [1, 2], [60, 70], [80, 80])  # lowest pitch class 0 (C)
    model = LowestPitchClassModel()
    answer = TransposedViews(model).probabilities(notes)  # the default shifts, -2..2
    assert model.asked == [[58, 68], [59, 69], [60, 70], [61, 71], [62, 72]]
    assert answer[0] == pytest.approx((10 + 11 + 0 + 1 + 2) / 11 / 5)
    model = LowestPitchClassModel()
    assert TransposedViews(model, (0, 3)).probabilities(notes)[0] == pytest.approx((0 + 3) / 11 / 2)
    assert model.asked == [[60, 70], [63, 73]]
    with pytest.raises(RequestError, match="view shifts"):
        TransposedViews(LowestPitchClassModel(), ())


def test_validation_reads_a_clips_start_and_the_whole_clip_view_every_window_of_that_length(
    real_clips, tmp_path
):
    tokens_module = EmopiaTokenDataModule(str(tmp_path), None, {"name": "official"}, max_tokens=256)
    rolls_module = EmopiaClipDataModule(str(tmp_path), None, {"name": "official"}, max_seconds=10)
    for blob in list(real_clips.values())[:4]:
        notes = read_notes(blob)
        ids = tokens_module.spec.tokens(notes).reshape(-1)
        np.testing.assert_array_equal(tokens_module.model_inputs(notes), ids[None, :256])  # validation's
        views = tokens_module.model_inputs(notes, whole_clip=True)
        assert len(ids) > 256 and views.shape == (-(-len(ids) // 256), 256)
        np.testing.assert_array_equal(views[0], ids[:256])  # the start, as validation reads it
        np.testing.assert_array_equal(views[-1], ids[-256:])  # the end, not padding
        roll = rolls_module.spec.render(notes)
        assert rolls_module.model_inputs(notes).shape == (1, 80, 88)
        frames = rolls_module.model_inputs(notes, whole_clip=True)
        assert frames.shape[1:] == (80, 88) and len(frames) == -(-len(roll) // 80)
        np.testing.assert_allclose(frames[-1].numpy(), roll[-80:] / 127, rtol=1e-6)
    assert covering_windows(5, 8) == [slice(0, 5)] and covering_windows(9, None) == [slice(0, 9)]
    assert covering_windows(10, 4) == [slice(0, 4), slice(4, 8), slice(6, 10)]
