"""Expert features of segments: what the feature judge reads.

A segment's notes are those the MIDI writer writes (``data.segment_layout.piece_notes``: onsets,
ends and velocities), timed at EMOPIA's 120 bpm; then the clip-level expert features
(``classical.features.expert_features``) are computed on them, so real and generated segments are
described by one definition. A piece has no pedal: that feature is constant here.
"""

from __future__ import annotations

import numpy as np

from emopia_lightning.classical.features import EXPERT_NAMES, REPORT_FPS, expert_features, report_roll
from emopia_lightning.data.notes import Notes
from emopia_lightning.data.segment_layout import SegmentLayout, piece_to_notes

SECONDS_PER_BEAT = 0.5  # EMOPIA's clips are transcribed at 120 bpm


def segment_notes(piece: np.ndarray, layout: SegmentLayout) -> Notes | None:
    """The notes of one (steps, pitches, 2) piece at EMOPIA's 120 bpm, or None when nothing sounds."""
    notes = piece_to_notes(piece, layout, qpm=60.0 / SECONDS_PER_BEAT)
    return notes if len(notes) else None


def segment_features(pieces: np.ndarray, layout: SegmentLayout) -> np.ndarray:
    """(n, len(EXPERT_NAMES)) features of (n, steps, pitches, 2) pieces; an empty one is all zeros.

    Rates and shares are taken over the whole segment, its silent end included (a clip's features
    end with its last note)."""
    rows = np.zeros((len(pieces), len(EXPERT_NAMES)))
    for i, piece in enumerate(pieces):
        notes = segment_notes(piece, layout)
        if notes is None:
            continue
        frames = round(len(piece) / layout.steps_per_beat * SECONDS_PER_BEAT * REPORT_FPS)
        sounding = report_roll(notes)  # (frames up to the last note's end, 128)
        whole = np.zeros((max(frames, len(sounding)), sounding.shape[1]), sounding.dtype)
        whole[: len(sounding)] = sounding
        rows[i] = expert_features(notes, whole)
    return rows
