"""Parse + piano-roll speed for all of EMOPIA: cold (no cache) and from the cache.

Each timing runs in a fresh process (fresh memory, as a new training run has) and the median of
several runs is printed. ``python benchmarks/bench_data.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from step_timer import QUICK_HELP

from emopia_lightning.data.check import default_root
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.rolls import BeatRollSpec, TimeRollSpec
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.data.source import locate_emopia

# The targets for all 1,078 clips at the report's resolution (100 fps x 128 pitches).
TARGET_COLD_S, TARGET_CACHE_S = 1.0, 0.3

SPECS = {
    "report roll 100 fps x 128, binary": TimeRollSpec(fs=100, velocity=False),
    "report roll 100 fps x 128, velocity": TimeRollSpec(fs=100, velocity=True),
    "LSTM roll 8 fps x 88, velocity": TimeRollSpec(fs=8, lowest_pitch=21, n_pitches=88, velocity=True),
    "GAN beat roll 4 steps/beat x 84": BeatRollSpec.of(SegmentLayout()),
}


def data_root() -> str:
    return default_root()  # paths.data_dir, as every command reads it


def once(name: str, cache_dir: str | None, touch: bool) -> dict:
    """One timing inside this process: locate, parse and roll (or load the cache)."""
    start = time.perf_counter()
    corpus = load_corpus(locate_emopia(data_root()), SPECS[name], cache_dir, progress=False)
    if touch:  # read every byte of the memory-mapped cache, not just open it
        int(np.asarray(corpus.rows).sum(dtype=np.int64))
    return {
        "seconds": time.perf_counter() - start,
        "clips": len(corpus),
        "from_cache": corpus.from_cache,
        "megabytes": corpus.rows.nbytes / 1e6,
    }


def in_fresh_process(name: str, cache_dir: str | None, touch: bool = False) -> dict:
    args = [
        sys.executable,
        __file__,
        "--once",
        name,
        "--cache",
        cache_dir or "",
        *(["--touch"] if touch else []),
    ]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--once")
    parser.add_argument("--cache", default="")
    parser.add_argument("--touch", action="store_true")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=QUICK_HELP,
    )
    args = parser.parse_args()
    if args.once:
        print(json.dumps(once(args.once, args.cache or None, args.touch)))
        return
    if args.quick:
        args.runs = 1
    print(f"EMOPIA at {data_root()}; median of {args.runs} fresh processes each")
    print(
        f"{'representation':40s} {'clips':>5s} {'MB':>6s} {'cold s':>7s} {'cache open s':>12s} {'cache read s':>12s}"
    )
    for name in list(SPECS)[-1:] if args.quick else SPECS:
        with tempfile.TemporaryDirectory() as cache:
            cold = [in_fresh_process(name, None) for _ in range(args.runs)]
            in_fresh_process(name, cache)  # fill the cache
            opened = [in_fresh_process(name, cache) for _ in range(args.runs)]
            read = [in_fresh_process(name, cache, touch=True) for _ in range(args.runs)]
        assert all(r["from_cache"] for r in opened + read)
        med = lambda runs: statistics.median(r["seconds"] for r in runs)  # noqa: E731
        verdict = ""
        if name.startswith("report roll"):
            verdict = (
                f"  cold {'meets' if med(cold) <= TARGET_COLD_S else 'MISSES'} {TARGET_COLD_S} s,"
                f" cache read {'meets' if med(read) <= TARGET_CACHE_S else 'MISSES'} {TARGET_CACHE_S} s"
            )
        print(
            f"{name:40s} {cold[0]['clips']:5d} {cold[0]['megabytes']:6.0f} {med(cold):7.3f} {med(opened):12.3f} {med(read):12.3f}{verdict}"
        )


if __name__ == "__main__":
    main()
