"""The one interface every composer implements, and the one path from requests to pieces.

A composer is a LightningModule that also inherits :class:`Composer` (the MuseGAN, the Transformer
composer). :func:`compose` checks the requests and the options once, has the model write their
notes, and ends every piece the same way (``endings``); :func:`load_composer` rebuilds either kind
from its checkpoint. ``generate``, the page, the sample callback and the evaluation all go through
these two functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from emopia_lightning.checkpoints import chosen_checkpoint, load_model
from emopia_lightning.composing.endings import cut_at, end_on_chord
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import RequestError


@dataclass(frozen=True)
class ComposeOptions:
    """What every composer takes beside the request: ``final_chord`` ends the piece on a held chord
    rather than mid-phrase. Each composer adds its own (a subclass), checked in ``__post_init__``."""

    final_chord: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.final_chord, bool):
            raise RequestError(f"final_chord must be true or false, got {self.final_chord!r}")


def in_range(name: str, value, low: float, high: float, low_open: bool = False) -> None:
    """Refuse a generator option outside [low, high] (or (low, high]) with one line naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{name} must be a number, got {value!r}")
    if not (low < value if low_open else low <= value) or not value <= high:
        raise RequestError(f"{name} must be in {'(' if low_open else '['}{low:g}, {high:g}], got {value!r}")


class Composer:
    """What a composing LightningModule adds: its options type and how it writes notes."""

    options_type: ClassVar[type[ComposeOptions]] = ComposeOptions
    continues_prompts: ClassVar[bool] = False  # whether it can write more of a given piece

    @property
    def description(self) -> str:  # e.g. "musegan (label-conditioned)"
        raise NotImplementedError

    @property
    def follows_emotion(self) -> bool:
        """False for a model trained without labels (label_aug=false): the emotion has no effect."""
        return bool(self.hparams.conditional)

    @property
    def layout(self) -> SegmentLayout:
        """The segment layout its pieces are judged, measured and pictured in."""
        return SegmentLayout()

    def composer_step(self) -> int:
        """Training steps taken so far, as its samples and judged emotion are counted."""
        return self.trainer.global_step

    def compose_notes(self, requests: Sequence[PieceRequest], options: ComposeOptions) -> list[Notes]:
        """The new notes of each checked request, placed in beats from its first new bar (after
        its prompt, if any): at least ``bars`` bars, following its emotion ``plan`` bar by bar
        (``compose`` puts the prompt first, cuts and ends them)."""
        raise NotImplementedError


def composer_options(composer: Composer, given: Mapping | ComposeOptions | None = None) -> ComposeOptions:
    """The composer's options from ``given`` (None values mean its defaults); an option that it does
    not take is refused by name."""
    if isinstance(given, ComposeOptions):
        given = dataclasses.asdict(given)
    given = {key: value for key, value in dict(given or {}).items() if value is not None}
    known = [field.name for field in dataclasses.fields(composer.options_type)]
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise RequestError(
            f"{', '.join(unknown)}: not an option of the {composer.description}; it takes {', '.join(known)}"
        )
    return composer.options_type(**given)


def compose(composer: Composer, requests: Sequence[PieceRequest],
            options: Mapping | ComposeOptions | None = None) -> list[Notes]:  # fmt: skip
    """The pieces of ``requests``: notes placed in beats at each request's tempo, each its prompt's
    whole bars unchanged, then the new bars, ending at its ``end_beat``."""
    requests = [request.checked() for request in requests]
    options = composer_options(composer, options)
    if not composer.continues_prompts and any(r.prompt is not None for r in requests):
        raise RequestError(f"the {composer.description} cannot continue a prompt; use a Transformer composer")
    was_training = composer.training
    composer.eval()
    try:
        with torch.inference_mode():
            written = composer.compose_notes(requests, options)
    finally:
        composer.train(was_training)
    ending = end_on_chord if options.final_chord else cut_at
    return [
        ending(after_prompt(notes, request), request.end_beat, request.qpm)
        for notes, request in zip(written, requests)
    ]


def after_prompt(new: Notes, request: PieceRequest) -> Notes:
    """The request's prompt (its whole bars, unchanged), then the ``new`` notes after it."""
    if request.prompt is None:
        return new
    prompt, shift = request.prompt, request.prompt_bars * new.beats_per_bar
    return Notes.from_beats(
        np.concatenate([prompt.start_beat, new.start_beat + shift]),
        np.concatenate([prompt.end_beat, new.end_beat + shift]),
        np.concatenate([prompt.pitch, new.pitch]),
        np.concatenate([prompt.velocity, new.velocity]),
        request.qpm, new.beats_per_bar,
    )  # fmt: skip


def load_composer(path: str | Path) -> tuple[Composer, dict]:
    """(the composer in eval mode, its run's config) from a MuseGAN or Transformer checkpoint, or
    from its training run's folder (the checkpoint it chose on validation)."""
    return load_model(chosen_checkpoint(path), Composer, "composer (a MuseGAN or Transformer composer)")
