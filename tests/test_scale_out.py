"""Scaling out on existing engines: submitit's launcher, Lightning's DDP (gloo on CPU), Hydra's
Optuna sweeper; and metric names that do not exist fail loudly."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from conftest import TINY_COMPOSER, compose_train, emopia_root
from emopia_lightning.errors import RequestError
from emopia_lightning.project_root import PROJECT_ROOT
from emopia_lightning.train import train

# A few batches of a small LSTM: enough to run every stage of a job.
TINY_LSTM = [
    "model.net.hidden_size=16",
    "model.net.num_layers=1",
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=2",
    "trainer.limit_test_batches=2",
    "callbacks.progress_bar.refresh_rate=0",
    "extras.print_config=false",
    "extras.torch_threads=1",
]


def _run(args: list[str], cache: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {
        **os.environ, "OMP_NUM_THREADS": "1", "EMOPIA_ROOT": str(emopia_root()), "WANDB_MODE": "offline",
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "emopia_lightning.train", *args, f"paths.cache_dir={cache}"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _run_config(checkpoint: Path) -> dict:
    return torch.load(checkpoint, map_location="cpu", weights_only=True)["run_config"]


@pytest.mark.scaleout  # a 2-job multirun through submitit (about 20 s)
def test_a_two_job_sweep_through_the_submitit_local_launcher(tmp_path, cache_dir):
    sweep = tmp_path / "sweep"
    _run(["-m", "hydra/launcher=local", "seed=0,1", *TINY_LSTM, f"hydra.sweep.dir={sweep}"], cache_dir)
    assert any((sweep / ".submitit").iterdir())  # the jobs went through submitit
    for job, seed in ((0, 0), (1, 1)):
        assert (sweep / str(job) / "metrics.json").exists()
        config = _run_config(sweep / str(job) / "checkpoints" / "last.ckpt")
        assert config["seed"] == seed
        # Both jobs log to one W&B group, named after the sweep; offline, so no network is needed.
        assert config["logger"]["wandb"]["group"] == "sweep"
        assert list((sweep / str(job) / "wandb").glob("offline-run-*"))


@pytest.mark.scaleout  # two DDP processes (about 11 s)
def test_a_classifier_trains_with_ddp_over_two_cpu_processes(tmp_path, cache_dir):
    out = tmp_path / "ddp"
    result = _run(["trainer=ddp_cpu", "logger=none", *TINY_LSTM, f"hydra.run.dir={out}"], cache_dir)
    log = (out / "train.log").read_text() + (out / "train_ddp_process_1.log").read_text()
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in log + result.stderr
    assert result.stdout.count("Test metrics:") == 1  # rank 0 speaks for both processes
    assert len(list((out / "checkpoints").glob("epoch_*.ckpt"))) == 1
    assert (
        _run_config(out / "checkpoints" / "last.ckpt")["trainer"]["strategy"]["find_unused_parameters"]
        is False
    )


@pytest.mark.scaleout  # two DDP processes (about 11 s)
def test_the_gan_trains_with_ddp_and_only_rank_zero_writes_samples(tmp_path, cache_dir):
    out = tmp_path / "ddp_gan"
    result = _run(
        ["model=musegan", "trainer=ddp_cpu", "logger=none", "model.generator_steps=3", "callbacks.samples.wav=false",
         "callbacks.judged_emotion=null",
         "callbacks.progress_bar.refresh_rate=0", "extras.torch_threads=1", f"hydra.run.dir={out}"],
        cache_dir,
    )  # fmt: skip
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in (out / "train_ddp_process_1.log").read_text() + result.stderr
    # One set of samples (steps 0 and 3), each with one MIDI per quadrant and one picture.
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_000000", "step_000003"]
    for step in (out / "samples").iterdir():
        assert sorted(p.name for p in step.iterdir()) == [
            "Q1.mid",
            "Q2.mid",
            "Q3.mid",
            "Q4.mid",
            "piano_roll.png",
        ]
    checkpoint = torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert checkpoint["global_step"] == 3 * (2 + 1)  # 3 generator steps, 2 critic steps each
    assert checkpoint["run_config"]["trainer"]["strategy"]["find_unused_parameters"] is True
    assert result.stdout.count("Train metrics:") == 1


@pytest.mark.scaleout  # two DDP processes (about 16 s)
def test_the_transformer_composer_trains_with_ddp_and_rank_zero_speaks_for_both(tmp_path, cache_dir):
    out = tmp_path / "ddp_composer"
    result = _run(
        [*TINY_COMPOSER, "trainer=ddp_cpu", "logger=none", "trainer.max_steps=4", "callbacks.samples.wav=false",
         "callbacks.judged_emotion=null", "callbacks.progress_bar.refresh_rate=0", "extras.torch_threads=1",
         f"hydra.run.dir={out}"],
        cache_dir,
    )  # fmt: skip
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in (out / "train_ddp_process_1.log").read_text() + result.stderr
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_000000", "step_000004"]
    checkpoint = torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert checkpoint["global_step"] == 4 and result.stdout.count("Val metrics:") == 1
    record = json.loads((out / "metrics.json").read_text())
    assert record["tested_checkpoint"].endswith(".ckpt") and record["metrics"]["val/loss"] > 0


@pytest.mark.scaleout  # a 2-trial Optuna multirun (about 6 s)
def test_a_tiny_optuna_sweep_optimises_the_validation_accuracy(tmp_path, cache_dir):
    sweep = tmp_path / "optuna"
    _run(
        ["-m", "hparams_search=lstm_optuna", "hydra.sweeper.n_trials=2", "hydra.sweeper.sampler.n_startup_trials=2",
         "logger=none", "test=false", *TINY_LSTM, f"hydra.sweep.dir={sweep}"],
        cache_dir,
    )  # fmt: skip
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    accuracies = [
        json.loads((sweep / str(job) / "metrics.json").read_text())["metrics"]["val/acc"] for job in (0, 1)
    ]
    assert results["best_value"] == pytest.approx(max(accuracies))
    assert set(results["best_params"]) >= {"model.optimizer.lr", "model.optimizer.weight_decay"}


@pytest.mark.parametrize(
    "override, message",
    [
        ("optimized_metric=val/acx", "optimized_metric='val/acx' was not logged"),
        (
            "callbacks.model_checkpoint.monitor=val/acx",
            "ModelCheckpoint monitors 'val/acx', which this run does not log; it logs .*val/acc",
        ),
        (
            "callbacks.early_stopping.monitor=val/acx",
            "EarlyStopping monitors 'val/acx', which this run does not log",
        ),
    ],
)
def test_a_metric_name_the_run_does_not_log_is_refused_with_the_names_it_logs(
    tmp_path, cache_dir, override, message
):
    cfg = compose_train([*TINY_LSTM, override], tmp_path, cache_dir)
    with pytest.raises(RequestError, match=message):
        train(cfg)


def test_the_slurm_launcher_config_has_cluster_defaults_and_follows_overrides(tmp_path, cache_dir):
    cfg = compose_train(
        ["hydra/launcher=slurm", "hydra.launcher.gpus_per_node=4", "trainer=ddp"], tmp_path, cache_dir
    )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.partition, launcher.mem_gb, launcher.timeout_min, launcher.account) == (
        "gpu",
        32,
        240,
        None,
    )
    assert launcher.tasks_per_node == 4  # one task per GPU, as Lightning's DDP on SLURM expects
    assert cfg.trainer.strategy.find_unused_parameters is False  # a classifier: every weight is used
