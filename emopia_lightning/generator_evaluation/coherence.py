"""Do the phrases of a long piece hang together? Key and pitch-class agreement of successive
segments, and how often a bar repeats the bar before it.

Each segment's pitch-class histogram weights every note by its length. Its key is the major or
minor key whose Krumhansl-Kessler profile correlates best with that histogram (Krumhansl, 1990).
Two successive segments agree in key when both get the same one of the 24 keys. Their pitch-class
similarity is the cosine of their histograms. Real music gives the reference: successive 4-bar
segments of one EMOPIA clip.
"""

from __future__ import annotations

import math

import numpy as np

from emopia_lightning.classical.tonality import estimated_key
from emopia_lightning.data.segment_layout import ONSET, SegmentLayout, piece_notes


def pitch_class_histogram(piece: np.ndarray, layout: SegmentLayout) -> np.ndarray:
    """(12,) note lengths per pitch class of a (steps, pitches, 2) piece (zeros when silent)."""
    notes = piece_notes(piece)
    return np.bincount((notes.column + layout.lowest_pitch) % 12, weights=notes.length, minlength=12)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norms) if norms else math.nan


def successive_agreement(segment_runs: list[np.ndarray], layout: SegmentLayout) -> dict[str, float]:
    """Over every pair of successive segments in ``segment_runs`` (each (k, steps, pitches, 2), one
    piece or clip cut in order): the share in the same key, the mean pitch-class cosine, and pairs."""
    same_key, cosines = [], []
    for run in segment_runs:
        histograms = [pitch_class_histogram(segment, layout) for segment in run]
        keys = [estimated_key(h) for h in histograms]
        for k in range(1, len(run)):
            if keys[k - 1] >= 0 and keys[k] >= 0:  # silent segments have no key to agree on
                same_key.append(keys[k - 1] == keys[k])
            cosines.append(_cosine(histograms[k - 1], histograms[k]))
    return {
        "same_key": float(np.mean(same_key)) if same_key else math.nan,
        "pitch_class_cosine": float(np.nanmean(cosines)) if cosines else math.nan,
        "pairs": len(cosines),
    }


def clip_runs(pieces: np.ndarray, clips: np.ndarray) -> list[np.ndarray]:
    """Real segments grouped into runs of successive segments of one clip (segments in clip order)."""
    starts = np.flatnonzero(np.diff(clips, prepend=-1))
    return [run for run in np.split(pieces, starts[1:]) if len(run) > 1]


def repeated_bar_share(pieces: list[np.ndarray], steps_per_bar: int) -> float:
    """Over every bar after the first of each (steps, pitches, 2) piece: the share that strikes
    exactly the notes the bar before it struck (the same pitches at the same steps of the bar; two
    silent bars do not count as a repeat). A language model that loops repeats often; real
    music's share is the reference."""
    repeats, pairs = 0, 0
    for piece in pieces:
        onsets = np.asarray(piece)[..., ONSET] > 0  # (steps, pitches)
        bars = onsets[: len(onsets) // steps_per_bar * steps_per_bar].reshape(
            -1, steps_per_bar * onsets.shape[1]
        )
        for previous, bar in zip(bars[:-1], bars[1:]):
            pairs += 1
            repeats += bool(bar.any() and np.array_equal(previous, bar))
    return repeats / pairs if pairs else math.nan
