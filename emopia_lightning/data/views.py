"""Test-time views of a whole clip for models trained on a window of it."""

from __future__ import annotations

import torch


def covering_windows(length: int, size: int | None) -> list[slice]:
    """Windows of ``size`` steps that together cover all ``length``: consecutive from the start,
    the last one ending at the clip's end (overlapping its neighbour rather than padded), so
    every view is as long as the model's training windows; the whole clip when it fits in one."""
    if size is None or length <= size:
        return [slice(0, length)]
    starts = list(range(0, length - size, size)) + [length - size]
    return [slice(start, start + size) for start in starts]


def stacked_windows(sequence: torch.Tensor, size: int | None) -> torch.Tensor:
    """(T, ...) -> (views, min(T, size), ...): the :func:`covering_windows` of a clip, stacked."""
    return torch.stack([sequence[window] for window in covering_windows(len(sequence), size)])
