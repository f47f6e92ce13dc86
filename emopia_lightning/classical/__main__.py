"""``python -m emopia_lightning.classical model=random_forest cv=random`` (Hydra entry point)."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from emopia_lightning.classical.report import scheme_title
from emopia_lightning.classical.run import run_classical
from emopia_lightning.config_registry import register as register_configs
from emopia_lightning.errors import one_line_errors

register_configs()  # before Hydra composes this command's config


@hydra.main(version_base="1.3", config_path="../../conf/classical", config_name="classical")
@one_line_errors
def main(cfg: DictConfig) -> float:
    summaries = run_classical(cfg)
    for s in summaries:
        print(
            f"{s['model']:>20s}  {scheme_title(s['evaluation'], s['folds']):24s} "
            f"accuracy {s['accuracy_mean']:.3f} ± {s['accuracy_std']:.3f}  F1 {s['weighted_f1_mean']:.3f}"
        )
    print(f"Outputs: {cfg.out_dir}")
    for model_file in sorted(Path(cfg.out_dir).glob("*.skops")) if cfg.save_model else []:
        print(f"Predict with: python -m emopia_lightning.predict {model_file} FILE.mid [FILE.mid ...]")
    return summaries[0]["accuracy_mean"]


if __name__ == "__main__":
    main()
