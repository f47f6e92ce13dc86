"""A fitted classical classifier as one skops file: the scikit-learn pipeline, and what reading a
clip needs besides (its task and class names, the feature sets and their version). Loading runs
no code (``checkpoints.load_skops``), as the Lightning checkpoints load with ``weights_only=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io
from sklearn.base import BaseEstimator

from emopia_lightning.checkpoints import load_skops
from emopia_lightning.classical.features import FEATURES_VERSION, FeatureSpec
from emopia_lightning.data.labels import TASK_CLASSES
from emopia_lightning.data.notes import Notes
from emopia_lightning.errors import CheckpointError

KIND = "emopia_lightning classical model"


@dataclass
class ClassicalModel:
    """A fitted pipeline over the feature sets of ``spec``; ``about`` holds plain values (its
    name, how it was trained, its held-out accuracy)."""

    pipeline: BaseEstimator
    spec: FeatureSpec
    task: str
    about: dict

    @property
    def class_names(self) -> tuple[str, ...]:
        return TASK_CLASSES[self.task]

    def probabilities(self, notes: Notes) -> np.ndarray:
        """(classes,) probabilities of one clip, in class-index order (a class the training rows
        lacked has 0)."""
        row = self.spec.render(notes)  # (1, n_features)
        shares = np.zeros(len(self.class_names))
        shares[self.pipeline.classes_.astype(int)] = self.pipeline.predict_proba(row)[0]
        return shares

    def save(self, path: str | Path) -> Path:
        record = {
            "kind": KIND,
            "pipeline": self.pipeline,
            "task": self.task,
            "feature_sets": list(self.spec.sets),
            "features_version": FEATURES_VERSION,
            "about": self.about,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        skops.io.dump(record, path)
        return path


def load_classical_model(path: str | Path) -> ClassicalModel:
    """A model file written by :meth:`ClassicalModel.save`; CheckpointError for anything else,
    or for features this version computes differently."""
    record = load_skops(path, "classical model file")
    if not isinstance(record, dict) or record.get("kind") != KIND:
        raise CheckpointError(f"{path}: not a {KIND} file")
    if record["features_version"] != FEATURES_VERSION:
        raise CheckpointError(
            f"{path}: its features are version {record['features_version']}, this version computes "
            f"version {FEATURES_VERSION}; train it again (make classify)"
        )
    if record["task"] not in TASK_CLASSES or not hasattr(record["pipeline"], "predict_proba"):
        raise CheckpointError(f"{path}: not a {KIND} file (task {record['task']!r})")
    return ClassicalModel(
        record["pipeline"], FeatureSpec(tuple(record["feature_sets"])), record["task"], record["about"]
    )
