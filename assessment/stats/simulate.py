"""Seeded simulation of a reader study in the judgment-frame format (tests, demos, benchmarks).

It follows the platform's design: every reader judges every case of a design once in round 1
(fully crossed) and, in round 2, repeats a share of those cases. A judgment is right with
probability expit(mu + a_reader + b_case + g_generator): reader and case effects are normal on
the logit scale, so readers below chance occur, and mu is set so that the population accuracy
E[expit(mu + a + b)] equals ``accuracy``. Behind it is a latent evidence z = s * delta + logistic
noise (s = +1 for the positive truth), whose size gives the confidence rating. Real ECGs carry
no generator.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special

SUPERCLASSES = ("NORM", "MI", "STTC", "CD", "HYP")
SPECIALTIES = ("cardiology", "internal medicine", "emergency medicine")
GENERATORS = ("SSSD-ECG-nle", "DeepFake-ECG")
_QUADRATURE = np.polynomial.hermite_e.hermegauss(60)


def population_accuracy(logit_mean: float, reader_sd: float, case_sd: float) -> float:
    """E[expit(logit_mean + a + b)] for a ~ N(0, reader_sd^2), b ~ N(0, case_sd^2)."""
    nodes, weights = _QUADRATURE
    spread = math.hypot(reader_sd, case_sd)
    values = special.expit(logit_mean + spread * nodes)
    return float(weights @ values / weights.sum())


def logit_mean_for_accuracy(accuracy: float, reader_sd: float, case_sd: float) -> float:
    """The logit-scale mean whose population accuracy is ``accuracy``."""
    if not 0 < accuracy < 1:
        raise ValueError(f"accuracy must lie strictly between 0 and 1, got {accuracy}")
    return float(
        optimize.brentq(
            lambda mu: population_accuracy(mu, reader_sd, case_sd) - accuracy, -30.0, 30.0,
            xtol=1e-12,
        )
    )  # fmt: skip


def simulate_study(
    n_readers: int = 50,
    items_per_reader: int = 400,
    designs: tuple[str, ...] = ("paired", "single"),
    repeat_fraction: float = 0.3,
    accuracy: float = 0.55,
    reader_sd: float = 0.5,
    case_sd: float = 0.5,
    generator_effects: dict[str, float] | None = None,
    label_consistency: tuple[float, float] = (0.8, 0.7),
    seed: int = 0,
) -> pd.DataFrame:
    """A long judgment frame: ``n_readers`` readers, about ``items_per_reader`` judgments each.

    Each design gets ``round(items / (designs x (1 + repeat_fraction)))`` cases. A generator
    effect shifts the logit of a right answer on its ECGs (default: none, so ``accuracy`` is
    the population accuracy of every generator). ``label_consistency`` is the chance of a
    "consistent with the labels" answer about a (real, synthetic) ECG.
    """
    if not 0 <= repeat_fraction <= 1:
        raise ValueError(f"repeat_fraction must lie in [0, 1], got {repeat_fraction}")
    n_cases = round(items_per_reader / (len(designs) * (1 + repeat_fraction)))
    if n_readers < 1 or n_cases < 2:
        raise ValueError("need at least one reader and two cases per design")
    effects = {name: 0.0 for name in GENERATORS} | dict(generator_effects or {})
    rng = np.random.default_rng(seed)
    mu = logit_mean_for_accuracy(accuracy, reader_sd, case_sd)
    readers = _readers(n_readers, reader_sd, rng)
    frames = [
        _design_judgments(design, readers, _cases(design, n_cases, case_sd, effects, rng),
                          mu, repeat_fraction, label_consistency, rng)
        for design in designs
    ]  # fmt: skip
    judgments = pd.concat(frames, ignore_index=True)
    return judgments.sort_values(["reader", "time_shown_s"], kind="stable").reset_index(drop=True)


def _readers(n_readers: int, reader_sd: float, rng: np.random.Generator) -> pd.DataFrame:
    specialty = rng.integers(len(SPECIALTIES), size=n_readers)
    return pd.DataFrame(
        {
            "reader": [f"reader-{index:03d}" for index in range(n_readers)],
            "reader_experience_years": rng.integers(0, 31, n_readers).astype(float),
            "reader_specialty": np.asarray(SPECIALTIES)[specialty],
            "effect": rng.normal(0.0, reader_sd, n_readers),
            "speed": rng.lognormal(np.log(18.0), 0.3, n_readers),
        }
    )


def _cases(
    design: str, n_cases: int, case_sd: float, effects: dict[str, float], rng: np.random.Generator
) -> pd.DataFrame:
    first = rng.integers(len(SUPERCLASSES), size=n_cases)
    second = rng.integers(len(SUPERCLASSES), size=n_cases)
    names = np.asarray(SUPERCLASSES)
    generator = np.asarray(GENERATORS)[(rng.random(n_cases) < 0.25).astype(int)]
    synthetic = rng.permutation(n_cases) < (n_cases + 1) // 2 if design == "single" else None
    if synthetic is not None:
        generator = np.where(synthetic, generator, None)
    shift = np.array([0.0 if g is None else effects.get(g, 0.0) for g in generator])
    return pd.DataFrame(
        {
            "case": [f"{design}-case-{index:04d}" for index in range(n_cases)],
            "superclass": names[first],
            "label_set": [
                "|".join(sorted({a, b})) for a, b in zip(names[first], names[second], strict=True)
            ],
            "generator": generator,
            "effect": rng.normal(0.0, case_sd, n_cases) + shift,
            "synthetic": synthetic if synthetic is not None else np.ones(n_cases, dtype=bool),
        }
    )  # fmt: skip


def _design_judgments(
    design: str,
    readers: pd.DataFrame,
    cases: pd.DataFrame,
    mu: float,
    repeat_fraction: float,
    label_consistency: tuple[float, float],
    rng: np.random.Generator,
) -> pd.DataFrame:
    n_readers, n_cases = len(readers), len(cases)
    n_repeats = round(repeat_fraction * n_cases)
    reader_index, case_index, round_number = [], [], []
    for reader in range(n_readers):
        order = rng.permutation(n_cases)
        repeats = rng.choice(order, n_repeats, replace=False)
        reader_index += [reader] * (n_cases + n_repeats)
        case_index += [*order, *repeats]
        round_number += [1] * n_cases + [2] * n_repeats
    reader_index, case_index = np.asarray(reader_index), np.asarray(case_index)
    size = len(reader_index)
    delta = mu + readers["effect"].to_numpy()[reader_index] + cases["effect"].to_numpy()[case_index]
    if design == "single":
        positive = cases["synthetic"].to_numpy()[case_index]
        vocabulary = ("synthetic", "real")
    else:
        positive = rng.random(size) < 0.5  # the synthetic ECG's side, per presentation
        vocabulary = ("left", "right")
    evidence = np.where(positive, 1.0, -1.0) * delta + rng.logistic(size=size)
    truth = np.where(positive, vocabulary[0], vocabulary[1])
    answer = np.where(evidence > 0, vocabulary[0], vocabulary[1])
    confidence = np.minimum(6.0, 1.0 + np.floor(np.abs(evidence) * 1.2))
    confidence[rng.random(size) < 0.03] = np.nan
    active = rng.lognormal(0.0, 0.5, size) * readers["speed"].to_numpy()[reader_index]
    gaps = rng.uniform(1.0, 3.0, size) + active + rng.exponential(2.0, size)
    shown = np.empty(size)
    for reader in range(n_readers):
        rows = np.flatnonzero(reader_index == reader)
        shown[rows] = np.cumsum(gaps[rows]) - gaps[rows] + 1e5 * (design == "single")
    if design == "single":
        source = np.where(positive, "synthetic", "real")
    else:
        source = np.where(rng.random(size) < 0.5, "synthetic", "real")
    consistent = rng.random(size) < np.where(source == "real", *label_consistency)
    asked = rng.random(size) < 0.9
    picked = cases.iloc[case_index].reset_index(drop=True)
    return pd.DataFrame(
        {
            "reader": readers["reader"].to_numpy()[reader_index],
            "reader_experience_years": readers["reader_experience_years"].to_numpy()[reader_index],
            "reader_specialty": readers["reader_specialty"].to_numpy()[reader_index],
            "item": [rng.bytes(8).hex() for _ in range(size)],
            "case": picked["case"],
            "round": round_number,
            "design": design,
            "truth": truth,
            "answer": answer,
            "correct": truth == answer,
            "confidence": confidence,
            "superclass": picked["superclass"],
            "label_set": picked["label_set"],
            "generator": picked["generator"],
            "time_shown_s": shown,
            "time_answered_s": shown + active + rng.exponential(2.0, size),
            "active_time_s": active,
            "answer_changes": rng.poisson(0.2, size),
            "is_repeat": np.asarray(round_number) == 2,
            "label_consistent_answer": pd.Series(consistent, dtype=object).where(asked),
            "source_for_label_question": source,
        }
    )  # fmt: skip
