"""Does a turning piece turn? Pieces that change emotion after bar 16 of 32, judged window by window.

``python experiments/turning_pieces.py CKPT [--n 25] [--bars 32] [--turn 16] [--out FILE.json]``
composes ``n`` pieces (seeds 0..n-1) for each pair (tense then calm, sad then happy, calm then
happy, happy then sad) through ``compose``, and has the page's feature judge (the one ``make run``
fits) read each 4-bar window (``FeatureJudgeReader.along``). It prints, per pair, the share of
windows before the turn judged the first emotion and the share after it judged the second (issue
36's target: each at least .55 at the report size), and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from emopia_lightning.app.emotion_reading import FeatureJudgeReader
from emopia_lightning.composing.composer import compose, load_composer
from emopia_lightning.composing.request import PieceRequest
from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.generator_evaluation.feature_judge import feature_judge

PAIRS = [("tense", "calm"), ("sad", "happy"), ("calm", "happy"), ("happy", "sad")]


def turning(
    composer, reader: FeatureJudgeReader, first: str, then: str, n: int, bars: int, turn: int
) -> dict:
    requests = [PieceRequest(first, bars, 120, seed, then=then, turn=turn).checked() for seed in range(n)]
    before, after = [], []
    for request, notes in zip(requests, compose(composer, requests)):
        if not len(notes):
            continue
        along = reader.along(notes)
        ends = along.starts + along.window_bars
        verdicts = np.array([QUADRANTS.index(v) for v in along.verdicts()])
        before += (verdicts[ends <= turn] == QUADRANTS.index(request.emotion)).tolist()
        after += (verdicts[along.starts >= turn] == QUADRANTS.index(request.then)).tolist()
    return {
        "before": float(np.mean(before)),
        "after": float(np.mean(after)),
        "windows": [len(before), len(after)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ckpt")
    parser.add_argument("--n", type=int, default=25)
    parser.add_argument("--bars", type=int, default=32)
    parser.add_argument("--turn", type=int, default=16)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    composer, _ = load_composer(args.ckpt)
    paths = compose_config("generate", ["ckpt=x"]).paths
    reader = FeatureJudgeReader(feature_judge(composer.layout, paths.data_dir, paths.cache_dir))
    results = {}
    for first, then in PAIRS:
        results[f"{first} then {then}"] = turning(composer, reader, first, then, args.n, args.bars, args.turn)
        print(f"{first} then {then}: before the turn {results[f'{first} then {then}']['before']:.2f} "
              f"{first}, after it {results[f'{first} then {then}']['after']:.2f} {then}", flush=True)  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps({"ckpt": args.ckpt, "n": args.n, "results": results}, indent=2))


if __name__ == "__main__":
    main()
