"""What the configs need registered before Hydra composes them: the resolvers and the layout node.

Every Hydra entry point calls :func:`register` at import (Hydra composes before ``main`` runs),
as does anything that composes the configs itself (the tests, the benchmarks).

Resolvers: ``${project_root:}`` anchors default paths to the checkout (no absolute paths in conf/),
``${num_classes:${task}}`` sizes a classifier head from the task name; the GAN's configs derive
sizes with ``${multiply:a,b}``, Lightning's step budget with ``${optimizer_steps:g,n_critic}``
(each generator step is n_critic + 1 optimiser steps) and ``${conditional_classes:flag,n}`` (0
classes builds unconditional nets); ``${if_labelled:flag,x}`` is x with labels, else 0 (the AC-GAN
head needs them). ``${sweep_group:}`` names a multirun's W&B group. ``${remi_vocab_size:n}`` is the
REMI vocabulary's size with n velocity bins (data.tokens), for the token models' embeddings;
``${composer_vocab_size:n,learned}`` the Transformer composer's (REMI or ``learned`` bar tokens, EOS and the
emotion conditions).
"""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.labels import num_classes
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.tokens import remi_vocab_size
from emopia_lightning.models.musegan.steps import optimizer_steps
from emopia_lightning.project_root import PROJECT_ROOT

CONF_DIR = PROJECT_ROOT / "conf"


def sweep_group() -> str | None:
    """In a Hydra multirun, the sweep folder's name, which all its jobs share; None otherwise."""
    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    return Path(hydra_cfg.sweep.dir).name if hydra_cfg.mode == RunMode.MULTIRUN else None


RESOLVERS = {
    "project_root": lambda: str(PROJECT_ROOT),
    "num_classes": num_classes,
    "multiply": lambda a, b: int(a) * int(b),
    "optimizer_steps": optimizer_steps,
    "conditional_classes": lambda conditional, n: int(n) if conditional else 0,
    "if_labelled": lambda conditional, x: x if conditional else 0,
    "remi_vocab_size": remi_vocab_size,
    "composer_vocab_size": lambda n, learned=0: ComposerVocabulary(int(n), learned_size=int(learned)).size,
    "sweep_group": sweep_group,
}


def register() -> None:
    """Register the resolvers and store the piano layout as ``data/layout=piano``; idempotent."""
    for name, resolver in RESOLVERS.items():
        OmegaConf.register_new_resolver(name, resolver, replace=True)
    # The piece layout is a dataclass: Hydra takes its fields and defaults as `data.layout` (one
    # definition; `data.layout.bars=8` overrides it, type-checked).
    node = OmegaConf.structured(SegmentLayout)
    OmegaConf.set_readonly(node, False)  # a frozen dataclass, but overridable from the command line
    ConfigStore.instance().store(group="data/layout", name="piano", node=node)


def compose_config(config_name: str, overrides=(), folder: Path = CONF_DIR, **kwargs) -> DictConfig:
    """The config ``config_name`` of ``folder`` with ``overrides``, composed as its command would (Hydra's
    compose API; no run folder, nothing run)."""
    register()
    GlobalHydra.instance().clear()  # a test or a notebook may have composed before
    with initialize_config_dir(config_dir=str(folder), version_base="1.3"):
        return compose(config_name, overrides=list(overrides), **kwargs)
