"""The one writer of composed pieces: each piece's MIDI (and WAV), named by its request, and one
piano-roll picture of them all, each roll with its emotion along the piece where a reader is given
(``render.emotion_along``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.rolls import notes_to_piece
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import RequestError
from emopia_lightning.render import audio
from emopia_lightning.render.emotion_along import EmotionAlong
from emopia_lightning.render.midi import write_notes
from emopia_lightning.render.roll_pictures import plot_piano_rolls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PictureStyle:
    """A panel's height in inches and the picture's pixels an inch."""

    panel_height: float = 2.1
    dpi: int = 110


# One piece on the page: taller than the reports' stacked panels, at about the page's own width in
# pixels (fewer pixels also answer faster under load: benchmarks/bench_app_load.py).
PAGE_PICTURE = PictureStyle(panel_height=4.0, dpi=72)


@dataclass(frozen=True)
class Piece:
    """The files of one composed piece; ``wav`` is None where audio cannot be rendered here
    (``audio_note`` says why); ``along`` its emotion along the piece (None: no reader given)."""

    name: str
    midi: Path
    wav: Path | None
    audio_note: str | None
    along: EmotionAlong | None = None


@dataclass(frozen=True)
class WrittenPieces:
    pieces: list[Piece]
    picture: Path | None

    @property
    def midi(self) -> list[Path]:
        return [piece.midi for piece in self.pieces]

    @property
    def wav(self) -> list[Path]:
        return [piece.wav for piece in self.pieces if piece.wav is not None]


def _audio(
    midi: Path, use: str | None, unavailable: str | None, sample_rate: int
) -> tuple[Path | None, str | None]:
    """(the WAV, None), or (None, why not): the MIDI is the piece, audio a bonus."""
    if unavailable:
        return None, unavailable
    try:
        return audio.render_wav(midi, midi.with_suffix(".wav"), sample_rate, use=use), None
    except audio.AudioUnavailable as error:
        log.warning("%s", error)
        return None, str(error)


def write_pieces(
    pieces: Sequence[tuple[PieceRequest, Notes]], folder: str | Path, *, wav: bool = True,
    renderer: str | None = None, sample_rate: int = audio.SAMPLE_RATE, picture: str | None = "piano_roll.png", title: str | None = None,
    style: PictureStyle = PictureStyle(), layout: SegmentLayout = SegmentLayout(),
    names: Sequence[str] | None = None, reader=None,
) -> WrittenPieces:  # fmt: skip
    """``<name>.mid`` (and ``.wav``) per (checked request, notes), named by the request unless
    ``names`` are given, and the piano rolls of all of them as ``picture`` (None: no picture);
    ``renderer`` prefers a WAV renderer where it is installed, which renders at ``sample_rate``;
    ``reader`` (an ``app.emotion_reading`` reader) reads each piece's emotion along it, drawn
    under its roll."""
    if renderer not in (None, *audio.RENDERERS):
        raise RequestError(f"renderer must be one of {audio.RENDERERS} (or null), got {renderer!r}")
    folder = Path(folder)
    names = list(names) if names is not None else [request.name for request, _ in pieces]
    unavailable, use = None, None
    if wav:
        try:
            use = audio.renderer(renderer)
        except audio.AudioUnavailable as missing:
            unavailable = str(missing)
            log.warning("%s; MIDI and the picture written to %s", unavailable, folder)
    written = []
    for (request, notes), name in zip(pieces, names):
        midi = write_notes(notes, folder / f"{name}.mid", request.qpm)
        wav_path, note = _audio(midi, use, unavailable, sample_rate) if wav else (None, None)
        along = reader.along(notes) if reader is not None and len(notes) else None  # silence: nothing to read
        written.append(Piece(name, midi, wav_path, note, along))
    path = None
    if picture:
        rolls = [
            notes_to_piece(notes, layout, request.total_bars * layout.steps_per_bar)
            for request, notes in pieces
        ]
        alongs = [piece.along for piece in written] if reader is not None else None
        path = plot_piano_rolls(
            rolls, names, folder / picture, layout, title, style.panel_height, style.dpi, alongs
        )
    return WrittenPieces(written, path)
