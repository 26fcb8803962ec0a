"""Stratified analyses and experience bins."""

import numpy as np
import pandas as pd
import pytest

from assessment.stats.frame import validate
from assessment.stats.simulate import simulate_study
from assessment.stats.stratify import experience_labels, stratified
from assessment.stats.subset import AnalysisOptions


def test_experience_bins_are_half_open_with_unknown():
    years = pd.Series([0, 1.9, 2, 5, 19.5, 20, 45, np.nan, -1])
    assert experience_labels(years).tolist() == [
        "0-2 years",
        "0-2 years",
        "2-5 years",
        "5-10 years",
        "10-20 years",
        "20+ years",
        "20+ years",
        "unknown",
        "unknown",
    ]
    with pytest.raises(ValueError, match="increasing"):
        experience_labels(years, (0, 5, 5))


def test_strata_partition_the_judgments():
    frame = validate(simulate_study(n_readers=6, items_per_reader=40, seed=3))
    single_index = frame.index[frame["design"] == "single"]
    frame.loc[single_index[:5], "superclass"] = np.nan
    rows = frame.loc[single_index]
    result = stratified(rows, "single", AnalysisOptions())
    for name in ("superclass", "label_set", "experience"):
        assert sum(group["accuracy"]["n"] for group in result[name].values()) == len(rows)
    assert "unknown" in result["superclass"]
    norm = rows[rows["superclass"] == "NORM"]
    assert result["superclass"]["NORM"]["accuracy"]["correct"] == int(norm["correct"].sum())


def test_single_design_generator_strata_compare_against_the_shared_real_ecgs():
    frame = validate(simulate_study(n_readers=6, items_per_reader=80, designs=("single",), seed=4))
    result = stratified(frame, "single", AnalysisOptions())["generator"]
    real = frame[frame["truth"] == "real"]
    assert "unknown" not in result
    assert real["generator"].isna().all()
    for name, entry in result.items():
        synthetic = frame[frame["generator"] == name]
        assert entry["accuracy"]["n"] == len(synthetic) + len(real)
        sensitivity = entry["detection"]["sensitivity"]
        specificity = entry["detection"]["specificity"]
        assert sensitivity["n"] == len(synthetic) and specificity["n"] == len(real)
