"""The staff dashboard in chromium: the headline states the answer and the per-case table's
ECG previews load."""

from __future__ import annotations

import pytest

from assessment.services import EcgPool, study_seed
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.e2e.conftest import REAL_ORIGIN, SYNTHETIC_ORIGIN, log_in
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

THUMBS_LOADED = (
    "() => { const images = [...document.querySelectorAll('img.thumb')];"
    " return images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0); }"
)


def test_dashboard_shows_the_headline_and_case_previews(
    page, live_server, e2e_store, admin, reader_a, reader_b, tmp_path
):
    study = study_seed(
        name="e2e-dashboard",
        design="paired",
        n=4,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=["alice", "bob"],
        open_now=True,
        seed=1,
    )
    answer_all(study, alice_right_bob_alternates)
    log_in(page, live_server.url, "admin", PASSWORD, path=f"/staff/reports/{study.pk}/")
    headline = page.locator("#stats-paired .headline").inner_text()
    assert headline.startswith("Across 2 readers and 4 cases, physicians identified")
    page.locator("#cases-paired img.thumb").first.scroll_into_view_if_needed()
    page.wait_for_function(THUMBS_LOADED)
    assert page.locator("#cases-paired img.thumb").count() == 8
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    print(f"dashboard screenshot in {tmp_path}")
