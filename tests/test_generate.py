"""Generated music on disk: beat rolls to MIDI and back, and the generate command."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from test_musegan import NO_WAV, TINY_GAN

from conftest import compose_train, emopia_root
from emopia_lightning import PROJECT_ROOT
from emopia_lightning.checkpoints import CheckpointError
from emopia_lightning.data.labels import parse_emotion
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.pianoroll import BeatRollSpec, cut_segments
from emopia_lightning.generate import generate
from emopia_lightning.render.midi import roll_to_notes, write_midi
from emopia_lightning.train import train
from emopia_lightning.utils.runtime import plain_config


def test_roll_to_notes_joins_consecutive_steps_of_a_pitch():
    roll = np.zeros((8, 12), dtype=bool)
    roll[0:3, 5] = True  # held 3 steps
    roll[4, 5] = True  # a new note after a gap
    roll[3, 10] = True
    roll[6:8, 0] = True  # runs to the end
    assert roll_to_notes(roll) == [(0, 3, 5), (3, 1, 10), (4, 1, 5), (6, 2, 0)]


def test_a_real_segment_survives_midi_and_back(tmp_path, real_clips):
    spec = BeatRollSpec()
    for stem, blob in list(real_clips.items())[:3]:
        segment = cut_segments(spec.render(read_notes(blob)), 16, 4)[0].reshape(64, 84).astype(bool)
        path = write_midi(segment, tmp_path / f"{stem}.mid", spec.lowest_pitch, spec.steps_per_beat)
        again = spec.render(read_notes(path.read_bytes())).astype(bool)
        assert segment.sum() > 20
        assert np.array_equal(again, segment[: len(again)]) and not segment[len(again) :].any()


@pytest.mark.parametrize("text, index", [("Q1", 0), ("q2", 1), ("3", 2), ("sad", 2), (" Calm ", 3)])
def test_emotions_by_quadrant_or_name(text, index):
    assert parse_emotion(text) == index


@pytest.fixture(scope="module")
def gan_checkpoint(tmp_path_factory, cache_dir):
    folder = tmp_path_factory.mktemp("gan")
    train(compose_train([*TINY_GAN, *NO_WAV, "model.generator_steps=3"], folder, cache_dir))
    return folder / "checkpoints" / "last.ckpt"


def _generate_config(**values):
    base = {"emotion": "Q1", "n": 1, "seed": 0, "segments": 1, "threshold": 0.5, "wav": False}
    return OmegaConf.create({**base, **values})


def test_generate_writes_midi_that_reads_back_for_a_named_emotion(tmp_path, gan_checkpoint):
    # A few steps from a start at 5 % density: a low threshold, so that the untrained nets sound.
    cfg = _generate_config(
        ckpt=str(gan_checkpoint), emotion="sad", n=2, segments=2, threshold=0.02, out=str(tmp_path)
    )
    result = generate(cfg)
    assert sorted(p.name for p in result["written"]["midi"]) == ["Q3_00.mid", "Q3_01.mid"]
    assert (tmp_path / "piano_roll.png").stat().st_size > 5000
    for path in result["written"]["midi"]:
        notes = read_notes(path.read_bytes())
        assert len(notes) > 0 and notes.end_beat.max() <= 2 * 16  # two 4-bar segments
        assert notes.pitch.min() >= 22 and notes.pitch.max() <= 105
    again = generate(_generate_config(**{**cfg, "out": str(tmp_path / "again")}))
    first, second = (r["written"]["midi"][0].read_bytes() for r in (result, again))
    assert first == second  # the seed fixes the music


def test_pieces_share_their_style_latent_and_not_their_temporal_latents(gan_checkpoint):
    from emopia_lightning.checkpoints import load_model
    from emopia_lightning.models.musegan import MuseGAN
    from emopia_lightning.sampling import piece_latents

    model, _ = load_model(gan_checkpoint, MuseGAN, "MuseGAN")
    latents = piece_latents(model, 2, 3, torch.Generator().manual_seed(0))  # (pieces, segments, 2, D)
    assert torch.equal(latents[0, 0, 0], latents[0, 2, 0]) and not torch.equal(
        latents[0, 0, 0], latents[1, 0, 0]
    )
    assert not torch.equal(latents[0, 0, 1], latents[0, 1, 1])


@pytest.mark.parametrize(
    "values, message",
    [
        ({"n": 0}, "n must be a whole number"),
        ({"n": "abc"}, "n must be a whole number"),
        ({"segments": 0}, "segments must be a whole number"),
        ({"ckpt": "???"}, "ckpt=PATH is required"),
    ],
)
def test_generate_rejects_bad_options_clearly(tmp_path, gan_checkpoint, values, message):
    cfg = _generate_config(**{"ckpt": str(gan_checkpoint), "out": str(tmp_path), **values})
    with pytest.raises(ValueError, match=message):
        generate(cfg)


def test_generate_names_a_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        generate(_generate_config(ckpt=str(tmp_path / "nope.ckpt"), out=str(tmp_path)))


def test_generate_refuses_a_classifier_checkpoint(tmp_path, cache_dir):
    # A checkpoint as train writes it for the default model (the LSTM classifier).
    config = plain_config(compose_train([], tmp_path, cache_dir))
    classifier = tmp_path / "classifier.ckpt"
    torch.save({"run_config": config, "state_dict": {}}, classifier)
    with pytest.raises(CheckpointError, match="EmotionClassifier checkpoint, not a MuseGAN"):
        generate(_generate_config(ckpt=str(classifier), out=str(tmp_path)))


def test_generate_command_rejects_an_unknown_emotion_in_one_line(tmp_path, gan_checkpoint):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EMOPIA_ROOT": str(emopia_root())}
    result = subprocess.run(
        [sys.executable, "-m", "emopia_lightning.generate", f"ckpt={gan_checkpoint}", "emotion=grumpy",
         f"out={tmp_path}", f"paths.log_dir={tmp_path}"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown emotion 'grumpy'; choose one of Q1 (happy/excited/joyful), Q2 (tense/angry/anxious), "
        "Q3 (sad/depressed/melancholic), Q4 (calm/relaxed/peaceful)"
    ]
