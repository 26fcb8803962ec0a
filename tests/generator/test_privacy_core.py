"""The privacy screen's pure core on the real Turing ECGs: copies, DCRs, CI, AUC, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from generator.core.dcr import lead_distances, nearest_records
from generator.core.privacy_screen import MIN_REFERENCE, rank_auc, screen_pool, wilson_interval
from tests.shared_data import shared_data_dir

TRAINING, REFERENCE = slice(0, 16), slice(16, 22)


@pytest.fixture(scope="module")
def turing():
    folder = shared_data_dir() / "sssd_ecg_turing22"
    return np.load(folder / "real.npy"), np.load(folder / "synthetic.npy")


def naive_distance(query: np.ndarray, record: np.ndarray, max_shift: int) -> float:
    """The combined shifted distance of one pair, written out lag by lag in float64."""
    q = query - query.mean(axis=1, keepdims=True)
    r = record - record.mean(axis=1, keepdims=True)
    length = q.shape[1] - 2 * max_shift
    a = q[:, max_shift : max_shift + length].ravel()
    best = -1.0
    for shift in range(-max_shift, max_shift + 1):
        b = r[:, max_shift + shift : max_shift + shift + length].ravel()
        best = max(best, float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    return float(np.sqrt(max(0.0, 2 - 2 * best)))


def test_a_generator_returning_training_ecgs_plus_1_uv_noise_is_flagged_every_time(turing):
    real, _ = turing
    training = real[TRAINING].astype(np.float64)
    copies = training + np.random.default_rng(0).normal(0, 0.001, training.shape)  # 1 µV
    result = screen_pool(copies, training, real[REFERENCE], 100.0, min_reference=1)
    assert result.flagged.all()
    assert (result.nearest.index == np.arange(16)).all()
    assert (result.nearest.shift == 0).all()
    assert result.nearest.distance.max() < 0.01 < result.copy_threshold
    assert result.nearest.ratio.max() < 0.01
    assert result.summary["share_below_p5"] == 1.0
    assert result.summary["mia_auc"] == 1.0


def test_a_shifted_copy_is_found_at_its_shift(turing):
    real, _ = turing
    shifted = np.roll(real[TRAINING], 3, axis=2)  # 30 ms at 100 Hz, inside the ±40 ms
    found = nearest_records(shifted, real[TRAINING], max_shift=4)
    assert (found.index == np.arange(16)).all()
    assert (found.shift == -3).all()
    assert found.distance.max() < 1e-3


def test_the_published_sssd_samples_sit_as_far_from_the_reals_as_reals_do(turing):
    real, synthetic = turing
    result = screen_pool(synthetic, real[TRAINING], real[REFERENCE], 100.0, min_reference=1)
    # The reference is the held-out reals' own DCR to the training set.
    reference = nearest_records(real[REFERENCE], real[TRAINING], 4).distance
    np.testing.assert_allclose(result.reference_dcr, reference)
    assert result.reference_dcr.min() > 0.9 and result.reference_dcr.max() < 1.5
    # Thresholds: the reference's 1st and 5th percentiles; flags and share follow them.
    assert result.copy_threshold == pytest.approx(np.percentile(reference, 1))
    assert result.share_threshold == pytest.approx(np.percentile(reference, 5))
    np.testing.assert_array_equal(result.flagged, result.nearest.distance < result.copy_threshold)
    below = np.mean(result.nearest.distance < result.share_threshold)
    assert result.summary["share_below_p5"] == pytest.approx(below)
    # No published sample is a copy: every DCR is far from 0, in the held-out range.
    assert result.nearest.distance.min() > 0.9
    assert abs(np.median(result.nearest.distance) - np.median(reference)) < 0.2
    assert result.flagged.sum() <= 3
    assert ((result.nearest.ratio > 0.7) & (result.nearest.ratio <= 1)).all()
    assert result.lead_distances.shape == (22, 12)
    assert (result.lead_distances <= 2).all()


def test_search_matches_the_pair_by_pair_definition(turing):
    real, synthetic = turing
    found = nearest_records(synthetic[:5], real, max_shift=4)
    naive = np.array([[naive_distance(s, r, 4) for r in real] for s in synthetic[:5]])
    order = np.sort(naive, axis=1)
    np.testing.assert_array_equal(found.index, naive.argmin(axis=1))
    np.testing.assert_allclose(found.distance, order[:, 0], atol=1e-9)
    np.testing.assert_allclose(found.second_distance, order[:, 1], atol=2e-3)
    per_lead = lead_distances(synthetic[0], real[found.index[0]], 4)
    assert per_lead.shape == (12,) and per_lead.min() >= 0


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_chunks_of_records_merge_into_the_same_two_nearest(turing, chunk):
    """The search keeps a running top two across chunks of records; any chunk size gives
    the one-chunk answer (index, shift, both distances)."""
    real, synthetic = turing
    whole = nearest_records(synthetic, real, max_shift=4)
    chunked = nearest_records(synthetic, real, max_shift=4, chunk=chunk)
    np.testing.assert_array_equal(chunked.index, whole.index)
    np.testing.assert_array_equal(chunked.shift, whole.shift)
    np.testing.assert_allclose(chunked.distance, whole.distance, atol=1e-12)
    np.testing.assert_allclose(chunked.second_distance, whole.second_distance, atol=1e-5)


@pytest.mark.parametrize("successes,n", [(0, 22), (1, 22), (5, 40), (22, 22), (37, 1000)])
def test_wilson_interval_matches_statsmodels(successes, n):
    from statsmodels.stats.proportion import proportion_confint

    expected = proportion_confint(successes, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(wilson_interval(successes, n), expected, atol=1e-12)


def test_rank_auc_matches_sklearn_and_mann_whitney():
    rng = np.random.default_rng(3)
    positive, negative = rng.normal(0.3, 1, 40).round(1), rng.normal(0, 1, 55).round(1)
    auc = rank_auc(positive, negative)
    u = stats.mannwhitneyu(positive, negative).statistic
    assert auc == pytest.approx(u / (40 * 55))
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    labels = np.r_[np.ones(40), np.zeros(55)]
    expected = sklearn_metrics.roc_auc_score(labels, np.r_[positive, negative])
    assert auc == pytest.approx(expected)


def test_bad_input_gives_clear_errors(turing):
    real, synthetic = turing
    with_nan = synthetic.copy()
    with_nan[2, 5, 100] = np.nan
    with pytest.raises(ValueError, match=r"synthetic ECGs: ECG\(s\) at index \[2\].*NaN"):
        screen_pool(with_nan, real[TRAINING], real[REFERENCE], 100.0, min_reference=1)
    with pytest.raises(ValueError, match="expected an array"):
        screen_pool(synthetic[0], real[TRAINING], real[REFERENCE], 100.0, min_reference=1)
    with pytest.raises(ValueError, match="differ in leads/samples"):
        screen_pool(synthetic[:, :, :500], real[TRAINING], real[REFERENCE], 100.0, min_reference=1)
    with pytest.raises(ValueError, match="training ECGs: needs at least 2"):
        screen_pool(synthetic, real[:1], real[REFERENCE], 100.0, min_reference=1)
    with pytest.raises(ValueError, match="held-out reference ECGs: needs at least 1"):
        screen_pool(synthetic, real[TRAINING], real[:0], 100.0, min_reference=1)
    with pytest.raises(ValueError, match="sampling rate"):
        screen_pool(synthetic, real[TRAINING], real[REFERENCE], float("nan"), min_reference=1)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_too_few_held_out_ecgs_are_refused_by_default(turing):
    """With n reference ECGs the 1st percentile is about their minimum, so about 1/(n+1) of
    a pool that copies nothing would be flagged: fewer than MIN_REFERENCE are refused."""
    real, synthetic = turing
    with pytest.raises(ValueError, match="6 are too few to place a 1st percentile"):
        screen_pool(synthetic, real[TRAINING], real[REFERENCE], 100.0)
    assert MIN_REFERENCE == 100
