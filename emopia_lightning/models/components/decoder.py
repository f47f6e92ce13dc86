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

    def __init__(self, n_layers: int, context: int):
        self.context = context
        self.keys: list[torch.Tensor | None] = [None] * n_layers  # (B, heads, context, head width)
        self.values: list[torch.Tensor | None] = [None] * n_layers
        self.filled = [0] * n_layers

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

    def keep(self, rows: torch.Tensor) -> None:
        """Only these batch rows from now on."""
        for layer in range(len(self.keys)):
            if self.keys[layer] is not None:
                self.keys[layer], self.values[layer] = self.keys[layer][rows], self.values[layer][rows]


class SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float, attention_dropout: float = 0.0):
        super().__init__()
        if width % heads:
            raise RequestError(f"width {width} must be a multiple of heads {heads}")
        self.heads, self.dropout, self.attention_dropout = heads, dropout, attention_dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, layer: int, cache: KVCache | None) -> torch.Tensor:
        batch, steps, width = x.shape  # (B, T, W)
        q, k, v = (
            self.qkv(x).view(batch, steps, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        )  # 3 x (B, H, T, W/H)
        past = 0
        if cache is not None:
            past = cache.seen(layer)
            k, v = cache.extend(layer, k, v)  # (B, H, past + T, W/H)
        mask, causal = None, past == 0 and steps > 1
        if past and steps > 1:  # new queries see every cached step and the new ones up to themselves
            mask = torch.ones(steps, past + steps, dtype=torch.bool, device=x.device).tril(past)
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

    def forward(self, x: torch.Tensor, layer: int, cache: KVCache | None) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x), layer, cache)  # (B, T, W)
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

    def new_cache(self) -> KVCache:
        return KVCache(self.n_layers, self.context)

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """(B, T) ids -> (B, T, vocab) logits; with ``cache``, ``ids`` follow the cached steps."""
        return self.hidden(ids, cache) @ self.embed.weight.T  # (B, T, vocab): the embedding, tied

    def hidden(self, ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """(B, T) ids -> (B, T, W) the last block's normalised states (what the logits are read from)."""
        start = cache.seen() if cache is not None else 0
        if start + ids.shape[1] > self.context:
            raise ValueError(f"{start + ids.shape[1]} tokens exceed the context of {self.context}")
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)  # (T,)
        x = self.dropout(self.embed(ids) + self.position(positions))  # (B, T, W)
        for layer, block in enumerate(self.blocks):
            x = block(x, layer, cache)
        return self.norm(x)
