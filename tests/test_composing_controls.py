"""What a creator asks beyond an emotion and bars, through the one composing path and ``generate``:
a length in seconds, an emotion that turns, a prompt to continue; each refused in one line."""

import wave

import numpy as np
import pytest
from omegaconf import OmegaConf
from test_entry_point_errors import run_as_user

from conftest import emopia_root, make_midi
from emopia_lightning.app.emotion_reading import read_upload
from emopia_lightning.composing.composer import compose, load_composer
from emopia_lightning.composing.request import PieceRequest, whole_bars
from emopia_lightning.data.notes import read_notes
from emopia_lightning.generate import generate
from emopia_lightning.models.musegan.sampling import phrase_labels

GAN_OPTIONS = {"threshold": 0.02}  # the tiny GAN is a few steps from its start: faint notes


def _notes(notes, start: float = 0.0, end: float = np.inf) -> list[tuple]:
    """(start, end, pitch, velocity) of the notes starting in [start, end), in beats."""
    keep = (notes.start_beat >= start) & (notes.start_beat < end)
    return list(zip(notes.start_beat[keep], notes.end_beat[keep], notes.pitch[keep], notes.velocity[keep]))


def _config(tmp_path, ckpt, **values):
    base = {"emotion": "Q1", "n": 1, "seed": 0, "bars": None, "qpm": 120, "wav": False, "options": GAN_OPTIONS,
            "ckpt": str(ckpt), "out": str(tmp_path), "along": False}  # fmt: skip
    return OmegaConf.create({**base, **values})


def test_seconds_45_at_90_bpm_end_on_the_closing_chord_within_a_beat_and_the_wav_holds_the_release(
    tmp_path, gan_checkpoint
):
    written = generate(_config(tmp_path, gan_checkpoint, emotion="calm", seconds=45, qpm=90, wav=True))[
        "written"
    ]
    (midi,) = written.midi
    assert midi.name == "calm-Q4_seed-0_45-s_90-bpm.mid"
    notes = read_notes(midi.read_bytes())
    assert abs(notes.end_s.max() - 45) <= 60 / 90  # within one beat of 45 s
    last = notes.start_beat == notes.start_beat.max()
    assert last.sum() >= 1 and np.all(
        notes.end_beat[last] == notes.end_beat.max()
    )  # one chord, held to the end
    if written.wav:  # where a renderer is installed: as long as the piece and its release
        with wave.open(str(written.wav[0])) as played:
            assert played.getnframes() / played.getframerate() == pytest.approx(
                notes.end_s.max() + 1.0, abs=0.05
            )


def test_the_musegan_phrases_follow_the_plan_turning_at_the_nearest_phrase_line():
    plan = PieceRequest("tense", 16, then="calm", turn=8).checked().plan
    assert plan == (1,) * 8 + (3,) * 8
    assert phrase_labels(plan, 4, 4) == [1, 1, 3, 3]
    assert phrase_labels(PieceRequest("Q1", 16, then="Q3", turn=6).checked().plan, 4, 4) == [0, 2, 2, 2]
    assert phrase_labels(PieceRequest("Q1", 16, then="Q3", turn=7).checked().plan, 4, 4) == [0, 0, 2, 2]
    assert phrase_labels(PieceRequest("Q1", 6).checked().plan, 4, 2) == [0, 0]  # past the plan: its last


def test_a_turning_musegan_piece_is_the_first_emotions_up_to_the_turn_and_the_seconds_after(gan_checkpoint):
    model, _ = load_composer(gan_checkpoint)
    options = {**GAN_OPTIONS, "final_chord": False}
    turning, first, second = compose(model, [
        PieceRequest("Q2", 16, 120, 3, then="Q4", turn=8), PieceRequest("Q2", 16, 120, 3),
        PieceRequest("Q4", 16, 120, 3),
    ], options)  # fmt: skip
    assert len(_notes(turning, 0, 32)) > 0 and len(_notes(turning, 32)) > 0
    assert _notes(turning, 0, 32) == _notes(first, 0, 32)  # the same seed: the same latents
    assert _notes(turning, 32) == _notes(second, 32)
    assert _notes(first, 32) != _notes(second, 32)  # the label is heard: the turn changed the notes


def test_a_transformer_piece_turns_exactly_at_its_bar(composer_checkpoint, monkeypatch):
    from emopia_lightning.models.transformer_composer import sampling

    # One sampling a piece (seed 8: one whose first bars hold notes): the tiny composer's silent
    # pieces would otherwise be sampled again from another stream, the turning one and the plain
    # one not always alike.
    monkeypatch.setattr(sampling, "MAX_TRIES", 1)
    model, _ = load_composer(composer_checkpoint)
    options = {"final_chord": False, "guidance": 5.0}
    at_4, at_5, first = compose(model, [
        PieceRequest("Q2", 8, 120, 8, then="Q4", turn=4), PieceRequest("Q2", 8, 120, 8, then="Q4", turn=5),
        PieceRequest("Q2", 8, 120, 8),
    ], options)  # fmt: skip
    assert len(_notes(first, 0, 16)) > 0
    assert _notes(at_4, 0, 16) == _notes(first, 0, 16)  # the first emotion's piece up to bar 4
    assert _notes(at_5, 0, 20) == _notes(first, 0, 20)  # ... and up to bar 5 where it turns there
    assert _notes(at_4, 16) != _notes(first, 16)  # after the turn, another condition


def test_a_transformer_continuation_opens_with_the_real_clips_whole_bars_unchanged(
    composer_checkpoint, real_clips, tmp_path
):
    model, _ = load_composer(composer_checkpoint)
    stem, blob = list(real_clips.items())[3]
    (tmp_path / f"{stem}.mid").write_bytes(blob)
    clip = read_upload(tmp_path / f"{stem}.mid")
    kept, bars = whole_bars(clip)
    (piece,) = compose(model, [PieceRequest("Q1", 4, 120, 0, prompt=clip, prompt_name=stem)])
    assert bars >= 4 and _notes(piece, 0, bars * 4) == _notes(kept)
    assert len(_notes(piece, bars * 4)) > 0 and piece.end_beat.max() == (bars + 4) * 4


def test_the_musegan_refuses_a_prompt_in_one_line(tmp_path, gan_checkpoint, real_clips):
    (tmp_path / "clip.mid").write_bytes(next(iter(real_clips.values())))
    with pytest.raises(Exception, match="cannot continue a prompt"):
        generate(_config(tmp_path, gan_checkpoint, prompt=str(tmp_path / "clip.mid"), bars=4))


@pytest.fixture
def bad_prompts(tmp_path) -> dict[str, str]:
    files = {"empty": b"", "not_midi": b"C E G, then more", "big": bytes(6 * 2**20),
             "half_bar": make_midi([(0, 480, 60, 80), (480, 480, 64, 80)])}  # fmt: skip
    for name, blob in files.items():
        (tmp_path / f"{name}.mid").write_bytes(blob)
    return {name: str(tmp_path / f"{name}.mid") for name in files}


@pytest.mark.parametrize(
    "args, says",
    [
        (["seconds=1000"], "at 120 bpm a piece can be 2.0 to 512 seconds, got 1000"),
        (["seconds=45", "bars=8"], "give the length in bars or in seconds, not both"),
        (["seconds=-3"], "a piece can be 2.0 to 512 seconds, got -3"),
        (["emotion=tense", "then=calm", "turn=16"], "turn must be 1 to 15 bars"),
        (["emotion=tense", "then=calm", "turn=0", "bars=32"], "turn must be 1 to 31 bars"),
        (["turn=4"], "turn needs then="),
        (["then=grumpy"], "unknown emotion 'grumpy'"),
        (["prompt={empty}"], "empty.mid is empty"),
        (["prompt={not_midi}"], "not_midi.mid is not a MIDI file that can be read"),
        (["prompt={big}"], "big.mid is 6.0 MB; files up to 5 MB"),
        (["prompt={half_bar}"], "no whole bar"),
        (["prompt={missing}"], "missing.mid is not a file"),
    ],
)
def test_generate_refuses_each_new_option_out_of_range_in_one_line(
    args, says, bad_prompts, tmp_path, gan_checkpoint, monkeypatch, capsys
):
    files = {**bad_prompts, "missing": str(tmp_path / "missing.mid")}
    args = [a.format(**files) for a in args]
    status, err = run_as_user("emopia_lightning.generate", [
        f"ckpt={gan_checkpoint}", *args, f"out={tmp_path / 'out'}", f"hydra.run.dir={tmp_path / 'run'}",
    ], monkeypatch, capsys)  # fmt: skip
    assert status == 2 and "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], err[-3000:]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.mid"))  # nothing composed


def test_generate_draws_each_pieces_emotion_along_it_read_by_the_given_classifier(
    tmp_path, gan_checkpoint, classifier_checkpoint
):
    from PIL import Image

    from emopia_lightning.render.emotion_along import window_starts

    cfg = _config(tmp_path / "along", gan_checkpoint, emotion="tense", then="calm", n=2, bars=12)
    reader = {"along": True, "classifier": str(classifier_checkpoint), "make_classify_model": "none.skops",
              "paths": {"data_dir": str(emopia_root()), "cache_dir": str(tmp_path / "cache")}}  # fmt: skip
    written = generate(OmegaConf.merge(cfg, reader))["written"]
    plain = generate(OmegaConf.merge(cfg, {"out": str(tmp_path / "plain")}))["written"]
    for piece in written.pieces:
        assert piece.along.starts.tolist() == window_starts(12 * 4, 4) == [0, 4, 8]
        assert piece.along.quadrants.sum(axis=1) == pytest.approx(1.0)
        assert "classifier" in piece.along.reader
    assert all(piece.along is None for piece in plain.pieces)
    taller = Image.open(written.picture).size[1] - Image.open(plain.picture).size[1]
    assert taller > 100  # a strip under each of the two rolls
