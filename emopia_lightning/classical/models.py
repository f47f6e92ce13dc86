"""The four classical classifiers as scikit-learn pipelines, with optional RFECV and grid search."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, clone
from sklearn.feature_selection import RFECV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def build_pipeline(
    estimator: BaseEstimator,
    standardise: bool,
    rfecv: dict | None,
    grid: dict[str, list] | None,
    cv,
) -> BaseEstimator:
    """[StandardScaler] -> [RFECV(estimator)] -> estimator, wrapped in GridSearchCV when ``grid``.

    RFECV ranks features by the estimator's own coefficients or importances, so it is only offered
    for models that have them (not k-NN); ``rfecv["estimator_params"]`` may lighten the ranking
    copy (a smaller forest). Everything here is fitted on training rows only.
    """
    steps: list[tuple[str, Any]] = []
    if standardise:
        steps.append(("scale", StandardScaler()))
    if rfecv:
        ranker = clone(estimator).set_params(**rfecv.get("estimator_params", {}))
        selector = RFECV(
            ranker,
            step=rfecv["step"],
            min_features_to_select=rfecv["min_features"],
            cv=cv,
            scoring="accuracy",
        )
        steps.append(("select", selector))
    steps.append(("model", clone(estimator)))
    pipeline = Pipeline(steps)
    if grid:
        return GridSearchCV(
            pipeline, {f"model__{k}": list(v) for k, v in grid.items()}, cv=cv, scoring="accuracy"
        )
    return pipeline


def fitted_pipeline(model: BaseEstimator) -> Pipeline:
    """The fitted Pipeline inside a fitted model (unwrapping a grid search)."""
    return model.best_estimator_ if isinstance(model, GridSearchCV) else model


def features_kept(model: BaseEstimator) -> int | None:
    """How many features RFECV kept in a fitted model (None without RFECV)."""
    pipeline = fitted_pipeline(model)
    selector = pipeline.named_steps.get("select")
    return int(selector.n_features_) if selector is not None else None


def chosen_params(model: BaseEstimator) -> dict:
    """The grid search's choice, without the pipeline prefix ({} without a grid)."""
    if not isinstance(model, GridSearchCV):
        return {}
    return {k.removeprefix("model__"): v for k, v in model.best_params_.items()}
