"""LightningDataModule of EMOPIA clips as REMI token windows for the Transformer composer."""

from __future__ import annotations

from functools import partial

import numpy as np

from emopia_lightning.data.bar_tokens import BarTokensSpec, run_tokenizer
from emopia_lightning.data.clip_dataset import pad_collate
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.composer_windows import ComposerWindows
from emopia_lightning.data.corpus_datamodule import CorpusDataModule, plain
from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.errors import RequestError


class EmopiaComposerDataModule(CorpusDataModule):
    """Windows of ``window`` REMI tokens per clip, with each clip's quadrant; batches are
    ``(ids (B, T) int64 padded with PAD_ID, lengths (B,), quadrants (B,))``.

    Training reads one random bar-aligned, pitch-shifted window of each training clip an epoch;
    validation the start of each validation clip. The test songs are never read. ``sounding``:
    notes as they sound through the sustain pedal (``RemiSpec.sounding``). ``bar_tokens``: learned
    tokens over each bar's notes (``data.bar_tokens``), fitted on the training clips in ``setup``.
    ``key_relative``: every clip moved to C (``data.tonic``), instead of the random shifts.
    """

    collate = staticmethod(partial(pad_collate, padding_value=PAD_ID))

    def __init__(
        self,
        root: str,
        cache_dir: str | None,
        split: dict,
        num_velocities: int = 8,
        sounding: bool = False,
        bar_tokens: dict | None = None,
        key_relative: bool = False,
        window: int = 512,
        max_shift: int = 3,
        batch_size: int = 16,
        num_workers: int = 0,
        pin_memory: bool = False,
        progress: bool = True,
        task: str = "quadrant",
    ):
        super().__init__(task)
        if task != "quadrant":
            raise RequestError(
                f"the composer is conditioned on the emotion quadrant: task must be quadrant, got {task!r}"
            )
        if not 0 <= max_shift <= 12:
            raise RequestError(f"data.max_shift must be 0..12 semitones, got {max_shift}")
        split, bar_tokens = dict(plain(split)), plain(bar_tokens)  # plain values in checkpoints
        self.save_hyperparameters(logger=False)
        self.bar_tokens = BarTokensSpec(**(bar_tokens or {}))
        self.vocabulary = ComposerVocabulary(num_velocities, bool(sounding), self.bar_tokens.vocab_size)
        self.spec = self.vocabulary.remi

    def learn_from_training_clips(self) -> None:
        if not self.bar_tokens.vocab_size or self.vocabulary.bar_tokenizer is not None:
            return
        names = [label.name for label in self.corpus.labels]
        training = {names[i]: self.corpus.clip_rows(i).reshape(-1) for i in self.split.train}
        held_out = [names[i] for part in ("val", "test") for i in self.split.part(part)]
        tokenizer = run_tokenizer(self.bar_tokens, self.spec, training, held_out, self.hparams.cache_dir)
        self.vocabulary = self.vocabulary.with_tokenizer(tokenizer)

    def make_dataset(self, positions: np.ndarray, training: bool) -> ComposerWindows:
        shift = self.hparams.max_shift if training else 0
        return ComposerWindows(self.corpus, positions, self.vocabulary, self.hparams.window, training, shift,
                               self.hparams.key_relative)  # fmt: skip
