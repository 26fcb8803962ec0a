"""Each study carries its own TOST equivalence margin into reports and the dashboard."""

from __future__ import annotations

import json

import pytest
from scipy import stats

from assessment.analysis_frames import judgments_frame
from assessment.errors import StudySeedError
from assessment.reporting import study_dashboard, study_export
from assessment.stats.accuracy import tost_equivalence
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db


def test_reports_use_the_study_margin(small_store, reader_a, reader_b):
    study = seed(settings={"equivalence_low": 0.45, "equivalence_high": 0.55})
    answer_all(study, alice_right_bob_alternates)
    summary = json.loads(study_export(study, "json").content)
    assert summary["meta"]["margin"] == [0.45, 0.55]
    frame = judgments_frame(study)
    bob = frame[(frame["reader"] == "bob") & (frame["round"] == 1)]
    expected = tost_equivalence(int(bob["correct"].sum()), len(bob), margin=(0.45, 0.55))
    tost = summary["designs"]["paired"]["by_reader"]["bob"]["round_1"]["accuracy"]["tost"]
    assert tost["margin"] == [0.45, 0.55]
    assert tost["p_value"] == pytest.approx(expected.p_value)
    primary = summary["designs"]["paired"]["primary"]["accuracy"]["generalisations"]
    (estimate,) = primary["random_readers_random_cases"]["modalities"]
    t_low = (estimate["estimate"] - 0.45) / estimate["se"]
    t_high = (0.55 - estimate["estimate"]) / estimate["se"]
    expected_p = max(stats.t.sf(t_low, estimate["df"]), stats.t.sf(t_high, estimate["df"]))
    assert estimate["tost_p"] == pytest.approx(expected_p)
    assert "equivalence margin 45–55%" in summary["designs"]["paired"]["headline"]
    assert study_dashboard(study).summary["meta"]["margin"] == [0.45, 0.55]


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.6), (0.4, 0.5), (0.0, 0.6), (0.6, 0.4)])
def test_margins_that_do_not_bracket_chance_are_refused(small_store, reader_a, low, high):
    with pytest.raises(StudySeedError, match="equivalence margin"):
        seed(settings={"equivalence_low": low, "equivalence_high": high}, readers=("alice",))
