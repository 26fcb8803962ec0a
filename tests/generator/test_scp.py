"""The SCP statement table agrees with PTB-XL's scp_statements.csv."""

from __future__ import annotations

import pandas as pd
import pytest

from generator.core import scp


def test_statement_table_matches_ptbxl(shared_data):
    table = pd.read_csv(shared_data / "ptbxl_meta" / "scp_statements.csv", index_col=0)
    assert len(scp.STATEMENTS) == len(table) == 71
    for code, row in table.iterrows():
        statement = scp.STATEMENT_BY_CODE[code]
        assert statement.description == row["description"]
        assert statement.diagnostic_class == (
            "" if pd.isna(row["diagnostic_class"]) else row["diagnostic_class"]
        )
        assert ("d" in statement.kinds) == (row["diagnostic"] == 1.0)
        assert ("r" in statement.kinds) == (row["rhythm"] == 1.0)


def test_vocabulary_is_the_71_codes_sorted():
    assert len(scp.SCP_VOCABULARY) == 71
    assert list(scp.SCP_VOCABULARY) == sorted(scp.SCP_VOCABULARY)
    assert scp.SCP_VOCABULARY[0] == "1AVB"


def test_parse_scp_codes_and_superclasses():
    codes = scp.parse_scp_codes("{'IMI': 80.0, 'LVH': 50.0, 'SR': 0.0}")
    assert codes == {"IMI": 80.0, "LVH": 50.0, "SR": 0.0}
    assert scp.superclasses_of(codes) == ["MI", "HYP"]
    assert scp.label_set_key(["SR", "NORM"]) == "NORM_SR"


@pytest.mark.parametrize("raw", ["{'XYZ': 100.0}", "not a dict", "[1, 2]"])
def test_bad_scp_codes_are_refused(raw):
    with pytest.raises(scp.ScpCodeError):
        scp.parse_scp_codes(raw)


def test_label_keys_split_back_into_codes():
    assert scp.split_label_key("ISC__LVH_SR") == ["ISC_", "LVH", "SR"]
    assert scp.split_label_key("AFIB_NST_") == ["AFIB", "NST_"]
    assert scp.split_label_key(scp.label_set_key(["NST_", "ISC_", "SR"])) == ["ISC_", "NST_", "SR"]
