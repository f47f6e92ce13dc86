"""LightningDataModule of EMOPIA clips as REMI token sequences (``data.tokens``)."""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from emopia_lightning.data.clip_dataset import pad_collate
from emopia_lightning.data.corpus_datamodule import CorpusDataModule, plain
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.token_dataset import ClipTokenDataset, tokens_to_input
from emopia_lightning.data.tokens import PAD_ID, RemiSpec
from emopia_lightning.data.views import stacked_windows
from emopia_lightning.errors import RequestError


class EmopiaTokenDataModule(CorpusDataModule):
    """Clips as REMI token ids of at most ``max_tokens``, labelled for ``task``; batches are
    ``(ids (B, T) int64 padded with PAD_ID, lengths (B,), targets (B,))``.

    Training takes a random ``max_tokens`` window of each clip (``crop``), validation and test the
    start: a clip has a median of ~850 tokens at 8 velocity bins, 85 % are longer than 512.
    """

    collate = staticmethod(partial(pad_collate, padding_value=PAD_ID))

    def __init__(
        self,
        root: str,
        cache_dir: str | None,
        split: dict,
        task: str = "quadrant",
        num_velocities: int = 8,
        max_tokens: int = 512,
        crop: bool = True,
        batch_size: int = 32,
        num_workers: int = 0,
        pin_memory: bool = False,
        progress: bool = True,
    ):
        super().__init__(task)
        if max_tokens < 1:
            raise RequestError(f"data.max_tokens must be at least 1, got {max_tokens}")
        split = dict(plain(split))
        self.save_hyperparameters(logger=False)
        self.spec = RemiSpec(num_velocities=num_velocities)

    @property
    def vocab_size(self) -> int:
        return self.spec.vocab_size

    def model_inputs(self, notes: Notes, whole_clip: bool = False) -> torch.Tensor:
        """(1, tokens): the REMI ids from the clip's start, as validation serves them; with
        ``whole_clip``, (views, tokens): every window of that length."""
        ids = tokens_to_input(self.spec.tokens(notes))
        return (
            stacked_windows(ids, self.hparams.max_tokens)
            if whole_clip
            else ids[None, : self.hparams.max_tokens]
        )

    def make_dataset(self, positions: np.ndarray, training: bool) -> ClipTokenDataset:
        crop = training and self.hparams.crop
        return ClipTokenDataset(self.corpus, positions, self.hparams.task, self.hparams.max_tokens, crop)
