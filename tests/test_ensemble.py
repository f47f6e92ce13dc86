"""Late fusion of a trained classifier run with the classical random forest (slow: it computes the
expert features of every clip and fits the forest with RFECV)."""

import numpy as np
import pytest

from conftest import compose_train, exit_status
from emopia_lightning.ensemble import fuse_run, main
from emopia_lightning.train import train


@pytest.mark.slow
def test_fusion_weight_is_chosen_on_validation_and_scores_are_accuracies(tmp_path, cache_dir, capsys):
    overrides = [
        "model.net.hidden_size=8",
        "model.net.num_layers=1",
        "data.max_seconds=8",
        "trainer.max_epochs=2",
        "trainer.limit_train_batches=3",
    ]
    train(compose_train(overrides, tmp_path / "run", cache_dir))
    result = fuse_run(tmp_path / "run", "random_forest", "expert")
    # Weights 0 and 1 are the classical and the deep model alone: the chosen blend is no worse on validation.
    assert result["val/fused"] >= max(result["val/deep"], result["val/classical"])
    assert 0.0 <= result["weight"] <= 1.0
    for key in ("val/fused", "test/deep", "test/classical", "test/fused"):
        assert 0.0 <= result[key] <= 1.0
    # A right quadrant is a right half: each half's accuracy is at least the quadrant's.
    for model in ("deep", "classical", "fused"):
        for half in ("arousal", "valence"):
            assert result[f"test/{model}"] <= result[f"test/{model}_{half}"] <= 1.0
    # Accuracies over the 86 official test clips are multiples of 1/86.
    assert np.isclose(result["test/fused"] * 86, round(result["test/fused"] * 86))
    assert main([str(tmp_path / "run"), "--out", str(tmp_path / "fused.md")]) == 0
    written = (tmp_path / "fused.md").read_text()
    assert "| 1 |" in written and "| valence |" in written


def test_a_run_without_a_chosen_checkpoint_is_one_error_line(tmp_path, capsys):
    (tmp_path / "metrics.json").write_text('{"metrics": {}, "tested_checkpoint": null}')
    assert exit_status(main, [str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path}: its metrics.json names no checkpoint"
