"""The staff dashboard in chromium: the headline states the answer and the per-case table's
ECG previews load."""

from __future__ import annotations

import pytest

from assessment.services import EcgPool, study_seed
from generator.models import ECG
from generator.privacy import privacy_screen
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.test_privacy_pages import stored_copy
from tests.assessment.test_realism_report import evaluate
from tests.e2e.conftest import REAL_ORIGIN, SYNTHETIC_ORIGIN, log_in, save_screenshot
from tests.factories import EcgFactory
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def same_factory_signals():
    """The factory's signals follow its sequence: restarting it gives the privacy screen
    the same look-alikes (and seeding the same pairs) whichever tests ran before."""
    EcgFactory.reset_sequence(0)


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


def test_dashboard_shows_the_pools_privacy_screen_and_machine_realism(
    page, live_server, e2e_store, admin, reader_a, reader_b
):
    """The pool's privacy screen (one synthetic ECG copies a training ECG) and its
    generator's realism evaluation beside the physicians' accuracy, read in chromium."""
    copied = ECG.objects.synthetic().filter(origin=SYNTHETIC_ORIGIN).order_by("id").first()
    stored_copy(copied, "e2e-copy")
    for i in range(6):
        EcgFactory(origin="train-real", strat_fold=1, signal_seed=500 + i)
        EcgFactory(origin="train-real", strat_fold=10, signal_seed=600 + i)
    screen = privacy_screen(synthetic_origin=SYNTHETIC_ORIGIN, real_origin="train-real",
                            training_folds=[1], reference_folds=[10], min_reference=6)  # fmt: skip
    study = study_seed(
        name="e2e-pool-evidence",
        design="paired",
        n=4,
        practice=0,  # the ECGs the screen flags are left out of the 8 pairs
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=["alice", "bob"],
        open_now=True,
        seed=1,
    )
    answer_all(study, alice_right_bob_alternates)
    evaluation = evaluate(SYNTHETIC_ORIGIN, "e2e", 2)
    training = {"folds": list(range(1, 9)), "source": "checkpoint data fingerprint"}
    evaluation.settings = {"generator_training": training}
    evaluation.save()
    log_in(page, live_server.url, "admin", PASSWORD, path=f"/staff/reports/{study.pk}/")
    page.evaluate("document.getElementById('pool-evidence').scrollIntoView()")
    assert page.locator("#realism tbody tr").count() == 1
    assert page.locator("#realism .tstr-auc").inner_text() == f"{evaluation.tstr_auc:.3f}"
    assert page.locator("#realism-plot circle").count() == 1
    assert page.locator("#realism-plot").is_visible()
    flagged = page.locator(f'#privacy-screens tr[data-screen="{screen.pk}"] .flagged')
    assert flagged.inner_text() == str(screen.summary["flagged"]) and screen.summary["flagged"] >= 1
    save_screenshot(page, "dashboard-pool-evidence-1440x1000")
    with page.expect_navigation():
        page.click(f'#privacy-screens a[href="/staff/privacy/{screen.pk}/"]')
    assert page.url.endswith(f"/staff/privacy/{screen.pk}/")
