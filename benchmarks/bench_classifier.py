"""Classifier training throughput (clips/s) on real EMOPIA batches.

``python benchmarks/bench_classifier.py [--steps 30] [--threads N] [model=short_chunk_cnn ...]``:
times optimiser steps (forward, backward, update) of the composed model (default ``model=lstm``)
on the training split; the median over steps is printed, after a few warm-up steps.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import open_dict
from step_timer import add_run_flags

from emopia_lightning.config_registry import compose_config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, ...")
    add_run_flags(parser)
    args = parser.parse_args()
    if args.quick:
        args.steps = 2
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = compose_config(
        "train", overrides=["data.progress=false", *args.overrides], return_hydra_config=True
    )
    HydraConfig().set_config(cfg)
    with open_dict(cfg), tempfile.TemporaryDirectory() as tmp:
        cfg.paths.output_dir = tmp
        datamodule = instantiate(cfg.data)
        datamodule.setup("fit")
        model = instantiate(cfg.model).to(args.device)
        optimizer = model.configure_optimizers()["optimizer"]
        batches = iter(datamodule.train_dataloader())
        seconds, clips = [], []
        for step in range(args.steps + 3):
            try:
                batch = next(batches)
            except StopIteration:
                batches = iter(datamodule.train_dataloader())
                batch = next(batches)
            rolls, lengths, targets = (t.to(args.device) for t in batch)
            if args.device != "cpu":
                torch.cuda.synchronize()
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(rolls, lengths), targets)
            loss.backward()
            optimizer.step()
            loss.item()  # waits for the step to finish on an accelerator
            if step >= 3:  # warm-up steps excluded
                seconds.append(time.perf_counter() - start)
                clips.append(len(targets))
    per_step = statistics.median(seconds)
    print(
        f"{cfg.model.name} ({sum(p.numel() for p in model.parameters()) / 1e3:.0f} k parameters, "
        f"{cfg.data.fs} fps, <= {cfg.data.max_seconds} s, batch {cfg.data.batch_size}, "
        f"{args.device}, {torch.get_num_threads()} threads): median step {per_step * 1000:.0f} ms, "
        f"{statistics.median(clips) / per_step:.0f} clips/s training; "
        f"epoch of {len(datamodule.datasets['train'])} clips ~ {len(datamodule.datasets['train']) / (statistics.median(clips) / per_step):.1f} s"
    )


if __name__ == "__main__":
    main()
