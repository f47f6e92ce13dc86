"""The feature judge: segment features, fitting on training songs only, safe loading, and the
judged-emotion metric a GAN run logs."""

import json
import zipfile

import numpy as np
import pytest
import torch

from conftest import NO_WAV, TINY_FEATURE_JUDGE, TINY_GAN, compose_train, emopia_root, piece_of
from emopia_lightning.classical.features import EXPERT_NAMES
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.emotion_control import sparse_bar_share
from emopia_lightning.generator_evaluation.feature_judge import (
    JudgeCandidates,
    JudgeFileError,
    feature_judge,
    load_judge_file,
)
from emopia_lightning.generator_evaluation.segment_features import segment_features, segment_notes
from emopia_lightning.train import train

FMT = SegmentLayout()


@pytest.fixture(scope="module")
def judge(cache_dir):
    candidates = JudgeCandidates.from_options(TINY_FEATURE_JUDGE)
    return feature_judge(FMT, str(emopia_root()), str(cache_dir), candidates)


def test_segment_notes_are_the_notes_of_the_piece_at_120_bpm():
    # MIDI 60 a quarter note from the start, struck again on beat 2 (held); MIDI 64 a sixteenth on beat 3
    piece = piece_of([(0, 4, 38, 90), (4, 4, 38, 50), (8, 1, 42, 70)], 64)
    notes = segment_notes(piece, FMT)
    assert notes.pitch.tolist() == [60, 60, 64] and notes.velocity.tolist() == [90, 50, 70]
    assert notes.start_beat.tolist() == [0.0, 1.0, 2.0] and notes.end_beat.tolist() == [1.0, 2.0, 2.25]
    assert notes.start_s.tolist() == [0.0, 0.5, 1.0] and notes.end_s.tolist() == [0.5, 1.0, 1.125]
    assert segment_notes(piece_of([], 64), FMT) is None


def test_segment_features_describe_each_segment_and_zero_an_empty_one():
    pieces = np.stack([piece_of([(0, 4, 38, 90), (8, 1, 42, 70)], 64), piece_of([], 64)])
    features = segment_features(pieces, FMT)
    assert features.shape == (2, len(EXPERT_NAMES))
    named = dict(zip(EXPERT_NAMES, features[0]))
    assert named["onsets_per_second"] == pytest.approx(2 / 8.0)  # two notes in 8 seconds
    assert named["pitch_mean"] == 62 and named["pitch_range"] == 4
    assert named["velocity_mean"] == 80 and named["velocity_std"] == 10  # dynamics reach the judge
    assert not features[1].any()


def test_sparse_bars_count_bars_with_under_two_onsets():
    # bar 1: one held note (one onset); bar 2: two onsets of one pitch, back to back;
    # bar 3: a two-note chord; bar 4: silence
    pieces = piece_of(
        [(0, 15, 10, 80), (16, 2, 10, 80), (18, 2, 10, 80), (32, 1, 10, 80), (32, 1, 14, 80)], 64
    )
    assert sparse_bar_share(pieces[None], 16) == pytest.approx(2 / 4)


def test_the_judge_is_fitted_on_training_songs_and_cached(judge, cache_dir):
    record = judge.record
    assert record["segments"] == {"train": 3400, "val": 943, "test": 382}  # the official split's songs
    assert record["chosen"] == {"svm_C": 1.0, "svm_gamma_scale": 1.0, "svm_share": 0.5}
    assert 0.25 < record["val_accuracy"] <= 1 and 0.25 < record["test_accuracy"] <= 1
    held_out = judge.real_segments().datasets["test"]
    probabilities = judge.probabilities(held_out.segments.pieces(FMT))
    assert probabilities.shape == (382, 4) and np.allclose(probabilities.sum(axis=1), 1)
    assert np.mean(probabilities.argmax(axis=1) == held_out.targets) == pytest.approx(record["test_accuracy"])
    entries = list(cache_dir.glob("feature_judge-*"))
    assert all(sorted(p.name for p in entry.iterdir()) == ["judge.json", "judge.skops"] for entry in entries)
    again = feature_judge(
        FMT, str(emopia_root()), str(cache_dir),
        JudgeCandidates.from_options(TINY_FEATURE_JUDGE),
    )  # fmt: skip
    assert again.record == record and len(list(cache_dir.glob("feature_judge-*"))) == len(entries)  # read


def test_a_judge_file_holding_other_types_is_refused(judge, cache_dir, tmp_path):
    entry = next(cache_dir.glob("feature_judge-*"))
    with zipfile.ZipFile(entry / "judge.skops") as original:
        files = {name: original.read(name) for name in original.namelist()}
    schema = json.loads(files["schema.json"])
    schema["__module__"], schema["__class__"] = "os", "system"  # what an attacker would swap in
    files["schema.json"] = json.dumps(schema).encode()
    tampered = tmp_path / "tampered.skops"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, blob in files.items():
            archive.writestr(name, blob)
    with pytest.raises(JudgeFileError, match="os.system"):
        load_judge_file(tampered)
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    with pytest.raises(JudgeFileError, match="not a judge file"):
        load_judge_file(tmp_path / "junk.skops")


def test_a_gan_run_logs_the_judged_accuracy_and_keeps_its_best_checkpoint(tmp_path, cache_dir, judge):
    overrides = [*TINY_GAN, *NO_WAV, "model.generator_steps=4", "callbacks.judged_emotion.every_n_steps=2",
                 "callbacks.judged_emotion.n=3"]  # fmt: skip
    metrics = train(compose_train(overrides, tmp_path, cache_dir))
    for name in ("val/judged_acc", "val/judged_arousal", "val/judged_valence", "val/sparse_bars"):
        assert 0.0 <= metrics[name] <= 1.0, name
    # 12 segments: accuracy is a whole number of twelfths.
    assert metrics["val/judged_acc"] * 12 == pytest.approx(round(metrics["val/judged_acc"] * 12))
    assert (tmp_path / "judged_emotion.png").stat().st_size > 5000
    best = torch.load(tmp_path / "checkpoints" / "best_judged.ckpt", weights_only=True)
    history = next(v for k, v in best["callbacks"].items() if "JudgedEmotion" in k)["history"]
    assert [h["step"] for h in history] in ([2], [2, 4])  # saved when judged best so far
    assert best["global_step"] == history[-1]["step"] * 3  # n_critic 2: 3 optimiser steps each


def test_a_velocity_free_judge_reads_no_velocity_and_a_louder_segment_is_judged_the_same():
    from sklearn.linear_model import LogisticRegression

    from emopia_lightning.classical.features import EXPERT_NAMES
    from emopia_lightning.generator_evaluation.feature_judge import FeatureJudge

    candidates = JudgeCandidates.from_options({"velocity": False})
    read = [EXPERT_NAMES[i] for i in candidates.columns]
    assert len(read) == len(EXPERT_NAMES) - 2 and not any(name.startswith("velocity") for name in read)
    assert candidates.key()["velocity"] is False and "velocity" not in JudgeCandidates().key()
    rng = np.random.default_rng(0)
    model = LogisticRegression().fit(rng.normal(size=(40, len(read))), np.arange(40) % 4)
    judge = FeatureJudge(
        model, {"classes": ["Q1", "Q2", "Q3", "Q4"], "features": read}, {"layout": FMT.key()}
    )
    soft = piece_of([(0, 8, 38, 40), (8, 8, 42, 50), (16, 16, 45, 45)], 64)
    loud = np.where(soft > 0, 110, 0).astype(np.uint8)
    assert np.allclose(judge.probabilities(np.stack([soft])), judge.probabilities(np.stack([loud])))
    assert judge.describe()["kind"].endswith("velocity-free")
    with pytest.raises(RequestError, match="velocity must be true or false"):
        JudgeCandidates.from_options({"velocity": "no"})
