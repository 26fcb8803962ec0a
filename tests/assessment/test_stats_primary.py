"""The primary analysis' secondary questions: generators as modalities, label consistency."""

import numpy as np
import pytest

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


def test_single_design_generator_modalities_share_the_real_ecgs():
    frame = _frame("single")
    first = frame[frame["round"] == 1]
    result = design_analysis(frame, "single", MARGIN).by_generator.analysis
    real = first[first["truth"] == "real"]
    for index, name in enumerate(result.modality_names):
        rows = first[(first["generator"] == name) | (first["truth"] == "real")]
        expected = rows.groupby("reader")["correct"].mean().to_numpy()
        np.testing.assert_allclose(result.reader_foms[index], expected)
    assert len(real) > 0 and real["generator"].isna().all()


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
