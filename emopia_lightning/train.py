"""Train and test a model: ``python -m emopia_lightning.train model=lstm task=arousal``.

``train(cfg)`` is the plain function (tests call it); ``main`` is the thin Hydra entry point.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

import emopia_lightning  # noqa: F401  (registers the config resolvers)
from emopia_lightning.data.source import DataNotFoundError
from emopia_lightning.utils.instantiate import instantiate_callbacks, instantiate_loggers
from emopia_lightning.utils.runtime import apply_extras, finish_wandb, plain_config

log = logging.getLogger(__name__)


def _best_checkpoint(trainer: pl.Trainer) -> str | None:
    callback = trainer.checkpoint_callback
    path = getattr(callback, "best_model_path", "") if callback else ""
    return path or None


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit on the train split, choose the checkpoint on validation, test it; return the metrics."""
    apply_extras(cfg.get("extras"), cfg)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    output_dir = Path(cfg.paths.output_dir)

    datamodule: pl.LightningDataModule = instantiate(cfg.data)
    model: pl.LightningModule = instantiate(cfg.model)
    # Saved into every checkpoint, so predict/generate can rebuild the model without this run.
    model.run_config = plain_config(cfg)
    callbacks = instantiate_callbacks(cfg.get("callbacks"))
    loggers = instantiate_loggers(cfg.get("logger"))
    trainer: pl.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers)
    for logger in loggers:
        logger.log_hyperparams(model.run_config)

    try:
        if cfg.get("train", True):
            trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        if cfg.get("test", True):
            checkpoint = _best_checkpoint(trainer) if cfg.get("train", True) else cfg.get("ckpt_path")
            if checkpoint is None:
                log.warning("No best checkpoint (e.g. fast_dev_run): testing the current weights")
            trainer.test(model, datamodule=datamodule, ckpt_path=checkpoint)
            metrics.update({k: float(v) for k, v in trainer.callback_metrics.items()})
            log.info("Tested checkpoint: %s", checkpoint or "current weights")
    finally:
        finish_wandb()

    if trainer.is_global_zero:
        output_dir.mkdir(parents=True, exist_ok=True)
        record = {"metrics": metrics, "best_checkpoint": _best_checkpoint(trainer)}
        (output_dir / "metrics.json").write_text(json.dumps(record, indent=2, sort_keys=True))
    return metrics


def summary(metrics: dict[str, float], output_dir: str) -> str:
    shown = {k: v for k, v in sorted(metrics.items()) if k.startswith("test/")}
    figures = "  ".join(f"{k}={v:.4f}" for k, v in shown.items())
    return f"Test metrics: {figures or '(none)'}\nOutputs: {output_dir}"


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    try:
        metrics = train(cfg)
    except DataNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(summary(metrics, cfg.paths.output_dir))
    monitored = cfg.get("optimized_metric")
    return metrics.get(monitored) if monitored else None


if __name__ == "__main__":
    main()
