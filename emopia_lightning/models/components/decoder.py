"""A decoder-only Transformer (GPT-2's shape: pre-norm blocks, learned positions, tied embeddings)
with a key-value cache for sampling.

Our own ~100 lines rather than ``transformers``' GPT-2: on one CPU core its per-token overhead
(2.6 ms a step at batch 2 for a 1.9 M-parameter model, measured with transformers 5.24) makes a
32-bar piece take about 4.5 s, and this module does the same arithmetic in a fraction of that
(experiments/composer_notes.md; ``benchmarks/bench_composer.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emopia_lightning.errors import RequestError


class KVCache:
    """The keys and values every layer has seen so far, in buffers of the whole context (filled in
    place: growing them by concatenation cost more than the layers' arithmetic on a CPU)."""

    def __init__(self, n_layers: int, context: int, padding: torch.Tensor | None = None):
        self.context = context
        self.keys: list[torch.Tensor | None] = [None] * n_layers  # (B, heads, context, head width)
        self.values: list[torch.Tensor | None] = [None] * n_layers
        self.filled = [0] * n_layers
        self.padding = padding  # (B,) padding tokens before each row's first token, or None

    def seen(self, layer: int = 0) -> int:
        """Steps cached for ``layer`` (all layers agree between forward passes)."""
        return self.filled[layer]

    def extend(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append (B, H, T, W/H) keys and values; returns every step's so far."""
        if self.keys[layer] is None:
            shape = (*k.shape[:2], self.context, k.shape[3])
            self.keys[layer], self.values[layer] = k.new_empty(shape), v.new_empty(shape)
        start, end = self.filled[layer], self.filled[layer] + k.shape[2]
        self.keys[layer][:, :, start:end] = k
        self.values[layer][:, :, start:end] = v
        self.filled[layer] = end
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]

    def put_rows(self, rows: torch.Tensor, other: KVCache) -> None:
        """Replace ``rows``' cached steps by every step ``other`` holds (of as many rows), placed
        to end where this cache's steps end, the steps before them padding."""
        end, steps = self.filled[0], other.filled[0]
        if self.padding is None:
            self.padding = torch.zeros(self.keys[0].shape[0], dtype=torch.long, device=self.keys[0].device)
        for layer in range(len(self.keys)):
            self.keys[layer][rows, :, end - steps : end] = other.keys[layer][:, :, :steps]
            self.values[layer][rows, :, end - steps : end] = other.values[layer][:, :, :steps]
        self.padding[rows] = end - steps

    def drop_front(self, steps: int) -> None:
        """Forget the first ``steps`` steps of every row (padding that no row needs any more)."""
        if not steps:
            return
        for layer in range(len(self.keys)):
            kept = self.filled[layer] - steps
            self.keys[layer][:, :, :kept] = self.keys[layer][:, :, steps : self.filled[layer]].clone()
            self.values[layer][:, :, :kept] = self.values[layer][:, :, steps : self.filled[layer]].clone()
            self.filled[layer] = kept
        self.padding = self.padding - steps

    def keep(self, rows: torch.Tensor) -> None:
        """Only these batch rows from now on."""
        for layer in range(len(self.keys)):
            if self.keys[layer] is not None:
                self.keys[layer], self.values[layer] = self.keys[layer][rows], self.values[layer][rows]
        if self.padding is not None:
            self.padding = self.padding[rows]


def attention_mask(steps: int, past: int, padding: torch.Tensor | None) -> torch.Tensor | None:
    """(B, 1, T, past + T) which keys each new query sees: itself and earlier steps, never a row's
    left padding (a padding query sees only itself, so no row of the softmax is empty); None where
    plain causal attention does (SDPA's fast path)."""
    if padding is None or not bool(padding.any()):
        if past and steps > 1:
            return torch.ones(steps, past + steps, dtype=torch.bool).tril(past)
        return None
    query = torch.arange(past, past + steps, device=padding.device)[:, None]  # (T, 1)
    key = torch.arange(past + steps, device=padding.device)[None, :]  # (1, S)
    real = key[None] >= padding[:, None, None]  # (B, 1, S)
    return ((key <= query)[None] & (real | (key == query)[None]))[:, None]  # (B, 1, T, S)


class SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float, attention_dropout: float = 0.0):
        super().__init__()
        if width % heads:
            raise RequestError(f"width {width} must be a multiple of heads {heads}")
        self.heads, self.dropout, self.attention_dropout = heads, dropout, attention_dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, layer: int, cache: KVCache | None,
                mask: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """``mask`` (B or 1, 1, T, past + T): the keys each query sees (``attention_mask``); None:
        causal."""
        batch, steps, width = x.shape  # (B, T, W)
        q, k, v = (
            self.qkv(x).view(batch, steps, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        )  # 3 x (B, H, T, W/H)
        past = 0
        if cache is not None:
            past = cache.seen(layer)
            k, v = cache.extend(layer, k, v)  # (B, H, past + T, W/H)
        causal = mask is None and past == 0 and steps > 1
        # Dropout on the attention weights makes SDPA fall back to its unfused path on a CPU
        # (1.7x slower a training step at 256 tokens, 2.2x at 512), so it is off by default.
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, is_causal=causal,
            dropout_p=self.attention_dropout if self.training else 0.0,
        )  # fmt: skip  # (B, H, T, W/H)
        y = self.out(y.transpose(1, 2).reshape(batch, steps, width))  # (B, T, W)
        return F.dropout(y, self.dropout, self.training) if self.dropout else y


class Block(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float, attention_dropout: float = 0.0):
        super().__init__()
        self.dropout = dropout
        self.attention_norm = nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, dropout, attention_dropout)
        self.mlp_norm = nn.LayerNorm(width)
        # (Sequential for its parameter names, mlp.0 and mlp.2, which checkpoints hold.)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor, layer: int, cache: KVCache | None,
                mask: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        x = x + self.attention(self.attention_norm(x), layer, cache, mask)  # (B, T, W)
        grow, shrink = self.mlp[0], self.mlp[2]
        # Functional calls: a sampling step is a few small matrix products, where each module
        # call's overhead shows (one thread, batch 2).
        y = F.linear(F.gelu(F.linear(self.mlp_norm(x), grow.weight, grow.bias)), shrink.weight, shrink.bias)
        return x + (F.dropout(y, self.dropout, self.training) if self.dropout else y)  # (B, T, W)


class DecoderTransformer(nn.Module):
    """Next-token logits of token sequences of at most ``context`` tokens."""

    def __init__(self, vocab_size: int, context: int = 512, width: int = 192, layers: int = 4,
                 heads: int = 4, dropout: float = 0.1, attention_dropout: float = 0.0):  # fmt: skip
        super().__init__()
        self.context, self.n_layers = context, layers
        self.embed = nn.Embedding(vocab_size, width)
        self.position = nn.Embedding(context, width)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(width, heads, dropout, attention_dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def new_cache(self, padding: torch.Tensor | None = None, steps: int | None = None) -> KVCache:
        """An empty cache of ``steps`` steps (the context; more where rows are left-padded);
        ``padding`` (B,) for rows that will be read left-padded."""
        return KVCache(self.n_layers, steps or self.context, padding)

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None,
                padding: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """(B, T) ids -> (B, T, vocab) logits; with ``cache``, ``ids`` follow the cached steps."""
        return self.hidden(ids, cache, padding) @ self.embed.weight.T  # (B, T, vocab): the embedding, tied

    def hidden(self, ids: torch.Tensor, cache: KVCache | None = None,
               padding: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """(B, T) ids -> (B, T, W) the last block's normalised states (what the logits are read from).

        ``padding`` (B,): each row starts with that many padding tokens (rows of different lengths
        read together, as sampling does after a slide): no real token attends to them, and each
        row's first real token is at position 0, as in training. With ``cache``, the cache's own
        padding applies."""
        start = cache.seen() if cache is not None else 0
        if cache is not None:
            padding = cache.padding
        longest = start + ids.shape[1] - (int(padding.min()) if padding is not None else 0)
        if longest > self.context:
            raise ValueError(f"{longest} tokens exceed the context of {self.context}")
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)[None]  # (1, T)
        if padding is not None:
            positions = (positions - padding.to(ids.device)[:, None]).clamp(min=0)  # (B, T)
        x = self.dropout(self.embed(ids) + self.position(positions))  # (B, T, W)
        mask = attention_mask(ids.shape[1], start, padding)
        if mask is not None:
            mask = mask.to(ids.device)
        for layer, block in enumerate(self.blocks):
            x = block(x, layer, cache, mask)
        return self.norm(x)
