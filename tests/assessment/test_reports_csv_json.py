"""Long CSV and JSON summary exports."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from assessment.reports.csv_report import judgments_csv, write_judgments_csv
from assessment.reports.json_report import summary_json, write_summary_json
from assessment.stats.frame import CONTRACT_COLUMNS, DERIVED_COLUMNS
from assessment.stats.simulate import simulate_study
from assessment.stats.summary import study_summary


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return simulate_study(n_readers=3, items_per_reader=40, seed=9)


def test_csv_has_fixed_columns_and_one_row_per_judgment(study, tmp_path):
    path = write_judgments_csv(study, tmp_path / "judgments.csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(CONTRACT_COLUMNS + DERIVED_COLUMNS)
    loaded = pd.read_csv(io.StringIO(text))
    assert len(loaded) == len(study)
    assert sorted(loaded["item"]) == sorted(study["item"])
    merged = loaded.merge(study[["item", "answer", "confidence"]], on="item", suffixes=("", "_in"))
    assert (merged["answer"] == merged["answer_in"]).all()
    assert np.allclose(merged["confidence"], merged["confidence_in"], equal_nan=True)


def test_csv_is_independent_of_input_row_order(study):
    shuffled = study.sample(frac=1.0, random_state=4)
    assert judgments_csv(shuffled) == judgments_csv(study)


def test_csv_writes_integers_and_empty_cells_for_missing(study):
    frame = study.copy()
    frame.loc[0, "confidence"] = np.nan
    first_item = frame.loc[0, "item"]
    loaded = pd.read_csv(io.StringIO(judgments_csv(frame)), dtype=str, keep_default_na=False)
    row = loaded[loaded["item"] == first_item].iloc[0]
    assert row["confidence"] == ""
    assert all("." not in value for value in loaded["confidence"])


def test_json_is_strict_and_keeps_key_order(study, tmp_path):
    summary = study_summary(study)
    text = write_summary_json(summary, tmp_path / "summary.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    loaded = json.loads(text)
    assert list(loaded) == ["meta", "methods", "designs", "unaware"]
    assert loaded == summary
    assert summary_json(summary) == text


def test_json_turns_nan_into_null():
    assert json.loads(summary_json({"a": math.nan, "b": [np.float64(math.inf), 1]})) == {
        "a": None,
        "b": [None, 1],
    }
    with pytest.raises(ValueError, match="cannot convert"):
        summary_json({"a": object()})
