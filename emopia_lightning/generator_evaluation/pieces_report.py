"""The report's sections on whole pieces: realness (real against generated windows) and emotion
along long pieces, from ``evaluate_generator``'s results."""

from __future__ import annotations

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.generator_evaluation.window_features import WINDOW_FEATURES


def _number(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def realness_lines(results: dict) -> list[str]:
    """The two-sample test: AUC, accuracy and the features that give the music away."""
    if "realness" not in results:
        return []
    test = results["realness"]
    rows = ["| feature | importance | real | generated | what it measures |", "|---|---|---|---|---|"]
    for row in test["give_away"]:
        rows.append(
            f"| {row['feature']} | {row['importance']:.3f} | {_number(row['real'], 2)} | "
            f"{_number(row['generated'], 2)} | {WINDOW_FEATURES[row['feature']]} |"
        )
    return [
        "",
        "## Realness: can a classifier tell the music from real?",
        "",
        f"A random forest ({test['trees']} trees) on {len(WINDOW_FEATURES)} features of 4-bar windows of notes "
        "as they sound (the sustain pedal applied), real windows of the official split's "
        f"{' and '.join(test['real_parts'])} songs ({test['windows']['real']} windows of "
        f"{test['groups']['real']} songs) against the {test['generated_from']} "
        f"({test['windows']['generated']} windows of {test['groups']['generated']} pieces), in "
        f"{test['folds']} folds grouped by song and by piece. Out-of-fold **AUC {test['auc']:.3f}** "
        f"(.5: cannot be told apart, 1: every window gives itself away), balanced accuracy {test['accuracy']:.3f}.",
        "",
        "What gives the music away (the forest's mean impurity importance; means over windows):",
        "",
        *rows,
    ]


def along_piece_lines(results: dict) -> list[str]:
    """Each judge's accuracy per window position, first against last, quadrant recall, keys."""
    if "along_piece" not in results:
        return []
    lines = [
        "",
        "## Emotion along the piece",
        "",
        "Pieces asked for each quadrant, cut into successive 4-bar windows (8 s at 120 bpm), each window "
        "judged. Accuracy (4Q) per window position; real held-out: the judge on real test-song segments.",
    ]
    for bars, along in results["along_piece"].items():
        windows = along["windows"]
        header = " | ".join(str(k + 1) for k in range(windows))
        lines += [
            "",
            f"### {bars} bars ({along['n_per_quadrant']} per quadrant)",
            "",
            f"| judge | score | {header} | all windows | real held-out |",
            "|---|---|" + "---|" * windows + "---|---|",
        ]
        for judge, judged in along["judges"].items():
            real = results["emotion"][judge]["real"]
            for score, name in (
                ("accuracy", "4Q"),
                ("arousal_accuracy", "arousal"),
                ("valence_accuracy", "valence"),
            ):
                cells = " | ".join(_number(p[score], 2) for p in judged["by_position"])
                lines.append(
                    f"| {judge} | {name} | {cells} | {_number(judged['all_windows'][score])} | {_number(real[score])} |"
                )
            for q in QUADRANTS:
                cells = " | ".join(_number(p["per_quadrant"][q], 2) for p in judged["by_position"])
                all_windows = judged["all_windows"]["per_quadrant"][q]
                lines.append(
                    f"| {judge} | {q} recall | {cells} | {_number(all_windows)} | {_number(real['per_quadrant'][q])} |"
                )
        lines += [
            "",
            f"Successive windows in the same estimated key: {_number(along['successive_same_key'])}; "
            f"first and last window: {_number(along['first_last_same_key'])}.",
        ]
    figure = results.get("figures", {}).get("along_piece")
    return [*lines, "", f"![emotion along the piece]({figure})"] if figure else lines
