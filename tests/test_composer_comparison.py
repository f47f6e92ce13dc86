"""The README's side-by-side table from evaluate_generator's results: realness and the whole piece."""

import importlib.util
import json

from emopia_lightning.project_root import PROJECT_ROOT

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


def _comparison():
    spec = importlib.util.spec_from_file_location(
        "composer_comparison", PROJECT_ROOT / "experiments" / "composer_comparison.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _job(auc: float, first: float, last: float, same_key: float, short_first: float = 0.9) -> dict:
    scores = {
        "accuracy": 0.6,
        "arousal_accuracy": 0.9,
        "valence_accuracy": 0.7,
        "per_quadrant": dict.fromkeys(QUADRANTS, 0.5),
    }
    cell = {"real": {"mean": 1.0}, "generated": {"mean": 2.0}, "overlap": 0.5}
    along = {
        "32": {
            "judges": {"features": {"first": {"accuracy": short_first}, "last": {"accuracy": 0.1}}},
            "successive_same_key": 0.0,
        },
        "64": {
            "judges": {"features": {"first": {"accuracy": first}, "last": {"accuracy": last}}},
            "successive_same_key": same_key,
        },
    }
    return {
        "emotion": {"features": {"generated": scores, "real": {**scores, "accuracy": 0.584}}},
        "metrics": {metric: dict.fromkeys(QUADRANTS, cell) for metric in ("qualified_note_rate", "mean_velocity", "note_density")},
        "coherence": {"successive_segments": {"real clips": {"same_key": 0.444, "repeated_bars": 0.0}, "generated": {"same_key": 0.3, "repeated_bars": 0.0}}},
        "along_piece": along,
        "realness": {"auc": auc},
    }  # fmt: skip


def test_the_table_gains_realness_first_and_last_windows_of_the_longest_pieces_and_keys(tmp_path):
    folder = tmp_path / "comparison"
    jobs = {
        "musegan": [_job(1.0, 0.5, 0.54, 0.53)],
        "transformer": [_job(0.98, 0.7, 0.3, 0.2), _job(0.96, 0.6, 0.4, 0.3)],
    }
    for composer, runs in jobs.items():
        for seed, job in enumerate(runs):
            (folder / composer / str(seed)).mkdir(parents=True)
            (folder / composer / str(seed) / "results.json").write_text(json.dumps(job))
    assert _comparison().main([str(folder)]) == 0
    table = (tmp_path / "comparison.md").read_text()
    assert "## Realness and the whole piece" in table and "64-bar pieces" in table
    assert "| real EMOPIA (each judge on held-out segments) | – | 0.5 | 0.584 | 0.584 | 0.444 |" in table
    assert "| musegan | 1 | 1.000 | 0.500 | 0.540 | 0.530 |" in table
    # two seeds: mean ± sample std of each column
    assert "| transformer | 2 | 0.970 ± 0.014 | 0.650 ± 0.071 | 0.350 ± 0.071 | 0.250 ± 0.071 |" in table


def test_a_composer_evaluated_before_the_realness_test_is_named_and_the_others_still_shown(tmp_path):
    folder = tmp_path / "comparison"
    older = _job(1.0, 0.5, 0.54, 0.53)
    del older["realness"], older["along_piece"]
    for composer, job in {"musegan": older, "transformer": _job(0.98, 0.7, 0.3, 0.2)}.items():
        (folder / composer / "0").mkdir(parents=True)
        (folder / composer / "0" / "results.json").write_text(json.dumps(job))
    assert _comparison().main([str(folder)]) == 0
    table = (tmp_path / "comparison.md").read_text()
    assert "| transformer | 1 | 0.980 | 0.700 | 0.300 | 0.200 |" in table
    assert "| musegan | 1 |" not in table.split("## Realness and the whole piece")[1]
    assert "Not measured so (evaluated before the realness test existed): musegan." in table
