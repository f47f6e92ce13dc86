"""The Transformer composer's decoder read as an encoder: an emotion classifier to fine-tune.

The composer is a language model of the training songs' REMI tokens; its last block's states,
averaged over a clip, already tell the quadrants apart better than the REMI classifier trained for
it (experiments/recognition_directions.md). Here the same decoder reads the clip as the composer
reads music (after the "no emotion" condition, in windows of its context) and a linear head on the
mean state is trained with it. ``callbacks.pretrained_encoder`` starts ``encoder`` from a composer
run; without it the net is the same Transformer from scratch.
"""

from __future__ import annotations

import torch
from torch import nn

from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.models.components.decoder import DecoderTransformer
from emopia_lightning.models.components.token_transformer import masked_mean


def read_in_windows(decoder: DecoderTransformer, condition: int, ids: torch.Tensor) -> torch.Tensor:
    """(B, T) ids -> (B, T, W) the decoder's last-block state at each token, the clip read in
    consecutive windows of ``context - 1`` tokens, each after the ``condition`` token."""
    batch, steps = ids.shape
    window = decoder.context - 1  # one place for the condition
    windows = -(-steps // window)
    ids = nn.functional.pad(ids, (0, windows * window - steps), value=PAD_ID)
    ids = ids.reshape(batch * windows, window)
    conditions = ids.new_full((len(ids), 1), condition)
    hidden = decoder.hidden(torch.cat([conditions, ids], dim=1))[:, 1:]  # (B * windows, window, W)
    return hidden.reshape(batch, windows * window, -1)[:, :steps]


class ComposerEncoderClassifier(nn.Module):
    """(B, T) REMI ids padded with PAD_ID + (B,) lengths -> (B, num_classes) logits.

    A clip longer than the context is cut into consecutive windows of ``context - 1`` tokens, each
    read after the condition token; the decoder is causal, so the padding after a clip changes no
    state of its real tokens.
    """

    def __init__(self, num_velocities: int, num_classes: int, context: int = 256, width: int = 192,
                 layers: int = 4, heads: int = 4, dropout: float = 0.1):  # fmt: skip
        super().__init__()
        vocabulary = ComposerVocabulary(num_velocities)
        self.condition = vocabulary.condition(None)
        self.encoder = DecoderTransformer(vocabulary.size, context, width, layers, heads, dropout)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, num_classes))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states = read_in_windows(self.encoder, self.condition, ids)  # (B, T, W)
        return self.head(masked_mean(states, lengths))
