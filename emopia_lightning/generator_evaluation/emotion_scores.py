"""How well a judge's predicted quadrants match the asked-for (or true) ones.

Arousal and valence are read off the quadrants (Q1, Q2 high arousal; Q1, Q4 positive valence), so
a Q1 clip judged Q2 still counts as right for arousal.
"""

from __future__ import annotations

import numpy as np

from emopia_lightning.data.labels import HIGH_AROUSAL, POSITIVE_VALENCE, QUADRANTS


def emotion_scores(targets: np.ndarray, predictions: np.ndarray) -> dict:
    """Accuracy, per-quadrant recall, arousal and valence accuracy and the confusion matrix
    (rows: true or requested quadrant, columns: judged) of quadrant indices 0..3."""
    targets = np.asarray(targets, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    if targets.shape != predictions.shape or not len(targets):
        raise ValueError(
            f"need as many predictions as targets, at least one ({targets.shape}, {predictions.shape})"
        )
    n = len(QUADRANTS)
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (targets, predictions), 1)
    rows = confusion.sum(axis=1)
    return {
        "n": int(len(targets)),
        "accuracy": float(np.mean(targets == predictions)),
        "per_quadrant": {
            q: (float(confusion[i, i] / rows[i]) if rows[i] else None) for i, q in enumerate(QUADRANTS)
        },
        "arousal_accuracy": float(np.mean(HIGH_AROUSAL[targets] == HIGH_AROUSAL[predictions])),
        "valence_accuracy": float(np.mean(POSITIVE_VALENCE[targets] == POSITIVE_VALENCE[predictions])),
        "confusion": confusion.tolist(),
    }


def chance_scores(targets: np.ndarray) -> dict:
    """The floor: a judge that guesses uniformly (expected accuracy), and one that always answers
    the most common class of ``targets`` (quadrant, arousal, valence alike)."""
    targets = np.asarray(targets, dtype=np.int64)

    def majority(values: np.ndarray) -> float:
        return float(np.bincount(values).max() / len(values))

    return {
        "uniform": {"accuracy": 1 / len(QUADRANTS), "arousal_accuracy": 0.5, "valence_accuracy": 0.5},
        "majority": {
            "accuracy": majority(targets),
            "arousal_accuracy": majority(HIGH_AROUSAL[targets]),
            "valence_accuracy": majority(POSITIVE_VALENCE[targets]),
        },
    }
