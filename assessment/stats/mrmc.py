"""Obuchowski-Rockette analysis with Hillis' degrees of freedom (OR-Hillis) for multi-reader
multi-case (MRMC) studies.

The figure of merit (FOM) theta_ij of modality i and reader j is modelled as
theta_ij = mu + tau_i + R_j + (tau R)_ij + e_ij, with random readers and errors e that are
correlated through the shared cases: Var(e_ij) = Var, Cov(e_ij, e_i'j) = Cov1 (same reader),
Cov(e_ij, e_ij') = Cov2 (same modality), Cov(e_ij, e_i'j') = Cov3. The error covariances
are estimated by the case jackknife ((c - 1)/c times the sum of products of leave-one-case-out
deviations). Three generalisations are reported, as RJafroc, MRMCaov and the Iowa OR-DBM
MRMC program do:

* random readers, random cases (RRRC): Hillis (2007) denominator degrees of freedom;
* fixed readers, random cases (FRRC): normal / chi-square reference;
* random readers, fixed cases (RRFC): the ANOVA of the FOMs alone.

Each modality's own FOM gets a CI, a test against ``null`` (0.5 = chance) and two one-sided
tests (TOST) against an equivalence margin; with two or more modalities the equality of
modalities is tested and every pairwise difference gets a CI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
from scipy import stats

from assessment.stats.jackknife import ReaderFoms

RRRC = "random_readers_random_cases"
FRRC = "fixed_readers_random_cases"
RRFC = "random_readers_fixed_cases"
GENERALISATIONS = (RRRC, FRRC, RRFC)
GENERALISATION_TEXT = {
    RRRC: "readers and cases random: generalises to new readers and new cases",
    FRRC: "readers fixed, cases random: generalises to new cases read by these readers",
    RRFC: "readers random, cases fixed: generalises to new readers of these cases",
}


@dataclass(frozen=True)
class Components:
    """OR variance components on the FOM scale, with the mean squares they come from."""

    var_readers: float
    var_modality_readers: float
    cov1: float
    cov2: float
    cov3: float
    var_error: float
    ms_modality: float
    ms_readers: float
    ms_modality_readers: float


@dataclass(frozen=True)
class Estimate:
    """A FOM (or difference) with its SE, degrees of freedom (inf = normal) and tests."""

    name: str
    estimate: float
    se: float
    df: float
    ci95: tuple[float, float]
    ci90: tuple[float, float]
    null: float
    p_value: float
    tost_p_lower: float | None = None
    tost_p_upper: float | None = None
    tost_p: float | None = None
    within_margin: bool | None = None


@dataclass(frozen=True)
class ModalityTest:
    """The test that all modalities share one FOM (F, or chi-square when ddf is inf)."""

    statistic: float
    ndf: int
    ddf: float
    p_value: float


@dataclass(frozen=True)
class Generalisation:
    """Inference under one choice of random factors."""

    name: str
    description: str
    modalities: tuple[Estimate, ...]
    test: ModalityTest | None
    differences: tuple[Estimate, ...]


@dataclass(frozen=True)
class ORAnalysis:
    """An OR-Hillis analysis: FOMs, variance components and the three generalisations."""

    fom_name: str
    modality_names: tuple[str, ...]
    n_readers: int
    n_cases: int
    reader_foms: tuple[tuple[float, ...], ...]
    components: Components
    per_modality_components: tuple[Components, ...]
    generalisations: dict[str, Generalisation]

    @property
    def primary(self) -> Generalisation:
        """The random-readers random-cases analysis: the study's headline inference."""
        return self.generalisations[RRRC]

    def reported(self) -> tuple[str, Estimate]:
        """(generalisation, estimate) to quote for a one-modality analysis: random readers and
        cases, or fixed readers when the readers' FOMs leave no reader variance."""
        (random_readers,) = self.generalisations[RRRC].modalities
        if math.isfinite(random_readers.se):
            return RRRC, random_readers
        (fixed_readers,) = self.generalisations[FRRC].modalities
        return FRRC, fixed_readers


def or_analysis(
    foms: list[ReaderFoms],
    modality_names: list[str],
    *,
    fom_name: str,
    null: float = 0.5,
    margin: tuple[float, float] | None = None,
    alpha: float = 0.05,
    delong_truth: np.ndarray | None = None,
    fom_range: tuple[float, float] | None = (0.0, 1.0),
) -> ORAnalysis:
    """OR-Hillis analysis of t modalities read by the same r readers over the same c cases.

    ``foms[i]`` holds modality i's reader FOMs and leave-one-case-out values (readers and
    cases in the same order for every modality). Needs two readers for the random-reader
    generalisations (with one reader only FRRC is computable; the others report NaN).
    For an empirical AUC of a fully crossed design, ``delong_truth`` (the cases' truth)
    switches the error covariances from the jackknife to DeLong's. Each modality's CIs are
    clipped to ``fom_range`` (as MRMCaov does; None: unbounded); tests use the raw t values.
    """
    if len(foms) != len(modality_names) or not foms:
        raise ValueError("need one ReaderFoms per modality name, and at least one")
    shapes = {f.leave_out.shape for f in foms}
    if len(shapes) != 1:
        raise ValueError("every modality needs the same readers and cases")
    theta = np.vstack([f.fom for f in foms])
    t, r = theta.shape
    c = foms[0].n_cases
    leave_out = np.stack([f.leave_out for f in foms])
    covariance = (
        _jackknife_covariance(leave_out)
        if delong_truth is None
        else _delong_covariance(leave_out, np.asarray(delong_truth, dtype=bool))
    )
    components = _components(theta, covariance)
    per_modality = tuple(
        _components(theta[i : i + 1], covariance[i : i + 1, :, i : i + 1, :]) for i in range(t)
    )
    settings = _Settings(null, margin, alpha, fom_range)
    generalisations = {
        name: Generalisation(
            name,
            GENERALISATION_TEXT[name],
            tuple(
                _modality_estimate(modality_names[i], theta[i], per_modality[i], name, settings)
                for i in range(t)
            ),
            _modality_test(components, t, r, name) if t > 1 else None,
            _differences(theta, modality_names, components, name, alpha) if t > 1 else (),
        )
        for name in GENERALISATIONS
    }
    return ORAnalysis(
        fom_name=fom_name,
        modality_names=tuple(modality_names),
        n_readers=r,
        n_cases=c,
        reader_foms=tuple(tuple(float(v) for v in row) for row in theta),
        components=components,
        per_modality_components=per_modality,
        generalisations=generalisations,
    )


@dataclass(frozen=True)
class _Settings:
    null: float
    margin: tuple[float, float] | None
    alpha: float
    fom_range: tuple[float, float] | None


def _jackknife_covariance(leave_out: np.ndarray) -> np.ndarray:
    """(t, r, t, r) covariance of the FOM estimates from (t, r, c) leave-one-out values."""
    t, r, c = leave_out.shape
    deviations = (leave_out - leave_out.mean(axis=2, keepdims=True)).reshape(t * r, c)
    return ((c - 1) / c * deviations @ deviations.T).reshape(t, r, t, r)


def _delong_covariance(leave_out: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """DeLong covariance of empirical AUCs, Cov(V10)/m + Cov(V01)/n, from leave-one-out values.

    Leaving out positive p moves the AUC by (A - V10_p) / (m - 1), so the structural
    components are recovered from the jackknife deviations of each class.
    """
    t, r, c = leave_out.shape
    if positive.shape != (c,):
        raise ValueError("delong_truth needs one truth value per case")
    deviations = (leave_out - leave_out.mean(axis=2, keepdims=True)).reshape(t * r, c)
    total = np.zeros((t * r, t * r))
    for members in (positive, ~positive):
        size = int(members.sum())
        part = deviations[:, members]
        total += (size - 1) / size * part @ part.T
    return total.reshape(t, r, t, r)


def _components(theta: np.ndarray, covariance: np.ndarray) -> Components:
    t, r = theta.shape
    flat = covariance.reshape(t * r, t * r)
    same_reader = np.equal.outer(np.tile(np.arange(r), t), np.tile(np.arange(r), t))
    same_modality = np.equal.outer(np.repeat(np.arange(t), r), np.repeat(np.arange(t), r))
    var_error = float(np.diag(flat).mean())
    cov1 = _mean_or_zero(flat[same_reader & ~same_modality])
    cov2 = _mean_or_zero(flat[~same_reader & same_modality])
    cov3 = _mean_or_zero(flat[~same_reader & ~same_modality])
    grand = theta.mean()
    modality_means, reader_means = theta.mean(axis=1), theta.mean(axis=0)
    ms_t = r * ((modality_means - grand) ** 2).sum() / (t - 1) if t > 1 else math.nan
    ms_r = t * ((reader_means - grand) ** 2).sum() / (r - 1) if r > 1 else math.nan
    interaction = theta - modality_means[:, None] - reader_means[None, :] + grand
    ms_tr = (interaction**2).sum() / ((t - 1) * (r - 1)) if t > 1 and r > 1 else math.nan
    # Expected mean squares: E[MS(TR)] = s2_TR + Var - Cov1 - Cov2 + Cov3 and
    # E[MS(R)] = t s2_R + s2_TR + Var + (t - 1) Cov1 - Cov2 - (t - 1) Cov3.
    var_tr = ms_tr - var_error + cov1 + cov2 - cov3 if t > 1 else math.nan
    interaction_part = var_tr if t > 1 else 0.0
    var_r = (ms_r - interaction_part - var_error - (t - 1) * cov1 + cov2 + (t - 1) * cov3) / t
    return Components(
        var_readers=float(var_r),
        var_modality_readers=float(var_tr),
        cov1=cov1,
        cov2=cov2,
        cov3=cov3,
        var_error=var_error,
        ms_modality=float(ms_t),
        ms_readers=float(ms_r),
        ms_modality_readers=float(ms_tr),
    )


def _mean_or_zero(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def single_modality_error(
    components: Components, n_readers: int, generalisation: str
) -> tuple[float, float]:
    """(variance of the reader-averaged FOM, its degrees of freedom) for one modality."""
    r = n_readers
    ms_r, cov2, var = components.ms_readers, components.cov2, components.var_error
    if generalisation == FRRC:
        return (var + (r - 1) * max(cov2, 0.0)) / r, math.inf
    if r < 2:
        return math.nan, math.nan
    if generalisation == RRFC:
        return ms_r / r, float(r - 1)
    denominator = ms_r + r * max(cov2, 0.0)
    df = denominator**2 / (ms_r**2 / (r - 1)) if ms_r > 0 else math.inf
    return denominator / r, df


def _modality_estimate(
    name: str, theta: np.ndarray, components: Components, generalisation: str, settings: _Settings
) -> Estimate:
    variance, df = single_modality_error(components, len(theta), generalisation)
    estimate = t_estimate(name, float(theta.mean()), variance, df, settings.null,
                          settings.margin, settings.alpha)  # fmt: skip
    if settings.fom_range is None:
        return estimate
    low, high = settings.fom_range
    return replace(
        estimate,
        ci95=tuple(float(np.clip(v, low, high)) for v in estimate.ci95),
        ci90=tuple(float(np.clip(v, low, high)) for v in estimate.ci90),
    )


def t_estimate(
    name: str,
    estimate: float,
    variance: float,
    df: float,
    null: float,
    margin: tuple[float, float] | None,
    alpha: float = 0.05,
) -> Estimate:
    """CI, two-sided test against ``null`` and TOST against ``margin`` for a t (or normal,
    df = inf) statistic; NaN throughout when the variance is not positive."""
    se = math.sqrt(variance) if variance > 0 else math.nan
    if not math.isfinite(se) or not df > 0:
        nan_pair = (math.nan, math.nan)
        tost = (math.nan, math.nan, math.nan, None) if margin else (None, None, None, None)
        return Estimate(name, estimate, se, df, nan_pair, nan_pair, null, math.nan, *tost)
    sf, ppf = _tail_functions(df)
    ci95 = _interval(estimate, se, ppf, alpha)
    ci90 = _interval(estimate, se, ppf, 2 * alpha)
    p_value = float(2 * sf(abs(estimate - null) / se))
    if margin is None:
        return Estimate(name, estimate, se, df, ci95, ci90, null, p_value)
    low, high = margin
    p_lower = float(sf((estimate - low) / se))
    p_upper = float(sf((high - estimate) / se))
    tost_p = max(p_lower, p_upper)
    return Estimate(
        name, estimate, se, df, ci95, ci90, null, p_value, p_lower, p_upper, tost_p,
        tost_p <= alpha,
    )  # fmt: skip


def _tail_functions(df: float):
    """Upper-tail probability and quantile of t with ``df`` (normal when df is inf)."""
    if math.isfinite(df):
        return (lambda x: stats.t.sf(x, df)), (lambda q: stats.t.ppf(q, df))
    return stats.norm.sf, stats.norm.ppf


def _interval(estimate: float, se: float, ppf, alpha: float) -> tuple[float, float]:
    half = float(ppf(1 - alpha / 2)) * se
    return estimate - half, estimate + half


def f_test(ms_modality: float, term: float, ndf: int, ddf: float) -> ModalityTest:
    """F = MS(T) / ``term`` on (ndf, ddf); with infinite ddf ndf x F is chi-square on ndf df.
    NaN when the error term is not positive."""
    if not term > 0:
        return ModalityTest(math.nan, ndf, ddf, math.nan)
    statistic = ms_modality / term
    if math.isinf(ddf):
        return ModalityTest(statistic, ndf, ddf, float(stats.chi2.sf(ndf * statistic, ndf)))
    return ModalityTest(statistic, ndf, ddf, float(stats.f.sf(statistic, ndf, ddf)))


def difference_term(components: Components, n_readers: int, generalisation: str) -> float:
    """The error term of the modality comparison: Var(difference of two means) = 2 term / r."""
    c, r = components, n_readers
    if generalisation == FRRC:
        return c.var_error - c.cov1 + (r - 1) * max(c.cov2 - c.cov3, 0.0)
    if generalisation == RRFC:
        return c.ms_modality_readers
    return c.ms_modality_readers + r * max(c.cov2 - c.cov3, 0.0)


def difference_ddf(components: Components, t: int, r: int, generalisation: str) -> float:
    """Denominator degrees of freedom of the comparison (Hillis 2007 for RRRC; inf = normal)."""
    if generalisation == FRRC:
        return math.inf
    if generalisation == RRFC:
        return float((t - 1) * (r - 1))
    ms_tr = components.ms_modality_readers
    term = difference_term(components, r, generalisation)
    return term**2 / (ms_tr**2 / ((t - 1) * (r - 1))) if ms_tr > 0 else math.inf


def _modality_test(components: Components, t: int, r: int, generalisation: str) -> ModalityTest:
    term = difference_term(components, r, generalisation)
    if generalisation == FRRC:
        if not term > 0:
            return ModalityTest(math.nan, t - 1, math.inf, math.nan)
        chi_square = (t - 1) * components.ms_modality / term
        return ModalityTest(chi_square, t - 1, math.inf, float(stats.chi2.sf(chi_square, t - 1)))
    if r < 2 or not term > 0:
        return ModalityTest(math.nan, t - 1, math.nan, math.nan)
    return f_test(
        components.ms_modality, term, t - 1, difference_ddf(components, t, r, generalisation)
    )


def _differences(
    theta: np.ndarray, names: list[str], components: Components, generalisation: str, alpha: float
) -> tuple[Estimate, ...]:
    t, r = theta.shape
    if r < 2 and generalisation != FRRC:
        term, ddf = math.nan, math.nan
    else:
        term = difference_term(components, r, generalisation)
        ddf = difference_ddf(components, t, r, generalisation)
    means = theta.mean(axis=1)
    return tuple(
        t_estimate(
            f"{names[a]} - {names[b]}",
            float(means[a] - means[b]),
            2 * term / r,
            ddf,
            0.0,
            None,
            alpha,
        )  # fmt: skip
        for a, b in combinations(range(t), 2)
    )
