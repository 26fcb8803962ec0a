"""End-to-end ``study_summary`` on simulated studies and edge cases."""

import json

import numpy as np
import pandas as pd
import pytest

from assessment.stats.accuracy import accuracy_summary
from assessment.stats.frame import validate
from assessment.stats.primary import design_analysis
from assessment.stats.serialise import to_jsonable
from assessment.stats.simulate import simulate_study
from assessment.stats.subset import SUBSET_STATISTICS
from assessment.stats.summary import study_summary

# 80 items per reader over two designs with 30% repeats: 31 cases per design, 9 repeats.
N_CASES, N_REPEATS = 31, 9


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return simulate_study(n_readers=8, items_per_reader=80, seed=1)


@pytest.fixture(scope="module")
def summary(study) -> dict:
    return study_summary(study)


def test_summary_is_strict_json_and_reproducible(study, summary):
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text) == summary
    assert study_summary(study) == summary


def test_descriptive_numbers_use_round_one_only(study, summary):
    frame = validate(study)
    single = frame[(frame["design"] == "single") & (frame["round"] == 1)]
    expected = accuracy_summary(int(single["correct"].sum()), len(single))
    assert summary["designs"]["single"]["round_1"]["accuracy"] == to_jsonable(expected)
    assert len(single) == 8 * N_CASES
    reader_rows = single[single["reader"] == "reader-002"]
    entry = summary["designs"]["single"]["by_reader"]["reader-002"]["round_1"]
    assert entry["accuracy"]["correct"] == int(reader_rows["correct"].sum())
    assert summary["designs"]["single"]["by_round"]["2"]["accuracy"]["n"] == 8 * N_REPEATS
    assert summary["meta"]["n_judgments"] == len(study) == 8 * 2 * (N_CASES + N_REPEATS)
    assert summary["meta"]["designs"] == ["single", "paired"]


def test_no_figure_pools_the_two_designs(summary):
    assert "overall_accuracy" not in summary
    for design in ("single", "paired"):
        primary = summary["designs"][design]["primary"]["accuracy"]
        assert primary["n_readers"] == 8 and primary["n_cases"] == N_CASES


def test_primary_section_is_the_or_hillis_analysis_of_round_one(study, summary):
    analysis = design_analysis(validate(study), "paired", (0.4, 0.6))
    (expected,) = analysis.accuracy.analysis.primary.modalities
    entry = summary["designs"]["paired"]["primary"]["accuracy"]
    (reported,) = entry["generalisations"]["random_readers_random_cases"]["modalities"]
    assert reported["estimate"] == pytest.approx(expected.estimate)
    assert reported["ci95"] == pytest.approx(list(expected.ci95))
    assert reported["tost_p"] == pytest.approx(expected.tost_p)
    frame = validate(study)
    first = frame[(frame["design"] == "paired") & (frame["round"] == 1)]
    assert expected.estimate == pytest.approx(first.groupby("reader")["correct"].mean().mean())


def test_summary_has_every_section(summary):
    paired = summary["designs"]["paired"]
    assert set(paired) == {
        "measure", "headline", "primary", "sample_size", "round_1", "by_round", "by_reader",
        "agreement", "repeatability", "strata", "cases", "fast_readers",
    }  # fmt: skip
    assert paired["measure"] == "accuracy"
    assert summary["designs"]["single"]["measure"] == "balanced accuracy"
    assert set(paired["round_1"]) == set(SUBSET_STATISTICS)
    assert paired["agreement"]["1"]["computable"]
    assert paired["repeatability"]["pooled"]["n_repeats"] == 8 * N_REPEATS
    assert set(paired["strata"]) == {"superclass", "label_set", "generator", "experience"}
    single_primary = summary["designs"]["single"]["primary"]
    assert set(single_primary) == {
        "accuracy", "auc", "sensitivity", "specificity", "by_generator", "label_consistency",
    }  # fmt: skip
    assert single_primary["label_consistency"]["computable"]
    assert len(paired["cases"]) == N_CASES
    shares = [case["share_right"] for case in paired["cases"]]
    assert shares == sorted(shares, reverse=True)
    assert paired["sample_size"]["computable"]
    assert [row["n_readers"] for row in paired["sample_size"]["plans"]][:3] == [3, 5, 8]


def test_methods_list_only_what_ran(study, summary):
    assert "mixed_model" not in summary["methods"]
    assert "unaware" not in summary["methods"]
    assert "primary" in summary["methods"] and "repeatability" in summary["methods"]
    no_repeats = study_summary(study[study["round"] == 1])
    assert "repeatability" not in no_repeats["methods"]


def test_no_judgments_gives_n_zero_without_crashing():
    columns = ["reader", "item", "case", "round", "design", "truth", "answer"]
    result = study_summary(pd.DataFrame({column: [] for column in columns}))
    assert result["meta"]["n_judgments"] == 0
    assert result["designs"] == {}
    assert result["methods"] == {}
    json.dumps(result, allow_nan=False)


def test_one_reader_reports_agreement_as_not_computable_and_a_fixed_reader_ci(study):
    one = study[study["reader"] == "reader-000"]
    result = study_summary(one)
    single = result["designs"]["single"]
    assert single["agreement"]["1"] == {
        "n_readers": 1,
        "n_units": 0,
        "computable": False,
        "reason": "fewer than two readers",
    }
    assert single["repeatability"]["computable"]
    assert single["round_1"]["reader_averaged"]["generalisation"] == "fixed_readers_random_cases"
    assert "this reader only" in single["headline"]
    assert single["sample_size"]["computable"] is False


def test_all_correct_keeps_clopper_pearson_defined(study):
    perfect = study.copy()
    perfect["answer"] = perfect["truth"]
    perfect["correct"] = True
    result = study_summary(perfect)
    accuracy = result["designs"]["paired"]["round_1"]["accuracy"]
    assert accuracy["accuracy"] == 1.0 and accuracy["ci_high"] == 1.0
    assert accuracy["ci_low"] == pytest.approx(0.025 ** (1 / accuracy["n"]))
    assert result["designs"]["paired"]["round_1"]["detection"]["pc_corrected"]
    assert np.isfinite(
        result["designs"]["single"]["round_1"]["detection"]["signal_detection"]["d_prime"]
    )
    assert "no interval can be given" in result["designs"]["paired"]["headline"]


def test_missing_confidence_is_counted_in_the_roc(study):
    no_confidence = study.assign(confidence=np.nan)
    single = study_summary(no_confidence)["designs"]["single"]
    roc = single["round_1"]["roc"]
    assert roc["n_used"] == 0 and roc["n_missing_confidence"] == 8 * N_CASES
    assert roc["auc"] is None
    assert single["primary"]["auc"]["computable"] is False


def test_single_design_only_and_mixed_model_option():
    study = simulate_study(n_readers=4, items_per_reader=40, designs=("single",), seed=2)
    result = study_summary(study, mixed_model=True)
    assert list(result["designs"]) == ["single"]
    assert result["designs"]["single"]["mixed_model"]["computable"]
    assert "mixed_model" in result["methods"]


def test_invalid_frame_raises():
    with pytest.raises(ValueError, match="missing required columns"):
        study_summary(pd.DataFrame({"reader": ["a"]}))
