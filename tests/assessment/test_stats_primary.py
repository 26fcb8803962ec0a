"""The primary analysis' secondary questions: generators as modalities, label consistency."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assessment.stats.frame import validate
from assessment.stats.jackknife import case_mean
from assessment.stats.mrmc import RRRC, or_analysis
from assessment.stats.primary import design_analysis
from assessment.stats.simulate import simulate_study

MARGIN = (0.4, 0.6)


def _frame(design: str, **settings):
    return validate(simulate_study(20, 200, designs=(design,), seed=11, **settings))


def test_a_generator_that_is_easier_to_spot_differs_from_the_other():
    effects = {"SSSD-ECG-nle": 0.0, "DeepFake-ECG": 1.5}
    result = design_analysis(_frame("paired", generator_effects=effects), "paired", MARGIN)
    primary = result.by_generator.analysis.primary
    by_name = {estimate.name: estimate.estimate for estimate in primary.modalities}
    assert by_name["DeepFake-ECG"] > by_name["SSSD-ECG-nle"] + 0.15
    assert primary.test.p_value < 0.001
    (difference,) = primary.differences
    assert difference.name == "DeepFake-ECG - SSSD-ECG-nle"
    assert difference.ci95[0] > 0


def test_single_design_generators_are_compared_on_balanced_accuracy():
    frame = _frame("single")
    first = frame[frame["round"] == 1]
    result = design_analysis(frame, "single", MARGIN).by_generator.analysis
    assert result.fom_name == "balanced accuracy"
    real = first[first["truth"] == "real"]
    specificity = real.groupby("reader")["correct"].mean()
    for index, name in enumerate(result.modality_names):
        own = first[first["generator"] == name].groupby("reader")["correct"].mean()
        np.testing.assert_allclose(result.reader_foms[index], (own + specificity) / 2)
    assert len(real) > 0 and real["generator"].isna().all()


def test_response_bias_does_not_make_generators_differ():
    # Every reader is right on 30% of each generator's synthetic ECGs and 80% of real ones,
    # while the generators contribute 30 and 10 synthetic ECGs: percent correct over
    # "own synthetic + all real" would differ (0.59 vs 0.70); balanced accuracy does not.
    rows = []
    for reader in range(12):
        for generator, count in (("SSSD-ECG-nle", 30), ("DeepFake-ECG", 10), (None, 40)):
            right = round(count * (0.8 if generator is None else 0.3))
            for index in range(count):
                truth = "real" if generator is None else "synthetic"
                correct = (index + reader) % count < right
                answer = truth if correct else ("synthetic" if truth == "real" else "real")
                rows.append({"reader": f"r{reader}", "item": f"{reader}-{generator}-{index}",
                             "case": f"{generator}-{index}", "round": 1, "design": "single",
                             "truth": truth, "answer": answer, "generator": generator})  # fmt: skip
    result = design_analysis(validate(pd.DataFrame(rows)), "single", MARGIN).by_generator
    (difference,) = result.analysis.primary.differences
    assert difference.estimate == pytest.approx(0.0, abs=1e-12)
    assert difference.p_value > 0.5


def _leaning_single_study(rng: np.random.Generator, readers: int = 10, cases: int = 60):
    """Single design, 25% synthetic ECGs; readers ignore the ECG and answer "real" with a
    probability of their own (around 0.8)."""
    truths = np.where(np.arange(cases) < cases // 4, "synthetic", "real")
    rows = []
    for reader in range(readers):
        says_real = np.clip(rng.normal(0.8, 0.05), 0.5, 0.95)
        for case, truth in enumerate(truths):
            answer = "real" if rng.random() < says_real else "synthetic"
            rows.append({"reader": f"r{reader}", "item": f"{reader}-{case}", "case": f"c{case}",
                         "round": 1, "design": "single", "truth": truth, "answer": answer,
                         "confidence": 3})  # fmt: skip
    return validate(pd.DataFrame(rows))


def test_single_design_primary_accuracy_is_balanced_against_a_leaning_reader():
    frame = _leaning_single_study(np.random.default_rng(5))
    accuracy = design_analysis(frame, "single", MARGIN).accuracy.analysis
    assert accuracy.fom_name == "balanced accuracy"
    by_reader = frame.groupby(["reader", "truth"])["correct"].mean().unstack()
    np.testing.assert_allclose(accuracy.reader_foms[0], by_reader.mean(axis=1).to_numpy())
    # Percent correct rewards the leaning (about 0.65); balanced accuracy stays near 0.5.
    assert frame["correct"].mean() > 0.6
    assert abs(accuracy.primary.modalities[0].estimate - 0.5) < 0.06


def test_single_design_test_against_chance_holds_its_size_with_a_skewed_mix():
    rng = np.random.default_rng(2026)
    studies = 200
    rejected = sum(
        design_analysis(_leaning_single_study(rng), "single", MARGIN)
        .accuracy.analysis.primary.modalities[0]
        .p_value
        < 0.05
        for _ in range(studies)
    )
    # Nominal 5% (10 of 200); percent correct against 0.5 rejects in every study here.
    assert rejected <= 20


def test_an_interaction_free_comparison_uses_the_chi_square_limit():
    # Both readers score 4/6 on a and 3/6 on b: no reader x modality interaction.
    a = np.array([[0, 1, 1, 0, 1, 1], [0, 1, 1, 1, 1, 0]], dtype=float)
    b = np.array([[1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 0, 1]], dtype=float)
    analysis = or_analysis([case_mean(a), case_mean(b)], ["a", "b"], fom_name="accuracy")
    test = analysis.primary.test
    assert analysis.components.ms_modality_readers == pytest.approx(0.0, abs=1e-15)
    assert test.ddf == float("inf")
    assert test.statistic > 0
    assert test.p_value == pytest.approx(stats.chi2.sf(test.statistic, 1))


def test_label_consistency_compares_real_and_synthetic_matched_by_case():
    result = design_analysis(_frame("paired"), "paired", MARGIN).label_consistency.analysis
    primary = result.primary
    real, synthetic = primary.modalities
    assert (real.name, synthetic.name) == ("real", "synthetic")
    (difference,) = primary.differences
    # The simulator answers 'consistent' with probability 0.8 (real) and 0.7 (synthetic).
    assert difference.ci95[0] < 0.1 < difference.ci95[1]
    assert difference.ci95[0] > 0


def test_one_modality_analysis_equals_the_reader_mean_t_interval_without_case_covariance():
    rng = np.random.default_rng(5)
    values = (rng.random((6, 30)) < 0.6).astype(float)
    analysis = or_analysis([case_mean(values)], ["all"], fom_name="accuracy", margin=MARGIN)
    (fixed_cases,) = analysis.generalisations["random_readers_fixed_cases"].modalities
    reader_means = values.mean(axis=1)
    se = reader_means.std(ddof=1) / np.sqrt(6)
    assert fixed_cases.se == pytest.approx(se)
    assert fixed_cases.df == 5
    (random,) = analysis.generalisations[RRRC].modalities
    assert random.estimate == pytest.approx(reader_means.mean())


def test_single_design_without_both_sources_says_what_each_reader_needs():
    frame = _leaning_single_study(np.random.default_rng(1))
    real_only = validate(frame[frame["truth"] == "real"].drop(columns=["correct"]))
    result = design_analysis(real_only, "single", MARGIN)
    assert not result.accuracy.computable
    assert result.accuracy.reason == (
        "needs at least one reader with two judged cases of each source"
    )
    assert result.auc.reason == "needs at least one reader with two rated cases of each source"
