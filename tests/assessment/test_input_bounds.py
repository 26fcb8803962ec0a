"""Input that once caused 500s gets a clear 4xx, and the database refuses values outside the
study and judgment rules even when a write bypasses the services."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from assessment.models import (
    MAX_ACTIVE_TIME_MS,
    MAX_COUNTER,
    Assignment,
    Enrolment,
    Judgment,
    Study,
)
from tests.assessment.conftest import ready, seed
from tests.assessment.test_judgment_submit import first_item, submit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "extra",
    [{"active_time_ms": 2**31}, {"answer_changes": 2**31}, {"active_time_ms": -1},
     {"active_time_ms": MAX_ACTIVE_TIME_MS + 1}],
)  # fmt: skip
def test_out_of_range_counters_are_400_through_the_api(paired_study, reader_a, extra):
    enrolment = ready(Enrolment.objects.get(reader=reader_a))
    item = enrolment.assignments.order_by("position").first()
    payload = {"item": item.token, "client_token": str(uuid.uuid4()), "answer": "top",
               "confidence": 3, **extra}  # fmt: skip
    response = api(reader_a).post("/api/judgments/", payload, format="json")
    assert response.status_code == 400
    assert next(iter(extra)) in response.json()
    assert not Judgment.objects.exists()


def test_out_of_range_counter_in_the_page_form_is_a_form_error(paired_study, reader_a, client_a):
    item = first_item(reader_a)
    response = client_a.post(
        f"/item/{item.token}/",
        {"answer": "top", "confidence": "3", "client_token": str(uuid.uuid4()),
         "active_time_ms": str(2**31), "answer_changes": "0"},
    )  # fmt: skip
    assert response.status_code == 200  # the page again, nothing stored
    assert not Judgment.objects.exists()


def test_many_changes_keep_the_summed_counters_in_range(small_store, reader_a):
    seed(readers=("alice",), settings={"allow_answer_changes": True})
    item = first_item(reader_a)
    submit(reader_a, item, active_time_ms=MAX_ACTIVE_TIME_MS, answer_changes=10_000)
    for answer in ("bottom", "top", "bottom") * 10:
        submit(reader_a, item, answer=answer, active_time_ms=MAX_ACTIVE_TIME_MS,
               answer_changes=10_000)  # fmt: skip
    stored = Judgment.objects.get()
    assert stored.active_time_ms == MAX_COUNTER
    assert stored.revisions == 30 and stored.history.count() == 31


@pytest.mark.parametrize(
    ("body", "message"),
    [({"seed": -1}, "seed"),
     ({"settings": {"harmonisation": {"sampling_rate": 37}}}, "between 50 and 1000 Hz"),
     ({"settings": {"harmonisation": {"sampling_rate": 1e308}}}, "between 50 and 1000 Hz"),
     ({"settings": {"attention_checks": 30000}}, "attention_checks"),
     ({"settings": {"repeat_share": 5}}, "repeat_share"),
     ({"settings": {"synthetic_share": -3}}, "synthetic_share"),
     ({"settings": {"equivalence_low": 0.9, "equivalence_high": 0.1}}, "equivalence margin"),
     ({"n": 10**9}, "n")],
)  # fmt: skip
def test_bad_study_settings_are_400_naming_the_problem(small_store, admin, body, message):
    payload = {"name": "api", "design": "paired", "n": 4, "real_origins": ["test-real"],
               "synthetic_origins": ["test-gen"], **body}  # fmt: skip
    response = api(admin).post("/api/studies/", payload, format="json")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Study.objects.exists()


def test_database_refuses_study_settings_out_of_range(small_store, reader_a):
    study = seed(readers=("alice",), open_now=False)
    for change in ({"equivalence_low": 0.9, "equivalence_high": 0.1}, {"repeat_share": 5.0},
                   {"seed": -1}, {"attention_checks": 30000}):  # fmt: skip
        with pytest.raises(IntegrityError), transaction.atomic():
            Study.objects.filter(pk=study.pk).update(**change)


def test_database_refuses_judgments_and_assignments_out_of_range(paired_study, reader_a):
    item = first_item(reader_a)
    now = timezone.now()
    base = {"assignment": item, "round": 1, "client_token": uuid.uuid4(), "answer": "top",
            "shown_at": now, "answered_at": now}  # fmt: skip
    for bad in ({"confidence": 9}, {"quality": 0}, {"round": 3},
                {"answered_at": now - timezone.timedelta(seconds=1)}):  # fmt: skip
        with pytest.raises(IntegrityError), transaction.atomic():
            Judgment.objects.create(**{**base, **bad})
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=item.pk).update(synthetic_on_top=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=item.pk).update(round=3)
