"""LightningDataModule of beat-quantised EMOPIA segments (bars x steps x pitches), for the GAN.

Every clip's beat roll (``BeatRollSpec``: 4 steps per beat, 84 pitches from MIDI 22) is cut into
whole ``bars_per_segment``-bar segments (``cut_segments``); each segment keeps its clip's label.
With ``split=None`` every clip is used (the report trained its GAN on all 4,842 segments);
otherwise the split's train / val / test clips give the three parts, so that no song is in two.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader, Dataset

from emopia_lightning.data.augment import Augment
from emopia_lightning.data.corpus import ClipCorpus, load_corpus
from emopia_lightning.data.labels import class_names
from emopia_lightning.data.pianoroll import BeatRollSpec, cut_segments
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import PARTS, make_split

log = logging.getLogger(__name__)


@dataclass
class Segments:
    """``rolls[i]`` (bars, steps_per_bar, pitches) bool, cut from clip ``clips[i]`` of a corpus."""

    rolls: np.ndarray
    clips: np.ndarray

    def __len__(self) -> int:
        return len(self.rolls)


def cut_corpus(corpus: ClipCorpus, steps_per_bar: int, bars_per_segment: int, hop_bars: int) -> Segments:
    """Every whole segment of every clip, in clip order."""
    pieces = [
        cut_segments(corpus.roll(i), steps_per_bar, bars_per_segment, hop_bars) for i in range(len(corpus))
    ]
    clips = np.concatenate([np.full(len(p), i) for i, p in enumerate(pieces)]).astype(np.int64)
    return Segments(np.concatenate(pieces).astype(bool), clips)


class SegmentDataset(Dataset):
    """Items ``(segment, target)``: (bars, steps, pitches) float32 of 0/1, and the class index.

    With ``sequences=True`` items are ``(roll, length, target)`` with the bars laid end to end,
    roll (bars * steps, pitches): the batch format of the clip classifiers, so that any of them
    can be trained on segments (the judge of generated music). ``augment`` (training only)
    changes each item as it is read.
    """

    def __init__(
        self, segments: Segments, targets: np.ndarray, sequences: bool = False, augment: Augment | None = None
    ):
        self.segments = segments
        self.targets = np.asarray(targets, dtype=np.int64)
        self.sequences = sequences
        self.augment = augment if augment is not None and augment.active else None

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, item: int) -> tuple:
        segment = torch.from_numpy(self.segments.rolls[item].astype(np.float32))
        target = int(self.targets[item])
        roll = segment.reshape(-1, segment.shape[-1])  # (bars * steps, pitches), a view
        if self.augment is not None:
            roll = self.augment(roll)
        if self.sequences:
            return roll, len(roll), target
        return roll.reshape(segment.shape), target


class EmopiaSegmentDataModule(pl.LightningDataModule):
    """Segments of ``bars_per_segment`` bars x ``beats_per_bar * steps_per_beat`` steps x
    ``n_pitches`` pitches, labelled for ``task``.

    EMOPIA's clips are transcribed at 120 bpm in 4/4, so a 4-bar segment is 8 s. ``batch_size``
    is what one training step reads (the GAN asks for ``n_critic`` critic batches at once).
    ``sequences=True`` yields classifier batches (rolls, lengths, targets); see ``SegmentDataset``.
    ``transpose > 0`` shifts each training segment by a random number of semitones in
    ``[-transpose, transpose]``.
    """

    def __init__(
        self,
        root: str,
        cache_dir: str | None,
        split: dict | None = None,
        task: str = "quadrant",
        steps_per_beat: int = 4,
        beats_per_bar: int = 4,
        bars_per_segment: int = 4,
        hop_bars: int | None = None,
        lowest_pitch: int = 22,
        n_pitches: int = 84,
        batch_size: int = 16,
        drop_last_train: bool = True,
        sequences: bool = False,
        transpose: int = 0,
        num_workers: int = 0,
        progress: bool = True,
    ):
        super().__init__()
        if isinstance(split, DictConfig):
            split = OmegaConf.to_container(split, resolve=True)  # plain values for weights_only loading
        self.save_hyperparameters(logger=False)
        self.spec = BeatRollSpec(
            steps_per_beat=steps_per_beat, lowest_pitch=lowest_pitch, n_pitches=n_pitches
        )
        self.class_names = class_names(task)
        self.corpus: ClipCorpus | None = None
        self.datasets: dict[str, SegmentDataset] = {}

    @property
    def segment_shape(self) -> tuple[int, int, int]:
        h = self.hparams
        return h.bars_per_segment, h.beats_per_bar * h.steps_per_beat, h.n_pitches

    def prepare_data(self) -> None:
        if self.corpus is None and self.hparams.cache_dir is not None:
            source = locate_emopia(self.hparams.root)
            load_corpus(source, self.spec, self.hparams.cache_dir, self.hparams.progress, warn=False)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        h = self.hparams
        source = locate_emopia(h.root)
        self.corpus = load_corpus(source, self.spec, h.cache_dir, h.progress)
        segments = cut_corpus(self.corpus, h.beats_per_bar * h.steps_per_beat, h.bars_per_segment, h.hop_bars)
        clip_targets = np.array([label.target(h.task) for label in self.corpus.labels])
        if h.split is None:
            parts = {"train": np.arange(len(self.corpus))}
        else:
            split = make_split(self.corpus.labels, source.split_csvs, **h.split)
            parts = {part: split.part(part) for part in PARTS}
        for part, clip_positions in parts.items():
            chosen = np.isin(segments.clips, clip_positions)
            subset = Segments(segments.rolls[chosen], segments.clips[chosen])
            augment = Augment(transpose=h.transpose) if part == "train" else None
            self.datasets[part] = SegmentDataset(subset, clip_targets[subset.clips], h.sequences, augment)
        log.info(
            "EMOPIA segments %s from %d clips: %s",
            self.segment_shape,
            len(self.corpus),
            {part: len(d) for part, d in self.datasets.items()},
        )

    def _dataset(self, part: str) -> SegmentDataset:
        if part not in self.datasets:
            raise ValueError(f"no {part!r} segments: data.split is null (all clips train)")
        return self.datasets[part]

    def _loader(self, dataset: SegmentDataset, shuffle: bool, drop_last: bool = False) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.hparams.batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            num_workers=self.hparams.num_workers,
            persistent_workers=self.hparams.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("train"), shuffle=True, drop_last=self.hparams.drop_last_train)

    def train_eval_dataloader(self) -> DataLoader:
        """The training segments in order, unaugmented: ``evaluate_train=true``."""
        train = self._dataset("train")
        return self._loader(SegmentDataset(train.segments, train.targets, train.sequences), shuffle=False)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("val"), shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("test"), shuffle=False)
