"""Measure what a MuseGAN generator delivers: emotion control and musical closeness to EMOPIA.

``python -m emopia_lightning.evaluate ckpt=GEN [ablation_ckpt=GEN_WITHOUT_LABELS] [judge=RUN] n=200``
generates ``n`` segments per quadrant, has a classifier trained on real segments only (the judge,
``experiment=segment_judge``) name their quadrant, and scores the same judge on real held-out
segments (the ceiling) beside chance (the floor). Musical metrics compare generated with real
segments per quadrant. Writes ``results.json``, ``report.md`` and PNGs to ``out``, and every
generated segment as MIDI to ``clips_dir`` (for listening, or for another judge).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import hydra
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

import emopia_lightning  # noqa: F401  (registers the config resolvers)
from emopia_lightning.checkpoints import CheckpointError, load_model
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.evaluation.comparisons import arousal_claim, per_quadrant_comparison
from emopia_lightning.evaluation.emotion_scores import chance_scores, emotion_scores
from emopia_lightning.evaluation.judge import Judge, load_judge
from emopia_lightning.evaluation.music_metrics import METRICS, metric_table
from emopia_lightning.evaluation.report import write_report
from emopia_lightning.models.musegan import MuseGAN
from emopia_lightning.render.confusion_matrix import plot_confusion_matrix
from emopia_lightning.render.metric_distributions import plot_metric_distributions
from emopia_lightning.render.midi import write_midi
from emopia_lightning.render.piano_roll import plot_piano_rolls
from emopia_lightning.sampling import RollFormat, generate_pieces, quadrant_labels

log = logging.getLogger(__name__)

CLAIM_METRICS = ("note_density", "mean_pitch")  # the report: lower arousal, fewer notes, lower register


def generated_segments(model: MuseGAN, n: int, seed: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(4n, steps, pitches) bool segments, ``n`` asked for each quadrant, and their quadrant indices."""
    labels, _ = quadrant_labels(n)
    with torch.inference_mode():
        rolls = generate_pieces(model, labels, 1, torch.Generator().manual_seed(seed), threshold=threshold)
    return rolls, labels.numpy()


def judged(judge: Judge, rolls: np.ndarray, quadrants: np.ndarray) -> dict:
    return emotion_scores(quadrants, judge.probabilities(rolls).argmax(axis=1))


def _examples(quadrants: np.ndarray, per_quadrant: int, rng: np.random.Generator | None = None) -> list[int]:
    """Indices of ``per_quadrant`` segments of each quadrant (the first ones, or drawn by ``rng``)."""
    chosen = []
    for q in range(len(QUADRANTS)):
        where = np.flatnonzero(quadrants == q)
        picked = (
            rng.choice(where, min(per_quadrant, len(where)), replace=False) if rng else where[:per_quadrant]
        )
        chosen.extend(sorted(picked.tolist()))
    return chosen


def _write_clips(rolls: np.ndarray, quadrants: np.ndarray, clips_dir: Path, fmt: RollFormat) -> None:
    for q, name in enumerate(QUADRANTS):
        for i, roll in enumerate(rolls[quadrants == q]):
            write_midi(roll, clips_dir / name / f"{name}_{i:03d}.mid", fmt.lowest_pitch, fmt.steps_per_beat)


def _check(cfg: DictConfig) -> None:
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise ValueError("ckpt=PATH is required: a MuseGAN checkpoint, e.g. <run>/checkpoints/last.ckpt")
    if isinstance(cfg.n, bool) or not isinstance(cfg.n, int) or cfg.n < 1:
        raise ValueError(f"n must be a whole number of at least 1, got {cfg.n!r}")
    if cfg.real_part not in ("train", "val", "test"):
        raise ValueError(f"real_part must be train, val or test, got {cfg.real_part!r}")


def evaluate(cfg: DictConfig) -> dict:
    """Generate, judge, measure and write the report; returns the results written to results.json."""
    _check(cfg)
    started = time.perf_counter()
    out, clips_dir = Path(cfg.out), Path(cfg.clips_dir)
    generator, generator_config = load_model(cfg.ckpt, MuseGAN, "MuseGAN generator")
    if not generator.hparams.conditional:
        log.warning("%s was trained without labels (label_aug=false): expect chance-level control", cfg.ckpt)
    judge = load_judge(cfg.judge, generator_config["data"])
    fmt = RollFormat.from_data_config(generator_config["data"])
    steps = generator_config["data"]["bars_per_segment"] * fmt.steps_per_bar

    real_data = judge.real_segments()
    parts = real_data.datasets
    held_out = parts[cfg.real_part]
    held_out_rolls = held_out.segments.rolls.reshape(len(held_out), steps, -1)
    real_rolls = np.concatenate([d.segments.rolls for d in parts.values()]).reshape(
        -1, steps, held_out_rolls.shape[-1]
    )
    real_quadrants = np.concatenate([d.targets for d in parts.values()])

    rolls, quadrants = generated_segments(generator, cfg.n, cfg.seed, cfg.threshold)
    emotion = {
        "generated": judged(judge, rolls, quadrants),
        f"real held-out ({cfg.real_part})": judged(judge, held_out_rolls, held_out.targets),
    }
    ablation_rolls = None
    if cfg.ablation_ckpt:
        ablation, _ = load_model(cfg.ablation_ckpt, MuseGAN, "MuseGAN generator")
        ablation_rolls, _ = generated_segments(ablation, cfg.n, cfg.seed, cfg.threshold)
        emotion["ablation"] = judged(judge, ablation_rolls, quadrants)
        emotion["ablation"]["label_aug"] = bool(ablation.hparams.conditional)

    log.info("Measuring %d real and %d generated segments", len(real_rolls), len(rolls))
    real_metrics = metric_table(real_rolls, fmt, cfg.qualified_steps)
    generated_metrics = metric_table(rolls, fmt, cfg.qualified_steps)
    results = {
        "checkpoint": str(cfg.ckpt),
        "ablation_checkpoint": str(cfg.ablation_ckpt) if cfg.ablation_ckpt else None,
        "judge": str(judge.checkpoint),
        "n_per_quadrant": cfg.n,
        "seed": cfg.seed,
        "threshold": cfg.threshold,
        "emotion": emotion,
        "chance": chance_scores(held_out.targets),
        "metrics": per_quadrant_comparison(real_metrics, real_quadrants, generated_metrics, quadrants),
        "n_real_segments": int(len(real_rolls)),
        "arousal_claim": {
            source: {m: arousal_claim(values, q, m) for m in CLAIM_METRICS}
            for source, (values, q) in {
                "real": (real_metrics, real_quadrants),
                "generated": (generated_metrics, quadrants),
            }.items()
        },
    }

    figures = {
        "confusion_generated": plot_confusion_matrix(
            np.array(emotion["generated"]["confusion"]), QUADRANTS, "judge on generated (rows: asked for)",
            out / "confusion_generated.png",
        ),
        "confusion_real": plot_confusion_matrix(
            np.array(emotion[f"real held-out ({cfg.real_part})"]["confusion"]), QUADRANTS,
            f"judge on real {cfg.real_part} segments", out / "confusion_real.png",
        ),
        "metric_distributions": plot_metric_distributions(
            {"real": (real_metrics, real_quadrants), "generated": (generated_metrics, quadrants)},
            list(METRICS), QUADRANTS, out / "metric_distributions.png",
        ),
        "piano_rolls_generated": plot_piano_rolls(
            rolls[_examples(quadrants, cfg.examples)],
            [f"generated for {QUADRANTS[q]}" for q in quadrants[_examples(quadrants, cfg.examples)]],
            out / "piano_rolls_generated.png", fmt.lowest_pitch, fmt.steps_per_bar,
        ),
    }  # fmt: skip
    real_examples = _examples(held_out.targets, cfg.examples, np.random.default_rng(cfg.seed))
    figures["piano_rolls_real"] = plot_piano_rolls(
        held_out_rolls[real_examples], [f"real {QUADRANTS[q]}" for q in held_out.targets[real_examples]],
        out / "piano_rolls_real.png", fmt.lowest_pitch, fmt.steps_per_bar,
    )  # fmt: skip
    if ablation_rolls is not None:
        figures["confusion_ablation"] = plot_confusion_matrix(
            np.array(emotion["ablation"]["confusion"]), QUADRANTS, "judge on the ablation's segments",
            out / "confusion_ablation.png",
        )  # fmt: skip
    if cfg.write_clips:
        _write_clips(rolls, quadrants, clips_dir, fmt)
    results["figures"] = {name: path.name for name, path in figures.items()}
    results["clips_dir"] = str(clips_dir) if cfg.write_clips else None
    results["seconds"] = round(time.perf_counter() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_report(results, out / "report.md", _command())
    return results


def _command() -> str:
    overrides = HydraConfig.get().overrides.task if HydraConfig.initialized() else []
    return " ".join(["python -m emopia_lightning.evaluate", *overrides])


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    try:
        results = evaluate(cfg)
    except (CheckpointError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as error:  # e.g. an output folder that cannot be written
        print(f"error: cannot write the report: {error.strerror or error}", file=sys.stderr)
        raise SystemExit(1) from None
    generated = results["emotion"]["generated"]
    real = results["emotion"][f"real held-out ({cfg.real_part})"]
    print(
        f"Generated: accuracy {generated['accuracy']:.3f}, arousal {generated['arousal_accuracy']:.3f}, "
        f"valence {generated['valence_accuracy']:.3f} (real held-out: {real['accuracy']:.3f}; chance 0.25)"
    )
    print(f"Report: {Path(cfg.out) / 'report.md'} ({results['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
