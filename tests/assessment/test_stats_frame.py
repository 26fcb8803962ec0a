"""Validation of the long judgment frame and its derived columns."""

import math

import numpy as np
import pandas as pd
import pytest

from assessment.stats.frame import CONTRACT_COLUMNS, DERIVED_COLUMNS, empty_frame, validate


def _rows(**overrides) -> pd.DataFrame:
    base = {
        "reader": ["a", "a", "b", "b"],
        "item": ["t1", "t2", "t3", "t4"],
        "case": ["s1", "p1", "s1", "p1"],
        "round": [1, 1, 2, 1],
        "design": ["single", "paired", "single", "paired"],
        "truth": ["synthetic", "left", "real", "right"],
        "answer": ["synthetic", "right", "synthetic", "right"],
        "confidence": [6, 2, np.nan, 4],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_validate_derives_correct_signed_confidence_and_verdict():
    frame = validate(_rows())
    assert list(frame.columns) == list(CONTRACT_COLUMNS) + list(DERIVED_COLUMNS)
    assert frame["correct"].tolist() == [True, False, False, True]
    # +c for answer synthetic / left, -c for real / right; NaN stays NaN.
    assert frame["signed_confidence"].tolist()[:2] == [6.0, -2.0]
    assert math.isnan(frame["signed_confidence"][2])
    assert frame["signed_confidence"][3] == -4.0
    assert frame["verdict"].tolist() == [
        "synthetic",
        "picked_real",
        "synthetic",
        "picked_synthetic",
    ]
    assert not frame["is_repeat"].any()


def test_decision_time_prefers_active_time():
    frame = validate(
        _rows(
            time_shown_s=[0, 10, 0, 0],
            time_answered_s=[5, 30, 4, 9],
            active_time_s=[np.nan, 12.5, np.nan, 3],
        )
    )
    assert frame["decision_time_s"].tolist() == [5.0, 12.5, 4.0, 3.0]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"design": ["single", "paired", "single", "triple"]}, "design"),
        ({"truth": ["synthetic", "left", "real", "real"]}, "truth"),
        ({"answer": ["left", "right", "synthetic", "right"]}, "answer"),
        ({"round": [1, 3, 1, 1]}, "round"),
        ({"round": [1, 1.5, 1, 1]}, "round"),
        ({"confidence": [0, 2, 3, 4]}, "confidence"),
        ({"confidence": [2.5, 2, 3, 4]}, "confidence"),
        ({"correct": [True, True, False, True]}, "disagrees"),
        ({"correct": [True, "maybe", False, True]}, "correct"),
        ({"reader": ["a", None, "b", "b"]}, "reader"),
        ({"source_for_label_question": ["real", "fake", None, None]}, "source_for_label"),
        ({"time_shown_s": [5, 0, 0, 0], "time_answered_s": [1, 1, 1, 1]}, "earlier"),
        ({"active_time_s": [-1, 0, 0, 0]}, "negative"),
        ({"answer_changes": ["x", 0, 0, 0]}, "answer_changes"),
    ],
)
def test_bad_values_raise_clear_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        validate(_rows(**overrides))


def test_missing_required_columns_are_named():
    with pytest.raises(ValueError, match="case, round"):
        validate(_rows().drop(columns=["case", "round"]))
    with pytest.raises(ValueError, match="DataFrame"):
        validate([{"reader": "a"}])


def test_empty_frame_has_all_columns():
    frame = empty_frame()
    assert len(frame) == 0
    assert list(frame.columns) == list(CONTRACT_COLUMNS) + list(DERIVED_COLUMNS)


def test_extra_columns_are_kept_after_the_contract():
    frame = validate(_rows(zeta=[1, 2, 3, 4], alpha=[4, 3, 2, 1]))
    assert list(frame.columns)[-2:] == ["alpha", "zeta"]
