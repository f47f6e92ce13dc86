"""Masked-token pretraining of a token encoder on the clips themselves (BERT's recipe).

Of each clip's real tokens, ``mask_rate`` are chosen (at least one a clip); of those, 80 % become
``MASK_ID``, 10 % a random token, 10 % stay, and the encoder learns to name the originals. Padding
is never chosen. The encoder's weights (``net.*`` in the checkpoint) start a classifier:
``pretrained=RUN_FOLDER`` (``callbacks.pretrained_encoder``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn

from emopia_lightning.data.tokens import MASK_ID, SPECIAL_TOKENS
from emopia_lightning.errors import RequestError
from emopia_lightning.models.components.token_transformer import TokenEncoder, real_token_mask
from emopia_lightning.models.optimisation import optimiser_and_schedule

IGNORE = -100  # cross_entropy's ignore_index: a token that was not chosen


def mask_tokens(
    ids: torch.Tensor,
    lengths: torch.Tensor,
    mask_rate: float,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (B, T), targets (B, T)): ``targets`` holds the original id where a token was chosen,
    ``IGNORE`` elsewhere (padding included); ``inputs`` is ``ids`` with the chosen tokens hidden."""
    real = real_token_mask(lengths.to(ids.device), ids.shape[1])  # (B, T)

    def uniform() -> torch.Tensor:
        return torch.rand(ids.shape, generator=generator, device=ids.device)  # (B, T)

    scores = uniform().masked_fill(~real, 2.0)  # padding never scores under the rate
    chosen = scores < mask_rate
    chosen[torch.arange(len(ids), device=ids.device), scores.argmin(dim=1)] = True  # one a clip at least
    chosen &= real  # an empty sequence's argmin is padding
    targets = ids.masked_fill(~chosen, IGNORE)
    action = uniform()
    random_ids = torch.randint(
        len(SPECIAL_TOKENS), vocab_size, ids.shape, generator=generator, device=ids.device
    )  # no special token as a random replacement
    inputs = torch.where(chosen & (action < 0.8), torch.full_like(ids, MASK_ID), ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, targets


class MaskedTokenPretraining(pl.LightningModule):
    """Trains ``net`` (a :class:`TokenEncoder`) to predict masked tokens from batches of
    ``(ids, lengths, targets)`` (the emotion targets are not read). Logs ``{stage}/loss`` and
    ``{stage}/acc`` (the share of chosen tokens named right). Validation and test mask the same
    tokens every epoch (a generator seeded by batch index), so their loss is comparable."""

    def __init__(
        self,
        net: TokenEncoder,
        vocab_size: int,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., torch.optim.lr_scheduler.LRScheduler] | None = None,
        mask_rate: float = 0.15,
        monitor: str = "val/loss",
        name: str = "masked_tokens",
    ):
        super().__init__()
        if not 0.0 < mask_rate < 1.0:
            raise RequestError(f"mask_rate must be in (0, 1), got {mask_rate}")
        # Plain values only in checkpoints; the net and optimizer are rebuilt from the run config.
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.net = net  # "net", as every model here calls its network (and configs shrink model.net)
        self.predict_token = nn.Linear(net.tokens.embedding_dim, vocab_size)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.predict_token(self.net(ids, lengths))  # (B, T, vocab)

    def _step(self, batch: tuple, stage: str, generator: torch.Generator | None = None) -> torch.Tensor:
        ids, lengths, _ = batch  # (B, T), (B,), (B,)
        inputs, targets = mask_tokens(
            ids, lengths, self.hparams.mask_rate, self.hparams.vocab_size, generator
        )
        logits = self(inputs, lengths)  # (B, T, vocab)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        chosen = targets != IGNORE
        accuracy = (logits.argmax(dim=-1)[chosen] == targets[chosen]).float().mean()
        n = int(chosen.sum())
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=n,
                 sync_dist=stage != "train")  # fmt: skip
        self.log(
            f"{stage}/acc", accuracy, on_step=False, on_epoch=True, batch_size=n, sync_dist=stage != "train"
        )
        return loss

    def _fixed_masks(self, batch_idx: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(batch_idx)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], on_step=False, on_epoch=True)
        return self._step(batch, "train")

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self._step(batch, "val", self._fixed_masks(batch_idx))

    def test_step(self, batch: tuple, batch_idx: int) -> None:
        self._step(batch, "test", self._fixed_masks(batch_idx))

    def configure_optimizers(self) -> dict:
        return optimiser_and_schedule(
            self.parameters(), self.optimizer_factory, self.scheduler_factory, self.hparams.monitor
        )
