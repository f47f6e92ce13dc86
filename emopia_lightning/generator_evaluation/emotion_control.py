"""Does a generator's music carry the emotion asked for? Segments asked for each quadrant, judged.

Shared by ``python -m emopia_lightning.evaluate_generator`` (the full report and its fast mode) and by the
training callback that logs ``val/judged_acc``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from emopia_lightning.composing.composer import compose
from emopia_lightning.composing.request import quadrant_requests
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.rolls import notes_to_piece
from emopia_lightning.data.segment_layout import ONSET
from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.emotion_scores import emotion_scores

MIN_NOTES_PER_BAR = 2  # a bar with fewer note onsets counts as near-empty


class SegmentJudge(Protocol):
    """What every judge offers: a short name and quadrant probabilities of segments."""

    name: str

    def probabilities(self, rolls: np.ndarray) -> np.ndarray: ...


@dataclass
class SegmentSet:
    """(n, steps, pitches, 2) uint8 segments as pieces (``data.segment_layout``) and the quadrant
    index (0..3) each has or was asked for."""

    rolls: np.ndarray
    quadrants: np.ndarray
    clips: np.ndarray | None = None  # real segments: the corpus clip each was cut from, in order
    notes: list[Notes] | None = None  # generated segments: each one's notes as written


def composed(composer, requests, options=None) -> tuple[list[Notes], np.ndarray]:
    """(each piece's notes, (n, bars * steps, pitches, 2) pieces) of requests of one length: the
    notes as written (what the realness test reads) and the pieces in the composer's layout (what
    the judges and the metrics read)."""
    layout = composer.layout
    notes = compose(composer, requests, options)
    rolls = np.stack(
        [notes_to_piece(n, layout, r.bars * layout.steps_per_bar) for n, r in zip(notes, requests)]
    )
    return notes, rolls


def generated_segments(composer, n: int, seed: int, options=None) -> SegmentSet:
    """``n`` segments (pieces of one segment's bars, not ended on a chord) asked for each quadrant,
    in quadrant order, seeds ``seed``.. ``seed + n - 1`` for each."""
    requests = quadrant_requests(n, composer.layout.bars, seed)
    notes, rolls = composed(composer, requests, {**dict(options or {}), "final_chord": False})
    return SegmentSet(rolls, np.array([r.checked().quadrant for r in requests]), notes=notes)


@dataclass
class LongPieces:
    """``n`` pieces of ``bars`` bars asked for each quadrant (in quadrant order): their notes and
    their successive segments, (4n, segments, segment steps, pitches, 2)."""

    bars: int
    notes: list[Notes]
    segments: np.ndarray
    quadrants: np.ndarray


def long_pieces(composer, n: int, bars: int, seed: int, options=None) -> LongPieces:
    """``n`` pieces of ``bars`` bars asked for each quadrant, seeds ``seed``.. for each."""
    layout = composer.layout
    if bars % layout.bars:
        raise RequestError(f"pieces.bars={bars} must be whole segments of {layout.bars} bars")
    requests = quadrant_requests(n, bars, seed)
    notes, pieces = composed(composer, requests, {**dict(options or {}), "final_chord": False})
    segments = pieces.reshape(len(pieces), bars // layout.bars, layout.segment_steps, *pieces.shape[2:])
    return LongPieces(bars, notes, segments, np.array([r.checked().quadrant for r in requests]))


def judged(judge: SegmentJudge, segments: SegmentSet) -> dict:
    """The judge's emotion scores of ``segments`` (see ``emotion_scores``), plus its predictions."""
    predictions = judge.probabilities(segments.rolls).argmax(axis=1)
    return {**emotion_scores(segments.quadrants, predictions), "predictions": predictions.tolist()}


def sparse_bar_share(pieces: np.ndarray, steps_per_bar: int) -> float:
    """Share of bars of (n, steps, pitches, 2) pieces with fewer than MIN_NOTES_PER_BAR onsets."""
    onsets = np.asarray(pieces)[..., ONSET] > 0  # (n, steps, pitches)
    per_bar = onsets.reshape(len(onsets), -1, steps_per_bar * onsets.shape[-1]).sum(axis=2)  # (n, bars)
    return float(np.mean(per_bar < MIN_NOTES_PER_BAR)) if per_bar.size else 0.0


def agreement(first: dict, second: dict) -> float:
    """Share of segments two judges put in the same quadrant."""
    return float(np.mean(np.array(first["predictions"]) == np.array(second["predictions"])))
