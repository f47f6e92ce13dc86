"""Stacking whose inner out-of-fold predictions keep each song on one side.

scikit-learn's ``StackingClassifier`` trains its final estimator on ``cross_val_predict`` output
but passes no ``groups`` to that inner CV, so two clips of one song can sit on both sides of an
inner fold and the final estimator learns to trust base models more than held-out songs would.
Given ``groups`` (the song of each row) in ``fit``, this one splits its training rows with
``StratifiedGroupKFold`` instead; without them it is ``StackingClassifier`` as it is.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import StackingClassifier
from sklearn.model_selection import StratifiedGroupKFold


def song_grouped_folds(
    y: np.ndarray, groups: np.ndarray, n_splits: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of ``n_splits`` stratified folds, each group in one test fold
    (no shuffling: the same rows give the same folds)."""
    return list(StratifiedGroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups))


class GroupedStackingClassifier(StackingClassifier):
    def fit(self, X, y, groups=None, **fit_params):
        if groups is None:
            return super().fit(X, y, **fit_params)
        n_splits = self.cv if isinstance(self.cv, int) else 5
        given = self.cv
        self.cv = song_grouped_folds(np.asarray(y), np.asarray(groups), n_splits)
        try:
            return super().fit(X, y, **fit_params)
        finally:
            self.cv = given  # the parameter as set: clones and saved models keep the number
