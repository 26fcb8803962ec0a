"""Blinding audit of what readers see: item pages, panels, presentation order, phases."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

import assessment.services.panels as panels_module
import assessment.views.images as images_module
from assessment.models import Assignment, Case, Judgment, RenderedPanel
from assessment.services import study_close
from generator.models import ECG
from tests.assessment.audit_helpers import api, enrolment_of, normalised, walk_item_pages
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_skeleton(svg: bytes) -> str:
    """The SVG without its trace coordinates: every element and attribute but trace data."""
    return re.sub(rb'd="[^"]*" data-lead', b'd="" data-lead', svg).decode()


# --- Item pages and panels: nothing but the waveform differs -------------------------------


def test_single_item_pages_are_identical_for_real_and_synthetic(small_store, reader_a, client_a):
    seed(design="single", n=8, readers=("alice",))
    ready(enrolment_of(reader_a))
    by_source: dict[str, set[str]] = {"real": set(), "synthetic": set()}
    lengths: dict[str, set[int]] = {"real": set(), "synthetic": set()}
    for item, html in walk_item_pages(client_a, reader_a):
        by_source[item.case.single_source].add(normalised(html))
        lengths[item.case.single_source].add(len(html))
    assert len(by_source["real"]) == len(by_source["synthetic"]) == 1
    assert by_source["real"] == by_source["synthetic"]
    # Fixed-width tokens and counters of one digit: even the byte length is shared.
    assert lengths["real"] == lengths["synthetic"] and len(lengths["real"]) == 1


def test_paired_item_pages_do_not_depend_on_which_panel_is_synthetic(
    paired_study, reader_a, client_a
):
    ready(enrolment_of(reader_a))
    by_side: dict[bool, set[str]] = {True: set(), False: set()}
    for item, html in walk_item_pages(client_a, reader_a):
        by_side[item.synthetic_on_top].add(normalised(html))
    assert by_side[True] == by_side[False] and len(by_side[True]) == 1


def test_both_panels_share_headers_cookies_and_svg_structure(paired_study, reader_a, client_a):
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.order_by("position").first()
    top, bottom = (
        client_a.get(reverse("assessment:panel-image", args=[token]))
        for token in (item.panel_a_token, item.panel_b_token)
    )
    assert (top.status_code, bottom.status_code) == (200, 200)
    assert top.content != bottom.content
    assert {k for k in top.headers} == {k for k in bottom.headers}
    for name, value in top.headers.items():
        if name != "Content-Length":
            assert bottom.headers[name] == value, name
    assert top.headers["Vary"] == "Cookie"
    assert int(top["Content-Length"]) == len(top.content)
    assert not top.cookies and not bottom.cookies
    assert svg_skeleton(top.content) == svg_skeleton(bottom.content)


def test_both_panels_take_the_same_harmonisation_and_render_path(
    paired_study, reader_a, client_a, monkeypatch
):
    """Every panel of the study is harmonised with the study's spec and rendered with the
    same options, once, into the study's cache; stored factory ECGs are not quantised, the
    served signals lie on the 10 uV grid and every served panel has one length."""
    calls = []
    harmonise, render = panels_module.harmonise, panels_module.render_bytes

    def spy_harmonise(signal, fs, spec):
        calls.append(("harmonise", fs, spec))
        return harmonise(signal, fs, spec)

    def spy_render(signal, fs, options, fmt):
        calls.append(("render", signal, fs, options, fmt))
        return render(signal, fs, options, fmt)

    monkeypatch.setattr(panels_module, "harmonise", spy_harmonise)
    monkeypatch.setattr(panels_module, "render_bytes", spy_render)
    RenderedPanel.objects.filter(study=paired_study).delete()
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.select_related("case").order_by("position").first()
    stored = ECG.objects.get(pk=item.case.synthetic_ecg_id).signal()
    assert not np.allclose(stored * 1000, np.round(stored * 1000), atol=1e-3)
    responses = [
        client_a.get(reverse("assessment:panel-image", args=[token]))
        for token in (item.panel_a_token, item.panel_b_token) * 2
    ]
    harmonised = [c for c in calls if c[0] == "harmonise"]
    rendered = [c for c in calls if c[0] == "render"]
    n_ecgs = len(panels_module.study_ecg_ids(paired_study))
    assert len(harmonised) == len(rendered) == n_ecgs  # each ECG once, for the whole study
    assert all(c[1:] == harmonised[0][1:] for c in harmonised)
    assert harmonised[0][2] == paired_study.harmonisation_spec()
    assert all(c[2:] == rendered[0][2:] for c in rendered)
    for _, signal, _, _, fmt in rendered:
        assert fmt == "svg" and signal.dtype == np.float32 and signal.shape == (12, 1000)
        assert np.allclose(signal * 100, np.round(signal * 100), atol=1e-3)
    assert len({r["Content-Length"] for r in responses}) == 1
    assert responses[0].content == responses[2].content
    for response in responses:
        root = ET.fromstring(response.content)
        traces = [p for p in root.iter(f"{SVG_NS}path") if p.get("data-lead")]
        numbers = re.findall(r"-?\d+(?:\.\d+)?", " ".join(p.get("d") for p in traces))
        assert len(traces) >= 12 and len(numbers) > 12 * 200
        assert {len(n) for n in numbers} == {7}  # fixed width: '0012.50', '-000.07'


# --- Presentation order ---------------------------------------------------------------------


def test_synthetic_on_top_exactly_half_and_different_per_reader(small_store, reader_a, reader_b):
    seed(n=8, practice=2, settings={"repeat_share": 0.5, "repeat_min_distance": 2,
                                    "attention_checks": 2})  # fmt: skip
    sequences = []
    for reader in (reader_a, reader_b):
        items = list(
            Assignment.objects.filter(enrolment__reader=reader)
            .select_related("case")
            .order_by("position")
        )
        main = [i for i in items if i.phase == "main" and i.case.kind == Case.Kind.MAIN]
        practice = [i for i in items if i.phase == "practice"]
        assert len(main) == 12 and len(practice) == 2
        assert sum(i.synthetic_on_top for i in main) == 6
        assert sum(i.synthetic_on_top for i in practice) == 1
        sequences.append([i.synthetic_on_top for i in main])
        # Neither panel-token order nor position parity is a rule for the synthetic side.
        by_parity = [i.synthetic_on_top for i in main if i.position % 2 == 0]
        assert 0 < sum(by_parity) < len(by_parity)
    assert sequences[0] != sequences[1]


def test_single_design_share_is_exact_and_order_differs_between_readers(
    small_store, reader_a, reader_b
):
    seed(design="single", n=10)
    orders = []
    for reader in (reader_a, reader_b):
        items = Assignment.objects.filter(enrolment__reader=reader).order_by("position")
        sources = [i.case.single_source for i in items.select_related("case")]
        assert sources.count("synthetic") == 5
        orders.append(sources)
    assert orders[0] != orders[1]


def test_practice_and_attention_ecgs_never_appear_in_main_cases(small_store, reader_a):
    study = seed(n=6, practice=2, readers=("alice",), settings={"attention_checks": 2})
    ecgs = {kind: set() for kind in Case.Kind.values}
    for case in study.cases.all():
        ecgs[case.kind] |= {case.real_ecg_id, case.synthetic_ecg_id} - {None}
    assert ecgs["main"] and ecgs["practice"] and ecgs["attention"]
    assert not ecgs["main"] & ecgs["practice"]
    assert not ecgs["main"] & ecgs["attention"]


# --- Phases, closed studies, feedback ------------------------------------------------------


def test_main_phase_never_gives_feedback(small_store, reader_a, client_a):
    seed(readers=("alice",), n=3, practice=1)
    ready(enrolment_of(reader_a))
    for item, html in walk_item_pages(client_a, reader_a):
        feedback = client_a.get(reverse("assessment:feedback", args=[item.token]))
        text = html.decode()
        if item.phase == "practice":
            assert feedback.status_code == 200 and b"was synthetic" in feedback.content
        else:
            assert feedback.status_code == 404
            assert "data-correct" not in text and "was synthetic" not in text
    done = client_a.get(reverse("assessment:done", args=[enrolment_of(reader_a).token]))
    assert b"correct" not in done.content.lower() and b"synthetic" not in done.content


def test_closed_study_items_redirect_and_take_no_answers(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    item = enrolment.assignments.order_by("position").first()
    study_close(study=paired_study)
    page = client_a.get(reverse("assessment:item", args=[item.token]))
    assert page.url == reverse("assessment:closed", args=[enrolment.token])
    response = api(reader_a).post(
        "/api/judgments/",
        {"item": item.token, "client_token": str(uuid.uuid4()), "answer": "top",
         "confidence": 2},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and not Judgment.objects.exists()


def test_reader_pages_refuse_methods_that_are_not_theirs(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    item = enrolment.assignments.order_by("position").first()
    item_url = reverse("assessment:item", args=[item.token])
    for method in ("put", "delete", "patch", "head", "options"):
        assert getattr(client_a, method)(item_url).status_code == 405, method
    for name in ("home", "continue", "done", "closed"):
        args = [] if name == "home" else [enrolment.token]
        assert client_a.post(reverse(f"assessment:{name}", args=args)).status_code == 405
    feedback = reverse("assessment:feedback", args=[item.token])
    assert client_a.post(feedback).status_code == 405
    panel = reverse("assessment:panel-image", args=[item.panel_a_token])
    assert client_a.post(panel).status_code == 405
    item.refresh_from_db()
    assert item.shown_at is None and not Judgment.objects.exists()


# --- Error pages ----------------------------------------------------------------------------


def test_error_pages_reveal_nothing(paired_study, reader_a, monkeypatch):
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.select_related("case").first()
    secret = f"ecg {item.case.synthetic_ecg_id} of origin test-gen is synthetic"

    def broken(*args):
        raise RuntimeError(secret)

    monkeypatch.setattr(images_module, "panel_response", broken)
    client = Client(raise_request_exception=False)
    client.force_login(reader_a)
    server_error = client.get(reverse("assessment:panel-image", args=[item.panel_a_token]))
    assert server_error.status_code == 500
    method = client.put(reverse("assessment:item", args=[item.token]))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(reader_a)
    forbidden = csrf_client.post(reverse("assessment:item", args=[item.token]), {})
    bad_host = client.get("/", HTTP_HOST="evil.example")
    assert (method.status_code, forbidden.status_code, bad_host.status_code) == (405, 403, 400)
    for response in (server_error, method, forbidden, bad_host):
        body = response.content.decode().lower()
        for leak in ("test-gen", "synthetic", "traceback", "sssd", item.token.lower(),
                     str(item.case.synthetic_ecg_id) + " of"):  # fmt: skip
            assert leak not in body, (response.status_code, leak)
