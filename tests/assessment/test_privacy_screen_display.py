"""A privacy screen against a supplied training file, as staff and reports show it: where
the training set came from (path and SHA-256), the membership-inference AUC with its CI,
and a nearest record that lives in the file rather than the store."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.urls import reverse

from assessment.reporting import study_export
from generator.models import ECG
from generator.privacy import privacy_screen, privacy_screen_summary
from tests.assessment.conftest import seed
from tests.factories import EcgFactory, beat_signal


@pytest.fixture
def file_screen(small_store, tmp_path):
    """The factory pool ('test-gen') screened against a file of 8 training ECGs (the first
    two are the pool's first two ECGs, so those are copies) with 6 stored held-out ones."""
    pool = ECG.objects.synthetic().filter(origin="test-gen").order_by("id")
    others = [beat_signal(700 + i) for i in range(6)]
    signals = [ecg.signal() for ecg in pool[:2]] + others
    path = tmp_path / "training.npz"
    np.savez(path, signals=np.stack(signals), ids=np.array([f"T{i}" for i in range(8)]))
    for i in range(6):
        EcgFactory(origin="train-real", strat_fold=10, signal_seed=600 + i)
    return privacy_screen(
        synthetic_origin="test-gen", real_origin="train-real", reference_folds=[10],
        training_file=str(path), file_sampling_rate=100.0, min_reference=6,
    )  # fmt: skip


def test_the_display_summary_names_the_file_and_the_auc_interval(file_screen):
    shown = privacy_screen_summary(file_screen)
    source = file_screen.training_source
    assert shown["training_text"].startswith(f"file {source['path']} (SHA-256 {source['sha256']}")
    assert shown["reference_text"] == "train-real folds 10"
    low, high = shown["summary"]["mia_auc_ci"]
    assert 0 <= low <= shown["summary"]["mia_auc"] <= high <= 1


def test_staff_see_the_file_its_hash_and_the_auc_interval(file_screen, client_admin):
    page = client_admin.get(reverse("assessment:staff-privacy-screen", args=[file_screen.pk]))
    html = page.content.decode()
    s = file_screen.summary
    assert page.status_code == 200 and file_screen.training_source["sha256"] in html
    low, high = s["mia_auc_ci"]
    assert f"{s['mia_auc']:.3f} (95% CI {low:.3f}–{high:.3f}, DeLong" in html
    # the factory may give two pool ECGs one signal, so T0 can be the nearest of both
    copy = file_screen.results.filter(nearest_key="T0").order_by("id").first()
    assert copy is not None and copy.flagged and copy.nearest_id is None
    assert "<td>T0 (file)</td>" in html
    match = client_admin.get(reverse("assessment:staff-privacy-ecg", args=[copy.pk]))
    text = match.content.decode()
    assert match.status_code == 200 and 'id="privacy-nearest-file"' in text
    assert "T0 of the supplied training file" in text


def test_the_report_gives_the_auc_interval_and_the_training_file(file_screen, reader_a):
    study = seed("from-file", n=6, readers=("alice",))
    s = file_screen.summary
    low, high = s["mia_auc_ci"]
    html = study_export(study, "html").content
    section = html.split("Memorisation and privacy screen")[1]
    assert f'<td class="mia-auc">{s["mia_auc"]:.3f} [{low:.3f}, {high:.3f}]</td>' in section
    assert file_screen.training_source["sha256"] in section
    (entry,) = json.loads(study_export(study, "json").content)["privacy"]
    assert entry["summary"]["mia_auc_ci"] == [low, high]
    assert entry["training_source"] == file_screen.training_source
