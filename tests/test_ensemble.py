"""Late fusion of a trained classifier run with the classical random forest (about 10 s: it computes
the expert features of every clip and fits the forest with RFECV)."""

import numpy as np
import pytest

from conftest import compose_train, exit_status
from emopia_lightning import ensemble
from emopia_lightning.data.labels import HIGH_AROUSAL, POSITIVE_VALENCE
from emopia_lightning.ensemble import fuse_run, main
from emopia_lightning.generator_evaluation.emotion_scores import emotion_scores
from emopia_lightning.train import train


def test_fusion_weight_is_chosen_on_validation_and_scores_are_accuracies_with_their_halves(
    tmp_path, cache_dir, capsys, monkeypatch
):
    overrides = [
        "model.net.hidden_size=8",
        "model.net.num_layers=1",
        "data.max_seconds=8",
        "trainer.max_epochs=2",
        "trainer.limit_train_batches=3",
    ]
    train(compose_train(overrides, tmp_path / "run", cache_dir))
    predicted = []

    def caught(targets, predictions):
        predicted.append((np.asarray(targets), np.asarray(predictions)))
        return emotion_scores(targets, predictions)

    monkeypatch.setattr(ensemble, "emotion_scores", caught)
    result = fuse_run(tmp_path / "run", "random_forest", "expert")
    # Weights 0 and 1 are the classical and the deep model alone: the chosen blend is no worse on validation.
    assert result["val/fused"] >= max(result["val/deep"], result["val/classical"])
    assert 0.0 <= result["weight"] <= 1.0
    for key in ("val/fused", "test/deep", "test/classical", "test/fused"):
        assert 0.0 <= result[key] <= 1.0
    # Each model's arousal and valence accuracy is read off the quadrants it predicted for the
    # test clips: its predictions are caught on their way to emotion_scores, and scored here.
    assert len(predicted) == 3
    differ = False
    for model, (targets, predictions) in zip(("deep", "classical", "fused"), predicted):
        assert result[f"test/{model}"] == pytest.approx(np.mean(targets == predictions))  # this model's
        for half, side in (("arousal", HIGH_AROUSAL), ("valence", POSITIVE_VALENCE)):
            assert result[f"test/{model}_{half}"] == pytest.approx(
                np.mean(side[targets] == side[predictions])
            )
        differ |= result[f"test/{model}_arousal"] != result[f"test/{model}_valence"]
    assert differ  # so a swapped arousal and valence could not pass
    # Accuracies over the 86 official test clips are multiples of 1/86.
    assert np.isclose(result["test/fused"] * 86, round(result["test/fused"] * 86))
    assert main([str(tmp_path / "run"), "--out", str(tmp_path / "fused.md")]) == 0
    written = (tmp_path / "fused.md").read_text()
    assert "| 1 |" in written and "| valence |" in written


def test_a_run_without_a_chosen_checkpoint_is_one_error_line(tmp_path, capsys):
    (tmp_path / "metrics.json").write_text('{"metrics": {}, "tested_checkpoint": null}')
    assert exit_status(main, [str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path}: its metrics.json names no checkpoint"
