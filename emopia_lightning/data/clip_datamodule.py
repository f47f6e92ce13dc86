"""LightningDataModule of whole EMOPIA clips as piano-roll sequences."""

from __future__ import annotations

import numpy as np
import torch

from emopia_lightning.data.augment import Augment
from emopia_lightning.data.clip_dataset import ClipRollDataset, pad_collate, roll_to_input
from emopia_lightning.data.corpus_datamodule import CorpusDataModule, plain
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.rolls import TimeRollSpec
from emopia_lightning.data.views import stacked_windows
from emopia_lightning.errors import RequestError


class EmopiaClipDataModule(CorpusDataModule):
    """Clips as (frames, pitches) rolls at ``fs`` frames per second, labelled for ``task``.

    ``split`` is the ``split`` config group (``name`` plus its options, see ``data/splits.py``).
    The default ``fs=8`` is one frame per sixteenth note at EMOPIA's 120 bpm: a 40 s clip is 320
    LSTM steps instead of the 4,000 of the report's 100 fps roll.
    """

    collate = staticmethod(pad_collate)

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
        super().__init__(task)
        split, augment = dict(plain(split)), plain(augment)
        if augment and augment.get("velocity_jitter") and not velocity:
            raise RequestError(
                "data.augment.velocity_jitter needs data.velocity=true (binary rolls have no velocity)"
            )
        self.save_hyperparameters(logger=False)
        self.spec = TimeRollSpec(fs=fs, lowest_pitch=lowest_pitch, n_pitches=n_pitches, velocity=velocity)
        self.max_frames = round(max_seconds * fs) if max_seconds else None

    def model_inputs(self, notes: Notes, whole_clip: bool = False) -> torch.Tensor:
        """(1, frames, pitches): the roll from the clip's start, as validation serves it; with
        ``whole_clip``, (views, frames, pitches): every window of that length."""
        roll = roll_to_input(self.spec.render(notes), self.hparams.velocity, None)
        return stacked_windows(roll, self.max_frames) if whole_clip else roll[None, : self.max_frames]

    def make_dataset(self, positions: np.ndarray, training: bool) -> ClipRollDataset:
        # Validation and test clips stay as they are.
        augment = Augment(**(self.hparams.augment or {})) if training else None
        return ClipRollDataset(
            self.corpus, positions, self.hparams.task, self.max_frames, self.hparams.velocity, augment
        )
