"""Emotion along a long piece: scores per window position and key agreement, pinned exactly with a
judge whose answers are written into the pieces."""

import numpy as np
import pytest

from conftest import piece_of
from emopia_lightning.data.segment_layout import SOUNDING, SegmentLayout
from emopia_lightning.generator_evaluation.along_piece import along_piece, judged_along
from emopia_lightning.generator_evaluation.emotion_control import LongPieces
from emopia_lightning.render.along_piece import plot_along_piece

LAYOUT = SegmentLayout()


class MarkedJudge:
    """Names quadrant v - 1 of a segment whose first step sounds at velocity v."""

    name = "marked"

    def probabilities(self, rolls: np.ndarray) -> np.ndarray:
        answers = rolls[:, 0, :, SOUNDING].max(axis=1).astype(int) - 1  # (n,)
        return np.eye(4)[answers]


# Asked: two pieces per quadrant. Judged: window 1 all right; window 2 two wrong (Q1 -> Q2 and
# Q3 -> Q4: arousal kept, valence lost); window 3 everything Q2.
ASKED = [0, 0, 1, 1, 2, 2, 3, 3]
JUDGED = [ASKED, [0, 1, 1, 1, 2, 3, 3, 3], [1] * 8]


def _pieces() -> LongPieces:
    # Windows 1 and 2 sound pitch class A# (MIDI 22), window 3 E (MIDI 28): other keys.
    segments = np.stack(
        [
            np.stack(
                [
                    piece_of([(0, 16, 0 if k < 2 else 6, JUDGED[k][i] + 1)], LAYOUT.segment_steps)
                    for k in range(3)
                ]
            )
            for i in range(len(ASKED))
        ]
    )  # (8 pieces, 3 windows, steps, pitches, 2)
    return LongPieces(12, [], segments, np.array(ASKED))


def test_each_window_position_is_scored_with_first_last_and_all_windows():
    judged = judged_along(MarkedJudge(), _pieces())
    accuracy = [p["accuracy"] for p in judged["by_position"]]
    assert accuracy == [1.0, 6 / 8, 2 / 8]
    second = judged["by_position"][1]
    assert second["arousal_accuracy"] == 1.0 and second["valence_accuracy"] == 6 / 8
    assert judged["last"]["per_quadrant"] == {"Q1": 0.0, "Q2": 1.0, "Q3": 0.0, "Q4": 0.0}
    assert judged["first"] == judged["by_position"][0]
    assert judged["all_windows"]["accuracy"] == pytest.approx(16 / 24)


def test_along_piece_reads_every_judge_and_compares_keys(tmp_path):
    result = along_piece({"marked": MarkedJudge(), "again": MarkedJudge()}, _pieces(), LAYOUT)
    assert (
        result["windows"] == 3
        and result["n_per_quadrant"] == 2
        and sorted(result["judges"]) == ["again", "marked"]
    )
    assert result["successive_same_key"] == 0.5  # window 1 and 2 agree, 2 and 3 do not
    assert result["first_last_same_key"] == 0.0
    path = plot_along_piece(
        {"12": result}, {"marked": 0.58, "again": 0.54}, ["Q1", "Q2", "Q3", "Q4"], tmp_path / "a.png"
    )
    assert path.stat().st_size > 1000
