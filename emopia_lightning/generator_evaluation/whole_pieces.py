"""The whole-piece part of ``evaluate_generator``: long pieces (coherence, emotion along the piece)
and realness (real against generated 4-bar windows), each on or off by the config's options.

``pieces.n`` and ``realness.enabled`` default to null: on in the full report, off with
``fast=true`` (which is then a matter of seconds); a value given turns either on or off in both.
"""

from __future__ import annotations

import logging

from omegaconf import DictConfig, ListConfig

from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.along_piece import along_piece, coherence
from emopia_lightning.generator_evaluation.emotion_control import LongPieces, SegmentSet, long_pieces
from emopia_lightning.generator_evaluation.realness import REAL_PARTS, Windows, real_windows, two_sample_test
from emopia_lightning.generator_evaluation.window_features import pieces_windows

log = logging.getLogger(__name__)

FULL_REPORT_PIECES = 10  # pieces per quadrant and length when pieces.n is null and fast=false


def pieces_per_quadrant(cfg: DictConfig) -> int:
    n = cfg.pieces.n
    if n is None:
        return 0 if cfg.fast else FULL_REPORT_PIECES
    if not isinstance(n, int) or n < 0:
        raise RequestError(f"pieces.n must be a whole number, 0 or more (or null), got {n!r}")
    return n


def piece_lengths(cfg: DictConfig) -> list[int]:
    """``pieces.bars`` as a list of lengths (one number is one length)."""
    bars = list(cfg.pieces.bars) if isinstance(cfg.pieces.bars, ListConfig | list) else [cfg.pieces.bars]
    if not bars or not all(isinstance(b, int) and b > 0 for b in bars):
        raise RequestError(f"pieces.bars must be a length in bars or a list of them, got {cfg.pieces.bars!r}")
    return bars


def realness_on(cfg: DictConfig) -> bool:
    enabled = cfg.realness.enabled
    if enabled is not None and not isinstance(enabled, bool):
        raise RequestError(f"realness.enabled must be true, false or null, got {enabled!r}")
    return (not cfg.fast) if enabled is None else enabled


def check(cfg: DictConfig) -> None:
    """Refuse bad whole-piece options before any work."""
    pieces_per_quadrant(cfg)
    piece_lengths(cfg)
    parts = list(cfg.realness.real_parts)
    if realness_on(cfg) and (not parts or not set(parts) <= set(REAL_PARTS)):
        raise RequestError(
            f"realness.real_parts must be some of {', '.join(REAL_PARTS)} (held-out songs, never the "
            f"training songs a composer learnt from), got {parts}"
        )


def whole_pieces(cfg: DictConfig, generator, options: dict, judges: dict, real: SegmentSet,
                 generated: SegmentSet) -> dict:  # fmt: skip
    """``coherence`` (the first length's pieces), ``along_piece`` (per length, every judge) and
    ``realness``, each where the config asks for it."""
    results = {}
    n = pieces_per_quadrant(cfg)
    pieces: dict[int, LongPieces] = {}
    if n:
        for bars in piece_lengths(cfg):
            log.info("Composing %d pieces of %d bars per quadrant", n, bars)
            pieces[bars] = long_pieces(generator, n, bars, cfg.seed, options)
        along = {str(bars): along_piece(judges, p, generator.layout) for bars, p in pieces.items()}
        first = piece_lengths(cfg)[0]
        judged = along[str(first)]["judges"][next(iter(judges))]
        results["coherence"] = coherence(cfg, generator, options, real, pieces[first], judged)
        results["along_piece"] = along
    if realness_on(cfg):
        results["realness"] = _realness(cfg, pieces, generated, generator.layout)
    return results


def _realness(cfg: DictConfig, pieces: dict[int, LongPieces], generated: SegmentSet, layout) -> dict:
    """The two-sample test on windows of a segment's bars: the longest pieces' windows (or the
    4-bar segments' when no long pieces are composed)."""
    if pieces:
        longest = pieces[max(pieces)]
        notes, bars, source = longest.notes, longest.bars, f"windows of {longest.bars}-bar pieces"
    else:
        notes, bars, source = generated.notes, layout.bars, f"{layout.bars}-bar segments"
    features, groups = pieces_windows(
        notes,
        [f"piece {i}" for i in range(len(notes))],
        layout.bars,
        [bars * layout.beats_per_bar] * len(notes),
    )
    real = real_windows(cfg.paths.data_dir, cfg.paths.cache_dir, list(cfg.realness.real_parts), layout.bars)
    log.info("Realness: %d real against %d generated windows", len(real), len(features))
    test = two_sample_test(real, Windows(features, groups), cfg.realness.trees, cfg.realness.folds,
                           cfg.realness.top, cfg.seed)  # fmt: skip
    return {**test, "real_parts": list(cfg.realness.real_parts), "generated_from": source}
