"""The privacy screen in the assessment app: seeding leaves flagged copies out (and says
so), the staff pages show a flagged ECG next to its training record, the report has a
privacy section. Factory ECGs: two of the synthetic pool are copies of training ECGs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.urls import reverse

from assessment.planning.summary import seeding_rows
from assessment.reporting import study_export
from generator.models import ECG, ScreenedECG
from generator.privacy import privacy_screen
from generator.records.types import EcgRecord
from generator.services import ecg_build
from tests.assessment.conftest import seed
from tests.assessment.test_staff_pages import SEED_FORM, SEED_URL
from tests.factories import EcgFactory


@pytest.fixture(autouse=True)
def same_factory_signals():
    """The factory's signals follow its sequence; restarting it gives this module the same
    pool whichever tests ran before (how many look-alikes are flagged depends on them)."""
    EcgFactory.reset_sequence(0)


def stored_copy(ecg: ECG, key: str) -> ECG:
    """A real training ECG that is ``ecg``'s signal plus 1 µV noise."""
    noise = np.random.default_rng(len(key)).normal(0, 0.001, (12, ecg.n_samples))
    record = EcgRecord(
        source_key=key,
        signal=(ecg.signal() + noise).astype(np.float32),
        sampling_rate=ecg.sampling_rate,
        source="real",
        origin="train-real",
        strat_fold=1,
    )
    copy = ecg_build(record)
    copy.save()
    return copy


@pytest.fixture
def screen(small_store):
    """A screen of the factory pool ('test-gen') in which two synthetic ECGs are copies."""
    copied = list(ECG.objects.synthetic().filter(origin="test-gen").order_by("id")[:2])
    for index, ecg in enumerate(copied):
        stored_copy(ecg, f"copy:{index}")
    for i in range(6):
        EcgFactory(origin="train-real", strat_fold=1, signal_seed=500 + i)
        EcgFactory(origin="train-real", strat_fold=10, signal_seed=600 + i)
    return privacy_screen(
        synthetic_origin="test-gen", real_origin="train-real", training_folds=[1],
        reference_folds=[10], min_reference=6,
    )  # fmt: skip


def flagged_ids(screen) -> set[int]:
    return set(screen.results.filter(flagged=True).values_list("ecg_id", flat=True))


def test_the_screen_flags_the_copies(screen):
    """The copies sit at DCR < 0.1 (the harmonisation's 10 µV dither). The factory beats
    are alike, so with 6 reference ECGs (1st percentile ~ their minimum) a few look-alikes
    are flagged too: they are closer to a training ECG than any held-out one."""
    copied = ECG.objects.synthetic().filter(origin="test-gen").order_by("id")[:2]
    results = {r.ecg_id: r for r in screen.results.all()}
    assert all(results[ecg.pk].flagged and results[ecg.pk].dcr < 0.1 for ecg in copied)
    assert screen.summary["flagged"] == len(flagged_ids(screen)) < 12


def test_seeding_leaves_out_flagged_copies_and_records_it(screen, reader_a):
    flagged = flagged_ids(screen)
    study = seed("screened", n=6, readers=("alice",))
    used = set(study.cases.values_list("synthetic_ecg_id", flat=True))
    assert used and flagged.isdisjoint(used)
    assert study.seeding["excluded_flagged_copies"] == len(flagged) >= 2
    assert study.seeding["candidates"]["synthetic"] == 12 - len(flagged)
    rows = {row.key: row for row in seeding_rows(study.seeding)}
    assert rows["excluded_flagged_copies"].label == "Left out (privacy screen: likely copies)"
    assert study.seeding["unscreened_synthetic"] == 0  # the screen covered the whole pool


def test_seeding_says_how_many_synthetic_candidates_were_never_screened(small_store, reader_a):
    study = seed("unscreened", n=4, readers=("alice",))
    assert study.seeding["unscreened_synthetic"] == study.seeding["candidates"]["synthetic"] == 12
    rows = {row.key: row for row in seeding_rows(study.seeding)}
    assert rows["unscreened_synthetic"].value == "12"


def test_staff_see_a_flagged_ecg_next_to_its_nearest_training_record(screen, client_admin):
    flagged = screen.results.filter(flagged=True).first()
    page = client_admin.get(reverse("assessment:staff-privacy-screen", args=[screen.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and f'id="privacy-flagged">{len(flagged_ids(screen))}<' in html
    assert reverse("assessment:staff-privacy-ecg", args=[flagged.pk]) in html
    match = client_admin.get(reverse("assessment:staff-privacy-ecg", args=[flagged.pk]))
    html = match.content.decode()
    assert match.status_code == 200 and "likely copy" in html
    assert f"Nearest training ECG {flagged.nearest_id}" in html
    images = [
        html.split(f'id="{name}" src="')[1].split('"')[0]
        for name in ("privacy-synthetic", "privacy-nearest")
    ]
    for url in images:
        svg = client_admin.get(url)
        assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
        assert b"<svg" in b"".join(svg.streaming_content if svg.streaming else [svg.content])
    assert html.count("<tr><td>") == 12  # one distance per lead


def test_deleting_a_training_record_keeps_its_copy_flagged(screen, client_admin, reader_a):
    """A patient who withdraws takes their record away, not the flag on its copy."""
    flagged = flagged_ids(screen)
    copy = screen.results.filter(flagged=True, dcr__lt=0.1).first()
    ECG.objects.filter(pk=copy.nearest_id).delete()
    copy.refresh_from_db()
    assert copy.nearest_id is None and copy.flagged
    assert flagged_ids(screen) == flagged
    page = client_admin.get(reverse("assessment:staff-privacy-ecg", args=[copy.pk]))
    assert page.status_code == 200 and 'id="privacy-nearest-deleted"' in page.content.decode()
    listing = client_admin.get(reverse("assessment:staff-privacy-screen", args=[screen.pk]))
    assert listing.status_code == 200
    study = seed("after-withdrawal", n=6, readers=("alice",))
    assert flagged.isdisjoint(study.cases.values_list("synthetic_ecg_id", flat=True))


def test_privacy_pages_are_staff_only(screen, client, client_a):
    result = ScreenedECG.objects.first()
    for url in (
        reverse("assessment:staff-privacy-screen", args=[screen.pk]),
        reverse("assessment:staff-privacy-ecg", args=[result.pk]),
    ):
        assert client_a.get(url).status_code == 404
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")


def test_the_report_has_a_privacy_section(screen, reader_a):
    study = seed("reported", n=6, readers=("alice",))
    html = study_export(study, "html").content
    assert "Memorisation and privacy screen" in html
    section = html.split("Memorisation and privacy screen")[1]
    flagged = len(flagged_ids(screen))
    day = screen.created_at.date().isoformat()
    assert (
        f"<td>test-gen</td><td>{screen.pk} ({day})</td><td>12 / 8 / 6</td>"
        f'<td class="flagged error">{flagged}</td>'
    ) in section
    summary = json.loads(study_export(study, "json").content)
    (entry,) = summary["privacy"]
    assert entry["id"] == screen.pk and entry["summary"]["flagged"] == flagged


def test_a_study_without_a_screen_says_so(small_store, reader_a):
    study = seed("unscreened", n=6, readers=("alice",))
    html = study_export(study, "html").content
    assert "No privacy screen of the study&#x27;s synthetic origins is recorded." in html


def test_the_admin_preview_says_how_many_copies_it_left_out(screen, reader_a, client_admin):
    response = client_admin.post(reverse(SEED_URL), {**SEED_FORM, "action": "preview"})
    html = " ".join(response.content.decode().split())
    flagged = len(flagged_ids(screen))
    assert response.status_code == 200
    assert f"{12 - flagged} synthetic;" in html
    assert f"{flagged} synthetic ECGs left out as likely copies of training ECGs" in html


def test_the_admin_lists_screens_with_a_link_to_their_staff_page(screen, client_admin):
    html = client_admin.get(reverse("admin:generator_privacyscreen_changelist")).content.decode()
    assert reverse("assessment:staff-privacy-screen", args=[screen.pk]) in html
