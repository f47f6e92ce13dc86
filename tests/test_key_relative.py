"""Key-relative composing (data.key_relative): clips read in C, pieces written in C and moved to
their key (a prompt's, or one the seed draws)."""

import dataclasses

import numpy as np
import torch

from conftest import composer_vocabulary
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.composer_windows import ComposerWindows
from emopia_lightning.data.notes import PIANO, read_notes
from emopia_lightning.data.tonic import nearest_shift, to_c, tonic
from emopia_lightning.models.transformer_composer.module import key_shift
from emopia_lightning.models.transformer_composer.sampling import tokens_to_notes

VOCABULARY = composer_vocabulary()


def test_a_clip_moved_to_c_has_its_tonic_on_c_and_stays_on_the_piano(real_clips):
    moved_some = False
    for midi in real_clips.values():
        pitches = read_notes(midi).pitch.astype(int)
        shift = to_c(pitches)
        assert -6 <= shift <= 5 or abs(shift) > 6  # the nearest way, or an octave further for room
        assert tonic(pitches + shift) == 0
        moved_some |= shift != 0
    assert moved_some
    # An octave further where the nearest way leaves the piano; no way at all: as written.
    assert nearest_shift(5, [PIANO[1] - 2]) == 5 - 12
    assert nearest_shift(5, [PIANO[0], PIANO[1]]) == 0
    assert tonic([]) is None and to_c([]) == 0


def test_key_relative_windows_are_the_clip_in_c_from_a_random_bar_and_never_shifted(composer_corpus):
    torch.manual_seed(0)
    for k in range(len(composer_corpus)):
        position = np.array([k])
        written = tokens_to_notes(ComposerWindows(composer_corpus, position, VOCABULARY, 100_000)[0][0].numpy(),
                                  VOCABULARY, qpm=120)  # fmt: skip
        shift = to_c(written.pitch.astype(int))
        in_c = ComposerWindows(composer_corpus, position, VOCABULARY, 100_000, key_relative=True)[0][
            0
        ].numpy()
        assert np.array_equal(tokens_to_notes(in_c, VOCABULARY, 120).pitch.astype(int), written.pitch + shift)
        order = np.lexsort((written.pitch, written.start_beat))
        training = ComposerWindows(composer_corpus, position, VOCABULARY, 100_000, random=True, max_shift=3,
                                   key_relative=True)  # fmt: skip
        notes = tokens_to_notes(training[0][0].numpy(), VOCABULARY, qpm=120)
        mine = np.lexsort((notes.pitch, notes.start_beat))
        tail = order[len(order) - len(notes) :]  # the clip's notes from the window's bar line on
        assert np.array_equal(notes.pitch[mine].astype(int), written.pitch[tail].astype(int) + shift)


def test_a_piece_goes_to_its_prompts_key_or_to_one_its_seed_draws(real_clips):
    prompt = read_notes(next(iter(real_clips.values())))
    with_prompt = PieceRequest("Q1", 2, 100, 0, prompt=prompt).checked()
    assert key_shift(with_prompt) % 12 == tonic(with_prompt.prompt.pitch)  # C goes to the prompt's tonic
    drawn = [key_shift(PieceRequest("Q1", 2, 100, seed)) for seed in range(60)]
    assert set(drawn) == set(range(-6, 6))  # every key, and the same seed the same key
    assert drawn == [key_shift(PieceRequest("Q1", 2, 100, seed)) for seed in range(60)]


def composed_key_relative(composer, request: PieceRequest):
    """The piece ``composer``'s net writes for ``request`` as a key-relative composer would."""
    composer.hparams.key_relative = True
    try:
        (notes,) = composer.compose_notes([request], composer.options_type())
    finally:
        composer.hparams.key_relative = False
    return notes


def test_a_key_relative_composer_writes_what_it_would_in_c_moved_to_the_key(fluent_composer):
    request = PieceRequest("Q2", 2, 100, 7).checked()
    (in_c,) = fluent_composer.compose_notes([request], fluent_composer.options_type())
    moved = composed_key_relative(fluent_composer, request)
    shift = key_shift(request)
    kept = (in_c.pitch.astype(int) + shift >= PIANO[0]) & (in_c.pitch.astype(int) + shift <= PIANO[1])
    assert shift != 0 and np.array_equal(moved.pitch.astype(int), in_c.pitch[kept].astype(int) + shift)
    assert np.array_equal(moved.start_beat, in_c.start_beat[kept])


def test_a_key_relative_composer_reads_its_prompt_in_c_and_continues_in_the_prompts_key(
    real_clips, fluent_composer
):
    prompt = read_notes(next(iter(real_clips.values())))
    request = PieceRequest("Q4", 2, 100, 1, prompt=prompt).checked()
    shift = key_shift(request)
    read_in_c = dataclasses.replace(request, prompt=request.prompt.transposed(-shift))
    (from_c,) = fluent_composer.compose_notes([read_in_c], fluent_composer.options_type())
    moved = composed_key_relative(fluent_composer, request)
    assert len(moved) and np.array_equal(moved.pitch, from_c.transposed(shift).pitch)
