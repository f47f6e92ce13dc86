"""What the page's buttons do, as plain functions of plain values (no Gradio here, so tests call
them in-process). A refused input raises a ProjectError with the message the page shows; in a
batch, a refused request gets its refusal back in its place and the others are composed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from emopia_lightning.app.composer import Composers, PagePiece
from emopia_lightning.app.emotion_reading import MAX_UPLOAD_BYTES, EmotionReader, Reading, read_upload
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.composing.composer import compose
from emopia_lightning.composing.pieces import PAGE_PICTURE, write_pieces
from emopia_lightning.composing.request import MAX_SEED, PieceRequest, whole_bars
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.errors import ProjectError, RequestError
from emopia_lightning.render.emotion_pictures import plot_circumplex, plot_emotion_probabilities

NO_TURN = "none"  # the page's "then" when the emotion does not turn
PROMPT_NAME_CHARS = 80  # a continuation's name holds at most this much of its prompt's


def new_seed() -> int:
    """A seed for "surprise me" and "another one": unpredictable, and shown, so it can be reused."""
    return secrets.randbelow(MAX_SEED + 1)


@dataclass(frozen=True)
class Settings:
    """The Compose tab's controls as the page gives them: ``then`` NO_TURN (or empty) for one
    emotion, ``turn`` 0 or empty for the middle, ``seconds`` 0 or empty for a length in bars."""

    emotion: str
    bars: int | float
    qpm: int | float
    seed: int | float
    composer: str | None = None
    then: str | None = NO_TURN
    turn: int | float | None = 0
    seconds: int | float | None = 0

    def request(
        self, prompt=None, prompt_name: str = "prompt", prompt_bars: int = 0, bars=None
    ) -> PieceRequest:
        """The piece these settings ask for (``bars`` in place of the slider's where given)."""
        seconds = float(self.seconds) if self.seconds else None
        return PieceRequest(
            self.emotion, None if seconds else (self.bars if bars is None else bars), self.qpm, self.seed,
            then=None if self.then in (None, "", NO_TURN) else self.then, turn=int(self.turn) if self.turn else None,
            seconds=seconds, prompt=prompt, prompt_name=prompt_name[:PROMPT_NAME_CHARS], prompt_bars=prompt_bars,
        )  # fmt: skip


@dataclass
class PageActions:
    composers: Composers
    reader: EmotionReader
    workspace: Workspace
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    def circumplex_pictures(self) -> dict[str, Path]:
        """Q1..Q4 -> the valence-arousal picture with that quadrant shaded (drawn once)."""
        folder = self.workspace.root / "circumplex"
        return {q: plot_circumplex(q, folder / f"{q}.png") for q in QUADRANTS}

    def warm_up(self) -> None:
        """Everything a first request would load, done before the page answers: each composer
        writes a 4-bar piece (MidiTok's import, the first sampling), with its WAV (the soundfont),
        its picture and its emotion along it (the reader)."""
        folder = self.workspace.new_folder()
        for name in self.composers.names:
            model = self.composers.composer(name)
            request = PieceRequest("Q1", 4, 120, 0).checked()
            (notes,) = compose(model, [request], self.composers.options[name])
            write_pieces([(request, notes)], folder, renderer=self.composers.renderer, picture="warm_up.png",
                         sample_rate=self.composers.sample_rate, style=PAGE_PICTURE, layout=model.layout,
                         names=[f"warm_up_{name}"], reader=self.reader)  # fmt: skip

    def compose(self, settings: Settings) -> PagePiece:
        (piece,) = self.compose_all([settings.request()], [settings.composer])
        if isinstance(piece, ProjectError):
            raise piece
        return piece

    def compose_all(self, requests: list[PieceRequest | ProjectError],
                    composers: list[str | None]) -> list[PagePiece | ProjectError]:  # fmt: skip
        """Every request composed together (the page's batch), each into its own folder; a request
        already refused (a ProjectError in its place) stays refused."""
        results: list[PagePiece | ProjectError | None] = list(requests)
        asked = [i for i, r in enumerate(requests) if isinstance(r, PieceRequest)]
        written = self.composers.compose_all(
            [(requests[i], composers[i]) for i in asked],
            [self.workspace.new_folder() for _ in asked],
            self.reader,
        )
        for i, piece in zip(asked, written):
            results[i] = piece
        return results

    def batch(self, settings: list[Settings]) -> list[PagePiece | ProjectError]:
        """The page's concurrent Compose requests, composed together."""
        requests: list[PieceRequest | ProjectError] = []
        for one in settings:
            try:
                requests.append(one.request())
            except ProjectError as refused:
                requests.append(refused)
        return self.compose_all(requests, [one.composer for one in settings])

    def start_from(self, upload: str | Path | None) -> tuple[Path, int]:
        """(the file, its whole bars) a continuation can start from, or the refusal of an upload
        that is not MIDI, is empty, too large, or has no whole bar."""
        if not upload:
            raise RequestError("choose a MIDI file first")
        notes = read_upload(upload, self.max_upload_bytes)
        return Path(upload), whole_bars(notes)[1]

    def continued(self, settings: Settings, start: str | Path | None) -> PagePiece:
        """ "Continue this": the piece (or uploaded file) at ``start`` opens a new piece, its whole
        bars unchanged, followed by the settings' bars (or seconds) in their emotion."""
        if not start:
            raise RequestError("compose a piece or choose a MIDI file first")
        prompt = read_upload(start, self.max_upload_bytes)
        return self._one(settings.request(prompt, Path(start).stem), settings.composer)

    def another_like(self, settings: Settings, start: str | Path | None, keep_bars: int | float) -> PagePiece:
        """ "Another like this": the first ``keep_bars`` bars of the piece at ``start`` kept, a new
        rest (as long as the piece was) written with the settings' seed and emotion."""
        if not start:
            raise RequestError("compose a piece first")
        prompt = read_upload(start, self.max_upload_bytes)
        _, bars = whole_bars(prompt)
        keep = int(keep_bars)
        if not 1 <= keep < bars:
            raise RequestError(f"keep 1 to {bars - 1} of the piece's {bars} bars, got {keep}")
        name = f"{Path(start).stem}-first-{keep}"
        return self._one(settings.request(prompt, name, keep, bars=bars - keep), settings.composer)

    def _one(self, request: PieceRequest, composer: str | None) -> PagePiece:
        (piece,) = self.compose_all([request], [composer])
        if isinstance(piece, ProjectError):
            raise piece
        return piece

    def read(self, upload: str | Path | None) -> tuple[Reading, Path]:
        """The reading of an uploaded MIDI file and its bar chart."""
        if not upload:
            raise RequestError("choose a MIDI file first")
        notes = read_upload(upload, self.max_upload_bytes)
        reading = self.reader.read(notes)
        chart = plot_emotion_probabilities(
            reading.quadrants, reading.arousal, reading.valence,
            self.workspace.new_folder() / "emotion.png", title=Path(upload).name,
        )  # fmt: skip
        return reading, chart
