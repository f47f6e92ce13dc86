"""Log how well a composer's music carries the asked-for emotion while it trains.

Every ``every_n_steps`` of the composer's steps (generator steps for the MuseGAN), and at the
last, the feature judge, fitted on real training songs only and chosen on validation songs,
names the quadrant of ``n`` fresh segments asked for each quadrant. Logged: ``val/judged_acc``,
``val/judged_arousal``, ``val/judged_valence`` and ``val/sparse_bars`` (share of bars with under
two notes), so that sweeps and checkpoint choices can aim at emotion control rather than at loss
values. The weights judged best so far are saved as ``checkpoint_dir/best_judged.ckpt``, and the
curve as ``output_dir/judged_emotion.png``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl

from emopia_lightning.errors import RequestError
from emopia_lightning.generator_evaluation.emotion_control import generated_segments, judged, sparse_bar_share
from emopia_lightning.generator_evaluation.feature_judge import FeatureJudge, JudgeCandidates, feature_judge
from emopia_lightning.render.judged_curve import plot_judged_curve

log = logging.getLogger(__name__)


def _last_step(trainer: pl.Trainer) -> bool:
    """The run's final training step: max_steps reached, or any step of a fast_dev_run."""
    return bool(trainer.fast_dev_run) or 0 < trainer.max_steps <= trainer.global_step


class JudgedEmotion(pl.Callback):
    def __init__(self, checkpoint_dir: str | None = None, output_dir: str | None = None,
                 every_n_steps: int = 500, n: int = 50, seed: int = 0, options: dict | None = None,
                 candidates: dict | None = None):  # fmt: skip
        if every_n_steps < 1 or n < 1:
            raise RequestError(f"every_n_steps and n must be positive, got {every_n_steps}, {n}")
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.figure = Path(output_dir) / "judged_emotion.png" if output_dir else None
        self.every_n_steps, self.n, self.seed = every_n_steps, n, seed
        self.options = dict(options or {})  # the composer's generator options (None: its defaults)
        self.candidates = JudgeCandidates.from_options(candidates)  # None: the defaults
        self.judge: FeatureJudge | None = None
        self.history: list[dict] = []

    def on_fit_start(self, trainer: pl.Trainer, pl_module) -> None:
        data = dict(trainer.datamodule.hparams)
        # Every rank fits or reads the same cached judge, so each logs the same value.
        self.judge = feature_judge(pl_module.layout, data["root"], data["cache_dir"], self.candidates)
        log.info(
            "Judging generated segments every %d steps (feature judge: real val %.3f)",
            self.every_n_steps, self.judge.record["val_accuracy"],
        )  # fmt: skip

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step = pl_module.composer_step()
        if step % self.every_n_steps and not _last_step(trainer):
            return
        segments = generated_segments(pl_module, self.n, self.seed, self.options)
        scores = judged(self.judge, segments)
        values = {
            "val/judged_acc": scores["accuracy"],
            "val/judged_arousal": scores["arousal_accuracy"],
            "val/judged_valence": scores["valence_accuracy"],
            "val/sparse_bars": sparse_bar_share(segments.rolls, pl_module.layout.steps_per_bar),
        }
        pl_module.log_dict(values, batch_size=len(segments.rolls))
        best = max((h["val/judged_acc"] for h in self.history), default=-1.0)
        self.history.append({"step": step, **values})
        if self.checkpoint_dir is not None and values["val/judged_acc"] > best:
            trainer.save_checkpoint(self.checkpoint_dir / "best_judged.ckpt")

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        if self.figure is not None and self.history and trainer.is_global_zero:
            title = f"{pl_module.description}: emotion named by the feature judge"
            plot_judged_curve(self.history, self.figure, title, self.judge.record["test_accuracy"])

    def state_dict(self) -> dict:
        return {"history": list(self.history)}  # a resumed run keeps its best so far

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = list(state_dict.get("history", []))
