"""Does averaging a clip's reading over small transpositions help an emotion model?

    python experiments/transposed_views.py MODEL [--part val] [--shifts 1 2]

MODEL is anything ``predict`` reads (a classical model file, a checkpoint, a run folder). The
clips of one part of the official split are read once as they are and once as
``TransposedViews`` with shifts -k..k for each k given (and a Lightning model once more over
every window of each clip, where validation reads its start: ``CheckpointModel(whole_clip=True)``); prints the accuracy of each, with the
arousal and valence read off the quadrants. Choose on ``--part val`` with a model that never
trained on the validation songs (a Lightning run: it chose its checkpoint there); ``--part test``
only reports.
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm.auto import tqdm

from emopia_lightning.checkpoints import chosen_checkpoint
from emopia_lightning.data.check import default_root
from emopia_lightning.data.labels import parse_clip_name
from emopia_lightning.data.notes import read_notes
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.data.splits import official_split
from emopia_lightning.emotion_models import CheckpointModel, TransposedViews, load_emotion_model
from emopia_lightning.generator_evaluation.emotion_scores import emotion_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--part", choices=("val", "test"), default="val")
    parser.add_argument("--shifts", type=int, nargs="+", default=[1, 2], help="k: views at -k..k semitones")
    parser.add_argument("--data", default=None, help="EMOPIA (default: paths.data_dir)")
    args = parser.parse_args()
    model = load_emotion_model(args.model)
    if model.task != "quadrant":
        parser.error(f"{args.model} reads {model.task}, not the quadrant")
    source = locate_emopia(args.data or default_root())
    labels = [parse_clip_name(stem) for stem in sorted(source.members)]
    part = official_split(labels, source.split_csvs).part(args.part)
    readers = {"as written": model}
    if isinstance(model, CheckpointModel):  # a Lightning model: validation read each clip's start
        readers["whole clip"] = CheckpointModel(chosen_checkpoint(args.model), whole_clip=True)
    readers.update({f"views -{k}..{k}": TransposedViews(model, tuple(range(-k, k + 1))) for k in args.shifts})
    truth = np.array([labels[i].quadrant - 1 for i in part])
    guesses = {name: [] for name in readers}
    for i in tqdm(part, desc=f"{args.part} clips", unit="clip"):
        notes = read_notes(source.read(labels[i].name))
        for name, reader in readers.items():
            guesses[name].append(int(np.argmax(reader.probabilities(notes))))
    print(f"{args.model}, official {args.part} ({len(part)} clips):")
    for name, guessed in guesses.items():
        scores = emotion_scores(truth, np.array(guessed))
        print(
            f"  {name:>14}: 4Q {scores['accuracy']:.3f}, arousal {scores['arousal_accuracy']:.3f}, "
            f"valence {scores['valence_accuracy']:.3f}"
        )


if __name__ == "__main__":
    main()
