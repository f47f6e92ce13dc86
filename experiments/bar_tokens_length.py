"""How many tokens a bar takes, in REMI and in learned bar tokens of several sizes (fitted on the
official split's training songs only), over the held-out songs' clips; and so how many bars a
context of 256 and 512 tokens holds.

``python experiments/bar_tokens_length.py [--sizes 500 1000 4000] [--model BPE]``
"""

from __future__ import annotations

import argparse

import numpy as np

from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.composer_datamodule import EmopiaComposerDataModule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 4000])
    parser.add_argument("--model", default="BPE", choices=["BPE", "Unigram"])
    args = parser.parse_args()
    print("| tokens | vocabulary | tokens a bar, held-out clips | bars in 256 tokens | bars in 512 |")
    print("|---|---|---|---|---|")
    paths = compose_config("generate", ["ckpt=x"]).paths
    for size in [0, *args.sizes]:
        data = EmopiaComposerDataModule(
            paths.data_dir, paths.cache_dir, {"name": "official"}, bar_tokens={"vocab_size": size, "model": args.model},
            progress=False,
        )  # fmt: skip
        data.setup()  # fits the tokenizer on the training clips (a second or two), or reads it from the cache
        vocabulary = data.vocabulary
        held_out = np.concatenate([data.split.val, data.split.test])
        tokens = bars = 0
        for position in held_out:
            ids = vocabulary.encode(data.corpus.clip_rows(position).reshape(-1))
            tokens, bars = tokens + len(ids), bars + int((ids == vocabulary.bar).sum())
        per_bar = tokens / bars
        name = "REMI" if not size else f"{args.model} {size}"
        print(
            f"| {name} | {vocabulary.music_size} | {per_bar:.1f} | {256 / per_bar:.1f} | {512 / per_bar:.1f} |"
        )


if __name__ == "__main__":
    main()
