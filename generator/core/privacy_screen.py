"""Memorisation and privacy screen of a synthetic pool (pure numpy/scipy/torch).

Each synthetic ECG's distance to the closest record (DCR) of the generator's training
set is compared with the DCR of held-out real ECGs to the same training set (the
reference: what "as close as a new patient" looks like):

- a synthetic ECG closer than the reference's 1st percentile is flagged as a likely copy;
- the share of synthetic DCRs below the reference's 5th percentile (about 5% for a
  generator that does not memorise) is given with a Wilson score 95% CI;
- membership inference: training ECGs and held-out real ECGs are scored by their
  distance to the synthetic pool; an AUC above 0.5 means the pool sits nearer to the
  training patients than to new ones (AUC by the Mann-Whitney rank statistic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from generator.core.dcr import Neighbours, check_batch, lead_distances, nearest_records

COPY_PERCENTILE = 1.0
SHARE_PERCENTILE = 5.0
MAX_SHIFT_S = 0.04
# Fewer held-out ECGs cannot place a 1st percentile: with n of them the threshold is about
# their minimum, and about 1/(n+1) of a pool that copies nothing would be flagged (and left
# out of studies). PTB-XL's fold 10 holds some 2,000.
MIN_REFERENCE = 100


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


def screen_pool(
    synthetic: np.ndarray,
    training: np.ndarray,
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
    """
    synthetic = check_batch(synthetic, "synthetic ECGs")
    training = check_batch(training, "training ECGs", min_count=2)
    reference = check_batch(reference, "held-out reference ECGs")
    if len(reference) < min_reference:
        raise ValueError(
            f"held-out reference ECGs: {len(reference)} are too few to place a 1st percentile "
            f"(at least {min_reference}; with n of them about 1/(n+1) of a pool that copies "
            f"nothing would be flagged)"
        )
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"sampling rate must be positive, got {fs}")
    max_shift = int(round(max_shift_s * fs))
    nearest = nearest_records(synthetic, training, max_shift, device=device)
    reference_dcr = nearest_records(reference, training, max_shift, device=device).distance
    copy_threshold = float(np.percentile(reference_dcr, COPY_PERCENTILE))
    share_threshold = float(np.percentile(reference_dcr, SHARE_PERCENTILE))
    flagged = nearest.distance < copy_threshold
    below = int(np.sum(nearest.distance < share_threshold))
    low, high = wilson_interval(below, len(synthetic))
    chosen = np.random.default_rng(seed).choice(
        len(training), size=min(len(reference), len(training)), replace=False
    )
    pool = synthetic_pool(synthetic)
    member_d = nearest_records(training[np.sort(chosen)], pool, max_shift, device=device)
    held_out_d = nearest_records(reference, pool, max_shift, device=device)
    summary = {
        "n_synthetic": len(synthetic),
        "n_training": len(training),
        "n_reference": len(reference),
        "sampling_rate": float(fs),
        "max_shift_ms": 1000.0 * max_shift / fs,
        "copy_threshold": copy_threshold,
        "share_threshold": share_threshold,
        "flagged": int(flagged.sum()),
        "share_below_p5": below / len(synthetic),
        "share_below_p5_ci": [low, high],
        "share_ci_method": "Wilson score, 95%",
        "mia_auc": rank_auc(-member_d.distance, -held_out_d.distance),
        "mia_members": len(chosen),
        "dcr_median": float(np.median(nearest.distance)),
        "reference_dcr_median": float(np.median(reference_dcr)),
        "nndr_median": float(np.median(nearest.ratio)),
    }
    per_lead = np.stack(
        [lead_distances(synthetic[i], training[j], max_shift) for i, j in enumerate(nearest.index)]
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


def synthetic_pool(synthetic: np.ndarray) -> np.ndarray:
    """The pool as records of the membership search: one ECG is doubled so that a pool of
    one still has the two records a nearest-neighbour search needs."""
    return synthetic if len(synthetic) > 1 else np.concatenate([synthetic, synthetic])
