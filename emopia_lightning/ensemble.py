"""Late fusion of a trained sequence classifier with a classical model, judged on the run's own split.

``python -m emopia_lightning.ensemble RUN_DIR [RUN_DIR ...] [--classical random_forest]
[--features expert] [--out experiments/x.md]``

For each training run (a folder with ``metrics.json`` and its chosen checkpoint): the deep model's
class probabilities on the run's validation and test clips; a classical model (by default Table 1's
random forest on the expert features, RFECV inside) fitted on the run's training clips only; their
weighted average, the weight chosen on validation accuracy alone. The test clips choose nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from emopia_lightning.checkpoints import chosen_checkpoint, load_model
from emopia_lightning.classical.cross_validation import inner_cv
from emopia_lightning.classical.features import FeatureSpec
from emopia_lightning.classical.models import build_pipeline
from emopia_lightning.classical.run import rfecv_settings
from emopia_lightning.config_registry import CONF_DIR, compose_config
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.errors import RequestError, one_line_errors, writable_folder
from emopia_lightning.generator_evaluation.emotion_scores import emotion_scores
from emopia_lightning.models.emotion_classifier import EmotionClassifier

WEIGHTS = np.round(np.linspace(0.0, 1.0, 11), 2)  # the deep model's share in the average


def deep_probabilities(model: EmotionClassifier, loader) -> np.ndarray:
    """(clips, classes) softmax probabilities, in the loader's order."""
    with torch.inference_mode():  # no autograd graph over whole splits
        parts = [torch.softmax(model(rolls, lengths), dim=-1) for rolls, lengths, _ in loader]
    return torch.cat(parts).numpy()


def classical_config(name: str, features: str, task: str, seed: int):
    return compose_config(
        "classical",
        overrides=[f"model={name}", f"features={features}", f"task={task}", f"seed={seed}"],
        folder=CONF_DIR / "classical",
    )


def classical_probabilities(cfg, data_root: str, cache_dir: str, train_names, eval_names: dict) -> dict:
    """Fit the classical pipeline on ``train_names`` clips; probabilities for each ``eval_names`` part."""
    source = locate_emopia(data_root)
    corpus = load_corpus(source, FeatureSpec(tuple(cfg.features.sets)), cache_dir, progress=False)
    row = {label.name: i for i, label in enumerate(corpus.labels)}
    features = np.asarray(corpus.rows, dtype=np.float64)
    train = np.array([row[name] for name in train_names])
    targets = np.array([label.target(cfg.task) for label in corpus.labels])
    songs = np.array([label.song_id for label in corpus.labels])
    rfecv = rfecv_settings(cfg, cfg.model)
    cv = inner_cv(cfg.inner_folds, grouped=True, seed=cfg.seed)  # no song on both sides of RFECV's folds
    pipeline = build_pipeline(instantiate(cfg.model.estimator), cfg.model.standardise, rfecv, None, cv)
    pipeline.fit(features[train], targets[train], **({"select__groups": songs[train]} if rfecv else {}))
    return {
        part: pipeline.predict_proba(features[[row[n] for n in names]]) for part, names in eval_names.items()
    }


def fuse_run(run_dir: Path, classical: str, features: str) -> dict:
    """Validation-chosen fusion of one run; accuracies of the deep, classical and fused models."""
    model, config = load_model(chosen_checkpoint(run_dir), EmotionClassifier, "emotion classifier")
    datamodule = instantiate(OmegaConf.create(config["data"]), progress=False)
    datamodule.setup("test")
    names = {
        part: [datamodule.corpus.labels[i].name for i in datamodule.datasets[part].positions]
        for part in ("train", "val", "test")
    }
    targets = {part: datamodule.datasets[part].targets for part in ("val", "test")}
    deep = {
        "val": deep_probabilities(model, datamodule.val_dataloader()),
        "test": deep_probabilities(model, datamodule.test_dataloader()),
    }
    cfg = classical_config(classical, features, config["task"], config["seed"])
    shallow = classical_probabilities(
        cfg,
        config["data"]["root"],
        config["data"]["cache_dir"],
        names["train"],
        {p: names[p] for p in ("val", "test")},
    )

    def accuracy(probabilities: np.ndarray, part: str) -> float:
        return float((probabilities.argmax(axis=1) == targets[part]).mean())

    def fused(weight: float, part: str) -> np.ndarray:
        return weight * deep[part] + (1 - weight) * shallow[part]

    val_scores = [accuracy(fused(w, "val"), "val") for w in WEIGHTS]
    best = max(val_scores)
    # Ties go to the weight nearest an even mix: the least committed choice.
    weight = min((w for w, s in zip(WEIGHTS, val_scores) if s == best), key=lambda w: abs(w - 0.5))
    # A quadrant model's arousal and valence: the halves its chosen quadrant falls in.
    half_scores = {}
    if config["task"] == "quadrant":
        for model_name, probabilities in (
            ("deep", deep["test"]), ("classical", shallow["test"]), ("fused", fused(weight, "test"))
        ):  # fmt: skip
            scores = emotion_scores(targets["test"], probabilities.argmax(axis=1))
            for half in ("arousal", "valence"):
                half_scores[f"test/{model_name}_{half}"] = scores[f"{half}_accuracy"]
    return {
        "run": str(run_dir),
        "seed": config["seed"],
        "split": config["data"]["split"],
        "weight": float(weight),
        "val/deep": accuracy(deep["val"], "val"),
        "val/classical": accuracy(shallow["val"], "val"),
        "val/fused": best,
        "test/deep": accuracy(deep["test"], "test"),
        "test/classical": accuracy(shallow["test"], "test"),
        "test/fused": accuracy(fused(weight, "test"), "test"),
        **half_scores,
    }


def table(results: list[dict], command: str) -> str:
    def cell(key: str) -> str:
        values = [r[key] for r in results]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {spread:.3f}"

    lines = [
        f"`{command}`",
        "",
        "| runs | deep (test) | classical (test) | fused (test) | deep weight (chosen on val) |",
        "|---|---|---|---|---|",
        f"| {len(results)} | {cell('test/deep')} | {cell('test/classical')} | {cell('test/fused')} | "
        f"{', '.join(format(r['weight'], '.1f') for r in results)} |",
        *halves_table(results, cell),
        "",
        "Per run: " + "; ".join(
            f"{Path(r['run']).name}: deep {r['test/deep']:.3f}, classical {r['test/classical']:.3f}, "
            f"fused {r['test/fused']:.3f}"
            for r in results
        ),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def halves_table(results: list[dict], cell) -> list[str]:
    """Arousal and valence rows when the runs classify quadrants."""
    if "test/deep_arousal" not in results[0]:
        return []
    return [
        "",
        "| test, quadrant runs read as halves | deep | classical | fused |",
        "|---|---|---|---|",
        *(
            f"| {half} | {cell(f'test/deep_{half}')} | {cell(f'test/classical_{half}')} | {cell(f'test/fused_{half}')} |"
            for half in ("arousal", "valence")
        ),
    ]


def build_parser() -> argparse.ArgumentParser:
    """This command's arguments (the README test parses the README's lines with it)."""
    parser = argparse.ArgumentParser(description="Fuse trained classifier runs with a classical model.")
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (each with metrics.json)")
    parser.add_argument("--classical", default="random_forest", help="a conf/classical/model option")
    parser.add_argument("--features", default="expert", help="a conf/classical/features option")
    parser.add_argument("--out", type=Path, help="write the Markdown table (and JSON beside it) here")
    return parser


@one_line_errors
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for flag, group in (("classical", "model"), ("features", "features")):
        offered = sorted(p.stem for p in (CONF_DIR / "classical" / group).glob("*.yaml"))
        if getattr(args, flag) not in offered:
            raise RequestError(f"--{flag} {getattr(args, flag)}: choose one of {', '.join(offered)}")
    if args.out:
        writable_folder(args.out.parent)
    results = [fuse_run(run, args.classical, args.features) for run in args.runs]
    markdown = table(
        results, "python -m emopia_lightning.ensemble " + " ".join(sys.argv[1:] if argv is None else argv)
    )
    print(markdown)
    if args.out:
        args.out.write_text(markdown)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
