"""The page's composers: the checkpoints it offers, each writing one piece per request through the
one path every command uses (``composing.compose``, ``composing.pieces``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from emopia_lightning.composing.composer import Composer, compose, composer_options, load_composer
from emopia_lightning.composing.pieces import PAGE_PICTURE, Piece, write_pieces
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.errors import RequestError
from emopia_lightning.render import audio

log = logging.getLogger(__name__)

BARS = (8, 64)  # the lengths the page offers, in bars


@dataclass(frozen=True)
class PagePiece:
    """A composed piece's files (``wav`` None where audio cannot be rendered here, ``audio_note``
    saying why) and its piano-roll picture."""

    name: str
    midi: Path
    wav: Path | None
    audio_note: str | None
    roll: Path

    @classmethod
    def of(cls, piece: Piece, roll: Path) -> PagePiece:
        return cls(piece.name, piece.midi, piece.wav, piece.audio_note, roll)


class Composers:
    """Loaded composers by the name the page shows; the first is the default."""

    def __init__(self, loaded: Mapping[str, tuple[Composer, Path]], renderer: str | None = None,
                 options: Mapping[str, Mapping] | None = None, sample_rate: int = audio.SAMPLE_RATE):  # fmt: skip
        if not loaded:
            raise RequestError("no composer to offer: give generators.NAME=CHECKPOINT")
        unknown = sorted(set(options or {}) - set(loaded))
        if unknown:
            raise RequestError(f"options for {', '.join(unknown)}, which the page does not offer")
        for name, (composer, checkpoint) in loaded.items():
            if not composer.follows_emotion:
                raise RequestError(
                    f"{checkpoint}: trained without labels (label_aug=false); it cannot follow an emotion"
                )
        if renderer not in (None, *audio.RENDERERS):
            raise RequestError(f"renderer must be one of {audio.RENDERERS} (or null), got {renderer!r}")
        self.loaded = dict(loaded)
        self.renderer = renderer  # the WAV renderer preferred where installed (render.audio)
        self.sample_rate = audio.checked_sample_rate(sample_rate)
        # name -> generator options (None: the composer's defaults), checked now, not per request
        self.options = {
            name: composer_options(self.loaded[name][0], (options or {}).get(name)) for name in self.loaded
        }

    @classmethod
    def load(cls, checkpoints: Mapping[str, str | Path], renderer: str | None = None,
             options: Mapping[str, Mapping] | None = None, sample_rate: int = audio.SAMPLE_RATE) -> Composers:  # fmt: skip
        loaded = {name: (load_composer(path)[0], Path(path)) for name, path in checkpoints.items()}
        return cls(loaded, renderer, options, sample_rate)

    @property
    def names(self) -> list[str]:
        return list(self.loaded)

    def composer(self, name: str | None = None) -> Composer:
        if name is None:
            name = self.names[0]
        if name not in self.loaded:
            raise RequestError(f"no composer {name!r} here; choose one of {', '.join(self.names)}")
        return self.loaded[name][0]

    def describe(self) -> str:
        return ", ".join(f"{name} ({checkpoint})" for name, (_, checkpoint) in self.loaded.items())

    def compose(self, request: PieceRequest, folder: str | Path, composer: str | None = None) -> PagePiece:
        """Write the piece ``request`` asks of ``composer`` (default: the first) into ``folder``."""
        request = request.checked()
        if not BARS[0] <= request.bars <= BARS[1]:
            raise RequestError(f"length must be {BARS[0]} to {BARS[1]} bars, got {request.bars}")
        composer = composer or self.names[0]
        model = self.composer(composer)
        (notes,) = compose(model, [request], self.options[composer])
        name = f"{request.name}_{composer}"
        written = write_pieces([(request, notes)], folder, renderer=self.renderer, sample_rate=self.sample_rate,
                               picture=f"{name}.png",
                               title=request.title, style=PAGE_PICTURE, layout=model.layout, names=[name])  # fmt: skip
        return PagePiece.of(written.pieces[0], written.picture)
