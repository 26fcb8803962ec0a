"""Which panel holds the synthetic ECG and what the right answer is: one definition for the
models, the analysis tables and the practice feedback."""

from __future__ import annotations


def synthetic_panel(synthetic_on_top: bool) -> str:
    """The panel ('a' = top, 'b' = bottom) that shows the synthetic ECG of a pair."""
    return "a" if synthetic_on_top else "b"


def right_answer(*, is_pair: bool, synthetic_on_top: bool | None, single_source: str) -> str:
    """The answer that is right: 'top'/'bottom' (the synthetic panel of a pair), else the
    single ECG's source 'real'/'synthetic'."""
    if is_pair:
        if synthetic_on_top is None:
            raise ValueError("a paired presentation needs synthetic_on_top")
        return "top" if synthetic_panel(synthetic_on_top) == "a" else "bottom"
    return single_source
