"""End-to-end ``study_summary`` on simulated studies and edge cases."""

import json

import numpy as np
import pandas as pd
import pytest

from assessment.stats.accuracy import accuracy_summary
from assessment.stats.frame import validate
from assessment.stats.serialise import to_jsonable
from assessment.stats.simulate import simulate_study
from assessment.stats.summary import study_summary


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return simulate_study(n_readers=8, items_per_reader=80, seed=1)


@pytest.fixture(scope="module")
def summary(study) -> dict:
    return study_summary(study, n_boot=200, seed=3)


def test_summary_is_strict_json_and_reproducible(study, summary):
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text) == summary
    assert study_summary(study, n_boot=200, seed=3) == summary


def test_summary_numbers_match_the_component_functions(study, summary):
    frame = validate(study)
    single = frame[frame["design"] == "single"]
    expected = accuracy_summary(int(single["correct"].sum()), len(single))
    assert summary["designs"]["single"]["all_rounds"]["accuracy"] == to_jsonable(expected)
    reader_rows = single[(single["reader"] == "reader-002") & (single["round"] == 2)]
    entry = summary["designs"]["single"]["by_reader"]["reader-002"]["by_round"]["2"]
    assert entry["accuracy"]["correct"] == int(reader_rows["correct"].sum())
    assert summary["meta"]["n_judgments"] == len(study) == 640
    assert summary["meta"]["designs"] == ["single", "paired"]
    assert summary["overall_accuracy"]["correct"] == int(frame["correct"].sum())


def test_summary_has_every_section(summary):
    paired = summary["designs"]["paired"]
    assert set(paired) == {
        "all_rounds",
        "by_round",
        "by_reader",
        "agreement",
        "repeatability",
        "strata",
    }
    assert paired["agreement"]["1"]["computable"]
    assert paired["repeatability"]["pooled"]["n_repeats"] == 8 * 6
    assert set(paired["strata"]) == {"superclass", "label_set", "generator", "experience"}
    assert "error_on_real" in summary["designs"]["single"]["all_rounds"]["bootstrap"]
    assert summary["label_consistency"]["all"]["computable"]
    assert summary["sample_size"]["judgments_needed_exact"] == 214


def test_no_judgments_gives_n_zero_without_crashing():
    columns = ["reader", "item", "case", "round", "design", "truth", "answer"]
    result = study_summary(pd.DataFrame({column: [] for column in columns}), n_boot=10)
    assert result["meta"]["n_judgments"] == 0
    assert result["overall_accuracy"]["n"] == 0
    assert result["overall_accuracy"]["ci_low"] is None
    assert result["designs"] == {}
    assert result["label_consistency"]["all"]["computable"] is False
    json.dumps(result, allow_nan=False)


def test_one_reader_reports_agreement_as_not_computable(study):
    one = study[study["reader"] == "reader-000"]
    result = study_summary(one, n_boot=50)
    agreement = result["designs"]["single"]["agreement"]["1"]
    assert agreement == {
        "n_readers": 1,
        "n_units": 0,
        "computable": False,
        "reason": "fewer than two readers",
    }
    assert result["designs"]["single"]["repeatability"]["computable"]


def test_all_correct_keeps_clopper_pearson_defined(study):
    perfect = study.copy()
    perfect["answer"] = perfect["truth"]
    perfect["correct"] = True
    result = study_summary(perfect, n_boot=50)
    accuracy = result["designs"]["paired"]["all_rounds"]["accuracy"]
    assert accuracy["accuracy"] == 1.0 and accuracy["ci_high"] == 1.0
    assert accuracy["ci_low"] == pytest.approx(0.025 ** (1 / accuracy["n"]))
    assert result["designs"]["paired"]["all_rounds"]["detection"]["pc_corrected"]
    assert np.isfinite(
        result["designs"]["single"]["all_rounds"]["detection"]["signal_detection"]["d_prime"]
    )


def test_missing_confidence_is_counted_in_the_roc(study):
    no_confidence = study.assign(confidence=np.nan)
    roc = study_summary(no_confidence, n_boot=20)["designs"]["single"]["all_rounds"]["roc"]
    assert roc["n_used"] == 0 and roc["n_missing_confidence"] == 320
    assert roc["auc"] is None


def test_single_design_only_and_mixed_model_option():
    study = simulate_study(n_readers=4, items_per_reader=40, designs=("single",), seed=2)
    result = study_summary(study, n_boot=20, mixed_model=True)
    assert list(result["designs"]) == ["single"]
    assert result["designs"]["single"]["mixed_model"]["computable"]
    assert list(result["label_consistency"]) == ["all", "single"]


def test_invalid_frame_raises():
    with pytest.raises(ValueError, match="missing required columns"):
        study_summary(pd.DataFrame({"reader": ["a"]}))
