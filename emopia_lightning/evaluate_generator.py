"""Measure what a composer (Transformer or MuseGAN) delivers: emotion control and musical closeness to EMOPIA.

``python -m emopia_lightning.evaluate_generator ckpt=GEN [ablation_ckpt=GEN_WITHOUT_LABELS] [judge=RUN] n=200``
generates ``n`` segments per quadrant and has two judges of different kinds, each trained on real
segments only, name their quadrant: the feature judge (SVM + forest on expert features,
``evaluation.feature_judge``) and the CNN judge (``experiment=segment_judge``). Each judge is also
scored on real held-out segments (its ceiling) beside chance (the floor), and where the judges
disagree is reported. Musical metrics compare generated with real segments per quadrant. Long
pieces (``pieces.bars``, 32 and 64 bars) are judged window by window by every judge, and a
two-sample test tells how easily their 4-bar windows are told from real ones (``realness``;
``generator_evaluation.whole_pieces``). Writes ``results.json``, ``report.md`` and PNGs to ``out``,
and every generated segment as MIDI to ``clips_dir``. ``fast=true`` judges emotion control only,
with the feature judge (seconds; for a checkpoint taken during training): no long pieces and no
realness test unless ``pieces.n`` or ``realness.enabled`` ask for them.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from emopia_lightning.composing.composer import Composer, load_composer
from emopia_lightning.config_registry import register as register_configs
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import RequestError, one_line_errors, positive_count, writable_folder
from emopia_lightning.generator_evaluation.comparisons import arousal_claim, per_quadrant_comparison
from emopia_lightning.generator_evaluation.emotion_control import (
    SegmentSet,
    agreement,
    generated_segments,
    judged,
    sparse_bar_share,
)
from emopia_lightning.generator_evaluation.emotion_scores import chance_scores
from emopia_lightning.generator_evaluation.feature_judge import JudgeCandidates, feature_judge
from emopia_lightning.generator_evaluation.judge import load_judge
from emopia_lightning.generator_evaluation.music_metrics import METRICS, metric_table
from emopia_lightning.generator_evaluation.report import write_report
from emopia_lightning.generator_evaluation.whole_pieces import check as check_whole_pieces
from emopia_lightning.generator_evaluation.whole_pieces import whole_pieces
from emopia_lightning.project_root import PROJECT_ROOT
from emopia_lightning.render.along_piece import plot_along_piece
from emopia_lightning.render.confusion_matrix import plot_confusion_matrix
from emopia_lightning.render.metric_distributions import plot_metric_distributions
from emopia_lightning.render.midi import write_midi
from emopia_lightning.render.roll_pictures import plot_piano_rolls

register_configs()  # before Hydra composes this command's config

log = logging.getLogger(__name__)

CLAIM_METRICS = ("note_density", "mean_pitch")  # the report: lower arousal, fewer notes, lower register


def real_segments(judge, held_out_part: str, layout: SegmentLayout) -> tuple[SegmentSet, SegmentSet]:
    """The judge's real segments: those of ``held_out_part`` (its ceiling), and every part's (the
    real side of the musical comparison)."""
    parts = judge.real_segments().datasets

    def as_set(datasets) -> SegmentSet:
        pieces = np.concatenate([d.segments.pieces(layout) for d in datasets])
        clips = np.concatenate([d.segments.clips for d in datasets])
        return SegmentSet(pieces, np.concatenate([d.targets for d in datasets]), clips)

    return as_set([parts[held_out_part]]), as_set(parts.values())


def _judges(cfg: DictConfig, layout: SegmentLayout) -> dict:
    """name -> judge: the feature judge first (the stronger), then the CNN judge if one is given."""
    judges = {}
    if cfg.feature_judge is not None or cfg.fast:
        candidates = JudgeCandidates.from_options(cfg.feature_judge)
        judges["features"] = feature_judge(layout, cfg.paths.data_dir, cfg.paths.cache_dir, candidates)
    if cfg.judge and not cfg.fast:
        judges["cnn"] = load_judge(cfg.judge, layout)
    if not judges:
        raise RequestError("no judge: keep feature_judge (not null), or give judge=<a segment_judge run>")
    return judges


def _agreement(emotion: dict) -> dict | None:
    """set name -> share of segments two judges put in the same quadrant (None with one judge)."""
    if len(emotion) != 2:
        return None
    first, second = emotion.values()
    return {part: agreement(first[part], second[part]) for part in first}


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


def _write_clips(generated: SegmentSet, clips_dir: Path, layout: SegmentLayout) -> None:
    for q, name in enumerate(QUADRANTS):
        for i, piece in enumerate(generated.rolls[generated.quadrants == q]):
            write_midi(piece, clips_dir / name / f"{name}_{i:03d}.mid", layout)


def _figures(
    out: Path,
    emotion: dict,
    metrics: dict,
    sets: dict[str, SegmentSet],
    cfg: DictConfig,
    layout: SegmentLayout,
) -> dict[str, Path]:
    """Confusion matrices (per judge), metric distributions and example piano rolls; name -> path."""
    titles = {
        "generated": "on generated (rows: asked for)",
        "real": f"on real {cfg.real_part} segments",
        "ablation": "on the ablation's segments (rows: asked for)",
    }
    figures = {
        f"confusion_{judge}_{part}": plot_confusion_matrix(
            np.array(scores["confusion"]), QUADRANTS, f"{judge} judge {titles[part]}",
            out / f"confusion_{judge}_{part}.png",
        )
        for judge, parts in emotion.items()
        for part, scores in parts.items()
    }  # fmt: skip
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
            out / f"piano_rolls_{name}.png", layout,
        )  # fmt: skip
    return figures


def _check(cfg: DictConfig) -> None:
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise RequestError(
            "ckpt=PATH is required: a composer checkpoint or run folder, e.g. outputs/demo/train"
        )
    positive_count("n", cfg.n)
    if cfg.real_part not in ("train", "val", "test"):
        raise RequestError(f"real_part must be train, val or test, got {cfg.real_part!r}")
    check_whole_pieces(cfg)


def _load_generator(path: str) -> Composer:
    generator, _ = load_composer(path)
    if not generator.follows_emotion:
        log.warning("%s was trained without labels (label_aug=false): expect chance-level control", path)
    return generator


def evaluate(cfg: DictConfig) -> dict:
    """Generate, judge, measure and write the report; returns the results written to results.json."""
    _check(cfg)
    started = time.perf_counter()
    out = writable_folder(cfg.out)
    generator = _load_generator(cfg.ckpt)
    options = OmegaConf.to_container(cfg.options)
    layout = generator.layout
    judges = _judges(cfg, layout)
    held_out, real = real_segments(next(iter(judges.values())), cfg.real_part, layout)
    sets = {"generated": generated_segments(generator, cfg.n, cfg.seed, options), "real": held_out}
    if cfg.ablation_ckpt:
        ablation = _load_generator(cfg.ablation_ckpt)
        sets["ablation"] = generated_segments(ablation, cfg.n, cfg.seed, options)
    # judge name -> set name -> scores, keyed by the confusion figures' names
    emotion = {name: {part: judged(judge, s) for part, s in sets.items()} for name, judge in judges.items()}
    results = {
        "checkpoint": _shown(cfg.ckpt),
        "ablation_checkpoint": _shown(cfg.ablation_ckpt) if cfg.ablation_ckpt else None,
        "composer": generator.description,
        "ablation_label_aug": ablation.follows_emotion if cfg.ablation_ckpt else None,
        "judges": {name: _described(judge) for name, judge in judges.items()},
        "n_per_quadrant": cfg.n,
        "seed": cfg.seed,
        "options": {k: v for k, v in options.items() if v is not None},
        "real_part": cfg.real_part,
        "emotion": emotion,
        "agreement": _agreement(emotion),
        "chance": chance_scores(held_out.quadrants),
        "sparse_bars": {part: sparse_bar_share(s.rolls, layout.steps_per_bar) for part, s in sets.items()},
    }
    results.update(whole_pieces(cfg, generator, options, judges, real, sets["generated"]))
    out.mkdir(parents=True, exist_ok=True)
    if not cfg.fast:
        results.update(_measure(cfg, out, results, {**sets, "held_out": held_out, "real": real}, layout))
    results["seconds"] = round(time.perf_counter() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_report(results, out / "report.md", _command())
    return results


def _measure(
    cfg: DictConfig, out: Path, results: dict, sets: dict[str, SegmentSet], layout: SegmentLayout
) -> dict:
    """The full report's parts beyond emotion control: metrics, the arousal claim, figures, clips."""
    real, emotion = sets["real"], results["emotion"]
    log.info("Measuring %d real and %d generated segments", len(real.rolls), len(sets["generated"].rolls))
    metrics = {
        name: metric_table(sets[name].rolls, layout, cfg.qualified_steps) for name in ("real", "generated")
    }
    figures = _figures(out, emotion, metrics, sets, cfg, layout)
    if "along_piece" in results:
        real_accuracy = {judge: parts["real"]["accuracy"] for judge, parts in emotion.items()}
        figures["along_piece"] = plot_along_piece(
            results["along_piece"], real_accuracy, QUADRANTS, out / "along_piece.png"
        )
    if cfg.write_clips:
        _write_clips(sets["generated"], Path(cfg.clips_dir), layout)
    return {
        "metrics": per_quadrant_comparison(
            metrics["real"], real.quadrants, metrics["generated"], sets["generated"].quadrants
        ),
        "n_real_segments": int(len(real.rolls)),
        "arousal_claim": {
            name: {m: arousal_claim(metrics[name], sets[name].quadrants, m) for m in CLAIM_METRICS}
            for name in ("real", "generated")
        },
        "figures": {name: path.name for name, path in figures.items()},
        "clips_dir": _shown(cfg.clips_dir) if cfg.write_clips else None,
    }


def _described(judge) -> dict:
    record = judge.describe()
    return {**record, "checkpoint": _shown(record["checkpoint"])} if "checkpoint" in record else record


def _shown(path: str | Path) -> str:
    """A path inside the checkout relative to it (reports stay readable on other machines)."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _command() -> str:
    overrides = HydraConfig.get().overrides.task if HydraConfig.initialized() else []
    return " ".join(["python -m emopia_lightning.evaluate_generator", *overrides])


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate_generator")
@one_line_errors
def main(cfg: DictConfig) -> None:
    results = evaluate(cfg)
    for name, parts in results["emotion"].items():
        generated, real = parts["generated"], parts["real"]
        print(
            f"{name} judge: generated accuracy {generated['accuracy']:.3f}, arousal {generated['arousal_accuracy']:.3f}, "
            f"valence {generated['valence_accuracy']:.3f} | real held-out {real['accuracy']:.3f}, "
            f"arousal {real['arousal_accuracy']:.3f} | chance 0.25"
        )
    print(f"Bars with under two notes: {results['sparse_bars']['generated']:.3f}")
    if "realness" in results:
        realness = results["realness"]
        away = ", ".join(row["feature"] for row in realness["give_away"])
        print(f"Realness: AUC {realness['auc']:.3f} (.5: like real music), given away by {away}")
    for bars, along in results.get("along_piece", {}).items():
        for name, scores in along["judges"].items():
            print(f"{bars}-bar pieces, {name} judge: first window {scores['first']['accuracy']:.3f}, "
                  f"last {scores['last']['accuracy']:.3f}, all windows {scores['all_windows']['accuracy']:.3f}")  # fmt: skip
    print(f"Report: {Path(cfg.out) / 'report.md'} ({results['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
