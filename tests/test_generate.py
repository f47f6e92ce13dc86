"""Generated music on disk: beat rolls to MIDI and back, and the generate command."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from conftest import compose_train, emopia_root, piece_of
from emopia_lightning.composing.endings import cut_at, end_on_chord
from emopia_lightning.data.labels import parse_emotion
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.rolls import BeatRollSpec, cut_segments
from emopia_lightning.data.segment_layout import ONSET, SOUNDING, SegmentLayout, piece_to_notes
from emopia_lightning.errors import CheckpointError, RequestError
from emopia_lightning.generate import generate
from emopia_lightning.project_root import PROJECT_ROOT
from emopia_lightning.render.midi import piece_to_score, write_midi
from emopia_lightning.utils.runtime import plain_config

LAYOUT = SegmentLayout()  # 22.., 4 steps a beat: a step is 120 ticks


def _score_notes(piece) -> list[tuple[int, int, int, int]]:
    """(start tick, duration ticks, MIDI pitch, velocity) of the written score."""
    track = piece_to_score(piece, LAYOUT).tracks[0]
    return [(n.start, n.duration, n.pitch, n.velocity) for n in track.notes]


def test_the_midi_writer_tells_repeated_notes_from_held_ones_with_their_velocities():
    piece = piece_of([(0, 4, 38, 100), (4, 4, 38, 40)], 16)  # C4 struck twice, no gap between
    piece[0:8, 42, SOUNDING] = 70  # E4 held 8 steps: one onset only
    piece[0, 42, ONSET] = 70
    assert _score_notes(piece) == [(0, 480, 60, 100), (0, 960, 64, 70), (480, 480, 60, 40)]


def test_the_midi_writer_starts_a_note_held_in_from_before_and_one_running_to_the_end():
    piece = np.zeros((16, 84, 2), np.uint8)
    piece[0:3, 0, SOUNDING] = 55  # sounding from step 0 without an onset: held in
    piece[10:16, 83, SOUNDING] = 90  # to the last step
    piece[10, 83, ONSET] = 90
    assert _score_notes(piece) == [(0, 360, 22, 55), (1200, 720, 105, 90)]


def _ended_notes(piece, bars: int, ending=end_on_chord) -> list[tuple[int, int, int, int]]:
    track = (
        ending(piece_to_notes(piece, LAYOUT), bars * LAYOUT.beats_per_bar, 120.0).to_score(120.0).tracks[0]
    )
    return [(n.start, n.duration, n.pitch, n.velocity) for n in track.notes]


def test_the_final_chord_holds_the_last_bars_first_beat_to_the_end():
    steps = 2 * LAYOUT.steps_per_bar  # two bars
    piece = piece_of(
        [(0, 20, 10, 60), (17, 3, 38, 90), (18, 2, 42, 80), (24, 2, 45, 70), (28, 4, 50, 64)], steps
    )
    # Bar 2 starts at step 16; its first onset is at 17: the chord is what is struck in 17..20,
    # and the note held from bar 1 stops where the chord starts.
    assert _ended_notes(piece, 2) == [
        (0, 17 * 120, 32, 60),
        (17 * 120, 15 * 120, 60, 90),
        (17 * 120, 15 * 120, 64, 80),
    ]


def test_the_final_chord_of_a_silent_last_bar_is_the_last_onset_and_silence_stays_silent():
    piece = piece_of([(2, 2, 38, 90), (5, 1, 45, 70)], 32)
    assert _ended_notes(piece, 2) == [(240, 240, 60, 90), (600, 27 * 120, 67, 70)]
    assert _ended_notes(np.zeros((32, 84, 2), np.uint8), 2) == []


def test_a_piece_is_cut_to_its_bars_and_a_note_sounding_at_the_end_stops_there():
    piece = piece_of([(2, 2, 38, 90), (12, 10, 45, 70), (17, 3, 50, 60)], 32)
    assert _ended_notes(piece, 1, cut_at) == [(240, 240, 60, 90), (12 * 120, 4 * 120, 67, 70)]


def test_a_real_segment_survives_midi_and_back(tmp_path, real_clips):
    spec = BeatRollSpec.of(LAYOUT)
    for stem, blob in list(real_clips.items())[:3]:
        segment = cut_segments(spec.render(read_notes(blob)), 16, 4)[0].reshape(64, 84, 2)
        path = write_midi(segment, tmp_path / f"{stem}.mid", LAYOUT)
        again = spec.render(read_notes(path.read_bytes())).reshape(-1, 84, 2)
        assert (segment[..., ONSET] > 0).sum() > 20
        # Every onset comes back with its velocity, and every sounding step sounds again.
        assert np.array_equal(again[..., ONSET], segment[: len(again), :, ONSET])
        assert np.array_equal(again[..., SOUNDING] > 0, segment[: len(again), :, SOUNDING] > 0)
        assert not segment[len(again) :, :, SOUNDING].any()


@pytest.mark.parametrize("text, index", [("Q1", 0), ("q2", 1), ("3", 2), ("sad", 2), (" Calm ", 3)])
def test_emotions_by_quadrant_or_name(text, index):
    assert parse_emotion(text) == index


def _generate_config(options=None, **values):
    base = {"emotion": "Q1", "n": 1, "seed": 0, "bars": 4, "qpm": 120, "wav": False, "options": options or {}}
    return OmegaConf.create({**base, **values})


def test_generate_writes_midi_that_reads_back_for_a_named_emotion(tmp_path, gan_checkpoint):
    # A few steps from a start at 5 % density: a low threshold, so that the untrained nets sound.
    cfg = _generate_config(
        {"threshold": 0.02}, ckpt=str(gan_checkpoint), emotion="sad", n=2, bars=6, out=str(tmp_path)
    )
    result = generate(cfg)
    names = ["sad-Q3_seed-0_6-bars_120-bpm.mid", "sad-Q3_seed-1_6-bars_120-bpm.mid"]
    assert sorted(p.name for p in result["written"].midi) == names
    assert (tmp_path / "piano_roll.png").stat().st_size > 5000
    assert "CC BY-NC-SA" in (tmp_path / "DATA_LICENSE.txt").read_text()  # the data's terms, beside the music
    for path in result["written"].midi:
        notes = read_notes(path.read_bytes())
        assert len(notes) > 0 and notes.pitch.min() >= 22 and notes.pitch.max() <= 105
        assert notes.end_beat.max() == 6 * 4  # 6 bars (two segments, cut), the final chord held to the end
        assert len(set(notes.velocity.tolist())) > 1  # dynamics, not one velocity
    again = generate(OmegaConf.merge(cfg, {"out": str(tmp_path / "again")}))
    first, second = (r["written"].midi[0].read_bytes() for r in (result, again))
    assert first == second  # the seed fixes the music


def test_pieces_share_their_style_latent_and_walk_their_temporal_latents(gan_checkpoint):
    from emopia_lightning.checkpoints import load_model
    from emopia_lightning.models.musegan.module import MuseGAN
    from emopia_lightning.models.musegan.sampling import piece_latents

    model, _ = load_model(gan_checkpoint, MuseGAN, "MuseGAN")
    latents = piece_latents(model, 2, 3, torch.Generator().manual_seed(0))  # (pieces, segments, 2, D)
    assert torch.equal(latents[0, 0, 0], latents[0, 2, 0]) and not torch.equal(
        latents[0, 0, 0], latents[1, 0, 0]
    )
    assert not torch.equal(latents[0, 0, 1], latents[0, 1, 1])
    # Successive temporal latents are correlated by the continuity, each still standard normal.
    walk = piece_latents(model, 400, 2, torch.Generator().manual_seed(1), continuity=0.8)[:, :, 1]
    first, second = walk[:, 0].flatten(), walk[:, 1].flatten()
    assert torch.corrcoef(torch.stack([first, second]))[0, 1] == pytest.approx(0.8, abs=0.02)
    assert second.std() == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"n": 0}, "n must be a whole number"),
        ({"n": "abc"}, "n must be a whole number"),
        ({"bars": 0}, "length must be 1 to 256 bars"),
        ({"qpm": 0}, "tempo must be 40 to 220 bpm"),
        ({"options": {"continuity": 1.0}}, r"continuity must be in \[0, 1\)"),
        ({"options": {"guidance": 2.0}}, "guidance: not an option of the musegan"),
        ({"ckpt": "???"}, "ckpt=PATH is required"),
    ],
)
def test_generate_rejects_bad_options_clearly(tmp_path, gan_checkpoint, values, message):
    cfg = _generate_config(**{"ckpt": str(gan_checkpoint), "out": str(tmp_path), **values})
    with pytest.raises(RequestError, match=message):
        generate(cfg)


def test_generate_names_a_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        generate(_generate_config(ckpt=str(tmp_path / "nope.ckpt"), out=str(tmp_path)))


def test_generate_refuses_a_classifier_checkpoint(tmp_path, cache_dir):
    # A checkpoint as train writes it for the default model (the LSTM classifier).
    config = plain_config(compose_train([], tmp_path, cache_dir))
    classifier = tmp_path / "classifier.ckpt"
    torch.save({"run_config": config, "state_dict": {}}, classifier)
    with pytest.raises(CheckpointError, match="holds EmotionClassifier weights, not the composer"):
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
