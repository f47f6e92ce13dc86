"""LightningDataModule of beat-quantised EMOPIA segments, for the GAN and the segment judges.

Every clip becomes a piece (``data.segment_layout``: sounding and onset velocities on the beat
grid), cut into whole ``layout.bars``-bar segments (``cut_segments``); each keeps its clip's label.
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
from emopia_lightning.data.corpus_datamodule import fill_corpus_cache
from emopia_lightning.data.labels import class_names
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.rolls import BeatRollSpec, cut_segments
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import PARTS, make_split
from emopia_lightning.errors import RequestError

log = logging.getLogger(__name__)


@dataclass
class Segments:
    """``rolls[i]`` (bars, steps_per_bar, 2 * pitches) uint8, cut from clip ``clips[i]`` of a corpus:
    a segment of a piece (``pieces`` lays its bars end to end)."""

    rolls: np.ndarray
    clips: np.ndarray

    def __len__(self) -> int:
        return len(self.rolls)

    def pieces(self, layout: SegmentLayout) -> np.ndarray:
        """(n, segment steps, pitches, 2) uint8: the segments as pieces (a view)."""
        return self.rolls.reshape(len(self.rolls), layout.segment_steps, layout.n_pitches, 2)


def cut_corpus(corpus: ClipCorpus, steps_per_bar: int, bars_per_segment: int, hop_bars: int) -> Segments:
    """Every whole segment of every clip, in clip order."""
    pieces = [
        cut_segments(corpus.clip_rows(i), steps_per_bar, bars_per_segment, hop_bars)
        for i in range(len(corpus))
    ]
    clips = np.concatenate([np.full(len(p), i) for i, p in enumerate(pieces)]).astype(np.int64)
    return Segments(np.concatenate(pieces), clips)


class SegmentDataset(Dataset):
    """Items ``(segment, target)``: the segment as the nets read it, (bars, steps, pitches, 3)
    float32 (``SegmentLayout.to_net``), and the class index.

    With ``sequences=True`` items are ``(roll, length, target)`` with the bars laid end to end,
    roll (bars * steps, pitches) of velocity / 127 (``SegmentLayout.classifier_roll``): the batch
    format of the clip classifiers, so that any of them can be trained on segments (the judge of
    generated music). ``augment`` (training only, sequences) changes each item as it is read.
    """

    def __init__(
        self, segments: Segments, targets: np.ndarray, layout: SegmentLayout, sequences: bool = False,
        augment: Augment | None = None,
    ):  # fmt: skip
        self.segments = segments
        self.layout = layout
        self.targets = np.asarray(targets, dtype=np.int64)
        self.sequences = sequences
        self.augment = augment if augment is not None and augment.active else None

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, item: int) -> tuple:
        piece = self.segments.rolls[item].reshape(self.layout.segment_steps, self.layout.n_pitches, 2)
        target = int(self.targets[item])
        if not self.sequences:
            return torch.from_numpy(self.layout.to_net(piece)), target
        roll = torch.from_numpy(self.layout.classifier_roll(piece))  # (bars * steps, pitches)
        if self.augment is not None:
            roll = self.augment(roll)
        return roll, len(roll), target


def clip_segments(layout: SegmentLayout, notes: Notes) -> np.ndarray:
    """(n, segment steps, pitches, 2): a clip's segments, one starting at every bar (a clip
    shorter than a segment padded with silence), as a whole piece is judged."""
    roll = BeatRollSpec.of(layout).render(notes)  # (steps, 2 * pitches)
    if len(roll) < layout.segment_steps:
        roll = np.concatenate([roll, np.zeros((layout.segment_steps - len(roll), roll.shape[1]), roll.dtype)])
    cut = cut_segments(roll, layout.steps_per_bar, layout.bars, hop_bars=1)
    return cut.reshape(len(cut), layout.segment_steps, layout.n_pitches, 2)


class EmopiaSegmentDataModule(pl.LightningDataModule):
    """Segments of ``layout`` (a ``SegmentLayout`` or its config values), labelled for ``task``.

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
        layout: SegmentLayout | dict | None = None,
        hop_bars: int | None = None,
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
        self.layout = SegmentLayout.of(layout or {})
        layout = self.layout.key()  # plain values in the hyper-parameters
        self.save_hyperparameters(logger=False)
        self.spec = BeatRollSpec.of(self.layout)
        self.class_names = class_names(task)
        self.corpus: ClipCorpus | None = None
        self.datasets: dict[str, SegmentDataset] = {}

    @property
    def segment_shape(self) -> tuple[int, int, int, int]:
        return self.layout.net_shape

    def model_inputs(self, notes: Notes, whole_clip: bool = False) -> torch.Tensor:
        """(n, segment steps, pitches): a segment classifier's rolls of every segment of the clip
        (the whole clip already, whatever ``whole_clip`` says)."""
        return torch.from_numpy(self.layout.classifier_roll(clip_segments(self.layout, notes)))

    def prepare_data(self) -> None:
        if self.corpus is None:
            fill_corpus_cache(self.hparams, self.spec)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        h = self.hparams
        source = locate_emopia(h.root)
        self.corpus = load_corpus(source, self.spec, h.cache_dir, h.progress)
        segments = cut_corpus(self.corpus, self.layout.steps_per_bar, self.layout.bars, h.hop_bars)
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
            self.datasets[part] = SegmentDataset(
                subset, clip_targets[subset.clips], self.layout, h.sequences, augment
            )
        log.info(
            "EMOPIA segments %s from %d clips: %s",
            self.segment_shape,
            len(self.corpus),
            {part: len(d) for part, d in self.datasets.items()},
        )

    def _dataset(self, part: str) -> SegmentDataset:
        if part not in self.datasets:
            raise RequestError(f"no {part!r} segments: data.split is null (all clips train)")
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
        unaugmented = SegmentDataset(train.segments, train.targets, self.layout, train.sequences)
        return self._loader(unaugmented, shuffle=False)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("val"), shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("test"), shuffle=False)
