"""The feature judge: an RBF SVM and a random forest on per-segment expert features, blended.

It judges generated segments beside the CNN judge (``evaluation.judge``), and it is the stronger of
the two on real music. It is fitted on the official split's training songs; the SVM's settings and
the blend weight are chosen on the validation songs; the test songs give its real held-out
accuracy, which nothing is chosen on. A fitted judge is cached (``data.cache``) under a key of
the data's fingerprint, the segment layout and the judge's settings, as a skops file: loading it
runs no code and accepts scikit-learn and numpy types only, as checkpoints load with
``weights_only=True``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io
from hydra.utils import instantiate
from omegaconf import OmegaConf
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from tqdm.auto import tqdm

from emopia_lightning.checkpoints import load_skops
from emopia_lightning.classical.features import EXPERT_NAMES, FEATURES_VERSION
from emopia_lightning.data.cache import cache_key, entry_dir, write_entry
from emopia_lightning.data.segment_datamodule import EmopiaSegmentDataModule
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.errors import CheckpointError, RequestError
from emopia_lightning.generator_evaluation.segment_features import segment_features

log = logging.getLogger(__name__)

JUDGE_VERSION = 3  # bump when the fitting below changes (3: notes with onsets and velocities)


class JudgeFileError(CheckpointError):
    """A judge file that holds something other than a fitted scikit-learn model."""


def judge_data_config(layout: SegmentLayout, root: str, cache_dir: str) -> dict:
    """The segment data a judge of a composer's segments reads: back-to-back segments of its layout
    on the official split, EMOPIA found where this machine keeps it."""
    return {
        "_target_": f"{EmopiaSegmentDataModule.__module__}.{EmopiaSegmentDataModule.__name__}",
        "root": root,
        "cache_dir": cache_dir,
        "split": {"name": "official", "seed": 0},
        "task": "quadrant",
        "layout": layout.key(),
        "hop_bars": None,
        "num_workers": 0,
        "progress": False,
        "sequences": False,
        "transpose": 0,
    }


@dataclass(frozen=True)
class JudgeCandidates:
    """What is tried, and chosen on the validation songs: the SVM's (C, gamma as a multiple of
    1 / n_features), the SVM's share of the blended probabilities, and the forest's size; and
    whether the judge reads velocities (``velocity=false``: a judge that loudness cannot sway)."""

    svm: tuple[tuple[float, float], ...] = ((1.0, 0.5), (1.0, 1.0), (3.0, 0.5), (3.0, 1.0))
    svm_shares: tuple[float, ...] = (0.3, 0.5, 0.7)
    trees: int = 500
    velocity: bool = True

    @property
    def columns(self) -> np.ndarray:
        """The expert features it reads (indices into EXPERT_NAMES)."""
        return np.array(
            [i for i, name in enumerate(EXPERT_NAMES) if self.velocity or not name.startswith("velocity")]
        )

    @classmethod
    def from_options(cls, options: Mapping | None) -> JudgeCandidates:
        """Defaults, with any of ``svm``, ``svm_shares``, ``trees`` given (a config's plain values)."""
        options = dict(options or {})
        unknown = set(options) - {"svm", "svm_shares", "trees", "velocity"}
        if unknown:
            raise RequestError(
                f"unknown feature judge options {sorted(unknown)}; known: svm, svm_shares, trees, velocity"
            )
        if not isinstance(options.get("velocity", True), bool):
            raise RequestError(f"feature_judge.velocity must be true or false, got {options['velocity']!r}")
        if "svm" in options:
            options["svm"] = tuple((float(c), float(g)) for c, g in options["svm"])
        if "svm_shares" in options:
            options["svm_shares"] = tuple(float(share) for share in options["svm_shares"])
        return cls(**options)

    def key(self) -> dict:
        key = {"svm": [list(s) for s in self.svm], "svm_shares": list(self.svm_shares), "trees": self.trees}
        return key if self.velocity else {**key, "velocity": False}  # judges fitted before keep their key


@dataclass
class FeatureJudge:
    """A fitted blend; ``record`` holds its choices and its accuracy on real validation and test
    segments."""

    model: VotingClassifier
    record: dict
    data: dict
    name = "features"

    @property
    def layout(self) -> SegmentLayout:
        return SegmentLayout.of(self.data["layout"])

    def describe(self) -> dict:
        """What the report says of this judge: its kind, choices and real accuracies."""
        reads_velocity = len(self.columns) == len(EXPERT_NAMES)
        kind = "RBF SVM + random forest on expert features" + ("" if reads_velocity else ", velocity-free")
        return {"kind": kind, **self.record}

    @property
    def columns(self) -> np.ndarray:
        read = self.record.get("features", EXPERT_NAMES)
        return np.array([EXPERT_NAMES.index(name) for name in read])

    def probabilities(self, rolls: np.ndarray) -> np.ndarray:
        """(n, 4) quadrant probabilities of (n, steps, pitches, 2) segments."""
        if not len(rolls):
            return np.zeros((0, len(self.record["classes"])))
        return self.model.predict_proba(segment_features(rolls, self.layout)[:, self.columns])

    def real_segments(self) -> EmopiaSegmentDataModule:
        datamodule = instantiate(OmegaConf.create(self.data))
        datamodule.setup("test")
        return datamodule


def _part_features(datamodule: EmopiaSegmentDataModule) -> dict[str, tuple]:
    layout = datamodule.layout
    return {
        part: (segment_features(dataset.segments.pieces(layout), layout), dataset.targets)
        for part, dataset in datamodule.datasets.items()
    }


def _blend(c: float, gamma_scale: float, n_features: int, trees: int, seed: int) -> VotingClassifier:
    # Platt-scaled probabilities from inner CV (scikit-learn's replacement for SVC(probability=True)).
    calibrated = CalibratedClassifierCV(
        SVC(C=c, gamma=gamma_scale / n_features), method="sigmoid", ensemble=False
    )
    svm = make_pipeline(StandardScaler(), calibrated)
    forest = RandomForestClassifier(trees, random_state=seed, n_jobs=-1)
    return VotingClassifier([("svm", svm), ("forest", forest)], voting="soft")


def fit_feature_judge(
    datamodule: EmopiaSegmentDataModule, candidates: JudgeCandidates, seed: int = 0
) -> tuple[VotingClassifier, dict]:
    """Fit every candidate on the training songs; keep the best on the validation songs."""
    parts = {part: (x[:, candidates.columns], y) for part, (x, y) in _part_features(datamodule).items()}
    (x_train, y_train), (x_val, y_val) = parts["train"], parts["val"]
    best = None
    for c, gamma_scale in tqdm(candidates.svm, desc="Fitting the feature judge", unit="candidate"):
        blend = _blend(c, gamma_scale, x_train.shape[1], candidates.trees, seed).fit(x_train, y_train)
        for share in candidates.svm_shares:
            blend.weights = [share, 1 - share]  # soft voting reads the weights at predict time
            accuracy = float(np.mean(blend.predict(x_val) == y_val))
            if best is None or accuracy > best[0]:
                best = (accuracy, blend, {"svm_C": c, "svm_gamma_scale": gamma_scale, "svm_share": share})
    val_accuracy, blend, chosen = best
    blend.weights = [chosen["svm_share"], 1 - chosen["svm_share"]]
    x_test, y_test = parts["test"]
    record = {
        "classes": list(datamodule.class_names),
        "chosen": chosen,
        "val_accuracy": val_accuracy,
        "test_accuracy": float(np.mean(blend.predict(x_test) == y_test)),  # reported, never chosen on
        "segments": {part: int(len(y)) for part, (_, y) in parts.items()},
        "features": [EXPERT_NAMES[i] for i in candidates.columns],
        "seed": seed,
    }
    return blend, record


def _entry(data: dict, cache_dir: str, candidates: JudgeCandidates, seed: int) -> Path:
    source = locate_emopia(data["root"])
    settings = {
        "kind": "feature_judge",
        "layout": SegmentLayout.of(data["layout"]).key(),
        "hop_bars": data.get("hop_bars"),
        "seed": seed,
        "version": JUDGE_VERSION,
        "features_version": FEATURES_VERSION,
        "feature_names": list(EXPERT_NAMES),  # the judge's record reads its columns by name
        "candidates": candidates.key(),
    }
    return entry_dir(cache_dir, "feature_judge", cache_key(source.fingerprint(), settings))


def load_judge_file(path: str | Path) -> VotingClassifier:
    """A skops judge file, refused (:class:`JudgeFileError`) if it holds any type outside
    scikit-learn and numpy (``checkpoints.load_skops``); nothing in it runs."""
    try:
        model = load_skops(path, "judge file")
    except CheckpointError as refused:
        raise JudgeFileError(str(refused)) from None
    if not isinstance(model, VotingClassifier):
        raise JudgeFileError(f"{path}: holds a {type(model).__name__}, not a fitted feature judge")
    return model


def feature_judge(
    layout: SegmentLayout, root: str, cache_dir: str,
    candidates: JudgeCandidates = JudgeCandidates(), seed: int = 0,
) -> FeatureJudge:  # fmt: skip
    """The feature judge of segments in ``layout`` (a composer's): from the cache, or fitted
    (~1 min on 2 cores)."""
    data = judge_data_config(layout, root, cache_dir)
    folder = _entry(data, cache_dir, candidates, seed)
    model_path, record_path = folder / "judge.skops", folder / "judge.json"
    if not model_path.is_file():
        datamodule = instantiate(OmegaConf.create(data))
        datamodule.setup()
        model, record = fit_feature_judge(datamodule, candidates, seed)

        def write(staging: Path) -> None:
            skops.io.dump(model, staging / "judge.skops")
            (staging / "judge.json").write_text(json.dumps(record, indent=2))

        write_entry(folder, write)
        log.info(
            "Feature judge fitted: real validation %.3f, test %.3f (%s)",
            record["val_accuracy"], record["test_accuracy"], folder,
        )  # fmt: skip
    return FeatureJudge(load_judge_file(model_path), json.loads(record_path.read_text()), data)
