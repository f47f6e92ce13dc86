"""A reduced ShortChunkCNN_Res (Won et al., 2020) over piano-roll chunks; a clip's logits average
its chunks'.

The audio original reads short mel-spectrogram chunks through 7 residual blocks of 128-512
channels; here a chunk is ``chunk_frames`` frames of the piano roll, read as a one-channel image
of pitch x time, through 6 blocks of 32-128 channels by default (EMOPIA has ~1,000 clips).
Logits go to cross-entropy (the authors' audio version put a sigmoid before it; this does not).
"""

from __future__ import annotations

import torch
from torch import nn


class ResBlock2d(nn.Module):
    """3x3 conv, BN, ReLU, 3x3 conv, BN, plus a (projected when the shape changes) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.shortcut(x))  # (B, C_out, P / stride, T / stride)


class ShortChunkCNNRes(nn.Module):
    """(B, T, P) padded rolls + (B,) lengths -> (B, num_classes) logits.

    Each clip is cut into back-to-back chunks of ``chunk_frames`` (its last partial chunk is
    zero-padded); every chunk goes through the residual CNN, whose output is max-pooled over pitch
    and time; the clip's logits are the mean over its real chunks.
    """

    def __init__(
        self,
        input_size: int,
        num_classes: int,
        chunk_frames: int = 64,
        channels: tuple[int, ...] = (32, 32, 64, 64, 128, 128),
        dense: int = 128,
        dropout: float = 0.5,
    ):
        super().__init__()
        self.chunk_frames = chunk_frames
        widths = (1, *channels)
        self.blocks = nn.Sequential(
            nn.BatchNorm2d(1), *(ResBlock2d(a, b) for a, b in zip(widths[:-1], widths[1:]))
        )
        self.head = nn.Sequential(
            nn.Linear(channels[-1], dense),
            nn.BatchNorm1d(dense),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(dense, num_classes),
        )

    def forward(self, rolls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        batch, frames, pitches = rolls.shape
        n_chunks = -(-frames // self.chunk_frames)
        padded = torch.nn.functional.pad(rolls, (0, 0, 0, n_chunks * self.chunk_frames - frames))
        chunks = padded.reshape(batch * n_chunks, self.chunk_frames, pitches)  # (B*n, C, P)
        starts = torch.arange(n_chunks, device=rolls.device)[None] * self.chunk_frames
        real = starts < lengths.to(rolls.device)[:, None]  # (B, n) chunks holding some of the clip
        # Only real chunks go through the net: padding would shift BatchNorm's batch statistics.
        images = chunks[real.reshape(-1)].transpose(1, 2).unsqueeze(1)  # (R, 1, P, C): pitch x time
        features = self.blocks(images).amax(dim=(2, 3))  # (R, channels[-1])
        chunk_logits = self.head(features)  # (R, classes); bf16 under autocast, like features
        logits = chunk_logits.new_zeros(batch * n_chunks, chunk_logits.shape[-1])  # (B*n, classes)
        logits[real.reshape(-1)] = chunk_logits
        weights = real.float() / real.sum(dim=1, keepdim=True)  # (B, n) mean over real chunks
        return (logits.reshape(batch, n_chunks, -1) * weights.unsqueeze(-1)).sum(dim=1)  # (B, classes)
