"""OR-Hillis (jackknife and DeLong covariances) and DBM reproduce the published Van Dyke
et al. (1993) results.

Data and reference numbers: tests/assessment/fixtures (README.md names the sources: the Iowa
OR-DBM MRMC 2.51 output kept in RJafroc, MRMCaov's README and JSS paper, RJafroc reports).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assessment.stats.dbm import dbm_analysis
from assessment.stats.jackknife import wilcoxon_auc
from assessment.stats.mrmc import FRRC, RRFC, RRRC, or_analysis

FIXTURE = Path(__file__).parent / "fixtures" / "van_dyke_1993.csv"


@pytest.fixture(scope="module")
def van_dyke():
    foms, _ = _van_dyke_foms()
    return or_analysis(foms, ["CINE", "SE"], fom_name="auc")


def test_reader_aucs_match_the_iowa_output(van_dyke):
    expected = [
        [0.91964573, 0.85877617, 0.90386473, 0.97310789, 0.82979066],
        [0.94782609, 0.90531401, 0.92173913, 0.99935588, 0.92995169],
    ]
    np.testing.assert_allclose(van_dyke.reader_foms, expected, atol=5e-9)
    means = [estimate.estimate for estimate in van_dyke.primary.modalities]
    np.testing.assert_allclose(means, [0.89703704, 0.94083736], atol=5e-9)


def test_variance_components_match_the_published_values(van_dyke):
    components = van_dyke.components
    published = {
        "var_readers": 0.00153499935,
        "var_modality_readers": 0.00020040252,
        "cov1": 0.00034661371,
        "cov2": 0.00034407483,
        "cov3": 0.00023902837,
        "var_error": 0.00080228827,
        "ms_modality": 0.004796171,
        "ms_modality_readers": 0.0005510306,
        "ms_readers": 0.00383620,
    }
    for name, value in published.items():
        assert getattr(components, name) == pytest.approx(value, rel=1e-6), name
    within = [c.ms_readers for c in van_dyke.per_modality_components]
    np.testing.assert_allclose(within, [0.003082629, 0.001304602], rtol=1e-6)


def test_random_readers_random_cases_matches_hillis(van_dyke):
    analysis = van_dyke.generalisations[RRRC]
    assert analysis.test.statistic == pytest.approx(4.456319, rel=1e-6)
    assert analysis.test.ddf == pytest.approx(15.25967, rel=1e-6)
    assert analysis.test.p_value == pytest.approx(0.05166569, rel=1e-6)
    (difference,) = analysis.differences
    assert difference.estimate == pytest.approx(-0.04380032, abs=5e-9)
    assert difference.se == pytest.approx(0.02074862, rel=1e-6)
    np.testing.assert_allclose(difference.ci95, [-0.0879594986, 0.0003588544], atol=1e-9)
    cine, se = analysis.modalities
    assert (cine.se, cine.df) == (pytest.approx(0.03317360, rel=1e-6), pytest.approx(12.74465))
    assert (se.se, se.df) == (pytest.approx(0.02156637, rel=1e-6), pytest.approx(12.71019))
    np.testing.assert_allclose(cine.ci95, [0.82522360, 0.96885048], atol=5e-9)
    np.testing.assert_allclose(se.ci95, [0.89413783, 0.98753689], atol=5e-9)


def test_fixed_readers_random_cases_matches_the_chi_square_test(van_dyke):
    analysis = van_dyke.generalisations[FRRC]
    assert analysis.test.statistic == pytest.approx(5.475953, rel=1e-6)
    assert analysis.test.p_value == pytest.approx(0.01927984, rel=1e-6)
    (difference,) = analysis.differences
    assert difference.se == pytest.approx(0.01871748, rel=1e-6)
    np.testing.assert_allclose(difference.ci95, [-0.08048591, -0.00711473], atol=5e-9)
    cine, se = analysis.modalities
    np.testing.assert_allclose(cine.ci95, [0.84943008, 0.94464399], atol=5e-9)
    np.testing.assert_allclose(se.ci95, [0.90795637, 0.97371835], atol=5e-9)


def test_random_readers_fixed_cases_matches_the_anova(van_dyke):
    analysis = van_dyke.generalisations[RRFC]
    assert analysis.test.statistic == pytest.approx(8.704, rel=1e-4)
    assert (analysis.test.ndf, analysis.test.ddf) == (1, 4)
    assert analysis.test.p_value == pytest.approx(0.04195875, rel=1e-6)
    (difference,) = analysis.differences
    np.testing.assert_allclose(difference.ci95, [-0.08502022, -0.00258042], atol=5e-9)
    cine, se = analysis.modalities
    np.testing.assert_allclose(cine.ci95, [0.82809808, 0.96597599], atol=5e-9)
    np.testing.assert_allclose(se.ci95, [0.89598936, 0.98568536], atol=5e-9)


def _van_dyke_foms():
    ratings = pd.read_csv(FIXTURE)
    foms = []
    for treatment in (1, 2):
        rows = ratings[ratings["treatment"] == treatment]
        matrix = rows.pivot(index="reader", columns="case", values="rating")
        truth = rows.drop_duplicates("case").set_index("case").loc[matrix.columns, "truth"]
        foms.append(wilcoxon_auc(matrix.to_numpy(dtype=float), truth.to_numpy() == 1))
    return foms, truth.to_numpy() == 1


def test_delong_covariances_match_mrmcaov():
    foms, truth = _van_dyke_foms()
    analysis = or_analysis(foms, ["CINE", "SE"], fom_name="auc", delong_truth=truth)
    components = analysis.components
    published = {
        "var_readers": 0.0015364254,
        "var_modality_readers": 0.0002045840,
        "var_error": 0.0007921325,
        "cov1": 0.0003420090,
        "cov2": 0.0003395265,
        "cov3": 0.0002358497,
    }
    for name, value in published.items():
        assert getattr(components, name) == pytest.approx(value, rel=1e-6), name
    primary = analysis.primary
    assert primary.test.statistic == pytest.approx(4.484854, rel=1e-6)
    assert primary.test.ddf == pytest.approx(15.06611, rel=1e-6)
    assert primary.test.p_value == pytest.approx(0.05123303, rel=1e-6)
    np.testing.assert_allclose(
        primary.differences[0].ci95, [-0.0878671960, 0.0002665519], atol=1e-9
    )
    cine, se = primary.modalities
    np.testing.assert_allclose(cine.ci95, [0.8253461, 0.9687280], atol=5e-8)
    np.testing.assert_allclose(se.ci95, [0.8942155, 0.9874592], atol=5e-8)


def test_dbm_matches_the_published_pseudovalue_anova():
    foms, _ = _van_dyke_foms()
    result = dbm_analysis(foms)
    mean_squares = {
        "t": 0.54676344, "r": 0.43732680, "c": 0.39686988, "tr": 0.06281749,
        "tc": 0.09984808, "rc": 0.06450106, "trc": 0.03997160,
    }  # fmt: skip
    for name, value in mean_squares.items():
        assert getattr(result.mean_squares, name) == pytest.approx(value, rel=1e-6), name
    components = {
        "readers": 0.00153499935, "cases": 0.02724923428, "modality_readers": 0.00020040252,
        "modality_cases": 0.01197529621, "reader_cases": 0.01226472859, "error": 0.03997160319,
    }  # fmt: skip
    for name, value in components.items():
        assert getattr(result.components, name) == pytest.approx(value, rel=1e-6), name
    random = result.tests[RRRC]
    assert (random.statistic, random.ddf, random.p_value) == (
        pytest.approx(4.4563187, rel=1e-6),
        pytest.approx(15.259675, rel=1e-6),
        pytest.approx(0.051665686, rel=1e-6),
    )
    fixed_readers = result.tests[FRRC]
    assert (fixed_readers.ddf, fixed_readers.p_value) == (113, pytest.approx(0.021034969, rel=1e-6))
    assert result.tests[RRFC].p_value == pytest.approx(0.04195875, rel=1e-6)


def test_dbm_random_reader_test_equals_or_hillis(van_dyke):
    foms, _ = _van_dyke_foms()
    dbm = dbm_analysis(foms).tests[RRRC]
    assert dbm.statistic == pytest.approx(van_dyke.primary.test.statistic, rel=1e-10)
    assert dbm.ddf == pytest.approx(van_dyke.primary.test.ddf, rel=1e-10)
