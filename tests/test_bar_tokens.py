"""Learned bar tokens (MidiTok BPE over each bar's notes): fitted on training clips only, back to
the same REMI tokens (so the same notes), bar lines kept, carried by the composer's checkpoint."""

import json

import numpy as np
import pytest
import torch

from conftest import NO_WAV, TINY_COMPOSER, compose_train
from emopia_lightning.composing.composer import compose, load_composer
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.bar_tokens import BarTokenizer, BarTokensSpec, bar_contents, run_tokenizer
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.composer_windows import ComposerWindows
from emopia_lightning.errors import RequestError
from emopia_lightning.models.transformer_composer.module import BAR_TOKENIZER_KEY
from emopia_lightning.models.transformer_composer.sampling import tokens_to_notes
from emopia_lightning.train import train

REMI = ComposerVocabulary(8)
SPEC = BarTokensSpec(vocab_size=400)


def clip_ids(corpus) -> dict[str, np.ndarray]:
    return {label.name: corpus.clip_rows(i).reshape(-1) for i, label in enumerate(corpus.labels)}


@pytest.fixture(scope="module")
def halves(composer_corpus):
    """The real clips in two halves: one to fit on, one held out."""
    clips = clip_ids(composer_corpus)
    names = sorted(clips)
    return {n: clips[n] for n in names[::2]}, {n: clips[n] for n in names[1::2]}


@pytest.fixture(scope="module")
def tokenizer(halves):
    return BarTokenizer.fit(REMI.remi.tokenizer, REMI.bar, halves[0].items(), SPEC)


def test_bars_split_after_each_bar_token_and_a_lead_in_counts_as_a_bar():
    bar = REMI.bar
    contents = bar_contents(np.array([bar, 5, 6, bar, bar, 7]), bar)
    assert [c.tolist() for c in contents] == [[5, 6], [], [7]]
    assert [c.tolist() for c in bar_contents(np.array([9, bar, 8]), bar)] == [[9], [8]]


def test_held_out_clips_come_back_as_the_same_remi_tokens_in_fewer_tokens_with_every_bar_line(
    tokenizer, halves
):
    remi_total = learned_total = 0
    for ids in halves[1].values():  # clips it never saw
        learned = tokenizer.encode(ids)
        # Exactly REMI's tokens again, so exactly REMI's notes (whose grid tests/test_tokens.py checks).
        assert np.array_equal(tokenizer.decode(learned), ids)
        assert (learned == REMI.bar).sum() == (ids == REMI.bar).sum()
        assert learned.max() < tokenizer.size and learned.max() >= len(REMI.remi.tokenizer.vocab)
        remi_total, learned_total = remi_total + len(ids), learned_total + len(learned)
    assert learned_total < 0.9 * remi_total  # fitted on 6 clips; on the 767 training clips, 0.67
    # No learned token holds a bar line: the bar stays one token, where the emotion is marked.
    holding_a_bar = [i for i in range(tokenizer.size) if i != REMI.bar and REMI.bar in tokenizer.decode([i])]
    assert holding_a_bar == []


def test_a_tokenizer_that_learned_from_a_held_out_clip_is_refused(tmp_path, tokenizer, halves):
    fitted, held_out = halves
    tokenizer.check_held_out(held_out)  # it learned from the other half only
    saved = tmp_path / "tokenizer.json"
    saved.write_text(tokenizer.to_json())
    spec = BarTokensSpec(vocab_size=400, path=str(saved))
    with pytest.raises(RequestError, match=r"learned from \d+ held-out clip.*training songs only"):
        run_tokenizer(spec, REMI.remi, held_out, fitted, cache_dir=None)  # the halves swapped
    loaded = run_tokenizer(spec, REMI.remi, fitted, held_out, cache_dir=None)
    assert loaded.fitted_on == tokenizer.fitted_on == tuple(fitted)


def test_a_fitted_tokenizer_is_cached_and_read_back_the_same(tmp_path, halves):
    fitted, held_out = halves
    first = run_tokenizer(SPEC, REMI.remi, fitted, held_out, tmp_path)
    (entry,) = tmp_path.glob("bar_tokens-*/tokenizer.json")
    again = run_tokenizer(SPEC, REMI.remi, fitted, held_out, tmp_path)
    ids = next(iter(held_out.values()))
    assert np.array_equal(first.encode(ids), again.encode(ids))
    assert json.loads(entry.read_text())["fitted_on"] == sorted(fitted)
    with pytest.raises(RequestError, match="asks 500"):
        run_tokenizer(BarTokensSpec(vocab_size=500, path=str(entry)), REMI.remi, fitted, held_out, None)


def test_training_windows_of_learned_tokens_decode_to_the_clips_notes_and_shift_them(
    composer_corpus, tokenizer
):
    vocabulary = ComposerVocabulary(8, learned_size=tokenizer.size).with_tokenizer(tokenizer)
    plain = ComposerWindows(composer_corpus, np.arange(3), REMI, window=100_000)
    learned = ComposerWindows(composer_corpus, np.arange(3), vocabulary, window=100_000)
    for k in range(3):
        remi_notes = tokens_to_notes(plain[k][0].numpy(), REMI, qpm=120)
        ids = learned[k][0].numpy()
        assert ids[0] == vocabulary.bar and ids[-1] == vocabulary.eos
        notes = tokens_to_notes(ids, vocabulary, qpm=120)
        assert np.array_equal(notes.pitch, remi_notes.pitch) and np.array_equal(
            notes.start_beat, remi_notes.start_beat
        )
    # Training: from a random bar line, shifted by up to 3 semitones (in REMI, before merging).
    original = tokens_to_notes(plain[0][0].numpy(), REMI, qpm=120)
    order = np.lexsort((original.pitch, original.start_beat))
    shifting = ComposerWindows(
        composer_corpus, np.arange(1), vocabulary, window=100_000, random=True, max_shift=3
    )
    torch.manual_seed(0)
    shifts = set()
    for _ in range(12):
        notes = tokens_to_notes(shifting[0][0].numpy(), vocabulary, qpm=120)
        mine = np.lexsort((notes.pitch, notes.start_beat))
        tail = order[len(order) - len(notes) :]  # the clip's notes from the window's bar line on
        (shift,) = set(notes.pitch[mine].astype(int) - original.pitch[tail].astype(int))
        (moved,) = set(np.round(original.start_beat[tail] - notes.start_beat[mine], 6))
        assert moved % 4 == 0 and -3 <= shift <= 3
        shifts.add(shift)
    assert len(shifts) > 1


def test_a_composer_of_learned_tokens_keeps_its_tokenizer_in_its_checkpoint_and_composes(tmp_path, cache_dir):
    overrides = [*TINY_COMPOSER, *NO_WAV, "trainer.max_steps=2", "callbacks.judged_emotion=null",
                 "data.bar_tokens.vocab_size=400"]  # fmt: skip
    cfg = compose_train(overrides, tmp_path, cache_dir)
    train(cfg)
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    saved = json.loads(checkpoint[BAR_TOKENIZER_KEY])
    assert len(saved["fitted_on"]) == 767  # the official split's training clips, and no other
    composer, _ = load_composer(tmp_path)
    assert composer.vocabulary.size == 406 and composer.vocabulary.bar_tokenizer.fitted_on == tuple(
        saved["fitted_on"]
    )
    (notes,) = compose(composer, [PieceRequest("Q3", 2, 100, 0)])
    assert notes.end_beat.max(initial=0) <= 8
