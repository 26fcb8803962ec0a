"""Signal-detection measures against textbook values and hand calculations."""

import math

import numpy as np
import pytest
from scipy import stats

from assessment.stats.detection import single_design_detection, two_afc_dprime, yes_no_dprime


def test_textbook_dprime_without_correction():
    # H = 0.8, F = 0.2: d' = z(0.8) - z(0.2) = 0.8416 + 0.8416 = 1.683, c = 0.
    result = yes_no_dprime(80, 100, 20, 100, correction="none")
    assert result["d_prime"] == pytest.approx(1.683, abs=5e-4)
    assert result["criterion_c"] == pytest.approx(0.0, abs=1e-12)


def test_hautus_loglinear_by_hand():
    # 20/20 hits, 5/20 false alarms. Log-linear: H = 20.5/21 = 0.97619, F = 5.5/21 = 0.26190.
    # Normal table: z(0.97619) = 1.9808, z(0.26190) = -0.6375.
    result = yes_no_dprime(20, 20, 5, 20)
    assert result["hit_rate"] == pytest.approx(20.5 / 21)
    assert result["false_alarm_rate"] == pytest.approx(5.5 / 21)
    assert result["d_prime"] == pytest.approx(1.9808 + 0.6375, abs=2e-4)
    assert result["criterion_c"] == pytest.approx(-(1.9808 - 0.6375) / 2, abs=2e-4)


def test_uncorrected_perfect_hits_are_infinite_but_loglinear_is_finite():
    assert math.isinf(yes_no_dprime(20, 20, 5, 20, correction="none")["d_prime"])
    assert math.isfinite(yes_no_dprime(20, 20, 0, 20)["d_prime"])


def test_dprime_needs_both_classes():
    assert math.isnan(yes_no_dprime(0, 0, 3, 10)["d_prime"])
    with pytest.raises(ValueError, match="correction"):
        yes_no_dprime(1, 2, 1, 2, correction="other")
    with pytest.raises(ValueError, match="hits"):
        yes_no_dprime(3, 2, 1, 2)


def test_two_afc_dprime():
    # pc = 0.76: d' = sqrt(2) * z(0.76) = 1.4142 * 0.7063 = 0.9989.
    result = two_afc_dprime(76, 100)
    assert result["d_prime"] == pytest.approx(0.9989, abs=2e-4)
    assert not result["pc_corrected"]
    perfect = two_afc_dprime(10, 10)
    assert perfect["pc_corrected"] and perfect["pc_used"] == pytest.approx(10.5 / 11)
    assert perfect["d_prime"] == pytest.approx(math.sqrt(2) * stats.norm.ppf(10.5 / 11))
    assert math.isnan(two_afc_dprime(0, 0)["d_prime"])


def test_single_design_detection_counts_and_error_rates():
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    answer = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0], dtype=bool)
    result = single_design_detection(truth, answer)
    assert (result["hits"], result["misses"]) == (3, 1)
    assert (result["false_alarms"], result["correct_rejections"]) == (2, 4)
    assert result["sensitivity"]["rate"] == 0.75
    assert result["specificity"]["rate"] == pytest.approx(4 / 6)
    assert result["error_on_real"]["rate"] == pytest.approx(2 / 6)
    assert result["error_on_synthetic"]["rate"] == 0.25
    assert result["error_overall"]["rate"] == pytest.approx(0.3)
    expected = stats.norm.ppf(3.5 / 5) - stats.norm.ppf(2.5 / 7)
    assert result["signal_detection"]["d_prime"] == pytest.approx(expected)
