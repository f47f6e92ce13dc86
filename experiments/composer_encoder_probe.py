"""Does the Transformer composer, a language model of the training songs, know the emotion?

    python experiments/composer_encoder_probe.py RUN [--seeds 0 1 2]

RUN is a composer trained on the official split (``make run``'s ``outputs/demo/train``: its
training songs only; the test songs are never read). Each clip is read in consecutive windows of
the model's context after the "no emotion" condition, and the last block's states are pooled
(mean and standard deviation over every token: 2 x width features). Then, fitted on the official
training + validation clips and scored on the 86 test clips, for each seed:

- a linear probe (standardised logistic regression) on the pooled states alone;
- a random forest (500 trees) on the rich expert features (``features=rich``), with and without
  the pooled states added.

Nothing is chosen here: every row is printed.
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from emopia_lightning.classical.features import FeatureSpec
from emopia_lightning.composing.composer import load_composer
from emopia_lightning.config_registry import compose_config
from emopia_lightning.data.corpus import load_corpus
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import official_split
from emopia_lightning.models.components.composer_encoder import read_in_windows


@torch.inference_mode()
def pooled_states(composer, ids: np.ndarray) -> np.ndarray:
    """(2 W,) mean and std of the last block's states over a clip read in context-long windows."""
    condition = composer.vocabulary.condition(None)
    states = read_in_windows(composer.net, condition, torch.from_numpy(ids)[None])[0]  # (T, W)
    return torch.cat([states.mean(0), states.std(0)]).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a Transformer composer's checkpoint or run folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    paths = compose_config("generate").paths
    composer, _ = load_composer(args.run)
    source = locate_emopia(paths.data_dir)
    tokens = load_corpus(source, composer.vocabulary.remi, paths.cache_dir, progress=False)
    rich = load_corpus(
        source, FeatureSpec(("expert", "harmony", "performance")), paths.cache_dir, progress=False
    )
    if [c.name for c in tokens.labels] != [c.name for c in rich.labels]:
        raise SystemExit("error: the token and feature corpora list different clips")
    states = np.stack([
        pooled_states(composer, np.asarray(tokens.clip_rows(i), dtype=np.int64).reshape(-1))
        for i in tqdm(range(len(tokens)), desc="pooling", unit="clip")
    ])  # fmt: skip
    expert = np.asarray(rich.rows, dtype=np.float64)
    targets = np.array([c.target("quadrant") for c in tokens.labels])
    split = official_split(tokens.labels, source.split_csvs)
    train, test = np.concatenate([split.train, split.val]), split.test

    def linear(seed: int, c: float):
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000, random_state=seed))

    def forest(seed: int):
        return RandomForestClassifier(n_estimators=500, random_state=seed, n_jobs=-1)

    rows = {f"linear probe, C {c}": (partial(linear, c=c), states) for c in (0.01, 0.1, 1.0)}
    rows["forest, rich features"] = (forest, expert)
    rows["forest, rich features + pooled states"] = (forest, np.hstack([expert, states]))
    print(f"{args.run}: official test, {len(test)} clips, mean ± sample std over seeds {args.seeds}")
    for name, (make, features) in rows.items():
        scores = [(make(s).fit(features[train], targets[train]).predict(features[test]) == targets[test]).mean()
                  for s in args.seeds]  # fmt: skip
        spread = f" ± {np.std(scores, ddof=1):.3f}" if len(scores) > 1 else ""
        print(f"  {name:>40}: {np.mean(scores):.3f}{spread}")


if __name__ == "__main__":
    main()
