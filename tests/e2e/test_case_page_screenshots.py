"""Screenshots of the paired case page; both panels render and nothing names their source."""

from __future__ import annotations

import pytest

from assessment.models import Assignment
from assessment.services import (
    EcgPool,
    enrolment_acknowledge_instructions,
    enrolment_consent,
    study_seed,
)
from tests.e2e.conftest import REAL_ORIGIN, SYNTHETIC_ORIGIN, log_in
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOADED = "id => { const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; }"


def test_paired_case_page_screenshots_show_two_blinded_ecgs(
    page, live_server, e2e_store, reader_a, tmp_path
):
    study = study_seed(
        name="e2e-shots",
        design="paired",
        n=2,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=["alice"],
        open_now=True,
    )
    enrolment = study.enrolments.get()
    enrolment_consent(
        enrolment=enrolment, specialty="cardiology", years_experience=8, ecgs_per_week=40
    )
    enrolment_acknowledge_instructions(enrolment=enrolment)
    images = {}
    page.on(
        "response",
        lambda r: images.setdefault(r.url, r) if "/panel/" in r.url else None,
    )
    log_in(page, live_server.url, "alice", PASSWORD)
    with page.expect_navigation():
        page.click(".study-link")
    assert page.locator("#item-page").get_attribute("data-design") == "paired"
    for panel in ("panel-a-image", "panel-b-image"):
        page.wait_for_function(LOADED, arg=panel)

    # Window-sized shots: a full-page one would draw the sticky answer bar mid-page.
    shots = {"case-top.png": page.screenshot(path=tmp_path / "case-top.png")}
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shots["case-bottom.png"] = page.screenshot(path=tmp_path / "case-bottom.png")
    page.evaluate("window.scrollTo(0, 0)")
    page.keyboard.press("Z")
    assert page.locator("#zoom-toggle").get_attribute("aria-pressed") == "true"
    shots["case-zoomed.png"] = page.screenshot(path=tmp_path / "case-zoomed.png")
    for name, png in shots.items():
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000, name
        assert (tmp_path / name).stat().st_size == len(png)
    print(f"case page screenshots in {tmp_path}")

    # Nothing on the page or in the image requests tells the panels apart by source.
    html = page.content()
    assignment = Assignment.objects.get(token=page.url.rstrip("/").rsplit("/", 1)[1])
    case = assignment.case
    for secret in (REAL_ORIGIN, SYNTHETIC_ORIGIN, "generator", "e2e", case.label_set):
        assert secret not in html
    alts = [page.get_attribute(f"#panel-{k}-image", "alt") for k in ("a", "b")]
    assert alts == ["12-lead ECG A", "12-lead ECG B"]
    assert len(images) == 2
    responses = list(images.values())
    assert {r.status for r in responses} == {200}
    assert responses[0].headers.keys() == responses[1].headers.keys()
    for response in responses:
        path = response.url.split("/panel/", 1)[1]
        assert "real" not in path.lower() and "synth" not in path.lower()
        assert str(case.real_ecg_id) != path.removesuffix(".svg")
