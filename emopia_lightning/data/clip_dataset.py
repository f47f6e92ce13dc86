"""Clip-level sequences for sequence classifiers: rolls (LSTM and friends), and what every clip
dataset shares (positions in the corpus, targets) and how a batch is padded."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from emopia_lightning.data.augment import Augment
from emopia_lightning.data.corpus import ClipCorpus


def roll_to_input(roll: np.ndarray, velocity: bool, max_frames: int | None) -> torch.Tensor:
    """A roll as a classifier reads it: (frames, P) float32 in [0, 1], cut to ``max_frames``."""
    scale = 1.0 / 127.0 if velocity else 1.0
    return torch.from_numpy(roll[:max_frames].astype(np.float32) * scale)


class LabelledClips(Dataset):
    """Clips of a corpus at ``positions`` (indices into it), with their class indices for ``task``."""

    def __init__(self, corpus: ClipCorpus, positions: np.ndarray, task: str):
        self.corpus = corpus
        self.positions = np.asarray(positions)
        self.targets = np.array([corpus.labels[i].target(task) for i in self.positions])

    def __len__(self) -> int:
        return len(self.positions)


class ClipRollDataset(LabelledClips):
    """One item per clip: its roll as a float sequence and its class index.

    Items are ``(roll, target)`` with ``roll`` (frames, n_pitches) float32 in [0, 1] (velocity rolls
    are divided by 127), cut to the first ``max_frames`` frames (a random window when ``augment``
    crops).
    """

    def __init__(
        self,
        corpus: ClipCorpus,
        positions: np.ndarray,
        task: str,
        max_frames: int | None,
        velocity: bool,
        augment: Augment | None = None,
    ):
        super().__init__(corpus, positions, task)
        self.max_frames = max_frames
        self.velocity = velocity
        self.augment = augment or Augment()

    def __getitem__(self, item: int) -> tuple[torch.Tensor, int]:
        roll = self.corpus.clip_rows(self.positions[item])  # (frames, P)
        if not self.augment.active:
            return roll_to_input(roll, self.velocity, self.max_frames), int(self.targets[item])
        window = roll[self.augment.window(len(roll), self.max_frames)]
        return self.augment(roll_to_input(window, self.velocity, None)), int(self.targets[item])


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], padding_value: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad clips to the batch's longest: (B, T, P) rolls (or (B, T) token ids), (B,) lengths, (B,) targets."""
    rolls, targets = zip(*batch)
    lengths = torch.tensor([len(r) for r in rolls])
    padded = torch.nn.utils.rnn.pad_sequence(list(rolls), batch_first=True, padding_value=padding_value)
    return padded, lengths, torch.tensor(targets)
