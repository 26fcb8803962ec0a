"""Signal-detection measures: sensitivity/specificity, d' and criterion c, 2AFC d'."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from assessment.stats.accuracy import clopper_pearson

SQRT2 = math.sqrt(2.0)


def rate_with_ci(successes: int, trials: int, alpha: float = 0.05) -> dict:
    """A proportion with its Clopper–Pearson interval (NaN when there are no trials)."""
    low, high = clopper_pearson(successes, trials, alpha)
    return {
        "n": int(trials),
        "count": int(successes),
        "rate": successes / trials if trials else math.nan,
        "ci_low": low,
        "ci_high": high,
    }


def yes_no_dprime(
    hits: int,
    signal_trials: int,
    false_alarms: int,
    noise_trials: int,
    correction: str = "loglinear",
) -> dict:
    """d' = z(H) - z(F) and c = -(z(H) + z(F)) / 2 for a yes/no task.

    ``correction='loglinear'`` (Hautus 1995) uses H = (hits + 0.5) / (signal + 1) and
    F = (false alarms + 0.5) / (noise + 1), which keeps both finite at rates of 0 or 1;
    ``correction='none'`` uses the raw rates (infinite d' when a rate is 0 or 1).
    """
    if correction not in ("loglinear", "none"):
        raise ValueError(f"correction must be 'loglinear' or 'none', got {correction!r}")
    for count, total, name in (
        (hits, signal_trials, "hits"),
        (false_alarms, noise_trials, "false alarms"),
    ):
        if total < 0 or count < 0 or count > total:
            raise ValueError(f"need 0 <= {name} <= trials, got {count} of {total}")
    if signal_trials == 0 or noise_trials == 0:
        return {
            "hit_rate": math.nan,
            "false_alarm_rate": math.nan,
            "d_prime": math.nan,
            "criterion_c": math.nan,
            "correction": correction,
        }
    if correction == "loglinear":
        hit_rate = (hits + 0.5) / (signal_trials + 1)
        false_alarm_rate = (false_alarms + 0.5) / (noise_trials + 1)
    else:
        hit_rate = hits / signal_trials
        false_alarm_rate = false_alarms / noise_trials
    z_hit = float(stats.norm.ppf(hit_rate))
    z_false_alarm = float(stats.norm.ppf(false_alarm_rate))
    return {
        "hit_rate": hit_rate,
        "false_alarm_rate": false_alarm_rate,
        "d_prime": z_hit - z_false_alarm,
        "criterion_c": -(z_hit + z_false_alarm) / 2,
        "correction": correction,
    }


def two_afc_dprime(correct: int, trials: int) -> dict:
    """d' = sqrt(2) * z(pc) for a two-alternative forced choice (unbiased observer).

    At pc = 0 or 1 the proportion is replaced by (correct + 0.5) / (trials + 1) so d' stays
    finite; ``pc_corrected`` says whether that happened.
    """
    if trials < 0 or correct < 0 or correct > trials:
        raise ValueError(f"need 0 <= correct <= trials, got {correct} of {trials}")
    if trials == 0:
        return {"pc": math.nan, "pc_used": math.nan, "pc_corrected": False, "d_prime": math.nan}
    pc = correct / trials
    extreme = correct in (0, trials)
    pc_used = (correct + 0.5) / (trials + 1) if extreme else pc
    return {
        "pc": pc,
        "pc_used": pc_used,
        "pc_corrected": extreme,
        "d_prime": SQRT2 * float(stats.norm.ppf(pc_used)),
    }


def single_design_counts(truth_synthetic: np.ndarray, answer_synthetic: np.ndarray) -> dict:
    """Hits, misses, false alarms and correct rejections with 'synthetic' as the signal."""
    truth = np.asarray(truth_synthetic, dtype=bool)
    answer = np.asarray(answer_synthetic, dtype=bool)
    return {
        "hits": int((truth & answer).sum()),
        "misses": int((truth & ~answer).sum()),
        "false_alarms": int((~truth & answer).sum()),
        "correct_rejections": int((~truth & ~answer).sum()),
    }


def single_design_detection(truth_synthetic: np.ndarray, answer_synthetic: np.ndarray) -> dict:
    """Sensitivity, specificity, HYPE-style error rates and log-linear d'/c of some judgments.

    Error on real = real ECGs called synthetic (1 - specificity); error on synthetic = synthetic
    ECGs called real (1 - sensitivity), the rate at which the generator fools readers.
    """
    counts = single_design_counts(truth_synthetic, answer_synthetic)
    signal = counts["hits"] + counts["misses"]
    noise = counts["false_alarms"] + counts["correct_rejections"]
    errors = counts["misses"] + counts["false_alarms"]
    return {
        **counts,
        "sensitivity": rate_with_ci(counts["hits"], signal),
        "specificity": rate_with_ci(counts["correct_rejections"], noise),
        "error_on_real": rate_with_ci(counts["false_alarms"], noise),
        "error_on_synthetic": rate_with_ci(counts["misses"], signal),
        "error_overall": rate_with_ci(errors, signal + noise),
        "signal_detection": yes_no_dprime(counts["hits"], signal, counts["false_alarms"], noise),
    }
