"""How the Transformer composer's sequences carry the emotion, and each request's rows in that
layout: the condition of every bar of its plan, and its opening (prompt and first bar)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.labels import valence_mirror


@dataclass(frozen=True)
class TokenLayout:
    """How a composer's sequences carry the emotion: at every bar (its condition token marks the
    bar) or once at the start (REMI's Bar marks bars)."""

    vocabulary: ComposerVocabulary
    condition_every_bar: bool

    def marks(self) -> torch.Tensor:
        """The ids that start a bar."""
        if self.condition_every_bar:
            return torch.arange(self.vocabulary.condition(0), self.vocabulary.size)
        return torch.tensor([self.vocabulary.bar])

    def row(self, music: np.ndarray, bar_conditions: Sequence[int]) -> list[int]:
        """A row of REMI ``music`` (starting with a Bar) as the model reads it: each bar's mark, the
        condition of bar k being ``bar_conditions[k]``."""
        music = np.asarray(music, dtype=np.int64)
        if not self.condition_every_bar:
            return [bar_conditions[0], *music.tolist()]
        bars = music == self.vocabulary.bar
        marked = music.copy()
        marked[bars] = np.asarray(bar_conditions)[: int(bars.sum())]
        return marked.tolist()


def bar_conditions(vocabulary: ComposerVocabulary, conditional: bool, request: PieceRequest,
                        groups: Sequence[str]) -> list[list[int]]:  # fmt: skip
    """Per row group, the condition of each bar of the request's piece (its prompt's bars first,
    in its first emotion), and one more for the bar after its last."""
    plan = [request.quadrant] * request.prompt_bars + list(request.plan)
    plan.append(plan[-1])
    kinds = {
        "asked": lambda q: vocabulary.condition(q if conditional else None),
        "none": lambda q: vocabulary.condition(None),
        "mirrored": lambda q: vocabulary.condition(valence_mirror(q)),
    }
    return [[kinds[group](q) for q in plan] for group in groups]


def opening(vocabulary: ComposerVocabulary, request: PieceRequest) -> np.ndarray:
    """REMI tokens of the request's prompt (its whole bars, each opened by a Bar), then the Bar of
    the first new bar."""
    if request.prompt is None:
        return np.array([vocabulary.bar])
    ids = vocabulary.tokens(request.prompt)
    missing = request.prompt_bars - int((ids == vocabulary.bar).sum())  # silent bars at its end
    return np.concatenate([ids, np.full(missing + 1, vocabulary.bar)])
