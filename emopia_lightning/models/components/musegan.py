"""Single-track MuseGAN nets (Dong et al., 2018), optionally conditioned on an emotion label.

Segments are ``(B, bars, steps, pitches)`` values in [0, 1] (4 x 16 x 84 by default). The nets
are lean on purpose: a report-scale run (20k generator steps with ``n_critic`` critic steps each)
must fit in half an hour on two CPU cores.

- :class:`MuseGANGenerator`: a shared latent (the piece's style) and a temporal latent which the
  temporal network turns into one latent per bar; the bar generator turns (shared, bar latent,
  label embedding) into a bar with transposed convolutions over time, then over pitch (one octave
  cell becomes its 12 pitches).
- :class:`MuseGANCritic`: mirrors it with convolutions (octave cells, beats, bars), then a dense
  layer; conditioned by projection (Miyato & Koyama, 2018): the score adds ``<embed(label), h>``.

Every convolution here has kernel = stride (time halves/doubles, octave cells <-> 12 pitches), so
each is written as a linear map over non-overlapping patches on a channels-last tensor: the same
function as ``Conv2d``/``ConvTranspose2d`` with those kernels, 3-4x faster on a CPU, where
small strided convolutions (and the critic's double backward through them) are dominated by
overhead.

``n_classes=0`` builds the unconditional nets, which ignore labels.

``binary=True`` makes the generator's notes deterministic binary neurons (BinaryMuseGAN, Dong &
Yang 2018): in training its output is 0/1 (a note sounds where its probability exceeds one half),
with the straight-through estimator's gradient, so the critic compares binary rolls with binary
rolls and cannot be fooled by many half-on cells; in eval mode it returns the probabilities.
"""

from __future__ import annotations

import torch
from torch import nn


def _label_embedding(n_classes: int, dim: int) -> nn.Embedding | None:
    return nn.Embedding(n_classes, dim) if n_classes > 0 else None


def _check_shape(steps_per_bar: int, n_pitches: int) -> None:
    if n_pitches % 12 or steps_per_bar % 4:
        raise ValueError(
            f"need whole octaves and beats: n_pitches={n_pitches}, steps_per_bar={steps_per_bar}"
        )


class TimeUpsample(nn.Module):
    """Transposed convolution over time with kernel = stride = ``factor``, channels last:
    (N, T, O, C_in) -> (N, T * factor, O, C_out), then batch norm and ReLU."""

    def __init__(self, in_channels: int, out_channels: int, factor: int = 2):
        super().__init__()
        self.factor, self.out_channels = factor, out_channels
        self.linear = nn.Linear(in_channels, factor * out_channels)
        self.norm = nn.BatchNorm1d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, steps, octaves, _ = x.shape
        y = self.linear(x).view(n, steps, octaves, self.factor, self.out_channels)
        y = y.transpose(2, 3).reshape(-1, self.out_channels)  # (N * T*f * O, C_out)
        y = torch.relu(self.norm(y))
        return y.view(n, steps * self.factor, octaves, self.out_channels)


class TimeDownsample(nn.Module):
    """Convolution over time with kernel = stride = ``factor``, channels last:
    (N, T, O, C_in) -> (N, T / factor, O, C_out), then leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, factor: int):
        super().__init__()
        self.factor = factor
        self.linear = nn.Linear(factor * in_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, steps, octaves, channels = x.shape
        patches = x.view(n, steps // self.factor, self.factor, octaves, channels).transpose(2, 3)
        patches = patches.reshape(n, steps // self.factor, octaves, self.factor * channels)
        return nn.functional.leaky_relu(self.linear(patches), 0.2)


class MuseGANGenerator(nn.Module):
    """latents (B, 2, latent_dim) [shared, temporal] + labels (B,) -> (B, bars, steps, pitches)."""

    def __init__(
        self,
        latent_dim: int = 64,
        n_classes: int = 4,
        label_dim: int = 16,
        n_bars: int = 4,
        steps_per_bar: int = 16,
        n_pitches: int = 84,
        channels: tuple[int, int, int] = (64, 32, 16),
        binary: bool = False,
        initial_density: float = 0.5,
    ):
        super().__init__()
        _check_shape(steps_per_bar, n_pitches)
        self.latent_dim, self.n_bars, self.binary = latent_dim, n_bars, binary
        self.octaves, self.first_steps = n_pitches // 12, steps_per_bar // 4
        self.label_embedding = _label_embedding(n_classes, label_dim)
        condition = label_dim if n_classes > 0 else 0
        self.temporal = nn.Sequential(  # temporal latent (+ label) -> one latent per bar
            nn.Linear(latent_dim + condition, n_bars * latent_dim),
            nn.BatchNorm1d(n_bars * latent_dim),
            nn.ReLU(inplace=True),
        )
        c0, c1, c2 = channels
        self.channels0 = c0
        self.project = nn.Sequential(  # (shared, bar latent, label) -> (steps / 4, octaves, c0)
            nn.Linear(2 * latent_dim + condition, self.first_steps * self.octaves * c0),
            nn.BatchNorm1d(self.first_steps * self.octaves * c0),
            nn.ReLU(inplace=True),
        )
        self.upsample = nn.Sequential(TimeUpsample(c0, c1), TimeUpsample(c1, c2))  # time x4: a bar
        self.to_pitches = nn.Linear(c2, 12)  # an octave cell -> its 12 pitches
        # Start near the data's share of sounding cells rather than at one half: a generator that
        # starts with every cell half on spends its first thousands of steps learning to be quiet.
        if not 0 < initial_density < 1:
            raise ValueError(f"initial_density must be in (0, 1), got {initial_density}")
        nn.init.constant_(self.to_pitches.bias, float(torch.logit(torch.tensor(initial_density))))

    @property
    def conditional(self) -> bool:
        return self.label_embedding is not None

    def forward(self, latents: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        batch = len(latents)
        shared, temporal = latents[:, 0], latents[:, 1]  # (B, D) each
        condition = [self.label_embedding(labels)] if self.conditional else []  # (B, label_dim)
        bar_latents = self.temporal(torch.cat([temporal, *condition], dim=1))
        bar_latents = bar_latents.view(batch, self.n_bars, self.latent_dim)  # (B, bars, D)
        per_bar = [shared[:, None].expand(-1, self.n_bars, -1), bar_latents]
        if condition:
            per_bar.append(condition[0][:, None].expand(-1, self.n_bars, -1))
        bar_inputs = torch.cat(per_bar, dim=2).reshape(batch * self.n_bars, -1)  # (B*bars, 2D+label)
        hidden = self.project(bar_inputs).view(-1, self.first_steps, self.octaves, self.channels0)
        hidden = self.upsample(hidden)  # (B*bars, steps, octaves, c2)
        notes = torch.sigmoid(self.to_pitches(hidden))  # (B*bars, steps, octaves, 12)
        if self.binary and self.training:  # forward 0/1, backward the sigmoid's gradient
            notes = notes + ((notes > 0.5).to(notes.dtype) - notes).detach()
        return notes.reshape(batch, self.n_bars, hidden.shape[1], self.octaves * 12)


class MuseGANCritic(nn.Module):
    """(B, bars, steps, pitches) + labels (B,) -> (B,) Wasserstein scores (no normalisation layers,
    as WGAN-GP's gradient penalty asks).

    ``aux_classes > 0`` adds an auxiliary classifier head on the same features (AC-GAN, Odena et
    al. 2017): ``score_and_logits`` returns its class logits beside the scores.
    """

    def __init__(
        self,
        n_classes: int = 4,
        n_bars: int = 4,
        steps_per_bar: int = 16,
        n_pitches: int = 84,
        channels: tuple[int, int, int] = (16, 32, 64),
        hidden: int = 128,
        aux_classes: int = 0,
    ):
        super().__init__()
        _check_shape(steps_per_bar, n_pitches)
        c0, c1, c2 = channels
        self.octaves = n_pitches // 12
        self.from_pitches = nn.Linear(12, c0)  # an octave's 12 pitches -> an octave cell
        self.downsample = nn.Sequential(
            TimeDownsample(c0, c1, steps_per_bar // 4),  # steps -> beats
            TimeDownsample(c1, c2, 4),  # beats -> bars
        )
        self.dense = nn.Linear(n_bars * self.octaves * c2, hidden)
        self.score = nn.Linear(hidden, 1)
        self.label_embedding = _label_embedding(n_classes, hidden)
        self.classify = nn.Linear(hidden, aux_classes) if aux_classes > 0 else None

    @property
    def conditional(self) -> bool:
        return self.label_embedding is not None

    def forward(self, segments: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.score_and_logits(segments, labels)[0]

    def score_and_logits(
        self, segments: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B,) scores and (B, aux_classes) auxiliary logits (None without the head)."""
        batch, bars, steps, pitches = segments.shape
        cells = segments.reshape(batch, bars * steps, self.octaves, 12)
        features = nn.functional.leaky_relu(self.from_pitches(cells), 0.2)  # (B, T, octaves, c0)
        features = self.downsample(features)  # (B, bars, octaves, c2)
        hidden = nn.functional.leaky_relu(self.dense(features.flatten(1)), 0.2)  # (B, hidden)
        score = self.score(hidden).squeeze(1)
        if self.conditional:
            score = score + (self.label_embedding(labels) * hidden).sum(dim=1)  # projection
        return score, None if self.classify is None else self.classify(hidden)
