"""The blinding audit as staff meet it: the audit page, opening with a recorded reason
(page and API), the audit_blinding command and the report's section."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from assessment.management.commands.demo import _open_demo_study
from assessment.models import Study
from assessment.services import study_open
from assessment.services.audit import blinding_audit
from generator.records.types import EcgRecord
from generator.services import ecg_import
from tests.assessment.audit_helpers import api
from tests.assessment.conftest import seed
from tests.factories import beat_signal

pytestmark = pytest.mark.django_db

RAW = {"harmonisation": {"quantum_mv": 0.001, "derive_limb_leads": False, "dither": "none"}}


@pytest.fixture
def leaky_store(db):
    """12 label-matched pairs whose real ECGs lie on a 5 uV grid and synthetic ones do not,
    a non-clinical tell that only harmonisation removes."""
    records = []
    for i in range(12):
        signal = beat_signal(1000 + i).astype(np.float64)
        real = np.round(beat_signal(2000 + i) / 0.005) * 0.005
        records += [
            EcgRecord(f"leak:r{i}", real.astype(np.float32), 100.0, "real", "leak-real",
                      scp_codes={"NORM": 100.0, "SR": 0.0}),
            EcgRecord(f"leak:s{i}", signal.astype(np.float32), 100.0, "synthetic", "leak-gen",
                      scp_codes={"NORM": 100.0, "SR": 0.0}),
        ]  # fmt: skip
    ecg_import(records=records)


def leaky_study(name: str = "leaky", **settings) -> Study:
    return seed(name, n=12, real="leak-real", synthetic="leak-gen", readers=(),
                open_now=False, settings={**RAW, **settings})  # fmt: skip


def test_harmonisation_closes_the_planted_leak(leaky_store):
    harmonised = seed("clean", n=12, real="leak-real", synthetic="leak-gen", readers=(),
                      open_now=False)  # fmt: skip
    assert blinding_audit(study=harmonised)["leaking_channels"] == []
    assert "value grid" in blinding_audit(study=leaky_study())["leaking_channels"]


def test_staff_open_page_refuses_then_opens_with_a_recorded_reason(leaky_store, client_admin):
    study = leaky_study()
    url = reverse("assessment:staff-study-open", args=[study.pk])
    refused = client_admin.post(url, follow=True)
    page = refused.content.decode()
    assert "fails the blinding audit" in page and "value grid" in page
    assert 'id="override-reason"' in page and 'data-leaking="' in page
    study.refresh_from_db()
    assert study.status == Study.Status.DRAFT and study.blinding_audit["leaking_channels"]

    opened = client_admin.post(url, {"override_reason": "training the audit"}, follow=True)
    assert "opened" in opened.content.decode()
    study.refresh_from_db()
    assert study.status == Study.Status.OPEN
    assert study.snapshot["opened_despite_audit"]["reason"] == "training the audit"
    assert study.snapshot["opened_despite_audit"]["by"] == "admin"


def test_api_open_takes_an_override_reason(leaky_store, admin):
    study = leaky_study()
    url = f"/api/studies/{study.pk}/open/"
    refused = api(admin).post(url, {}, format="json")
    assert refused.status_code == 400 and "value grid" in refused.json()["detail"]
    too_long = api(admin).post(url, {"override_reason": "x" * 2001}, format="json")
    assert too_long.status_code == 400 and "override_reason" in too_long.json()
    opened = api(admin).post(url, {"override_reason": "known leak, pilot"}, format="json")
    assert opened.status_code == 200 and opened.json()["status"] == "open"


def test_audit_page_shows_every_channel_and_reruns(leaky_store, client_admin, client_a):
    study = leaky_study()
    url = reverse("assessment:staff-study-audit", args=[study.pk])
    assert 'data-leaking=""' in client_admin.get(url).content.decode()  # not audited yet
    rerun = client_admin.post(url, follow=True)
    page = rerun.content.decode()
    assert 'data-channel="value grid" data-leaks="true"' in page
    assert 'data-channel="response size" data-leaks="false"' in page
    assert client_a.get(url).status_code == 404
    assert client_a.post(url).status_code == 404


def test_audit_blinding_command_prints_channels_and_fails_on_a_leak(leaky_store):
    study = leaky_study()
    out = io.StringIO()
    with pytest.raises(CommandError, match="leaking channels: .*value grid"):
        call_command("audit_blinding", study.name, stdout=out)
    text = out.getvalue()
    assert "24 panels" in text and "value grid" in text and "LEAKS" in text
    clean = seed("clean", n=12, real="leak-real", synthetic="leak-gen", readers=(),
                 open_now=False)  # fmt: skip
    out = io.StringIO()
    call_command("audit_blinding", str(clean.pk), stdout=out)
    assert "No channel tells real from synthetic" in out.getvalue()


def test_reports_carry_the_audit_frozen_at_opening(leaky_store, client_admin):
    study = study_open(study=leaky_study(), override_reason="pilot", opened_by="admin")
    html = client_admin.get(reverse("reports:export", args=[study.pk, "html"])).content.decode()
    assert "<h2>Blinding audit</h2>" in html and "Opened despite the audit" in html
    assert "LEAKS" in html and "value grid" in html
    summary = json.loads(
        client_admin.get(reverse("reports:export", args=[study.pk, "json"])).content
    )
    assert summary["blinding"]["frozen_at_opening"] is True
    assert summary["blinding"]["override"]["reason"] == "pilot"
    assert summary["blinding"]["audit"] == study.snapshot["blinding_audit"]


def test_demo_opens_a_refused_study_with_a_recorded_reason(leaky_store):
    study = _open_demo_study(leaky_study())
    assert study.status == Study.Status.OPEN
    override = study.snapshot["opened_despite_audit"]
    assert override["by"] == "demo" and "value grid" in override["reason"]


def test_an_audit_of_panels_that_cannot_be_drawn_is_a_message_not_a_500(small_store, admin):
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    study = seed("too-long", readers=(), open_now=False)
    spec = {**study.harmonisation, "duration_s": 20.0}
    Study.objects.filter(pk=study.pk).update(harmonisation=spec)
    url = reverse("assessment:staff-study-audit", args=[study.pk])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "its panels cannot be drawn" in response.content.decode()


def test_an_audit_that_could_test_no_channel_says_so(leaky_store, client_admin):
    tiny = seed("tiny", n=2, real="leak-real", synthetic="leak-gen", readers=(),
                open_now=False)  # fmt: skip
    out = io.StringIO()
    call_command("audit_blinding", tiny.name, stdout=out)
    text = out.getvalue()
    assert "0 channels tested" in text and "No channel could be tested" in text
    assert "No channel tells real from synthetic" not in text
    page = client_admin.get(reverse("assessment:staff-study-audit", args=[tiny.pk]))
    html = page.content.decode()
    assert 'data-tested="0"' in html and "says nothing about blinding" in html
    assert "p ≤ 0.01 / 0" in html  # the level the gate used, not a fixed 0.05


def test_the_audit_page_states_the_gates_level(leaky_store, client_admin):
    study = leaky_study()
    blinding_audit(study=study)
    html = client_admin.get(reverse("assessment:staff-study-audit", args=[study.pk]))
    family = Study.objects.get(pk=study.pk).blinding_audit["family_size"]
    assert f"p ≤ 0.01 / {family}" in html.content.decode() and family > 0
