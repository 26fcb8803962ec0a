"""Power and sample size planning (pure): noncentral t tails where scipy's nct gives NaN,
and case counts that shrink as readers are added."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from assessment.stats.power import (
    Pilot,
    power_vs_chance,
    sample_size_table,
    t_above_by_integration,
    tost_power,
)

# A pilot's OR components for which scipy's nct.cdf answers NaN at a few thousand cases.
PILOT = Pilot(var_readers=0.0, var_error=0.0654, cov2=0.0417, n_cases=8)


@pytest.mark.parametrize("df", [2.5, 4.0, 17.0, 200.0])
@pytest.mark.parametrize("shift", [-6.0, -1.0, 0.0, 0.7, 3.0, 8.0])
@pytest.mark.parametrize("x", [-2.3, 0.0, 1.96, 2.8])
def test_integrated_tail_equals_scipy_where_scipy_answers(df, shift, x):
    expected = stats.nct.sf(x, df, shift)
    assert math.isfinite(expected)
    assert t_above_by_integration(x, df, shift) == pytest.approx(expected, abs=1e-7)


def test_integrated_tail_matches_simulated_t_draws():
    rng = np.random.default_rng(7)
    df, shift, x = 4.0, 2.0, 2.3
    draws = (rng.standard_normal(400_000) + shift) / np.sqrt(rng.chisquare(df, 400_000) / df)
    simulated = float(np.mean(draws > x))
    assert t_above_by_integration(x, df, shift) == pytest.approx(simulated, abs=0.003)


def test_power_is_defined_where_scipy_gives_nan():
    sd, df = PILOT.design(5, 5000)
    assert math.isnan(stats.nct.cdf(-stats.t.ppf(0.975, df), df, 0.1 / sd))  # the old failure
    powers = [power_vs_chance(PILOT, 5, cases, 0.6) for cases in (100, 319, 1000, 5000, 20000)]
    assert all(0.0 <= p <= 1.0 for p in powers)
    assert powers == sorted(powers) and powers[-1] == pytest.approx(1.0)


def test_cases_needed_shrink_as_readers_are_added():
    rows = sample_size_table(PILOT, (0.4, 0.6), detect=0.6)
    vs_chance = [row.cases_vs_chance for row in rows]
    tost = [row.cases_for_tost for row in rows]
    assert None not in vs_chance and None not in tost
    assert vs_chance == sorted(vs_chance, reverse=True)
    assert tost == sorted(tost, reverse=True)
    # Each count is the smallest reaching 80% power.
    for row in rows:
        cases = row.cases_vs_chance
        assert power_vs_chance(PILOT, row.n_readers, cases, 0.6) >= 0.8
        assert power_vs_chance(PILOT, row.n_readers, cases - 1, 0.6) < 0.8
        assert tost_power(PILOT, row.n_readers, row.cases_for_tost, (0.4, 0.6)) >= 0.8
