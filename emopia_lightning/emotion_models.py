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
from omegaconf import OmegaConf

from emopia_lightning.checkpoints import chosen_checkpoint, load_model
from emopia_lightning.classical.model_file import load_classical_model
from emopia_lightning.data.labels import (
    EMOTION_NAMES,
    halves_of_quadrants,
)
from emopia_lightning.data.notes import Notes
from emopia_lightning.errors import CheckpointError, RequestError
from emopia_lightning.models.emotion_classifier import EmotionClassifier
from emopia_lightning.utils.instantiate import build


class EmotionModel(Protocol):
    task: str  # quadrant, arousal or valence (data.labels.TASK_CLASSES)

    @property
    def class_names(self) -> tuple[str, ...]: ...

    def probabilities(self, notes: Notes) -> np.ndarray: ...


class CheckpointModel:
    """A Lightning classifier checkpoint; a clip becomes what its data module served in
    validation (``model_inputs``: a roll, tokens, or every segment), its views' probabilities
    averaged. ``whole_clip``: every window of a clip where validation read its start (measured on
    validation in experiments/recognition_directions.md: no better, so not the default)."""

    def __init__(self, path: str | Path, whole_clip: bool = False):
        self.whole_clip = whole_clip
        self.network, config = load_model(path, EmotionClassifier, "emotion classifier")
        self.task = config["task"]
        # Only built, never set up: it reads no data, it only says how a clip becomes input.
        self.datamodule = build(OmegaConf.create(config["data"]), progress=False)

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.network.class_names)

    @torch.no_grad()
    def probabilities(self, notes: Notes) -> np.ndarray:
        inputs = self.datamodule.model_inputs(notes, self.whole_clip)  # (views, T, ...)
        lengths = torch.full((len(inputs),), inputs.shape[1])
        return torch.softmax(self.network(inputs, lengths), dim=-1).mean(dim=0).numpy()


class TransposedViews:
    """A model whose answer for a clip is the mean of its answers for the clip moved by each of
    ``shifts`` semitones (a test-time view: the emotion of a piece survives a small transposition,
    the model's reading of it need not)."""

    def __init__(self, model: EmotionModel, shifts: tuple[int, ...] = (-2, -1, 0, 1, 2)):
        if not shifts or any(abs(s) > 12 for s in shifts):
            raise RequestError(
                f"view shifts must be at most 12 semitones either way, and at least one, got {list(shifts)}"
            )
        self.model, self.shifts, self.task = model, tuple(shifts), model.task

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.model.class_names

    def probabilities(self, notes: Notes) -> np.ndarray:
        return np.mean([self.model.probabilities(notes.transposed(s)) for s in self.shifts], axis=0)


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
        return halves_of_quadrants(probabilities)
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
