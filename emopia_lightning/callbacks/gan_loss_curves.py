"""Record the GAN's losses per generator step and plot them (the report's Figures 6 and 7)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytorch_lightning as pl  # noqa: E402

from emopia_lightning.render.figures import save_figure  # noqa: E402

CURVES = ("loss_d", "loss_g", "wasserstein", "gp")
TITLES = {
    "loss_d": "critic loss",
    "loss_g": "generator loss",
    "wasserstein": "Wasserstein estimate (real - fake)",
    "gp": "gradient penalty",
}


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (the first points average what there is)."""
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    ends = np.arange(1, len(values) + 1)
    return (cumulative[ends] - cumulative[ends - counts]) / counts


def plot_loss_curves(history: dict[str, list[float]], path: str | Path, title: str) -> Path:
    """One panel per curve: raw values faint, a moving average on top."""
    figure, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    steps = np.asarray(history["step"])
    window = max(1, len(steps) // 50)
    for ax, key in zip(axes.flat, CURVES):
        values = np.asarray(history[key], dtype=float)
        ax.plot(steps, values, color="tab:blue", alpha=0.25, linewidth=0.6)
        ax.plot(steps, smooth(values, window), color="tab:blue", linewidth=1.4)
        ax.set_title(TITLES[key], fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("generator step")
    figure.suptitle(title)
    return save_figure(figure, path)


class GANLossCurves(pl.Callback):
    """Keeps every generator step's losses (in checkpoints too, so a resumed run's curve is whole)
    and writes ``output_dir/loss_curves.png`` every ``every_n_steps`` generator steps and at the end."""

    def __init__(self, output_dir: str, every_n_steps: int = 1000):
        self.path = Path(output_dir) / "loss_curves.png"
        self.every_n_steps = every_n_steps
        self.history: dict[str, list[float]] = {"step": [], **{k: [] for k in CURVES}}

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if not outputs:
            return
        step = pl_module.generator_step()
        self.history["step"].append(step)
        for key in CURVES:
            self.history[key].append(float(outputs[key]))
        if step % self.every_n_steps == 0:
            self._plot(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        self._plot(trainer, pl_module)

    def _plot(self, trainer: pl.Trainer, pl_module) -> None:
        if trainer.is_global_zero and self.history["step"]:
            plot_loss_curves(self.history, self.path, pl_module.description)

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = state_dict.get("history", self.history)
