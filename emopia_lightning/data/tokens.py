"""REMI token sequences of clips (MidiTok): a corpus spec, so tokens are computed once and cached.

A clip's rows are its token ids, one a row: ``(tokens, 1)`` int16. The vocabulary is MidiTok's
REMI over the piano's pitches (``data.notes.PIANO``) with ``num_velocities`` velocity bins and no
tempo, time-signature or program tokens: ``Bar``, ``Position`` (8 a beat), then ``Pitch``,
``Velocity``, ``Duration`` per note. The special tokens come first, so their ids are fixed:
``PAD_ID`` pads a batch, ``MASK_ID`` hides a token in masked-token pretraining.

Tokens are made from the project's :class:`~emopia_lightning.data.notes.Notes` (their times in
beats), not from the MIDI again, so every rule of ``notes.py`` (repairs, refusals) applies here too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from importlib.metadata import version

import numpy as np
import symusic

from emopia_lightning.data.notes import PIANO, Notes
from emopia_lightning.errors import RequestError

SPECIAL_TOKENS = ("PAD", "MASK")
PAD_ID, MASK_ID = 0, 1  # MidiTok numbers the special tokens first, in this order
TICKS_PER_BEAT = 480  # the Score's resolution; MidiTok quantises it to its own positions


@lru_cache(maxsize=8)
def remi_tokenizer(num_velocities: int):
    """MidiTok's REMI with our settings (MidiTok is imported here: it takes seconds to import)."""
    import miditok

    config = miditok.TokenizerConfig(
        pitch_range=(PIANO[0], PIANO[1] + 1),
        num_velocities=num_velocities,
        special_tokens=list(SPECIAL_TOKENS),
        use_velocities=True,
        use_tempos=False,
        use_time_signatures=False,
        use_programs=False,
        use_chords=False,
        use_rests=False,
    )
    tokenizer = miditok.REMI(config)
    specials = [tokenizer.vocab[f"{name}_None"] for name in SPECIAL_TOKENS]
    if specials != [PAD_ID, MASK_ID]:
        raise RuntimeError(f"MidiTok numbered the special tokens {specials}, not {[PAD_ID, MASK_ID]}")
    return tokenizer


def remi_vocab_size(num_velocities: int) -> int:
    """The vocabulary's size (``${remi_vocab_size:${data.num_velocities}}`` in the configs)."""
    return len(remi_tokenizer(int(num_velocities)))


@dataclass(frozen=True)
class RemiSpec:
    """A clip as REMI token ids: ``(tokens, 1)`` int16 rows (the corpus stacks clips along rows)."""

    num_velocities: int = 8
    # True: notes as they sound, each held through the sustain pedal (``Notes.as_sounding``), so a
    # model learns the lengths a listener hears; False: as the keys are held.
    sounding: bool = False
    dtype = np.int16
    width = 1

    def __post_init__(self):
        if not 1 <= self.num_velocities <= 127:
            raise RequestError(
                f"num_velocities must be in 1..127 (MIDI velocities), got {self.num_velocities}"
            )

    @cached_property
    def tokenizer(self):
        return remi_tokenizer(self.num_velocities)

    @property
    def vocab_size(self) -> int:
        return len(self.tokenizer)

    def tokens(self, notes: Notes) -> np.ndarray:
        """(tokens,) int16 ids of one clip."""
        if self.sounding:
            notes = notes.as_sounding()
        (sequence,) = self.tokenizer(notes.to_score(ticks_per_beat=TICKS_PER_BEAT))  # one track, one sequence
        return np.asarray(sequence.ids, dtype=self.dtype)

    def n_rows(self, notes: Notes) -> int:
        return len(self.tokens(notes))

    def render(self, notes: Notes, out: np.ndarray | None = None) -> np.ndarray:
        ids = self.tokens(notes)[:, None]  # (tokens, 1)
        if out is None:
            return ids
        out[:] = ids
        return out

    def decode(self, ids: np.ndarray) -> symusic.Score:
        """The Score a token sequence stands for (times quantised to REMI's positions)."""
        return self.tokenizer.decode([np.asarray(ids).reshape(-1).tolist()])

    def key(self) -> dict:
        # The MidiTok version too: another version may tokenise the same notes differently.
        return {"kind": "remi", **asdict(self), "miditok": version("miditok")}
