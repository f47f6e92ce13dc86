"""Expert features of beat-roll segments: what the feature judge reads.

A segment's notes are its runs of active steps (as the MIDI we write), timed at EMOPIA's 120 bpm;
then the clip-level expert features (``classical.features.expert_features``) are computed on them,
so real and generated segments are described by one definition. A binary roll has no velocity or
pedal: those features are constant here, and the judge learns nothing from them.
"""

from __future__ import annotations

import numpy as np

from emopia_lightning.classical.features import EXPERT_NAMES, REPORT_FPS, expert_features, report_roll
from emopia_lightning.data.notes import Notes
from emopia_lightning.render.midi import roll_to_notes
from emopia_lightning.sampling import RollFormat

SECONDS_PER_BEAT = 0.5  # EMOPIA's clips are transcribed at 120 bpm
PLAIN_VELOCITY = 80  # the MIDI writer's velocity


def segment_notes(roll: np.ndarray, fmt: RollFormat) -> Notes | None:
    """The notes of one (steps, pitches) roll, or None when nothing sounds."""
    found = roll_to_notes(roll)
    if not found:
        return None
    first_step, length, column = (np.array(values) for values in zip(*found))
    start_beat = first_step / fmt.steps_per_beat
    end_beat = (first_step + length) / fmt.steps_per_beat
    return Notes(
        start_s=start_beat * SECONDS_PER_BEAT,
        end_s=end_beat * SECONDS_PER_BEAT,
        start_beat=start_beat,
        end_beat=end_beat,
        pitch=(fmt.lowest_pitch + column).astype(np.int16),
        velocity=np.full(len(found), PLAIN_VELOCITY, np.uint8),
        beats_per_bar=fmt.beats_per_bar,
    )


def segment_features(rolls: np.ndarray, fmt: RollFormat) -> np.ndarray:
    """(n, len(EXPERT_NAMES)) features of (n, steps, pitches) rolls; an empty segment is all zeros.

    Rates and shares are taken over the whole segment, its silent end included (a clip's features
    end with its last note)."""
    rows = np.zeros((len(rolls), len(EXPERT_NAMES)))
    for i, roll in enumerate(rolls):
        notes = segment_notes(np.asarray(roll, dtype=bool), fmt)
        if notes is None:
            continue
        frames = round(len(roll) / fmt.steps_per_beat * SECONDS_PER_BEAT * REPORT_FPS)
        sounding = report_roll(notes)  # (frames up to the last note's end, 128)
        whole = np.zeros((max(frames, len(sounding)), sounding.shape[1]), sounding.dtype)
        whole[: len(sounding)] = sounding
        rows[i] = expert_features(notes, whole)
    return rows
