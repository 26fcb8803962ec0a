"""study_open freezes a study and builds reader lists; frozen cases never change."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from assessment.errors import StudyFrozenError, StudyStateError
from assessment.models import Assignment, Case, Study
from assessment.planning.ordering import Slot, repeat_distances
from assessment.services import case_exclude, study_close, study_enrol, study_open
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db


def main_list(study: Study, username: str) -> list[tuple[int, int, bool | None]]:
    rows = Assignment.objects.filter(
        enrolment__study=study, enrolment__reader__username=username, phase="main"
    ).order_by("position")
    return [(a.case.index, a.round, a.synthetic_on_top) for a in rows.select_related("case")]


def test_frozen_study_refuses_new_cases(paired_study):
    case = paired_study.cases.first()
    clone = Case(study=paired_study, index=99, real_ecg_id=case.real_ecg_id, stratum="NORM")
    with pytest.raises(StudyFrozenError, match="frozen"):
        clone.save()
    with pytest.raises(StudyFrozenError, match="frozen"):
        case_exclude(case=case)
    with pytest.raises(StudyFrozenError, match="frozen"):
        case.delete()
    with pytest.raises(StudyFrozenError, match="already open"):
        study_open(study=paired_study)
    assert paired_study.cases.count() == 8


def test_draft_cases_can_be_dropped_before_opening(small_store, reader_a):
    study = seed(readers=("alice",), open_now=False)
    case_exclude(case=study.cases.first())
    study_open(study=study)
    assert study.cases.count() == 7
    assert len(main_list(study, "alice")) == 7


def test_snapshot_records_cases_and_settings(paired_study):
    snapshot = Study.objects.get(pk=paired_study.pk).snapshot
    assert snapshot["settings"]["design"] == "paired"
    assert snapshot["settings"]["harmonisation"]["sampling_rate"] == 100.0
    assert [c["id"] for c in snapshot["cases"]] == list(
        paired_study.cases.order_by("index").values_list("id", flat=True)
    )
    assert [r[0] for r in snapshot["readers"]] == ["alice", "bob"]


def test_each_reader_list_is_balanced_with_far_repeats(small_store, reader_a, reader_b):
    study = seed(
        n=12, settings={"repeat_share": 0.25, "repeat_min_distance": 4, "attention_checks": 0}
    )
    for username in ("alice", "bob"):
        rows = main_list(study, username)
        assert len(rows) == 15 and Counter(r[1] for r in rows) == {1: 12, 2: 3}
        assert sum(r[2] for r in rows) in (7, 8)
        slots = [Slot(index, rnd, top) for index, rnd, top in rows]
        assert min(repeat_distances(slots)) > 4


def test_anchor_items_shared_and_blocks_rotate(small_store):
    readers = [f"r{i}" for i in range(3)]
    for name in readers:
        get_user_model().objects.create_user(name)
    study = seed(
        n=10, readers=tuple(readers),
        settings={"assignment_mode": "anchor_rotating", "anchor_count": 4, "block_count": 3},
    )  # fmt: skip
    anchors = set(study.cases.filter(is_anchor=True).values_list("index", flat=True))
    lists = [{index for index, _, _ in main_list(study, name)} for name in readers]
    assert len(anchors) == 4
    for seen in lists:
        assert anchors <= seen
    blocks = [seen - anchors for seen in lists]
    assert [len(b) for b in blocks] == [2, 2, 2]
    assert set().union(*blocks) == set(range(4, 10))


def test_reader_enrolled_after_opening_gets_a_list(paired_study, db):
    get_user_model().objects.create_user("carol")
    [enrolment] = study_enrol(study=paired_study, usernames=["carol"])
    assert enrolment.reader_index == 2
    assert enrolment.assignments.count() == 8


def test_close_then_nothing_more(paired_study):
    study_close(study=paired_study)
    with pytest.raises(StudyStateError, match="closed"):
        study_enrol(study=paired_study, usernames=["alice"])
