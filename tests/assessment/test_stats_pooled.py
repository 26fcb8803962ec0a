"""Two-way cluster bootstrap and the optional mixed-effects model."""

import math

import numpy as np
import pandas as pd
import pytest

from assessment.stats.pooled import mixed_model_accuracy, two_way_bootstrap


def _study(seed: int, readers: int = 6, cases: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {"reader": f"r{r}", "case": f"c{c}", "correct": bool(rng.random() < 0.3 + 0.08 * r)}
        for r in range(readers)
        for c in range(cases)
        if rng.random() < 0.9
    ]
    return pd.DataFrame(rows)


def test_one_replicate_equals_explicit_two_way_resampling():
    data = _study(0)
    readers = np.sort(data["reader"].unique())
    cases = np.sort(data["case"].unique())
    for seed in range(5):
        result = two_way_bootstrap(
            data["reader"].to_numpy(),
            data["case"].to_numpy(),
            {"accuracy": (data["correct"].to_numpy(), np.ones(len(data), bool))},
            n_boot=1,
            seed=seed,
        )["accuracy"]
        # Reproduce the draw: counts of each reader and case, then duplicate judgments.
        rng = np.random.default_rng(seed)
        reader_counts = rng.multinomial(len(readers), np.full(len(readers), 1 / len(readers)), 1)
        case_counts = rng.multinomial(len(cases), np.full(len(cases), 1 / len(cases)), 1)
        drawn_readers = np.repeat(readers, reader_counts[0])
        drawn_cases = np.repeat(cases, case_counts[0])
        resampled = [
            row.correct
            for reader in drawn_readers
            for case in drawn_cases
            for row in data[(data["reader"] == reader) & (data["case"] == case)].itertuples()
        ]
        assert result["ci_low"] == pytest.approx(np.mean(resampled))
        assert result["ci_high"] == pytest.approx(np.mean(resampled))


def test_bootstrap_is_seeded_and_reader_variance_widens_the_interval():
    data = _study(1, readers=10, cases=60)
    arrays = (data["reader"].to_numpy(), data["case"].to_numpy())
    rates = {"accuracy": (data["correct"].to_numpy(), np.ones(len(data), bool))}
    first = two_way_bootstrap(*arrays, rates, n_boot=400, seed=5)["accuracy"]
    again = two_way_bootstrap(*arrays, rates, n_boot=400, seed=5)["accuracy"]
    assert first == again
    assert first["ci_low"] < first["estimate"] < first["ci_high"]
    # Treat every judgment as its own case and reader: a plain iid bootstrap is narrower here
    # because reader accuracies differ by design.
    iid = two_way_bootstrap(np.zeros(len(data)), np.arange(len(data)), rates, 400, 5)["accuracy"]
    assert first["ci_high"] - first["ci_low"] > 1.3 * (iid["ci_high"] - iid["ci_low"])


def test_rates_restricted_to_a_subset_and_empty_input():
    data = _study(2)
    include = (data["case"] < "c1").to_numpy()
    result = two_way_bootstrap(
        data["reader"].to_numpy(),
        data["case"].to_numpy(),
        {"subset": (data["correct"].to_numpy(), include)},
        200,
        0,
    )["subset"]
    assert result["estimate"] == pytest.approx(data.loc[include, "correct"].mean())
    assert 0 < result["n_boot_valid"] <= 200
    empty = two_way_bootstrap(
        np.array([]), np.array([]), {"accuracy": (np.array([], bool), np.array([], bool))}
    )
    assert math.isnan(empty["accuracy"]["estimate"]) and math.isnan(empty["accuracy"]["ci_low"])


def test_bootstrap_rejects_bad_input():
    with pytest.raises(ValueError, match="n_boot"):
        two_way_bootstrap(np.array(["a"]), np.array(["c"]), {}, n_boot=0)
    with pytest.raises(ValueError, match="match"):
        two_way_bootstrap(
            np.array(["a"]),
            np.array(["c"]),
            {"x": (np.array([True, False]), np.array([True, True]))},
        )


def test_mixed_model_recovers_typical_accuracy():
    rng = np.random.default_rng(4)
    reader_effect = rng.normal(0, 0.3, 12)
    case_effect = rng.normal(0, 0.3, 40)
    rows = [
        {
            "reader": f"r{r}",
            "case": f"c{c}",
            "correct": bool(
                rng.random() < 1 / (1 + np.exp(-(0.4 + reader_effect[r] + case_effect[c])))
            ),
        }
        for r in range(12)
        for c in range(40)
    ]
    result = mixed_model_accuracy(pd.DataFrame(rows))
    assert result["computable"]
    assert result["accuracy"] == pytest.approx(1 / (1 + np.exp(-0.4)), abs=0.06)
    assert result["ci_low"] < result["accuracy"] < result["ci_high"]
    single = mixed_model_accuracy(pd.DataFrame(rows[:40]))
    assert not single["computable"]
