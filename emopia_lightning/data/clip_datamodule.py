"""LightningDataModule of whole EMOPIA clips as piano-roll sequences."""

from __future__ import annotations

import logging

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader

from emopia_lightning.data.augment import Augment
from emopia_lightning.data.clip_dataset import ClipRollDataset, pad_collate
from emopia_lightning.data.corpus import ClipCorpus, load_corpus
from emopia_lightning.data.labels import class_names
from emopia_lightning.data.rolls import TimeRollSpec
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import PARTS, Split, make_split

log = logging.getLogger(__name__)


class EmopiaClipDataModule(pl.LightningDataModule):
    """Clips as (frames, pitches) rolls at ``fs`` frames per second, labelled for ``task``.

    ``split`` is the ``split`` config group (``name`` plus its options, see ``data/splits.py``).
    The default ``fs=8`` is one frame per sixteenth note at EMOPIA's 120 bpm: a 40 s clip is 320
    LSTM steps instead of the 4,000 of the report's 100 fps roll.
    """

    def __init__(
        self,
        root: str,
        cache_dir: str | None,
        split: dict,
        task: str = "quadrant",
        fs: float = 8.0,
        lowest_pitch: int = 21,
        n_pitches: int = 88,
        velocity: bool = True,
        max_seconds: float | None = 40.0,
        augment: dict | None = None,
        batch_size: int = 32,
        num_workers: int = 0,
        pin_memory: bool = False,
        progress: bool = True,
    ):
        super().__init__()
        # Plain values only, so checkpoints load with weights_only=True.
        split = OmegaConf.to_container(split, resolve=True) if isinstance(split, DictConfig) else dict(split)
        augment = (
            OmegaConf.to_container(augment, resolve=True) if isinstance(augment, DictConfig) else augment
        )
        if augment and augment.get("velocity_jitter") and not velocity:
            raise ValueError(
                "data.augment.velocity_jitter needs data.velocity=true (binary rolls have no velocity)"
            )
        self.save_hyperparameters(logger=False)
        self.spec = TimeRollSpec(fs=fs, lowest_pitch=lowest_pitch, n_pitches=n_pitches, velocity=velocity)
        self.class_names = class_names(task)
        self.corpus: ClipCorpus | None = None
        self.split: Split | None = None
        self.datasets: dict[str, ClipRollDataset] = {}

    def prepare_data(self) -> None:
        # Runs on one process only: parse the MIDI once and fill the cache for setup() to read;
        # setup() names the skipped files, so a run warns once.
        if self.corpus is None and self.hparams.cache_dir is not None:
            source = locate_emopia(self.hparams.root)
            load_corpus(source, self.spec, self.hparams.cache_dir, self.hparams.progress, warn=False)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        source = locate_emopia(self.hparams.root)
        self.corpus = load_corpus(source, self.spec, self.hparams.cache_dir, self.hparams.progress)
        options = dict(self.hparams.split)
        self.split = make_split(self.corpus.labels, source.split_csvs, **options)
        max_frames = None
        if self.hparams.max_seconds:
            max_frames = round(self.hparams.max_seconds * self.hparams.fs)
        train_augment = Augment(**(self.hparams.augment or {}))  # validation and test stay as they are
        for part in PARTS:
            self.datasets[part] = ClipRollDataset(
                self.corpus,
                self.split.part(part),
                self.hparams.task,
                max_frames,
                self.hparams.velocity,
                train_augment if part == "train" else None,
            )
        log.info(
            "EMOPIA from %s: %d clips; split %s: %s",
            source.location,
            len(self.corpus),
            options.get("name"),
            self.split.sizes(),
        )

    def _loader(self, dataset: ClipRollDataset, shuffle: bool, drop_last: bool = False) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.hparams.batch_size,
            shuffle=shuffle,
            num_workers=self.hparams.num_workers,
            pin_memory=self.hparams.pin_memory,
            persistent_workers=self.hparams.num_workers > 0,
            collate_fn=pad_collate,
            drop_last=drop_last,
        )

    def train_dataloader(self) -> DataLoader:
        # Drop a last batch of exactly one clip: it would leave BatchNorm a single sample.
        lone_last = len(self.datasets["train"]) % self.hparams.batch_size == 1
        return self._loader(self.datasets["train"], shuffle=True, drop_last=lone_last)

    def train_eval_dataloader(self) -> DataLoader:
        """The training clips as validation sees them: in order, unaugmented."""
        plain = ClipRollDataset(
            self.corpus,
            self.split.train,
            self.hparams.task,
            self.datasets["train"].max_frames,
            self.hparams.velocity,
        )
        return self._loader(plain, shuffle=False)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.datasets["val"], shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.datasets["test"], shuffle=False)
