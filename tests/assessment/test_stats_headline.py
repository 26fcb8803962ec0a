"""The plain-words headline of a design and the p-value formatting."""

import re

import pytest

from assessment.stats.frame import validate
from assessment.stats.headline import format_p, headline
from assessment.stats.primary import design_analysis
from assessment.stats.simulate import simulate_study


@pytest.mark.parametrize(
    ("p_value", "text"),
    [(0.00004, "< 0.0001"), (0.0001, "= 0.0001"), (0.031, "= 0.031"), (0.5, "= 0.50"),
     (None, "n/a")],
)  # fmt: skip
def test_p_values_print_below_0_0001_as_a_bound(p_value, text):
    assert format_p(p_value) == text


def _headline(accuracy: float, readers: int, design: str = "paired", items: int = 130) -> str:
    frame = validate(
        simulate_study(readers, items, designs=(design,), accuracy=accuracy, reader_sd=0.2,
                       case_sd=0.2, seed=7)
    )  # fmt: skip
    return headline(design_analysis(frame, design, (0.4, 0.6)), (0.4, 0.6))


def test_study_near_chance_is_within_the_margin():
    text = _headline(0.5, 30)
    estimate = design_analysis(
        validate(simulate_study(30, 130, designs=("paired",), accuracy=0.5, reader_sd=0.2,
                                case_sd=0.2, seed=7)), "paired", (0.4, 0.6),
    ).accuracy.analysis.primary.modalities[0]  # fmt: skip
    low, high = estimate.ci95
    assert text.startswith("Across 30 readers and 100 cases, physicians identified the synthetic")
    assert (
        f"in {100 * estimate.estimate:.0f}% of pairs (95% CI {100 * low:.0f}–{100 * high:.0f}%)"
        in (text)
    )
    assert "this is within the equivalence margin 40–60% (TOST p " in text
    assert "equivalent to chance" not in text


def test_easy_study_is_better_than_chance():
    text = _headline(0.9, 20, design="single")
    assert re.search(
        r"told single ECGs apart as real or synthetic with a balanced accuracy \(the mean of "
        r"the shares right among synthetic and among real ECGs\) of \d+% \(95% CI ",
        text,
    )
    assert "this is better than chance (p < 0.0001 against chance)" in text
    assert "outside the equivalence margin 40–60%" in text


def test_small_study_is_inconclusive():
    text = _headline(0.58, 3, items=20)
    assert "more readers or cases are needed" in text
    assert text.endswith(
        "With only 3 readers, treat the interval as approximate: intervals over so few "
        "random readers run narrower than stated."
    )
    assert "treat the interval as approximate" not in _headline(0.58, 4, items=20)
