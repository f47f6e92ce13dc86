"""Clip-level REMI token sequences (``data.tokens``) for token classifiers and masked pretraining."""

from __future__ import annotations

import numpy as np
import torch

from emopia_lightning.data.augment import Augment
from emopia_lightning.data.clip_dataset import LabelledClips
from emopia_lightning.data.corpus import ClipCorpus


def tokens_to_input(ids: np.ndarray) -> torch.Tensor:
    """A clip's (tokens, 1) corpus rows as the (tokens,) int64 ids an embedding reads."""
    return torch.from_numpy(np.asarray(ids, dtype=np.int64).reshape(-1))


class ClipTokenDataset(LabelledClips):
    """One item per clip: ``(ids, target)``, ``ids`` (tokens,) int64 cut to ``max_tokens``: a
    random window of the clip when ``crop`` (training), else its start."""

    def __init__(
        self, corpus: ClipCorpus, positions: np.ndarray, task: str, max_tokens: int, crop: bool = False
    ):
        super().__init__(corpus, positions, task)
        self.max_tokens = max_tokens
        self.window = Augment(crop=crop).window

    def __getitem__(self, item: int) -> tuple[torch.Tensor, int]:
        ids = self.corpus.clip_rows(self.positions[item])  # (tokens, 1)
        return tokens_to_input(ids[self.window(len(ids), self.max_tokens)]), int(self.targets[item])
