"""A small Transformer encoder over REMI token ids (``data.tokens``), and the emotion classifier
built on it: mean of the encoder's outputs over each clip's real tokens, then a linear head."""

from __future__ import annotations

import torch
from torch import nn

from emopia_lightning.errors import RequestError


def real_token_mask(lengths: torch.Tensor, n_tokens: int) -> torch.Tensor:
    """(B, T) bool, True at each sequence's real (not padding) tokens."""
    positions = torch.arange(n_tokens, device=lengths.device)
    return positions[None, :] < lengths[:, None]


def masked_mean(states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T, H) states -> (B, H) their mean over each clip's first ``lengths`` (real) tokens."""
    real = real_token_mask(lengths.to(states.device), states.shape[1]).unsqueeze(-1)  # (B, T, 1)
    return (states * real).sum(dim=1) / real.sum(dim=1).clamp(min=1)


class TokenEncoder(nn.Module):
    """(B, T) token ids + (B,) lengths -> (B, T, hidden_size) states; padding is masked out of
    attention. Token embeddings plus learned positions (at most ``max_tokens``)."""

    def __init__(
        self,
        vocab_size: int,
        max_tokens: int,
        hidden_size: int = 96,
        num_layers: int = 2,
        num_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        if hidden_size % num_heads:
            raise RequestError(f"hidden_size ({hidden_size}) must be a multiple of num_heads ({num_heads})")
        self.max_tokens = max_tokens
        self.tokens = nn.Embedding(vocab_size, hidden_size)
        self.positions = nn.Embedding(max_tokens, hidden_size)
        layer = nn.TransformerEncoderLayer(
            hidden_size, num_heads, dim_feedforward=4 * hidden_size, dropout=dropout,
            batch_first=True, norm_first=True,  # pre-norm: trains without a warm-up at these sizes
        )  # fmt: skip
        # No dropout on the attention weights: it forces the unfused attention kernel, 2.5x slower
        # on CPU at 512 tokens; dropout stays on the residual and feed-forward paths.
        layer.self_attn.dropout = 0.0
        # No nested-tensor fast path: it is inference-only and warns with norm_first.
        self.layers = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden_size)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        n_tokens = ids.shape[1]
        if n_tokens > self.max_tokens:
            raise ValueError(f"{n_tokens} tokens, but the encoder has positions for {self.max_tokens}")
        where = torch.arange(n_tokens, device=ids.device)
        x = self.tokens(ids) + self.positions(where)[None]  # (B, T, H)
        padding = ~real_token_mask(lengths.to(ids.device), n_tokens)  # (B, T), True: ignore
        return self.norm(self.layers(x, src_key_padding_mask=padding))  # (B, T, H)


class TokenTransformerClassifier(nn.Module):
    """(B, T) token ids + (B,) lengths -> (B, num_classes) logits. ``encoder`` is a
    :class:`TokenEncoder`, the part masked-token pretraining trains (``models.masked_tokens``)."""

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        max_tokens: int,
        hidden_size: int = 96,
        num_layers: int = 2,
        num_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.encoder = TokenEncoder(vocab_size, max_tokens, hidden_size, num_layers, num_heads, dropout)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, num_classes))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states = self.encoder(ids, lengths)  # (B, T, H)
        return self.head(masked_mean(states, lengths))  # (B, num_classes)
