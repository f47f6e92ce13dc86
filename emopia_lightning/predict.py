"""Predict the emotion quadrant (or arousal / valence) of MIDI files with a trained classifier.

``python -m emopia_lightning.predict CHECKPOINT FILE [FILE ...] [--json]``

Any piano MIDI works, not only EMOPIA clips. A file that cannot be read gets one ``error:`` line and
the others still run (exit status 1 if any failed). Checkpoints are read with
``torch.load(weights_only=True)`` (no pickled code runs), and the model is rebuilt from the
checkpoint's own config only if every ``_target_`` there resolves to a class defined in this
project or in ``torch.optim``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path

import torch
from hydra._internal.utils import _locate
from hydra.utils import instantiate
from omegaconf import OmegaConf

from emopia_lightning.data.clip_dataset import roll_to_input
from emopia_lightning.data.notes import MidiReadError, read_notes
from emopia_lightning.data.pianoroll import TimeRollSpec
from emopia_lightning.models.emotion_classifier import EmotionClassifier

# A checkpoint's config may name only classes defined under these modules, so an edited checkpoint
# cannot make predict call anything else.
ALLOWED_MODULES = ("emopia_lightning.", "torch.optim.")

READABLE_NAMES = {
    "Q1": "happy / excited",
    "Q2": "tense / angry",
    "Q3": "sad / depressed",
    "Q4": "calm / relaxed",
}


class CheckpointError(ValueError):
    """The file is not a classifier checkpoint of this project."""


def _targets(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["_target_"]] if "_target_" in node else []
        return found + [t for value in node.values() for t in _targets(value)]
    if isinstance(node, list):
        return [t for value in node for t in _targets(value)]
    return []


def _allowed(target: str) -> bool:
    """True for a class defined in an allowed module.

    The string is checked before anything is imported, then the object it resolves to, since a
    dotted path can reach other things through module attributes (``emopia_lightning.x.os.system``).
    """
    if not isinstance(target, str) or not target.startswith(ALLOWED_MODULES):
        return False
    try:
        located = _locate(target)
    except Exception:
        return False
    return inspect.isclass(located) and located.__module__.startswith(ALLOWED_MODULES)


def load_classifier(path: str | Path) -> tuple[EmotionClassifier, dict]:
    """(model in eval mode, the data config it was trained with)."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as error:  # unpickling refusals and corrupt files alike
        raise CheckpointError(f"{path}: not a loadable checkpoint ({type(error).__name__})") from None
    config = checkpoint.get("run_config") if isinstance(checkpoint, dict) else None
    if not config or "model" not in config or "data" not in config:
        raise CheckpointError(f"{path}: no run_config inside; not an emopia_lightning classifier checkpoint")
    refused = [t for t in _targets(config["model"]) if not _allowed(t)]
    if refused:
        raise CheckpointError(f"{path}: its config names {refused}, which predict will not build")
    try:
        model = instantiate(OmegaConf.create(config["model"]))
        if not isinstance(model, EmotionClassifier):
            raise CheckpointError(f"{path}: a {type(model).__name__} checkpoint, not an emotion classifier")
        model.load_state_dict(checkpoint["state_dict"])
    except CheckpointError:
        raise
    except Exception as error:  # a config or weights this version cannot rebuild
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: cannot rebuild the model ({first_line})") from None
    return model.eval(), config["data"]


@torch.no_grad()
def predict_file(model: EmotionClassifier, data: dict, path: str | Path) -> dict:
    """Class probabilities of one MIDI file, rolled exactly as the model's training data was."""
    notes = read_notes(Path(path).read_bytes())
    spec = TimeRollSpec(
        fs=data["fs"],
        lowest_pitch=data["lowest_pitch"],
        n_pitches=data["n_pitches"],
        velocity=data["velocity"],
    )
    max_frames = round(data["max_seconds"] * data["fs"]) if data.get("max_seconds") else None
    rolls = roll_to_input(spec.render(notes), data["velocity"], max_frames)[None]  # (1, T, P)
    probabilities = torch.softmax(model(rolls, torch.tensor([rolls.shape[1]])), dim=-1)[0]
    names = model.class_names
    best = names[int(probabilities.argmax())]
    return {
        "file": str(path),
        "prediction": best,
        "meaning": READABLE_NAMES.get(best, best),
        "probabilities": {name: round(float(p), 4) for name, p in zip(names, probabilities)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Predict the emotion of MIDI files.")
    parser.add_argument("checkpoint")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of lines")
    args = parser.parse_args(argv)
    try:
        model, data = load_classifier(args.checkpoint)
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results, failed = [], 0
    for path in args.files:
        try:
            results.append(predict_file(model, data, path))
        except (OSError, MidiReadError) as error:
            failed += 1
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            print(f"error: {path}: {reason}", file=sys.stderr)
            results.append({"file": str(path), "error": reason})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            if "prediction" in result:
                shares = "  ".join(f"{k} {v:.2f}" for k, v in result["probabilities"].items())
                print(f"{result['file']}: {result['prediction']} ({result['meaning']})  {shares}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
