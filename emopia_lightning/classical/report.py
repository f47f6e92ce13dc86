"""Table 1 as Markdown and JSON, and its pictures (confusion matrices, the decision tree)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.tree import plot_tree  # noqa: E402

# The course report's Table 1 (10-fold random CV, 128-d piano-roll feature): accuracy, std, F1.
REPORT_TABLE1 = {
    "decision_tree": (0.523, 0.031, 0.509),
    "random_forest": (0.552, 0.053, 0.537),
    "logistic_regression": (0.439, 0.067, 0.397),
    "knn": (0.364, 0.149, 0.398),
}


def scheme_title(scheme: str, folds: int) -> str:
    """'random 10-fold CV', 'song-grouped 10-fold CV' or 'official test split'."""
    titles = {"random": f"random {folds}-fold CV", "grouped": f"song-grouped {folds}-fold CV"}
    return titles.get(scheme, "official test split" if scheme == "official" else scheme)


def _cell(summary: dict) -> str:
    if summary["folds"] == 1:
        return f"{summary['accuracy_mean']:.3f} (F1 {summary['weighted_f1_mean']:.3f})"
    return (
        f"{summary['accuracy_mean']:.3f} ± {summary['accuracy_std']:.3f} "
        f"(F1 {summary['weighted_f1_mean']:.3f})"
    )


def _kept(summary: dict) -> str:
    kept = summary["features_kept"]
    if not kept:
        return "all"
    if len(kept) == 1:
        return str(kept[0])
    return f"{sum(kept) / len(kept):.0f} ({min(kept)}–{max(kept)})"


def markdown_table(summaries: Sequence[dict], n_features: int, command: str) -> str:
    """Accuracy ± std across folds (weighted F1) per model and evaluation, and per-class recall."""
    models = list(dict.fromkeys(s["model"] for s in summaries))
    schemes = list(dict.fromkeys(s["evaluation"] for s in summaries))
    by_key = {(s["model"], s["evaluation"]): s for s in summaries}
    folds = {s["evaluation"]: s["folds"] for s in summaries}
    header = [
        "model",
        *(scheme_title(s, folds[s]) for s in schemes),
        f"features kept of {n_features}",
        "report (random CV)",
    ]
    lines = [f"Command: `{command}`", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in models:
        cells = [model] + [_cell(by_key[(model, s)]) if (model, s) in by_key else "-" for s in schemes]
        kept = " / ".join(_kept(by_key[(model, s)]) for s in schemes if (model, s) in by_key)
        report = REPORT_TABLE1.get(model)
        cells += [kept, f"{report[0]:.3f} ± {report[1]:.3f} (F1 {report[2]:.3f})" if report else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Per-class recall (confusion matrices summed over folds):", ""]
    classes = list(summaries[0]["recall"])
    lines += ["| model | evaluation | " + " | ".join(classes) + " |", "|" + "---|" * (len(classes) + 2)]
    for s in summaries:
        recall = " | ".join(f"{s['recall'][c]:.2f}" for c in classes)
        lines.append(f"| {s['model']} | {s['evaluation']} | {recall} |")
    chosen = [s for s in summaries if s["chosen_params"]]
    if chosen:
        lines += ["", "Grid-search choices per fold:", ""]
        lines += [f"- {s['model']} / {s['evaluation']}: {s['chosen_params']}" for s in chosen]
    seconds = sum(s["seconds"] for s in summaries)
    lines += ["", f"Fitting and scoring took {seconds:.0f} s in all."]
    return "\n".join(lines) + "\n"


def write_tables(summaries: Sequence[dict], n_features: int, command: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(list(summaries), indent=2))
    path = out_dir / "results.md"
    path.write_text(markdown_table(summaries, n_features, command))
    return path


def plot_decision_tree(tree, feature_names: Sequence[str], class_names: Sequence[str], path: Path) -> Path:
    """The top levels of a fitted decision tree (deeper levels are summarised as '(...)')."""
    figure, axes = plt.subplots(figsize=(22, 10))
    plot_tree(
        tree,
        max_depth=3,
        feature_names=list(feature_names),
        class_names=list(class_names),
        filled=True,
        impurity=False,
        proportion=True,
        fontsize=8,
        ax=axes,
    )
    axes.set_title(
        f"Decision tree on all clips (depth {tree.get_depth()}, {tree.get_n_leaves()} leaves; top 4 levels)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
