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

    def marked(self, music: torch.Tensor, bar_conditions: torch.Tensor) -> torch.Tensor:
        """Rows of ``music`` (B, T) as the model reads them: every bar's mark, the condition of
        bar k of row b being ``bar_conditions[b, k]`` (B, K) (past K bars, its last), or the first
        condition before the row when it is read once. Training marks a window with one condition,
        (B, 1); sampling marks each bar of a plan."""
        if not self.condition_every_bar:
            return torch.cat([bar_conditions[:, :1], music], dim=1)
        bars = music == self.vocabulary.bar
        k = (bars.long().cumsum(dim=1) - 1).clamp(0, bar_conditions.shape[1] - 1)
        return torch.where(bars, bar_conditions.gather(1, k), music)

    def row(self, music: np.ndarray, bar_conditions: Sequence[int]) -> list[int]:
        """One row of ``music`` (starting with a Bar), marked as :meth:`marked` says."""
        music = torch.as_tensor(np.asarray(music, dtype=np.int64))[None]
        return self.marked(music, torch.tensor([list(bar_conditions)]))[0].tolist()


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
