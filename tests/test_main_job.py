"""The README's main job (``make run``) end to end at tiny size, as a user runs it: train the
Transformer composer with the default W&B logger (offline), compose a 16-bar piece per emotion from
its run folder, judge emotion control."""

import os
import subprocess
import sys

import symusic

from conftest import TINY_COMPOSER, emopia_root
from emopia_lightning.project_root import PROJECT_ROOT


def _run(module: str, args: list[str], cache_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "OMP_NUM_THREADS": "1", "EMOPIA_ROOT": str(emopia_root())}
    env["EMOPIA_CACHE"] = str(
        cache_dir
    )  # the session's: the corpus and the tiny judge are parsed and fitted once
    result = subprocess.run(
        [sys.executable, "-m", f"emopia_lightning.{module}", *args], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result


def test_the_main_job_writes_midi_wav_and_png_for_every_emotion(tmp_path, cache_dir):
    judge = "{svm: [[1.0, 1.0]], svm_shares: [0.5], trees: 20}"  # conftest's TINY_FEATURE_JUDGE
    train_dir, generated = tmp_path / "train", tmp_path / "generated"
    _run("train", [*TINY_COMPOSER, "trainer.max_steps=4", f"callbacks.judged_emotion.candidates={judge}",
                   "extras.print_config=false", f"hydra.run.dir={train_dir}"], cache_dir)  # fmt: skip
    # W&B holds the samples' piano rolls and their audio.
    media = list((train_dir / "wandb").glob("offline-run-*/files/media/*/samples/*"))
    assert {p.suffix for p in media} >= {".png", ".wav"}
    # The run folder: the checkpoint it chose on validation loss.
    out = _run("generate", [f"ckpt={train_dir}", "emotion=all", "n=1", "bars=16", f"out={generated}",
                            f"paths.log_dir={tmp_path}/logs", f"feature_judge={judge}"], cache_dir)  # fmt: skip
    assert "Wrote 4 MIDI, 4 WAV and piano_roll.png" in out.stdout
    for name in ("happy-Q1", "tense-Q2", "sad-Q3", "calm-Q4"):
        stem = generated / f"{name}_seed-0_16-bars_120-bpm"
        score = symusic.Score(str(stem.with_suffix(".mid")))
        assert score.end() == 16 * 4 * score.ticks_per_quarter  # 16 bars, ending on a held chord
        assert stem.with_suffix(".wav").stat().st_size > 44100 * 2 * 2 * 32  # 32 s of stereo
    assert (generated / "piano_roll.png").stat().st_size > 10_000
    tiny_judge = [
        "+feature_judge.svm=[[1.0,1.0]]",
        "+feature_judge.svm_shares=[0.5]",
        "+feature_judge.trees=20",
    ]
    judged = _run("evaluate_generator", [f"ckpt={train_dir}", "fast=true", "n=8", "pieces.n=1", "pieces.bars=8", *tiny_judge,
                               f"hydra.run.dir={tmp_path}/judged"], cache_dir)  # fmt: skip
    assert "features judge: generated accuracy" in judged.stdout
