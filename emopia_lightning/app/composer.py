"""One new piece for a creator: an emotion, a length, a tempo and a seed in; MIDI, WAV and a piano
roll out, named after what makes them (the same settings give the same piece again)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from emopia_lightning.checkpoints import load_model
from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS, parse_emotion
from emopia_lightning.models.musegan.module import MuseGAN
from emopia_lightning.models.musegan.sampling import compose_pieces
from emopia_lightning.render import audio
from emopia_lightning.render.midi import write_midi
from emopia_lightning.render.roll_pictures import plot_piano_rolls

log = logging.getLogger(__name__)

BARS = (8, 64)  # the lengths offered, in bars
TEMPI = (40, 220)  # beats per minute offered
MAX_SEED = 2**32 - 1
# One piece on a page: taller than the reports' stacked panels, at about the page's own width in
# pixels (fewer pixels also answer faster under load: benchmarks/bench_app_load.py).
ROLL_HEIGHT, ROLL_DPI = 4.0, 72


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

    def __init__(self, model: MuseGAN, checkpoint: str | Path, run_config: dict, threshold: float = 0.5,
                 renderer: str | None = None):  # fmt: skip
        if not model.hparams.conditional:
            raise ValueError(
                f"{checkpoint}: trained without labels (label_aug=false); it cannot follow an emotion"
            )
        if renderer not in (None, *audio.RENDERERS):
            raise ValueError(f"renderer must be one of {audio.RENDERERS} (or null), got {renderer!r}")
        self.model = model
        self.checkpoint = Path(checkpoint)
        self.run_config = run_config  # its training run's config (the data layout the judge reads)
        self.threshold = threshold  # a note sounds (and starts) where the generator's probability exceeds it
        self.renderer = renderer  # the WAV renderer preferred where installed (render.audio)

    @classmethod
    def load(cls, checkpoint: str | Path, threshold: float = 0.5, renderer: str | None = None) -> Composer:
        model, run_config = load_model(checkpoint, MuseGAN, "MuseGAN generator")
        return cls(model, checkpoint, run_config, threshold, renderer)

    def compose(self, request: Request, folder: str | Path) -> Piece:
        """Write the piece ``request`` asks for into ``folder``."""
        request = request.checked()
        layout, folder = self.model.layout, Path(folder)
        label = torch.tensor([QUADRANTS.index(request.emotion)])
        seeded = torch.Generator().manual_seed(request.seed)
        pieces = compose_pieces(self.model, label, request.bars, seeded, self.threshold)
        midi = write_midi(pieces[0], folder / f"{request.name}.mid", layout, request.qpm)
        title = f"{' / '.join(EMOTION_NAMES[request.emotion][:2])} ({request.emotion}), seed {request.seed}"
        roll = plot_piano_rolls(pieces, [request.name], folder / f"{request.name}.png", layout, title,
                                panel_height=ROLL_HEIGHT, dpi=ROLL_DPI)  # fmt: skip
        wav, audio_note = self._audio(midi)
        return Piece(request.name, midi, roll, wav, audio_note)

    def _audio(self, midi: Path) -> tuple[Path | None, str | None]:
        """(the WAV, None), or (None, why not): the MIDI is the piece, audio a bonus."""
        try:
            return audio.render_wav(midi, midi.with_suffix(".wav"), use=audio.renderer(self.renderer)), None
        except RuntimeError as error:  # AudioUnavailable included
            log.warning("%s", error)
            return None, str(error)
