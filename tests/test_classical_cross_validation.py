"""Leak-free evaluation: every fit inside a fold sees that fold's training rows only."""

import numpy as np
import pytest
from hydra.core.hydra_config import HydraConfig
from omegaconf import open_dict
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from conftest import write_release_folder
from emopia_lightning.classical.cross_validation import FoldResults, cross_validate, outer_folds
from emopia_lightning.classical.grouped_stacking import GroupedStackingClassifier
from emopia_lightning.classical.run import run_classical
from emopia_lightning.config_registry import CONF_DIR, compose_config
from emopia_lightning.data.labels import HIGH_AROUSAL, POSITIVE_VALENCE, QUADRANTS, parse_clip_name
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import official_split
from emopia_lightning.errors import RequestError

SEEN_ROWS: set[int] = set()


class RecordingTree(DecisionTreeClassifier):
    """A decision tree that notes which rows each fit gets (row id = value // 1000, see below)."""

    def fit(self, X, y, sample_weight=None, check_input=True):
        SEEN_ROWS.update(np.unique(np.asarray(X) // 1000).astype(int).tolist())
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


@pytest.fixture(scope="module")
def emopia_labels(data_root):
    source = locate_emopia(data_root)
    return [parse_clip_name(s) for s in sorted(source.members)], source.split_csvs


def compose_classical(config_name, overrides, data_dir, tmp_path):
    """A classical config with data, cache and outputs pointed at test folders."""
    cfg = compose_config(
        config_name, overrides=overrides, return_hydra_config=True, folder=CONF_DIR / "classical"
    )
    HydraConfig().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.data_dir, cfg.paths.cache_dir = str(data_dir), str(tmp_path / "cache")
        cfg.out_dir = str(tmp_path / "out")
    return cfg


@pytest.mark.parametrize("scheme", ["random", "grouped"])
def test_rfecv_and_grid_search_never_see_test_rows(emopia_labels, scheme):
    labels = emopia_labels[0][::5]  # every quadrant (sorted names group them)
    targets = np.array([c.target("quadrant") for c in labels])
    songs = np.array([c.song_id for c in labels])
    # Cell (r, j) = 1000 r + j: any column subset still tells which row a fit was given.
    features = (np.arange(len(labels))[:, None] * 1000 + np.arange(12)[None, :]).astype(float)
    folds = outer_folds(labels, {}, scheme, n_folds=4, seed=0)
    for train, test in folds:
        SEEN_ROWS.clear()
        result = cross_validate(
            "tree",
            scheme,
            RecordingTree(max_depth=3, random_state=0),
            features,
            targets,
            songs,
            [(train, test)],
            ("Q1", "Q2", "Q3", "Q4"),
            standardise=False,
            rfecv={"step": 0.25, "min_features": 2},
            grid={"max_depth": [2, 3]},
            inner_folds=3,
            seed=0,
        )
        assert SEEN_ROWS and SEEN_ROWS <= set(train.tolist())
        assert result.features_kept[0] is not None and 2 <= result.features_kept[0] <= 12
        assert result.confusion.sum() == len(test)


def test_outer_folds_keep_songs_apart_and_use_the_official_test(emopia_labels):
    labels, csvs = emopia_labels
    for train, test in outer_folds(labels, csvs, "grouped", 10, seed=0):
        assert not {labels[i].song_id for i in train} & {labels[i].song_id for i in test}
    ((train, test),) = outer_folds(labels, csvs, "official", 10, seed=0)
    assert (len(train), len(test)) == (767 + 198, 86)
    with pytest.raises(RequestError, match="unknown evaluation"):
        outer_folds(labels, csvs, "loo", 10, seed=0)


def test_two_fold_table_on_a_small_subset(tmp_path, data_root):
    source = locate_emopia(data_root)
    chosen = {}
    for stem in sorted(source.members):  # 10 clips per quadrant
        if sum(s[:2] == stem[:2] for s in chosen) < 10:
            chosen[stem] = source.read(stem)
    folder = write_release_folder(tmp_path / "data", chosen)
    overrides = [
        "cv=[random,grouped]",
        "n_folds=2",
        "inner_folds=2",
        "features=expert",
        "models.random_forest.estimator.n_estimators=10",
        "models.knn.estimator.n_neighbors=5",
    ]
    cfg = compose_classical("table1", overrides, folder, tmp_path)
    summaries = run_classical(cfg)
    assert [(s["model"], s["evaluation"]) for s in summaries][:4] == [
        ("decision_tree", "random"),
        ("random_forest", "random"),
        ("logistic_regression", "random"),
        ("knn", "random"),
    ]
    assert len(summaries) == 8 and all(s["folds"] == 2 and 0 <= s["accuracy_mean"] <= 1 for s in summaries)
    # Quadrant models: arousal and valence read off the quadrants (exactly: see the test below).
    assert all(s["arousal_mean"] is not None and s["valence_mean"] is not None for s in summaries)
    knn = [s for s in summaries if s["model"] == "knn"][0]
    assert knn["features_kept"] is None  # k-NN is never put through RFECV
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| model | random 2-fold CV | song-grouped 2-fold CV |" in table and "| decision_tree |" in table
    for name in ("confusion_random_forest_grouped.png", "decision_tree.png", "results.json"):
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_a_model_that_knows_only_arousal_scores_one_on_arousal_and_its_quadrants_on_valence(emopia_labels):
    """Arousal and valence accuracy are read off each fold's quadrants, each half on its own axis."""
    labels = emopia_labels[0][::5]
    targets = np.array([c.target("quadrant") for c in labels])
    songs = np.array([c.song_id for c in labels])
    # The clip's arousal half and a column of noise: a stump learns arousal, never valence.
    features = np.stack([HIGH_AROUSAL[targets], np.arange(len(labels)) % 7], axis=1).astype(float)
    valences = []
    for fold in outer_folds(labels, {}, "grouped", n_folds=4, seed=0):
        result = cross_validate(
            "stump", "grouped", DecisionTreeClassifier(max_depth=1, random_state=0), features, targets,
            songs, [fold], QUADRANTS, standardise=False, rfecv=None, grid=None, inner_folds=3, seed=0,
        )  # fmt: skip
        confusion = result.confusion  # rows true, columns predicted
        same_valence = POSITIVE_VALENCE[:, None] == POSITIVE_VALENCE[None, :]
        assert result.arousal == [1.0]
        assert result.valence == [pytest.approx(confusion[same_valence].sum() / confusion.sum())]
        valences += result.valence
    assert max(valences) < 1.0  # so a swapped arousal and valence could not pass


@pytest.mark.slow
def test_expert_features_carry_emotion_on_unseen_songs(tmp_path, data_root):
    """Full EMOPIA, song-grouped 10-fold CV: far above chance (.29), as the README's table says."""
    overrides = ["model=logistic_regression", "cv=grouped", "features=expert", "rfecv=false"]
    cfg = compose_classical("classical", overrides, data_root, tmp_path)
    (summary,) = run_classical(cfg)
    assert summary["folds"] == 10 and summary["accuracy_mean"] > 0.6
    assert min(summary["recall"].values()) > 0.4  # no quadrant left behind


def test_summary_statistics_exact_on_hand_made_folds():
    result = FoldResults("m", "random", ("A", "B"))
    result.accuracy, result.weighted_f1 = [0.5, 0.7], [0.4, 0.6]
    result.features_kept, result.chosen_params = [3, 5], [{}, {}]
    result.confusion = np.array([[3, 1], [2, 4]])  # rows true, columns predicted
    summary = result.summary()
    assert summary["accuracy_mean"] == pytest.approx(0.6)
    assert summary["accuracy_std"] == pytest.approx(0.1)  # population std across folds
    assert summary["accuracy_per_fold"] == pytest.approx([0.5, 0.7])
    assert summary["weighted_f1_mean"] == pytest.approx(0.5)
    assert summary["recall"] == pytest.approx({"A": 0.75, "B": 4 / 6})
    assert summary["features_kept"] == [3, 5] and summary["chosen_params"] is None
    assert summary["arousal_mean"] is None and summary["valence_mean"] is None  # not quadrants


def test_official_scheme_fits_once_on_train_and_val_songs_and_scores_the_test_clips(emopia_labels):
    labels, csvs = emopia_labels
    targets = np.array([c.target("quadrant") for c in labels])
    songs = np.array([c.song_id for c in labels])
    features = np.stack([targets + 0.1 * np.arange(len(labels)) % 1, np.arange(len(labels)) % 7], axis=1)
    folds = outer_folds(labels, csvs, "official", 10, seed=0)
    result = cross_validate(
        "tree",
        "official",
        DecisionTreeClassifier(max_depth=2, random_state=0),
        features,
        targets,
        songs,
        folds,
        ("Q1", "Q2", "Q3", "Q4"),
        standardise=False,
        rfecv=None,
        grid=None,
        inner_folds=3,
        seed=0,
    )
    assert len(result.accuracy) == 1 and result.confusion.sum() == 86
    (train, test), split = folds[0], official_split(labels, csvs)
    assert set(train) == set(split.train) | set(split.val) and set(test) == set(split.test)
    assert not set(songs[train]) & set(songs[test])  # the official split is song-level
    # One fit, scored on exactly the official test clips.
    assert result.confusion.sum(axis=1).tolist() == np.bincount(targets[test], minlength=4).tolist()


class RecordingLogistic(LogisticRegression):
    """Notes the rows (row id = value // 1000) of every fit inside the stacking's inner CV."""

    fits: list[set[int]] = []

    def fit(self, X, y, sample_weight=None):
        RecordingLogistic.fits.append(set(np.unique(np.asarray(X)[:, 0] // 1000).astype(int).tolist()))
        return super().fit(X, y, sample_weight=sample_weight)


def test_the_stackings_inner_cv_keeps_every_song_on_one_side(emopia_labels):
    labels = emopia_labels[0][::3]
    targets = np.array([c.target("quadrant") for c in labels])
    songs = np.array([c.song_id for c in labels])
    features = (np.arange(len(labels))[:, None] * 1000 + np.arange(4)[None, :]).astype(float)
    stacking = GroupedStackingClassifier(
        [("logistic", RecordingLogistic(max_iter=50))], LogisticRegression(max_iter=50), cv=4
    )
    (train, _), *_ = outer_folds(labels, {}, "grouped", n_folds=3, seed=0)
    RecordingLogistic.fits.clear()
    cross_validate("stacking", "grouped", stacking, features, targets, songs, [(train, train[:5])],
                   ["Q1", "Q2", "Q3", "Q4"], standardise=False, rfecv=None, grid=None,
                   inner_folds=3, seed=0)  # fmt: skip
    # The base model's fits: once on all the training rows (the model kept), once per inner fold.
    whole = set(train.tolist())
    inner = [fitted for fitted in RecordingLogistic.fits if fitted != whole]
    assert len(RecordingLogistic.fits) == 5 and len(inner) == 4
    for fitted in inner:
        held_out = whole - fitted
        assert held_out and not set(songs[list(fitted)]) & set(songs[list(held_out)])
    # Without songs (a random evaluation) it is scikit-learn's stacking: clips of one song straddle.
    RecordingLogistic.fits.clear()
    stacking.fit(features[train], targets[train])
    straddling = [
        set(songs[list(f)]) & set(songs[list(whole - f)]) for f in RecordingLogistic.fits if f != whole
    ]
    assert any(straddling) and stacking.cv == 4
