"""emopia_lightning: emotion recognition and emotion-conditioned generation of piano music."""

from pathlib import Path

from omegaconf import OmegaConf

from emopia_lightning.data.labels import num_classes

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Config resolvers: `${project_root:}` anchors default paths to the checkout (no absolute paths in
# conf/), `${num_classes:${task}}` sizes a classifier head from the task name.
OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT), replace=True)
OmegaConf.register_new_resolver("num_classes", num_classes, replace=True)

__version__ = "0.1.0"
