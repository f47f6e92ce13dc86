"""The command line as a user runs it, in real subprocesses."""

import json
import os
import subprocess
import sys

import pytest

from conftest import emopia_root
from emopia_lightning.project_root import PROJECT_ROOT
from emopia_lightning.summarize import read_jobs, summarize

TINY = [
    "model.net.hidden_size=8",
    "model.net.num_layers=1",
    "data.max_seconds=4",
    "extras.print_config=false",
]


def run(args, tmp_path, extra_env=None):
    env = {**os.environ, "WANDB_MODE": "offline", "OMP_NUM_THREADS": "1", "EMOPIA_ROOT": str(emopia_root())}
    env["EMOPIA_CACHE"] = str(tmp_path / "cache")
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "emopia_lightning.train", *args, *TINY, f"paths.log_dir={tmp_path}/outputs"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_main_command_with_default_wandb_logger_reports_metrics_and_outputs(tmp_path):
    result = run(["debug=fast_dev_run"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Test metrics: test/acc=" in result.stdout
    output_dir = result.stdout.split("Outputs: ")[1].strip()
    assert output_dir.startswith(str(tmp_path / "outputs" / "train" / "runs"))
    assert "test/acc" in json.loads((PROJECT_ROOT / output_dir / "metrics.json").read_text())["metrics"]
    assert list((PROJECT_ROOT / output_dir / "wandb").glob("offline-run-*"))  # logged offline


def test_multirun_runs_each_job_in_its_own_folder(tmp_path):
    result = run(["-m", "debug=fast_dev_run", "logger=csv", "task=arousal,valence"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    (sweep,) = (tmp_path / "outputs" / "train" / "multiruns").iterdir()
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name.isdigit())
    assert [j.name for j in jobs] == ["0", "1"]
    for job, task in zip(jobs, ["arousal", "valence"]):
        assert f"task={task}" in (job / ".hydra" / "overrides.yaml").read_text()
        assert "test/acc" in json.loads((job / "metrics.json").read_text())["metrics"]
    summary = subprocess.run(
        [sys.executable, "-m", "emopia_lightning.summarize", str(sweep), "--group", "task"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "| arousal |" in summary.stdout and "| valence |" in summary.stdout


def test_wrong_data_path_is_one_clear_line_before_anything_starts(tmp_path):
    result = run(["extras.print_config=true"], tmp_path, {"EMOPIA_ROOT": str(tmp_path / "missing")})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "wandb" not in result.stderr.lower()
    (run_dir,) = (tmp_path / "outputs" / "train" / "runs").iterdir()
    assert not (run_dir / "wandb").exists()  # failed before any logger started
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and str(tmp_path / "missing") in error_lines[0]


# A subprocess on all clips (about 7 s): the classical CLI end to end, its model file and "Predict with" line.
def test_classical_entry_point_writes_its_table(tmp_path):
    env = {**os.environ, "EMOPIA_ROOT": str(emopia_root()), "EMOPIA_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emopia_lightning.classical",
            "model=knn",
            "cv=official",
            "features=expert",
            f"hydra.run.dir={tmp_path}/run",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "knn  official test split      accuracy" in result.stdout
    table = (tmp_path / "run" / "results.md").read_text()
    assert "| knn | 0." in table and (tmp_path / "run" / "confusion_knn_official.png").exists()
    # The model fitted for the official split is kept, and the line to use it is printed.
    assert (
        f"Predict with: python -m emopia_lightning.predict {tmp_path}/run/knn.skops FILE.mid" in result.stdout
    )
    from emopia_lightning.classical.model_file import load_classical_model

    model = load_classical_model(tmp_path / "run" / "knn.skops")
    reported = float(table.split("| knn | ")[1].split()[0])  # the table's official accuracy
    assert model.about["official_test_accuracy"] == pytest.approx(reported, abs=5e-4)


def test_summarize_pools_folders_and_reads_classical_results(tmp_path):
    def job(folder, overrides, name, content):
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
        (folder / name).write_text(json.dumps(content))

    for seed, accuracy in ((0, 0.6), (1, 0.8)):
        rows = [{"evaluation": "grouped", "accuracy_mean": accuracy, "weighted_f1_mean": accuracy - 0.1,
                 "arousal_mean": accuracy + 0.1, "valence_mean": None}]  # fmt: skip
        job(tmp_path / "a" / str(seed), ["task=arousal", f"seed={seed}"], "results.json", rows)
    job(tmp_path / "b" / "0", ["task=arousal", "seed=2"], "metrics.json", {"metrics": {"grouped/acc": 0.7}})
    (tmp_path / "b" / "1" / ".hydra").mkdir(parents=True)  # unfinished: no results yet
    jobs = read_jobs(tmp_path / "a") + read_jobs(tmp_path / "b")
    assert "grouped/valence" not in jobs[0]["metrics"]  # a half not kept is no number
    (row,) = summarize(jobs, ["task"], ("grouped/acc", "grouped/f1", "grouped/arousal"))
    assert row["grouped/arousal"]["values"] == pytest.approx([0.7, 0.9])
    assert row["seeds"] == ["0", "1", "2"]
    assert row["grouped/acc"]["mean"] == pytest.approx(0.7) and row["grouped/acc"]["std"] == pytest.approx(
        0.1
    )
    assert row["grouped/f1"]["values"] == pytest.approx([0.5, 0.7])
