"""Each study carries its own TOST equivalence margin into reports and the dashboard."""

from __future__ import annotations

import json

import pytest

from assessment.errors import StudySeedError
from assessment.reporting import study_dashboard, study_export
from assessment.selectors import judgments_frame
from assessment.stats.accuracy import tost_equivalence
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db


def test_reports_use_the_study_margin(small_store, reader_a, reader_b):
    study = seed(settings={"equivalence_low": 0.45, "equivalence_high": 0.55})
    answer_all(study, alice_right_bob_alternates)
    summary = json.loads(study_export(study, "json", n_boot=50).content)
    assert summary["meta"]["margin"] == [0.45, 0.55]
    frame = judgments_frame(study)
    paired = frame[frame["design"] == "paired"]
    expected = tost_equivalence(int(paired["correct"].sum()), len(paired), margin=(0.45, 0.55))
    tost = summary["designs"]["paired"]["all_rounds"]["accuracy"]["tost"]
    assert tost["margin"] == [0.45, 0.55]
    assert tost["p_value"] == pytest.approx(expected.p_value)
    assert study_dashboard(study, n_boot=50).summary["meta"]["margin"] == [0.45, 0.55]


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.6), (0.4, 0.5), (0.0, 0.6), (0.6, 0.4)])
def test_margins_that_do_not_bracket_chance_are_refused(small_store, reader_a, low, high):
    with pytest.raises(StudySeedError, match="equivalence margin"):
        seed(settings={"equivalence_low": low, "equivalence_high": high}, readers=("alice",))
