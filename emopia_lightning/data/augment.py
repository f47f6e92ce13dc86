"""Training-time augmentation of roll sequences; each change keeps the emotion label.

- ``transpose``: shift every note by the same random number of semitones in ``[-transpose,
  transpose]`` (mode and contour, which carry valence, survive; notes pushed off the roll drop).
- ``crop``: take a random window of the clip instead of its start (time shift).
- ``velocity_jitter``: scale all velocities by one random factor in ``[1 - j, 1 + j]``.

Randomness comes from torch's generator, so ``seed_everything(workers=True)`` makes it repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Augment:
    transpose: int = 0
    crop: bool = False
    velocity_jitter: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.transpose or self.crop or self.velocity_jitter)

    def window(self, n_frames: int, max_frames: int | None) -> slice:
        """The frames to keep: a random window when cropping, else the start."""
        if max_frames is None or n_frames <= max_frames:
            return slice(0, n_frames)
        start = int(torch.randint(0, n_frames - max_frames + 1, ())) if self.crop else 0
        return slice(start, start + max_frames)

    def __call__(self, roll: torch.Tensor) -> torch.Tensor:
        """(frames, P) -> (frames, P), values in [0, 1]."""
        if self.transpose:
            shift = int(torch.randint(-self.transpose, self.transpose + 1, ()))
            shifted = torch.zeros_like(roll)
            if shift >= 0:
                shifted[:, shift:] = roll[:, : roll.shape[1] - shift]
            else:
                shifted[:, :shift] = roll[:, -shift:]
            roll = shifted
        if self.velocity_jitter:
            factor = 1.0 + (torch.rand(()) * 2 - 1) * self.velocity_jitter
            roll = (roll * factor).clamp(0.0, 1.0)
        return roll
