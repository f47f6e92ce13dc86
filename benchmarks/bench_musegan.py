"""MuseGAN speed: generator steps per second in Lightning's real training loop, and the time to
generate one 32-bar piece and write it as MIDI and WAV after the checkpoint is loaded.

``python benchmarks/bench_musegan.py [--steps 300] [--threads N] [--device cpu|cuda]
[--renderer fluidsynth|tinysoundfont] [overrides ...]``
trains the composed GAN (default ``model=musegan``: batch 16, n_critic 5) for ``--steps``
generator steps on real segments and prints the median generator-step time after 20 warm-up
steps; then saves a checkpoint, loads it as ``generate`` does and times a 32-bar piece with its WAV
(median of 7; the first WAV also loads the soundfont).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import open_dict
from step_timer import StepTimer, add_run_flags

from emopia_lightning.checkpoints import RunConfigInCheckpoints
from emopia_lightning.composing.composer import compose as compose_pieces
from emopia_lightning.composing.composer import load_composer
from emopia_lightning.composing.pieces import write_pieces
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.config_registry import compose_config
from emopia_lightning.render.audio import renderer
from emopia_lightning.utils.runtime import plain_config

WARM_UP = 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument(
        "--renderer", default=None, help="fluidsynth or tinysoundfont (default: the first found)"
    )
    add_run_flags(parser)
    args = parser.parse_args()
    n_pieces = 1 if args.quick else 7
    if args.quick:
        args.steps = 2
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = ["model=musegan", "data.progress=false", f"model.generator_steps={args.steps + WARM_UP}"]
    cfg = compose_config("train", overrides=[*overrides, *args.overrides], return_hydra_config=True)
    HydraConfig().set_config(cfg)
    with open_dict(cfg), tempfile.TemporaryDirectory() as tmp:
        cfg.paths.output_dir = tmp
        model = instantiate(cfg.model)
        timer = StepTimer()
        trainer = instantiate(
            cfg.trainer, accelerator=args.device, callbacks=[timer, RunConfigInCheckpoints(plain_config(cfg))],
            logger=False,
            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        )  # fmt: skip
        trainer.fit(model, datamodule=instantiate(cfg.data))
        per_step = statistics.median(timer.seconds[WARM_UP:])
        h = cfg.model
        print(
            f"musegan (label_aug={cfg.label_aug}, batch {h.batch_size}, n_critic {h.n_critic}, "
            f"{sum(p.numel() for p in model.parameters()) / 1e3:.0f} k parameters, {args.device}, "
            f"{torch.get_num_threads()} threads): median generator step {per_step * 1000:.1f} ms = "
            f"{1 / per_step:.1f} generator steps/s ({(h.n_critic + 1) / per_step:.0f} optimiser steps/s); "
            f"20k generator steps ~ {20000 * per_step / 60:.1f} min"
        )
        checkpoint = Path(tmp) / "bench.ckpt"
        trainer.save_checkpoint(checkpoint)
        loaded, _ = load_composer(checkpoint)
        to_wav, with_png = [], []
        for seed in range(n_pieces):
            started = time.perf_counter()
            request = PieceRequest("sad", 32, 120, seed).checked()
            pieces = list(zip([request], compose_pieces(loaded, [request])))
            write_pieces(pieces, tmp, renderer=args.renderer, picture=None)
            to_wav.append(time.perf_counter() - started)
            write_pieces(pieces, tmp, wav=False, picture=f"piece{seed}.png", layout=loaded.layout)
            with_png.append(time.perf_counter() - started)
        print(
            f"after load, one 32-bar piece ({args.renderer or renderer()}): generate + MIDI + WAV median "
            f"{statistics.median(to_wav) * 1000:.0f} ms; + piano-roll PNG {statistics.median(with_png) * 1000:.0f} ms ({n_pieces} runs)"
        )


if __name__ == "__main__":
    main()
