"""Split sizes, determinism and song leakage on the real EMOPIA labels."""

import numpy as np
import pytest

from emopia_lightning.data.labels import parse_clip_name
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import PARTS, make_split
from emopia_lightning.errors import DataNotFoundError, RequestError


@pytest.fixture(scope="module")
def emopia(data_root):
    source = locate_emopia(data_root)
    return [parse_clip_name(stem) for stem in sorted(source.members)], source.split_csvs


def songs(labels, positions):
    return {labels[i].song_id for i in positions}


def assert_no_song_leaks(labels, split):
    for a, b in (("train", "test"), ("train", "val"), ("val", "test")):
        assert not songs(labels, split.part(a)) & songs(labels, split.part(b)), (a, b)


def test_official_split_is_the_releases(emopia):
    labels, csvs = emopia
    split = make_split(labels, csvs, "official")
    assert split.sizes() == {"train": 767, "val": 198, "test": 86}
    assert_no_song_leaks(labels, split)
    assert labels[split.test[0]].name in csvs["test.csv"]


def test_official_split_from_song_level_files_only(emopia):
    labels, csvs = emopia
    song_level = {k: v for k, v in csvs.items() if k.endswith("_SL.csv")}
    split = make_split(labels, song_level, "official")
    assert_no_song_leaks(labels, split)
    assert sum(split.sizes().values()) == len(labels)  # song lists cover every clip


def test_official_split_without_csvs_says_what_to_do(emopia):
    with pytest.raises(DataNotFoundError, match="split=random"):
        make_split(emopia[0], {}, "official")


def test_random_split_matches_the_report_and_is_stratified(emopia):
    labels, csvs = emopia
    split = make_split(labels, csvs, "random", seed=0, val_size=114, test_size=88)
    assert split.sizes() == {"train": 876, "val": 114, "test": 88}
    assert len(np.unique(np.concatenate([split.part(p) for p in PARTS]))) == 1078
    quadrants = np.array([labels[i].quadrant for i in split.test])
    expected = np.bincount([c.quadrant for c in labels])[1:] / len(labels) * 88  # 20.4/21.6/20.7/25.3
    assert np.abs(np.bincount(quadrants)[1:] - expected).max() < 1.0
    again = make_split(labels, csvs, "random", seed=0, val_size=114, test_size=88)
    other = make_split(labels, csvs, "random", seed=1, val_size=114, test_size=88)
    assert np.array_equal(split.test, again.test) and not np.array_equal(split.test, other.test)


@pytest.mark.parametrize("grouped", [True, False])
def test_kfold_test_folds_partition_the_clips(emopia, grouped):
    labels, csvs = emopia
    folds = [make_split(labels, csvs, "kfold", seed=3, n_folds=5, fold=k, grouped=grouped) for k in range(5)]
    tests = np.concatenate([f.test for f in folds])
    assert sorted(tests) == list(range(len(labels)))  # every clip tested exactly once
    for fold in folds:
        parts = [set(fold.part(p)) for p in PARTS]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert sum(map(len, parts)) == len(labels)
        if grouped:
            assert_no_song_leaks(labels, fold)
    if not grouped:  # clips of one song do land on both sides without grouping
        assert songs(labels, folds[0].train) & songs(labels, folds[0].test)


def test_kfold_rejects_a_fold_out_of_range(emopia):
    with pytest.raises(RequestError, match="fold must be in 0..9"):
        make_split(emopia[0], emopia[1], "kfold", n_folds=10, fold=10, grouped=True)
