"""Predict the emotion quadrant (or arousal / valence) of MIDI files with a trained classifier.

``python -m emopia_lightning.predict MODEL FILE [FILE ...] [--json]``

MODEL is a classical model file (``make classify``: ``outputs/classify/stacking.skops``), a
Lightning checkpoint of ``train``, or either's run folder. Any piano MIDI works, not only EMOPIA
clips. Besides the classes' probabilities it reports P(high arousal) and P(positive valence)
where the model reads them. A file that cannot be read gets one ``error:`` line and the others
still run (exit status 1 if any failed). Models load safely (``checkpoints.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emopia_lightning.data.notes import read_notes
from emopia_lightning.emotion_models import EmotionModel, load_emotion_model, read_emotion
from emopia_lightning.errors import InputFileError, one_line_errors, say_error


def predict_file(model: EmotionModel, path: str | Path) -> dict:
    """:func:`emotion_models.read_emotion` of one MIDI file, with its path."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputFileError(f"{path}: {error.strerror or type(error).__name__}") from None
    return {"file": str(path), **read_emotion(model, read_notes(data))}


def _line(result: dict) -> str:
    shares = "  ".join(f"{k} {v:.2f}" for k, v in result["probabilities"].items())
    halves = [f"{name} {result[name]:.2f}" for name in ("arousal", "valence") if name in result]
    halves_text = f"  | P(high arousal), P(positive valence): {', '.join(halves)}" if halves else ""
    return f"{result['file']}: {result['prediction']} ({result['meaning']})  {shares}{halves_text}"


def build_parser() -> argparse.ArgumentParser:
    """This command's arguments (the README test parses the README's lines with it)."""
    parser = argparse.ArgumentParser(description="Predict the emotion of MIDI files.")
    parser.add_argument("model", help="a .skops classical model, a Lightning checkpoint, or a run folder")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of lines")
    return parser


@one_line_errors
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    model = load_emotion_model(args.model)
    results, failed = [], 0
    for path in args.files:
        try:
            results.append(predict_file(model, path))
            for repair in results[-1]["repairs"]:
                print(f"warning: {path}: repaired: {repair}", file=sys.stderr)
        except InputFileError as error:  # MidiReadError included
            failed += 1
            reason = str(error).removeprefix(f"{path}: ")
            say_error(f"{path}: {reason}")  # the others still run; the status is 1 when any failed
            results.append({"file": str(path), "error": reason})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            if "prediction" in result:
                print(_line(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
