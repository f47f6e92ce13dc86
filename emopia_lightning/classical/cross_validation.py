"""Cross-validated evaluation of one classical model: every fitted step sees training rows only."""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from emopia_lightning.classical.models import build_pipeline, chosen_params, features_kept
from emopia_lightning.data.labels import QUADRANTS, ClipLabel
from emopia_lightning.data.splits import fold_indices, official_split
from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.emotion_scores import emotion_scores


@dataclass
class FoldResults:
    """Per-fold results of one model under one evaluation scheme."""

    model: str
    scheme: str
    class_names: Sequence[str]
    accuracy: list[float] = field(default_factory=list)
    weighted_f1: list[float] = field(default_factory=list)
    # A quadrant model's arousal and valence accuracy, read off its quadrants, per fold.
    arousal: list[float] = field(default_factory=list)
    valence: list[float] = field(default_factory=list)
    features_kept: list[int | None] = field(default_factory=list)
    chosen_params: list[dict] = field(default_factory=list)
    confusion: np.ndarray | None = None  # summed over folds; rows true, columns predicted
    seconds: float = 0.0
    last_fitted: BaseEstimator | None = None  # the last fold's model (official: the only one)

    def summary(self) -> dict:
        recall = np.diag(self.confusion) / np.maximum(self.confusion.sum(axis=1), 1)
        kept = [k for k in self.features_kept if k is not None]
        return {
            "model": self.model,
            "evaluation": self.scheme,
            "folds": len(self.accuracy),
            "accuracy_mean": float(np.mean(self.accuracy)),
            "accuracy_std": float(np.std(self.accuracy)),  # across folds (population std)
            "accuracy_per_fold": [float(a) for a in self.accuracy],  # to pair with other models' folds
            "weighted_f1_mean": float(np.mean(self.weighted_f1)),
            "arousal_mean": float(np.mean(self.arousal)) if self.arousal else None,
            "valence_mean": float(np.mean(self.valence)) if self.valence else None,
            "recall": {name: float(r) for name, r in zip(self.class_names, recall)},
            "features_kept": kept or None,
            "chosen_params": self.chosen_params if any(self.chosen_params) else None,
            "seconds": self.seconds,
        }


SCHEMES = ("random", "grouped", "official")


def outer_folds(
    labels: Sequence[ClipLabel], split_csvs: dict, scheme: str, n_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions: ``random`` / ``grouped`` k-fold, or the ``official`` test split.

    For ``official`` the classical models train on train + validation (RFECV and grid search do
    their own inner CV) and are tested once on the official test clips.
    """
    everything = np.arange(len(labels))
    if scheme == "official":
        split = official_split(labels, split_csvs)
        return [(np.concatenate([split.train, split.val]), split.test)]
    if scheme in ("random", "grouped"):
        return fold_indices(labels, everything, n_folds, grouped=scheme == "grouped", seed=seed)
    raise RequestError(f"unknown evaluation {scheme!r}; choose {', '.join(SCHEMES)}")


def inner_cv(folds: int, grouped: bool, seed: int):
    """The CV splitter for RFECV and grid search inside a training fold."""
    if grouped:
        return StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)


def cross_validate(
    name: str,
    scheme: str,
    estimator: BaseEstimator,
    features: np.ndarray,
    targets: np.ndarray,
    songs: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    class_names: Sequence[str],
    standardise: bool,
    rfecv: dict | None,
    grid: dict | None,
    inner_folds: int,
    seed: int,
    progress=None,
) -> FoldResults:
    """Fit a fresh pipeline on each fold's training rows and score it on the fold's test rows.

    Inner CV (RFECV, grid search) is song-grouped whenever the outer folds are not random, so no
    song is on both sides of any selection either.
    """
    grouped = scheme != "random"
    result = FoldResults(name, scheme, class_names)
    result.confusion = np.zeros((len(class_names), len(class_names)), dtype=np.int64)
    start = time.perf_counter()
    for train, test in folds:
        cv = inner_cv(inner_folds, grouped, seed)
        model = build_pipeline(estimator, standardise, rfecv, grid, cv)
        fit_params = {}
        if grouped:  # route the song ids to whichever step runs a grouped inner CV
            if rfecv:
                fit_params["select__groups"] = songs[train]
            if grid:
                fit_params["groups"] = songs[train]
            if "groups" in inspect.signature(estimator.fit).parameters:  # e.g. grouped stacking
                fit_params["model__groups"] = songs[train]
        model.fit(features[train], targets[train], **fit_params)
        predicted = model.predict(features[test])
        result.accuracy.append(accuracy_score(targets[test], predicted))
        result.weighted_f1.append(f1_score(targets[test], predicted, average="weighted"))
        if tuple(class_names) == QUADRANTS:
            scores = emotion_scores(targets[test], predicted)
            result.arousal.append(scores["arousal_accuracy"])
            result.valence.append(scores["valence_accuracy"])
        result.confusion += confusion_matrix(targets[test], predicted, labels=range(len(class_names)))
        result.features_kept.append(features_kept(model))
        result.chosen_params.append(chosen_params(model))
        result.last_fitted = model
        if progress is not None:
            progress.update(1)
    result.seconds = time.perf_counter() - start
    return result
