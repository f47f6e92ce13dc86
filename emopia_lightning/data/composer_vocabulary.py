"""The Transformer composer's vocabulary: MidiTok's REMI (``data.tokens``) and, after its ids, an
end-of-piece token and the conditions, one per quadrant and one for "no emotion".

A training sequence is ``[condition, Bar, Position, Pitch, Velocity, Duration, ..., (EOS)]``: the
condition first, as in EMOPIA's own generator; "no emotion" stands in for the label when it is
dropped (label dropout, so that sampling can use classifier-free guidance) and for every sequence
of an unconditional model (``label_aug=false``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data.notes import PIANO
from emopia_lightning.data.tokens import PAD_ID, RemiSpec

IGNORE = -100  # a target the loss skips (cross_entropy's ignore_index)


@dataclass(frozen=True)
class ComposerVocabulary:
    num_velocities: int = 8
    sounding: bool = False  # clips read as they sound, through the pedal (``RemiSpec.sounding``)

    @cached_property
    def remi(self) -> RemiSpec:
        return RemiSpec(self.num_velocities, self.sounding)

    @cached_property
    def _remi_ids(self) -> dict[str, int]:
        return dict(self.remi.tokenizer.vocab)

    @property
    def pad(self) -> int:
        return PAD_ID

    @property
    def eos(self) -> int:
        return self.remi.vocab_size

    def condition(self, quadrant: int | None) -> int:
        """The first token for quadrant index 0..3, or for no emotion (None)."""
        return self.remi.vocab_size + 1 + (len(QUADRANTS) if quadrant is None else int(quadrant))

    @property
    def size(self) -> int:
        return self.remi.vocab_size + 2 + len(QUADRANTS)  # REMI, EOS, 4 quadrants, no emotion

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

    def transpose_range(self, ids: np.ndarray) -> tuple[int, int]:
        """(lowest, highest) shift in semitones that keeps every pitch of ``ids`` on the piano."""
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
        """``ids`` without the tokens REMI does not know (conditions, EOS, padding)."""
        ids = np.asarray(ids).reshape(-1)
        return ids[(ids < self.remi.vocab_size) & (ids != PAD_ID)]
