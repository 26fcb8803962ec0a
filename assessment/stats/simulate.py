"""Seeded simulation of a reader study in the judgment-frame format (tests, demos, benchmarks).

Readers have a detection ability d' (most near chance), cases a difficulty; every reader judges
the same case pools (crossed design), half the items in round 1 and half in round 2, where a
share of the round-2 items repeats round-1 cases. Confidence comes from the distance of the
latent evidence to the decision criterion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUPERCLASSES = ("NORM", "MI", "STTC", "CD", "HYP")
SPECIALTIES = ("cardiology", "internal medicine", "emergency medicine")
GENERATORS = ("SSSD-ECG-nle", "DeepFake-ECG")


def simulate_study(
    n_readers: int = 50,
    items_per_reader: int = 400,
    designs: tuple[str, ...] = ("paired", "single"),
    repeat_fraction: float = 0.3,
    mean_dprime: float = 0.3,
    seed: int = 0,
) -> pd.DataFrame:
    """A long judgment frame: ``n_readers`` readers, ``items_per_reader`` judgments each."""
    per_block = items_per_reader // (2 * len(designs))
    if n_readers < 1 or per_block < 1:
        raise ValueError("need at least one reader and one item per design and round")
    if not 0 <= repeat_fraction <= 1:
        raise ValueError(f"repeat_fraction must lie in [0, 1], got {repeat_fraction}")
    rng = np.random.default_rng(seed)
    pool_size = 2 * per_block
    cases = {design: _case_pool(design, pool_size, rng) for design in designs}
    rows = []
    for reader_index in range(n_readers):
        reader = {
            "reader": f"reader-{reader_index:03d}",
            "reader_experience_years": float(rng.integers(0, 31)),
            "reader_specialty": SPECIALTIES[rng.integers(len(SPECIALTIES))],
            "ability": max(0.0, rng.normal(mean_dprime, 0.3)),
        }
        clock = 0.0
        for design in designs:
            first = rng.choice(pool_size, per_block, replace=False)
            n_repeats = int(round(repeat_fraction * per_block))
            unseen = np.setdiff1d(np.arange(pool_size), first)
            second = np.concatenate(
                [
                    rng.choice(first, n_repeats, replace=False),
                    rng.choice(unseen, per_block - n_repeats, replace=False),
                ]
            )
            for round_number, chosen in ((1, first), (2, rng.permutation(second))):
                for case_index in chosen:
                    row, clock = _judgment(
                        reader, cases[design][case_index], design, round_number, clock, rng
                    )
                    row["is_repeat"] = round_number == 2 and case_index in first
                    rows.append(row)
    return pd.DataFrame(rows)


def _case_pool(design: str, size: int, rng: np.random.Generator) -> list[dict]:
    pool = []
    for index in range(size):
        superclass = SUPERCLASSES[rng.integers(len(SUPERCLASSES))]
        extra = SUPERCLASSES[rng.integers(len(SUPERCLASSES))]
        labels = "|".join(sorted({superclass, extra}))
        pool.append(
            {
                "case": f"{design}-case-{index:04d}",
                "superclass": superclass,
                "label_set": labels,
                "generator": GENERATORS[int(rng.random() < 0.25)],
                "difficulty": rng.normal(0.0, 0.3),
                # Single design: the source; paired: the side holding the synthetic ECG.
                "truth": ("synthetic" if rng.random() < 0.5 else "real")
                if design == "single"
                else ("left" if rng.random() < 0.5 else "right"),
            }
        )
    return pool


def _judgment(
    reader: dict, case: dict, design: str, round_number: int, clock: float, rng: np.random.Generator
) -> tuple[dict, float]:
    dprime = max(0.0, reader["ability"] - case["difficulty"])
    if design == "single":
        signal = 1.0 if case["truth"] == "synthetic" else -1.0
        evidence = signal * dprime / 2 + rng.normal()
        answer = "synthetic" if evidence > 0.1 else "real"
        margin = abs(evidence - 0.1)
    else:
        signal = 1.0 if case["truth"] == "left" else -1.0
        evidence = signal * dprime / np.sqrt(2) + rng.normal()
        answer = "left" if evidence > 0 else "right"
        margin = abs(evidence)
    confidence = float(min(6, 1 + int(margin * 2.5))) if rng.random() > 0.03 else np.nan
    active = float(rng.lognormal(np.log(18.0), 0.5))
    shown = clock + float(rng.uniform(1.0, 3.0))
    answered = shown + active + float(rng.exponential(2.0))
    source = case["truth"] if design == "single" else ("synthetic", "real")[rng.integers(2)]
    consistent = rng.random() < (0.8 if source == "real" else 0.7)
    row = {
        "reader": reader["reader"],
        "reader_experience_years": reader["reader_experience_years"],
        "reader_specialty": reader["reader_specialty"],
        "item": rng.bytes(8).hex(),
        "case": case["case"],
        "round": round_number,
        "design": design,
        "truth": case["truth"],
        "answer": answer,
        "correct": answer == case["truth"],
        "confidence": confidence,
        "superclass": case["superclass"],
        "label_set": case["label_set"],
        "generator": case["generator"],
        "time_shown_s": shown,
        "time_answered_s": answered,
        "active_time_s": active,
        "answer_changes": int(rng.poisson(0.2)),
        "label_consistent_answer": bool(consistent) if rng.random() < 0.9 else np.nan,
        "source_for_label_question": source,
    }
    return row, answered
