"""The long-format judgment table every statistic consumes, and its validation.

One row per judgment (one reader answering one presented item). Columns:

=========================== ======================================================================
reader                      str, reader identifier (required)
item                        str, opaque presentation token (required)
case                        str, the underlying ECG (single) or ECG pair (paired); the clustering
                            unit for case variance and the key that links repeats and readers
                            (required). Tokens may differ between presentations of one case.
round                       int, 1 or 2 (required)
design                      'single' or 'paired' (required)
truth                       single: source of the shown ECG, 'synthetic' | 'real';
                            paired: the side holding the synthetic ECG, 'left' | 'right' (required)
answer                      the reader's verdict, same vocabulary as ``truth`` (required)
correct                     bool; derived from answer == truth when absent, must agree when present
confidence                  1..6 (6 = certain) or NaN
reader_experience_years     float or NaN
reader_specialty            str or NaN
superclass, label_set       str or NaN (diagnostic superclass / full label set of the case)
generator                   str or NaN (model that produced the synthetic ECG)
time_shown_s                float, seconds (any common origin) when the item was shown
time_answered_s             float, seconds when it was answered
active_time_s               float, seconds the page was active while deciding
answer_changes              int, how often the reader changed the answer before submitting
is_repeat                   bool, the presentation repeats a case this reader saw in round 1
label_consistent_answer     bool or NaN, answer to "Is this ECG consistent with <labels>?"
source_for_label_question   'real' | 'synthetic' or NaN, source of the ECG that question was about
=========================== ======================================================================

Signed confidence (``signed_confidence``, added by :func:`validate`): the reader's answer on a
real <-> synthetic evidence axis. Single design: answer 'synthetic' with confidence c -> +c,
answer 'real' -> -c. Paired design: answer 'left' (left is synthetic) -> +c, 'right' -> -c. The
matching positive class is truth 'synthetic' (single) / 'left' (paired), so larger scores always
mean "more evidence for the positive class" and ROC analysis uses one rule for both designs.

Verdict (``verdict``, added by :func:`validate`): a presentation-independent reading of the
answer, used for agreement between readers and between rounds. Single design: the answer itself.
Paired design: 'picked_synthetic' or 'picked_real', because left/right may be shuffled between
presentations of the same pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DESIGNS = ("single", "paired")
ROUNDS = (1, 2)
TRUTH_VOCABULARY = {"single": ("synthetic", "real"), "paired": ("left", "right")}
POSITIVE_TRUTH = {"single": "synthetic", "paired": "left"}
CONFIDENCE_RANGE = (1, 6)
LABEL_SOURCES = ("real", "synthetic")

REQUIRED_COLUMNS = ("reader", "item", "case", "round", "design", "truth", "answer")
OPTIONAL_COLUMNS = (
    "correct",
    "confidence",
    "reader_experience_years",
    "reader_specialty",
    "superclass",
    "label_set",
    "generator",
    "time_shown_s",
    "time_answered_s",
    "active_time_s",
    "answer_changes",
    "is_repeat",
    "label_consistent_answer",
    "source_for_label_question",
)
# The order used by the CSV export; derived columns come last.
CONTRACT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DERIVED_COLUMNS = ("signed_confidence", "verdict", "decision_time_s")

_STRING_COLUMNS = ("reader", "item", "case", "design", "truth", "answer")
_OPTIONAL_TEXT = ("reader_specialty", "superclass", "label_set", "generator")
_OPTIONAL_FLOAT = (
    "confidence",
    "reader_experience_years",
    "time_shown_s",
    "time_answered_s",
    "active_time_s",
    "answer_changes",
)


def empty_frame() -> pd.DataFrame:
    """A validated frame with every contract column and no rows."""
    return validate(pd.DataFrame({column: [] for column in REQUIRED_COLUMNS}))


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check ``frame`` against the contract and return a normalised copy.

    Missing optional columns are added (NaN / False), dtypes are normalised and the derived
    columns ``signed_confidence``, ``verdict`` and ``decision_time_s`` are added. Raises
    ``ValueError`` naming the first problem found.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"judgment frame is missing required columns: {', '.join(missing)}")
    out = frame.copy()
    for column in _STRING_COLUMNS:
        if out[column].isna().any():
            raise ValueError(f"column '{column}' has missing values")
        out[column] = out[column].astype(str)
    _check_vocabulary(out)
    out["round"] = _integer_column(out["round"], "round")
    bad_rounds = sorted(set(out["round"]) - set(ROUNDS))
    if bad_rounds:
        raise ValueError(f"column 'round' must be 1 or 2, found {bad_rounds}")
    _check_correct(out)
    for column in _OPTIONAL_FLOAT:
        out[column] = _float_column(out, column)
    for column in _OPTIONAL_TEXT:
        out[column] = out[column].astype(object) if column in out else np.nan
        out[column] = out[column].where(out[column].notna(), np.nan)
    _check_confidence(out)
    out["is_repeat"] = _bool_column(out, "is_repeat", allow_missing=False)
    out["label_consistent_answer"] = _bool_column(out, "label_consistent_answer", True)
    _check_label_source(out)
    out["signed_confidence"] = signed_confidence(out)
    out["verdict"] = _verdicts(out)
    out["decision_time_s"] = _decision_time(out)
    ordered = list(CONTRACT_COLUMNS) + list(DERIVED_COLUMNS)
    extras = sorted(column for column in out.columns if column not in ordered)
    return out[ordered + extras].reset_index(drop=True)


def signed_confidence(frame: pd.DataFrame) -> pd.Series:
    """Confidence signed by the answer: + for the positive class, - otherwise (NaN stays NaN)."""
    positive = frame["answer"] == frame["design"].map(POSITIVE_TRUTH)
    sign = np.where(positive, 1.0, -1.0)
    return pd.Series(sign * frame["confidence"].to_numpy(dtype=float), index=frame.index)


def positive_truth(frame: pd.DataFrame) -> np.ndarray:
    """Boolean array: the judgment's truth is the positive class (synthetic / left)."""
    return (frame["truth"] == frame["design"].map(POSITIVE_TRUTH)).to_numpy(dtype=bool)


def _check_vocabulary(frame: pd.DataFrame) -> None:
    bad_designs = sorted(set(frame["design"]) - set(DESIGNS))
    if bad_designs:
        raise ValueError(f"column 'design' must be one of {DESIGNS}, found {bad_designs}")
    for design, vocabulary in TRUTH_VOCABULARY.items():
        rows = frame[frame["design"] == design]
        for column in ("truth", "answer"):
            bad = sorted(set(rows[column]) - set(vocabulary))
            if bad:
                raise ValueError(
                    f"column '{column}' for design '{design}' must be one of {vocabulary}, "
                    f"found {bad}"
                )


def _check_correct(frame: pd.DataFrame) -> None:
    derived = frame["answer"] == frame["truth"]
    if "correct" not in frame:
        frame["correct"] = derived.astype(bool)
        return
    given = frame["correct"]
    if given.isna().any():
        raise ValueError("column 'correct' has missing values")
    try:
        given = given.map(_as_bool).astype(bool)
    except ValueError as error:
        raise ValueError(f"column 'correct': {error}") from None
    mismatched = int((given != derived).sum())
    if mismatched:
        raise ValueError(f"column 'correct' disagrees with answer == truth in {mismatched} rows")
    frame["correct"] = given


def _check_confidence(frame: pd.DataFrame) -> None:
    confidence = frame["confidence"].dropna()
    low, high = CONFIDENCE_RANGE
    bad = confidence[(confidence < low) | (confidence > high) | (confidence != confidence.round())]
    if len(bad):
        raise ValueError(
            f"column 'confidence' must be an integer {low}..{high} or NaN, found {sorted(set(bad))}"
        )


def _check_label_source(frame: pd.DataFrame) -> None:
    if "source_for_label_question" not in frame:
        frame["source_for_label_question"] = np.nan
        return
    source = frame["source_for_label_question"].astype(object)
    source = source.where(source.notna(), np.nan)
    bad = sorted(set(source.dropna().astype(str)) - set(LABEL_SOURCES))
    if bad:
        raise ValueError(
            f"column 'source_for_label_question' must be one of {LABEL_SOURCES} or NaN, found {bad}"
        )
    frame["source_for_label_question"] = source


def _integer_column(values: pd.Series, name: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any() or (numeric != numeric.round()).any():
        raise ValueError(f"column '{name}' must hold integers")
    return numeric.astype(int)


def _float_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    numeric = pd.to_numeric(frame[name], errors="coerce")
    if (numeric.isna() & frame[name].notna()).any():
        raise ValueError(f"column '{name}' must be numeric or NaN")
    return numeric.astype(float)


def _as_bool(value: object) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer | float | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"expected a boolean, found {value!r}")


def _bool_column(frame: pd.DataFrame, name: str, allow_missing: bool) -> pd.Series:
    if name not in frame:
        if allow_missing:
            return pd.Series(np.nan, index=frame.index, dtype=object)
        return pd.Series(False, index=frame.index, dtype=bool)
    values = frame[name]
    if values.isna().any() and not allow_missing:
        raise ValueError(f"column '{name}' has missing values")
    try:
        converted = values.map(lambda value: np.nan if pd.isna(value) else _as_bool(value))
    except ValueError as error:
        raise ValueError(f"column '{name}': {error}") from None
    return converted.astype(object) if allow_missing else converted.astype(bool)


def _verdicts(frame: pd.DataFrame) -> pd.Series:
    paired = frame["design"] == "paired"
    picked = np.where(frame["correct"], "picked_synthetic", "picked_real")
    return pd.Series(np.where(paired, picked, frame["answer"]), index=frame.index, dtype=object)


def _decision_time(frame: pd.DataFrame) -> pd.Series:
    """Active time when recorded, else answered - shown; negative spans are data errors."""
    span = frame["time_answered_s"] - frame["time_shown_s"]
    if (span < 0).any():
        raise ValueError("time_answered_s is earlier than time_shown_s in some rows")
    if (frame["active_time_s"] < 0).any():
        raise ValueError("column 'active_time_s' has negative values")
    return frame["active_time_s"].fillna(span)
