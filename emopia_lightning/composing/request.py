"""What a creator, a command or a callback asks a composer for: one piece, checked once.

A piece has an emotion plan (one emotion, or one that turns into a second at a bar line), a length
(new bars, or seconds at its tempo), a tempo, a seed and, optionally, a prompt: music whose whole
bars open the piece unchanged and which the composer continues. Every composer reads the same
checked request (``plan``, ``prompt``, ``bars``, ``end_beat``); none assembles a piece its own way.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from emopia_lightning.data.labels import EMOTION_NAMES, QUADRANTS, parse_emotion
from emopia_lightning.data.notes import Notes
from emopia_lightning.errors import RequestError

BARS = (1, 256)  # lengths a composer writes, in bars (the page offers fewer: app.page)
TEMPI = (40, 220)  # beats per minute
MAX_SEED = 2**32 - 1
BEATS_PER_BAR = 4  # composers write 4/4: a prompt in another metre is refused
PROMPT_BARS = 64  # the most whole bars of a prompt a piece opens with


@dataclass(frozen=True)
class PieceRequest:
    """One piece: an emotion (Q1..Q4, 1..4 or a name such as ``sad``), its length in 4/4 bars,
    its tempo and a seed; the same request gives the same piece again.

    ``then``: a second emotion, which begins after ``turn`` of the new bars (default: half of them).
    ``seconds``: the length in seconds instead of bars (``bars`` None): the bars that hold it at
    ``qpm`` are written and the piece ends on the beat nearest to it. ``prompt``: notes (in beats)
    whose whole bars open the piece unchanged; ``bars`` then counts the new bars after them.
    """

    emotion: str | int
    bars: int | None = 16
    qpm: float = 120.0
    seed: int = 0
    then: str | int | None = None
    turn: int | None = None
    seconds: float | None = None
    prompt: Notes | None = None
    prompt_name: str = "prompt"  # how the piece's name calls its prompt (a file's stem)
    # Bars of the prompt that open the piece: given (its first bars: "another like this"), or 0 to
    # have checked() take its whole bars (at most the last PROMPT_BARS).
    prompt_bars: int = 0

    def checked(self) -> PieceRequest:
        """The request with emotions as Q1..Q4, whole numbers and the prompt cut to its whole
        bars, or :class:`RequestError` naming what is out of range."""
        emotion = QUADRANTS[parse_emotion(self.emotion)]
        then = None if self.then is None else QUADRANTS[parse_emotion(self.then)]
        qpm = _number(self.qpm, "tempo")
        if not TEMPI[0] <= qpm <= TEMPI[1]:
            raise RequestError(f"tempo must be {TEMPI[0]} to {TEMPI[1]} bpm, got {self.qpm}")
        seconds = None if self.seconds is None else _number(self.seconds, "seconds")
        if seconds is None and self.bars is None:
            raise RequestError("give the length in bars or in seconds")
        if seconds is not None:
            bars = math.ceil(round(seconds * qpm / 60) / BEATS_PER_BAR)
            shortest, longest = BARS[0] * BEATS_PER_BAR * 60 / qpm, BARS[1] * BEATS_PER_BAR * 60 / qpm
            if not shortest <= seconds <= longest:
                raise RequestError(
                    f"at {qpm:g} bpm a piece can be {shortest:.1f} to {longest:.0f} seconds, got {seconds:g}"
                )
            if self.bars is not None and self.bars != bars:  # a checked request holds the bars it takes
                raise RequestError("give the length in bars or in seconds, not both")
        else:
            bars = _whole(self.bars, "length in bars")
            if not BARS[0] <= bars <= BARS[1]:
                raise RequestError(f"length must be {BARS[0]} to {BARS[1]} bars, got {bars}")
        seed = _whole(self.seed, "seed")
        if not 0 <= seed <= MAX_SEED:
            raise RequestError(f"seed must be 0 to {MAX_SEED}, got {seed}")
        turn = None
        if then is not None:
            turn = bars // 2 if self.turn is None else _whole(self.turn, "turn")
            if not 1 <= turn < bars:
                raise RequestError(
                    f"turn must be 1 to {bars - 1} bars (inside the {bars} new bars), got {turn}"
                )
        elif self.turn is not None:
            raise RequestError("turn needs then=<the second emotion>")
        if self.prompt is None:
            if self.prompt_bars:
                raise RequestError("prompt_bars needs a prompt")
            prompt, prompt_bars = None, 0
        else:
            given = _whole(self.prompt_bars, "prompt bars")
            if not 0 <= given <= PROMPT_BARS:
                raise RequestError(f"a prompt opens a piece with 1 to {PROMPT_BARS} bars, got {given}")
            prompt, prompt_bars = whole_bars(self.prompt, given or None)
        if prompt_bars + bars > BARS[1]:
            raise RequestError(f"the prompt's bars and the new ones must be at most {BARS[1]} bars")
        return dataclasses.replace(
            self, emotion=emotion, bars=bars, qpm=qpm, seed=seed, then=then, turn=turn,
            seconds=seconds, prompt=prompt, prompt_bars=prompt_bars,
        )  # fmt: skip

    @property
    def quadrant(self) -> int:
        """The first emotion's quadrant index 0..3 (of a checked request)."""
        return QUADRANTS.index(self.emotion)

    @property
    def plan(self) -> tuple[int, ...]:
        """The quadrant index 0..3 of each new bar (of a checked request)."""
        first = [self.quadrant] * self.bars
        if self.then is not None:
            first[self.turn :] = [QUADRANTS.index(self.then)] * (self.bars - self.turn)
        return tuple(first)

    @property
    def total_bars(self) -> int:
        """The prompt's bars and the new ones."""
        return self.prompt_bars + self.bars

    @property
    def end_beat(self) -> float:
        """Where the piece ends, in beats from its start: after its last bar, or at its seconds."""
        if self.seconds is None:
            return float(self.total_bars * BEATS_PER_BAR)
        return float(self.prompt_bars * BEATS_PER_BAR + round(self.seconds * self.qpm / 60))

    @property
    def name(self) -> str:
        """``sad-Q3_seed-42_16-bars_120-bpm`` (of a checked request): all it takes to write the piece
        again (a turn adds ``_then-calm-Q4-at-8``, seconds replace the bars, a prompt adds its name)."""
        emotion = f"{EMOTION_NAMES[self.emotion][0]}-{self.emotion}"
        if self.then is not None:
            emotion += f"_then-{EMOTION_NAMES[self.then][0]}-{self.then}-at-{self.turn}"
        length = f"{self.seconds:g}-s" if self.seconds is not None else f"{self.bars}-bars"
        after = f"_after-{self.prompt_name}" if self.prompt is not None else ""
        return f"{emotion}_seed-{self.seed}_{length}_{self.qpm:g}-bpm{after}"

    @property
    def title(self) -> str:
        """``sad / depressed (Q3), seed 42``: a picture's caption."""
        words = f"{' / '.join(EMOTION_NAMES[self.emotion][:2])} ({self.emotion})"
        if self.then is not None:
            words += f" then {' / '.join(EMOTION_NAMES[self.then][:2])} ({self.then}) after bar {self.turn}"
        return f"{words}, seed {self.seed}"


def whole_bars(prompt: Notes, first_bars: int | None = None) -> tuple[Notes, int]:
    """(a prompt's notes up to its last whole bar, those running past it cut there, at most
    ``PROMPT_BARS`` bars from its end; those bars), or its first ``first_bars`` bars where given;
    :class:`RequestError` for a prompt that cannot open a piece."""
    if not isinstance(prompt, Notes):
        raise RequestError(f"a prompt must be notes read from MIDI, got {type(prompt).__name__}")
    if prompt.beats_per_bar != BEATS_PER_BAR:
        raise RequestError(
            f"the prompt is in {prompt.beats_per_bar}/4; the composers continue 4/4 music only"
        )
    if not len(prompt):
        raise RequestError("the prompt has no notes")
    bars = int(np.floor(float(prompt.end_beat.max()) / BEATS_PER_BAR + 1e-9))
    if first_bars is not None:
        bars = first_bars
    first = max(0, bars - PROMPT_BARS)
    if bars - first < 1:
        raise RequestError("the prompt has no whole bar (4 beats of 4/4)")
    start, end = first * BEATS_PER_BAR, bars * BEATS_PER_BAR
    keep = (prompt.start_beat >= start) & (prompt.start_beat < end)
    if not keep.any():
        raise RequestError("the prompt's whole bars hold no note")
    held = Notes.from_beats(
        prompt.start_beat[keep] - start, np.minimum(prompt.end_beat[keep], end) - start,
        prompt.pitch[keep], prompt.velocity[keep], beats_per_bar=BEATS_PER_BAR,
    )  # fmt: skip
    return held, bars - first


def _number(value, what: str) -> float:
    if value is None or isinstance(value, bool):
        raise RequestError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RequestError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise RequestError(f"{what} must be a finite number, got {value!r}")
    return number


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
