"""Within-reader consistency across rounds: intra-rater Cohen's kappa and exact McNemar test.

A repeat is a (reader, design, case) judged in both round 1 and round 2 (first judgment of each
round). Kappa compares the presentation-independent verdicts; McNemar compares correctness.
The pooled kappa's CI comes from a leave-one-reader-out jackknife (t on readers - 1 degrees of
freedom): one reader's repeats are not independent of each other, and the Wald CI that treats
them so covered the pooled kappa in only 81% of simulated 10-reader studies.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from assessment.stats.agreement import VERDICTS, cohen_kappa


def repeated_pairs(frame: pd.DataFrame, design: str) -> pd.DataFrame:
    """One row per repeat: reader, case, verdict_1/verdict_2 and correct_1/correct_2."""
    rows = frame[frame["design"] == design]
    first = rows[rows["round"] == 1].drop_duplicates(["reader", "case"], keep="first")
    second = rows[rows["round"] == 2].drop_duplicates(["reader", "case"], keep="first")
    columns = ["reader", "case", "verdict", "correct"]
    return first[columns].merge(second[columns], on=["reader", "case"], suffixes=("_1", "_2"))


def mcnemar_exact(correct_first: np.ndarray, correct_second: np.ndarray) -> dict:
    """Exact McNemar test of correctness in round 1 vs round 2 (binomial on discordant pairs).

    With no discordant pair the p-value is 1 (nothing changed).
    """
    first = np.asarray(correct_first, dtype=bool)
    second = np.asarray(correct_second, dtype=bool)
    table = np.array(
        [
            [(first & second).sum(), (first & ~second).sum()],
            [(~first & second).sum(), (~first & ~second).sum()],
        ]
    )
    result = {
        "n_pairs": int(table.sum()),
        "both_correct": int(table[0, 0]),
        "only_round_1_correct": int(table[0, 1]),
        "only_round_2_correct": int(table[1, 0]),
        "both_wrong": int(table[1, 1]),
        "p_value": math.nan,
    }
    if table.sum() == 0:
        return result
    result["p_value"] = float(mcnemar(table, exact=True).pvalue)
    return result


def intra_rater(pairs: pd.DataFrame, design: str) -> dict:
    """Cohen's kappa of round-1 vs round-2 verdicts and McNemar on correctness for some repeats
    (the kappa's CI a Wald interval: right for one reader's repeats)."""
    table = _verdict_table(pairs, design)
    return {
        "n_repeats": int(len(pairs)),
        "agreement": float(np.trace(table) / len(pairs)) if len(pairs) else math.nan,
        "cohen_kappa": cohen_kappa(table),
        "mcnemar": mcnemar_exact(pairs["correct_1"], pairs["correct_2"]),
    }


def pooled_intra_rater(pairs: pd.DataFrame, design: str, alpha: float = 0.05) -> dict:
    """:func:`intra_rater` over every reader's repeats, the kappa's CI from a
    leave-one-reader-out jackknife with a t interval on readers - 1 degrees of freedom (the
    Wald CI with one reader; none when leaving a reader out makes kappa undefined)."""
    result = intra_rater(pairs, design)
    kappa = result["cohen_kappa"]
    tables = [_verdict_table(group, design) for _, group in pairs.groupby("reader")]
    if len(tables) < 2 or not math.isfinite(kappa["kappa"]):
        return result
    # Tables add up over readers: leaving one out subtracts its table from the total.
    total = sum(tables)
    left_out = np.array([cohen_kappa(total - table)["kappa"] for table in tables])
    r = len(tables)
    if not np.isfinite(left_out).all():
        se = low = high = math.nan
    else:
        se = float(np.sqrt((r - 1) / r * ((left_out - left_out.mean()) ** 2).sum()))
        half = stats.t.ppf(1 - alpha / 2, r - 1) * se
        low, high = max(-1.0, kappa["kappa"] - half), min(1.0, kappa["kappa"] + half)
    kappa.update(se=se, ci_low=low, ci_high=high)
    return result


def _verdict_table(pairs: pd.DataFrame, design: str) -> np.ndarray:
    """k x k counts of (round-1 verdict, round-2 verdict)."""
    categories = VERDICTS[design]
    index = {verdict: i for i, verdict in enumerate(categories)}
    first = pairs["verdict_1"].map(index).to_numpy(dtype=int)
    second = pairs["verdict_2"].map(index).to_numpy(dtype=int)
    k = len(categories)
    return np.bincount(first * k + second, minlength=k * k).reshape(k, k)


def repeatability(frame: pd.DataFrame, design: str) -> dict:
    """Intra-rater agreement per reader and pooled over all repeats of one design."""
    pairs = repeated_pairs(frame, design)
    if pairs.empty:
        return {"computable": False, "reason": "no case was judged in both rounds by one reader"}
    return {
        "computable": True,
        "pooled": pooled_intra_rater(pairs, design),
        "by_reader": {
            reader: intra_rater(group, design)
            for reader, group in pairs.groupby("reader", sort=True)
        },
    }
