"""judgments_frame and friends: the long-format frame the statistics consume."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from assessment.analysis_frames import attention_frame, judgments_frame, unaware_frame
from assessment.models import Assignment, Enrolment
from assessment.services import enrolment_acknowledge_reveal, judgment_submit
from assessment.stats.frame import validate
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db


def answer_all(reader, choose):
    """Answer every item of the reader's list in order; ``choose(assignment)`` -> kwargs."""
    enrolment = Enrolment.objects.get(reader=reader)
    for item in enrolment.assignments.order_by("position").select_related("case"):
        if item.phase == "main" and enrolment.study.unaware_phase:
            enrolment_acknowledge_reveal(enrolment=enrolment)
        judgment_submit(
            reader=reader, item_token=item.token, client_token=uuid.uuid4(), **choose(item)
        )


def test_paired_frame_rows_truth_and_validation(small_store, reader_a):
    seed(readers=("alice",), n=6, practice=2,
         settings={"attention_checks": 1, "repeat_share": 0.5, "repeat_min_distance": 1,
                   "ask_label_consistency": True})  # fmt: skip
    ready(Enrolment.objects.get(reader=reader_a))
    # Alice always picks the top panel, so she is right exactly when the synthetic is on top.
    answer_all(reader_a, lambda a: {"answer": "top", "confidence": 4, "label_consistent": True,
                                    "active_time_ms": 2500})  # fmt: skip
    frame = judgments_frame(Assignment.objects.first().enrolment.study)
    main = Assignment.objects.filter(phase="main", case__kind="main").order_by("position")
    assert len(frame) == main.count() == 9  # 6 cases + 3 repeats; practice/attention left out
    assert list(frame["item"]) == [a.token for a in main]
    assert list(frame["truth"]) == ["left" if a.synthetic_on_top else "right" for a in main]
    assert (frame["answer"] == "left").all()
    assert list(frame["correct"]) == [bool(a.synthetic_on_top) for a in main]
    assert list(frame["round"]) == [a.round for a in main]
    assert frame["is_repeat"].sum() == 3
    assert list(frame["source_for_label_question"]) == [
        "synthetic" if a.synthetic_on_top else "real" for a in main
    ]
    assert (frame["generator"] == "sssd-nle").all()
    assert (frame["active_time_s"] == 2.5).all()
    assert (frame["reader_experience_years"] == 12).all()
    assert (frame["time_answered_s"] >= frame["time_shown_s"]).all()
    assert set(frame["phase"]) == {"main"}
    validated = validate(frame)
    assert len(validated) == 9 and validated["correct"].equals(frame["correct"])

    checks = attention_frame(Assignment.objects.first().enrolment.study)
    attention = Assignment.objects.get(case__kind="attention")
    assert list(checks["passed"]) == [bool(attention.synthetic_on_top)]


def test_single_frame_and_unaware_frame(small_store, reader_a):
    study = seed(readers=("alice",), design="single", n=4, unaware=2,
                 settings={"unaware_phase": True, "ask_confidence": False})  # fmt: skip
    ready(Enrolment.objects.get(reader=reader_a))

    def choose(item):
        if item.phase == "unaware":
            return {"answer": None, "quality": 3, "label_consistent": False}
        return {"answer": "synthetic"}

    answer_all(reader_a, choose)
    frame = judgments_frame(study)
    truths = ["synthetic" if a.case.real_ecg_id is None else "real"
              for a in Assignment.objects.filter(phase="main").order_by("position")]  # fmt: skip
    assert list(frame["truth"]) == truths
    assert list(frame["correct"]) == [t == "synthetic" for t in truths]
    assert frame["confidence"].isna().all() and frame["source_for_label_question"].isna().all()
    validate(frame)
    ratings = unaware_frame(study)
    assert len(ratings) == 2 and (ratings["quality"] == 3).all()
    assert sorted(ratings["source"]) == ["real", "synthetic"]
    assert pd.isna(ratings.loc[ratings["source"] == "real", "generator"]).all()


def test_empty_study_gives_an_empty_frame_with_the_columns(paired_study):
    frame = judgments_frame(paired_study)
    assert frame.empty and {"reader", "truth", "answer", "phase"} <= set(frame.columns)
