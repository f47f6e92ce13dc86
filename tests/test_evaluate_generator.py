"""The evaluate_generator command: a judge trained on real segments scores generated ones; report on disk."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from conftest import NO_WAV, TINY_GAN, compose_train, emopia_root, evaluate_config
from emopia_lightning.composing.composer import load_composer
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.rolls import BeatRollSpec
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import CheckpointError, RequestError
from emopia_lightning.evaluate_generator import _shown, evaluate, generated_segments
from emopia_lightning.generator_evaluation.judge import load_judge
from emopia_lightning.project_root import PROJECT_ROOT
from emopia_lightning.summarize import read_jobs
from emopia_lightning.train import train


@pytest.fixture(scope="module")
def generators(tmp_path_factory, cache_dir):
    """Tiny label-conditioned and unconditioned generators (3 generator steps each)."""
    paths = {}
    for label_aug in ("true", "false"):
        folder = tmp_path_factory.mktemp(f"gan_{label_aug}")
        train(
            compose_train(
                [*TINY_GAN, *NO_WAV, "model.generator_steps=3", f"label_aug={label_aug}"], folder, cache_dir
            )
        )
        paths[label_aug] = folder / "checkpoints" / "last.ckpt"
    return paths


def test_evaluate_judges_generated_and_real_segments_and_writes_the_report(
    tmp_path, segment_judge_run, generators, cache_dir
):
    cfg = evaluate_config(
        tmp_path, cache_dir, ckpt=str(generators["true"]), ablation_ckpt=str(generators["false"]),
        judge=str(segment_judge_run),
    )  # fmt: skip
    results = evaluate(cfg)
    judge = load_judge(segment_judge_run, SegmentLayout())
    held_out = judge.real_segments().datasets["test"]
    assert results["ablation_label_aug"] is False
    coherence = results["coherence"]  # 2 pieces per quadrant of 3 segments: 2 successive pairs each
    assert len(coherence["judged_by_position"]) == 3
    rows = coherence["successive_segments"]
    assert sorted(rows) == [
        "continuity 0.0",
        "generated",
        "real clips",
    ]  # a MuseGAN's phrases chained two ways
    assert rows["generated"]["pairs"] == 16
    real_pairs = rows["real clips"]
    assert (
        real_pairs["pairs"] > 3000
        and 0.3 < real_pairs["same_key"] < 1
        and 0.5 < real_pairs["pitch_class_cosine"] < 1
        and 0 < real_pairs["repeated_bars"] < 0.5  # pop piano repeats some bars, not most
    )
    assert "## Long pieces (12 bars, 2 per quadrant)" in (tmp_path / "report" / "report.md").read_text()
    along = results["along_piece"]["12"]  # every judge, window by window
    assert along["windows"] == 3 and sorted(along["judges"]) == ["cnn", "features"]
    features_along = along["judges"]["features"]
    assert [p["accuracy"] for p in features_along["by_position"]] == coherence["judged_by_position"]
    assert features_along["last"] == features_along["by_position"][2]
    realness = results["realness"]  # the 12-bar pieces' windows against held-out songs' windows
    assert realness["windows"]["generated"] == 8 * 3 and realness["groups"]["generated"] == 8
    assert realness["generated_from"] == "windows of 12-bar pieces" and realness["real_parts"] == [
        "val",
        "test",
    ]
    assert realness["groups"]["real"] > 50 and 0 <= realness["auc"] <= 1 and len(realness["give_away"]) == 3
    assert "## Realness" in (tmp_path / "report" / "report.md").read_text()
    for name in ("features", "cnn"):  # two judges of different kinds, each on every set
        emotion = results["emotion"][name]
        assert emotion["generated"]["n"] == 12 and emotion["ablation"]["n"] == 12
        assert emotion["real"]["n"] == len(held_out)
        assert (
            np.sum(emotion["real"]["confusion"], axis=1).tolist()
            == np.bincount(held_out.targets, minlength=4).tolist()
        )
    # Agreement is the share of segments both judges put in the same quadrant.
    both = [np.array(results["emotion"][name]["generated"]["predictions"]) for name in ("features", "cnn")]
    assert results["agreement"]["generated"] == pytest.approx(np.mean(both[0] == both[1]))
    assert results["judges"]["features"]["test_accuracy"] == pytest.approx(
        results["emotion"]["features"]["real"]["accuracy"]
    )  # the judge's own record of its real ceiling is what the report measures again
    # The real distributions are measured on every segment of the judge's split.
    assert results["n_real_segments"] == sum(len(d) for d in judge.real_segments().datasets.values())
    assert results["metrics"]["note_density"]["Q1"]["generated"]["n"] == 3
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| generated | 12 |" in report and "ablation (label_aug=false)" in report
    assert f"| real held-out (test) | {len(held_out)} |" in report
    assert "name the same quadrant" in report
    assert sorted(results["figures"]) == sorted(
        [
            f"confusion_{judge}_{part}"
            for judge in ("features", "cnn")
            for part in ("generated", "real", "ablation")
        ]
        + ["metric_distributions", "piano_rolls_generated", "piano_rolls_real", "along_piece"]
    )
    for name in results["figures"].values():
        assert (tmp_path / "report" / name).stat().st_size > 1000, name
    assert json.loads((tmp_path / "report" / "results.json").read_text())["n_per_quadrant"] == 3
    # Every generated segment is on disk as MIDI, under the quadrant it was asked for.
    spec = BeatRollSpec.of(SegmentLayout())
    clips = sorted((tmp_path / "clips").rglob("*.mid"))
    assert [c.parent.name for c in clips] == ["Q1"] * 3 + ["Q2"] * 3 + ["Q3"] * 3 + ["Q4"] * 3
    generator, _ = load_composer(generators["true"])
    generated = generated_segments(generator, 3, 0, cfg.options)
    first_q2 = generated.rolls[generated.quadrants == 1][0]
    again = spec.render(read_notes((tmp_path / "clips" / "Q2" / "Q2_000.mid").read_bytes())).reshape(
        -1, 84, 2
    )
    assert np.array_equal(again, first_q2[: len(again)]) and not first_q2[len(again) :].any()


@pytest.mark.slow  # a second whole evaluation (about 13 s) for one option
def test_real_segments_are_pictured_only_when_asked(tmp_path, segment_judge_run, generators, cache_dir):
    cfg = evaluate_config(
        tmp_path,
        cache_dir,
        ckpt=str(generators["true"]),
        judge=str(segment_judge_run),
        n=1,
        write_clips=False,
        real_piano_rolls=False,
    )
    results = evaluate(cfg)
    assert "piano_rolls_real" not in results["figures"] and "piano_rolls_generated" in results["figures"]
    assert not (tmp_path / "report" / "piano_rolls_real.png").exists() and not (tmp_path / "clips").exists()


def test_the_same_seed_generates_the_same_segments(generators):
    generator, _ = load_composer(generators["true"])
    first = generated_segments(generator, 2, 7, {"threshold": 0.5})
    again = generated_segments(generator, 2, 7, {"threshold": 0.5})
    assert first.rolls.shape == (8, 64, 84, 2) and first.quadrants.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert np.array_equal(first.rolls, again.rolls)


def test_a_moved_judge_run_still_finds_its_checkpoint(tmp_path, segment_judge_run, generators):
    moved = tmp_path / "moved_judge"
    shutil.copytree(segment_judge_run, moved)  # metrics.json still names the old absolute path
    judge = load_judge(moved, SegmentLayout())
    assert judge.checkpoint.parent == moved / "checkpoints" and judge.checkpoint.exists()


def test_a_judge_of_other_segments_or_of_clips_is_refused(tmp_path, segment_judge_run, generators, cache_dir):
    with pytest.raises(CheckpointError, match="reads other segments than the generator writes \\(bars\\)"):
        load_judge(segment_judge_run, SegmentLayout(bars=2))
    # A generator checkpoint given as the judge.
    with pytest.raises(CheckpointError, match="not the segment judge"):
        evaluate(
            evaluate_config(tmp_path, cache_dir, ckpt=str(generators["true"]), judge=str(generators["true"]))
        )
    # A run folder that never finished.
    with pytest.raises(CheckpointError, match="no metrics.json"):
        evaluate(evaluate_config(tmp_path, cache_dir, ckpt=str(generators["true"]), judge=str(tmp_path)))


@pytest.mark.parametrize(
    "values, message",
    [
        ({"n": 0}, "n must be"),
        ({"real_part": "all"}, "real_part"),
        ({"feature_judge": None, "judge": None}, "no judge"),
        ({"feature_judge": {"forest": 3}}, "unknown feature judge options"),
        ({"pieces": {"n": -1, "bars": 12, "continuities": []}}, "pieces.n must be"),
        ({"pieces": {"n": 1, "bars": [8, "x"], "continuities": []}}, "pieces.bars must be"),
        (
            {"realness": {"enabled": True, "real_parts": ["train"], "trees": 5, "folds": 2, "top": 1}},
            "never the training songs",
        ),
    ],
)
def test_bad_options_are_refused_before_any_work(tmp_path, generators, cache_dir, values, message):
    with pytest.raises(RequestError, match=message):
        evaluate(
            evaluate_config(
                tmp_path, cache_dir, **{"ckpt": str(generators["true"]), "judge": "unused", **values}
            )
        )


def test_fast_mode_judges_emotion_control_only(tmp_path, generators, cache_dir):
    cfg = evaluate_config(tmp_path, cache_dir, ckpt=str(generators["true"]), judge="unused", fast=True, n=5,
                          pieces={"n": None, "bars": [12], "continuities": []})  # fmt: skip
    results = evaluate(cfg)
    assert list(results["emotion"]) == ["features"]  # the CNN judge is not read in fast mode
    for part in ("coherence", "along_piece", "realness"):  # pieces.n and realness.enabled null: off
        assert part not in results, part
    generated = results["emotion"]["features"]["generated"]
    assert generated["n"] == 20 and np.sum(generated["confusion"], axis=1).tolist() == [5, 5, 5, 5]
    assert "metrics" not in results and "figures" not in results and not (tmp_path / "clips").exists()
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| generated | 20 |" in report and "Musical metrics" not in report
    # summarize reads an evaluate run's results (a multirun job folder) as metrics
    (tmp_path / "report" / ".hydra").mkdir()
    (tmp_path / "report" / ".hydra" / "overrides.yaml").write_text("- fast=true\n")
    (job,) = read_jobs(tmp_path)
    assert job["metrics"]["features/generated/acc"] == generated["accuracy"]
    assert job["metrics"]["features/real/Q4"] == results["emotion"]["features"]["real"]["per_quadrant"]["Q4"]
    assert job["metrics"]["sparse_bars/generated"] == results["sparse_bars"]["generated"]


def test_a_transformer_composer_is_judged_the_same_way(tmp_path, composer_checkpoint, cache_dir):
    cfg = evaluate_config(tmp_path, cache_dir, ckpt=str(composer_checkpoint), judge="unused", fast=True, n=2,
                  options={"guidance": 1.5}, pieces={"n": 1, "bars": 8, "continuities": [0.0]})  # fmt: skip
    results = evaluate(cfg)
    assert results["composer"] == "transformer_composer (emotion-conditioned)"
    assert results["options"] == {"guidance": 1.5}
    generated = results["emotion"]["features"]["generated"]
    assert np.sum(generated["confusion"], axis=1).tolist() == [2, 2, 2, 2]
    assert sorted(results["coherence"]["successive_segments"]) == ["generated", "real clips"]  # no continuity
    assert results["coherence"]["successive_segments"]["generated"]["pairs"] == 4  # 4 pieces of 2 segments
    assert list(results["along_piece"]) == ["8"] and "realness" not in results  # pieces.n given; fast
    with pytest.raises(RequestError, match="threshold: not an option of the transformer_composer"):
        evaluate(OmegaConf.merge(cfg, {"options": {"threshold": 0.5}}))


@pytest.mark.slow  # a subprocess; the train and generate commands' one-line errors stay in the fast suite
def test_evaluate_command_without_a_checkpoint_says_so_in_one_line(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EMOPIA_ROOT": str(emopia_root())}
    result = subprocess.run(
        [sys.executable, "-m", "emopia_lightning.evaluate_generator", f"hydra.run.dir={tmp_path}"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: ckpt=PATH is required: a composer checkpoint or run folder, e.g. outputs/demo/train"
    ]


def test_judge_segments_are_classifier_batches_transposed_only_for_training(tmp_path, cache_dir):
    cfg = compose_train(["experiment=segment_judge", "data.batch_size=8"], tmp_path, cache_dir)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    rolls, lengths, targets = next(iter(datamodule.val_dataloader()))
    assert rolls.shape == (8, 64, 84) and lengths.tolist() == [64] * 8 and targets.shape == (8,)
    train = datamodule.datasets["train"]
    segment = torch.from_numpy(SegmentLayout().classifier_roll(train.segments.pieces(SegmentLayout())[0]))
    torch.manual_seed(0)
    views = [train[0][0] for _ in range(20)]
    shifts = {
        next(s for s in range(-3, 4) if torch.equal(torch.roll(segment, s, 1)[:, 3:-3], v[:, 3:-3]))
        for v in views
    }
    assert len(shifts) > 1 and shifts <= set(range(-3, 4))  # random transpositions within +-3
    assert all(v.sum() <= segment.sum() for v in views)  # notes pushed off the roll drop; none appear
    plain, _, _ = next(iter(datamodule.train_eval_dataloader()))
    assert torch.equal(plain[0], segment)  # train accuracy reads the segments as they are
    assert torch.equal(datamodule.test_dataloader().dataset[0][0], datamodule.datasets["test"][0][0])


def test_reports_name_paths_inside_the_checkout_relative_to_it(tmp_path):
    assert _shown(PROJECT_ROOT / "outputs" / "run" / "last.ckpt") == "outputs/run/last.ckpt"
    assert _shown(tmp_path / "x.ckpt") == str(tmp_path / "x.ckpt")
