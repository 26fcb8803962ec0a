"""manage.py export_report: the staff downloads written to files, with clear errors."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from assessment.analysis_frames import judgments_frame
from assessment.reports.csv_report import judgments_csv
from assessment.stats.summary import study_summary
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed


@pytest.fixture
def study(small_store, reader_a, reader_b):
    study = seed(name="export-me")
    answer_all(study, alice_right_bob_alternates, limit={"bob": 5})
    return study


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_csv_by_id_matches_the_judgment_frame(study, tmp_path):
    target = tmp_path / "judgments.csv"

    message = export(str(study.pk), "--format", "csv", "-o", str(target))

    text = target.read_text(encoding="utf-8")
    assert text == judgments_csv(judgments_frame(study))
    assert text.count("\n") == 1 + 8 + 5  # header, alice's 8 cases, bob's first 5
    assert f"to {target}" in message


def test_json_by_name_equals_study_summary(study, tmp_path):
    target = tmp_path / "summary.json"

    export("export-me", "--format", "json", "-o", str(target))

    written = json.loads(target.read_text(encoding="utf-8"))
    blinding = written.pop("blinding")
    assert written.pop("privacy") == []  # no privacy screen of the pool
    assert written.pop("realism") == {"evaluations": [], "rows": []}  # none evaluated
    assert written == study_summary(judgments_frame(study))
    assert blinding["frozen_at_opening"] and blinding["override"] is None
    study.refresh_from_db()
    assert blinding["audit"] == study.snapshot["blinding_audit"]
    assert written["meta"]["n_judgments"] == 13
    assert written["designs"]["paired"]["by_reader"]["bob"]["round_1"]["accuracy"]["n"] == 5


def test_html_file_is_self_contained(study, tmp_path):
    target = tmp_path / "report.html"

    export("export-me", "--format", "html", "-o", str(target))

    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'class="plotly-graph-div"' in html
    assert "<script src" not in html


def test_dash_writes_to_standard_output(study):
    assert export("export-me", "--format", "csv", "-o", "-") == judgments_csv(
        judgments_frame(study)
    )


def test_unknown_study_is_a_command_error_naming_the_known_ones(study, tmp_path):
    with pytest.raises(CommandError, match=r"no study with id or name 'nope'.*export-me"):
        export("nope", "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_unknown_format_is_a_command_error(study, tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        export("export-me", "--format", "xml", "-o", str(tmp_path / "x.xml"))


def test_unwritable_output_is_a_command_error(study, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        export("export-me", "--format", "csv", "-o", str(tmp_path / "missing" / "x.csv"))
