"""ROC/AUC against scikit-learn and a brute-force DeLong variance."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from assessment.stats.roc import delong_auc, mann_whitney_auc, roc_analysis, roc_curve_points


def _ratings(seed: int, size: int = 300):
    rng = np.random.default_rng(seed)
    positive = rng.random(size) < 0.45
    latent = rng.normal(size=size) + 0.7 * positive
    confidence = np.clip(np.ceil(np.abs(latent) * 2), 1, 6)
    return np.where(latent > 0, confidence, -confidence), positive


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_sklearn_with_ties(seed):
    scores, positive = _ratings(seed)
    assert delong_auc(scores, positive)["auc"] == pytest.approx(roc_auc_score(positive, scores))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_auc_alone_equals_sklearns_and_delongs(seed):
    scores, positive = _ratings(seed)  # six-level ratings: ties throughout
    auc = mann_whitney_auc(scores, positive)
    assert auc == pytest.approx(roc_auc_score(positive, scores), abs=1e-12)
    assert auc == pytest.approx(delong_auc(scores, positive)["auc"], abs=1e-12)
    assert math.isnan(mann_whitney_auc(scores, np.ones_like(positive)))


def test_curve_points_match_sklearn():
    scores, positive = _ratings(4)
    fpr, tpr, _ = roc_curve(positive, scores, drop_intermediate=False)
    points = roc_curve_points(scores, positive)
    np.testing.assert_allclose(points["fpr"], fpr)
    np.testing.assert_allclose(points["tpr"], tpr)
    assert math.isinf(points["thresholds"][0])


def test_delong_standard_error_matches_brute_force_structural_components():
    scores, positive = _ratings(5, size=120)
    pos, neg = scores[positive], scores[~positive]
    kernel = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = kernel.mean(axis=1), kernel.mean(axis=0)
    se = math.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    result = delong_auc(scores, positive)
    assert result["se"] == pytest.approx(se)
    assert result["ci_low"] == pytest.approx(result["auc"] - 1.959964 * se, abs=1e-6)


def test_missing_confidence_rows_are_skipped_and_counted():
    scores, positive = _ratings(6)
    with_gaps = scores.copy()
    with_gaps[:17] = np.nan
    result = roc_analysis(with_gaps, positive)
    assert result["n_missing_confidence"] == 17
    assert result["n_used"] == len(scores) - 17
    assert result["auc"] == pytest.approx(roc_auc_score(positive[17:], scores[17:]))


def test_one_class_only_gives_undefined_auc():
    result = roc_analysis(np.array([1.0, 2.0, -3.0]), np.array([True, True, True]))
    assert math.isnan(result["auc"]) and result["curve"]["fpr"] == []


def test_mismatched_arrays_raise():
    with pytest.raises(ValueError, match="same length"):
        delong_auc(np.array([1.0, 2.0]), np.array([True]))
