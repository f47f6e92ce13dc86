"""Start a classifier's encoder from pretraining: masked-token pretraining (``models.masked_tokens``,
into the REMI classifier) or the Transformer composer (``models.transformer_composer``, into
``models.components.composer_encoder``).

A callback rather than a net argument: the weights are read once, when fit begins, so a
checkpoint of the classifier rebuilds (``checkpoints.load_model``, ``predict``) without the
pretraining files, and resuming a run (``ckpt_path=last``) restores its own weights over them.
Before reading them it checks that the pretraining never read this run's test songs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
from torch import nn

from emopia_lightning.checkpoints import chosen_checkpoint, read_checkpoint
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import make_split
from emopia_lightning.errors import CheckpointError

log = logging.getLogger(__name__)

PREFIX = "net."  # both pretraining modules keep the network the classifier reuses as .net
PRETRAINING = {
    "emopia_lightning.models.masked_tokens.MaskedTokenPretraining": "masked-token pretraining",
    "emopia_lightning.models.transformer_composer.module.TransformerComposer": "Transformer composer",
}


def load_pretrained_encoder(encoder: nn.Module, path: str | Path) -> tuple[Path, dict]:
    """Copy the network of a pretraining checkpoint (or run folder: its chosen checkpoint) into
    ``encoder``; return the checkpoint read and its run's config. :class:`CheckpointError` when the
    file is no pretraining or holds a network of another shape."""
    checkpoint_path = chosen_checkpoint(path)
    checkpoint = read_checkpoint(checkpoint_path, "pretraining")
    run_config = checkpoint.get("run_config") or {}
    if run_config.get("model", {}).get("_target_") not in PRETRAINING:
        raise CheckpointError(
            f"{checkpoint_path}: not a masked-token pretraining checkpoint (model=masked_tokens) "
            "nor a Transformer composer's (model=transformer_composer)"
        )
    state = checkpoint.get("state_dict", {})
    weights = {key[len(PREFIX) :]: value for key, value in state.items() if key.startswith(PREFIX)}
    try:
        encoder.load_state_dict(weights)
    except RuntimeError as error:  # other sizes (width, layers, context, vocabulary) or another kind
        detail = str(error).strip().splitlines()
        kind = PRETRAINING[run_config["model"]["_target_"]]
        raise CheckpointError(
            f"{checkpoint_path}: its {kind} network does not fit this model ({detail[-1].strip()})"
        ) from None
    return checkpoint_path, run_config


def check_test_songs_unseen(pretraining_split: dict, datamodule, checkpoint_path: Path) -> None:
    """:class:`CheckpointError` when the pretraining's training or validation clips hold a song of
    this run's test part (its split rebuilt on this run's clips)."""
    if not pretraining_split:
        raise CheckpointError(f"{checkpoint_path}: its run names no split, so its songs are unknown")
    labels = datamodule.corpus.labels
    seen = make_split(labels, locate_emopia(datamodule.hparams.root).split_csvs, **pretraining_split)

    def songs(positions) -> set[str]:
        return {labels[i].song_id for i in positions}

    shared = songs(datamodule.split.test) & (songs(seen.train) | songs(seen.val))
    if shared:
        raise CheckpointError(
            f"{checkpoint_path}: pretrained on split {pretraining_split}, which read {len(shared)} of "
            "this run's test songs; pretrain on this run's split (its training songs only)"
        )


class PretrainedEncoder(pl.Callback):
    """Before fit, load ``path`` (a pretraining checkpoint or run folder) into ``model.net.encoder``,
    once its split is known to keep this run's test songs out; ``path=None`` does nothing."""

    def __init__(self, path: str | None):
        self.path = path

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.path is None or stage != "fit":
            return
        encoder = getattr(getattr(pl_module, "net", None), "encoder", None)
        if encoder is None:
            raise CheckpointError(
                "pretrained= needs a token classifier (model=remi_transformer or model=composer_encoder)"
            )
        read, run_config = load_pretrained_encoder(encoder, self.path)
        if trainer is not None and trainer.datamodule is not None:
            check_test_songs_unseen(dict(run_config.get("split", {})), trainer.datamodule, read)
        log.info("Encoder weights from %s", read)
