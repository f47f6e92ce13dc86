"""What a creator, a command or a callback asks a composer for: one piece of one emotion."""

from __future__ import annotations

from dataclasses import dataclass

from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS, parse_emotion
from emopia_lightning.errors import RequestError

BARS = (1, 256)  # lengths a composer writes, in bars (the page offers fewer: app.page)
TEMPI = (40, 220)  # beats per minute
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class PieceRequest:
    """One piece: an emotion (Q1..Q4, 1..4 or a name such as ``sad``), its length in
    4/4 bars, its tempo and a seed; the same request gives the same piece again."""

    emotion: str | int
    bars: int = 16
    qpm: float = 120.0
    seed: int = 0

    def checked(self) -> PieceRequest:
        """The request with the emotion as Q1..Q4 and whole numbers, or :class:`RequestError`."""
        emotion = QUADRANTS[parse_emotion(self.emotion)]
        bars, seed = _whole(self.bars, "length in bars"), _whole(self.seed, "seed")
        if not BARS[0] <= bars <= BARS[1]:
            raise RequestError(f"length must be {BARS[0]} to {BARS[1]} bars, got {bars}")
        qpm = _number(self.qpm, "tempo")
        if not TEMPI[0] <= qpm <= TEMPI[1]:
            raise RequestError(f"tempo must be {TEMPI[0]} to {TEMPI[1]} bpm, got {self.qpm}")
        if not 0 <= seed <= MAX_SEED:
            raise RequestError(f"seed must be 0 to {MAX_SEED}, got {seed}")
        return PieceRequest(emotion, bars, qpm, seed)

    @property
    def quadrant(self) -> int:
        """The quadrant index 0..3 (of a checked request)."""
        return QUADRANTS.index(self.emotion)

    @property
    def name(self) -> str:
        """``sad-Q3_seed-42_16-bars_120-bpm`` (of a checked request): all it takes to write the piece again."""
        return (f"{EMOTION_NAMES[self.emotion][0]}-{self.emotion}_seed-{self.seed}"
                f"_{self.bars}-bars_{self.qpm:g}-bpm")  # fmt: skip

    @property
    def title(self) -> str:
        """``sad / depressed (Q3), seed 42``: a picture's caption."""
        return f"{' / '.join(EMOTION_NAMES[self.emotion][:2])} ({self.emotion}), seed {self.seed}"


def _number(value, what: str) -> float:
    if value is None or isinstance(value, bool):
        raise RequestError(f"{what} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RequestError(f"{what} must be a number, got {value!r}") from None


def _whole(value, what: str) -> int:
    try:
        number = _number(value, what)
    except RequestError:
        number = None
    if number is None or not number.is_integer():
        raise RequestError(f"{what} must be a whole number, got {value!r}")
    return int(number)


def quadrant_requests(
    n_per_quadrant: int, bars: int, seed: int = 0, qpm: float = 120.0
) -> list[PieceRequest]:
    """``n_per_quadrant`` requests of each quadrant in quadrant order, seeds ``seed``,
    ``seed + 1``, ...: the same seeds for every emotion, so only the emotion differs."""
    return [PieceRequest(q, bars, qpm, seed + i) for q in QUADRANTS for i in range(n_per_quadrant)]
