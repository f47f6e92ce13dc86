"""What the page's buttons do, as plain functions of plain values (no Gradio here, so tests call
them in-process). A refused input raises a ProjectError with the message the page shows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from emopia_lightning.app.composer import Composers, PagePiece
from emopia_lightning.app.emotion_reading import MAX_UPLOAD_BYTES, EmotionReader, Reading, read_upload
from emopia_lightning.app.workspace import Workspace
from emopia_lightning.composing.request import MAX_SEED, PieceRequest
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.errors import RequestError
from emopia_lightning.render.emotion_pictures import plot_circumplex, plot_emotion_probabilities


def new_seed() -> int:
    """A seed for "surprise me" and "another one": unpredictable, and shown, so it can be reused."""
    return secrets.randbelow(MAX_SEED + 1)


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

    def compose(self, emotion: str, bars, qpm, seed, composer: str | None = None) -> PagePiece:
        request = PieceRequest(emotion, bars, qpm, seed)
        return self.composers.compose(request, self.workspace.new_folder(), composer)

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
