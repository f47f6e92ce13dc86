"""Real against generated, metric by metric and quadrant by quadrant."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.stats import mannwhitneyu

from emopia_lightning.data.labels import HIGH_AROUSAL, QUADRANTS
from emopia_lightning.generator_evaluation.music_metrics import overlapping_area


def _mean_std(values: np.ndarray) -> dict:
    values = values[np.isfinite(values)]
    if not len(values):
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(values.mean()), "std": float(values.std()), "n": int(len(values))}


def per_quadrant_comparison(
    real: Mapping[str, np.ndarray], real_quadrants: np.ndarray,
    generated: Mapping[str, np.ndarray], generated_quadrants: np.ndarray,
) -> dict:  # fmt: skip
    """``{metric: {Q: {real: {mean, std, n}, generated: {...}, overlap}}}`` (overlap: 0..1)."""
    table = {}
    for metric in real:
        table[metric] = {}
        for index, quadrant in enumerate(QUADRANTS):
            a = real[metric][real_quadrants == index]
            b = generated[metric][generated_quadrants == index]
            table[metric][quadrant] = {
                "real": _mean_std(a),
                "generated": _mean_std(b),
                "overlap": overlapping_area(a, b),
            }
    return table


def arousal_claim(values: Mapping[str, np.ndarray], quadrants: np.ndarray, metric: str) -> dict:
    """Low-arousal (Q3, Q4) against high-arousal (Q1, Q2) segments on one metric: means, and the
    one-sided Mann-Whitney U test that low-arousal values tend to be lower.

    Segments of one song are not independent, so on real music the p-value flatters.
    """
    finite = np.isfinite(values[metric])
    high = values[metric][finite & (HIGH_AROUSAL[quadrants] == 1)]
    low = values[metric][finite & (HIGH_AROUSAL[quadrants] == 0)]
    if not len(high) or not len(low):
        return {"low_mean": None, "high_mean": None, "p_value": None, "holds": False}
    p_value = float(mannwhitneyu(low, high, alternative="less").pvalue)
    return {
        "low_mean": float(low.mean()),
        "high_mean": float(high.mean()),
        "p_value": p_value,
        "holds": bool(low.mean() < high.mean() and p_value < 0.01),
    }


def mean_overlap(table: dict) -> float:
    """The mean overlap over every metric and quadrant that has one."""
    overlaps = [cell["overlap"] for metric in table.values() for cell in metric.values()]
    overlaps = [o for o in overlaps if o is not None and not math.isnan(o)]
    return float(np.mean(overlaps)) if overlaps else math.nan
