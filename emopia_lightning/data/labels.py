"""Emotion labels of EMOPIA clips, read from their file names.

A clip is named ``Q<quadrant>_<songId>_<clipIndex>.mid``. The song id is a YouTube id and may itself
contain ``_`` and ``-``, so the quadrant is the text before the first ``_`` and the clip index the
text after the last one. Quadrants follow Russell's circumplex:

======  =========  =======  ==================
 name    valence   arousal   readable names
======  =========  =======  ==================
 Q1      positive   high     happy, excited
 Q2      negative   high     tense, angry
 Q3      negative   low      sad, depressed
 Q4      positive   low      calm, relaxed
======  =========  =======  ==================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from emopia_lightning.errors import InputFileError, RequestError

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
# The circumplex halves, as quadrant numbers 1..4 (the table above); every other form derives here.
HIGH_AROUSAL_QUADRANTS = (1, 2)
POSITIVE_VALENCE_QUADRANTS = (1, 4)
# 1 or 0 per quadrant index 0..3: HIGH_AROUSAL[quadrant_indices] maps quadrants to their half.
HIGH_AROUSAL = np.array([int(q in HIGH_AROUSAL_QUADRANTS) for q in range(1, 5)])
POSITIVE_VALENCE = np.array([int(q in POSITIVE_VALENCE_QUADRANTS) for q in range(1, 5)])


def circumplex_signs(quadrant: str) -> tuple[int, int]:
    """(valence, arousal) signs of a quadrant: Q1 (+1, +1), Q2 (-1, +1), Q3 (-1, -1), Q4 (+1, -1)."""
    index = QUADRANTS.index(quadrant)
    return 2 * int(POSITIVE_VALENCE[index]) - 1, 2 * int(HIGH_AROUSAL[index]) - 1


def valence_mirror(index: int) -> int:
    """The quadrant index (0..3) of the same arousal and the other valence: Q1 <-> Q2, Q3 <-> Q4."""
    (mirror,) = np.flatnonzero(
        (HIGH_AROUSAL == HIGH_AROUSAL[index]) & (POSITIVE_VALENCE != POSITIVE_VALENCE[index])
    )
    return int(mirror)


def halves_of_quadrants(probabilities: Mapping[str, float]) -> dict[str, float]:
    """P(high arousal) and P(positive valence) from Q1..Q4 probabilities."""
    shares = np.array([probabilities[q] for q in QUADRANTS], dtype=np.float64)
    return {"arousal": float(shares @ HIGH_AROUSAL), "valence": float(shares @ POSITIVE_VALENCE)}


# Class names per classification task, in label-index order.
TASK_CLASSES: dict[str, tuple[str, ...]] = {
    "quadrant": QUADRANTS,
    "arousal": ("low", "high"),
    "valence": ("negative", "positive"),
}

_CLIP_NAME = re.compile(r"^Q(?P<quadrant>[1-4])_(?P<song>.+)_(?P<index>\d+)$")


@dataclass(frozen=True)
class ClipLabel:
    """Identity and emotion of one clip; ``quadrant`` is 1..4."""

    name: str
    quadrant: int
    song_id: str
    clip_index: int

    @property
    def arousal(self) -> int:
        """1 for high arousal (Q1, Q2), 0 for low (Q3, Q4)."""
        return int(HIGH_AROUSAL[self.quadrant - 1])

    @property
    def valence(self) -> int:
        """1 for positive valence (Q1, Q4), 0 for negative (Q2, Q3)."""
        return int(POSITIVE_VALENCE[self.quadrant - 1])

    def target(self, task: str) -> int:
        """The class index of this clip for ``task`` (see :data:`TASK_CLASSES`)."""
        if task == "quadrant":
            return self.quadrant - 1
        if task == "arousal":
            return self.arousal
        if task == "valence":
            return self.valence
        raise RequestError(f"unknown task {task!r}; choose one of {sorted(TASK_CLASSES)}")


def clip_stem(file_name: str) -> str:
    """``midis/Q1_abc_0.mid`` -> ``Q1_abc_0``."""
    stem = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"\.midi?$", "", stem, flags=re.IGNORECASE)


def parse_clip_name(file_name: str) -> ClipLabel:
    """Read quadrant, song id and clip index from an EMOPIA file name (path and suffix allowed)."""
    stem = clip_stem(file_name)
    match = _CLIP_NAME.match(stem)
    if match is None:
        raise InputFileError(
            f"{file_name!r} is not an EMOPIA clip name (expected Q<1-4>_<songId>_<clipIndex>.mid)"
        )
    return ClipLabel(
        name=stem,
        quadrant=int(match["quadrant"]),
        song_id=match["song"],
        clip_index=int(match["index"]),
    )


def class_names(task: str) -> tuple[str, ...]:
    """Class names of ``task`` in label-index order."""
    try:
        return TASK_CLASSES[task]
    except KeyError:
        raise RequestError(f"unknown task {task!r}; choose one of {sorted(TASK_CLASSES)}") from None


def num_classes(task: str) -> int:
    return len(class_names(task))


# Readable names a user may ask the generator for, per quadrant (the table above).
EMOTION_NAMES: dict[str, tuple[str, ...]] = {
    "Q1": ("happy", "excited", "joyful"),
    "Q2": ("tense", "angry", "anxious"),
    "Q3": ("sad", "depressed", "melancholic"),
    "Q4": ("calm", "relaxed", "peaceful"),
}


def parse_emotion(text: str) -> int:
    """``"Q3"``, ``"q3"``, ``"3"`` or ``"sad"`` -> the quadrant's class index (0..3)."""
    wanted = str(text).strip().lower()
    for index, quadrant in enumerate(QUADRANTS):
        if wanted in (quadrant.lower(), quadrant[1:], *EMOTION_NAMES[quadrant]):
            return index
    choices = ", ".join(f"{q} ({'/'.join(EMOTION_NAMES[q])})" for q in QUADRANTS)
    raise RequestError(f"unknown emotion {text!r}; choose one of {choices}")
