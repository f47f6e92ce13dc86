"""Learned tokens over the notes of each bar (MidiTok's BPE or Unigram), for the Transformer composer.

A learned token stands for a run of REMI tokens (``data.tokens``) inside one bar: a Position and
the Pitch, Velocity and Duration of a chord's notes, say. The Bar token is never merged, so a bar
line stays one token: the composer marks each bar with its emotion there and slides its context at
bar lines. Learned ids extend REMI's (its ids keep their meaning), so a REMI id is a valid id.

A tokenizer is fitted on the training songs only. It keeps the names of the clips it learned from,
and a run refuses one that learned from a song it holds out (``check_held_out``).
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emopia_lightning.data.cache import cache_key, entry_dir, write_entry
from emopia_lightning.data.tokens import RemiSpec
from emopia_lightning.errors import RequestError

MODELS = ("BPE", "Unigram")


@dataclass(frozen=True)
class BarTokensSpec:
    """What to learn: ``model`` (BPE or Unigram) with a vocabulary of ``vocab_size`` tokens in all
    (REMI's included; 0: none, plain REMI); ``path``: a tokenizer fitted before (its JSON), instead
    of fitting one."""

    vocab_size: int = 0
    model: str = "BPE"
    path: str | None = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise RequestError(f"data.bar_tokens.model must be one of {MODELS}, got {self.model!r}")
        if self.vocab_size < 0:
            raise RequestError(f"data.bar_tokens.vocab_size must be 0 (none) or more, got {self.vocab_size}")


def bar_contents(ids: np.ndarray, bar: int) -> list[np.ndarray]:
    """REMI ``ids`` as the contents of their bars (what follows each Bar, up to the next); tokens
    before the first Bar count as a bar of their own."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    starts = np.flatnonzero(ids == bar)
    if not len(starts) or starts[0] != 0:
        starts = np.concatenate([[-1], starts])
    ends = [*starts[1:], len(ids)]
    return [ids[start + 1 : end] for start, end in zip(starts, ends)]


class BarTokenizer:
    """A trained MidiTok tokenizer applied bar by bar, and the clips it learned from."""

    def __init__(self, tokenizer, bar: int, fitted_on: Sequence[str]):
        if not tokenizer.is_trained:
            raise RequestError("a bar tokenizer must be trained (MidiTok's tokenizer.train)")
        self.tokenizer, self.bar, self.fitted_on = tokenizer, int(bar), tuple(fitted_on)
        # Each learned id's REMI tokens: decoding is then a table lookup.
        self._expansions = [self._expand(i) for i in range(len(tokenizer))]

    @classmethod
    def fit(cls, remi, bar: int, clips: Iterable[tuple[str, np.ndarray]], spec: BarTokensSpec):
        """Learn ``spec``'s vocabulary from ``clips`` (name, REMI ids), each bar's notes a "word"."""
        if spec.vocab_size <= len(remi.vocab):
            raise RequestError(
                f"data.bar_tokens.vocab_size ({spec.vocab_size}) must exceed REMI's {len(remi.vocab)} tokens"
            )
        tokenizer = copy.deepcopy(remi)
        tokenizer.config.encode_ids_split = "no"  # bars are split here, without their Bar token
        names, words = [], []
        for name, ids in clips:
            names.append(name)
            # MidiTok learns from each token's one-character form (its "byte"), which it offers no
            # public call for before training; an empty bar has none.
            contents = [c for c in bar_contents(ids, bar) if len(c)]
            words.append([tokenizer._ids_to_bytes(c.tolist(), as_one_str=True) for c in contents])
        tokenizer.train(vocab_size=spec.vocab_size, model=spec.model, iterator=words)
        return cls(tokenizer, bar, names)

    @property
    def size(self) -> int:
        return len(self.tokenizer)

    def encode(self, ids: np.ndarray) -> np.ndarray:
        """REMI ``ids`` as learned ids: every Bar kept, each bar's notes merged."""
        from miditok import TokSequence

        contents = bar_contents(ids, self.bar)
        sequences = [TokSequence(ids=c.tolist()) for c in contents if len(c)]
        if sequences:
            self.tokenizer.encode_token_ids(sequences)
        merged = iter(sequences)
        starts_with_bar = len(ids) and int(np.asarray(ids).reshape(-1)[0]) == self.bar
        out: list[int] = []
        for k, content in enumerate(contents):
            if k or starts_with_bar:
                out.append(self.bar)
            if len(content):
                out.extend(next(merged).ids)
        return np.asarray(out, dtype=np.int64)

    def decode(self, ids: np.ndarray) -> np.ndarray:
        """Learned ids back to REMI ids."""
        return np.asarray(
            [t for i in np.asarray(ids).reshape(-1) for t in self._expansions[int(i)]], dtype=np.int64
        )

    def _expand(self, learned: int) -> list[int]:
        from miditok import TokSequence

        sequence = TokSequence(ids=[learned], are_ids_encoded=True)
        self.tokenizer.decode_token_ids(sequence)
        return list(sequence.ids)

    def check_held_out(self, held_out: Iterable[str]) -> None:
        """Refuse a tokenizer that learned from any clip in ``held_out`` (validation or test)."""
        seen = sorted(set(self.fitted_on) & set(held_out))
        if seen:
            raise RequestError(
                f"this bar tokenizer learned from {len(seen)} held-out clip(s) ({', '.join(seen[:3])}): "
                "fit it on the training songs only (leave data.bar_tokens.path null to fit one here)"
            )

    # -- saving: a JSON text, in the cache and in the composer's checkpoint ----------------------

    def to_json(self) -> str:
        params = self.tokenizer.to_dict()
        params["fitted_on"] = list(self.fitted_on)
        params["bar_id"] = self.bar
        return json.dumps(params)

    @classmethod
    def from_json(cls, text: str, remi) -> BarTokenizer:
        """The tokenizer saved by :meth:`to_json`; ``remi``: the base tokenizer it must extend."""
        import miditok

        params = json.loads(text)
        with tempfile.TemporaryDirectory() as folder:  # MidiTok loads its parameters from a file
            path = Path(folder) / "tokenizer.json"
            path.write_text(text)
            tokenizer = miditok.REMI(params=path)
        if dict(tokenizer.vocab) != dict(remi.vocab):
            raise RequestError(
                "this bar tokenizer extends another REMI vocabulary (velocity bins or MidiTok version): refit it"
            )
        return cls(tokenizer, params["bar_id"], params["fitted_on"])


def run_tokenizer(spec: BarTokensSpec, remi: RemiSpec, training: Mapping[str, np.ndarray],
                  held_out: Iterable[str], cache_dir: str | None) -> BarTokenizer:  # fmt: skip
    """A run's tokenizer: loaded from ``spec.path``, or fitted on the ``training`` clips (REMI ids
    by clip name; cached), and refused if it learned from a ``held_out`` clip."""
    if spec.path is not None:
        tokenizer = BarTokenizer.from_json(Path(spec.path).read_text(), remi.tokenizer)
    else:
        bar = remi.tokenizer.vocab["Bar_None"]
        fit = lambda: BarTokenizer.fit(remi.tokenizer, bar, training.items(), spec)  # noqa: E731
        if cache_dir is None:
            tokenizer = fit()
        else:
            what = {
                "model": spec.model,
                "vocab_size": spec.vocab_size,
                "remi": remi.key(),
                "clips": sorted(training),
            }
            folder = entry_dir(cache_dir, "bar_tokens", cache_key("training clips", what))
            path = folder / "tokenizer.json"
            if not path.exists():
                fitted = fit()
                write_entry(folder, lambda staging: (staging / path.name).write_text(fitted.to_json()))
            tokenizer = BarTokenizer.from_json(path.read_text(), remi.tokenizer)
    tokenizer.check_held_out(held_out)
    if tokenizer.size != spec.vocab_size:
        raise RequestError(
            f"the bar tokenizer has {tokenizer.size} tokens, data.bar_tokens.vocab_size asks {spec.vocab_size}"
        )
    return tokenizer
