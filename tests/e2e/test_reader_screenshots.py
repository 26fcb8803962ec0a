"""Every page a reader sees, at 1280x720, written to the screenshot folder (README,
"Screenshots"); on the way, nothing on the pages or in the panel requests names a source."""

from __future__ import annotations

import pytest

from assessment.models import Assignment
from assessment.services import EcgPool, study_seed
from tests.e2e.conftest import (
    REAL_ORIGIN,
    SYNTHETIC_ORIGIN,
    log_in,
    press_enter_and_follow,
    save_screenshot,
)
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGE_IDS = {
    "home": "#home",
    "consent": "#consent-page",
    "instructions": "#instructions-continue",
    "practice-item": "#item-page[data-phase=practice]",
    "feedback": "#feedback",
    "item": "#item-page[data-phase=main]",
    "done": "#completion-message",
}


def shoot(page, name: str) -> None:
    """Check the page is the expected type and write its screenshot (at least a real
    picture: a blank page compresses to a few kB)."""
    assert page.locator(PAGE_IDS[name]).count() == 1, (name, page.url)
    path = save_screenshot(page, f"reader-{name}-1280x720")
    assert path.stat().st_size > 15_000, path


def test_each_reader_page_is_captured_and_names_no_source(page, live_server, e2e_store, reader_a):
    study = study_seed(
        name="e2e-shots",
        design="paired",
        n=2,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=["alice"],
        practice=1,
        open_now=True,
    )
    panel_responses = []
    page.on("response", lambda r: panel_responses.append(r) if "/panel/" in r.url else None)
    page.set_viewport_size({"width": 1280, "height": 720})
    log_in(page, live_server.url, "alice", PASSWORD)
    shoot(page, "home")
    press_enter_and_follow(page)
    shoot(page, "consent")
    page.keyboard.press("Space")
    page.select_option("#id_specialty", "emergency medicine")
    page.fill("#id_years_experience", "4")
    page.fill("#id_ecgs_per_week", "30")
    page.click("#consent-submit")
    page.wait_for_selector(PAGE_IDS["instructions"])
    shoot(page, "instructions")
    press_enter_and_follow(page)
    shoot(page, "practice-item")
    page.keyboard.press("A")
    page.keyboard.press("4")
    press_enter_and_follow(page)
    shoot(page, "feedback")
    press_enter_and_follow(page)
    for _ in range(study.cases.filter(kind="main").count()):
        shoot(page, "item")
        assignment = Assignment.objects.get(token=page.url.rstrip("/").rsplit("/", 1)[1])
        html = page.content()
        for secret in (REAL_ORIGIN, SYNTHETIC_ORIGIN, "generator", assignment.case.label_set):
            assert secret not in html
        alts = [page.get_attribute(f"#panel-{k}-image", "alt") for k in ("a", "b")]
        assert alts == ["12-lead ECG A", "12-lead ECG B"]
        page.keyboard.press("B")
        page.keyboard.press("2")
        press_enter_and_follow(page)
    shoot(page, "done")

    # The panels were served alike (same status and header names), from the addresses of
    # the reader's own items: per-item tokens, never an ECG's id.
    assert panel_responses
    assert {r.status for r in panel_responses} == {200}
    assert len({tuple(sorted(r.headers)) for r in panel_responses}) == 1
    tokens = set()
    for item in study.enrolments.get().assignments.all():
        tokens |= {item.panel_a_token, item.panel_b_token} - {None, ""}
    served = {r.url.split("/panel/", 1)[1].removesuffix(".svg").strip("/") for r in panel_responses}
    assert served <= tokens
