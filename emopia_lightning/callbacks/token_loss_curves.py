"""Record a language model's training and validation loss per token and plot them together."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytorch_lightning as pl  # noqa: E402

from emopia_lightning.callbacks.gan_loss_curves import smooth  # noqa: E402
from emopia_lightning.render.figures import save_figure  # noqa: E402


def plot_token_loss_curves(history: dict[str, list[float]], path: str | Path, title: str) -> Path:
    """Training loss (raw faint, moving average on top) and validation loss, per optimiser step."""
    figure, ax = plt.subplots(figsize=(8, 3.8))
    steps, train = np.asarray(history["step"]), np.asarray(history["train"], dtype=float)
    ax.plot(steps, train, color="tab:blue", alpha=0.25, linewidth=0.6)
    ax.plot(steps, smooth(train, max(1, len(steps) // 50)), color="tab:blue", label="training windows")
    if history["val_step"]:
        ax.plot(history["val_step"], history["val"], color="tab:orange", marker="o", label="validation songs")
    ax.set(xlabel="optimiser step", ylabel="cross-entropy per token", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(figure, path)


class TokenLossCurves(pl.Callback):
    """Keeps every step's ``train/loss`` and every validation's ``val/loss`` (in checkpoints too, so a
    resumed run's curve is whole) and writes ``output_dir/loss_curves.png`` after each validation
    and at the end."""

    def __init__(self, output_dir: str):
        self.path = Path(output_dir) / "loss_curves.png"
        self.history: dict[str, list[float]] = {"step": [], "train": [], "val_step": [], "val": []}

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None:
            self.history["step"].append(trainer.global_step)
            self.history["train"].append(float(loss))

    def on_validation_end(self, trainer: pl.Trainer, pl_module) -> None:
        if trainer.sanity_checking or "val/loss" not in trainer.callback_metrics:
            return
        self.history["val_step"].append(trainer.global_step)
        self.history["val"].append(float(trainer.callback_metrics["val/loss"]))
        self._plot(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        self._plot(trainer, pl_module)

    def _plot(self, trainer: pl.Trainer, pl_module) -> None:
        if trainer.is_global_zero and self.history["step"]:
            plot_token_loss_curves(self.history, self.path, pl_module.description)

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = state_dict.get("history", self.history)
