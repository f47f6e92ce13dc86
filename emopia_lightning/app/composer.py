"""One new piece for a creator: an emotion, a length, a tempo and a seed in; MIDI, WAV and a piano
roll out, named after what makes them (the same settings give the same piece again)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from emopia_lightning.checkpoints import load_model
from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS, parse_emotion
from emopia_lightning.models.musegan import MuseGAN
from emopia_lightning.render.audio import audio_unavailable_reason
from emopia_lightning.sampling import compose_pieces, write_pieces

log = logging.getLogger(__name__)

BARS = (8, 64)  # the lengths offered, in bars
TEMPI = (40, 220)  # beats per minute offered
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Request:
    """What a creator asks for; :meth:`checked` refuses values outside what is offered."""

    emotion: str
    bars: int
    qpm: float
    seed: int

    def checked(self) -> Request:
        quadrant = QUADRANTS[parse_emotion(self.emotion)]
        bars, seed = _whole(self.bars, "length in bars"), _whole(self.seed, "seed")
        if not BARS[0] <= bars <= BARS[1]:
            raise ValueError(f"length must be {BARS[0]} to {BARS[1]} bars, got {bars}")
        qpm = float(self.qpm)
        if not TEMPI[0] <= qpm <= TEMPI[1]:
            raise ValueError(f"tempo must be {TEMPI[0]} to {TEMPI[1]} bpm, got {self.qpm}")
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be 0 to {MAX_SEED}, got {seed}")
        return Request(quadrant, bars, qpm, seed)

    @property
    def name(self) -> str:
        """``sad-Q3_seed-42_16-bars_120-bpm``: everything needed to write the piece again."""
        return (f"{EMOTION_NAMES[self.emotion][0]}-{self.emotion}_seed-{self.seed}"
                f"_{self.bars}-bars_{self.qpm:g}-bpm")  # fmt: skip


def _whole(value, what: str) -> int:
    if value is None or isinstance(value, bool) or float(value) != int(float(value)):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return int(float(value))


@dataclass(frozen=True)
class Piece:
    """The files of one composed piece; ``wav`` is None where audio cannot be rendered here
    (``audio_note`` says why)."""

    name: str
    midi: Path
    roll: Path
    wav: Path | None
    audio_note: str | None


class Composer:
    """A loaded label-conditioned MuseGAN that writes one piece per request."""

    def __init__(self, model: MuseGAN, checkpoint: str | Path, run_config: dict, threshold: float = 0.5):
        if not model.hparams.conditional:
            raise ValueError(f"{checkpoint}: trained without labels (label_aug=false); it cannot follow an emotion")
        self.model = model
        self.checkpoint = Path(checkpoint)
        self.run_config = run_config  # its training run's config (the data layout the judge reads)
        self.threshold = threshold  # a note sounds (and starts) where the generator's probability exceeds it

    @classmethod
    def load(cls, checkpoint: str | Path, threshold: float = 0.5) -> Composer:
        model, run_config = load_model(checkpoint, MuseGAN, "MuseGAN generator")
        return cls(model, checkpoint, run_config, threshold)

    def compose(self, request: Request, folder: str | Path) -> Piece:
        """Write the piece ``request`` asks for into ``folder``."""
        request = request.checked()
        label = torch.tensor([QUADRANTS.index(request.emotion)])
        seeded = torch.Generator().manual_seed(request.seed)
        pieces = compose_pieces(self.model, label, request.bars, seeded, self.threshold)
        title = f"{' / '.join(EMOTION_NAMES[request.emotion][:2])} ({request.emotion}), seed {request.seed}"
        written = write_pieces(
            pieces, [request.name], folder, self.model.layout, wav=True, title=title,
            png_name=f"{request.name}.png", qpm=request.qpm,
        )  # fmt: skip
        wav = written["wav"][0] if written["wav"] else None
        note = None if wav else (audio_unavailable_reason() or "the WAV could not be rendered (see the log)")
        return Piece(request.name, written["midi"][0], written["png"][0], wav, note)
