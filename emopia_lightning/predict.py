"""Predict the emotion quadrant (or arousal / valence) of MIDI files with a trained classifier.

``python -m emopia_lightning.predict CHECKPOINT FILE [FILE ...] [--json]``

Any piano MIDI works, not only EMOPIA clips. A file that cannot be read gets one ``error:`` line and
the others still run (exit status 1 if any failed). Checkpoints load safely (``checkpoints.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from emopia_lightning.checkpoints import CheckpointError, load_model
from emopia_lightning.data.clip_dataset import roll_to_input
from emopia_lightning.data.labels import EMOTION_NAMES
from emopia_lightning.data.notes import MidiReadError, Notes, read_notes
from emopia_lightning.data.pianoroll import TimeRollSpec
from emopia_lightning.models.emotion_classifier import EmotionClassifier
from emopia_lightning.utils.cli import say_error


def readable(name: str) -> str:
    """``Q3`` -> ``sad / depressed``; arousal / valence names stay as they are."""
    return " / ".join(EMOTION_NAMES[name][:2]) if name in EMOTION_NAMES else name


def load_classifier(path: str | Path) -> tuple[EmotionClassifier, dict]:
    """(model in eval mode, the data config it was trained with)."""
    model, config = load_model(path, EmotionClassifier, "emotion classifier")
    return model, config["data"]


def predict_file(model: EmotionClassifier, data: dict, path: str | Path) -> dict:
    """Class probabilities of one MIDI file, rolled exactly as the model's training data was."""
    notes = read_notes(Path(path).read_bytes())
    return {"file": str(path), **predict_notes(model, data, notes)}


@torch.no_grad()
def predict_notes(model: EmotionClassifier, data: dict, notes: Notes) -> dict:
    """The prediction, its readable meaning, the class probabilities and the reading's repairs."""
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
        "prediction": best,
        "meaning": readable(best),
        "probabilities": {name: round(float(p), 4) for name, p in zip(names, probabilities)},
        "repairs": list(notes.repairs),
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
        return say_error(str(error))
    results, failed = [], 0
    for path in args.files:
        try:
            results.append(predict_file(model, data, path))
            for repair in results[-1]["repairs"]:
                print(f"warning: {path}: repaired: {repair}", file=sys.stderr)
        except (OSError, MidiReadError) as error:
            failed += 1
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            say_error(f"{path}: {reason}")  # the others still run; the status is 1 when any failed
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
