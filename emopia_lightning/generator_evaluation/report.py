"""The Markdown report of ``python -m emopia_lightning.evaluate_generator`` (from its results.json)."""

from __future__ import annotations

from pathlib import Path

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.generator_evaluation.comparisons import mean_overlap
from emopia_lightning.generator_evaluation.music_metrics import METRICS
from emopia_lightning.generator_evaluation.pieces_report import along_piece_lines, realness_lines


def _number(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


PART_NAMES = {
    "generated": "generated",
    "ablation": "ablation (label_aug={label_aug})",
    "real": "real held-out ({real_part})",
}


def _judge_name(name: str, judge: dict) -> str:
    if name == "features":
        return f"features ({judge['kind']}; real val {judge['val_accuracy']:.3f})"
    return f"{name} ({judge['kind']})"


def _emotion_rows(results: dict) -> list[str]:
    rows = [
        "| judge | segments | n | accuracy | " + " | ".join(QUADRANTS) + " | arousal | valence |",
        "|---|---|---|---|" + "---|" * len(QUADRANTS) + "---|---|",
    ]
    label_aug = str(results.get("ablation_label_aug")).lower()
    for judge, parts in results["emotion"].items():
        for part, scores in parts.items():
            name = PART_NAMES[part].format(label_aug=label_aug, real_part=results["real_part"])
            recall = " | ".join(_number(scores["per_quadrant"][q]) for q in QUADRANTS)
            rows.append(
                f"| {_judge_name(judge, results['judges'][judge])} | {name} | {scores['n']} | "
                f"**{scores['accuracy']:.3f}** | {recall} | "
                f"{scores['arousal_accuracy']:.3f} | {scores['valence_accuracy']:.3f} |"
            )
    for name, chance in results["chance"].items():
        label = "chance: uniform guess" if name == "uniform" else "chance: always the held-out set's majority"
        blanks = " | ".join("" for _ in QUADRANTS)
        rows.append(
            f"| {label} | | | {chance['accuracy']:.3f} | {blanks} | "
            f"{chance['arousal_accuracy']:.3f} | {chance['valence_accuracy']:.3f} |"
        )
    return rows


def _agreement_lines(results: dict) -> list[str]:
    """Where the two judges disagree: how often they name the same quadrant, per set of segments."""
    agreement = results.get("agreement")
    if not agreement:
        return []
    shares = ", ".join(f"{part} {share:.3f}" for part, share in agreement.items())
    judges = list(results["emotion"])
    gaps = []
    for part in agreement:
        first, second = (results["emotion"][j][part]["accuracy"] for j in judges)
        gaps.append(f"{part} {first - second:+.3f}")
    return [
        "",
        f"The two judges name the same quadrant for this share of segments: {shares}. "
        f"Accuracy of the {judges[0]} judge minus the {judges[1]} judge: {', '.join(gaps)}.",
    ]


def _metric_rows(results: dict) -> list[str]:
    rows = [
        "| metric | " + " | ".join(f"{q} real | {q} generated | {q} overlap" for q in QUADRANTS) + " |",
        "|---|" + "---|---|---|" * len(QUADRANTS),
    ]
    for metric, cells in results["metrics"].items():
        parts = []
        for q in QUADRANTS:
            real, generated = cells[q]["real"], cells[q]["generated"]
            parts.append(
                f"{_number(real['mean'], 2)} ± {_number(real['std'], 2)} | "
                f"{_number(generated['mean'], 2)} ± {_number(generated['std'], 2)} | {_number(cells[q]['overlap'], 2)}"
            )
        rows.append(f"| {metric} | " + " | ".join(parts) + " |")
    return rows


def _claim_rows(results: dict) -> list[str]:
    rows = [
        "| music | metric | low arousal (Q3, Q4) | high arousal (Q1, Q2) | one-sided p | holds |",
        "|---|---|---|---|---|---|",
    ]
    for source, claims in results["arousal_claim"].items():
        for metric, claim in claims.items():
            p = claim["p_value"]
            p = "–" if p is None else ("< 1e-300" if p == 0 else f"{p:.1e}")  # 0: below float range
            rows.append(
                f"| {source} | {metric} | {_number(claim['low_mean'], 2)} | {_number(claim['high_mean'], 2)} | "
                f"{p} | {'yes' if claim['holds'] else 'no'} |"
            )
    return rows


def _coherence_lines(results: dict) -> list[str]:
    if "coherence" not in results:
        return []
    coherence = results["coherence"]
    first_judge = next(iter(results["judges"]))
    lines = [
        "",
        f"## Long pieces ({coherence['bars']} bars, {coherence['n_per_quadrant']} per quadrant)",
        "",
        "Successive segments: the share estimated in the same key (Krumhansl-Kessler profiles) and the "
        "mean cosine of their pitch-class histograms; and the share of bars that strike exactly the "
        "notes of the bar before (a looping model repeats). A MuseGAN's pieces are also chained with "
        "other continuities of their temporal latents (0: independent phrases).",
        "",
        "| segments of | same key | pitch-class cosine | bars repeating the last | pairs |",
        "|---|---|---|---|---|",
    ]
    for name, row in coherence["successive_segments"].items():
        lines.append(
            f"| {name} | {_number(row['same_key'])} | {_number(row['pitch_class_cosine'])} | "
            f"{_number(row.get('repeated_bars', float('nan')))} | {row['pairs']} |"
        )
    positions = ", ".join(f"{k + 1}: {_number(a)}" for k, a in enumerate(coherence["judged_by_position"]))
    return [*lines, "", f"The {first_judge} judge's accuracy by segment position: {positions}."]


def write_report(results: dict, path: str | Path, command: str) -> Path:
    """Write the report; figures are referenced by the file names in ``results['figures']``."""
    figures = results.get("figures", {})
    judges = ", ".join(f"`{name}`" for name in results["judges"])
    lines = [
        "# What the composer delivers: emotion control and musical metrics",
        "",
        f"Command: `{command}` ({results['seconds']:.0f} s). Composer `{results['checkpoint']}` "
        f"({results.get('composer', 'a MuseGAN')}); {results['n_per_quadrant']} segments asked for per "
        f"quadrant (seeds from {results['seed']}, options {results.get('options') or 'its defaults'}). "
        f"Judges: {judges}, classifiers trained on real segments "
        "only (the official split's training songs) and chosen on its validation songs.",
        "",
        "## Emotion control",
        "",
        "Each judge names the quadrant of each generated segment. Rows: accuracy against the quadrant "
        "asked for (generated) or the true one (real); per-quadrant recall; arousal and valence read off "
        f"the quadrants. The real held-out ({results['real_part']}) rows are each judge's ceiling on real "
        "music it never saw.",
        "",
        *_emotion_rows(results),
        *_agreement_lines(results),
        "",
        "Share of bars with fewer than two note onsets: "
        + ", ".join(f"{part} {share:.3f}" for part, share in results["sparse_bars"].items())
        + ".",
        "",
        " ".join(f"![{name}]({file})" for name, file in figures.items() if name.startswith("confusion_")),
    ]
    lines += _coherence_lines(results) + along_piece_lines(results) + realness_lines(results)
    if "metrics" not in results:  # fast=true: emotion control only
        path = Path(path)
        path.write_text("\n".join(lines) + "\n")
        return path
    lines += [
        "",
        "## Musical metrics, real against generated",
        "",
        f"Per quadrant: mean ± std over segments ({results['n_real_segments']} real), and the overlap "
        "of the two histograms (20 bins over both samples; 1 = same distribution). Mean overlap over all "
        f"cells: {mean_overlap(results['metrics']):.2f}.",
        "",
        *_metric_rows(results),
        "",
        f"![metric distributions]({figures['metric_distributions']})",
        "",
        "Definitions:",
        "",
        *[f"- `{name}`: {meaning}" for name, meaning in METRICS.items()],
        "",
        "## Lower arousal: fewer notes and a lower register?",
        "",
        "The course report's claim, per segment (segments of one song are not independent, so real "
        "music's p-values flatter):",
        "",
        *_claim_rows(results),
        "",
        "## Piano rolls",
        "",
        f"![generated]({figures['piano_rolls_generated']})",
        "",
    ]
    if "piano_rolls_real" in figures:
        lines += [f"![real held-out]({figures['piano_rolls_real']})", ""]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path
