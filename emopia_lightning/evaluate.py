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
import time
from dataclasses import dataclass
from pathlib import Path

import hydra
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from emopia_lightning import PROJECT_ROOT  # also registers the config resolvers
from emopia_lightning.checkpoints import load_model
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
from emopia_lightning.utils.cli import one_line_errors, positive_count

log = logging.getLogger(__name__)

CLAIM_METRICS = ("note_density", "mean_pitch")  # the report: lower arousal, fewer notes, lower register


@dataclass
class SegmentSet:
    """(n, steps, pitches) bool segments and the quadrant index (0..3) each has or was asked for."""

    rolls: np.ndarray
    quadrants: np.ndarray


def generated_segments(model: MuseGAN, n: int, seed: int, threshold: float) -> SegmentSet:
    """``n`` segments asked for each quadrant, in quadrant order."""
    labels, _ = quadrant_labels(n)
    rolls = generate_pieces(model, labels, 1, torch.Generator().manual_seed(seed), threshold=threshold)
    return SegmentSet(rolls, labels.numpy())


def real_segments(judge: Judge, held_out_part: str, steps: int) -> tuple[SegmentSet, SegmentSet]:
    """The judge's real segments: those of ``held_out_part`` (its ceiling), and every part's (the
    real side of the musical comparison)."""
    parts = judge.real_segments().datasets

    def as_set(datasets) -> SegmentSet:
        rolls = np.concatenate([d.segments.rolls for d in datasets])
        return SegmentSet(rolls.reshape(len(rolls), steps, -1), np.concatenate([d.targets for d in datasets]))

    return as_set([parts[held_out_part]]), as_set(parts.values())


def judged(judge: Judge, segments: SegmentSet) -> dict:
    return emotion_scores(segments.quadrants, judge.probabilities(segments.rolls).argmax(axis=1))


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


def _write_clips(generated: SegmentSet, clips_dir: Path, fmt: RollFormat) -> None:
    for q, name in enumerate(QUADRANTS):
        for i, roll in enumerate(generated.rolls[generated.quadrants == q]):
            write_midi(roll, clips_dir / name / f"{name}_{i:03d}.mid", fmt.lowest_pitch, fmt.steps_per_beat)


def _figures(
    out: Path, emotion: dict, metrics: dict, sets: dict[str, SegmentSet], cfg: DictConfig, fmt: RollFormat
) -> dict[str, Path]:
    """Confusion matrices, metric distributions and example piano rolls; name -> path."""
    titles = {
        "generated": "judge on generated (rows: asked for)",
        "real": f"judge on real {cfg.real_part} segments",
        "ablation": "judge on the ablation's segments (rows: asked for)",
    }
    figures = {
        f"confusion_{name}": plot_confusion_matrix(
            np.array(scores["confusion"]), QUADRANTS, titles[name], out / f"confusion_{name}.png"
        )
        for name, scores in emotion.items()
    }
    figures["metric_distributions"] = plot_metric_distributions(
        {name: (metrics[name], sets[name].quadrants) for name in ("real", "generated")},
        list(METRICS), QUADRANTS, out / "metric_distributions.png",
    )  # fmt: skip
    shown = {"generated": (sets["generated"], None)}
    if cfg.real_piano_rolls:  # real EMOPIA notes: licensed CC BY-NC-SA, so off unless asked for
        shown["real"] = (sets["held_out"], np.random.default_rng(cfg.seed))
    for name, (segments, rng) in shown.items():
        chosen = _examples(segments.quadrants, cfg.examples, rng)
        figures[f"piano_rolls_{name}"] = plot_piano_rolls(
            segments.rolls[chosen], [f"{name} {QUADRANTS[q]}" for q in segments.quadrants[chosen]],
            out / f"piano_rolls_{name}.png", fmt.lowest_pitch, fmt.steps_per_bar,
        )  # fmt: skip
    return figures


def _check(cfg: DictConfig) -> None:
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise ValueError("ckpt=PATH is required: a MuseGAN checkpoint, e.g. <run>/checkpoints/last.ckpt")
    positive_count("n", cfg.n)
    if cfg.real_part not in ("train", "val", "test"):
        raise ValueError(f"real_part must be train, val or test, got {cfg.real_part!r}")


def evaluate(cfg: DictConfig) -> dict:
    """Generate, judge, measure and write the report; returns the results written to results.json."""
    _check(cfg)
    started = time.perf_counter()
    out = Path(cfg.out)
    generator, generator_config = load_model(cfg.ckpt, MuseGAN, "MuseGAN generator")
    if not generator.hparams.conditional:
        log.warning("%s was trained without labels (label_aug=false): expect chance-level control", cfg.ckpt)
    judge = load_judge(cfg.judge, generator_config["data"])
    fmt = RollFormat.from_data_config(generator_config["data"])
    held_out, real = real_segments(
        judge, cfg.real_part, generator_config["data"]["bars_per_segment"] * fmt.steps_per_bar
    )
    sets = {
        "held_out": held_out,
        "real": real,
        "generated": generated_segments(generator, cfg.n, cfg.seed, cfg.threshold),
    }
    # Keyed by the confusion figures' names; the report names the rows.
    emotion = {"generated": judged(judge, sets["generated"]), "real": judged(judge, held_out)}
    if cfg.ablation_ckpt:
        ablation, _ = load_model(cfg.ablation_ckpt, MuseGAN, "MuseGAN generator")
        emotion["ablation"] = judged(judge, generated_segments(ablation, cfg.n, cfg.seed, cfg.threshold))
        emotion["ablation"]["label_aug"] = bool(ablation.hparams.conditional)

    log.info("Measuring %d real and %d generated segments", len(real.rolls), len(sets["generated"].rolls))
    metrics = {
        name: metric_table(sets[name].rolls, fmt, cfg.qualified_steps) for name in ("real", "generated")
    }
    results = {
        "checkpoint": _shown(cfg.ckpt),
        "ablation_checkpoint": _shown(cfg.ablation_ckpt) if cfg.ablation_ckpt else None,
        "judge": _shown(judge.checkpoint),
        "n_per_quadrant": cfg.n,
        "seed": cfg.seed,
        "threshold": cfg.threshold,
        "real_part": cfg.real_part,
        "emotion": emotion,
        "chance": chance_scores(held_out.quadrants),
        "metrics": per_quadrant_comparison(
            metrics["real"], real.quadrants, metrics["generated"], sets["generated"].quadrants
        ),
        "n_real_segments": int(len(real.rolls)),
        "arousal_claim": {
            name: {m: arousal_claim(metrics[name], sets[name].quadrants, m) for m in CLAIM_METRICS}
            for name in ("real", "generated")
        },
    }
    figures = _figures(out, emotion, metrics, sets, cfg, fmt)
    if cfg.write_clips:
        _write_clips(sets["generated"], Path(cfg.clips_dir), fmt)
    results["figures"] = {name: path.name for name, path in figures.items()}
    results["clips_dir"] = _shown(cfg.clips_dir) if cfg.write_clips else None
    results["seconds"] = round(time.perf_counter() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_report(results, out / "report.md", _command())
    return results


def _shown(path: str | Path) -> str:
    """A path inside the checkout relative to it (reports stay readable on other machines)."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _command() -> str:
    overrides = HydraConfig.get().overrides.task if HydraConfig.initialized() else []
    return " ".join(["python -m emopia_lightning.evaluate", *overrides])


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    results = one_line_errors(lambda: evaluate(cfg), cfg.out)
    generated, real = results["emotion"]["generated"], results["emotion"]["real"]
    print(
        f"Generated: accuracy {generated['accuracy']:.3f}, arousal {generated['arousal_accuracy']:.3f}, "
        f"valence {generated['valence_accuracy']:.3f} (real held-out: {real['accuracy']:.3f}; chance 0.25)"
    )
    print(f"Report: {Path(cfg.out) / 'report.md'} ({results['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
