"""Training windows for the Transformer composer: token windows of clips that start at a bar line,
pitch-shifted in training, each ending with EOS where the clip ends inside it."""

from __future__ import annotations

import numpy as np
import torch

from emopia_lightning.data.clip_dataset import LabelledClips
from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.corpus import ClipCorpus
from emopia_lightning.data.tonic import to_c
from emopia_lightning.errors import RequestError


class ComposerWindows(LabelledClips):
    """One item per clip: ``(ids, quadrant)``, ``ids`` (at most ``window``,) int64 tokens of the
    vocabulary (REMI, or learned bar tokens: the corpus holds REMI, merged here).

    ``random=True`` (training): the window starts at a random bar line of the clip and is shifted
    by a random number of semitones in ``[-max_shift, max_shift]`` (as far as the piano allows);
    otherwise it starts at the clip's first bar, as written. Randomness comes from torch's
    generator, so ``seed_everything(workers=True)`` makes it repeatable. ``key_relative``: every
    window is instead moved so that its clip's estimated tonic is C (``data.tonic``), unshifted.
    """

    def __init__(self, corpus: ClipCorpus, positions: np.ndarray, vocabulary: ComposerVocabulary,
                 window: int, random: bool = False, max_shift: int = 0, key_relative: bool = False):  # fmt: skip
        super().__init__(corpus, positions, "quadrant")
        if window < 2:
            raise RequestError(f"a window needs at least 2 tokens, got {window}")
        self.vocabulary, self.window, self.random, self.max_shift = vocabulary, window, random, max_shift
        self.key_relative = key_relative

    def __getitem__(self, item: int) -> tuple[torch.Tensor, int]:
        ids = np.asarray(self.corpus.clip_rows(self.positions[item]), dtype=np.int64).reshape(-1)
        bars = np.flatnonzero(ids == self.vocabulary.bar)
        start = int(bars[0]) if len(bars) else 0
        if self.random and len(bars) > 1:
            start = int(bars[int(torch.randint(len(bars), ()))])
        if self.vocabulary.learned_size:  # shift the REMI tokens of the rest of the clip, then merge
            piece = self.vocabulary.encode(self._shifted(ids[start:], ids))
            piece = np.append(piece, self.vocabulary.eos)[: self.window]  # EOS where the clip ends
        else:
            piece = self._shifted(np.append(ids[start:], self.vocabulary.eos)[: self.window], ids)
        return torch.from_numpy(piece), int(self.targets[item])

    def _shifted(self, ids: np.ndarray, clip: np.ndarray) -> np.ndarray:
        """``ids`` (from ``clip``) moved to C, or by a random shift in training, or as written."""
        if self.key_relative:
            pitches = self.vocabulary.pitch_of_id[clip]
            return self.vocabulary.transposed(ids, to_c(pitches[pitches >= 0]))
        if not (self.random and self.max_shift):
            return ids
        low, high = self.vocabulary.transpose_range(ids)
        low, high = max(low, -self.max_shift), min(high, self.max_shift)
        return self.vocabulary.transposed(ids, int(torch.randint(low, high + 1, ())))
