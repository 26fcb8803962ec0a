"""Simulation checks of the primary analysis on the platform's design (seeded, CI-sized).

Studies are drawn with reader and case SD 0.5 on the logit scale and a population accuracy
exactly on the upper equivalence margin (0.60): the 95% CI must cover it 92-98.5% of the time
and TOST may call at most 7% of such studies "within the margin" (nominal: 5%).
"""

import numpy as np
import pytest

from assessment.stats.frame import validate
from assessment.stats.mrmc import RRRC
from assessment.stats.power import Pilot, tost_power
from assessment.stats.primary import accuracy_estimate, design_analysis, primary_rows
from assessment.stats.simulate import logit_mean_for_accuracy, population_accuracy, simulate_study

MARGIN = (0.4, 0.6)
N_STUDIES = 240


def _study(seed: int, design: str, accuracy: float, readers: int = 8, items: int = 50):
    frame = simulate_study(
        n_readers=readers,
        items_per_reader=items,
        designs=(design,),
        repeat_fraction=0.25,
        accuracy=accuracy,
        seed=seed,
    )
    return validate(frame)


def test_population_accuracy_inverts_the_logit_mean():
    mu = logit_mean_for_accuracy(0.6, 0.5, 0.5)
    assert population_accuracy(mu, 0.5, 0.5) == pytest.approx(0.6, abs=1e-10)
    draws = np.random.default_rng(0).normal(mu, np.sqrt(0.5), 2_000_000)
    assert np.mean(1 / (1 + np.exp(-draws))) == pytest.approx(0.6, abs=1e-3)


@pytest.mark.parametrize("design", ["paired", "single"])
def test_ci_covers_the_truth_and_tost_holds_its_size_at_the_margin(design):
    covered = within = 0
    for seed in range(N_STUDIES):
        frame = _study(seed, design, accuracy=MARGIN[1])
        generalisation, estimate = accuracy_estimate(primary_rows(frame), design, MARGIN)
        assert generalisation == RRRC
        low, high = estimate.ci95
        covered += low <= MARGIN[1] <= high
        within += bool(estimate.within_margin)
    assert 0.92 <= covered / N_STUDIES <= 0.985
    assert within / N_STUDIES <= 0.07


def test_repeats_do_not_enter_the_primary_analysis():
    frame = _study(3, "paired", accuracy=0.55)
    flipped = frame.copy()
    repeats = flipped["round"] == 2
    flipped.loc[repeats, "correct"] = ~flipped.loc[repeats, "correct"]
    flipped.loc[repeats, "answer"] = np.where(
        flipped.loc[repeats, "answer"] == "left", "right", "left"
    )
    before = design_analysis(frame, "paired", MARGIN).accuracy.analysis.primary
    after = design_analysis(validate(flipped), "paired", MARGIN).accuracy.analysis.primary
    assert before == after


def test_planned_tost_power_matches_simulated_studies():
    pilot_frame = _study(99, "paired", accuracy=0.5, readers=40, items=250)
    pilot_analysis = design_analysis(pilot_frame, "paired", MARGIN).accuracy.analysis
    pilot = Pilot.from_components(pilot_analysis.per_modality_components[0], pilot_analysis.n_cases)
    readers, cases = 12, 40
    planned = tost_power(pilot, readers, cases, MARGIN)
    assert 0.2 < planned < 0.95
    passed = 0
    for seed in range(200):
        frame = _study(1000 + seed, "paired", accuracy=0.5, readers=readers, items=50)
        assert frame[frame["round"] == 1]["case"].nunique() == cases
        passed += bool(accuracy_estimate(primary_rows(frame), "paired", MARGIN)[1].within_margin)
    assert passed / 200 == pytest.approx(planned, abs=0.1)


@pytest.mark.parametrize("design", ["paired", "single"])
def test_label_consistency_test_holds_its_size_when_sources_do_not_differ(design):
    rejected = 0
    n_studies = 200
    for seed in range(n_studies):
        frame = validate(
            simulate_study(8, 50, designs=(design,), repeat_fraction=0.25,
                           label_consistency=(0.75, 0.75), seed=seed)
        )  # fmt: skip
        analysis = design_analysis(frame, design, MARGIN).label_consistency.analysis
        (difference,) = analysis.primary.differences
        rejected += difference.p_value < 0.05
    assert rejected / n_studies <= 0.08
