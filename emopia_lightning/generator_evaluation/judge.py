"""The CNN judge of generated music: an emotion classifier trained on real segments only.

``experiment=segment_judge`` trains it (ShortChunkCNN_Res on real 4-bar segments of the official
split, chosen on the validation songs). Here it is loaded back, checked to read the generator's
segment shape, and asked for quadrant probabilities of any stack of segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from emopia_lightning.checkpoints import chosen_checkpoint, load_model
from emopia_lightning.data.segment_datamodule import EmopiaSegmentDataModule
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import CheckpointError
from emopia_lightning.models.emotion_classifier import EmotionClassifier


@dataclass
class CNNJudge:
    model: EmotionClassifier
    config: dict
    checkpoint: Path
    name = "cnn"

    def describe(self) -> dict:
        """What the report says of this judge: its kind and checkpoint."""
        return {"kind": "ShortChunkCNN_Res on the roll", "checkpoint": str(self.checkpoint)}

    @property
    def data(self) -> dict:
        return self.config["data"]

    def probabilities(self, rolls: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(n, classes) softmax of (n, steps, pitches, 2) segments."""
        layout = SegmentLayout.of(self.data["layout"])
        rolls = torch.from_numpy(layout.classifier_roll(rolls))  # what it was trained on
        parts = []
        with torch.inference_mode():
            for batch in rolls.split(batch_size):
                lengths = torch.full((len(batch),), batch.shape[1])
                parts.append(torch.softmax(self.model(batch, lengths), dim=-1))
        return torch.cat(parts).numpy() if parts else np.zeros((0, len(self.model.class_names)))

    def real_segments(self) -> EmopiaSegmentDataModule:
        """The judge's own data (set up, no progress bars): its test part is the real held-out set."""
        datamodule = instantiate(OmegaConf.create(self.data), progress=False)
        datamodule.setup("test")
        return datamodule


def load_judge(path: str | Path, layout: SegmentLayout) -> CNNJudge:
    """The judge of a run folder (its validation-chosen checkpoint) or a checkpoint file.

    Refuses a judge that is not a 4-quadrant segment classifier of segments in ``layout`` (a composer's).
    """
    checkpoint = chosen_checkpoint(path)
    model, config = load_model(checkpoint, EmotionClassifier, "segment judge")
    data = config["data"]
    if config.get("task") != "quadrant" or not data.get("sequences"):
        raise CheckpointError(
            f"{checkpoint}: not a quadrant classifier of segments; train one with experiment=segment_judge"
        )
    judge_layout, generator_layout = SegmentLayout.of(data.get("layout", {})).key(), layout.key()
    different = [k for k in judge_layout if judge_layout[k] != generator_layout[k]]
    if different:
        raise CheckpointError(
            f"{checkpoint}: the judge reads other segments than the generator writes ({', '.join(different)})"
        )
    return CNNJudge(model, config, checkpoint)
