"""Summarise a multirun: mean ± std of its jobs' metrics, grouped by chosen overrides.

``python -m emopia_lightning.summarize outputs/lstm_official --group task --out experiments/x.md``
reads every job folder's ``metrics.json`` (or a classical or evaluate run's ``results.json``) and
``.hydra/overrides.yaml`` and writes a Markdown table (plus the same numbers as JSON beside it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from emopia_lightning.errors import InputFileError, one_line_errors, writable_folder

METRICS = ("test/acc", "test/f1", "val/acc")  # val/*: the chosen (best-on-validation) checkpoint


def _classical_metrics(results: list[dict]) -> dict[str, float]:
    """A classical run's results.json as metrics: ``{evaluation}/acc``, ``{evaluation}/f1`` and, for
    a quadrant model, ``{evaluation}/arousal`` and ``/valence`` (e.g. ``grouped/acc``, the mean
    over its folds), one model per run."""
    metrics = {}
    for row in results:
        metrics[f"{row['evaluation']}/acc"] = row["accuracy_mean"]
        metrics[f"{row['evaluation']}/f1"] = row["weighted_f1_mean"]
        for half in ("arousal", "valence"):  # a quadrant model's halves (runs since they were kept)
            if row.get(f"{half}_mean") is not None:
                metrics[f"{row['evaluation']}/{half}"] = row[f"{half}_mean"]
    return metrics


def _evaluate_metrics(results: dict) -> dict[str, float]:
    """An evaluate run's results.json as metrics: ``{judge}/{segments}/{acc|arousal|valence|Q1..}``
    (e.g. ``features/generated/acc``), and ``sparse_bars/{segments}``."""
    metrics = {}
    metrics.update({f"agreement/{part}": share for part, share in (results.get("agreement") or {}).items()})
    for judge, parts in results["emotion"].items():
        for part, scores in parts.items():
            metrics[f"{judge}/{part}/acc"] = scores["accuracy"]
            metrics[f"{judge}/{part}/arousal"] = scores["arousal_accuracy"]
            metrics[f"{judge}/{part}/valence"] = scores["valence_accuracy"]
            metrics.update(
                {f"{judge}/{part}/{q}": r for q, r in scores["per_quadrant"].items() if r is not None}
            )
    metrics.update({f"sparse_bars/{part}": share for part, share in results["sparse_bars"].items()})
    return metrics


def _job_metrics(job_dir: Path) -> dict[str, float] | None:
    """A training run's metrics.json, a classical run's or an evaluate run's results.json; None
    for an unfinished job."""
    if (job_dir / "metrics.json").exists():
        return json.loads((job_dir / "metrics.json").read_text())["metrics"]
    if not (job_dir / "results.json").exists():
        return None
    results = json.loads((job_dir / "results.json").read_text())
    return _evaluate_metrics(results) if isinstance(results, dict) else _classical_metrics(results)


def read_jobs(sweep_dir: Path) -> list[dict]:
    """One record per finished job: its overrides (key -> value) and its metrics (a training run's
    metrics.json, or a classical or evaluate run's results.json)."""
    jobs = []
    for job_dir in sorted(p.parent for p in sweep_dir.glob("*/.hydra")):
        metrics = _job_metrics(job_dir)
        if metrics is None:
            continue  # unfinished
        overrides = yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text())
        pairs = dict(o.split("=", 1) for o in overrides if "=" in o)
        jobs.append({"overrides": pairs, "metrics": metrics, "job": job_dir.name})
    return jobs


def sweep_command(sweep_dir: Path) -> str:
    """The command line that made the sweep, rebuilt from its ``multirun.yaml``."""
    config_file = sweep_dir / "multirun.yaml"
    if not config_file.exists():
        return "(unknown: no multirun.yaml)"
    hydra = yaml.safe_load(config_file.read_text())["hydra"]
    overrides = [
        *hydra["overrides"]["task"],
        *(o for o in hydra["overrides"]["hydra"] if "hydra.mode" not in o),
    ]
    return f"python -m emopia_lightning.{hydra['job']['name']} -m " + " ".join(overrides)


def summarize(jobs: list[dict], group: list[str], metrics: tuple[str, ...] = METRICS) -> list[dict]:
    """Rows of mean, sample std and count of each metric per group of jobs."""
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for job in jobs:
        grouped[tuple(job["overrides"].get(key, "-") for key in group)].append(job)
    rows = []
    for key, members in sorted(grouped.items()):
        row = {
            "group": dict(zip(group, key)),
            # The seed override, else the job's folder (an evaluate sweep over checkpoints).
            "seeds": sorted(m["overrides"].get("seed", f"job {m.get('job', '?')}") for m in members),
        }
        for metric in metrics:
            values = [m["metrics"][metric] for m in members if metric in m["metrics"]]
            if values:
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                row[metric] = {
                    "mean": statistics.fmean(values),
                    "std": spread,
                    "n": len(values),
                    "values": values,
                }
        rows.append(row)
    return rows


def to_markdown(rows: list[dict], group: list[str], metrics: tuple[str, ...] = METRICS) -> str:
    header = [*group, *metrics, "seeds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row["group"][g] for g in group]
        for metric in metrics:
            stats = row.get(metric)
            cells.append(f"{stats['mean']:.3f} ± {stats['std']:.3f}" if stats else "-")
        cells.append(",".join(row["seeds"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """This command's arguments (the README test parses the README's lines with it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dirs", type=Path, nargs="+", help="one or more multirun folders, pooled")
    parser.add_argument("--group", nargs="*", default=["task"], help="override keys that define a row")
    parser.add_argument("--metrics", nargs="*", default=list(METRICS), help="metrics to tabulate")
    parser.add_argument("--out", type=Path, help="Markdown file to write (JSON beside it)")
    return parser


@one_line_errors
def main() -> None:
    args = build_parser().parse_args()
    if args.out:
        writable_folder(args.out.parent)
    jobs = [job for sweep_dir in args.sweep_dirs for job in read_jobs(sweep_dir)]
    if not jobs:
        under = " or ".join(map(str, args.sweep_dirs))
        raise InputFileError(f"no finished jobs (*/metrics.json or */results.json) under {under}")
    metrics = tuple(args.metrics)
    rows = summarize(jobs, args.group, metrics)
    commands = "\n".join(f"Runs: `{sweep_command(sweep_dir)}`\n" for sweep_dir in args.sweep_dirs)
    summary_command = "python -m emopia_lightning.summarize " + " ".join(sys.argv[1:])
    table = (
        f"{commands}\nTable: `{summary_command}`\n\n"
        "Mean ± sample std over the runs of each row (the seeds column lists them)"
        + (
            "; val/* and test/* of the best-on-validation checkpoint"
            if any(m.startswith(("val/", "test/")) for m in metrics)
            else ""
        )
        + ".\n\n"
        + to_markdown(rows, args.group, metrics)
    )
    print(table)
    if args.out:
        args.out.write_text(table)
        args.out.with_suffix(".json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
