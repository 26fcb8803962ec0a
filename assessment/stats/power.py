"""Power and sample size in readers x cases from a pilot's OR variance components.

Following Hillis & Obuchowski (2011), the pilot's error variance and case covariance are
rescaled to c cases (Var x c0 / c, Cov2 x c0 / c), the reader variance is kept, and the
reader-averaged figure of merit of r readers then has variance
(s2_R + Var + (r - 1) Cov2) / r with Hillis' degrees of freedom from the expected mean
squares. Power uses the noncentral t distribution: for the test against chance, two-sided at
``alpha``; for TOST at the margin, the probability that both one-sided tests reject.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import integrate, stats

from assessment.stats.mrmc import Components

DEFAULT_READERS = (3, 5, 8, 10, 15, 20, 30, 50)
MAX_CASES = 20_000


@dataclass(frozen=True)
class Pilot:
    """Variance components of one figure of merit from a pilot of ``n_cases`` cases."""

    var_readers: float
    var_error: float
    cov2: float
    n_cases: int

    @classmethod
    def from_components(cls, components: Components, n_cases: int) -> Pilot:
        """Single-modality components; a negative reader variance estimate counts as 0."""
        return cls(
            var_readers=max(components.var_readers, 0.0),
            var_error=max(components.var_error, 0.0),
            cov2=components.cov2,
            n_cases=n_cases,
        )

    def design(self, n_readers: int, n_cases: int) -> tuple[float, float]:
        """(SD of the reader-averaged FOM, Hillis degrees of freedom) for r readers, c cases."""
        scale = self.n_cases / n_cases
        var_error, cov2 = self.var_error * scale, self.cov2 * scale
        expected_ms_r = self.var_readers + var_error - cov2
        denominator = expected_ms_r + n_readers * max(cov2, 0.0)
        variance = denominator / n_readers
        if expected_ms_r <= 0:
            return math.sqrt(max(variance, 0.0)), math.inf
        df = denominator**2 / (expected_ms_r**2 / (n_readers - 1))
        return math.sqrt(max(variance, 0.0)), df


def power_vs_chance(
    pilot: Pilot, n_readers: int, n_cases: int, true_fom: float, alpha: float = 0.05
) -> float:
    """Power of the two-sided test against 0.5 when the population FOM is ``true_fom``."""
    sd, df = pilot.design(n_readers, n_cases)
    if not sd > 0:
        return math.nan
    critical = stats.t.ppf(1 - alpha / 2, df)
    shift = (true_fom - 0.5) / sd
    return _t_above(critical, df, shift) + _t_below(-critical, df, shift)


def tost_power(
    pilot: Pilot,
    n_readers: int,
    n_cases: int,
    margin: tuple[float, float],
    true_fom: float = 0.5,
    alpha: float = 0.05,
) -> float:
    """Probability that TOST shows the FOM inside ``margin`` when it truly is ``true_fom``."""
    sd, df = pilot.design(n_readers, n_cases)
    if not sd > 0:
        return math.nan
    low, high = margin
    critical = stats.t.ppf(1 - alpha, df)
    above_low = _t_above(critical, df, (true_fom - low) / sd)
    below_high = _t_below(-critical, df, (true_fom - high) / sd)
    return max(0.0, above_low + below_high - 1.0)


def _t_above(x: float, df: float, shift: float) -> float:
    """P(T > x) for T noncentral t with ``df`` degrees of freedom and noncentrality ``shift``.

    scipy's ``nct`` answers NaN in parts of its range (e.g. ``nct.cdf(-2.3, 4, 10)``), which
    made planned case counts jump about; there the probability is integrated instead, over
    the chi-square in T's denominator: P(T > x) = E[Phi(shift - x sqrt(V / df))].
    """
    if math.isinf(df):
        return float(stats.norm.sf(x - shift))
    value = float(stats.nct.sf(x, df, shift))
    return value if math.isfinite(value) else t_above_by_integration(x, df, shift)


def t_above_by_integration(x: float, df: float, shift: float) -> float:
    """P(T > x) for finite ``df`` by integrating over V ~ chi-square(df), in V's quantiles
    (bounded and smooth there, wherever the chi-square's mass lies)."""

    def integrand(u: float) -> float:
        v = stats.chi2.ppf(u, df)
        return stats.norm.cdf(shift - x * math.sqrt(v / df))

    return float(integrate.quad(integrand, 0.0, 1.0, limit=200)[0])


def _t_below(x: float, df: float, shift: float) -> float:
    """P(T < x) for the same T: -T is noncentral t with noncentrality -shift."""
    return _t_above(-x, df, -shift)


@dataclass(frozen=True)
class PlanRow:
    """Cases needed with ``n_readers`` readers (None: not reachable by adding cases)."""

    n_readers: int
    cases_for_tost: int | None
    cases_vs_chance: int | None


def sample_size_table(
    pilot: Pilot,
    margin: tuple[float, float],
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    detect: float | None = None,
    readers: tuple[int, ...] = DEFAULT_READERS,
) -> list[PlanRow]:
    """Smallest number of cases reaching ``power`` for each reader count: for TOST at true
    FOM 0.5, and for the test against chance when the true FOM is ``detect`` (default: the
    upper margin)."""
    target = margin[1] if detect is None else detect
    return [
        PlanRow(
            r,
            _smallest_cases(lambda c, r=r: tost_power(pilot, r, c, margin, 0.5, alpha), power),
            _smallest_cases(lambda c, r=r: power_vs_chance(pilot, r, c, target, alpha), power),
        )
        for r in readers
    ]


def _smallest_cases(power_at, target: float) -> int | None:
    """Bisection on the number of cases (power grows with cases); None beyond MAX_CASES."""
    if not power_at(MAX_CASES) >= target:
        return None
    low, high = 2, MAX_CASES
    if power_at(low) >= target:
        return low
    while high - low > 1:
        middle = (low + high) // 2
        if power_at(middle) >= target:
            high = middle
        else:
            low = middle
    return high
