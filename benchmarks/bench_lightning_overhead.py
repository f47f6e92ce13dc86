"""What Lightning costs: the same GAN step in Lightning's training loop and in a bare PyTorch loop.

``python benchmarks/bench_lightning_overhead.py [--steps 200] [--rounds 2] [--threads 1] [overrides ...]``
builds the composed GAN (default ``model=musegan``) once per loop from the same seed, reads the
same real segments in the same order, and times each generator step (with its critic steps) in
both loops, alternating Lightning and bare rounds so that a busy machine slows both alike. Prints
the medians and their ratio (the goal: Lightning / bare <= 1.10).

The bare loop does the module's own arithmetic (``MuseGAN`` with ``gradient_penalty``): critic
steps on detached fakes of one no-grad generator pass, then one generator step, Adam for each,
the linear LR decay stepped once per generator step; no logging, callbacks or checkpoints on
either side.
"""

from __future__ import annotations

import argparse
import time

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from step_timer import add_run_flags, alternating_medians, timed_fit

from emopia_lightning.config_registry import compose_config
from emopia_lightning.models.musegan.module import MuseGAN, gradient_penalty

WARM_UP = 10


def lightning_steps(cfg, steps: int) -> list[float]:
    return timed_fit(cfg, steps * (cfg.model.n_critic + 1))[WARM_UP:]


def bare_steps(cfg, steps: int) -> list[float]:
    """The same GAN step in plain PyTorch."""
    pl.seed_everything(0, verbose=False)
    model: MuseGAN = instantiate(cfg.model)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    (optimizer_g, optimizer_d), (scheduler_g, scheduler_d) = model.configure_optimizers()
    h = model.hparams
    seconds = []
    for segments, targets in datamodule.train_dataloader():
        if len(seconds) == steps:
            break
        started = time.perf_counter()
        labels = targets if h.conditional else None
        with torch.no_grad():
            fakes = model.generator(model.sample_latents(len(segments)), labels)
        for start in range(0, len(segments), h.batch_size):
            part = slice(start, start + h.batch_size)
            real, fake = segments[part], fakes[part]
            part_labels = None if labels is None else labels[part]
            both = None if labels is None else torch.cat([part_labels, part_labels])
            scores, logits = model.critic.score_and_logits(torch.cat([real, fake]), both)
            loss = scores[len(real) :].mean() - scores[: len(real)].mean()
            loss = loss + h.gp_weight * gradient_penalty(model.critic, real, fake, part_labels)
            if h.aux_weight > 0:
                loss = loss + h.aux_weight * torch.nn.functional.cross_entropy(
                    logits[: len(real)], part_labels
                )
            optimizer_d.zero_grad(set_to_none=True)
            loss.backward()
            optimizer_d.step()
        generator_labels = None if labels is None else labels[-h.batch_size :]
        for p in model.critic.parameters():  # as Lightning's toggled_optimizer does
            p.requires_grad_(False)
        scores, logits = model.critic.score_and_logits(
            model.generator(model.sample_latents(h.batch_size), generator_labels), generator_labels
        )
        loss = -scores.mean()
        if h.aux_weight > 0:
            loss = loss + h.aux_weight * torch.nn.functional.cross_entropy(logits, generator_labels)
        optimizer_g.zero_grad(set_to_none=True)
        loss.backward()
        optimizer_g.step()
        for p in model.critic.parameters():
            p.requires_grad_(True)
        scheduler_g.step()
        scheduler_d.step()
        seconds.append(time.perf_counter() - started)
    return seconds[WARM_UP:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200, help="generator steps per round")
    parser.add_argument("--rounds", type=int, default=2)
    add_run_flags(parser, threads=1)  # the GAN trains on 1 thread
    args = parser.parse_args()
    if args.quick:
        args.steps, args.rounds = 2, 1
    torch.set_num_threads(args.threads)
    overrides = ["model=musegan", "data.progress=false", "trainer=cpu", "model.lr_decay=linear"]
    cfg = compose_config("train", overrides=[*overrides, *args.overrides], return_hydra_config=True)
    HydraConfig().set_config(cfg)
    medians = alternating_medians(cfg, args.rounds, args.steps + WARM_UP, bare_steps, lightning_steps)
    h = cfg.model
    print(
        f"musegan (batch {h.batch_size}, n_critic {h.n_critic}, aux_weight {h.aux_weight}, "
        f"{torch.get_num_threads()} threads), median of {args.rounds} x {args.steps} generator steps: "
        f"Lightning {medians['lightning'] * 1000:.1f} ms, bare PyTorch {medians['bare'] * 1000:.1f} ms; "
        f"ratio {medians['lightning'] / medians['bare']:.3f} (goal <= 1.10)"
    )


if __name__ == "__main__":
    main()
