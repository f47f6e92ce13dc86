"""Train and test a model: ``python -m emopia_lightning.train model=lstm task=arousal``.

``train(cfg)`` is the plain function (tests call it); ``main`` is the thin Hydra entry point.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities import rank_zero_only

from emopia_lightning.callbacks.confusion_matrix_plot import ConfusionMatrixPlot
from emopia_lightning.callbacks.monitor_check import MonitoredMetricsLogged
from emopia_lightning.checkpoints import RunConfigInCheckpoints, check_resumable
from emopia_lightning.config_registry import register as register_configs
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data_licence import write_licence_note
from emopia_lightning.errors import RequestError, one_line_errors
from emopia_lightning.utils.instantiate import build, instantiate_callbacks, instantiate_loggers
from emopia_lightning.utils.runtime import apply_extras, finish_wandb, plain_config

register_configs()  # before Hydra composes this command's config

log = logging.getLogger(__name__)


def _best_checkpoint(trainer: pl.Trainer) -> str | None:
    """The best-on-validation checkpoint; None when no checkpoint callback monitors a metric."""
    callback = trainer.checkpoint_callback
    if callback is None or getattr(callback, "monitor", None) is None:
        return None
    return callback.best_model_path or None


def _save_final_last(trainer: pl.Trainer) -> None:
    """Make ``last.ckpt`` hold the final weights: saving every N steps may stop short of the end
    (a GAN run whose length is no multiple of N), and Lightning then keeps the older file."""
    callback = trainer.checkpoint_callback
    if callback is None or not callback.save_last or not callback.dirpath:
        return
    if getattr(callback, "_last_global_step_saved", None) != trainer.global_step:
        trainer.save_checkpoint(
            Path(callback.dirpath) / f"{callback.CHECKPOINT_NAME_LAST}{callback.FILE_EXTENSION}"
        )


def _metrics(trainer: pl.Trainer) -> dict[str, float]:
    return {k: float(v) for k, v in trainer.callback_metrics.items()}


def _train_accuracy(trainer: pl.Trainer, model, datamodule, checkpoint: str) -> dict[str, float]:
    """The chosen checkpoint on the training clips, unaugmented (the report's "train accuracy")."""
    loader = datamodule.train_eval_dataloader()
    with contextlib.ExitStack() as stack:  # this pass runs as validation; its matrix is not the val one
        for plot in (c for c in trainer.callbacks if isinstance(c, ConfusionMatrixPlot)):
            stack.enter_context(plot.paused())
        (results,) = trainer.validate(model, dataloaders=loader, ckpt_path=checkpoint, verbose=False)
    return {k.replace("val/", "train_eval/"): float(v) for k, v in results.items()}


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit on the train split, choose the checkpoint on validation, test it; return the metrics.

    ``val/*`` metrics are those of the chosen checkpoint, ``test/*`` its test metrics.
    """
    if cfg.data.get("root") is not None:
        # Missing data fails here, in one line, before loggers, W&B runs or the trainer start.
        locate_emopia(cfg.data.root)
    # So does a checkpoint of another kind ("last" and "best" Lightning finds in the run's folder)
    if cfg.get("ckpt_path") not in (None, "last", "best"):
        check_resumable(cfg.ckpt_path, cfg.model._target_)
    apply_extras(cfg.get("extras"), cfg)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    output_dir = Path(cfg.paths.output_dir)

    datamodule: pl.LightningDataModule = build(cfg.data)
    model: pl.LightningModule = build(cfg.model)
    run_config = plain_config(cfg)
    callbacks = [
        MonitoredMetricsLogged(),  # first, so that it speaks before the callbacks that monitor
        *instantiate_callbacks(cfg.get("callbacks")),
        RunConfigInCheckpoints(run_config),  # so predict/generate can rebuild the model without this run
    ]
    loggers = instantiate_loggers(cfg.get("logger"))
    trainer: pl.Trainer = build(cfg.trainer, callbacks=callbacks, logger=loggers)
    for logger in loggers:
        logger.log_hyperparams(run_config)

    metrics: dict[str, float] = {}
    checkpoint = cfg.get("ckpt_path")
    try:
        if cfg.get("train", True):
            trainer.fit(model, datamodule=datamodule, ckpt_path=checkpoint)
            _save_final_last(trainer)
            metrics.update(_metrics(trainer))
            checkpoint = _best_checkpoint(trainer)
            if checkpoint:
                if cfg.get("evaluate_train"):
                    metrics.update(_train_accuracy(trainer, model, datamodule, checkpoint))
                # Validation metrics and confusion matrix of the chosen checkpoint, not the last epoch.
                trainer.validate(model, datamodule=datamodule, ckpt_path=checkpoint, verbose=False)
                metrics.update(_metrics(trainer))
            elif cfg.get("test", True):
                log.warning(
                    "No checkpoint monitors a validation metric (e.g. fast_dev_run): the last weights are tested"
                )
        if cfg.get("test", True):
            trainer.test(model, datamodule=datamodule, ckpt_path=checkpoint)
            metrics.update(_metrics(trainer))
            log.info("Tested checkpoint: %s", checkpoint or "current weights")
    finally:
        finish_wandb()

    if trainer.is_global_zero:
        output_dir.mkdir(parents=True, exist_ok=True)
        write_licence_note(output_dir)  # beside the checkpoints trained on EMOPIA
        last = getattr(trainer.checkpoint_callback, "last_model_path", None) or None
        record = {"metrics": metrics, "tested_checkpoint": checkpoint, "last_checkpoint": last}
        (output_dir / "metrics.json").write_text(json.dumps(record, indent=2, sort_keys=True))
    optimized = cfg.get("optimized_metric")
    if optimized and optimized not in metrics:
        # A sweep must not optimise None: say which names exist (after the run's outputs are saved).
        raise RequestError(
            f"optimized_metric={optimized!r} was not logged by this run; it logged {', '.join(sorted(metrics))}"
        )
    return metrics


def summary(metrics: dict[str, float], output_dir: str) -> str:
    """Test metrics when there was a test (classifiers), else the last training metrics and the
    judged emotion control (GANs)."""
    tested = any(k.startswith("test/") for k in metrics)
    lines = []
    for stage in ("test",) if tested else ("train", "val"):
        shown = {k: v for k, v in sorted(metrics.items()) if k.startswith(f"{stage}/")}
        if shown or stage != "val":
            figures = "  ".join(f"{k}={v:.4f}" for k, v in shown.items())
            lines.append(f"{stage.capitalize()} metrics: {figures or '(none)'}")
    return "\n".join([*lines, f"Outputs: {output_dir}"])


def refuse_an_unread_split(cfg: DictConfig, overrides: list[str]) -> None:
    """A ``split=`` override for data that reads no split (the GAN's segments train on every clip,
    ``data.split: null``) is refused: it would be silently ignored."""
    asked = [o for o in overrides if o.lstrip("+~").split("=")[0].split(".")[0] == "split"]
    data = cfg.get("data")
    if asked and data is not None and not ("split" in data and OmegaConf.is_interpolation(data, "split")):
        raise RequestError(
            f"{asked[0]}: this run's data ({data.get('_target_', '?').rsplit('.', 1)[-1]}) reads no split"
            " (it trains on every clip); leave split= out, or give the data the split too:"
            " data.split='${split}'"
        )


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
@one_line_errors
def main(cfg: DictConfig) -> float | None:
    refuse_an_unread_split(cfg, list(HydraConfig.get().overrides.task))
    metrics = train(cfg)
    if rank_zero_only.rank == 0:  # DDP runs one process per device; rank 0 speaks for them
        print(summary(metrics, cfg.paths.output_dir))
    monitored = cfg.get("optimized_metric")
    return metrics.get(monitored) if monitored else None


if __name__ == "__main__":
    main()
