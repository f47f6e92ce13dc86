"""Generate pieces with a trained MuseGAN, for ``composing.compose``. A piece longer than one
segment chains segments as phrases of one piece:

- every segment keeps the piece's shared (style) latent; its emotion label is the request's plan at
  that phrase (``phrase_labels``: an emotion that turns changes at the phrase line nearest the turn);
- the temporal latents of successive segments follow a walk, ``z_k = c z_{k-1} + sqrt(1 - c^2) e_k``
  with ``c = continuity``: each is still standard normal (what the generator was trained on), but a
  segment starts from where the last one was (``continuity=0`` draws each afresh);
- ``composing.compose`` cuts the piece to its bars and ends it (``composing.endings``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from emopia_lightning.composing.composer import ComposeOptions, in_range
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.segment_layout import piece_to_notes
from emopia_lightning.errors import RequestError

CONTINUITY = 0.2  # correlation of successive segments' temporal latents: real clips' key agreement (experiments/generation_history.md)


def piece_latents(
    model, n_pieces: int, n_segments: int, generator: torch.Generator, continuity: float = CONTINUITY
) -> torch.Tensor:
    """(n_pieces, n_segments, 2, D): one shared latent per piece, a walk of temporal latents."""
    if not 0 <= continuity < 1:
        raise RequestError(f"continuity must be in [0, 1), got {continuity}")
    latents = model.sample_latents(n_pieces * n_segments, generator).view(n_pieces, n_segments, 2, -1)
    latents[:, :, 0] = latents[:, :1, 0].clone()  # every segment of a piece shares its first shared latent
    fresh = math.sqrt(1 - continuity**2)
    for k in range(1, n_segments):
        latents[:, k, 1] = continuity * latents[:, k - 1, 1] + fresh * latents[:, k, 1]
    return latents


def phrase_labels(plan: Sequence[int], phrase_bars: int, n_segments: int) -> list[int]:
    """The quadrant of each of ``n_segments`` phrases of ``phrase_bars`` bars: the plan's at the
    phrase's middle bar line (so a turn falls on the phrase line nearest to it; halfway, the later),
    the plan's last where the phrase lies past the plan's end."""
    middle = phrase_bars // 2
    return [plan[min(k * phrase_bars + middle, len(plan) - 1)] for k in range(n_segments)]


def generate_pieces(model, labels: torch.Tensor, latents: torch.Tensor, threshold: float = 0.5) -> np.ndarray:
    """(n, n_segments * segment steps, pitches, 2) uint8 pieces (``data.segment_layout``) of
    (n, n_segments, 2, D) latents; ``labels`` (n,) one label a piece, or (n, n_segments) one a
    segment."""
    n, n_segments = latents.shape[:2]
    segment_labels = labels.repeat_interleave(n_segments) if labels.dim() == 1 else labels.reshape(-1)
    channels = model.generate(latents.reshape(n * n_segments, 2, -1), segment_labels)
    segments = model.layout.from_net(channels.cpu().numpy(), threshold)  # (n * segments, steps, P, 2)
    return segments.reshape(n, -1, *segments.shape[2:])


@dataclass(frozen=True)
class MuseGANOptions(ComposeOptions):
    threshold: float = 0.5  # a note sounds (and starts) where the generator's probability exceeds it
    continuity: float = CONTINUITY  # how closely each phrase follows the last (0: independent phrases)

    def __post_init__(self) -> None:
        super().__post_init__()
        in_range("threshold", self.threshold, 0, 1, low_open=True)
        if not 0 <= self.continuity < 1:
            raise RequestError(f"continuity must be in [0, 1), got {self.continuity!r}")


def compose_notes(model, requests: Sequence[PieceRequest], options: MuseGANOptions) -> list[Notes]:
    """Each checked request's notes: whole segments chained as one piece, from latents its own seed
    draws (the same seed gives every emotion the same latents), each segment labelled by the
    request's plan (``phrase_labels``), generated together where the pieces are of one length."""
    layout = model.layout
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, request in enumerate(requests):
        by_length[-(-request.bars // layout.bars)].append(i)
    notes: list[Notes | None] = [None] * len(requests)
    for n_segments, items in by_length.items():
        latents = torch.cat([
            piece_latents(model, 1, n_segments, torch.Generator().manual_seed(requests[i].seed), options.continuity)
            for i in items
        ])  # fmt: skip
        labels = torch.tensor([phrase_labels(requests[i].plan, layout.bars, n_segments) for i in items])
        pieces = generate_pieces(model, labels, latents, options.threshold)
        for i, piece in zip(items, pieces):
            notes[i] = piece_to_notes(piece, layout, requests[i].qpm)
    return notes
