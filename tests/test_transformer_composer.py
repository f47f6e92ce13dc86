"""The Transformer composer: its vocabulary and windows of real clips, its sampling (the cache, the
seed, the emotion, guidance, exact bars), its training and resuming."""

from functools import partial

import numpy as np
import pytest
import pytorch_lightning as pl
import symusic
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from conftest import NO_WAV, TINY_COMPOSER, compose_train, tiny_composer
from emopia_lightning.composing.composer import compose, load_composer
from emopia_lightning.composing.pieces import write_pieces
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.clip_dataset import pad_collate
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.composer_windows import ComposerWindows
from emopia_lightning.data.notes import PIANO, read_notes
from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.errors import RequestError
from emopia_lightning.models.transformer_composer.module import TransformerComposer, warmup_cosine
from emopia_lightning.models.transformer_composer.sampling import (
    MAX_BAR_TOKENS,
    sample_tokens,
    tokens_to_notes,
)
from emopia_lightning.train import train

VOCABULARY = ComposerVocabulary(8)


def test_the_vocabulary_follows_remi_with_the_end_and_one_condition_per_emotion():
    remi = VOCABULARY.remi.vocab_size
    assert VOCABULARY.eos == remi and VOCABULARY.size == remi + 6
    conditions = [VOCABULARY.condition(q) for q in (0, 1, 2, 3, None)]
    assert conditions == list(range(remi + 1, remi + 6))
    assert VOCABULARY.pitch_of_id[VOCABULARY.pitch_ids].tolist() == list(range(PIANO[0], PIANO[1] + 1))
    ids = VOCABULARY.pitch_ids[[0, 39, 87]]  # A0, C4, C8: no room either way
    assert VOCABULARY.transpose_range(ids) == (0, 0)
    with pytest.raises(ValueError, match="takes notes off the piano"):
        VOCABULARY.transposed(ids, 1)


def test_a_clips_window_decodes_to_its_notes_and_a_shifted_window_to_them_shifted(
    composer_corpus, real_clips
):
    label = composer_corpus.labels[0]
    notes = read_notes(real_clips[label.name])
    windows = ComposerWindows(composer_corpus, np.array([0]), VOCABULARY, window=100_000)
    ids = windows[0][0].numpy()
    assert ids[0] == VOCABULARY.bar and ids[-1] == VOCABULARY.eos  # the whole clip, and its end
    decoded = tokens_to_notes(ids, VOCABULARY, qpm=120)
    assert len(decoded) == len(notes)
    # Onsets at REMI's 8 positions a beat, pitches exact, velocities within a bin (8 bins of 16).
    assert sorted(zip(np.round(decoded.start_beat * 8), decoded.pitch)) == sorted(
        zip(np.round((notes.start_beat - np.floor(notes.start_beat.min() / 4) * 4) * 8), notes.pitch)
    )
    assert np.abs(np.sort(decoded.velocity.astype(int)) - np.sort(notes.velocity.astype(int))).max() <= 16
    shifted = VOCABULARY.transposed(ids, 2)
    again = tokens_to_notes(shifted, VOCABULARY, qpm=120)
    assert sorted(again.pitch.tolist()) == sorted((decoded.pitch + 2).tolist())
    assert np.array_equal(np.sort(again.start_beat), np.sort(decoded.start_beat))


def test_training_windows_start_at_a_bar_line_and_shift_within_the_piano(composer_corpus):
    torch.manual_seed(0)
    windows = ComposerWindows(
        composer_corpus, np.arange(len(composer_corpus)), VOCABULARY, window=64, random=True, max_shift=3
    )
    starts, shifted = set(), 0
    for item in range(len(composer_corpus)):
        for _ in range(3):
            ids, quadrant = windows[item]
            assert len(ids) <= 64 and ids[0] == VOCABULARY.bar
            assert quadrant == composer_corpus.labels[item].quadrant - 1
            clip = composer_corpus.clip_rows(item)[:, 0].astype(np.int64)
            music = ids.numpy()[ids.numpy() != VOCABULARY.eos]
            # Every window is a stretch of the clip from a bar line, all its pitches moved by one shift of at most 3.
            bars = np.flatnonzero(clip == VOCABULARY.bar)
            for shift in range(-3, 4):
                try:
                    back = VOCABULARY.transposed(music, -shift)
                except ValueError:  # that shift would not have fitted
                    continue
                found = [b for b in bars if np.array_equal(clip[b : b + len(back)], back)]
                if found:
                    starts.add((item, int(found[0])))
                    shifted += shift != 0
                    ends_with_clip = found[0] + len(back) == len(clip)
                    assert (ids[-1] == VOCABULARY.eos) == (ends_with_clip and len(ids) == len(back) + 1)
                    break
            else:
                pytest.fail(f"window of clip {item} is not a stretch of the clip shifted by -3..3")
    assert len(starts) > len(composer_corpus) and shifted > 0  # windows start at many bars, and are shifted


def test_cached_sampling_gives_the_tokens_uncached_sampling_gives(tmp_path):
    composer = tiny_composer()
    requests = [PieceRequest("Q2", 5, 120, 1).checked(), PieceRequest("Q4", 3, 120, 2).checked()]
    # With guidance an unconditional row runs beside each request; with valence guidance, a mirrored one too.
    # anchor_bars: the slid rows keep their opening bar too.
    for guidance, valence, anchor in ((1.0, 0.0, 0), (1.5, 0.0, 0), (1.5, 1.0, 0), (1.5, 1.0, 1)):
        options = partial(
            composer.options_type, guidance=guidance, valence_guidance=valence, anchor_bars=anchor
        )
        cached, uncached = (
            sample_tokens(composer.net, composer.token_layout, True, requests, options(cache=c))
            for c in (True, False)
        )
        for a, b in zip(cached, uncached):
            assert (
                len(a) > composer.net.context
            )  # past the context: the window slid and the cache was rebuilt
            np.testing.assert_array_equal(a, b)


def test_a_note_off_the_piano_is_left_out_of_the_piece():
    # MidiTok's REMI has one Pitch token above the piano (Pitch_109); guidance once made a composer
    # write it, and the realness test failed on the note.
    vocab = VOCABULARY.remi.tokenizer.vocab
    assert VOCABULARY.pitch_of_id[vocab["Pitch_109"]] == -1  # not a piano key
    note = lambda pitch: [vocab["Position_0"], vocab[pitch], vocab["Velocity_63"], vocab["Duration_1.0.8"]]  # noqa: E731
    notes = tokens_to_notes(
        np.array([VOCABULARY.bar, *note("Pitch_60"), *note("Pitch_109")]), VOCABULARY, 120
    )
    assert notes.pitch.tolist() == [60]


def test_a_piece_has_the_bars_and_tempo_asked_for_and_its_seed_alone_fixes_it(tmp_path, fluent_composer):
    composer = fluent_composer
    request = PieceRequest("calm", 3, 90, 3).checked()
    (alone,) = compose(composer, [request])
    assert len(alone) > 3  # notes, not a silent piece
    beside = compose(composer, [PieceRequest("Q1", 5, 90, 3), request])[1]
    assert np.array_equal(alone.pitch, beside.pitch) and np.array_equal(alone.start_beat, beside.start_beat)
    written = write_pieces([(request, alone)], tmp_path, wav=False, picture=None)
    score = symusic.Score(str(written.midi[0]))
    assert score.tempos[0].qpm == pytest.approx(90)
    assert score.end() == 3 * 4 * score.ticks_per_quarter  # 3 bars, the final chord held to the end
    (cut,) = compose(composer, [request], {"final_chord": False})
    assert cut.end_beat.max() <= 3 * 4 and cut.start_beat.min() >= 0
    tokens = sample_tokens(composer.net, composer.token_layout, True, [request], composer.options_type())[0]
    assert (tokens == VOCABULARY.bar).sum() == 3 and VOCABULARY.eos not in tokens


def test_a_composer_that_never_closes_a_bar_still_writes_the_bars_asked_for(monkeypatch):
    composer = tiny_composer()
    forward = composer.net.forward

    def never_a_bar_nor_the_end(ids, cache=None, padding=None):
        logits = forward(ids, cache, padding)
        # A bar is closed by its mark: here an emotion's condition token
        logits[..., [VOCABULARY.eos, *composer.token_layout.marks().tolist()]] = -1e4
        return logits

    monkeypatch.setattr(composer.net, "forward", never_a_bar_nor_the_end)
    request = PieceRequest("Q3", 2, 120, 5).checked()
    (tokens,) = sample_tokens(composer.net, composer.token_layout, True, [request], composer.options_type())
    starts = np.flatnonzero(tokens == VOCABULARY.bar)
    assert starts.tolist() == [0, MAX_BAR_TOKENS]  # each bar closed at the cap, then the piece ends
    assert len(tokens) == 2 * MAX_BAR_TOKENS


def test_the_emotion_and_the_guidance_change_the_music_and_without_labels_the_emotion_cannot():
    composer, options = tiny_composer(), TransformerComposer.options_type()
    sad, happy = (PieceRequest(e, 2, 120, 0).checked() for e in ("sad", "happy"))
    tokens = partial(sample_tokens, composer.net, composer.token_layout)
    assert not np.array_equal(tokens(True, [sad], options)[0], tokens(True, [happy], options)[0])
    guided = options.__class__(guidance=3.0)
    assert not np.array_equal(tokens(True, [sad], options)[0], tokens(True, [sad], guided)[0])
    pushed = options.__class__(valence_guidance=1.0)  # away from tense, sad's mirror
    assert not np.array_equal(tokens(True, [sad], options)[0], tokens(True, [sad], pushed)[0])
    # Unconditional (label_aug=false): both requests read "no emotion", and guidance has nothing to sharpen.
    assert np.array_equal(tokens(False, [sad], guided)[0], tokens(False, [happy], options)[0])


@pytest.mark.parametrize(
    "options, says",
    [
        ({"temperature": 0}, r"temperature must be in \(0, 5\]"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        ({"guidance": "strong"}, "guidance must be a number"),
        ({"valence_guidance": -1}, r"valence_guidance must be in \[0, 10\]"),
        ({"cache": "yes"}, "cache must be true or false"),
        ({"anchor_bars": 1.5}, "anchor_bars must be a whole number"),
        ({"guidance_context": -1}, r"guidance_context must be in \[0, 100000\]"),
        ({"anchor_bars": 9}, r"anchor_bars must be in \[0, 8\]"),
        ({"threshold": 0.5}, "threshold: not an option of the transformer"),
    ],
)
def test_options_out_of_range_are_refused_by_name(options, says):
    with pytest.raises(RequestError, match=says):
        compose(tiny_composer(), [PieceRequest("Q1", 1, 120, 0)], options)


def test_the_learning_rate_warms_up_then_falls_to_its_floor():
    factor = warmup_cosine(10, 110, 0.1)
    assert [factor(s) for s in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert factor(60) == pytest.approx(0.55) and factor(110) == pytest.approx(0.1) and factor(500) == 0.1


@pytest.mark.parametrize("every_bar", [True, False])
def test_validation_loss_is_the_mean_over_the_real_tokens_of_all_batches(composer_corpus, every_bar):
    """Two batches of real windows cut to different lengths, so padding differs between rows and
    batches: val/loss is the cross-entropy summed over the real next tokens, divided by their count
    (in either token layout: the emotion marking every bar, or read once before the window)."""
    composer = tiny_composer(context=64, every_bar=every_bar)
    windows = ComposerWindows(composer_corpus, np.arange(8), VOCABULARY, window=64, random=False)
    cut = [windows[i] for i in range(8)]
    cut = [(ids[:length], quadrant) for (ids, quadrant), length in zip(cut, (64, 20, 33, 64, 9, 64, 64, 64))]
    batches = [pad_collate(cut[:4], padding_value=PAD_ID), pad_collate(cut[4:], padding_value=PAD_ID)]
    assert all((ids == PAD_ID).any() for ids, _, _ in batches)  # each batch holds padding
    trainer = pl.Trainer(
        accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    (logged,) = trainer.validate(composer, dataloaders=DataLoader(batches, batch_size=None), verbose=False)
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, lengths, quadrants in batches:
            conditions = torch.tensor([[VOCABULARY.condition(int(q))] for q in quadrants])
            if every_bar:  # the window's Bars read as its emotion; its first token is not predicted
                marked = torch.where(ids == VOCABULARY.bar, conditions, ids)
                inputs, targets, first = marked[:, :-1], marked[:, 1:], 1
            else:
                inputs, targets, first = torch.cat([conditions, ids[:, :-1]], dim=1), ids, 0
            logits = composer.net(inputs)  # (B, T, V)
            losses = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)
            real = torch.arange(first, ids.shape[1])[None, :] < lengths[:, None]  # (B, T): not padding
            total, count = total + float(losses[real].sum()), count + int(real.sum())
    assert count == 64 + 20 + 33 + 64 + 9 + 64 + 64 + 64 - (8 if every_bar else 0)
    assert logged["val/loss"] == pytest.approx(total / count, rel=1e-5)


def test_training_resumes_to_the_same_end(tmp_path, cache_dir):
    steps = ["callbacks.judged_emotion=null", "callbacks.samples.at_steps=[2]"]
    whole = compose_train(
        [*TINY_COMPOSER, *NO_WAV, *steps, "trainer.max_steps=4"], tmp_path / "whole", cache_dir
    )
    metrics = train(whole)
    assert np.isfinite(metrics["val/loss"])
    killed = compose_train(
        [*TINY_COMPOSER, *NO_WAV, *steps, "trainer.max_steps=2"], tmp_path / "run", cache_dir
    )
    train(killed)
    resumed = compose_train(
        [*TINY_COMPOSER, *NO_WAV, *steps, "trainer.max_steps=4", "ckpt_path=last"],
        tmp_path / "run",
        cache_dir,
    )
    train(resumed)
    ends = [
        torch.load(folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
        for folder in (tmp_path / "whole", tmp_path / "run")
    ]
    assert [end["global_step"] for end in ends] == [4, 4]
    schedules = [end["lr_schedulers"][0] for end in ends]
    assert schedules[0]["last_epoch"] == schedules[1]["last_epoch"] == 4
    assert schedules[0]["_last_lr"] == pytest.approx(
        schedules[1]["_last_lr"]
    )  # the same point of the schedule
    written = sorted(p.name for p in (tmp_path / "run" / "samples").iterdir())
    assert written == ["step_000002", "step_000004"]  # the step-2 samples were kept, not redone
    assert (tmp_path / "run" / "loss_curves.png").stat().st_size > 0
    (curves,) = [state for key, state in ends[1]["callbacks"].items() if "TokenLossCurves" in key]
    # the resumed curve is whole: every step's training loss, and each validation (steps 2 and 4)
    assert curves["history"]["step"] == [1, 2, 3, 4] and curves["history"]["val_step"] == [2, 4]
    composer, config = load_composer(tmp_path / "run")
    assert isinstance(composer, TransformerComposer) and config["model"]["net"]["width"] == 32


# bf16 autocast on the CPU: the path trainer=gpu trainer.precision=bf16-mixed takes (about 3 s)
def test_the_composer_trains_and_composes_under_bf16_autocast(tmp_path, cache_dir):
    overrides = [*TINY_COMPOSER, *NO_WAV, "trainer.max_steps=2", "trainer.precision=bf16-mixed",
                 "callbacks.judged_emotion=null"]  # fmt: skip
    metrics = train(compose_train(overrides, tmp_path, cache_dir))
    assert np.isfinite(metrics["val/loss"])
    composer, _ = load_composer(tmp_path)
    (notes,) = compose(composer, [PieceRequest("Q2", 1, 120, 0)])
    assert notes.end_beat.max(initial=0) <= 4
