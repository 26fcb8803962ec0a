"""Staff pages in chromium at 1280x720: the staff home after login, a study's progress and
seeding summary, the confirmation before closing, the audit page, and the seed form with
its lists, grouped settings, errors and the preview of the pairs per stratum. Each page
type is written to the screenshot folder (tests/e2e/conftest.py, SCREENSHOT_DIR)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from assessment.models import Study
from assessment.services import EcgPool, study_seed
from tests.assessment.answering import answer_all
from tests.e2e.conftest import (
    REAL_ORIGIN,
    SCREEN_SIZES,
    SYNTHETIC_ORIGIN,
    log_in,
    save_screenshot,
)
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_page(browser):
    """A fresh context at 1280x720, the smallest screen the staff pages are made for."""
    width, height = SCREEN_SIZES["1280x720"]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def seed_open_study(name: str, **kwargs) -> Study:
    return study_seed(
        name=name,
        design="paired",
        n=4,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=["alice", "bob"],
        practice=2,
        open_now=True,
        seed=1,
        **kwargs,
    )


def assert_inside_viewport_width(page, selector: str) -> None:
    width = page.viewport_size["width"]
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


def test_staff_home_study_page_and_close_confirmation(
    staff_page, live_server, e2e_store, admin, reader_a, reader_b
):
    page = staff_page
    study = seed_open_study("e2e-staff-progress")
    draft = study_seed(
        name="e2e-draft",
        design="single",
        n=2,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        seed=2,
    )
    # Alice answers both practice items and 2 of her 4 main items; bob has not started.
    answer_all(study, lambda username, item: True, limit={"alice": 4, "bob": 0})

    log_in(page, live_server.url, "admin", PASSWORD, path="/accounts/login/")
    assert page.url == f"{live_server.url}/staff/", "staff land on the staff home"
    row = page.locator(f"#study-table tr[data-study='{study.pk}']")
    assert row.get_attribute("data-status") == "open"
    assert "2 / 8 (25%)" in row.inner_text()
    draft_row = page.locator(f"#study-table tr[data-study='{draft.pk}']")
    assert "not open yet" in draft_row.inner_text()
    assert_inside_viewport_width(page, "#study-table")
    save_screenshot(page, "staff-home-1280x720")

    with page.expect_navigation():
        row.locator("a.study-name").click()
    alice = page.locator("#reader-progress tr[data-reader='alice']")
    assert (alice.get_attribute("data-main-answered"), alice.get_attribute("data-main-total")) == (
        "2",
        "4",
    )
    assert "2 / 2" in alice.inner_text()  # practice, counted apart
    bob = page.locator("#reader-progress tr[data-reader='bob']")
    assert "0 / 4 (0%)" in bob.inner_text()
    assert_inside_viewport_width(page, "#reader-progress")
    save_screenshot(page, "staff-study-1280x720")

    get_user_model().objects.create_user("carol")
    page.fill("#enrol-readers", "carol")
    with page.expect_navigation():
        page.click("#enrol-submit")
    assert "Enrolled carol" in page.locator(".message").first.inner_text()
    carol = page.locator("#reader-progress tr[data-reader='carol']")
    assert "0 / 4 (0%)" in carol.inner_text()
    assert_inside_viewport_width(page, "#enrol-form")
    save_screenshot(page, "staff-study-enrolled-1280x720")

    seeding = page.locator("#seeding")
    page.locator("#seeding-heading").evaluate("heading => heading.scrollIntoView()")
    assert seeding.locator("tr[data-key='matched'] td").inner_text() == "8 by label set"
    assert page.locator("#seeding-strata tr[data-stratum='NORM'] td").inner_text() == "2"
    assert "{" not in seeding.inner_text()
    save_screenshot(page, "staff-study-seeding-1280x720")

    page.click("#close-study")
    page.wait_for_selector("#staff-study-close")
    assert "Close “e2e-staff-progress”?" in page.locator("#close-heading").inner_text()
    assert page.locator("#close-unfinished li[data-reader='bob']").inner_text() == (
        "bob: 0 of 4 main items"
    )
    assert "alice: 2 of 4 main items" in page.locator("#close-unfinished").inner_text()
    save_screenshot(page, "staff-close-confirmation-1280x720")
    with page.expect_navigation():
        page.click("#cancel-close")
    study.refresh_from_db()
    assert study.status == "open"

    page.click("#close-study")
    with page.expect_navigation():
        page.click("#confirm-close")
    assert page.locator("#staff-study-detail").get_attribute("data-status") == "closed"
    assert "Study 'e2e-staff-progress' closed." in page.locator("#messages").inner_text()
    study.refresh_from_db()
    assert study.status == "closed"

    page.click("#audit-link")
    page.wait_for_selector("#audit-channels")
    save_screenshot(page, "staff-audit-1280x720")


def test_seed_form_lists_groups_errors_and_preview(
    staff_page, live_server, e2e_store, admin, reader_a, reader_b
):
    page = staff_page
    # Alice and bob are due to see 14 ECGs there: 6 pairs, and an attention check's two.
    seed_open_study("e2e-earlier", settings={"attention_checks": 1})
    log_in(page, live_server.url, "admin", PASSWORD, path="/admin/assessment/study/seed/")

    real = page.locator("#id_real_origins")
    assert real.inner_text().split("\n") == ["e2e-real (8 ECGs)"]
    assert "attention-check" not in page.locator("#id_synthetic_origins").inner_text()
    readers = page.locator("#id_readers").inner_text()
    assert readers.split("\n") == [
        "alice · in 1 study, 14 ECGs seen",
        "bob · in 1 study, 14 ECGs seen",
        "admin (staff) · no study yet",
    ]
    titles = page.locator("fieldset.seed-group h2").all_inner_texts()
    assert titles[:3] == ["Study", "ECGs", "Readers"]
    save_screenshot(page, "staff-seed-form-1280x720")
    page.locator(".submit-row").evaluate("row => row.scrollIntoView({block: 'end'})")
    save_screenshot(page, "staff-seed-form-end-1280x720")
    page.locator("fieldset[data-group='Items']").evaluate("group => group.scrollIntoView()")
    save_screenshot(page, "staff-seed-form-settings-1280x720")

    page.fill("#id_name", "e2e-previewed")
    page.fill("#id_n", "50")
    page.check("input[name=real_origins][value='e2e-real']")
    page.check("input[name=synthetic_origins][value='e2e-gen']")
    with page.expect_navigation():
        page.click("#seed-preview-button")
    errors = page.locator("#seed-errors")
    assert page.get_by_text("real/synthetic pairs could be matched").count() == 1
    assert "only 8 real/synthetic pairs could be matched" in errors.inner_text()
    save_screenshot(page, "staff-seed-errors-1280x720")

    page.fill("#id_n", "4")
    page.fill("#id_practice", "2")
    page.check("input[name=readers][value='bob']")
    page.check("#id_allow_shared_ecgs")  # else only the 2 pairs bob has not seen are left
    with page.expect_navigation():
        page.click("#seed-preview-button")
    # Shared ECGs leave out those bob was shown with their source (2 practice pairs and the
    # attention check's real ECG): 5 pairs are left.
    assert (
        "only 5 real/synthetic pairs could be matched" in page.locator("#seed-errors").inner_text()
    )
    page.fill("#id_practice", "0")
    with page.expect_navigation():
        page.click("#seed-preview-button")
    preview = page.locator("#seed-preview")
    assert preview.is_visible() and page.locator("#seed-errors").count() == 0
    drawn = preview.get_attribute("data-seed")
    assert page.input_value("#id_seed") == drawn, "the drawn seed is filled in"
    totals = page.locator("#preview-totals").inner_text().split()
    assert totals[:4] == ["All", "5", "0", "4"]
    strata = {
        row.get_attribute("data-stratum"): int(row.get_attribute("data-main"))
        for row in page.locator("#preview-strata tbody tr").all()
    }
    assert sum(strata.values()) == 4 and set(strata) == {"NORM", "MI", "HYP"}
    page.click("#preview-pairs summary")
    pairs = {
        (int(r.get_attribute("data-real")), int(r.get_attribute("data-synthetic")))
        for r in page.locator("#preview-pairs tr.preview-pair").all()
    }
    assert len(pairs) == 4
    save_screenshot(page, "staff-seed-preview-1280x720")

    with page.expect_navigation():
        page.click("#seed-from-preview")
    assert re.search(r"/admin/assessment/study/\d+/change/$", page.url), page.url
    study = Study.objects.get(name="e2e-previewed")
    main = {(c.real_ecg_id, c.synthetic_ecg_id) for c in study.cases.filter(kind="main")}
    assert main == pairs and str(study.seed) == drawn
    assert study.seeding["main_by_stratum"] == strata
