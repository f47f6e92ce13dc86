"""What the clip-level DataModules share: the corpus through a spec, the split, one dataset per
part, and the loaders. A subclass says what a clip becomes (``spec``) and what a part's dataset
serves (``make_dataset``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader, Dataset

from emopia_lightning.data.corpus import ClipCorpus, ClipSpec, load_corpus
from emopia_lightning.data.labels import class_names
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import PARTS, Split, make_split

log = logging.getLogger(__name__)


def plain(node):
    """A config node as plain values (checkpoints keep plain values only: weights_only=True loads)."""
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def fill_corpus_cache(hparams, spec: ClipSpec) -> None:
    """A data module's ``prepare_data``: on one process only, parse the MIDI once and fill the cache
    for ``setup`` to read (``setup`` names the skipped files, so a run warns once)."""
    if hparams.cache_dir is not None:
        load_corpus(locate_emopia(hparams.root), spec, hparams.cache_dir, hparams.progress, warn=False)


class CorpusDataModule(pl.LightningDataModule):
    """Every clip rendered by ``self.spec``, split by ``hparams.split``, served per part.

    The subclass's ``__init__`` calls ``save_hyperparameters`` with at least ``root``,
    ``cache_dir``, ``split``, ``task``, ``batch_size``, ``num_workers``, ``pin_memory`` and
    ``progress``, and sets ``spec`` and ``collate``.
    """

    spec: ClipSpec
    collate: Callable

    def __init__(self, task: str):
        super().__init__()
        self.class_names = class_names(task)
        self.corpus: ClipCorpus | None = None
        self.split: Split | None = None
        self.datasets: dict[str, Dataset] = {}

    def make_dataset(self, positions: np.ndarray, training: bool) -> Dataset:
        """The dataset of the clips at ``positions``; ``training``: the augmented training view."""
        raise NotImplementedError

    def learn_from_training_clips(self) -> None:
        """Between the split and the datasets: what a subclass learns from the training clips
        (nothing here)."""

    def model_inputs(self, notes: Notes, whole_clip: bool = False) -> torch.Tensor:
        """A checked clip from anywhere (a MIDI file, an upload) as its model reads it in
        validation: a batch of one or more views, (n, T, ...). ``predict`` and the page ask this
        of the data module a checkpoint was trained with. ``whole_clip``: where validation reads a
        clip's start, every window of the clip instead (``data.views``), a test-time view."""
        raise NotImplementedError

    def prepare_data(self) -> None:
        if self.corpus is None:
            fill_corpus_cache(self.hparams, self.spec)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        source = locate_emopia(self.hparams.root)
        self.corpus = load_corpus(source, self.spec, self.hparams.cache_dir, self.hparams.progress)
        options = dict(self.hparams.split)
        self.split = make_split(self.corpus.labels, source.split_csvs, **options)
        self.learn_from_training_clips()
        for part in PARTS:
            self.datasets[part] = self.make_dataset(self.split.part(part), training=part == "train")
        log.info(
            "EMOPIA from %s: %d clips; split %s: %s",
            source.location,
            len(self.corpus),
            options.get("name"),
            self.split.sizes(),
        )

    def _loader(self, dataset: Dataset, shuffle: bool, drop_last: bool = False) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.hparams.batch_size,
            shuffle=shuffle,
            num_workers=self.hparams.num_workers,
            pin_memory=self.hparams.pin_memory,
            persistent_workers=self.hparams.num_workers > 0,
            collate_fn=self.collate,
            drop_last=drop_last,
        )

    def train_dataloader(self) -> DataLoader:
        # Drop a last batch of exactly one clip: it would leave BatchNorm a single sample.
        lone_last = len(self.datasets["train"]) % self.hparams.batch_size == 1
        return self._loader(self.datasets["train"], shuffle=True, drop_last=lone_last)

    def train_eval_dataloader(self) -> DataLoader:
        """The training clips as validation sees them: in order, unaugmented."""
        return self._loader(self.make_dataset(self.split.train, training=False), shuffle=False)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.datasets["val"], shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.datasets["test"], shuffle=False)
