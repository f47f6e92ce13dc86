"""Generate pieces with a trained MuseGAN (``pieces`` writes them out).

Shared by the training callbacks, ``python -m emopia_lightning.generate``, the evaluation and the
page. A piece longer than one segment chains segments as phrases of one piece:

- every segment keeps the piece's shared (style) latent and its emotion label;
- the temporal latents of successive segments follow a walk, ``z_k = c z_{k-1} + sqrt(1 - c^2) e_k``
  with ``c = continuity``: each is still standard normal (what the generator was trained on), but a
  segment starts from where the last one was (``continuity=0`` draws each afresh);
- ``final_chord`` ends the piece on a held chord (:func:`end_on_chord`), not mid-phrase.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data.segment_layout import ONSET, SOUNDING, SegmentLayout

CONTINUITY = 0.2  # correlation of successive segments' temporal latents: real clips' key agreement (README)


def piece_latents(
    model, n_pieces: int, n_segments: int, generator: torch.Generator, continuity: float = CONTINUITY
) -> torch.Tensor:
    """(n_pieces, n_segments, 2, D): one shared latent per piece, a walk of temporal latents."""
    if not 0 <= continuity < 1:
        raise ValueError(f"continuity must be in [0, 1), got {continuity}")
    latents = model.sample_latents(n_pieces * n_segments, generator).view(n_pieces, n_segments, 2, -1)
    latents[:, :, 0] = latents[:, :1, 0].clone()  # every segment of a piece shares its first shared latent
    fresh = math.sqrt(1 - continuity**2)
    for k in range(1, n_segments):
        latents[:, k, 1] = continuity * latents[:, k - 1, 1] + fresh * latents[:, k, 1]
    return latents


def generate_pieces(
    model, labels: torch.Tensor, n_segments: int = 1, generator: torch.Generator | None = None,
    latents: torch.Tensor | None = None, threshold: float = 0.5, continuity: float = CONTINUITY,
) -> np.ndarray:  # fmt: skip
    """(n, n_segments * segment steps, pitches, 2) uint8 pieces (``data.segment_layout``).

    ``latents`` (n, n_segments, 2, D) fixes the inputs (the training callback's fixed latents).
    """
    if latents is None:
        latents = piece_latents(model, len(labels), n_segments, generator, continuity)
    n, n_segments = latents.shape[:2]
    segment_labels = labels.repeat_interleave(n_segments)
    channels = model.generate(latents.reshape(n * n_segments, 2, -1), segment_labels)
    segments = model.layout.from_net(channels.cpu().numpy(), threshold)  # (n * segments, steps, P, 2)
    return segments.reshape(n, -1, *segments.shape[2:])


def end_on_chord(piece: np.ndarray, layout: SegmentLayout) -> np.ndarray:
    """The piece with its last bar replaced by one held chord.

    The chord is every pitch struck within a beat of the last bar's first onset (else of the
    piece's last onset), at its onset velocity, struck together and held to the end; what sounded
    before it stops there. A silent piece is returned unchanged.
    """
    piece = np.array(piece)
    struck_steps = np.flatnonzero(piece[..., ONSET].any(axis=1))
    if not len(struck_steps):
        return piece
    last_bar = len(piece) - layout.steps_per_bar
    in_last_bar = struck_steps[struck_steps >= last_bar]
    first = int(in_last_bar[0] if len(in_last_bar) else struck_steps[-1])
    velocity = piece[first : first + layout.steps_per_beat, :, ONSET].max(axis=0)  # (pitches,)
    piece[first:] = 0
    piece[first, :, ONSET] = velocity
    piece[first:, :, SOUNDING] = velocity
    return piece


def compose_pieces(
    model, labels: torch.Tensor, bars: int, generator: torch.Generator, threshold: float = 0.5,
    continuity: float = CONTINUITY, final_chord: bool = True,
) -> np.ndarray:  # fmt: skip
    """(n, bars * steps_per_bar, pitches, 2) pieces of ``bars`` bars, one per label: whole
    segments chained, cut to length, ending on a held chord if ``final_chord``."""
    layout = model.layout
    n_segments = -(-bars // layout.bars)
    pieces = generate_pieces(model, labels, n_segments, generator, threshold=threshold, continuity=continuity)
    pieces = pieces[:, : bars * layout.steps_per_bar]
    return np.stack([end_on_chord(piece, layout) for piece in pieces]) if final_chord else pieces


def quadrant_labels(n_per_quadrant: int = 1) -> tuple[torch.Tensor, list[str]]:
    """Labels 0..3 each ``n_per_quadrant`` times, and their names Q1..Q4."""
    labels = torch.arange(len(QUADRANTS)).repeat_interleave(n_per_quadrant)
    return labels, [QUADRANTS[i] for i in labels.tolist()]
