"""Can a classifier tell generated music from real? A two-sample test on 4-bar windows.

Real windows are those of the official split's validation and test songs (never its training
songs: a composer trained on them would be compared with its own lessons). Generated windows are
those of the composer's pieces. A random forest on :data:`window_features.WINDOW_FEATURES` is
cross-validated with folds grouped by song (real) and by piece (generated), so no song or piece
lends windows to both sides of a fold (Lopez-Paz & Oquab, 2017, "Revisiting classifier two-sample
tests"). Its out-of-fold ROC AUC is .5 when the two cannot be told apart and 1 when every window
gives itself away; the accuracy is balanced (the mean recall of the two sides, chance .5), since
the sides differ in size. The features the forest leans on most, with their real and generated
means, say what gives the music away.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from emopia_lightning.data.cache import cache_key, entry_dir, write_entry
from emopia_lightning.data.labels import parse_clip_name
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.source import EmopiaSource, locate_emopia
from emopia_lightning.data.splits import PARTS, official_split
from emopia_lightning.errors import InputFileError, RequestError
from emopia_lightning.generator_evaluation.window_features import FPS, WINDOW_FEATURES, pieces_windows

REALNESS_VERSION = 1  # bump when the window features change what they give for the same notes
REAL_PARTS = ("val", "test")


@dataclass(frozen=True)
class Windows:
    """(n, features) window features and the group (song or piece) each window belongs to."""

    features: np.ndarray
    groups: np.ndarray

    def __len__(self) -> int:
        return len(self.features)


def real_windows(
    root: str, cache_dir: str | None, parts: Sequence[str] = REAL_PARTS, bars: int = 4
) -> Windows:
    """Windows of every clip of the official split's ``parts``, grouped by song; cached
    (``data.cache``) under the data's fingerprint and every setting that shapes them."""
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise RequestError(f"realness.real_parts must be some of {', '.join(PARTS)}, got {list(parts)}")
    source = locate_emopia(root)
    settings = {"kind": "realness_windows", "parts": sorted(parts), "bars": bars, "fps": FPS,
                "features": list(WINDOW_FEATURES), "version": REALNESS_VERSION}  # fmt: skip
    folder = (
        entry_dir(cache_dir, "realness_windows", cache_key(source.fingerprint(), settings))
        if cache_dir
        else None
    )
    if folder is not None and (folder / "windows.npz").is_file():
        saved = np.load(folder / "windows.npz", allow_pickle=False)
        return Windows(saved["features"], saved["groups"].astype(object))
    stems = sorted(source.members)
    split = official_split([parse_clip_name(stem) for stem in stems], source.split_csvs)
    windows = clip_windows(source, [stems[i] for part in parts for i in split.part(part)], bars)
    if folder is not None:

        def write(staging: Path) -> None:
            np.savez(staging / "windows.npz", features=windows.features, groups=windows.groups.astype(str))
            (staging / "settings.json").write_text(json.dumps(settings))

        write_entry(folder, write)
    return windows


def clip_windows(source: EmopiaSource, stems: Sequence[str], bars: int = 4, transform=None) -> Windows:
    """Windows of the clips ``stems`` of ``source``, grouped by song; ``transform(notes)`` changes
    each clip's notes first (a test's shuffled pitches). An unreadable clip adds no window (the
    corpus names such files when it is read)."""
    clips, songs = [], []
    for stem in sorted(stems):
        try:
            notes = read_notes(source.read(stem))
        except InputFileError:
            continue
        clips.append(notes if transform is None else transform(notes))
        songs.append(f"song {parse_clip_name(stem).song_id}")
    return Windows(*pieces_windows(clips, songs, bars))


def _forest(trees: int, seed: int) -> RandomForestClassifier:
    return RandomForestClassifier(
        trees, min_samples_leaf=2, class_weight="balanced", random_state=seed, n_jobs=-1
    )


def two_sample_test(
    real: Windows, generated: Windows, trees: int = 200, folds: int = 5, top: int = 5, seed: int = 0
) -> dict:
    """Real (label 0) against generated (label 1) windows: out-of-fold ``auc`` and balanced
    ``accuracy`` of a forest in ``folds`` folds grouped by song and piece; ``give_away``: the
    ``top`` features by the folds' mean impurity importance with their real and generated means;
    ``means`` of every feature on each side."""
    if len(set(real.groups)) < folds or len(set(generated.groups)) < folds:
        raise RequestError(
            f"the realness test needs at least {folds} songs and {folds} pieces "
            f"(got {len(set(real.groups))} and {len(set(generated.groups))}): more pieces, or fewer realness.folds"
        )
    x = np.concatenate([real.features, generated.features])  # (windows, features)
    y = np.concatenate([np.zeros(len(real), int), np.ones(len(generated), int)])
    groups = np.concatenate(
        [[f"real {g}" for g in real.groups], [f"generated {g}" for g in generated.groups]]
    )
    probability = np.zeros(len(y))
    importance = np.zeros(x.shape[1])
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    for train, held_out in splitter.split(x, y, groups):
        forest = _forest(trees, seed).fit(x[train], y[train])
        probability[held_out] = forest.predict_proba(x[held_out])[:, 1]
        importance += forest.feature_importances_ / folds
    names = list(WINDOW_FEATURES)
    means = {
        name: {"real": _mean(real.features[:, j]), "generated": _mean(generated.features[:, j])}
        for j, name in enumerate(names)
    }
    ranked = np.argsort(-importance)[:top]
    return {
        "auc": float(roc_auc_score(y, probability)),
        "accuracy": float(balanced_accuracy_score(y, probability > 0.5)),
        "windows": {"real": len(real), "generated": len(generated)},
        "groups": {"real": len(set(real.groups)), "generated": len(set(generated.groups))},
        "give_away": [
            {"feature": names[j], "importance": float(importance[j]), **means[names[j]]} for j in ranked
        ],
        "means": means,
        "folds": folds,
        "trees": trees,
    }


def _mean(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else None
