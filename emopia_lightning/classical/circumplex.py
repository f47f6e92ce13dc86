"""A quadrant classifier made of two: one model of arousal, one of valence, each fitted on its own
half of the circumplex, their probabilities multiplied into the four quadrants. Most quadrant
errors are valence errors; a model for valence alone sees the question it has to answer."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from emopia_lightning.data.labels import HIGH_AROUSAL, POSITIVE_VALENCE


class ArousalTimesValence(ClassifierMixin, BaseEstimator):
    """Quadrant targets 0..3 in; ``arousal`` and ``valence`` (scikit-learn classifiers with
    ``predict_proba``) are cloned and fitted on the two halves; P(quadrant) = P(its arousal) x
    P(its valence)."""

    def __init__(self, arousal: BaseEstimator, valence: BaseEstimator):
        self.arousal = arousal
        self.valence = valence

    def fit(self, features: np.ndarray, quadrants: np.ndarray) -> ArousalTimesValence:
        quadrants = np.asarray(quadrants)
        self.arousal_ = clone(self.arousal).fit(features, HIGH_AROUSAL[quadrants])
        self.valence_ = clone(self.valence).fit(features, POSITIVE_VALENCE[quadrants])
        self.classes_ = np.arange(len(HIGH_AROUSAL))
        return self

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        high = self.arousal_.predict_proba(features)[:, list(self.arousal_.classes_).index(1)]  # (n,)
        positive = self.valence_.predict_proba(features)[:, list(self.valence_.classes_).index(1)]
        arousal = np.where(HIGH_AROUSAL[None, :] == 1, high[:, None], 1 - high[:, None])  # (n, 4)
        valence = np.where(POSITIVE_VALENCE[None, :] == 1, positive[:, None], 1 - positive[:, None])
        return arousal * valence

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(features), axis=1)]

    @property
    def feature_importances_(self) -> np.ndarray:
        """The two models' importances averaged (RFECV ranks features by them)."""
        return (self.arousal_.feature_importances_ + self.valence_.feature_importances_) / 2
