"""Process-wide settings applied before a run, and the clean-up after it."""

from __future__ import annotations

import logging
import warnings

import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities import rank_zero_only

log = logging.getLogger(__name__)


# Lightning 2.6 calls a torch pytree API that torch 2.13 deprecates, once per fit: noise to users.
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
# The segment DataModule offers validation data a GAN does not use; the GAN's checkpoints hold the
# state after its last optimiser step, which is what resuming needs.
warnings.filterwarnings("ignore", message=r".*manual optimization and every_n_train_steps.*")
warnings.filterwarnings("ignore", message=r".*passed in a `val_dataloader` but have no `validation_step`.*")


def apply_extras(extras: DictConfig | None, cfg: DictConfig) -> None:
    """Apply ``cfg.extras``: thread count, warning filters, printing the config."""
    if not extras:
        return
    if extras.get("torch_threads"):
        # Two cores shared by loader workers or a second job: torch's default threads can make a
        # step ~20x slower; one thread per process avoids the contention.
        torch.set_num_threads(int(extras.torch_threads))
    if extras.get("ignore_warnings"):
        warnings.filterwarnings("ignore")
    if extras.get("print_config") and rank_zero_only.rank == 0:  # once, not once per DDP process
        log.info("Config:\n%s", OmegaConf.to_yaml(cfg, resolve=True))


def finish_wandb() -> None:
    """End the W&B run if one is open, so the next job of a multirun starts its own."""
    try:
        import wandb
    except ImportError:
        return
    if wandb.run is not None:
        wandb.finish()


def plain_config(cfg: DictConfig) -> dict:
    """The run's config as plain resolved values, without Hydra's own section."""
    return OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True)
