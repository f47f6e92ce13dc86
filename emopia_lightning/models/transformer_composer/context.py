"""What each sampling row reads (its tokens, left-padded, and the cache) and each request's own
stream of random draws."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.models.components.decoder import DecoderTransformer, KVCache


class SamplingContext:
    """The tokens each row's model sees, left-padded to one length, with its cache; both ways of
    computing agree. ``marks``: the ids that start a bar; a slid row keeps ``head`` tokens of its
    start (the condition, where only the start holds it), then its first ``anchor_bars`` bars (an
    opening to come back to, where they fit in half the budget), then its latest whole bars.

    A row slides when its own tokens outgrow the context, whatever the other rows hold, so a
    request's piece does not depend on what is sampled beside it. Only the slid rows are read
    again (into the cache, right-aligned with the others). The rows are held in twice the context,
    so that the steps every row has left behind are dropped about once a context, not at each
    step (rows reach the context at different steps)."""

    def __init__(self, net: DecoderTransformer, rows: Sequence[Sequence[int]], use_cache: bool,
                 marks: torch.Tensor, head: int, anchor_bars: int = 0,
                 limits: Sequence[int] | None = None):  # fmt: skip
        self.net, self.use_cache, self.marks, self.head = net, use_cache, marks, head
        self.anchor_bars = anchor_bars
        # Each row's context: it slides past its limit (the model's context unless given shorter),
        # keeping half of it.
        self.limits = torch.tensor(limits if limits is not None else [net.context] * len(rows))
        self.width = 2 * net.context  # steps the rows are held in, padding included
        self.device = next(net.parameters()).device
        self.cache: KVCache | None = None
        rows = [torch.as_tensor(row, dtype=torch.long) for row in rows]
        rows = [
            self.slid(row, k) if len(row) > self.limits[k] else row for k, row in enumerate(rows)
        ]  # a long prompt
        longest = max(len(row) for row in rows)
        self.padding = torch.tensor([longest - len(row) for row in rows])  # (rows,)
        self.tokens = torch.stack([self._padded(row, longest) for row in rows])  # (rows, longest)

    @staticmethod
    def _padded(row: torch.Tensor, width: int) -> torch.Tensor:
        return torch.cat([row.new_full((width - len(row),), PAD_ID), row])

    def _padding(self) -> torch.Tensor | None:
        return self.padding if bool(self.padding.any()) else None

    def logits(self) -> torch.Tensor:
        """(rows, V) logits of the next token."""
        if not self.use_cache:
            return self.net(self.tokens.to(self.device), padding=self._padding())[:, -1]
        if self.cache is None:
            self.cache = self.net.new_cache(self.padding.to(self.device), self.width)
            return self.net(self.tokens.to(self.device), self.cache)[:, -1]
        return self.net(self.tokens[:, -1:].to(self.device), self.cache)[:, -1]

    def append(self, tokens: torch.Tensor) -> None:
        """Each row's next token (read by the next ``logits``); rows that outgrow the context slide."""
        self.tokens = torch.cat([self.tokens, tokens.cpu()[:, None]], dim=1)
        width = self.tokens.shape[1]
        full = torch.nonzero(width - self.padding > self.limits).flatten()  # rows that outgrew theirs
        if len(full):
            slid = [self.slid(self.tokens[row, int(self.padding[row]) :], row) for row in full.tolist()]
            for row, tokens in zip(full.tolist(), slid):
                self.tokens[row] = self._padded(tokens, width)
                self.padding[row] = width - len(tokens)
            if self.cache is not None:
                self._read_again(full, slid)
        if width >= self.width:  # full: drop the steps no row needs any more
            dropped = int(self.padding.min())
            self.tokens, self.padding = self.tokens[:, dropped:], self.padding - dropped
            if self.cache is not None:
                self.cache.drop_front(dropped)

    def _read_again(self, rows: torch.Tensor, slid: list[torch.Tensor]) -> None:
        """Cache the slid rows' new tokens but the last (which the next step reads), rows of one
        length read together."""
        lengths = torch.tensor([len(tokens) for tokens in slid])
        for length in lengths.unique().tolist():
            same = torch.nonzero(lengths == length).flatten().tolist()
            fresh = self.net.new_cache()
            self.net(torch.stack([slid[i][:-1] for i in same]).to(self.device), fresh)
            self.cache.put_rows(rows[same].to(self.device), fresh)

    def slid(self, row: torch.Tensor, index: int = 0) -> torch.Tensor:
        """Row ``index``'s head (and opening bars) and its latest whole bars within its budget (half
        its limit); where those hold under half of it (a long bar), the mark of the bar it is cut
        in, then its latest tokens."""
        budget = int(self.limits[index]) // 2  # tokens the row keeps
        kept = self._kept_start(row, budget)
        head, body = row[:kept], row[kept:]
        room = budget - kept
        starts = torch.nonzero(torch.isin(body, self.marks)).flatten()  # (bars,)
        fitting = starts[len(body) - starts <= room]
        if len(fitting) and len(body) - int(fitting[0]) >= room // 2:
            return torch.cat([head, body[int(fitting[0]) :]])
        cut = len(body) - (room - 1)
        before = starts[starts < cut]
        mark = body[int(before[-1]) : int(before[-1]) + 1] if len(before) else body[:0]
        return torch.cat([head, mark, body[len(body) - (room - len(mark)) :]])

    def _kept_start(self, row: torch.Tensor, budget: int) -> int:
        """How many tokens of the row's start a slide keeps: its head, and the most of its first
        ``anchor_bars`` bars that fit in half the budget (the bars after them stay whole)."""
        starts = torch.nonzero(torch.isin(row[self.head :], self.marks)).flatten() + self.head
        for bars in range(min(self.anchor_bars, len(starts) - 1), 0, -1):
            if int(starts[bars]) <= budget // 2:
                return int(starts[bars])
        return self.head

    def keep(self, rows: torch.Tensor) -> None:
        """Only these rows from now on (finished pieces stop costing: attention over a long cache
        is most of a step's time)."""
        self.tokens, self.padding, self.limits = self.tokens[rows], self.padding[rows], self.limits[rows]
        if self.cache is not None:
            self.cache.keep(rows.to(self.device))


class RequestUniforms:
    """Each request's own stream of uniform draws, one per token it samples, from its seeded
    generator in blocks (one draw a step per row cost more than the network on one core)."""

    BLOCK = 512

    def __init__(self, seeds: Sequence[int]):
        self.generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        self.table = torch.empty(len(seeds), 0)  # (requests, drawn so far)
        self.used = torch.zeros(len(seeds), dtype=torch.long)

    def next(self, rows: torch.Tensor) -> torch.Tensor:
        """(n,) the next uniform of each request in ``rows``."""
        if int(self.used[rows].max()) >= self.table.shape[1]:
            block = torch.stack([torch.rand(self.BLOCK, generator=g) for g in self.generators])
            self.table = torch.cat([self.table, block], dim=1)  # (requests, drawn + BLOCK)
        uniform = self.table[rows, self.used[rows]]
        self.used[rows] += 1
        return uniform
