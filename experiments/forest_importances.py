"""Which features a saved random forest reads: the features RFECV kept and their impurity importance.

    python experiments/forest_importances.py outputs/classify/random_forest.skops [--new-from expert]

``--new-from SET`` also reports how much of the importance lies outside that feature set (the share
the richer sets add over the expert features). The model was fitted on the official training and
validation songs only, so nothing here has seen the test split.
"""

from __future__ import annotations

import argparse

import numpy as np

from emopia_lightning.classical.features import FEATURE_SETS
from emopia_lightning.classical.model_file import load_classical_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a random-forest .skops file from python -m emopia_lightning.classical")
    parser.add_argument("--new-from", default=None, help="a feature set whose features count as old")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    model = load_classical_model(args.model)
    names = np.array(model.spec.names())
    selector = next((step for _, step in model.pipeline.steps if hasattr(step, "support_")), None)
    kept = names[selector.support_] if selector is not None else names
    forest = selector.estimator_ if selector is not None else model.pipeline.steps[-1][1]
    importance = forest.feature_importances_  # (kept,), sums to 1
    print(f"{len(kept)} of {len(names)} features kept")
    if args.new_from:
        new = ~np.isin(kept, FEATURE_SETS[args.new_from][1])
        print(f"{new.sum()} kept outside {args.new_from}, with {importance[new].sum():.3f} of the importance")
    for i in np.argsort(-importance)[: args.top]:
        print(f"{importance[i]:.3f}  {kept[i]}")


if __name__ == "__main__":
    main()
