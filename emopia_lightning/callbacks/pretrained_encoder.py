"""Start a classifier's encoder from masked-token pretraining (``models.masked_tokens``).

A callback rather than a net argument: the weights are read once, when fit begins, so a
checkpoint of the classifier rebuilds (``checkpoints.load_model``, ``predict``) without the
pretraining files, and resuming a run (``ckpt_path=last``) restores its own weights over them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
from torch import nn

from emopia_lightning.checkpoints import chosen_checkpoint, read_checkpoint
from emopia_lightning.errors import CheckpointError

log = logging.getLogger(__name__)

PREFIX = "net."  # MaskedTokenPretraining keeps its encoder as .net
PRETRAINING = "emopia_lightning.models.masked_tokens.MaskedTokenPretraining"


def load_pretrained_encoder(encoder: nn.Module, path: str | Path) -> Path:
    """Copy the encoder weights of a pretraining checkpoint (or run folder: its checkpoint chosen
    on validation) into ``encoder``; return the checkpoint read. :class:`CheckpointError` when the
    file holds no encoder of this shape."""
    checkpoint_path = chosen_checkpoint(path)
    checkpoint = read_checkpoint(checkpoint_path, "masked-token pretraining")
    if checkpoint["run_config"]["model"]["_target_"] != PRETRAINING:
        raise CheckpointError(
            f"{checkpoint_path}: not a masked-token pretraining checkpoint (model=masked_tokens)"
        )
    state = checkpoint.get("state_dict", {})
    weights = {key[len(PREFIX) :]: value for key, value in state.items() if key.startswith(PREFIX)}
    try:
        encoder.load_state_dict(weights)
    except RuntimeError as error:  # other sizes (hidden_size, num_layers, max_tokens, vocabulary)
        detail = str(error).strip().splitlines()
        raise CheckpointError(
            f"{checkpoint_path}: its encoder does not fit this model ({detail[-1].strip()})"
        ) from None
    return checkpoint_path


class PretrainedEncoder(pl.Callback):
    """Before fit, load ``path`` (a pretraining checkpoint or run folder) into ``model.net.encoder``;
    ``path=None`` does nothing."""

    def __init__(self, path: str | None):
        self.path = path

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.path is None or stage != "fit":
            return
        encoder = getattr(getattr(pl_module, "net", None), "encoder", None)
        if encoder is None:
            raise CheckpointError("pretrained= needs a token classifier (model=remi_transformer)")
        read = load_pretrained_encoder(encoder, self.path)
        log.info("Encoder weights from %s", read)
