"""The README's side-by-side table of the composers, from ``make composer-comparison``'s evaluations.

``python experiments/composer_comparison.py experiments/composer_comparison`` reads
``<folder>/<composer>/<job>/results.json`` (one job per training seed, as ``evaluate_generator -m``
writes them) and writes ``<folder>.md``: emotion control by each judge (mean ±
sample std over the seeds, the label_aug=false ablation beside it, each judge's accuracy on real
held-out segments as its ceiling), what a listener hears per quadrant (qualified notes, velocity,
note density, real music beside them), the mean histogram overlap with real music over every
metric and quadrant, and long pieces (successive segments in one key, bars repeating the last);
and where the evaluations ran them, realness (the two-sample test's AUC, .5: like real music) and
the emotion in the first and last 4-bar window of the longest pieces (64 bars by default), with
successive windows in one key.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
HEARD = ("qualified_note_rate", "mean_velocity", "note_density")


def _spread(values: list[float]) -> str:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "–"
    mean = float(np.mean(values))
    digits = 1 if abs(mean) >= 5 else 3
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {float(np.std(values, ddof=1)):.{digits}f}"


def _jobs(folder: Path) -> dict[str, list[dict]]:
    composers = {}
    for composer in sorted(p for p in folder.iterdir() if p.is_dir()):
        jobs = sorted(composer.glob("*/results.json"), key=lambda p: int(p.parent.name))
        if jobs:
            composers[composer.name] = [json.loads(p.read_text()) for p in jobs]
    return composers


def emotion_rows(composers: dict[str, list[dict]]) -> list[str]:
    rows = ["| judge | composer | seeds | 4Q | arousal | valence | Q1 / Q2 / Q3 / Q4 recall | label_aug=false 4Q |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    judges = list(next(iter(composers.values()))[0]["emotion"])
    for judge in judges:
        first = next(iter(composers.values()))[0]["emotion"][judge]["real"]
        recall = " / ".join(f"{first['per_quadrant'][q]:.2f}" for q in QUADRANTS)
        rows.append(f"| {judge} | real held-out segments (its ceiling) | – | {first['accuracy']:.3f} | "
                    f"{first['arousal_accuracy']:.3f} | {first['valence_accuracy']:.3f} | {recall} | |")  # fmt: skip
        for name, jobs in composers.items():
            scores = [job["emotion"][judge] for job in jobs]
            generated = [s["generated"] for s in scores]
            recall = " / ".join(_spread([g["per_quadrant"][q] for g in generated]) for q in QUADRANTS)
            ablation = _spread([s["ablation"]["accuracy"] for s in scores if "ablation" in s])
            rows.append(
                f"| {judge} | {name} | {len(jobs)} | {_spread([g['accuracy'] for g in generated])} | "
                f"{_spread([g['arousal_accuracy'] for g in generated])} | "
                f"{_spread([g['valence_accuracy'] for g in generated])} | {recall} | {ablation} |"
            )
    return rows


def heard_rows(composers: dict[str, list[dict]]) -> list[str]:
    rows = ["| metric | source | Q1 | Q2 | Q3 | Q4 |", "|---|---|---|---|---|---|"]
    first = next(iter(composers.values()))[0]["metrics"]
    for metric in HEARD:
        real = [first[metric][q]["real"]["mean"] for q in QUADRANTS]
        rows.append(f"| {metric} | real EMOPIA | " + " | ".join(_spread([v]) for v in real) + " |")
        for name, jobs in composers.items():
            cells = [
                _spread([job["metrics"][metric][q]["generated"]["mean"] for job in jobs]) for q in QUADRANTS
            ]
            rows.append(f"| {metric} | {name} | " + " | ".join(cells) + " |")
    return rows


def overlap_and_coherence_rows(composers: dict[str, list[dict]]) -> list[str]:
    rows = ["| composer | mean histogram overlap with real | same key, successive segments | bars repeating the last |",
            "|---|---|---|---|"]  # fmt: skip
    first = next(iter(composers.values()))[0]["coherence"]["successive_segments"]["real clips"]
    rows.append(f"| real EMOPIA clips | 1 | {first['same_key']:.3f} | {first['repeated_bars']:.3f} |")
    for name, jobs in composers.items():
        overlaps = [
            float(np.nanmean([job["metrics"][m][q]["overlap"] for m in job["metrics"] for q in QUADRANTS]))
            for job in jobs
        ]
        generated = [job["coherence"]["successive_segments"]["generated"] for job in jobs]
        rows.append(
            f"| {name} | {_spread(overlaps)} | {_spread([g['same_key'] for g in generated])} | "
            f"{_spread([g['repeated_bars'] for g in generated])} |"
        )
    return rows


def whole_piece_rows(composers: dict[str, list[dict]]) -> list[str]:
    """Realness AUC, each judge's 4Q accuracy in the first and last window of the longest pieces,
    and the share of successive windows in one key."""
    first_job = next(iter(composers.values()))[0]
    bars = max(first_job["along_piece"], key=int)
    judges = list(first_job["along_piece"][bars]["judges"])
    columns = " | ".join(f"{judge}: first window | {judge}: last window" for judge in judges)
    rows = [
        f"| composer | seeds | realness AUC (.5: like real) | {columns} | same key, successive windows |",
        "|---|---|---|" + "---|---|" * len(judges) + "---|",
    ]
    real_key = first_job["coherence"]["successive_segments"]["real clips"]["same_key"]
    ceilings = " | ".join(
        f"{first_job['emotion'][judge]['real']['accuracy']:.3f} | "
        f"{first_job['emotion'][judge]['real']['accuracy']:.3f}"
        for judge in judges
    )
    rows.append(f"| real EMOPIA (each judge on held-out segments) | – | 0.5 | {ceilings} | {real_key:.3f} |")
    for name, jobs in composers.items():
        along = [job["along_piece"][bars] for job in jobs]
        cells = " | ".join(
            f"{_spread([a['judges'][judge]['first']['accuracy'] for a in along])} | "
            f"{_spread([a['judges'][judge]['last']['accuracy'] for a in along])}"
            for judge in judges
        )
        rows.append(
            f"| {name} | {len(jobs)} | {_spread([job['realness']['auc'] for job in jobs])} | {cells} | "
            f"{_spread([a['successive_same_key'] for a in along])} |"
        )
    return [f"{bars}-bar pieces, 4Q accuracy of each judge (chance .25):", "", *rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the evaluations: <folder>/<composer>/<job>/results.json")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder}: no such folder", file=sys.stderr)
        return 2
    composers = _jobs(args.folder)
    if not composers:
        print(f"error: {args.folder}: no <composer>/<job>/results.json inside", file=sys.stderr)
        return 2
    jobs = [job for runs in composers.values() for job in runs]
    lines = [
        f"# The composers side by side (`{' '.join(['python experiments/composer_comparison.py', *(argv or sys.argv[1:])])}`)",
        "",
        "Each composer trained with seeds 0, 1, 2 (`make composer-comparison`: the main job's size;",
        "`make transformer-report`: report size), each",
        "checkpoint judged by `python -m emopia_lightning.evaluate_generator` (fresh 4-bar segments per quadrant;",
        "the label_aug=false ablation beside it where given). Mean ± sample std over the seeds.",
        "",
        "## Emotion control",
        "",
        *emotion_rows(composers),
    ]
    if all("metrics" in job for job in jobs):
        lines += [
            "",
            "## What a listener hears, per quadrant (mean over the seeds)",
            "",
            *heard_rows(composers),
        ]
    if all("coherence" in job and "metrics" in job for job in jobs):
        lines += [
            "",
            "## Closeness to real music and long pieces",
            "",
            *overlap_and_coherence_rows(composers),
        ]
    measured = {  # the composers whose evaluations ran the realness test and the long pieces
        name: runs
        for name, runs in composers.items()
        if all("realness" in job and "along_piece" in job and "coherence" in job for job in runs)
    }
    if measured:
        lines += ["", "## Realness and the whole piece", "", *whole_piece_rows(measured)]
        if len(measured) < len(composers):
            left = ", ".join(sorted(set(composers) - set(measured)))
            lines += ["", f"Not measured so (evaluated before the realness test existed): {left}."]
    lines.append("")
    out = args.folder.with_suffix(".md")
    out.write_text("\n".join(lines))
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
