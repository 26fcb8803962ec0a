"""Blinding audit of access: the reader API, login, staff pages, admin, render tokens, CSRF."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from assessment.models import Assignment, Judgment, Study
from assessment.previews import preview_token
from assessment.services import enrolment_acknowledge_reveal
from generator.models import ECG
from tests.assessment.audit_helpers import (
    CSRF_VALUE,
    answer_next_unaware,
    api,
    csrf_client,
    enrolment_of,
)
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db


# --- Reader API -----------------------------------------------------------------------------


def test_api_lists_exactly_the_readers_own_items_in_order(small_store, reader_a, reader_b):
    seed(n=4)
    seed("draft", n=4, open_now=False)
    rows = api(reader_a).get("/api/my/assignments/").json()
    own = Assignment.objects.filter(enrolment__reader=reader_a).order_by("position")
    assert [r["item"] for r in rows] == [a.token for a in own]
    assert [r["position"] for r in rows] == list(range(4))
    assert {r["study"] for r in rows} == {"ECG reading study"}
    bob = set(Assignment.objects.filter(enrolment__reader=reader_b).values_list("token", flat=True))
    assert bob and not bob & {r["item"] for r in rows}
    assert set(rows[0]) == {"item", "study", "enrolment", "position", "phase", "panels",
                            "questions", "answered"}  # fmt: skip


def test_api_hides_later_items_until_the_unaware_phase_is_over(small_store, reader_a):
    """Before the reveal, main items (asking "real or synthetic?") would tell an unaware
    reader what the study is about; the API lists only the unaware items then."""
    seed(readers=("alice",), n=4, unaware=2, practice=2, settings={"unaware_phase": True})
    enrolment = ready(enrolment_of(reader_a))
    response = api(reader_a).get("/api/my/assignments/")
    assert [row["phase"] for row in response.json()] == ["rating", "rating"]
    assert b"synthetic" not in response.content and b"unaware" not in response.content
    first = enrolment.assignments.get(position=0)
    payload = {"item": first.token, "answer": "real", "quality": 3, "label_consistent": True}
    refused = api(reader_a).post(
        "/api/judgments/", {**payload, "client_token": str(uuid.uuid4())}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"answer": ["this item does not ask for an answer"]}
    for item in enrolment.assignments.filter(phase="unaware").order_by("position"):
        answer_next_unaware(reader_a, item)
    enrolment_acknowledge_reveal(enrolment=enrolment)
    rows = api(reader_a).get("/api/my/assignments/").json()
    assert [row["phase"] for row in rows] == ["rating"] * 2 + ["practice"] * 2 + ["main"] * 4


def test_staff_api_answers_readers_the_same_whatever_the_study(paired_study, reader_a):
    client = api(reader_a)
    missing = paired_study.pk + 1000
    answers = set()
    for method, path in [
        ("get", "/api/studies/"),
        ("post", "/api/studies/"),
        ("get", f"/api/studies/{paired_study.pk}/"),
        ("get", f"/api/studies/{missing}/"),
        ("get", f"/api/studies/{paired_study.pk}/cases/"),
        ("get", f"/api/studies/{missing}/cases/"),
        ("post", f"/api/studies/{paired_study.pk}/close/"),
        ("post", f"/api/studies/{missing}/close/"),
    ]:
        response = getattr(client, method)(path, {}, format="json")
        answers.add((response.status_code, response.content))
    assert answers == {(403, b'{"detail":"You do not have permission to perform this action."}')}
    assert Study.objects.get().status == Study.Status.OPEN


def test_api_methods_beyond_the_documented_ones_are_refused(paired_study, reader_a):
    client = api(reader_a)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/api/my/assignments/").status_code == 405
        assert getattr(client, method)("/api/judgments/").status_code == 405
    assert client.get("/api/judgments/").status_code == 405
    assert not Judgment.objects.exists()


def test_api_404_for_another_readers_item_matches_a_missing_item(paired_study, reader_a, reader_b):
    ready(enrolment_of(reader_b))
    alices = enrolment_of(reader_a).assignments.order_by("position").first()
    client = api(reader_b)
    payload = {"client_token": str(uuid.uuid4()), "answer": "top", "confidence": 3}
    theirs = client.post("/api/judgments/", {**payload, "item": alices.token}, format="json")
    nothing = client.post("/api/judgments/", {**payload, "item": "x" * 22}, format="json")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.content == nothing.content


# --- Access: login, staff pages, admin, render tokens ---------------------------------------


def test_api_schema_and_docs_need_a_login(db):
    anonymous = Client()
    for name in ("api-schema", "api-docs"):
        assert anonymous.get(reverse(name)).status_code == 403


def test_anonymous_visitors_get_the_login_page_whatever_the_method(paired_study, reader_a):
    item = enrolment_of(reader_a).assignments.first()
    anonymous = Client()
    for method, url in [
        ("post", reverse("assessment:staff-study-open", args=[paired_study.pk])),
        ("get", reverse("assessment:staff-study-close", args=[paired_study.pk])),
        ("post", reverse("reports:dashboard", args=[paired_study.pk])),
        ("post", reverse("assessment:panel-image", args=[item.panel_a_token])),
        ("put", reverse("assessment:item", args=[item.token])),
    ]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/login/" in response.url, (method, url)


def test_staff_pages_are_a_plain_404_for_readers_whatever_the_method(paired_study, client_a):
    missing = client_a.get("/no/such/page/")
    pk = paired_study.pk
    for method, url in [
        ("get", reverse("assessment:staff-study-list")),
        ("get", reverse("assessment:staff-study-detail", args=[pk])),
        ("get", reverse("assessment:staff-study-open", args=[pk])),
        ("post", reverse("assessment:staff-study-open", args=[pk])),
        ("post", reverse("assessment:staff-study-close", args=[pk])),
        ("get", reverse("reports:dashboard", args=[pk])),
        ("post", reverse("reports:dashboard", args=[pk])),
        ("post", reverse("reports:export", args=[pk, "csv"])),
        ("get", reverse("reports:export", args=[pk, "csv"])),
    ]:
        response = getattr(client_a, method)(url)
        assert response.status_code == 404, (method, url)
        assert CSRF_VALUE.sub("", response.content.decode()) == CSRF_VALUE.sub(
            "", missing.content.decode()
        )
    assert Study.objects.get().status == Study.Status.OPEN


def test_admin_shows_readers_nothing(paired_study, client_a):
    for url in ("/admin/", "/admin/assessment/study/", "/admin/assessment/case/",
                f"/admin/assessment/study/{paired_study.pk}/change/",
                "/admin/assessment/study/seed/", "/admin/generator/ecg/"):  # fmt: skip
        response = client_a.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), url


def test_render_tokens_are_staff_only(paired_study, reader_a, client_a, client_admin):
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.select_related("case").first()
    ecg = ECG.objects.get(pk=item.case.real_ecg_id)
    preview = reverse("ecg_render:rendered", args=[preview_token(ecg), "svg"])
    missing = client_a.get(reverse("ecg_render:rendered", args=["x" * 22, "svg"]))
    assert client_admin.get(preview).status_code == 200
    for url in (preview, reverse("ecg_render:rendered", args=[item.panel_a_token, "svg"])):
        response = client_a.get(url)
        assert response.status_code == 404, url
        assert CSRF_VALUE.sub("", response.content.decode()) == CSRF_VALUE.sub(
            "", missing.content.decode()
        )
    anonymous = Client().get(preview)
    assert anonymous.status_code == 302 and "/login/" in anonymous.url


# --- CSRF -----------------------------------------------------------------------------------


def test_every_reader_form_needs_its_csrf_token(small_store, reader_a):
    seed(readers=("alice",), n=4, unaware=1, settings={"unaware_phase": True})
    enrolment = enrolment_of(reader_a)
    client = csrf_client(reader_a)
    consent = reverse("assessment:consent", args=[enrolment.token])
    data = {"consent": "on", "specialty": "cardiology", "years_experience": "3",
            "ecgs_per_week": "9"}  # fmt: skip
    assert client.post(consent, data).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.consented_at is None
    # The page's own token makes the same post go through (the check above can fail).
    page = client.get(consent).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(consent, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    instructions = reverse("assessment:instructions", args=[enrolment.token])
    assert client.post(instructions, {}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.instructions_seen_at is None
    ready(enrolment)
    item = enrolment.assignments.order_by("position").first()
    answer = {"quality": "3", "label_consistent": "yes", "client_token": str(uuid.uuid4())}
    assert client.post(reverse("assessment:item", args=[item.token]), answer).status_code == 403
    answer_next_unaware(reader_a, item)
    reveal = reverse("assessment:reveal", args=[enrolment.token])
    assert client.post(reveal, {}).status_code == 403
    assert client.post(reverse("logout"), {}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.revealed_at is None and Judgment.objects.count() == 1


def test_api_and_staff_posts_need_csrf_with_a_session(paired_study, reader_a, admin):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()
    reader_api = APIClient(enforce_csrf_checks=True)
    reader_api.force_login(reader_a)
    payload = {"item": item.token, "client_token": str(uuid.uuid4()), "answer": "top",
               "confidence": 3}  # fmt: skip
    assert reader_api.post("/api/judgments/", payload, format="json").status_code == 403
    staff_api = APIClient(enforce_csrf_checks=True)
    staff_api.force_login(admin)
    assert staff_api.post(f"/api/studies/{paired_study.pk}/close/").status_code == 403
    staff = csrf_client(admin)
    close = reverse("assessment:staff-study-close", args=[paired_study.pk])
    assert staff.post(close).status_code == 403
    seed_page = staff.post("/admin/assessment/study/seed/", {"name": "x"})
    assert seed_page.status_code == 403
    assert Study.objects.get().status == Study.Status.OPEN and not Judgment.objects.exists()
