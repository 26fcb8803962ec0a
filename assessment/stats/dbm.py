"""Dorfman-Berbaum-Metz (DBM) analysis with Hillis' degrees of freedom: the ANOVA of case
jackknife pseudovalues, kept as an independent cross-check of the OR-Hillis analysis.

Pseudovalues Y_ijk = c theta_ij - (c - 1) theta_ij(-k) of modality i, reader j and case k
enter a modality x reader x case ANOVA without replication. For random readers and cases the
test is F = MS(T) / (MS(TR) + max(MS(TC) - MS(TRC), 0)) with Hillis' ddf, identical to OR's;
fixed readers use MS(TC) on (t - 1)(c - 1) df, fixed cases MS(TR) on (t - 1)(r - 1) df.
Needs a fully crossed design (every reader judged every case in every modality).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assessment.stats.jackknife import ReaderFoms
from assessment.stats.mrmc import FRRC, RRFC, RRRC, ModalityTest, f_test


@dataclass(frozen=True)
class DbmMeanSquares:
    """Mean squares of the pseudovalue ANOVA (T modality, R reader, C case)."""

    t: float
    r: float
    c: float
    tr: float
    tc: float
    rc: float
    trc: float


@dataclass(frozen=True)
class DbmComponents:
    """DBM variance components on the pseudovalue scale."""

    readers: float
    cases: float
    modality_readers: float
    modality_cases: float
    reader_cases: float
    error: float


@dataclass(frozen=True)
class DbmAnalysis:
    """Mean squares, variance components and the modality test per generalisation."""

    mean_squares: DbmMeanSquares
    components: DbmComponents
    tests: dict[str, ModalityTest]


def dbm_analysis(foms: list[ReaderFoms]) -> DbmAnalysis:
    """DBM-Hillis analysis of t >= 2 modalities from their leave-one-case-out values."""
    if len(foms) < 2:
        raise ValueError("DBM compares modalities: give at least two")
    leave_out = np.stack([f.leave_out for f in foms])
    theta = np.stack([f.fom for f in foms])
    t, r, c = leave_out.shape
    pseudo = c * theta[:, :, None] - (c - 1) * leave_out
    ms = _mean_squares(pseudo)
    components = DbmComponents(
        readers=(ms.r - ms.tr - ms.rc + ms.trc) / (t * c),
        cases=(ms.c - ms.tc - ms.rc + ms.trc) / (t * r),
        modality_readers=(ms.tr - ms.trc) / c,
        modality_cases=(ms.tc - ms.trc) / r,
        reader_cases=(ms.rc - ms.trc) / t,
        error=ms.trc,
    )
    random_term = ms.tr + max(ms.tc - ms.trc, 0.0)
    hillis_ddf = random_term**2 / (ms.tr**2 / ((t - 1) * (r - 1))) if ms.tr > 0 else math.inf
    tests = {
        RRRC: f_test(ms.t, random_term, t - 1, hillis_ddf),
        FRRC: f_test(ms.t, ms.tc, t - 1, float((t - 1) * (c - 1))),
        RRFC: f_test(ms.t, ms.tr, t - 1, float((t - 1) * (r - 1))),
    }
    return DbmAnalysis(ms, components, tests)


def _mean_squares(y: np.ndarray) -> DbmMeanSquares:
    t, r, c = y.shape
    grand = y.mean()
    m_t, m_r, m_c = y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=(0, 1))
    m_tr, m_tc, m_rc = y.mean(axis=2), y.mean(axis=1), y.mean(axis=0)
    ss_t = r * c * ((m_t - grand) ** 2).sum()
    ss_r = t * c * ((m_r - grand) ** 2).sum()
    ss_c = t * r * ((m_c - grand) ** 2).sum()
    ss_tr = c * ((m_tr - m_t[:, None] - m_r[None, :] + grand) ** 2).sum()
    ss_tc = r * ((m_tc - m_t[:, None] - m_c[None, :] + grand) ** 2).sum()
    ss_rc = t * ((m_rc - m_r[:, None] - m_c[None, :] + grand) ** 2).sum()
    residual = (
        y
        - m_tr[:, :, None]
        - m_tc[:, None, :]
        - m_rc[None, :, :]
        + m_t[:, None, None]
        + m_r[None, :, None]
        + m_c[None, None, :]
        - grand
    )
    return DbmMeanSquares(
        t=float(ss_t / (t - 1)),
        r=float(ss_r / (r - 1)),
        c=float(ss_c / (c - 1)),
        tr=float(ss_tr / ((t - 1) * (r - 1))),
        tc=float(ss_tc / ((t - 1) * (c - 1))),
        rc=float(ss_rc / ((r - 1) * (c - 1))),
        trc=float((residual**2).sum() / ((t - 1) * (r - 1) * (c - 1))),
    )
