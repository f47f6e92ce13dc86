"""emopia_lightning: emotion recognition and emotion-conditioned generation of piano music."""

from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import OmegaConf

from emopia_lightning.data.composer_vocabulary import ComposerVocabulary
from emopia_lightning.data.labels import num_classes
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.tokens import remi_vocab_size

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Config resolvers: `${project_root:}` anchors default paths to the checkout (no absolute paths in
# conf/), `${num_classes:${task}}` sizes a classifier head from the task name; the GAN's configs
# derive sizes with `${multiply:a,b}`, Lightning's step budget with `${optimizer_steps:g,n_critic}`
# (each generator step is n_critic + 1 optimiser steps) and `${conditional_classes:flag,n}` (0
# classes builds unconditional nets); `${if_labelled:flag,x}` is x with labels, else 0 (the AC-GAN
# head needs them). `${sweep_group:}` names a multirun's W&B group. `${remi_vocab_size:n}` is the
# REMI vocabulary's size with n velocity bins (data.tokens), for the token models' embeddings;
# `${composer_vocab_size:n}` the Transformer composer's (REMI, EOS and the emotion conditions).
OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT), replace=True)
OmegaConf.register_new_resolver("num_classes", num_classes, replace=True)
OmegaConf.register_new_resolver("multiply", lambda a, b: int(a) * int(b), replace=True)
OmegaConf.register_new_resolver(
    "optimizer_steps",
    lambda generator_steps, n_critic: int(generator_steps) * (int(n_critic) + 1),
    replace=True,
)
OmegaConf.register_new_resolver(
    "conditional_classes", lambda conditional, n: int(n) if conditional else 0, replace=True
)
OmegaConf.register_new_resolver("remi_vocab_size", remi_vocab_size, replace=True)
OmegaConf.register_new_resolver(
    "composer_vocab_size", lambda n: ComposerVocabulary(int(n)).size, replace=True
)
OmegaConf.register_new_resolver("if_labelled", lambda conditional, x: x if conditional else 0, replace=True)


def sweep_group() -> str | None:
    """In a Hydra multirun, the sweep folder's name, which all its jobs share; None otherwise."""
    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    return Path(hydra_cfg.sweep.dir).name if hydra_cfg.mode == RunMode.MULTIRUN else None


OmegaConf.register_new_resolver("sweep_group", sweep_group, replace=True)

# The GAN's piece layout is a dataclass: Hydra takes its fields and defaults as `data.layout` (one
# definition; `data.layout.bars=8` overrides it, type-checked).
_layout_node = OmegaConf.structured(SegmentLayout)
OmegaConf.set_readonly(_layout_node, False)  # a frozen dataclass, but overridable from the command line
ConfigStore.instance().store(group="data/layout", name="piano", node=_layout_node)

__version__ = "0.1.0"
