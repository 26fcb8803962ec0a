"""The privacy screen service and ``manage.py screen_pool`` on the real Turing ECGs
stored with PTB-XL-like folds: a copying generator, the published SSSD-ECG samples."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from statsmodels.stats.proportion import proportion_confint

from generator.models import PrivacyScreen, ScreenedECG
from generator.privacy import PrivacyScreenError, flagged_copy_ids, privacy_screen
from tests.factories import stored_sssd_row as store


@pytest.fixture
def screened_store(db, shared_data):
    """Real rows 0-15 in training folds 1-8 (two per fold), rows 16-21 held out in fold
    10; synthetic pools: a copying generator (training rows + 1 µV noise) and the 22
    published SSSD-ECG samples."""
    folder = shared_data / "sssd_ecg_turing22"
    real, synthetic = np.load(folder / "real.npy"), np.load(folder / "synthetic.npy")
    training = [
        store(real[i], f"real:{i}", "real", "ptbxl", strat_fold=1 + i // 2) for i in range(16)
    ]
    for i in range(16, 22):
        store(real[i], f"real:{i}", "real", "ptbxl", strat_fold=10)
    noise = np.random.default_rng(5).normal(0, 0.001, real.shape)  # 1 µV
    copies = [store(real[i] + noise[i], f"copy:{i}", "synthetic", "copycat")
              for i in range(16)]  # fmt: skip
    for i in range(22):
        store(synthetic[i], f"sssd:{i}", "synthetic", "sssd-ecg")
    return dict(zip([c.pk for c in copies], [t.pk for t in training], strict=True))


def test_screen_pool_flags_every_ecg_of_a_copying_generator(screened_store):
    out = io.StringIO()
    call_command(
        "screen_pool", "--synthetic-origin", "copycat", "--training-folds", "1-8",
        "--reference-folds", "10", "--min-reference", "6", stdout=out,
    )  # fmt: skip
    screen = PrivacyScreen.objects.get()
    assert "flagged as likely copies: 16" in out.getvalue()
    assert screen.training_folds == list(range(1, 9)) and screen.reference_folds == [10]
    assert screen.summary["n_training"] == 16 and screen.summary["n_reference"] == 6
    results = list(screen.results.all())
    assert len(results) == 16 and all(r.flagged for r in results)
    assert {r.ecg_id: r.nearest_id for r in results} == screened_store
    # Harmonisation dithers to 10 µV, so a copy is not at 0, but far below the threshold.
    assert max(r.dcr for r in results) < 0.1 < screen.copy_threshold
    assert all(len(r.lead_distances) == 12 and r.shift_ms == 0 for r in results)
    assert flagged_copy_ids(list(screened_store)) == set(screened_store)


def test_the_published_sssd_samples_get_sensible_dcrs(screened_store):
    screen = privacy_screen(
        synthetic_origin="sssd-ecg",
        training_folds=range(1, 9),
        reference_folds=[10],
        min_reference=6,
    )
    s = screen.summary
    dcrs = np.array(screen.results.values_list("dcr", flat=True))
    assert len(dcrs) == 22 and dcrs.min() > 0.9 and dcrs.max() < 1.5  # none is a copy
    assert abs(s["dcr_median"] - s["reference_dcr_median"]) < 0.2
    assert s["flagged"] <= 3
    # The stored share and its interval follow from the stored DCRs and threshold.
    below = int(np.sum(dcrs < screen.share_threshold))
    assert s["share_below_p5"] == below / 22
    assert s["share_below_p5_ci"] == pytest.approx(
        list(proportion_confint(below, 22, alpha=0.05, method="wilson")), abs=1e-12
    )


def test_a_later_screen_decides_whether_an_ecg_is_flagged(screened_store):
    first = privacy_screen(synthetic_origin="copycat", reference_folds=[10], min_reference=1)
    assert first.training_folds == list(range(1, 9))  # all folds but the reference ones
    ScreenedECG.objects.filter(screen=first).update(flagged=True)
    # Screened against folds 7-8 only, most copies have no training record to copy.
    privacy_screen(
        synthetic_origin="copycat", training_folds=[7, 8], reference_folds=[10], min_reference=1
    )
    assert len(flagged_copy_ids(list(screened_store))) == 4


def test_bad_requests_are_refused_clearly(screened_store):
    with pytest.raises(PrivacyScreenError, match="no synthetic ECGs"):
        privacy_screen(synthetic_origin="nobody", reference_folds=[10], min_reference=1)
    with pytest.raises(PrivacyScreenError, match=r"folds \[8\] are both"):
        privacy_screen(
            synthetic_origin="copycat", training_folds=[8], reference_folds=[8], min_reference=1
        )
    with pytest.raises(CommandError, match="PTB-XL folds are 1 to 10"):
        call_command("screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "11")
    with pytest.raises(CommandError, match="expected folds like"):
        call_command("screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "x")
    assert not PrivacyScreen.objects.exists()
