"""Keys from pitch-class histograms: the Krumhansl-Kessler profiles and the best-correlating key.

One definition for the expert features (key strength), the harmony features (tension, key
changes) and the generated music's coherence (successive segments in the same key).
"""

from __future__ import annotations

import numpy as np

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
KEY_PROFILES = np.stack(
    [np.roll(MAJOR_PROFILE, tonic) for tonic in range(12)]
    + [np.roll(MINOR_PROFILE, tonic) for tonic in range(12)]
)  # (24, 12): C major .. B major, C minor .. B minor
_centred = KEY_PROFILES - KEY_PROFILES.mean(axis=1, keepdims=True)
_UNIT_PROFILES = _centred / np.linalg.norm(_centred, axis=1, keepdims=True)  # correlation = dot product


def key_correlations(histogram: np.ndarray) -> np.ndarray | None:
    """(24,) Pearson correlation of a (12,) histogram with each key's profile; None when it is
    flat (silence, or every pitch class alike), which has no key."""
    if np.ptp(histogram) == 0:
        return None
    centred = (histogram - histogram.mean()) / np.linalg.norm(histogram - histogram.mean())
    return _UNIT_PROFILES @ centred


def estimated_key(histogram: np.ndarray) -> int:
    """0..23 (major keys from C, then minor keys), or -1 for a silent or flat histogram."""
    correlations = key_correlations(histogram)
    return -1 if correlations is None else int(np.argmax(correlations))
