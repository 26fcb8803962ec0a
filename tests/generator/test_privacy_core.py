"""The privacy screen's pure core on the real Turing ECGs: copies, DCRs, CI, AUC, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from generator.core.dcr import RecordBlocks, lead_distances, nearest_records
from generator.core.privacy_screen import (
    MIN_REFERENCE,
    delong_auc,
    rank_auc,
    screen_pool,
    wilson_interval,
)
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
    assert result.summary["mia_auc_ci"] == [1.0, 1.0]  # no overlap: DeLong's SE is 0


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
    with pytest.raises(ValueError, match="held-out reference ECGs: needs at least 2"):
        screen_pool(synthetic, real[TRAINING], real[:1], 100.0, min_reference=1)
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


def naive_delong_variance(positive: np.ndarray, negative: np.ndarray) -> float:
    """DeLong's variance from its definition: the m x n kernel psi and its row/column means."""
    psi = (positive[:, None] > negative[None, :]) + 0.5 * (positive[:, None] == negative[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return v10.var(ddof=1) / len(positive) + v01.var(ddof=1) / len(negative)


def test_delong_auc_matches_sklearn_and_the_kernel_definition_with_ties():
    rng = np.random.default_rng(8)
    positive, negative = rng.normal(0.4, 1, 37).round(1), rng.normal(0, 1, 52).round(1)
    estimate = delong_auc(positive, negative)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    labels = np.r_[np.ones(37), np.zeros(52)]
    assert estimate.auc == pytest.approx(
        sklearn_metrics.roc_auc_score(labels, np.r_[positive, negative]), abs=1e-12
    )
    assert estimate.se**2 == pytest.approx(naive_delong_variance(positive, negative), rel=1e-10)
    z = stats.norm.ppf(0.975)
    assert (estimate.low, estimate.high) == pytest.approx(
        (estimate.auc - z * estimate.se, estimate.auc + z * estimate.se), abs=1e-12
    )


def test_delong_interval_covers_the_true_auc_95_percent_of_the_time():
    """Binormal scores, shift 0.8 SD: true AUC = Phi(0.8 / sqrt 2). 2,000 studies of 150 +
    150 scores; Monte-Carlo SE of the coverage is about 0.005."""
    rng = np.random.default_rng(1)
    true_auc = stats.norm.cdf(0.8 / np.sqrt(2))
    covered = [
        (e.low <= true_auc <= e.high)
        for e in (delong_auc(rng.normal(0.8, 1, 150), rng.normal(0, 1, 150)) for _ in range(2000))
    ]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.015)


def test_delong_refuses_groups_too_small_for_a_variance():
    with pytest.raises(ValueError, match="at least 2 scores per group"):
        delong_auc([0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="confidence"):
        delong_auc([0.3, 0.4], [0.1, 0.2], confidence=1.0)


@pytest.mark.parametrize("block", [1, 3, 7])
def test_a_training_set_read_in_blocks_screens_exactly_as_the_whole_array(turing, block):
    """Blocks that hand out only ``block`` records at a time (and count what they hand out)
    give the whole array's screen: nearest records, distances, flags and summary."""
    real, synthetic = turing
    training = real[TRAINING].astype(np.float32)
    largest = []

    def blocks():
        for first in range(0, len(training), block):
            largest.append(min(block, len(training) - first))
            yield training[first : first + block].copy()

    blocked = RecordBlocks(len(training), blocks, lambda idx: training[np.asarray(idx)])
    whole = screen_pool(synthetic, training, real[REFERENCE], 100.0, min_reference=1)
    screened = screen_pool(synthetic, blocked, real[REFERENCE], 100.0, min_reference=1)
    assert max(largest) == block and sum(largest) == len(training)  # one pass, block-sized
    np.testing.assert_array_equal(screened.nearest.index, whole.nearest.index)
    np.testing.assert_array_equal(screened.nearest.shift, whole.nearest.shift)
    np.testing.assert_allclose(screened.nearest.distance, whole.nearest.distance, atol=1e-12)
    np.testing.assert_allclose(screened.reference_dcr, whole.reference_dcr, atol=1e-12)
    np.testing.assert_allclose(screened.lead_distances, whole.lead_distances, atol=1e-12)
    np.testing.assert_array_equal(screened.flagged, whole.flagged)
    for key, value in whole.summary.items():
        assert screened.summary[key] == pytest.approx(value, abs=1e-5), key


def test_blocks_that_hold_fewer_records_than_they_claim_are_refused(turing):
    real, synthetic = turing
    short = RecordBlocks(16, lambda: iter([real[:8]]), lambda idx: real[np.asarray(idx)])
    with pytest.raises(ValueError, match="expected 16 ECGs, the blocks held 8"):
        nearest_records(synthetic, short, max_shift=4)


@pytest.mark.parametrize("chunk", [1, 2, 4])
def test_equally_near_records_keep_their_own_shift(turing, chunk):
    """Copies of one ECG at different shifts tie for nearest; whichever wins, the shift
    reported is its own, so the exact distance at that shift is that of a copy."""
    real, _ = turing
    records = np.stack([real[0], np.roll(real[0], 2, axis=1), np.roll(real[0], -3, axis=1),
                        real[0], real[1]])  # fmt: skip
    found = nearest_records(real[:1].repeat(3, axis=0), records, max_shift=4, chunk=chunk)
    assert found.index.max() <= 3
    offsets = np.array([0, 2, -3, 0])[found.index]
    np.testing.assert_array_equal(found.shift, offsets)
    assert found.distance.max() < 1e-6 and (found.ratio <= 1).all()
