"""Memorisation and privacy screen of a synthetic pool (pure numpy/scipy/torch).

Each synthetic ECG's distance to the closest record (DCR) of the generator's training
set is compared with the DCR of held-out real ECGs to the same training set (the
reference: what "as close as a new patient" looks like):

- a synthetic ECG closer than the reference's 1st percentile is flagged as a likely copy;
- the share of synthetic DCRs below the reference's 5th percentile (about 5% for a
  generator that does not memorise) is given with a Wilson score 95% CI;
- membership inference: training ECGs and held-out real ECGs are scored by their
  distance to the synthetic pool; an AUC above 0.5 means the pool sits nearer to the
  training patients than to new ones (AUC by the Mann-Whitney rank statistic, with a
  DeLong 95% CI, see :func:`delong_auc`).

The training set may be an array or a :class:`RecordBlocks` read block by block (a
memory-mapped file, the database), so a screen's memory does not grow with its size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from generator.core.dcr import (
    Neighbours,
    RecordBlocks,
    check_batch,
    lead_distances,
    nearest_records,
)

COPY_PERCENTILE = 1.0
SHARE_PERCENTILE = 5.0
MAX_SHIFT_S = 0.04
# Fewer held-out ECGs cannot place a 1st percentile: with n of them the threshold is about
# their minimum, and about 1/(n+1) of a pool that copies nothing would be flagged (and left
# out of studies). PTB-XL's fold 10 holds some 2,000.
MIN_REFERENCE = 100
# Records taken back from the training set (nearest records, membership subset) at a time.
TAKE_BLOCK = 1024


@dataclass(frozen=True)
class ScreenResult:
    """Per synthetic ECG: its nearest training record, DCR, NNDR, per-lead distances and
    whether it is flagged; plus the reference thresholds and the pool summary."""

    nearest: Neighbours
    lead_distances: np.ndarray  # (S, leads) to the nearest training record
    flagged: np.ndarray  # (S,) bool
    reference_dcr: np.ndarray
    copy_threshold: float
    share_threshold: float
    summary: dict


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def rank_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted one half."""
    positive, negative = np.asarray(positive, float), np.asarray(negative, float)
    if positive.size == 0 or negative.size == 0:
        raise ValueError("an AUC needs at least one score in each group")
    ranks = stats.rankdata(np.concatenate([positive, negative]))
    u = ranks[: positive.size].sum() - positive.size * (positive.size + 1) / 2
    return float(u / (positive.size * negative.size))


@dataclass(frozen=True)
class AucEstimate:
    """A two-sample AUC with its DeLong standard error and a Wald confidence interval."""

    auc: float
    se: float
    low: float
    high: float
    confidence: float


def delong_auc(positive: np.ndarray, negative: np.ndarray, confidence: float = 0.95) -> AucEstimate:
    """AUC = P(positive score > negative score) (ties one half) with DeLong's variance.

    DeLong, DeLong & Clarke-Pearson (1988): with the placements V10_i (the share of
    negatives below positive i) and V01_j (the share of positives above negative j),
    var(AUC) = s2(V10) / m + s2(V01) / n. The interval is AUC +- z * SE, cut to [0, 1].
    It treats the m positive and n negative scores as independent draws given whatever
    scored them; for the membership test that is the synthetic pool (every score is a
    distance to the same pool), so the interval is conditional on the pool: it covers the
    sampling of training and held-out ECGs, not a fresh draw of the pool from the
    generator. With no overlap between the groups (AUC 0 or 1) the SE is 0.
    """
    positive, negative = np.asarray(positive, float), np.asarray(negative, float)
    m, n = positive.size, negative.size
    if m < 2 or n < 2:
        raise ValueError(f"a DeLong interval needs at least 2 scores per group, got {m} and {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    both = stats.rankdata(np.concatenate([positive, negative]))
    # Midranks in the pooled sample minus those within the own group count the other
    # group's scores below (ties one half): the placements.
    v10 = (both[:m] - stats.rankdata(positive)) / n
    v01 = 1 - (both[m:] - stats.rankdata(negative)) / m
    auc = float(v10.mean())
    se = float(np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return AucEstimate(auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se), confidence)


def screen_pool(
    synthetic: np.ndarray,
    training: np.ndarray | RecordBlocks,
    reference: np.ndarray,
    fs: float,
    *,
    max_shift_s: float = MAX_SHIFT_S,
    seed: int = 0,
    device: torch.device | None = None,
    min_reference: int = MIN_REFERENCE,
) -> ScreenResult:
    """Screen ``synthetic`` (S, leads, samples) against ``training`` with the held-out
    real ``reference`` ECGs, all harmonised alike at ``fs`` Hz.

    The membership test sets a random subset of training ECGs (drawn with ``seed``), as
    many as there are reference ECGs, against the reference. At least ``min_reference``
    reference ECGs are needed (see :data:`MIN_REFERENCE`; small test sets lower it).

    ``training`` as :class:`RecordBlocks` is read in one pass for the search of both the
    synthetic and the reference ECGs, then only the records named (nearest records,
    membership subset) are taken: memory grows with the pool and the reference, not
    with the training set. The result equals that of the whole array.
    """
    synthetic = check_batch(synthetic, "synthetic ECGs")
    if isinstance(training, RecordBlocks):
        if training.count < 2:
            raise ValueError(f"training ECGs: needs at least 2 ECG(s), got {training.count}")
    else:
        training = RecordBlocks.of_array(check_batch(training, "training ECGs", min_count=2))
    # Two at least: the membership test's DeLong variance needs two per group.
    reference = check_batch(reference, "held-out reference ECGs", min_count=2)
    if len(reference) < min_reference:
        raise ValueError(
            f"held-out reference ECGs: {len(reference)} are too few to place a 1st percentile "
            f"(at least {min_reference}; with n of them about 1/(n+1) of a pool that copies "
            f"nothing would be flagged)"
        )
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"sampling rate must be positive, got {fs}")
    max_shift = int(round(max_shift_s * fs))
    if synthetic.shape[1:] != reference.shape[1:]:
        raise ValueError(
            f"synthetic {synthetic.shape[1:]} and reference {reference.shape[1:]} ECGs differ "
            f"in leads/samples"
        )
    # One pass over the training records serves both searches.
    both = nearest_records(
        np.concatenate([synthetic, reference]), training, max_shift, device=device
    )
    nearest, reference_found = _split(both, len(synthetic))
    reference_dcr = reference_found.distance
    copy_threshold = float(np.percentile(reference_dcr, COPY_PERCENTILE))
    share_threshold = float(np.percentile(reference_dcr, SHARE_PERCENTILE))
    flagged = nearest.distance < copy_threshold
    below = int(np.sum(nearest.distance < share_threshold))
    low, high = wilson_interval(below, len(synthetic))
    chosen = np.random.default_rng(seed).choice(
        training.count, size=min(len(reference), training.count), replace=False
    )
    pool = synthetic_pool(synthetic)
    members = check_batch(training.take(np.sort(chosen)), "training ECGs")
    member_d = nearest_records(members, pool, max_shift, device=device)
    held_out_d = nearest_records(reference, pool, max_shift, device=device)
    mia = delong_auc(-member_d.distance, -held_out_d.distance)
    summary = {
        "n_synthetic": len(synthetic),
        "n_training": training.count,
        "n_reference": len(reference),
        "sampling_rate": float(fs),
        "max_shift_ms": 1000.0 * max_shift / fs,
        "copy_threshold": copy_threshold,
        "share_threshold": share_threshold,
        "flagged": int(flagged.sum()),
        "share_below_p5": below / len(synthetic),
        "share_below_p5_ci": [low, high],
        "share_ci_method": "Wilson score, 95%",
        "mia_auc": mia.auc,
        "mia_auc_ci": [mia.low, mia.high],
        "mia_auc_se": mia.se,
        "mia_ci_method": "DeLong, 95%, conditional on the synthetic pool",
        "mia_members": len(chosen),
        "dcr_median": float(np.median(nearest.distance)),
        "reference_dcr_median": float(np.median(reference_dcr)),
        "nndr_median": float(np.median(nearest.ratio)),
    }
    per_lead = np.concatenate(
        [
            _lead_distances(synthetic[rows], training.take(nearest.index[rows]), max_shift)
            for rows in (slice(a, a + TAKE_BLOCK) for a in range(0, len(synthetic), TAKE_BLOCK))
        ]
    )
    return ScreenResult(
        nearest=nearest,
        lead_distances=per_lead,
        flagged=flagged,
        reference_dcr=reference_dcr,
        copy_threshold=copy_threshold,
        share_threshold=share_threshold,
        summary=summary,
    )


def _split(found: Neighbours, at: int) -> tuple[Neighbours, Neighbours]:
    """The neighbours of the first ``at`` queries and of the rest."""

    def part(rows: slice) -> Neighbours:
        return Neighbours(
            index=found.index[rows],
            distance=found.distance[rows],
            second_distance=found.second_distance[rows],
            shift=found.shift[rows],
        )

    return part(slice(0, at)), part(slice(at, None))


def _lead_distances(queries: np.ndarray, matches: np.ndarray, max_shift: int) -> np.ndarray:
    matches = check_batch(matches, "training ECGs")
    return np.stack(
        [lead_distances(q, r, max_shift) for q, r in zip(queries, matches, strict=True)]
    )


def synthetic_pool(synthetic: np.ndarray) -> np.ndarray:
    """The pool as records of the membership search: one ECG is doubled so that a pool of
    one still has the two records a nearest-neighbour search needs."""
    return synthetic if len(synthetic) > 1 else np.concatenate([synthetic, synthetic])
