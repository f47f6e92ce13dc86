"""The creator's page without a browser: composing, reading an emotion, refusing bad input, its
temporary folder, and how the command starts."""

import os
import shlex
import subprocess
import time
import wave

import numpy as np
import pytest
import symusic
from omegaconf import open_dict

from conftest import NO_WAV, TINY_COMPOSER, TINY_FEATURE_JUDGE, emopia_root, make_midi
from emopia_lightning.app.__main__ import serve
from emopia_lightning.app.actions import PageActions
from emopia_lightning.app.composer import Composers
from emopia_lightning.app.emotion_reading import (
    ClassifierReader,
    FeatureJudgeReader,
    UploadRefused,
    read_upload,
)
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.composing.composer import load_composer
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data.notes import read_notes
from emopia_lightning.errors import ProjectError, RequestError
from emopia_lightning.generator_evaluation.feature_judge import JudgeCandidates, feature_judge
from emopia_lightning.project_root import PROJECT_ROOT

LOW_THRESHOLD = 0.02  # the tiny generator has trained 3 steps: its notes are faint


@pytest.fixture(scope="module")
def composers(gan_checkpoint, composer_checkpoint):
    checkpoints = {"transformer": composer_checkpoint, "musegan": gan_checkpoint}
    page_rate = compose_config("app", []).sample_rate
    return Composers.load(
        checkpoints, options={"musegan": {"threshold": LOW_THRESHOLD}}, sample_rate=page_rate
    )


@pytest.fixture
def workspace(tmp_path):
    space = Workspace(parent=tmp_path)
    yield space
    space.close()


def test_a_request_is_named_after_what_makes_it_and_refuses_what_is_not_offered():
    assert PieceRequest("sad", 16, 120, 42).checked().name == "sad-Q3_seed-42_16-bars_120-bpm"
    assert PieceRequest("q1", 8.0, 96.5, 0).checked().name == "happy-Q1_seed-0_8-bars_96.5-bpm"
    for bad, says in [
        (PieceRequest("gloomy", 16, 120, 0), "unknown emotion"),
        (PieceRequest("sad", 0, 120, 0), "1 to 256 bars"),
        (PieceRequest("sad", 257, 120, 0), "1 to 256 bars"),
        (PieceRequest("sad", 16.5, 120, 0), "whole number"),
        (PieceRequest("sad", 16, 10, 0), "40 to 220 bpm"),
        (PieceRequest("sad", 16, "fast", 0), "tempo must be a number"),
        (PieceRequest("sad", 16, 120, -1), "seed must be"),
        (PieceRequest("sad", 16, 120, None), "whole number"),
    ]:
        with pytest.raises(RequestError, match=says):
            bad.checked()


def test_the_page_offers_8_to_64_bars_and_only_its_composers(composers, workspace):
    for bars in (7, 65):
        with pytest.raises(RequestError, match="8 to 64 bars"):
            composers.compose(PieceRequest("sad", bars, 120, 0), workspace.new_folder())
    with pytest.raises(RequestError, match="no composer 'mozart' here; choose one of transformer, musegan"):
        composers.compose(PieceRequest("sad", 8, 120, 0), workspace.new_folder(), "mozart")
    with pytest.raises(RequestError, match="guidance: not an option of the musegan"):
        Composers(composers.loaded, options={"musegan": {"guidance": 2.0}})


@pytest.mark.parametrize("which", ["transformer", "musegan"])
def test_a_composed_piece_has_the_length_tempo_and_emotion_asked_for_and_comes_again(
    composers, workspace, which
):
    piece = composers.compose(PieceRequest("calm", 8, 90, 7), workspace.new_folder(), which)
    assert piece.name == f"calm-Q4_seed-7_8-bars_90-bpm_{which}"
    assert piece.midi.name == f"{piece.name}.mid" and piece.roll.name == f"{piece.name}.png"
    score = symusic.Score(str(piece.midi))
    assert score.tempos[0].qpm == pytest.approx(90)
    notes = read_notes(piece.midi.read_bytes())
    assert notes.end_beat.max() == 8 * 4  # 8 bars of 4/4, the final chord held to the end
    assert notes.end_s.max() == pytest.approx(8 * 4 * 60 / 90)
    if piece.wav is not None:  # audio where a renderer is installed (make install gives one)
        assert piece.wav.name == f"{piece.name}.wav" and piece.wav.stat().st_size > 100_000
        with wave.open(str(piece.wav)) as played:  # at the page's rate, as long as the piece and its release
            assert played.getframerate() == composers.sample_rate
            assert played.getnframes() / played.getframerate() == pytest.approx(
                8 * 4 * 60 / 90 + 1.0, abs=0.05
            )
    again = composers.compose(PieceRequest("Q4", 8, 90, 7), workspace.new_folder(), which)
    other = composers.compose(PieceRequest("Q4", 8, 90, 8), workspace.new_folder(), which)
    assert again.midi.read_bytes() == piece.midi.read_bytes()  # the name is enough to get it again
    assert other.midi.read_bytes() != piece.midi.read_bytes()


def test_a_generator_trained_without_labels_is_refused(gan_checkpoint):
    model, _ = load_composer(gan_checkpoint)
    model.hparams.conditional = False
    with pytest.raises(RequestError, match="label_aug=false"):
        Composers({"musegan": (model, gan_checkpoint)})


def test_uploads_that_are_too_large_or_not_midi_are_refused_by_name(tmp_path, real_clips):
    stem, blob = next(iter(real_clips.items()))
    clip = tmp_path / f"{stem}.mid"
    clip.write_bytes(blob)
    assert len(read_upload(clip)) > 50
    with pytest.raises(UploadRefused, match=rf"{stem}.mid is 0.0 MB; files up to 0 MB"):
        read_upload(clip, max_bytes=len(blob) - 1)
    (tmp_path / "photo.mid").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(UploadRefused, match="photo.mid is not a MIDI file that can be read: unreadable"):
        read_upload(tmp_path / "photo.mid")
    (tmp_path / "drums.mid").write_bytes(make_midi([(0, 480, 10, 80)]))  # below the piano: dropped
    with pytest.raises(UploadRefused, match="no pitched notes"):
        read_upload(tmp_path / "drums.mid")


@pytest.fixture(scope="module")
def judge_reader(composers, cache_dir):
    judge = feature_judge(
        composers.composer().layout, str(emopia_root()), str(cache_dir),
        JudgeCandidates.from_options(TINY_FEATURE_JUDGE),
    )  # fmt: skip
    return FeatureJudgeReader(judge)


def test_the_feature_judge_reads_a_clip_over_its_one_bar_hops_and_pads_a_short_one(judge_reader, real_clips):
    layout = judge_reader.layout
    short = read_notes(make_midi([(0, 480, 60, 80), (480, 480, 64, 70)]))  # two beats
    assert judge_reader.segments(short).shape == (1, layout.segment_steps, layout.n_pitches, 2)
    notes = read_notes(next(iter(real_clips.values())))
    bars = int(np.ceil(notes.end_beat.max() / layout.beats_per_bar))
    segments = judge_reader.segments(notes)
    assert len(segments) in (bars - layout.bars, bars - layout.bars + 1)  # every whole 4-bar window
    reading = judge_reader.read(notes)
    shares = np.array([reading.quadrants[q] for q in QUADRANTS])
    assert shares.sum() == pytest.approx(1.0)
    assert np.allclose(shares, judge_reader.judge.probabilities(segments).mean(axis=0))
    assert reading.arousal == pytest.approx(shares[0] + shares[1])  # Q1, Q2: high arousal
    assert reading.valence == pytest.approx(shares[0] + shares[3])  # Q1, Q4: positive valence
    assert reading.verdict.startswith(QUADRANTS[int(shares.argmax())])


def test_a_classifier_checkpoint_reads_the_same_probabilities_predict_gives(
    classifier_checkpoint, real_clips, tmp_path
):
    from emopia_lightning.emotion_models import load_emotion_model
    from emopia_lightning.predict import predict_file

    reader = ClassifierReader(classifier_checkpoint)
    stem, blob = next(iter(real_clips.items()))
    (tmp_path / "clip.mid").write_bytes(blob)
    predicted = predict_file(load_emotion_model(classifier_checkpoint), tmp_path / "clip.mid")
    reading = reader.read(read_notes(blob))
    assert reading.quadrants == pytest.approx(predicted["probabilities"], abs=1e-4)
    assert reading.verdict.startswith(predicted["prediction"])


def test_the_page_actions_write_a_chart_or_refuse_with_the_files_name(
    composers, judge_reader, workspace, real_clips
):
    actions = PageActions(composers, judge_reader, workspace)
    stem, blob = next(iter(real_clips.items()))
    upload = workspace.root / f"{stem}.mid"
    upload.write_bytes(blob)
    reading, chart = actions.read(upload)
    assert chart.stat().st_size > 10_000 and reading.reader.startswith("the feature judge")
    (workspace.root / "notes.txt").write_text("C E G")
    with pytest.raises(UploadRefused, match="notes.txt is not a MIDI file"):
        actions.read(workspace.root / "notes.txt")
    with pytest.raises(RequestError, match="choose a MIDI file"):
        actions.read(None)
    pictures = actions.circumplex_pictures()
    assert sorted(pictures) == list(QUADRANTS) and all(p.stat().st_size > 5000 for p in pictures.values())


def test_the_workspace_prunes_old_pieces_and_is_removed_on_close(tmp_path):
    space = Workspace(keep_seconds=60, parent=tmp_path)
    old, new = space.new_folder(), space.new_folder()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert space.prune() == 1 and not old.exists() and new.exists()
    space.close()
    assert not space.root.exists() and list(tmp_path.iterdir()) == []


def _app_config(**values):
    cfg = compose_config("app", overrides=[f"{k}={v}" for k, v in values.items()])
    with open_dict(cfg):
        cfg.paths.data_dir = str(emopia_root())
    return cfg


def test_a_missing_or_wrong_checkpoint_is_refused_before_the_page_starts(
    tmp_path, classifier_checkpoint, gan_checkpoint
):  # the command's one error line for these: tests/test_entry_point_errors.py
    missing = tmp_path / "missing"
    for values, says in [
        ({"generators.transformer": classifier_checkpoint, "generators.musegan": missing}, "not the composer"),
        ({"generators.transformer": gan_checkpoint, "generators.musegan": missing, "classifier": gan_checkpoint},
         "not the emotion classifier"),
        ({"generators.transformer": missing, "generators.musegan": missing}, "no composer to offer"),
    ]:  # fmt: skip
        with pytest.raises(ProjectError, match=says):
            serve(_app_config(**values))


# About 7 s: the page trains make run's composer (tiny here) where none exists.
def test_without_a_generator_it_trains_one_first_and_then_uses_it(tmp_path):
    from emopia_lightning.app.__main__ import make_run_generator

    tiny = [*TINY_COMPOSER, *NO_WAV, "trainer.max_steps=2", "callbacks.judged_emotion=null", "logger=none"]
    run = make_run_generator(tmp_path / "train", tiny)
    assert run == tmp_path / "train" and (run / "metrics.json").is_file()
    written = (run / "metrics.json").stat().st_mtime_ns
    assert make_run_generator(tmp_path / "train", tiny) == run  # found, not trained again
    assert (run / "metrics.json").stat().st_mtime_ns == written
    assert load_composer(run)[0].description.startswith("transformer_composer")


def test_the_probability_chart_shows_only_what_the_model_reads(tmp_path):
    from PIL import Image

    from emopia_lightning.data.labels import circumplex_signs
    from emopia_lightning.render.emotion_pictures import plot_emotion_probabilities

    assert [circumplex_signs(q) for q in QUADRANTS] == [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    both = plot_emotion_probabilities(
        {"Q1": 0.4, "Q2": 0.3, "Q3": 0.2, "Q4": 0.1}, 0.7, 0.5, tmp_path / "a.png"
    )
    arousal_only = plot_emotion_probabilities(None, 0.8, None, tmp_path / "b.png")
    assert Image.open(both).size == (840, 280) and Image.open(arousal_only).size == (420, 280)  # 1 panel
    with pytest.raises(ValueError, match="nothing to picture"):
        plot_emotion_probabilities(None, None, None, tmp_path / "c.png")


def test_the_page_trains_the_composer_make_run_trains():
    """``conf/app.yaml`` repeats make run's training recipe (the page trains it where it is
    missing): the Makefile's first ``make run`` line must be that recipe."""
    dry = subprocess.run(["make", "-n", "run"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    train_line = next(line for line in dry.stdout.splitlines() if "emopia_lightning.train" in line)
    words = shlex.split(train_line)
    recipe = compose_config("app", ["paths.log_dir=outputs"]).make_run
    assert words[words.index("emopia_lightning.train") + 1 :] == [
        *recipe.train,
        f"hydra.run.dir={recipe.dir}",
    ]
