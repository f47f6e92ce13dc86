"""Single-track MuseGAN nets (Dong et al., 2018), optionally conditioned on an emotion label.

Segments are ``(B, bars, steps, pitches, 3)`` channels in [0, 1] (``data.segment_layout``: onset,
sounding, velocity; 4 x 16 x 84 x 3 by default), and both nets take the ``SegmentLayout``. The nets
are lean on purpose: a report-scale run (20k generator steps with ``n_critic`` critic steps each)
must fit in half an hour on two CPU cores.

- :class:`MuseGANGenerator`: a shared latent (the piece's style) and a temporal latent which the
  temporal network turns into one latent per bar; the bar generator turns (shared, bar latent,
  label embedding) into a bar with transposed convolutions over time, then over pitch (one octave
  cell becomes its 12 pitches' onset and sounding probabilities, and one loudness per octave cell
  and bar, ``dynamics_steps``, the velocity of its notes: per beat or per step, the velocities
  spread two to four times as widely as EMOPIA's within a segment). A cell sounds with probability ``s``; its onset
  probability and velocity are each a sigmoid times ``s``, so neither appears where nothing sounds
  (as in the data).
- :class:`MuseGANCritic`: mirrors it with convolutions (octave cells, beats, bars), then a dense
  layer; conditioned by projection (Miyato & Koyama, 2018): the score adds ``<embed(label), h>``.

Every convolution here has kernel = stride (time halves/doubles, octave cells <-> 12 pitches), so
each is written as a linear map over non-overlapping patches on a channels-last tensor: the same
function as ``Conv2d``/``ConvTranspose2d`` with those kernels, 3-4x faster on a CPU, where
small strided convolutions (and the critic's double backward through them) are dominated by
overhead.

``n_classes=0`` builds the unconditional nets, which ignore labels.

``binary=True`` makes the generator's onsets and sounding cells deterministic binary neurons
(BinaryMuseGAN, Dong & Yang 2018): in training they are 0/1 (where the probability exceeds one half),
with the straight-through estimator's gradient, so the critic compares binary rolls with binary
rolls and cannot be fooled by many half-on cells; in eval mode it returns the probabilities.
"""

from __future__ import annotations

import torch
from torch import nn

from emopia_lightning.data.segment_layout import NET_CHANNELS, SegmentLayout
from emopia_lightning.errors import RequestError

ONSET_CHANNEL, SOUNDING_CHANNEL = range(2)  # to_pitches' pair per pitch, in NET_CHANNELS' order


def _label_embedding(n_classes: int, dim: int) -> nn.Embedding | None:
    return nn.Embedding(n_classes, dim) if n_classes > 0 else None


def _checked(layout: SegmentLayout | dict) -> SegmentLayout:
    layout = SegmentLayout.of(layout)
    if layout.n_pitches % 12 or layout.steps_per_bar % 4:
        raise RequestError(
            f"the nets need whole octaves and a bar of 4k steps: n_pitches={layout.n_pitches},"
            f" steps_per_bar={layout.steps_per_bar}"
        )
    return layout


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
    """latents (B, 2, latent_dim) [shared, temporal] + labels (B,) -> (B, bars, steps, pitches, 3)."""

    def __init__(
        self,
        layout: SegmentLayout | dict | None = None,
        latent_dim: int = 64,
        n_classes: int = 4,
        label_dim: int = 16,
        channels: tuple[int, int, int] = (64, 32, 16),
        binary: bool = False,
        initial_density: float = 0.5,
        initial_onset_share: float = 0.4,
        dynamics_steps: int | None = None,
    ):
        super().__init__()
        self.layout = _checked(layout or {})
        n_bars = self.layout.bars
        self.latent_dim, self.n_bars, self.binary = latent_dim, n_bars, binary
        self.octaves, self.first_steps = self.layout.n_pitches // 12, self.layout.steps_per_bar // 4
        # steps that share one loudness per octave cell (default: a bar)
        self.dynamics_steps = dynamics_steps or self.layout.steps_per_bar
        if self.layout.steps_per_bar % self.dynamics_steps:
            raise RequestError(
                f"dynamics_steps={dynamics_steps} must divide a bar of {self.layout.steps_per_bar} steps"
            )
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
        self.to_pitches = nn.Linear(c2, 12 * 2)  # an octave cell -> 12 pitches x (onset, sounding)
        # Dynamics change slowly: one loudness per octave cell and dynamics_steps, shared by its notes.
        self.to_loudness = nn.Linear(c2, 1)
        # Start near the data's share of sounding cells rather than at one half: a generator that
        # starts with every cell half on spends its first thousands of steps learning to be quiet.
        # Likewise the share of sounding cells that are onsets, and a mid velocity.
        starts = {"initial_density": initial_density, "initial_onset_share": initial_onset_share}
        for name, value in starts.items():
            if not 0 < value < 1:
                raise RequestError(f"{name} must be in (0, 1), got {value}")
        bias = self.to_pitches.bias.detach().view(12, 2)
        bias[:, SOUNDING_CHANNEL] = float(torch.logit(torch.tensor(initial_density)))
        bias[:, ONSET_CHANNEL] = float(torch.logit(torch.tensor(initial_onset_share)))
        nn.init.zeros_(self.to_loudness.bias)  # mid velocity

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
        steps = hidden.shape[1]
        cells = torch.sigmoid(self.to_pitches(hidden))  # (B*bars, steps, octaves, 12 * 2)
        cells = cells.view(batch, self.n_bars, steps, self.octaves * 12, 2)
        sounding = cells[..., SOUNDING_CHANNEL]
        onset = cells[..., ONSET_CHANNEL]
        if self.binary and self.training:  # forward 0/1, backward the sigmoid's gradient
            sounding, onset = (p + ((p > 0.5).to(p.dtype) - p).detach() for p in (sounding, onset))
        window = self.dynamics_steps
        loudness = self.to_loudness(hidden).view(-1, steps // window, window, self.octaves)
        loudness = torch.sigmoid(loudness.mean(dim=2))  # (B*bars, windows, octaves)
        velocity = loudness.repeat_interleave(window, dim=1).repeat_interleave(12, dim=2)
        velocity = velocity.view(batch, self.n_bars, steps, self.octaves * 12)
        # (B, bars, steps, pitches, 3): onset and velocity only where a cell sounds
        return torch.stack([onset * sounding, sounding, velocity * sounding], dim=-1)


class MuseGANCritic(nn.Module):
    """(B, bars, steps, pitches, 3) + labels (B,) -> (B,) Wasserstein scores (no normalisation
    layers, as WGAN-GP's gradient penalty asks).

    ``aux_classes > 0`` adds an auxiliary classifier head on the same features (AC-GAN, Odena et
    al. 2017): ``score_and_logits`` returns its class logits beside the scores.
    """

    def __init__(
        self,
        layout: SegmentLayout | dict | None = None,
        n_classes: int = 4,
        channels: tuple[int, int, int] = (16, 32, 64),
        hidden: int = 128,
        aux_classes: int = 0,
    ):
        super().__init__()
        self.layout = _checked(layout or {})
        c0, c1, c2 = channels
        self.octaves = self.layout.n_pitches // 12
        self.from_pitches = nn.Linear(12 * len(NET_CHANNELS), c0)  # 12 pitches x channels -> a cell
        self.downsample = nn.Sequential(
            TimeDownsample(c0, c1, self.layout.steps_per_bar // 4),  # steps -> beats
            TimeDownsample(c1, c2, 4),  # beats -> bars
        )
        self.dense = nn.Linear(self.layout.bars * self.octaves * c2, hidden)
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
        batch, bars, steps, pitches, channels = segments.shape
        cells = segments.reshape(batch, bars * steps, self.octaves, 12 * channels)
        features = nn.functional.leaky_relu(self.from_pitches(cells), 0.2)  # (B, T, octaves, c0)
        features = self.downsample(features)  # (B, bars, octaves, c2)
        hidden = nn.functional.leaky_relu(self.dense(features.flatten(1)), 0.2)  # (B, hidden)
        score = self.score(hidden).squeeze(1)
        if self.conditional:
            score = score + (self.label_embedding(labels) * hidden).sum(dim=1)  # projection
        return score, None if self.classify is None else self.classify(hidden)
