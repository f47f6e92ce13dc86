"""Train / validation / test splits of the clips, all deterministic given a seed.

- ``official``: EMOPIA's song-level split (767 / 198 / 86 clips in 1.0), read from the release's
  clip-level CSVs (``train.csv`` in 1.0, ``train_clip.csv`` in 2.x), or derived from its
  song-level ``*_SL.csv`` files where only those exist.
- ``random``: the report's stratified random split (876 / 114 / 88): songs may straddle parts.
- ``kfold``: fold ``fold`` of ``n_folds`` is the test set, stratified by quadrant; ``grouped=true``
  keeps every song inside one fold. Validation is carved from the remaining folds the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from emopia_lightning.data.labels import ClipLabel, clip_stem
from emopia_lightning.errors import DataNotFoundError, RequestError

PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class Split:
    """Clip positions (indices into the corpus) of each part."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def part(self, name: str) -> np.ndarray:
        return getattr(self, name)

    def sizes(self) -> dict[str, int]:
        return {name: len(self.part(name)) for name in PARTS}


def _csv_column(text: str, columns: Sequence[str]) -> set[str]:
    """Values of the first of ``columns`` present in a CSV, as clip stems where they are file names."""
    rows = list(csv.DictReader(io.StringIO(text)))
    column = next((c for c in columns if rows and c in rows[0]), None)
    if column is None:
        raise DataNotFoundError(f"split CSV has none of the columns {list(columns)}")
    return {clip_stem(row[column].strip()) for row in rows if row.get(column)}


def _clip_level_files(split_csvs: Mapping[str, str]) -> dict[str, str] | None:
    """Per part, the clip-level split file: ``train.csv`` (1.0) or ``train_clip.csv`` (2.x)."""
    for suffix in ("", "_clip"):
        if all(f"{part}{suffix}.csv" in split_csvs for part in PARTS):
            return {part: split_csvs[f"{part}{suffix}.csv"] for part in PARTS}
    return None


def official_split(labels: Sequence[ClipLabel], split_csvs: Mapping[str, str]) -> Split:
    """EMOPIA's official split from the release's clip-level CSVs (1.0 leaves 27 clips out).

    Where a release has only the song-level ``*_SL.csv`` files, each song's clips go to its part,
    which keeps every clip (784 / 206 / 88 on 1.0).
    """
    clip_files = _clip_level_files(split_csvs)
    if clip_files is not None:
        columns = ("fname", "clip_name", "name")
        members = {part: _csv_column(text, columns) for part, text in clip_files.items()}
        key = [label.name for label in labels]
    elif all(f"{part}_SL.csv" in split_csvs for part in PARTS):
        members = {part: _csv_column(split_csvs[f"{part}_SL.csv"], ("songID",)) for part in PARTS}
        key = [label.song_id for label in labels]
    else:
        raise DataNotFoundError(
            "split=official needs the release's split/{train,val,test}.csv (or *_clip.csv, *_SL.csv) "
            "beside the MIDI files; none found. Use split=random or split=kfold, or add the split folder."
        )
    parts = {
        part: np.array([i for i, k in enumerate(key) if k in members[part]], dtype=np.int64) for part in PARTS
    }
    return Split(**parts)


def _quadrants(labels: Sequence[ClipLabel], positions: np.ndarray) -> np.ndarray:
    return np.array([labels[i].quadrant for i in positions])


def _songs(labels: Sequence[ClipLabel], positions: np.ndarray) -> np.ndarray:
    return np.array([labels[i].song_id for i in positions])


def random_split(
    labels: Sequence[ClipLabel], val_size: float | int, test_size: float | int, seed: int
) -> Split:
    """Stratified by quadrant; sizes are fractions of all clips, or clip counts."""
    everything = np.arange(len(labels))
    rest, test = train_test_split(
        everything, test_size=test_size, stratify=_quadrants(labels, everything), random_state=seed
    )
    if isinstance(val_size, float):
        val_size = round(val_size * len(labels))  # a fraction of all clips, not of the rest
    train, val = train_test_split(
        rest, test_size=val_size, stratify=_quadrants(labels, rest), random_state=seed
    )
    return Split(np.sort(train), np.sort(val), np.sort(test))


def fold_indices(
    labels: Sequence[ClipLabel], positions: np.ndarray, n_folds: int, grouped: bool, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every (rest, held-out) pair of a stratified k-fold over ``positions``; ``grouped`` keeps songs whole."""
    quadrants = _quadrants(labels, positions)
    if grouped:
        splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        folds = splitter.split(positions, quadrants, groups=_songs(labels, positions))
    else:
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        folds = splitter.split(positions, quadrants)
    return [(positions[rest], positions[held_out]) for rest, held_out in folds]


def kfold_split(
    labels: Sequence[ClipLabel], n_folds: int, fold: int, grouped: bool, seed: int, val_folds: int
) -> Split:
    """Test on fold ``fold``; validation is 1/``val_folds`` of the rest, split the same way."""
    if not 0 <= fold < n_folds:
        raise RequestError(f"fold must be in 0..{n_folds - 1}, got {fold}")
    rest, test = fold_indices(labels, np.arange(len(labels)), n_folds, grouped, seed)[fold]
    train, val = fold_indices(labels, rest, val_folds, grouped, seed)[0]
    return Split(np.sort(train), np.sort(val), np.sort(test))


def make_split(
    labels: Sequence[ClipLabel], split_csvs: Mapping[str, str], name: str, seed: int = 0, **options
) -> Split:
    """The split named in config (``split.name``) with its options."""
    if name == "official":
        return official_split(labels, split_csvs)
    if name == "random":
        return random_split(labels, options["val_size"], options["test_size"], seed)
    if name == "kfold":
        return kfold_split(
            labels,
            options["n_folds"],
            options["fold"],
            options["grouped"],
            seed,
            options.get("val_folds", 9),
        )
    raise RequestError(f"unknown split {name!r}; choose official, random or kfold")
