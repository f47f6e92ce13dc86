"""The Transformer composer over a whole piece: the emotion marking every bar, a plan that turns at
a bar line, a prompt continued, a context that slides at bar lines, exact lengths, no empty piece,
and the older token layout still composing."""

import logging
from functools import partial

import numpy as np
import pytest
import symusic
import torch

from emopia_lightning.composing.composer import compose
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.notes import Notes, read_notes
from emopia_lightning.errors import RequestError
from emopia_lightning.models.components.decoder import DecoderTransformer
from emopia_lightning.models.transformer_composer import sampling
from emopia_lightning.models.transformer_composer.context import SamplingContext
from emopia_lightning.models.transformer_composer.module import TransformerComposer
from emopia_lightning.render.midi import write_notes

VOCABULARY = ComposerVocabulary(8)
CONDITIONS = [VOCABULARY.condition(q) for q in (0, 1, 2, 3, None)]


def tiny(every_bar: bool = True, context: int = 48) -> TransformerComposer:
    """An untrained composer: nearly uniform tokens, so bars are short runs and slides frequent."""
    torch.manual_seed(0)
    net = DecoderTransformer(VOCABULARY.size, context=context, width=16, layers=1, heads=2, dropout=0.0)
    return TransformerComposer(net, partial(torch.optim.AdamW, lr=1e-3), condition_every_bar=every_bar).eval()


def fed_to_first_row(composer: TransformerComposer, monkeypatch) -> list[list[int]]:
    """Records what the first row (the first request, as asked) reads: its opening, then each
    token the cached steps feed it; re-readings after a slide are recorded apart, as lists."""
    forward, calls = composer.net.forward, []

    def recording(ids, cache=None, padding=None):
        calls.append(ids[0].tolist())
        return forward(ids, cache, padding)

    monkeypatch.setattr(composer.net, "forward", recording)
    return calls


def test_a_slid_row_keeps_its_latest_whole_bars_from_their_mark():
    context = SamplingContext(tiny().net, [[5]], True, marks=torch.tensor(CONDITIONS), head=0)  # budget 24
    q1, q4 = CONDITIONS[0], CONDITIONS[3]
    row = torch.tensor([q1, *range(10, 30), q1, *range(30, 45), q4, *range(50, 55)])  # bars of 21, 16, 6
    assert context.slid(row).tolist() == [q1, *range(30, 45), q4, *range(50, 55)]  # the last two bars: 22
    # A bar longer than the budget: its mark, then its latest tokens
    long = torch.tensor([q1, *range(10, 20), q4, *range(100, 140)])
    assert context.slid(long).tolist() == [q4, *range(117, 140)]


def test_a_slid_row_with_an_anchor_keeps_its_opening_bars_then_its_latest_whole_bars():
    q1, q4 = CONDITIONS[0], CONDITIONS[3]
    row = torch.tensor([q1, *range(10, 15), q1, *range(15, 18), q1, *range(30, 45), q4, *range(50, 62)])
    anchored = SamplingContext(tiny().net, [[5]], True, marks=torch.tensor(CONDITIONS), head=0, anchor_bars=1)
    assert anchored.slid(row).tolist() == [q1, *range(10, 15), q4, *range(50, 62)]  # bar 1, then the last
    # Two opening bars fit in half the budget of 24: they stay, and then what fits of the latest bars
    two = SamplingContext(tiny().net, [[5]], True, marks=torch.tensor(CONDITIONS), head=0, anchor_bars=2)
    assert two.slid(row).tolist() == [q1, *range(10, 15), q1, *range(15, 18), q4, *range(50, 62)]
    # An opening bar longer than half the budget is not kept
    long = torch.tensor([q1, *range(100, 114), q1, *range(30, 45), q4, *range(50, 62)])
    assert anchored.slid(long).tolist() == [q4, *range(50, 62)]


def test_a_row_with_a_shorter_limit_slides_sooner_and_the_others_keep_the_whole_context():
    q1 = CONDITIONS[0]
    context = SamplingContext(tiny().net, [[q1], [q1]], True, marks=torch.tensor(CONDITIONS), head=0,
                              limits=[48, 20])  # fmt: skip
    longest = [0, 0]
    for step in range(120):
        context.append(torch.tensor([q1 if step % 6 == 5 else 10 + step % 6] * 2))  # bars of 6 tokens
        for row in range(2):
            reads = context.tokens[row, int(context.padding[row]) :]
            assert reads[0] == q1  # each row still starts with its mark
            longest[row] = max(longest[row], len(reads))
    assert longest == [48, 20]


def test_every_slid_context_starts_with_the_emotion_at_a_bar_line_and_the_turn_is_at_its_bar(monkeypatch):
    composer = tiny()
    calls = fed_to_first_row(composer, monkeypatch)
    request = PieceRequest("tense", 12, 120, 3, then="calm", turn=5).checked()
    (tokens,) = sampling.sample_tokens(
        composer.net, composer.token_layout, True, [request], composer.options_type()
    )
    readings = [call for call in calls[1:] if len(call) > 1]  # each slide's re-reading
    assert len(readings) > 3  # the piece outgrew the context of 48 several times
    assert all(reading[0] in CONDITIONS[:4] for reading in readings)  # each starts with an emotion
    assert calls[0] == [VOCABULARY.condition(1)]  # the opening: the first bar's mark
    fed = [token for call in calls[1:] if len(call) == 1 for token in call]
    marks = [calls[0][0]] + [token for token in fed if token in CONDITIONS]
    tense, calm = VOCABULARY.condition(1), VOCABULARY.condition(3)
    assert marks == [tense] * 5 + [calm] * 7  # bars 1-5 tense, 6-12 calm: the condition turns at bar 6
    assert (tokens == VOCABULARY.bar).sum() == 12


def test_a_64_bar_piece_has_64_bars_at_its_tempo_and_ends_on_its_chord(tmp_path, fluent_composer):
    request = PieceRequest("sad", 64, 75, 1).checked()
    (notes,) = compose(fluent_composer, [request], {"guidance": 1.0, "valence_guidance": 0.0})  # one row
    score = symusic.Score(str(write_notes(notes, tmp_path / "long.mid", request.qpm)))
    assert score.end() == 64 * 4 * score.ticks_per_quarter
    assert score.tempos[0].qpm == pytest.approx(75)
    last = notes.start_beat.max()
    assert np.all(notes.end_beat[notes.start_beat == last] == 64 * 4)  # the closing chord, held to the end
    assert len(np.unique(np.floor(notes.start_beat / 4))) > 48  # notes all along, not a silent stretch


def test_a_continuation_opens_with_the_prompts_whole_bars_unchanged(real_clips, fluent_composer, monkeypatch):
    prompt = read_notes(next(iter(real_clips.values())))
    request = PieceRequest("calm", 3, 100, 2, prompt=prompt, prompt_name="clip").checked()
    calls = fed_to_first_row(fluent_composer, monkeypatch)
    (piece,) = compose(fluent_composer, [request])
    held = request.prompt_bars * 4
    kept = piece.start_beat < held
    assert request.prompt_bars >= 4 and request.name.endswith("_after-clip")
    assert np.array_equal(piece.pitch[kept], request.prompt.pitch)
    assert np.array_equal(piece.start_beat[kept], request.prompt.start_beat)
    assert np.array_equal(piece.end_beat[kept], request.prompt.end_beat)
    assert piece.end_beat.max() == held + 3 * 4  # then the 3 new bars
    # The model read the prompt's end (its bars marked calm) as far as its context of 64 allows,
    # after the mark of the bar it starts in, then the first new bar's mark
    calm = VOCABULARY.condition(3)
    opening = calls[0]
    prompt_tokens = VOCABULARY.remi.tokens(request.prompt).tolist()
    prompt_tokens = [calm if token == VOCABULARY.bar else token for token in prompt_tokens]
    assert len(prompt_tokens) > 64 and len(opening) == 32  # slid to half the context
    assert opening[0] == calm and opening[-1] == calm and VOCABULARY.bar not in opening
    assert opening[1:-1] == prompt_tokens[len(prompt_tokens) - 30 :]


def test_a_request_gives_the_same_piece_beside_others_with_prompts_turns_and_slides(
    real_clips, fluent_composer
):
    prompt = read_notes(next(iter(real_clips.values())))
    request = PieceRequest("Q2", 6, 90, 11, then="Q3", turn=2).checked()
    (alone,) = compose(fluent_composer, [request])
    beside = compose(fluent_composer, [PieceRequest("Q1", 9, 90, 3, prompt=prompt), request])[1]
    assert len(alone) > 20
    for field in ("pitch", "start_beat", "end_beat", "velocity"):
        assert np.array_equal(getattr(alone, field), getattr(beside, field))


def test_a_piece_that_comes_out_empty_is_sampled_again_from_the_next_stream(monkeypatch, caplog):
    held = Notes.from_beats([0, 4], [4, 8], [60, 64], [80, 80])  # two bars, a whole note each
    seeds = []

    def empty_on_the_first_stream(net, layout, conditional, requests, options):
        seeds.extend(r.seed for r in requests)
        written = VOCABULARY.remi.tokens(held).astype(np.int64)
        return [np.full(r.bars, VOCABULARY.bar) if r.seed < 2**32 else written for r in requests]

    monkeypatch.setattr(sampling, "sample_tokens", empty_on_the_first_stream)
    requests = [PieceRequest("Q4", 2, 120, seed).checked() for seed in (4, 5)]
    with caplog.at_level(logging.WARNING):
        pieces = compose(tiny(), requests, {"final_chord": False})
    assert [piece.pitch.tolist() for piece in pieces] == [[60, 64], [60, 64]]
    assert seeds == [4, 5, 4 + 2**32, 5 + 2**32]  # each sampled again once, on its own next stream
    assert "2 of 2 pieces came out empty or silent for over a bar" in caplog.text


def test_a_composer_of_the_older_layout_still_composes_but_cannot_turn():
    older = tiny(every_bar=False)
    (piece,) = compose(older, [PieceRequest("Q1", 4, 120, 0).checked()])
    assert piece.end_beat.max() == 16
    with pytest.raises(RequestError, match="cannot turn it; retrain it"):
        compose(older, [PieceRequest("Q1", 4, 120, 0, then="Q3").checked()])


def test_a_rows_logits_are_the_same_bits_alone_and_in_a_batch():
    """The page samples requests together: each row's numbers must not depend on how many rows
    are read beside it (MKL's strict mode, set on importing the package)."""
    torch.manual_seed(0)
    net = DecoderTransformer(VOCABULARY.size, context=64, width=64, layers=2, heads=2, dropout=0.0).eval()
    ids = torch.randint(2, 250, (40, 5))
    with torch.inference_mode():
        for rows in (1, 3, 5):
            assert torch.equal(net(ids[:rows]), net(ids)[:rows])
