"""Generate pieces with a trained MuseGAN and write them as MIDI, piano-roll PNG and WAV.

Shared by the training callback that writes samples and by ``python -m emopia_lightning.generate``.
A piece longer than one segment chains segments: every segment of a piece keeps the piece's
shared (style) latent and draws a new temporal latent, so the style carries across segments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.render.audio import audio_unavailable_reason, render_wav
from emopia_lightning.render.midi import write_midi
from emopia_lightning.render.piano_roll import plot_piano_rolls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollFormat:
    """How a segment's rows and columns map to time and pitch."""

    lowest_pitch: int = 22
    steps_per_beat: int = 4
    beats_per_bar: int = 4

    @property
    def steps_per_bar(self) -> int:
        return self.steps_per_beat * self.beats_per_bar

    @classmethod
    def from_data_config(cls, data: dict) -> RollFormat:
        return cls(data["lowest_pitch"], data["steps_per_beat"], data["beats_per_bar"])


def piece_latents(model, n_pieces: int, n_segments: int, generator: torch.Generator) -> torch.Tensor:
    """(n_pieces, n_segments, 2, D): one shared latent per piece, a temporal latent per segment."""
    latents = model.sample_latents(n_pieces * n_segments, generator).view(n_pieces, n_segments, 2, -1)
    latents[:, :, 0] = latents[:, :1, 0].clone()  # every segment of a piece shares its first shared latent
    return latents


def generate_pieces(
    model, labels: torch.Tensor, n_segments: int = 1, generator: torch.Generator | None = None,
    latents: torch.Tensor | None = None, threshold: float = 0.5,
) -> np.ndarray:  # fmt: skip
    """(n, n_segments * bars * steps, pitches) bool: the generator's notes above ``threshold``.

    ``latents`` (n, n_segments, 2, D) fixes the inputs (the training callback's fixed latents).
    """
    if latents is None:
        latents = piece_latents(model, len(labels), n_segments, generator)
    n, n_segments = latents.shape[:2]
    segment_labels = labels.repeat_interleave(n_segments)
    probabilities = model.generate(latents.reshape(n * n_segments, 2, -1), segment_labels)
    rolls = (probabilities > threshold).cpu().numpy()  # (n * segments, bars, steps, pitches)
    return rolls.reshape(n, -1, rolls.shape[-1])


def write_pieces(
    rolls: np.ndarray, names: list[str], out_dir: str | Path, fmt: RollFormat, wav: bool = True,
    title: str | None = None, png_name: str = "piano_roll.png",
) -> dict[str, list[Path]]:  # fmt: skip
    """Write ``names[i].mid`` (and ``.wav``) per roll, and one PNG of them all; returns the paths."""
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {"midi": [], "wav": [], "png": []}
    for roll, name in zip(rolls, names):
        written["midi"].append(
            write_midi(roll, out_dir / f"{name}.mid", fmt.lowest_pitch, fmt.steps_per_beat)
        )
    written["png"].append(
        plot_piano_rolls(rolls, names, out_dir / png_name, fmt.lowest_pitch, fmt.steps_per_bar, title)
    )
    if wav:
        reason = audio_unavailable_reason()
        if reason:
            log.info("%s; MIDI and PNG written to %s", reason, out_dir)
        else:
            for midi in written["midi"]:
                try:
                    written["wav"].append(render_wav(midi, midi.with_suffix(".wav")))
                except RuntimeError as error:  # the MIDI is written; audio is a bonus
                    log.warning("%s", error)
                    break
    return written


def quadrant_labels(n_per_quadrant: int = 1) -> tuple[torch.Tensor, list[str]]:
    """Labels 0..3 each ``n_per_quadrant`` times, and their names Q1..Q4."""
    labels = torch.arange(len(QUADRANTS)).repeat_interleave(n_per_quadrant)
    return labels, [QUADRANTS[i] for i in labels.tolist()]
