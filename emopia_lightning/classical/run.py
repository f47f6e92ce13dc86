"""Run classical models under the configured evaluations and write the table and pictures."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf
from tqdm.auto import tqdm

from emopia_lightning.classical.cross_validation import SCHEMES, cross_validate, inner_cv, outer_folds
from emopia_lightning.classical.features import FeatureSpec
from emopia_lightning.classical.model_file import ClassicalModel
from emopia_lightning.classical.models import build_pipeline, fitted_pipeline
from emopia_lightning.classical.report import plot_decision_tree, write_tables
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.labels import class_names
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.errors import RequestError, writable_folder
from emopia_lightning.render.confusion_matrix import plot_confusion_matrix

log = logging.getLogger(__name__)


def _models(cfg: DictConfig) -> dict[str, DictConfig]:
    """The table's models, or the single `model` of a one-model run."""
    if cfg.get("models"):
        return dict(cfg.models)
    return {cfg.model.name: cfg.model}


def _schemes(cfg: DictConfig) -> list[str]:
    schemes = list(cfg.cv) if isinstance(cfg.cv, (list, ListConfig)) else [str(cfg.cv)]
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown:
        raise RequestError(f"cv={','.join(unknown)}: not an evaluation; choose {', '.join(SCHEMES)}")
    return schemes


def run_classical(cfg: DictConfig) -> list[dict]:
    """Evaluate every configured model under every configured scheme; returns the summaries."""
    # Every option, and the output folder, is checked before the features take their minute.
    spec = FeatureSpec(tuple(cfg.features.sets))
    models, schemes = _models(cfg), _schemes(cfg)
    out_dir = writable_folder(cfg.out_dir)
    source = locate_emopia(cfg.paths.data_dir)
    corpus = load_corpus(source, spec, cfg.paths.cache_dir)
    features = np.asarray(corpus.rows, dtype=np.float64)  # (clips, n_features)
    targets = np.array([label.target(cfg.task) for label in corpus.labels])
    songs = np.array([label.song_id for label in corpus.labels])
    names = class_names(cfg.task)
    folds = {s: outer_folds(corpus.labels, source.split_csvs, s, cfg.n_folds, cfg.seed) for s in schemes}
    log.info(
        "%d clips x %d features (%s); models %s; evaluations %s",
        *features.shape,
        ",".join(spec.sets),
        list(models),
        schemes,
    )

    summaries, official = [], {}
    total = len(models) * sum(len(f) for f in folds.values())
    with tqdm(total=total, desc="Folds", unit="fold") as progress:
        for scheme in schemes:
            for name, model in models.items():
                progress.set_postfix_str(f"{name} / {scheme}")
                result = cross_validate(
                    name,
                    scheme,
                    instantiate(model.estimator),
                    features,
                    targets,
                    songs,
                    folds[scheme],
                    names,
                    standardise=model.standardise,
                    rfecv=rfecv_settings(cfg, model),
                    grid=OmegaConf.to_container(model.grid) if cfg.grid_search else None,
                    inner_folds=cfg.inner_folds,
                    seed=cfg.seed,
                    progress=progress,
                )
                summaries.append(result.summary())
                if scheme == "official":
                    official[name] = result
                title = f"{name} · {cfg.task} · {scheme} ({len(folds[scheme])} fold{'s' * (len(folds[scheme]) > 1)})"
                out_dir.mkdir(parents=True, exist_ok=True)
                plot_confusion_matrix(
                    result.confusion, names, title, out_dir / f"confusion_{name}_{scheme}.png"
                )
    if "decision_tree" in models:
        _draw_tree(cfg, models["decision_tree"], features, targets, songs, spec, names, out_dir)
    command = "python -m emopia_lightning.classical " + " ".join(sys.argv[1:])
    path = write_tables(summaries, features.shape[1], command.strip(), out_dir)
    log.info("Table written to %s", path)
    if cfg.save_model:
        for name, model in models.items():
            saved = _save_model(
                cfg, name, model, official.get(name), (features, targets, songs), source, corpus, spec
            )
            log.info("Model written to %s", saved)
    return summaries


def _save_model(cfg, name, model, official_result, data, source, corpus, spec) -> Path:
    """``<out_dir>/<name>.skops``: the model fitted on the official split's training and
    validation songs (the official evaluation's own fit, or one made here), so its official test
    accuracy is a held-out figure."""
    features, targets, songs = data
    ((train, test),) = outer_folds(corpus.labels, source.split_csvs, "official", cfg.n_folds, cfg.seed)
    if official_result is None:
        rfecv, grid = (
            rfecv_settings(cfg, model),
            OmegaConf.to_container(model.grid) if cfg.grid_search else None,
        )
        fitted = build_pipeline(instantiate(model.estimator), model.standardise, rfecv, grid,
                                inner_cv(cfg.inner_folds, grouped=True, seed=cfg.seed))  # fmt: skip
        fit_params = {"select__groups": songs[train]} if rfecv else {}
        fit_params.update({"groups": songs[train]} if grid else {})
        fitted.fit(features[train], targets[train], **fit_params)
    else:
        fitted = official_result.last_fitted
    pipeline = fitted_pipeline(fitted)
    about = {
        "model": name,
        "trained_on": f"official split, training + validation songs ({len(train)} clips)",
        "official_test_accuracy": float(np.mean(pipeline.predict(features[test]) == targets[test])),
        "seed": int(cfg.seed),
    }
    return ClassicalModel(pipeline, spec, cfg.task, about).save(Path(cfg.out_dir) / f"{name}.skops")


def rfecv_settings(cfg: DictConfig, model: DictConfig) -> dict | None:
    """The model's RFECV settings, or None where RFECV is off globally or for this model."""
    if not (cfg.rfecv and model.get("rfecv")):
        return None
    return OmegaConf.to_container(model.rfecv, resolve=True)


def _draw_tree(cfg, model, features, targets, songs, spec, names, out_dir: Path) -> None:
    """The decision tree fitted on every clip (RFECV on song-grouped inner folds), as a picture."""
    cv = inner_cv(cfg.inner_folds, grouped=True, seed=cfg.seed)
    rfecv = rfecv_settings(cfg, model)
    pipeline = build_pipeline(instantiate(model.estimator), model.standardise, rfecv, None, cv)
    pipeline.fit(features, targets, **({"select__groups": songs} if rfecv else {}))
    pipeline = fitted_pipeline(pipeline)
    feature_names = np.array(spec.names())
    if "select" in pipeline.named_steps:
        feature_names = feature_names[pipeline.named_steps["select"].support_]
    plot_decision_tree(pipeline.named_steps["model"], feature_names, names, out_dir / "decision_tree.png")
