"""Blinding audit of double submits racing in two threads: one judgment per item."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

import assessment.services.judgments as judgments_module
from assessment.errors import AlreadyAnsweredError
from assessment.models import Judgment
from assessment.services import judgment_submit
from tests.assessment.audit_helpers import enrolment_of
from tests.assessment.conftest import ready

pytestmark = pytest.mark.django_db


# --- Double submits racing in two threads ---------------------------------------------------


def race(submits) -> list[object]:
    """Run the callables at the same moment in threads; each result or raised error."""
    barrier = threading.Barrier(len(submits))
    results: list[object] = [None] * len(submits)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = submits[index]()
        except Exception as exc:  # noqa: BLE001 (the test inspects every outcome)
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(submits))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def slow_checks(monkeypatch):
    """Widen the window between reading and writing so unlocked submits would collide."""
    next_step = judgments_module.next_step

    def slow(enrolment):
        time.sleep(0.2)
        return next_step(enrolment)

    monkeypatch.setattr(judgments_module, "next_step", slow)


@pytest.mark.django_db(transaction=True)
def test_racing_replays_of_one_client_token_store_one_judgment(paired_study, reader_a, slow_checks):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()
    token = uuid.uuid4()

    def submit():
        return judgment_submit(
            reader=reader_a, item_token=item.token, client_token=token, answer="top",
            confidence=4,
        )  # fmt: skip

    results = race([submit, submit])
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].judgment.pk == results[1].judgment.pk
    assert Judgment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_different_answers_store_exactly_one(paired_study, reader_a, slow_checks):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()

    def submit(answer: str):
        return lambda: judgment_submit(
            reader=reader_a, item_token=item.token, client_token=uuid.uuid4(), answer=answer,
            confidence=4,
        )  # fmt: skip

    results = race([submit("top"), submit("bottom")])
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and winners[0].created
    assert len(losers) == 1 and isinstance(losers[0], AlreadyAnsweredError)
    assert list(Judgment.objects.values_list("answer", flat=True)) == [winners[0].judgment.answer]


@pytest.mark.django_db(transaction=True)
def test_racing_api_posts_answer_201_and_409(paired_study, reader_a, slow_checks):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()

    def post(answer: str):
        def send():
            client = APIClient()
            client.force_authenticate(reader_a)
            payload = {"item": item.token, "client_token": str(uuid.uuid4()),
                       "answer": answer, "confidence": 2}  # fmt: skip
            return client.post("/api/judgments/", payload, format="json").status_code

        return send

    assert sorted(race([post("top"), post("bottom")])) == [201, 409]
    assert Judgment.objects.count() == 1
