"""Checkpoints the project's commands can rebuild, and rebuilding them without running their code.

Two kinds of file: Lightning checkpoints (below) and skops files of fitted scikit-learn models
(:func:`load_skops`: the classical classifiers, the feature judge).

One mechanism for every model: ``train`` gives its trainer a :class:`RunConfigInCheckpoints`
callback, which stores the run's resolved config (plain values) in every checkpoint as
``run_config``; :func:`load_model` rebuilds the model from that config alone. A new LightningModule
needs nothing of its own to work with ``predict``, ``generate``, ``evaluate_generator`` and the ensemble.

Checkpoints are read with ``torch.load(weights_only=True)`` (no pickled code runs), and the model
is rebuilt from the checkpoint's own config only if every ``_target_`` there resolves to a class
defined in this project or in ``torch.optim``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra._internal.utils import _locate
from hydra.utils import instantiate
from omegaconf import OmegaConf

from emopia_lightning.errors import CheckpointError

# A checkpoint's config may name only classes defined under these modules, so an edited checkpoint
# cannot make us call anything else.
ALLOWED_MODULES = ("emopia_lightning.", "torch.optim.")


def _plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return value is None or isinstance(value, (bool, int, float, str))


def pinned(node):
    """``node`` (a plain config) with every constructor argument written out: each ``_target_``'s
    defaults added where the config leaves them out, so that a checkpoint is rebuilt as it was
    trained even after a default changes. Only plain defaults are written (others are objects
    the config builds, or leaves to the class)."""
    if isinstance(node, list):
        return [pinned(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: pinned(v) for k, v in node.items()}
    target = node.get("_target_")
    located = _locate(target) if isinstance(target, str) and _allowed(target) else None
    if located is not None:
        for name, parameter in inspect.signature(located).parameters.items():
            if name in node or parameter.default is inspect.Parameter.empty:
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if _plain(parameter.default):
                default = parameter.default
                node[name] = list(default) if isinstance(default, tuple) else default
    return node


class RunConfigInCheckpoints(pl.Callback):
    """Store the run's config (a plain dict, as ``utils.runtime.plain_config`` makes it) in every
    checkpoint the trainer writes, with the model's and the data's every constructor argument
    :func:`pinned`, so that :func:`load_model` rebuilds the model as it was trained."""

    def __init__(self, run_config: dict):
        self.run_config = {
            **run_config,
            **{part: pinned(run_config[part]) for part in ("model", "data") if part in run_config},
        }

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict
    ) -> None:
        checkpoint["run_config"] = self.run_config


def _targets(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["_target_"]] if "_target_" in node else []
        return found + [t for value in node.values() for t in _targets(value)]
    if isinstance(node, list):
        return [t for value in node for t in _targets(value)]
    return []


def _allowed(target: str) -> bool:
    """True for a class defined in an allowed module.

    The string is checked before anything is imported, then the object it resolves to, since a
    dotted path can reach other things through module attributes (``emopia_lightning.x.os.system``).
    """
    if not isinstance(target, str) or not target.startswith(ALLOWED_MODULES):
        return False
    try:
        located = _locate(target)
    except Exception:
        return False
    return inspect.isclass(located) and located.__module__.startswith(ALLOWED_MODULES)


def read_checkpoint(path: str | Path, kind: str) -> dict:
    """The checkpoint's contents, read without running pickled code, with a ``run_config`` whose
    model config names only allowed classes; else :class:`CheckpointError` (``kind`` names it)."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as error:  # unpickling refusals and corrupt files alike
        raise CheckpointError(f"{path}: not a loadable checkpoint ({type(error).__name__})") from None
    config = checkpoint.get("run_config") if isinstance(checkpoint, dict) else None
    if not config or "model" not in config:
        raise CheckpointError(f"{path}: no run_config inside; not an emopia_lightning {kind} checkpoint")
    built = {part: config[part] for part in ("model", "data") if part in config}
    refused = [t for t in _targets(built) if not _allowed(t)]
    if refused:
        raise CheckpointError(f"{path}: its config names {refused}, which will not be built")
    return checkpoint


def check_resumable(path: str | Path, model_target: str) -> None:
    """Before fit resumes from ``path``: a checkpoint of this run's model class, else :class:`CheckpointError`."""
    checkpoint = read_checkpoint(path, "training")
    target = checkpoint["run_config"]["model"]["_target_"]
    if target != model_target:
        raise CheckpointError(
            f"{path}: a checkpoint of {target.rsplit('.', 1)[-1]}, not of this run's {model_target.rsplit('.', 1)[-1]}"
        )


def load_model(path: str | Path, expected: type, kind: str):
    """(model of class ``expected`` in eval mode, the run's config); ``kind`` names it in errors."""
    checkpoint = read_checkpoint(path, kind)
    config = checkpoint["run_config"]
    if "data" not in config:
        raise CheckpointError(
            f"{path}: its run_config has no data part; not an emopia_lightning {kind} checkpoint"
        )
    target = _locate(config["model"]["_target_"])
    if not (inspect.isclass(target) and issubclass(target, expected)):
        raise CheckpointError(f"{path}: holds {target.__name__} weights, not the {kind} asked for")
    try:
        model = instantiate(OmegaConf.create(config["model"]))
        # What a model keeps beside its weights (a composer's tokenizer), restored as Lightning does.
        model.on_load_checkpoint(checkpoint)
        model.load_state_dict(checkpoint["state_dict"])
    except Exception as error:  # a config or weights this version cannot rebuild
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: cannot rebuild the model ({first_line})") from None
    return model.eval(), config


def chosen_checkpoint(path: str | Path) -> Path:
    """A checkpoint file as given, or for a training run's folder the checkpoint it chose on
    validation (``metrics.json``'s ``tested_checkpoint``), else its last (a GAN chooses none)."""
    path = Path(path)
    if not path.is_dir():
        return path
    record_path = path / "metrics.json"
    if not record_path.is_file():
        raise CheckpointError(f"{path}: no metrics.json; is this a finished training run's folder?")
    record = json.loads(record_path.read_text())
    checkpoint = record.get("tested_checkpoint") or record.get("last_checkpoint")
    if not checkpoint:
        raise CheckpointError(f"{path}: its metrics.json names no checkpoint")
    # The record holds an absolute path: a run folder moved or copied since uses its own file.
    own = path / "checkpoints" / Path(checkpoint).name
    return own if own.exists() else Path(checkpoint)


# A skops file may hold only these types (beyond the builtins skops trusts by itself), so an edited
# file cannot make loading build anything else: scikit-learn's and numpy's, and our own estimators
# by their exact names.
TRUSTED_SKOPS_PREFIXES = ("sklearn.", "numpy.")
TRUSTED_SKOPS_TYPES = (
    "emopia_lightning.classical.circumplex.ArousalTimesValence",
    "emopia_lightning.classical.grouped_stacking.GroupedStackingClassifier",
)


def load_skops(path: str | Path, kind: str):
    """The object in a skops file, refused (:class:`CheckpointError`) if it holds any type outside
    the trusted ones above; ``kind`` names the file in errors. Nothing in the file runs."""
    import skops.io

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such {kind}")
    try:
        types = skops.io.get_untrusted_types(file=path)
    except Exception as error:  # not a skops archive at all
        raise CheckpointError(f"{path}: not a {kind} ({type(error).__name__})") from None
    refused = [t for t in types if not (t.startswith(TRUSTED_SKOPS_PREFIXES) or t in TRUSTED_SKOPS_TYPES)]
    if refused:
        raise CheckpointError(f"{path}: holds {refused}, which will not be loaded")
    try:
        return skops.io.load(path, trusted=types)
    except Exception as error:
        raise CheckpointError(f"{path}: not a loadable {kind} ({type(error).__name__})") from None
