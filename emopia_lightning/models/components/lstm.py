"""The report's LSTM emotion classifier over piano-roll sequences, or over token ids."""

from __future__ import annotations

import torch
from torch import nn

from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.errors import RequestError
from emopia_lightning.models.components.bidirectional_lstm import PaddedBidirectionalLSTM


class LSTMClassifierNet(nn.Module):
    """(B, T, P) padded rolls + (B,) lengths -> (B, num_classes) logits.

    ``pooling='last'`` classifies from the final hidden state (the report's vanilla LSTM);
    ``'mean'`` averages the outputs over each clip's real frames; ``'attention'`` weighs them by a
    learned score (softmax over the real frames), as in the dataset authors' LSTM-attention.

    With ``vocab_size`` the input is (B, T) token ids instead (REMI events, as the dataset authors'
    classifier read), embedded in ``input_size`` dimensions first; padding ids embed to zeros.
    """

    def __init__(
        self,
        input_size: int,
        num_classes: int,
        hidden_size: int = 128,
        num_layers: int = 2,
        dropout: float = 0.3,
        bidirectional: bool = False,
        pooling: str = "last",
        vocab_size: int | None = None,
    ):
        super().__init__()
        if pooling not in ("last", "mean", "attention"):
            raise RequestError(f"pooling must be 'last', 'mean' or 'attention', got {pooling!r}")
        self.pooling = pooling
        self.embed = nn.Embedding(vocab_size, input_size, padding_idx=PAD_ID) if vocab_size else None
        if bidirectional:
            self.lstm = PaddedBidirectionalLSTM(input_size, hidden_size, num_layers, dropout)
        else:
            self.lstm = nn.LSTM(
                input_size, hidden_size, num_layers=num_layers, batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
            )  # fmt: skip
        directions = 2 if bidirectional else 1
        self.attention = nn.Linear(hidden_size * directions, 1) if pooling == "attention" else None
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size * directions, num_classes))

    def forward(self, rolls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            rolls = self.embed(rolls)  # (B, T) ids -> (B, T, input_size)
        # Padded, not packed: on CPU a packed LSTM ran 5-20x slower here. Padding frames come after
        # each clip, so the forward direction's state at a clip's last real frame is unaffected;
        # the backward direction reads each clip reversed within its length (bidirectional_lstm.py).
        if self.lstm.bidirectional:
            outputs = self.lstm(rolls, lengths)
        else:
            outputs, _ = self.lstm(rolls)  # (B, T, H * directions)
        lengths = lengths.to(outputs.device)
        hidden = self.lstm.hidden_size
        if self.pooling == "last":
            batch = torch.arange(len(outputs), device=outputs.device)
            features = outputs[batch, lengths - 1, :hidden]  # (B, H) forward state at clip end
            if self.lstm.bidirectional:
                # The backward direction ends at frame 0, having read the whole clip.
                features = torch.cat([features, outputs[:, 0, hidden:]], dim=-1)  # (B, 2H)
        else:
            frames = torch.arange(outputs.shape[1], device=outputs.device)
            mask = (frames[None, :] < lengths[:, None]).unsqueeze(-1)  # (B, T, 1)
            if self.attention is None:
                weights = mask / lengths[:, None, None]  # (B, T, 1) uniform over real frames
            else:
                scores = self.attention(outputs).masked_fill(~mask, float("-inf"))  # (B, T, 1)
                weights = torch.softmax(scores, dim=1)
            features = (outputs * weights).sum(dim=1)  # (B, H * directions)
        return self.head(features)  # (B, num_classes)
