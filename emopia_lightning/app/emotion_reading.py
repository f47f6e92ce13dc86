"""What emotion a MIDI file carries, for the page's second tab: the upload checked, read through the
one validation step (``data.notes.read_notes``), then judged by one of two readers:

- :class:`ClassifierReader`: a classifier file as ``predict`` takes it (``make classify``'s
  stacking, or a Lightning checkpoint), for its own task: quadrants, or arousal or valence;
- :class:`FeatureJudgeReader`: the feature judge ``make run`` fits (``evaluation.feature_judge``,
  RBF SVM + random forest on expert features of 4-bar segments), averaged over the file's
  segments. It reads beats, not seconds, and times every segment at EMOPIA's 120 bpm.

Both give a :class:`Reading`: quadrant probabilities where the model has them, and the
probabilities of high arousal and of positive valence; and a piece's emotion along it
(``along``: each 4-bar window's reading, ``render.emotion_along``), drawn under every composed
piece's roll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from emopia_lightning.data.labels import QUADRANTS
from emopia_lightning.data.notes import MidiReadError, Notes, read_notes
from emopia_lightning.data.rolls import BeatRollSpec
from emopia_lightning.data.segment_datamodule import clip_segments
from emopia_lightning.data.segment_layout import SegmentLayout
from emopia_lightning.emotion_models import halves, load_emotion_model, readable
from emopia_lightning.errors import InputFileError
from emopia_lightning.render.emotion_along import WINDOW_BARS, EmotionAlong, window_starts

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadRefused(InputFileError):
    """An upload that is not a readable MIDI file, or is too large; the message says which."""


@dataclass(frozen=True)
class Reading:
    """A reader's verdict on one file. ``quadrants`` maps Q1..Q4 to probabilities (None for a
    model of arousal or valence alone); ``arousal`` is P(high), ``valence`` P(positive)."""

    verdict: str
    quadrants: dict[str, float] | None
    arousal: float | None
    valence: float | None
    reader: str
    repairs: tuple[str, ...] = field(default=())


def read_upload(path: str | Path, max_bytes: int = MAX_UPLOAD_BYTES) -> Notes:
    """The notes of an uploaded file (or ``generate``'s prompt), or :class:`UploadRefused` naming
    what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise UploadRefused(f"{path} is not a file")
    size = path.stat().st_size
    if size == 0:
        raise UploadRefused(f"{path.name} is empty")
    if size > max_bytes:
        raise UploadRefused(
            f"{path.name} is {size / 2**20:.1f} MB; files up to {max_bytes / 2**20:.0f} MB are read"
        )
    try:
        return read_notes(path.read_bytes())
    except MidiReadError as error:
        raise UploadRefused(f"{path.name} is not a MIDI file that can be read: {error}") from None


def _reading(task: str, probabilities: dict[str, float], reader: str, repairs: tuple[str, ...]) -> Reading:
    """A Reading of one task's class probabilities (``emotion_models.halves`` gives the halves)."""
    best, known = max(probabilities, key=probabilities.get), halves(task, probabilities)
    return Reading(
        verdict=f"{best}: {readable(best)}" if task == "quadrant" else f"{readable(best)} {task}",
        quadrants=dict(probabilities) if task == "quadrant" else None,
        arousal=known.get("arousal"),
        valence=known.get("valence"),
        reader=reader,
        repairs=repairs,
    )


class EmotionReader(Protocol):
    description: str

    def read(self, notes: Notes) -> Reading: ...

    def along(self, notes: Notes) -> EmotionAlong: ...  # of a piece with notes; its silent windows left out


def window_notes(notes: Notes, first_bar: int, bars: int) -> Notes:
    """The notes that start in bars ``first_bar`` .. ``first_bar + bars`` (those running past its
    end cut there), moved to start at beat 0."""
    start, end = first_bar * notes.beats_per_bar, (first_bar + bars) * notes.beats_per_bar
    keep = (notes.start_beat >= start) & (notes.start_beat < end)
    return Notes.from_beats(
        notes.start_beat[keep] - start, np.minimum(notes.end_beat[keep], end) - start,
        notes.pitch[keep], notes.velocity[keep], beats_per_bar=notes.beats_per_bar,
    )  # fmt: skip


def _near(path: str | Path) -> Path:
    """``path`` from the working folder where it lies below it (the page shows no machine paths)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd())
    except ValueError:
        return Path(path)


class ClassifierReader:
    """A classifier file ``predict`` takes (``emotion_models``): a classical model or a Lightning
    checkpoint, of quadrants, arousal or valence."""

    def __init__(self, path: str | Path):
        self.model = load_emotion_model(path)
        accuracy = getattr(self.model, "about", {}).get("official_test_accuracy")
        score = f"; {accuracy:.0%} of the official test clips right" if accuracy is not None else ""
        self.description = f"the {self.model.task} classifier {_near(path)}{score}"

    def read(self, notes: Notes) -> Reading:
        probabilities = dict(zip(self.model.class_names, map(float, self.model.probabilities(notes))))
        return _reading(self.model.task, probabilities, self.description, notes.repairs)

    def along(self, notes: Notes) -> EmotionAlong:
        """Each window read on its own notes, as ``read`` reads a file."""
        starts = _sounding(notes, window_starts(_last_beat(notes), notes.beats_per_bar), WINDOW_BARS)
        readings = [self.read(window_notes(notes, start, WINDOW_BARS)) for start in starts]
        known = readings[0]
        return EmotionAlong(
            np.array(starts),
            None if known.quadrants is None else np.array([[r.quadrants[q] for q in QUADRANTS] for r in readings]),
            None if known.arousal is None else np.array([r.arousal for r in readings]),
            None if known.valence is None else np.array([r.valence for r in readings]),
            self.description,
        )  # fmt: skip


def chosen_reader(classifier: str | Path | None, make_classify_model: str | Path, layout: SegmentLayout,
                  data_dir: str, cache_dir: str, judge_options: dict | None = None) -> EmotionReader:  # fmt: skip
    """The page's emotion reader (and ``generate``'s): the ``classifier`` given, else ``make
    classify``'s model where it is made, else the feature judge of ``layout`` (a composer's; fitted
    and cached on first use, ~1 min; ``make run`` has fitted it; ``judge_options``: its candidates,
    as ``JudgeCandidates.from_options`` takes them)."""
    if classifier:
        return ClassifierReader(classifier)
    if Path(make_classify_model).is_file():
        return ClassifierReader(make_classify_model)
    from emopia_lightning.generator_evaluation.feature_judge import JudgeCandidates, feature_judge

    return FeatureJudgeReader(
        feature_judge(layout, data_dir, cache_dir, JudgeCandidates.from_options(judge_options))
    )


class FeatureJudgeReader:
    """The feature judge over the file's 4-bar segments (hop one bar), their probabilities averaged;
    a file shorter than a segment is read as one segment padded with silence."""

    def __init__(self, judge):
        self.judge = judge
        self.layout: SegmentLayout = judge.layout
        accuracy = judge.record["test_accuracy"]
        self.description = (
            f"the feature judge (4-bar segments; {accuracy:.0%} of real held-out segments right)"
        )

    def segments(self, notes: Notes) -> np.ndarray:
        """(n, segment steps, pitches, 2) pieces of the file, at least one."""
        return clip_segments(self.layout, notes)

    def read(self, notes: Notes) -> Reading:
        shares = self.judge.probabilities(self.segments(notes)).mean(axis=0)
        return _reading("quadrant", dict(zip(QUADRANTS, map(float, shares))), self.description, notes.repairs)

    def along(self, notes: Notes) -> EmotionAlong:
        """Each window's segment judged (all in one call); the probabilities of Q1..Q4."""
        layout = self.layout
        starts = _sounding(
            notes, window_starts(_last_beat(notes), layout.beats_per_bar, layout.bars), layout.bars
        )
        roll = BeatRollSpec.of(layout).render(notes)  # (steps, 2 * pitches)
        wanted = (starts[-1] + layout.bars) * layout.steps_per_bar
        roll = np.concatenate(
            [roll[:wanted], np.zeros((max(0, wanted - len(roll)), roll.shape[1]), roll.dtype)]
        )
        segments = np.stack([roll[s * layout.steps_per_bar :][: layout.segment_steps] for s in starts])
        shares = self.judge.probabilities(
            segments.reshape(len(starts), layout.segment_steps, layout.n_pitches, 2)
        )
        return EmotionAlong(
            np.array(starts), shares, shares[:, 0] + shares[:, 1], shares[:, 0] + shares[:, 3],
            self.description, layout.bars,
        )  # fmt: skip


def _sounding(notes: Notes, starts: list[int], bars: int) -> list[int]:
    """The windows (by first bar) in which a note starts: a silent window is not read; a piece
    without notes has no emotion along it (``ValueError``)."""
    if not len(notes):
        raise ValueError("a piece without notes has no emotion along it")
    onsets = notes.start_beat / notes.beats_per_bar  # in bars
    return [s for s in starts if ((onsets >= s) & (onsets < s + bars)).any()]


def _last_beat(notes: Notes) -> float:
    return float(notes.end_beat.max()) if len(notes) else 0.0
