"""Transformer composer speed: sampling with and without the key-value cache, one 32-bar piece
after loading, and the Lightning training step against a bare PyTorch loop.

``python benchmarks/bench_composer.py [--ckpt RUN_OR_CKPT] [--steps 60] [--quick] [overrides ...]``

- tokens/s: ``--tokens`` sampling steps of one guided request (two rows) on one thread, with the
  cache and recomputing the context each step (median of 3);
- one 32-bar piece (``--ckpt``, default ``make run``'s ``outputs/demo/train``, skipped where it is
  missing): compose + MIDI on one thread, median of 5 (1 without the cache), its tokens, tokens/s
  and bars/s, and the ratio to the arithmetic floor (the rows' multiply-adds per token at this
  core's measured large-batch matmul rate);
- training: ``--steps`` steps of the composed model (default ``model=transformer_composer``) in
  Lightning's loop and in a bare loop of the module's own arithmetic (AdamW, the warm-up/cosine
  schedule, gradient clipping at 1), alternating rounds; prints the medians and their ratio
  (the goal: Lightning / bare <= 1.10).

``--quick`` (CI) runs a tiny model for a few steps: it checks that the benchmark runs, not its speed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from step_timer import QUICK_HELP, alternating_medians, timed_fit

from emopia_lightning.composing.composer import compose, load_composer
from emopia_lightning.composing.pieces import write_pieces
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.config_registry import compose_config
from emopia_lightning.models.transformer_composer.module import TransformerComposer, warmup_cosine
from emopia_lightning.models.transformer_composer.sampling import SamplingContext, sample_tokens
from emopia_lightning.project_root import PROJECT_ROOT

WARM_UP = 5
QUICK = ["model.net.width=32", "model.net.layers=2", "model.net.heads=2", "data.window=64"]


def lightning_steps(cfg, steps: int) -> list[float]:
    return timed_fit(cfg, steps, limit_val_batches=0, num_sanity_val_steps=0)[WARM_UP:]


def bare_steps(cfg, steps: int) -> list[float]:
    """The same training step in plain PyTorch: the module's loss, AdamW, the schedule, clipping."""
    pl.seed_everything(0, verbose=False)
    model: TransformerComposer = instantiate(cfg.model)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    optimizer = model.optimizer_factory(params=model.parameters())
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_cosine(model.hparams.warmup_steps, steps, model.hparams.lr_final_fraction)
    )
    model.train()
    seconds = []
    while len(seconds) < steps:
        for batch in datamodule.train_dataloader():
            if len(seconds) == steps:
                break
            started = time.perf_counter()
            loss, _ = model._loss(batch, drop=True)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.trainer.gradient_clip_val)
            optimizer.step()
            scheduler.step()
            seconds.append(time.perf_counter() - started)
    return seconds[WARM_UP:]


def tokens_per_second(net, tokens: int) -> dict[str, float]:
    """Sampling steps a second for two rows (one guided request), with and without the cache."""
    rates = {}
    marks = torch.tensor([2])
    for cached in (True, False):
        runs = []
        for _ in range(3):
            context = SamplingContext(net, [[1, 2], [3, 2]], cached, marks, head=1)
            started = time.perf_counter()
            with torch.inference_mode():
                for _ in range(tokens):
                    context.append(context.logits().argmax(dim=-1))
            runs.append(tokens / (time.perf_counter() - started))
        rates["cache" if cached else "no cache"] = statistics.median(runs)
    return rates


def multiply_adds_per_token(net, attended: float) -> float:
    """The network's multiply-adds for one new token of one row: per layer the q, k, v and output
    projections (4 W^2) and the MLP (8 W^2), attention over ``attended`` cached steps (2 W each),
    and the tied read-out to the vocabulary (W V)."""
    width, vocab = net.embed.embedding_dim, net.embed.num_embeddings
    return net.n_layers * (12 * width**2 + 2 * attended * width) + width * vocab


def matmul_rate(width: int) -> float:
    """Multiply-adds a second of one core on the model's own matrix shapes at a large batch
    (a (256, W) x (W, 4W) product): the arithmetic a step could at best run at."""
    a, b = torch.randn(256, width), torch.randn(width, 4 * width)
    for _ in range(20):
        a @ b
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(200):
            a @ b
        runs.append(200 * 256 * width * 4 * width / (time.perf_counter() - started))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default=str(PROJECT_ROOT / "outputs" / "demo" / "train"))
    parser.add_argument("--steps", type=int, default=60, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=1024, help="sampling steps for tokens/s")
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.rounds, args.tokens = WARM_UP + 3, 1, 64
    overrides = [
        "model=transformer_composer",
        "data.progress=false",
        "trainer=cpu",
        *(QUICK if args.quick else []),
    ]
    cfg = compose_config("train", overrides=[*overrides, *args.overrides], return_hydra_config=True)
    HydraConfig().set_config(cfg)

    torch.set_num_threads(1)
    net = instantiate(cfg.model).net.eval()
    rates = tokens_per_second(net, args.tokens)
    shape = f"width {cfg.model.net.width} x {cfg.model.net.layers} layers, context {cfg.model.net.context}"
    print(f"sampling ({shape}, 1 thread, 2 rows): {rates['cache']:.0f} tokens/s with the cache, "
          f"{rates['no cache']:.0f} without ({rates['cache'] / rates['no cache']:.1f}x)")  # fmt: skip

    if Path(args.ckpt).exists() and not args.quick:
        composer, _ = load_composer(args.ckpt)
        rows = 1 + (composer.options_type().guidance != 1) + (composer.options_type().valence_guidance > 0)
        rate = matmul_rate(composer.net.embed.embedding_dim)
        for cached in (True, False):
            seconds, lengths = [], []
            with tempfile.TemporaryDirectory() as tmp:
                for seed in range(5 if cached else 1):
                    request = PieceRequest("sad", 32, 120, seed).checked()
                    started = time.perf_counter()
                    notes = compose(composer, [request], {"cache": cached})
                    write_pieces(list(zip([request], notes)), tmp, wav=False, picture=None)
                    seconds.append(time.perf_counter() - started)
                    with torch.inference_mode():
                        lengths.append(len(sample_tokens(composer.net, composer.token_layout, True, [request],
                                                         composer.options_type())[0]))  # fmt: skip
            took, tokens = statistics.median(seconds), statistics.median(lengths)
            print(f"one 32-bar piece after load ({args.ckpt}, 1 thread, {rows} rows: guidance "
                  f"{composer.options_type().guidance}, {'with' if cached else 'without'} the cache): "
                  f"compose + MIDI median {took:.2f} s over {len(seconds)} seed(s), {tokens:.0f} tokens: "
                  f"{tokens / took:.0f} tokens/s, {32 / took:.1f} bars/s")  # fmt: skip
            if cached:
                # The floor: every row's multiply-adds at the core's large-batch matmul rate; a
                # context of ~half the model's on average (it slides to half when it fills).
                floor = (
                    tokens * rows * multiply_adds_per_token(composer.net, 0.75 * composer.net.context) / rate
                )
                print(f"  arithmetic floor {floor:.2f} s ({rate / 1e9:.1f} G multiply-adds/s measured on one "
                      f"core): {took / floor:.1f}x the floor")  # fmt: skip
    else:
        print(f"one 32-bar piece: skipped ({args.ckpt} not there; make run trains it)")

    torch.set_num_threads(2)
    medians = alternating_medians(cfg, args.rounds, args.steps + WARM_UP, bare_steps, lightning_steps)
    print(
        f"training (batch {cfg.data.batch_size} x {cfg.data.window} tokens, {torch.get_num_threads()} threads), "
        f"median of {args.rounds} x {args.steps} steps: Lightning {medians['lightning'] * 1000:.0f} ms, "
        f"bare PyTorch {medians['bare'] * 1000:.0f} ms; ratio {medians['lightning'] / medians['bare']:.3f} "
        "(goal <= 1.10)"
    )


if __name__ == "__main__":
    main()
