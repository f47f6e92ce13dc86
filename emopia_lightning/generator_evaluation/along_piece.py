"""Does a long piece hold its emotion and its key? Long pieces judged window by window.

Pieces of each length in ``pieces.bars`` (32 and 64 bars by default) are asked for each quadrant
and cut into their successive segments (4-bar windows, 8 s at 120 bpm). Every judge names each
window's quadrant: its accuracy, arousal and valence accuracy and per-quadrant recall at each window
position, the first and the last window side by side, and over all windows. Successive windows
are compared in key (``coherence``), and the first with the last. Real music's reference: each
judge's accuracy on real held-out segments, and successive segments of one real clip.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from emopia_lightning.classical.tonality import estimated_key
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.generator_evaluation.coherence import (
    clip_runs,
    pitch_class_histogram,
    repeated_bar_share,
    successive_agreement,
)
from emopia_lightning.generator_evaluation.emotion_control import LongPieces, SegmentSet, long_pieces
from emopia_lightning.generator_evaluation.emotion_scores import emotion_scores

KEPT = ("accuracy", "arousal_accuracy", "valence_accuracy", "per_quadrant")  # a window position's scores


def _kept(scores: dict) -> dict:
    return {key: scores[key] for key in KEPT}


def judged_along(judge, pieces: LongPieces) -> dict:
    """One judge on every window of ``pieces``: ``by_position`` (scores of the k-th window of every
    piece), ``first``, ``last`` and ``all_windows``."""
    n, k = pieces.segments.shape[:2]
    windows = pieces.segments.reshape(
        n * k, *pieces.segments.shape[2:]
    )  # (pieces * windows, steps, pitches, 2)
    predictions = judge.probabilities(windows).argmax(axis=1).reshape(n, k)
    by_position = [_kept(emotion_scores(pieces.quadrants, predictions[:, j])) for j in range(k)]
    every = emotion_scores(np.repeat(pieces.quadrants, k), predictions.reshape(-1))
    return {
        "by_position": by_position,
        "first": by_position[0],
        "last": by_position[-1],
        "all_windows": _kept(every),
    }


def first_last_same_key(pieces: LongPieces, layout: SegmentLayout) -> float:
    """Share of pieces whose first and last windows are estimated in the same key (both keyed)."""
    same = []
    for segments in pieces.segments:
        first, last = (estimated_key(pitch_class_histogram(s, layout)) for s in (segments[0], segments[-1]))
        if first >= 0 and last >= 0:
            same.append(first == last)
    return float(np.mean(same)) if same else math.nan


def along_piece(judges: dict, pieces: LongPieces, layout: SegmentLayout) -> dict:
    """Every judge's scores along ``pieces``, and their key agreement."""
    return {
        "bars": pieces.bars,
        "n_per_quadrant": int(len(pieces.quadrants) // 4),
        "windows": int(pieces.segments.shape[1]),
        "judges": {name: judged_along(judge, pieces) for name, judge in judges.items()},
        "successive_same_key": successive_agreement(list(pieces.segments), layout)["same_key"],
        "first_last_same_key": first_last_same_key(pieces, layout),
    }


def coherence(cfg, generator, options: dict, real: SegmentSet, pieces: LongPieces, judged: dict) -> dict:
    """Long pieces of ``pieces.bars`` bars: successive segments' key and pitch-class agreement and
    the share of bars that repeat the bar before (real clips; generated, and for a composer that
    chains phrases by a continuity, with each of ``pieces.continuities`` too), and the accuracy per
    segment position of the judge that ``judged`` (:func:`judged_along`) holds."""
    layout = generator.layout
    order = np.argsort(real.clips, kind="stable")
    real_runs = clip_runs(real.rolls[order], real.clips[order])
    chained = {"generated": pieces.segments}  # (4n, segments, steps, pitches, 2)
    if "continuity" in {f.name for f in dataclasses.fields(generator.options_type)}:
        for c in cfg.pieces.continuities:
            chosen = {**options, "continuity": c}
            chained[f"continuity {c}"] = long_pieces(
                generator, cfg.pieces.n, pieces.bars, cfg.seed, chosen
            ).segments
    rows = {"real clips": (real_runs, [np.concatenate(run) for run in real_runs])}
    rows.update({name: (list(p), [x.reshape(-1, *x.shape[2:]) for x in p]) for name, p in chained.items()})
    agreement = {
        name: {**successive_agreement(runs, layout), "repeated_bars": repeated_bar_share(whole, layout.steps_per_bar)}
        for name, (runs, whole) in rows.items()
    }  # fmt: skip
    by_position = [s["accuracy"] for s in judged["by_position"]]
    return {"bars": pieces.bars, "n_per_quadrant": cfg.pieces.n,
            "successive_segments": agreement, "judged_by_position": by_position}  # fmt: skip
