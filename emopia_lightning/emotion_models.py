"""Emotion classifiers loaded from a file, behind one interface: a Lightning checkpoint of
``train`` (LSTM, ShortChunkCNN_Res, REMI Transformer) or a classical model file of ``classical``
(skops). ``predict`` and the page take either, and read the same result from both
(:func:`read_emotion`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from emopia_lightning.checkpoints import CheckpointError, chosen_checkpoint, load_model
from emopia_lightning.classical.model_file import load_classical_model
from emopia_lightning.data.clip_dataset import roll_to_input
from emopia_lightning.data.labels import (
    EMOTION_NAMES,
    HIGH_AROUSAL_QUADRANTS,
    POSITIVE_VALENCE_QUADRANTS,
    QUADRANTS,
)
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.rolls import TimeRollSpec
from emopia_lightning.data.token_dataset import tokens_to_input
from emopia_lightning.data.tokens import RemiSpec
from emopia_lightning.models.emotion_classifier import EmotionClassifier


class EmotionModel(Protocol):
    task: str  # quadrant, arousal or valence (data.labels.TASK_CLASSES)

    @property
    def class_names(self) -> tuple[str, ...]: ...

    def probabilities(self, notes: Notes) -> np.ndarray: ...


class CheckpointModel:
    """A Lightning classifier checkpoint; a clip becomes what its validation data was (roll or tokens)."""

    def __init__(self, path: str | Path):
        self.network, config = load_model(path, EmotionClassifier, "emotion classifier")
        self.task, self.data = config["task"], config["data"]

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.network.class_names)

    @torch.no_grad()
    def probabilities(self, notes: Notes) -> np.ndarray:
        clip = clip_input(self.data, notes)[None]  # (1, T, P) roll or (1, T) token ids
        return torch.softmax(self.network(clip, torch.tensor([clip.shape[1]])), dim=-1)[0].numpy()


def clip_input(data: dict, notes: Notes) -> torch.Tensor:
    """One clip as the run's data config (``data`` of a checkpoint) served it in validation: REMI
    token ids from the start for the token data module, else the time roll from the start."""
    if data["_target_"].endswith(".EmopiaTokenDataModule"):
        ids = RemiSpec(num_velocities=data["num_velocities"]).tokens(notes)[: data["max_tokens"]]
        return tokens_to_input(ids)  # (T,)
    spec = TimeRollSpec(fs=data["fs"], lowest_pitch=data["lowest_pitch"], n_pitches=data["n_pitches"],
                        velocity=data["velocity"])  # fmt: skip
    max_frames = round(data["max_seconds"] * data["fs"]) if data.get("max_seconds") else None
    return roll_to_input(spec.render(notes), data["velocity"], max_frames)  # (T, P)


def load_emotion_model(path: str | Path) -> EmotionModel:
    """A ``.skops`` classical model file (or a classical run folder holding one), else a Lightning
    checkpoint (or a training run's folder: its checkpoint chosen on validation)."""
    path = Path(path)
    found = sorted(path.glob("*.skops")) if path.is_dir() else []
    if len(found) > 1:
        raise CheckpointError(f"{path}: holds {len(found)} model files; name one: {[p.name for p in found]}")
    if found or path.suffix == ".skops":
        return load_classical_model(found[0] if found else path)
    return CheckpointModel(chosen_checkpoint(path))


def readable(name: str) -> str:
    """``Q3`` -> ``sad / depressed``; arousal / valence names stay as they are."""
    return " / ".join(EMOTION_NAMES[name][:2]) if name in EMOTION_NAMES else name


def halves(task: str, probabilities: dict[str, float]) -> dict[str, float]:
    """P(high arousal) and P(positive valence), from quadrant probabilities or a task model's
    own; each only where the model reads it."""
    if task == "quadrant":
        return {
            "arousal": sum(probabilities[QUADRANTS[q - 1]] for q in HIGH_AROUSAL_QUADRANTS),
            "valence": sum(probabilities[QUADRANTS[q - 1]] for q in POSITIVE_VALENCE_QUADRANTS),
        }
    return {"arousal": probabilities["high"]} if task == "arousal" else {"valence": probabilities["positive"]}


def read_emotion(model: EmotionModel, notes: Notes) -> dict:
    """The prediction, its readable meaning, the class probabilities, P(high arousal) and
    P(positive valence) where known, and the repairs reading the file needed."""
    shares = model.probabilities(notes)
    names = model.class_names
    best = names[int(np.argmax(shares))]
    probabilities = {name: round(float(p), 4) for name, p in zip(names, shares)}
    return {
        "prediction": best,
        "meaning": readable(best),
        "probabilities": probabilities,
        **{k: round(v, 4) for k, v in halves(model.task, probabilities).items()},
        "repairs": list(notes.repairs),
    }
