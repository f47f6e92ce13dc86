"""The training path in-process: compose the config, train briefly on real EMOPIA, test, resume."""

import json

import pytest
import torch
from hydra.utils import instantiate

from conftest import compose_train
from emopia_lightning.config_registry import CONF_DIR, compose_config
from emopia_lightning.errors import RequestError
from emopia_lightning.train import train

TINY = ["model.net.hidden_size=16", "model.net.num_layers=1", "data.max_seconds=8", "data.batch_size=16"]
SHORT = [
    "trainer.max_epochs=2",
    "trainer.limit_train_batches=3",
    "trainer.limit_val_batches=2",
    "trainer.limit_test_batches=2",
]


@pytest.mark.parametrize("task, classes", [("quadrant", 4), ("arousal", 2)])
def test_train_validates_checkpoints_and_tests(tmp_path, cache_dir, task, classes):
    cfg = compose_train([f"task={task}", "evaluate_train=true", *TINY, *SHORT], tmp_path, cache_dir)
    metrics = train(cfg)
    assert 0.0 <= metrics["train_eval/acc"] <= 1.0  # the chosen checkpoint on the training clips
    assert 0.0 <= metrics["test/acc"] <= 1.0 and metrics["test/loss"] > 0
    assert {"val/acc", "val/f1", "train/loss", "test/f1"} <= set(metrics)
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["metrics"]["test/acc"] == metrics["test/acc"]
    best = record["tested_checkpoint"]
    assert best and best.startswith(str(tmp_path / "checkpoints"))
    assert (tmp_path / "checkpoints" / "last.ckpt").exists()
    for stage in ("train", "val", "test"):
        assert (tmp_path / f"confusion_matrix_{stage}.png").stat().st_size > 1000
    # Checkpoints hold plain data only: they load without unpickling code, and describe the run.
    checkpoint = torch.load(best, map_location="cpu", weights_only=True)
    assert checkpoint["run_config"]["task"] == task
    assert checkpoint["state_dict"]["net.head.1.weight"].shape[0] == classes


def test_a_killed_run_resumes_from_last_checkpoint(tmp_path, cache_dir):
    first = compose_train([*TINY, *SHORT, "trainer.max_epochs=1", "test=false"], tmp_path, cache_dir)
    train(first)
    last = tmp_path / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["epoch"] == 0
    resumed = compose_train(
        [*TINY, *SHORT, "trainer.max_epochs=2", "ckpt_path=last", "test=false"], tmp_path, cache_dir
    )
    train(resumed)
    state = torch.load(last, weights_only=True)
    # Continued into epoch 2 rather than starting again: 3 batches per epoch, both counted.
    assert state["global_step"] == 6 and state["epoch"] >= 1


def test_datamodule_serves_padded_batches_of_the_official_split(tmp_path, cache_dir):
    cfg = compose_train(["data.batch_size=4"], tmp_path, cache_dir)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    assert {k: len(v) for k, v in datamodule.datasets.items()} == {"train": 767, "val": 198, "test": 86}
    rolls, lengths, targets = next(iter(datamodule.val_dataloader()))
    assert rolls.shape == (4, int(lengths.max()), 88) and rolls.dtype == torch.float32
    assert lengths.max() <= 40 * 8 and 0.0 <= rolls.min() and rolls.max() <= 1.0
    assert targets.tolist() == [ds for ds in datamodule.datasets["val"].targets[:4]]


CONFIGS = sorted(
    [f"model={p.stem}" for p in (CONF_DIR / "model").glob("*.yaml")]
    + [f"experiment={p.stem}" for p in (CONF_DIR / "experiment").glob("*.yaml")]
)


@pytest.mark.parametrize("override", CONFIGS)
def test_every_model_and_experiment_config_runs_a_step(override, tmp_path, cache_dir):
    cfg = compose_train([override, "debug=fast_dev_run"], tmp_path, cache_dir)
    if "max_seconds" in cfg.data:  # short clips for the sequence classifiers
        cfg.data.max_seconds = 8
    shrink = {"hidden_size": 8, "num_layers": 1, "channels": [4, 8], "dense": 8, "width": 16, "layers": 1,
              "heads": 2}  # fmt: skip
    for key, value in shrink.items():  # tiny nets, whatever the model
        if key in cfg.model.get("net", {}):
            cfg.model.net[key] = value
    if cfg.get("callbacks") and cfg.callbacks.get("judged_emotion"):
        cfg.callbacks.judged_emotion.n = 2  # segments per quadrant: an untrained composer's are long
    metrics = train(cfg)
    # Classifiers are tested; a GAN or a pretraining run (test=false) reports its training losses.
    expected = "test/acc" if cfg.test else {"musegan": "train/loss_g"}.get(cfg.model.name, "train/loss")
    assert expected in metrics, sorted(metrics)


def test_a_run_names_broken_files_in_one_warning(tmp_path, real_clips, caplog):
    import logging

    from conftest import make_midi, write_release_folder

    folder = write_release_folder(tmp_path / "data", real_clips)
    (folder / "midis" / "Q1_broken_0.mid").write_bytes(b"not midi at all")
    (folder / "midis" / "Q4_silent_0.mid").write_bytes(make_midi([]))
    cfg = compose_train(
        ["debug=fast_dev_run", "split=random", "split.val_size=4", "split.test_size=4", *TINY],
        tmp_path / "run",
        tmp_path / "cache",
    )
    cfg.paths.data_dir = str(folder)
    with caplog.at_level(logging.WARNING):
        metrics = train(cfg)
    assert "test/acc" in metrics
    warnings = [r.getMessage() for r in caplog.records if "Skipped" in r.getMessage()]
    assert len(warnings) == 1 and "Q1_broken_0" in warnings[0] and "Q4_silent_0" in warnings[0]


def test_a_split_is_refused_only_where_the_data_reads_none():
    from emopia_lightning.train import refuse_an_unread_split

    for overrides in (
        ["split=random"],
        ["model=musegan", "split=random", "data.split=${split}"],
        ["model=musegan"],
    ):
        refuse_an_unread_split(
            compose_config("train", overrides), overrides
        )  # read, or not asked: no refusal
    gan = ["model=musegan", "split=kfold", "split.fold=2"]
    with pytest.raises(RequestError, match="split=kfold: this run's data .* reads no split"):
        refuse_an_unread_split(compose_config("train", gan), gan)
