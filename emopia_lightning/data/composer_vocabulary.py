"""The Transformer composer's vocabulary: MidiTok's REMI (``data.tokens``), or learned tokens over
each bar's notes that extend it (``data.bar_tokens``), and after those ids an end-of-piece token and
the conditions, one per quadrant and one for "no emotion".

A training sequence is ``[condition, Bar, Position, Pitch, Velocity, Duration, ..., (EOS)]``: the
condition first, as in EMOPIA's own generator; "no emotion" stands in for the label when it is
dropped (label dropout, so that sampling can use classifier-free guidance) and for every sequence
of an unconditional model (``label_aug=false``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import symusic

from emopia_lightning.data.bar_tokens import BarTokenizer
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data.notes import PIANO, Notes
from emopia_lightning.data.tokens import PAD_ID, RemiSpec
from emopia_lightning.errors import RequestError

IGNORE = -100  # a target the loss skips (cross_entropy's ignore_index)


@dataclass(frozen=True)
class ComposerVocabulary:
    num_velocities: int = 8
    sounding: bool = False  # clips read as they sound, through the pedal (``RemiSpec.sounding``)
    # Learned tokens over each bar's notes: their vocabulary's size (0: plain REMI), and the fitted
    # tokenizer once a run has it (``with_tokenizer``); the size alone fixes every id.
    learned_size: int = 0
    bar_tokenizer: BarTokenizer | None = None

    @cached_property
    def remi(self) -> RemiSpec:
        return RemiSpec(self.num_velocities, self.sounding)

    def with_tokenizer(self, tokenizer: BarTokenizer) -> ComposerVocabulary:
        if tokenizer.size != self.learned_size:
            raise RequestError(
                f"the bar tokenizer has {tokenizer.size} tokens, the composer reads {self.learned_size}"
            )
        return replace(self, bar_tokenizer=tokenizer)

    @property
    def music_size(self) -> int:
        """How many ids stand for music (REMI's or the learned ones)."""
        return self.learned_size or self.remi.vocab_size

    def _tokenizer(self) -> BarTokenizer:
        if self.bar_tokenizer is None:
            raise RequestError("this composer reads learned bar tokens, and no bar tokenizer came with it")
        return self.bar_tokenizer

    def encode(self, remi_ids: np.ndarray) -> np.ndarray:
        """REMI ids as this vocabulary's music ids."""
        if not self.learned_size:
            return np.asarray(remi_ids, dtype=np.int64)
        return self._tokenizer().encode(remi_ids)

    def tokens(self, notes: Notes) -> np.ndarray:
        """A clip's music ids."""
        return self.encode(self.remi.tokens(notes))

    def score(self, ids: np.ndarray) -> symusic.Score:
        """The Score that ids stand for (conditions, EOS and padding left out)."""
        music = self.music(ids)
        if self.learned_size:
            music = self._tokenizer().decode(music)
        return self.remi.decode(music)

    @cached_property
    def _remi_ids(self) -> dict[str, int]:
        return dict(self.remi.tokenizer.vocab)

    @property
    def pad(self) -> int:
        return PAD_ID

    @property
    def eos(self) -> int:
        return self.music_size

    def condition(self, quadrant: int | None) -> int:
        """The first token for quadrant index 0..3, or for no emotion (None)."""
        return self.music_size + 1 + (len(QUADRANTS) if quadrant is None else int(quadrant))

    @property
    def size(self) -> int:
        return self.music_size + 2 + len(QUADRANTS)  # music, EOS, 4 quadrants, no emotion

    @property
    def bar(self) -> int:
        return self._remi_ids["Bar_None"]

    @cached_property
    def pitch_ids(self) -> np.ndarray:
        """(88,) the Pitch token of MIDI pitch PIANO[0] + i."""
        return np.array([self._remi_ids[f"Pitch_{p}"] for p in range(PIANO[0], PIANO[1] + 1)])

    @cached_property
    def pitch_of_id(self) -> np.ndarray:
        """(size,) the MIDI pitch a token id plays, -1 for every other token."""
        table = np.full(self.size, -1, dtype=np.int16)
        table[self.pitch_ids] = np.arange(PIANO[0], PIANO[1] + 1)
        return table

    # Transposition reads REMI ids (a learned token holds several notes): shift, then encode.

    def transpose_range(self, ids: np.ndarray) -> tuple[int, int]:
        """(lowest, highest) shift in semitones that keeps every pitch of REMI ``ids`` on the piano."""
        pitches = self.pitch_of_id[np.asarray(ids)]
        pitches = pitches[pitches >= 0]
        if not len(pitches):
            return 0, 0
        return PIANO[0] - int(pitches.min()), PIANO[1] - int(pitches.max())

    def transposed(self, ids: np.ndarray, semitones: int) -> np.ndarray:
        """``ids`` with every Pitch token moved by ``semitones`` (within :meth:`transpose_range`)."""
        ids = np.array(ids, dtype=np.int64)
        low, high = self.transpose_range(ids)
        if not low <= semitones <= high:
            raise ValueError(f"a shift of {semitones} takes notes off the piano (allowed {low}..{high})")
        pitches = self.pitch_of_id[ids]
        where = pitches >= 0
        ids[where] = self.pitch_ids[pitches[where] + semitones - PIANO[0]]
        return ids

    def music(self, ids: np.ndarray) -> np.ndarray:
        """``ids`` without the tokens that are not music (conditions, EOS, padding)."""
        ids = np.asarray(ids).reshape(-1)
        return ids[(ids < self.music_size) & (ids != PAD_ID)]
