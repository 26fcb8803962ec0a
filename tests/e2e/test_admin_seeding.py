"""An admin seeds and opens a study with the Django admin's "Seed a study" form."""

from __future__ import annotations

import re

import pytest

from assessment.models import Study
from tests.e2e.conftest import REAL_ORIGIN, SYNTHETIC_ORIGIN, log_in
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_seeds_an_open_study_that_its_reader_sees(
    browser, page, live_server, e2e_store, admin, reader_a
):
    log_in(page, live_server.url, "admin", PASSWORD, path="/admin/assessment/study/")
    with page.expect_navigation():
        page.click("#admin-seed-study")
    page.fill("#id_name", "e2e-admin-seeded")
    page.fill("#id_title", "Cardiology ECG reading")
    page.select_option("#id_design", "paired")
    page.fill("#id_n", "4")
    page.check(f"input[name=real_origins][value='{REAL_ORIGIN}']")
    page.check(f"input[name=synthetic_origins][value='{SYNTHETIC_ORIGIN}']")
    page.check("input[name=readers][value='alice']")
    page.fill("#id_practice", "2")
    page.check("#id_open_now")
    with page.expect_navigation():
        page.click("#seed-submit")

    assert re.search(r"/admin/assessment/study/\d+/change/$", page.url), page.url
    assert "Seeded study 'e2e-admin-seeded'" in page.locator(".messagelist").inner_text()
    study = Study.objects.get(name="e2e-admin-seeded")
    assert (study.status, study.design, study.cases.count()) == ("open", "paired", 6)
    assert study.enrolments.get().assignments.count() == 6

    page.goto(f"{live_server.url}/staff/studies/{study.pk}/")
    detail = page.locator("#staff-study-detail")
    assert detail.get_attribute("data-status") == "open"
    assert page.locator("#reader-progress tr[data-reader='alice']").is_visible()
    assert page.locator("#standin-warning").count() == 0

    context = browser.new_context()
    try:
        reader_page = context.new_page()
        log_in(reader_page, live_server.url, "alice", PASSWORD)
        entry = reader_page.locator("#study-list .study-link")
        assert entry.inner_text() == "Cardiology ECG reading"
    finally:
        context.close()
