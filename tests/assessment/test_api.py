"""REST API: staff study endpoints, the reader's blinded items, idempotent judgments, schema."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from assessment.models import Enrolment, Judgment, Study
from tests.assessment.conftest import ready

pytestmark = pytest.mark.django_db

TRUTH_WORDS = (
    "real", "synthetic", "origin", "source", "generator", "match", "stratum", "superclass",
    "label_set", "synthetic_on_top", "round", "repeat", "case",
)  # fmt: skip


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_schema_builds_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    assert {"/api/studies/", "/api/my/assignments/", "/api/judgments/"} <= set(paths)


def test_reader_api_exposes_no_truth_fields(paired_study, reader_a):
    response = api(reader_a).get("/api/my/assignments/")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 8
    assert not any(word in key for key in keys(rows) for word in TRUTH_WORDS)
    text = json.dumps(rows)
    for leak in ("test-real", "test-gen", "sssd", "NORM"):
        assert leak not in text
    assert rows[0]["questions"]["answer_choices"] == ["top", "bottom"]
    assert all(panel.startswith("/panel/") for row in rows for panel in row["panels"])


def test_readers_see_only_their_own_items(paired_study, reader_a, reader_b):
    mine = {row["item"] for row in api(reader_a).get("/api/my/assignments/").json()}
    theirs = {row["item"] for row in api(reader_b).get("/api/my/assignments/").json()}
    assert mine and theirs and mine.isdisjoint(theirs)
    ready(Enrolment.objects.get(reader=reader_b))
    response = api(reader_b).post(
        "/api/judgments/",
        {"item": sorted(mine)[0], "client_token": str(uuid.uuid4()), "answer": "top",
         "confidence": 3},
        format="json",
    )  # fmt: skip
    assert response.status_code == 404 and not Judgment.objects.exists()


def test_api_judgment_is_idempotent_by_client_token(paired_study, reader_a):
    enrolment = ready(Enrolment.objects.get(reader=reader_a))
    item = enrolment.assignments.order_by("position").first()
    payload = {"item": item.token, "client_token": str(uuid.uuid4()), "answer": "bottom",
               "confidence": 5, "active_time_ms": 3000}  # fmt: skip
    client = api(reader_a)
    first = client.post("/api/judgments/", payload, format="json")
    again = client.post("/api/judgments/", payload, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["created"] is True and again.json()["created"] is False
    conflict = client.post(
        "/api/judgments/", {**payload, "client_token": str(uuid.uuid4())}, format="json"
    )
    assert conflict.status_code == 409
    bad = client.post(
        "/api/judgments/",
        {**payload, "item": enrolment.assignments.order_by("position")[1].token,
         "client_token": str(uuid.uuid4()), "confidence": 9},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400 and "confidence" in bad.json()
    assert Judgment.objects.count() == 1


def test_study_endpoints_are_staff_only(paired_study, reader_a, admin):
    assert api(reader_a).get("/api/studies/").status_code == 403
    assert api(reader_a).get(f"/api/studies/{paired_study.pk}/cases/").status_code == 403
    studies = api(admin).get("/api/studies/").json()
    assert [s["name"] for s in studies] == ["s1"]
    cases = api(admin).get(f"/api/studies/{paired_study.pk}/cases/").json()
    assert len(cases) == 8 and {"real_ecg", "synthetic_ecg", "match_level"} <= set(cases[0])


def test_staff_seed_and_open_through_the_api(small_store, admin, reader_a):
    client = api(admin)
    payload = {"name": "api", "design": "single", "n": 4, "real_origins": ["test-real"],
               "synthetic_origins": ["test-gen"], "readers": ["alice"], "seed": 3,
               "settings": {"ask_confidence": False}}  # fmt: skip
    created = client.post("/api/studies/", payload, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    opened = client.post(f"/api/studies/{created.json()['id']}/open/")
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert Study.objects.get(name="api").snapshot["settings"]["ask_confidence"] is False
    again = client.post(f"/api/studies/{created.json()['id']}/open/")
    assert again.status_code == 400 and "already open" in again.json()["detail"]
    unknown = client.post("/api/studies/", {**payload, "name": "x", "real_origins": ["gan"]},
                          format="json")  # fmt: skip
    assert unknown.status_code == 400 and "unknown real origin" in unknown.json()["detail"]
