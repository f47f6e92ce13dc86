"""The page's composers: the checkpoints it offers, each writing one piece per request through the
one path every command uses (``composing.compose``, ``composing.pieces``). Requests that wait
together are composed together (``compose_all``: one sampling batch a composer), each its own piece:
a request's seed alone decides its notes, whatever it is sampled beside."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emopia_lightning.composing.composer import Composer, compose, composer_options, load_composer
from emopia_lightning.composing.pieces import PAGE_PICTURE, Piece, write_pieces
from emopia_lightning.composing.request import BEATS_PER_BAR, PieceRequest
from emopia_lightning.errors import ProjectError, RequestError
from emopia_lightning.render import audio
from emopia_lightning.render.emotion_along import EmotionAlong

log = logging.getLogger(__name__)

BARS = (8, 64)  # the lengths the page offers, in bars


@dataclass(frozen=True)
class PagePiece:
    """A composed piece's files (``wav`` None where audio cannot be rendered here, ``audio_note``
    saying why), its piano-roll picture (its emotion along it underneath, where read) and its
    checked request."""

    name: str
    midi: Path
    wav: Path | None
    audio_note: str | None
    roll: Path
    request: PieceRequest
    along: EmotionAlong | None = None

    @classmethod
    def of(cls, piece: Piece, roll: Path, request: PieceRequest) -> PagePiece:
        return cls(piece.name, piece.midi, piece.wav, piece.audio_note, roll, request, piece.along)


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

    def checked(self, request: PieceRequest, composer: str | None = None) -> tuple[PieceRequest, str]:
        """(the checked request, the composer's name), or :class:`RequestError` for what the page
        does not offer."""
        request = request.checked()
        composer = composer or self.names[0]
        model = self.composer(composer)
        if request.seconds is None and not BARS[0] <= request.bars <= BARS[1]:
            raise RequestError(f"length must be {BARS[0]} to {BARS[1]} bars, got {request.bars}")
        if request.seconds is not None and request.bars > BARS[1]:
            longest = BARS[1] * BEATS_PER_BAR * 60 / request.qpm
            raise RequestError(
                f"at {request.qpm:g} bpm the page writes up to {longest:.0f} seconds, got {request.seconds:g}"
            )
        if request.prompt is not None and not model.continues_prompts:
            raise RequestError(f"the {composer} cannot continue a piece; choose a Transformer composer")
        return request, composer

    def compose(self, request: PieceRequest, folder: str | Path, composer: str | None = None,
                reader=None) -> PagePiece:  # fmt: skip
        """Write the piece ``request`` asks of ``composer`` (default: the first) into ``folder``."""
        (piece,) = self.compose_all([(request, composer)], [folder], reader)
        if isinstance(piece, ProjectError):
            raise piece
        return piece

    def compose_all(self, asked: Sequence[tuple[PieceRequest, str | None]], folders: Sequence[str | Path],
                    reader=None) -> list[PagePiece | ProjectError]:  # fmt: skip
        """Each (request, composer) written into its folder, or the refusal of a request the page
        does not offer; the requests of one composer are composed in one call (one sampling
        batch). ``reader`` reads each piece's emotion along it (``app.emotion_reading``)."""
        results: list[PagePiece | ProjectError | None] = [None] * len(asked)
        by_composer: dict[str, list[tuple[int, PieceRequest]]] = defaultdict(list)
        for i, (request, composer) in enumerate(asked):
            try:
                request, composer = self.checked(request, composer)
            except ProjectError as refused:
                results[i] = refused
                continue
            by_composer[composer].append((i, request))
        for composer, items in by_composer.items():
            model = self.composer(composer)
            for group in self._composed(model, composer, items):
                for i, request, notes in group:
                    results[i] = notes if isinstance(notes, ProjectError) else \
                        self._written(request, notes, folders[i], composer, model, reader)  # fmt: skip
        return results

    def _composed(self, model: Composer, composer: str, items: list[tuple[int, PieceRequest]]):
        """[(index, request, notes or its refusal)] groups: all together, or, where the composer
        refuses one of them (what only it knows it cannot do), each alone, the same notes."""
        try:
            written = compose(model, [request for _, request in items], self.options[composer])
            return [[(i, request, notes) for (i, request), notes in zip(items, written)]]
        except ProjectError as refused:
            if len(items) == 1:
                return [[(*items[0], refused)]]
        return [self._alone(model, composer, i, request) for i, request in items]

    def _alone(self, model: Composer, composer: str, i: int, request: PieceRequest):
        try:
            (notes,) = compose(model, [request], self.options[composer])
        except ProjectError as refused:
            notes = refused
        return [(i, request, notes)]

    def _written(self, request: PieceRequest, notes, folder, composer: str, model, reader) -> PagePiece:
        name = f"{request.name}_{composer}"
        written = write_pieces([(request, notes)], folder, renderer=self.renderer, sample_rate=self.sample_rate,
                               picture=f"{name}.png", title=request.title, style=PAGE_PICTURE,
                               layout=model.layout, names=[name], reader=reader)  # fmt: skip
        return PagePiece.of(written.pieces[0], written.picture, request)
