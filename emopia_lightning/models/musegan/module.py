"""LightningModule: a (label-conditioned) MuseGAN trained as a WGAN-GP by manual optimisation."""

from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch import nn

from emopia_lightning.composing.composer import Composer
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.errors import RequestError
from emopia_lightning.models.musegan.networks import MuseGANCritic, MuseGANGenerator
from emopia_lightning.models.musegan.sampling import MuseGANOptions, compose_notes
from emopia_lightning.models.musegan.steps import GanSteps


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al., 2017): mean of (||grad critic(x)|| - 1)^2 at random
    points between real and fake segments."""
    mix = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    scores = critic(between, labels)
    (grads,) = torch.autograd.grad(scores.sum(), between, create_graph=True)
    return ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()


def linear_decay(total_steps: int, final_fraction: float):
    """LR factor falling linearly from 1 to ``final_fraction`` over ``total_steps`` generator steps."""

    def factor(step: int) -> float:
        return 1.0 - (1.0 - final_fraction) * min(step, total_steps) / max(total_steps, 1)

    return factor


class MuseGAN(pl.LightningModule, Composer):
    """WGAN-GP over beat-roll segments; ``conditional`` feeds the emotion label to both nets.

    One ``training_step`` is one generator step: its batch holds ``n_critic`` critic batches of
    ``batch_size`` segments; the critic takes a step on each, then the generator takes one. Adam
    with separate rates ``lr_g`` / ``lr_d``; ``lr_decay="linear"`` lowers both linearly to
    ``lr_final_fraction`` of their start over ``generator_steps``, stepped by hand once per generator
    step. How its steps map onto Lightning's is :class:`~.steps.GanSteps` (checked at fit start).

    ``aux_weight > 0`` (needs a critic with ``aux_classes``) strengthens the conditioning AC-GAN
    style: the critic's auxiliary head learns the quadrant of real segments, and the generator is
    also trained to make that head recognise the quadrant it was asked for.
    """

    def __init__(
        self,
        generator: MuseGANGenerator,
        critic: MuseGANCritic,
        conditional: bool = True,
        n_critic: int = 5,
        batch_size: int = 16,
        gp_weight: float = 10.0,
        lr_g: float = 2e-4,
        lr_d: float = 1.5e-4,
        betas: tuple[float, float] = (0.5, 0.9),
        lr_decay: str | None = "linear",
        lr_final_fraction: float = 0.1,
        generator_steps: int = 20_000,
        aux_weight: float = 0.0,
        name: str = "musegan",
        task: str = "quadrant",
    ):
        super().__init__()
        if task != "quadrant":
            raise RequestError(
                f"the MuseGAN is conditioned on the emotion quadrant: task must be quadrant, got {task!r}"
            )
        if generator.conditional != conditional or critic.conditional != conditional:
            raise RequestError(
                f"conditional={conditional} but the nets are built with"
                f" generator n_classes>0={generator.conditional}, critic n_classes>0={critic.conditional}"
            )
        if aux_weight > 0 and (not conditional or critic.classify is None):
            raise RequestError(
                "aux_weight > 0 needs label_aug=true and a critic with an auxiliary head (critic.aux_classes=4)"
            )
        if lr_decay not in (None, "none", "linear"):
            raise RequestError(f"lr_decay must be 'linear' or none, got {lr_decay!r}")
        betas = tuple(float(b) for b in betas)  # plain values, so checkpoints load with weights_only=True
        self.save_hyperparameters(logger=False, ignore=["generator", "critic"])
        self.automatic_optimization = False
        self.generator = generator
        self.critic = critic
        self.steps = GanSteps(n_critic, batch_size)

    def on_fit_start(self) -> None:
        datamodule = self.trainer.datamodule
        self.steps.check(
            datamodule.hparams["batch_size"], datamodule.hparams["drop_last_train"],
            self.trainer.max_steps, self.hparams.generator_steps,
        )  # fmt: skip

    # -- sampling -------------------------------------------------------------------------------

    @property
    def description(self) -> str:
        """``musegan (label-conditioned)``: how pictures and logs name this model."""
        kind = "label-conditioned" if self.hparams.conditional else "unconditioned"
        return f"{self.hparams.name} ({kind})"

    @property
    def layout(self) -> SegmentLayout:
        """The pieces this generator writes (``data.segment_layout``)."""
        return self.generator.layout

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, 2, latent_dim) standard normal: a shared (style) and a temporal latent per sample.

        A seeded ``generator`` (CPU) fixes them whatever the device; without one they are drawn on
        the model's device (no host-to-device copy every training step)."""
        if generator is None:
            return torch.randn(n, 2, self.latent_dim, device=self.device)
        return torch.randn(n, 2, self.latent_dim, generator=generator).to(self.device)

    def _labels(self, labels: torch.Tensor | None) -> torch.Tensor | None:
        return labels.to(self.device) if self.hparams.conditional and labels is not None else None

    @torch.no_grad()
    def generate(self, latents: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """(n, bars, steps, pitches, 3) onset, sounding and velocity channels, the generator in eval mode."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            return self.generator(latents.to(self.device), self._labels(labels))
        finally:
            self.generator.train(was_training)

    def generator_step(self) -> int:
        """Generator steps taken so far (Lightning's global step counts every optimiser step)."""
        return self.steps.generator_step(self.trainer.global_step)

    # The Composer interface: samples and judged emotion count generator steps.
    options_type = MuseGANOptions
    composer_step = generator_step

    def compose_notes(self, requests: Sequence[PieceRequest], options: MuseGANOptions) -> list[Notes]:
        return compose_notes(self, requests, options)

    # -- training -------------------------------------------------------------------------------

    def _critic_step(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None, optimizer
    ) -> dict[str, torch.Tensor]:
        with self.toggled_optimizer(optimizer):
            both = None if labels is None else torch.cat([labels, labels])
            scores, logits = self.critic.score_and_logits(torch.cat([real, fake]), both)
            real_score, fake_score = scores[: len(real)].mean(), scores[len(real) :].mean()
            penalty = gradient_penalty(self.critic, real, fake, labels)
            loss = fake_score - real_score + self.hparams.gp_weight * penalty
            logs = {}
            if self.hparams.aux_weight > 0:  # the auxiliary head learns from real segments only
                aux = nn.functional.cross_entropy(logits[: len(real)], labels)
                loss = loss + self.hparams.aux_weight * aux
                logs = {
                    "aux_d": aux.detach(),
                    "aux_acc_real": (logits[: len(real)].argmax(1) == labels).float().mean(),
                }
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        return {
            "loss_d": loss.detach(),
            "wasserstein": (real_score - fake_score).detach(),
            "gp": penalty.detach(),
            **logs,
        }

    def _generator_step(self, labels: torch.Tensor | None, optimizer) -> torch.Tensor:
        n = self.hparams.batch_size
        with self.toggled_optimizer(optimizer):  # the critic's weights need no gradients here
            fake = self.generator(self.sample_latents(n), labels)
            scores, logits = self.critic.score_and_logits(fake, labels)
            loss = -scores.mean()
            aux = None
            if self.hparams.aux_weight > 0:
                aux = nn.functional.cross_entropy(logits, labels)
                loss = loss + self.hparams.aux_weight * aux
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        return {"loss_g": loss.detach(), **({} if aux is None else {"aux_g": aux.detach()})}

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> dict[str, float]:
        segments, targets = batch  # (n_critic * B, bars, steps, pitches, 3), (n_critic * B,)
        optimizer_g, optimizer_d = self.optimizers()
        size = self.hparams.batch_size
        labels = self._labels(targets)
        # The generator does not change during the critic steps: make all their fakes at once
        # (its batch norm then sees n_critic * B samples, the generator step B: both are batch
        # statistics of the same distribution).
        with torch.no_grad():
            fakes = self.generator(self.sample_latents(len(segments)), labels)
        critic_logs = []
        for start in range(0, len(segments), size):
            part = slice(start, start + size)
            critic_labels = None if labels is None else labels[part]
            critic_logs.append(self._critic_step(segments[part], fakes[part], critic_labels, optimizer_d))
        # The generator's labels follow the data's class shares: those of the last critic batch.
        generator_logs = self._generator_step(None if labels is None else labels[-size:], optimizer_g)
        for scheduler in self.lr_schedulers() or []:
            scheduler.step()
        logs = {key: torch.stack([log[key] for log in critic_logs]).mean() for key in critic_logs[0]}
        logs.update(generator_logs)
        if self._logging_step():
            self.log_dict({f"train/{k}": v for k, v in logs.items()}, prog_bar=True, batch_size=size)
            self.log_dict(
                {
                    "train/lr_g": optimizer_g.param_groups[0]["lr"],
                    "train/lr_d": optimizer_d.param_groups[0]["lr"],
                }
            )
        return {k: float(v) for k, v in logs.items()}  # every step: the loss curves read these

    def _logging_step(self) -> bool:
        """Log on the generator steps whose optimiser steps Lightning's loggers write (every
        ``log_every_n_steps``), the first and the last: logging every step cost 18 % of a step."""
        trainer = self.trainer
        every = self.steps.generator_steps_between_logs(trainer.log_every_n_steps)
        step = self.generator_step()
        last = bool(trainer.fast_dev_run) or 0 < trainer.max_steps <= trainer.global_step
        return step % every == 0 or step == 1 or last

    def configure_optimizers(self):
        h = self.hparams
        optimizer_g = torch.optim.Adam(self.generator.parameters(), lr=h.lr_g, betas=tuple(h.betas))
        optimizer_d = torch.optim.Adam(self.critic.parameters(), lr=h.lr_d, betas=tuple(h.betas))
        if h.lr_decay in (None, "none"):
            return [optimizer_g, optimizer_d]
        decay = linear_decay(h.generator_steps, h.lr_final_fraction)
        schedulers = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (optimizer_g, optimizer_d)]
        return [optimizer_g, optimizer_d], schedulers
