"""The analysis tables of a study, read from the database in the long format of
``assessment/stats/frame.py``: main judgments, attention checks and the unaware phase."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assessment.models import Assignment, Case, Judgment, JudgmentRevision, Study
from assessment.truth import right_answer

# The statistics contract (assessment/stats/frame.py) names the two panels left/right;
# on screen they are stacked, panel A on top.
FRAME_SIDE = {"top": "left", "bottom": "right"}


_FRAME_FIELDS = {
    "reader": "assignment__enrolment__reader__username",
    "reader_experience_years": "assignment__enrolment__years_experience",
    "reader_specialty": "assignment__enrolment__specialty",
    "item": "assignment__token",
    "case_id": "assignment__case_id",
    "round": "round",
    "case_kind": "assignment__case__kind",
    "real_ecg": "assignment__case__real_ecg_id",
    "synthetic_on_top": "assignment__synthetic_on_top",
    "raw_answer": "answer",
    "confidence": "confidence",
    "superclass": "assignment__case__stratum",
    "label_set": "assignment__case__label_set",
    "generator_name": "assignment__case__synthetic_ecg__generator_name",
    "generator_origin": "assignment__case__synthetic_ecg__origin",
    "shown_at": "shown_at",
    "answered_at": "answered_at",
    "active_time_ms": "active_time_ms",
    "answer_changes": "answer_changes",
    "label_consistent_answer": "label_consistent",
    "quality": "quality",
    "reason": "reason",
}


def _right_answer(is_pair: bool, synthetic_on_top, real_missing: bool) -> str:
    single_source = "synthetic" if real_missing else "real"
    on_top = bool(synthetic_on_top) if is_pair else None
    return right_answer(is_pair=is_pair, synthetic_on_top=on_top, single_source=single_source)


def _judgment_rows(study: Study, phase: str, kinds: tuple[str, ...]) -> pd.DataFrame:
    rows = Judgment.objects.filter(
        assignment__enrolment__study=study,
        assignment__phase=phase,
        assignment__case__kind__in=kinds,
    ).order_by("assignment__enrolment__reader_index", "assignment__position")
    frame = pd.DataFrame(list(rows.values(*_FRAME_FIELDS.values())))
    if frame.empty:
        return pd.DataFrame(columns=list(_FRAME_FIELDS))
    frame.columns = list(_FRAME_FIELDS)
    paired = frame["synthetic_on_top"].notna()
    frame["design"] = np.where(paired, "paired", "single")
    frame["truth"] = [
        FRAME_SIDE.get(answer, answer)
        for answer in map(
            _right_answer, paired, frame["synthetic_on_top"], frame["real_ecg"].isna()
        )
    ]
    frame["answer"] = frame["raw_answer"].map(lambda a: FRAME_SIDE.get(a, a))
    generator = frame["generator_name"].where(frame["generator_name"] != "", None)
    frame["generator"] = generator.fillna(frame["generator_origin"])
    frame["case"] = frame["case_id"].astype(str)
    return frame


def judgments_frame(study: Study) -> pd.DataFrame:
    """Main-phase judgments on main cases, one row per judgment, in the long format of
    assessment/stats/frame.py (practice, unaware phase and attention checks left out)."""
    columns = [
        "reader", "reader_experience_years", "reader_specialty", "item", "case", "round",
        "design", "truth", "answer", "correct", "confidence", "superclass", "label_set",
        "generator", "time_shown_s", "time_answered_s", "active_time_s", "answer_changes",
        "is_repeat", "label_consistent_answer", "source_for_label_question", "phase",
    ]  # fmt: skip
    frame = _judgment_rows(study, Assignment.Phase.MAIN, (Case.Kind.MAIN,))
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["correct"] = frame["answer"] == frame["truth"]
    frame["time_shown_s"] = frame["shown_at"].map(lambda t: t.timestamp())
    frame["time_answered_s"] = frame["answered_at"].map(lambda t: t.timestamp())
    frame["active_time_s"] = frame["active_time_ms"].astype(float) / 1000.0
    frame["is_repeat"] = frame["round"] == 2
    # The label question is about the top panel (paired) or the one ECG shown (single).
    top_source = np.where(frame["synthetic_on_top"] == True, "synthetic", "real")  # noqa: E712
    source = np.where(frame["design"] == "paired", top_source, frame["truth"])
    asked = frame["label_consistent_answer"].notna()
    frame["source_for_label_question"] = pd.Series(source, index=frame.index).where(asked)
    frame["label_consistent_answer"] = frame["label_consistent_answer"].astype(object)
    frame["phase"] = Assignment.Phase.MAIN.value
    return frame[columns].reset_index(drop=True)


def attention_frame(study: Study) -> pd.DataFrame:
    """Attention-check results, one row per judgment: reader, item, answer, passed."""
    frame = _judgment_rows(study, Assignment.Phase.MAIN, (Case.Kind.ATTENTION,))
    columns = ["reader", "item", "design", "truth", "answer", "passed", "confidence"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["passed"] = frame["answer"] == frame["truth"]
    return frame[columns].reset_index(drop=True)


def unaware_frame(study: Study) -> pd.DataFrame:
    """Unaware-phase ratings (before the reveal): quality and label fit per shown ECG."""
    frame = _judgment_rows(study, Assignment.Phase.UNAWARE, (Case.Kind.UNAWARE,))
    columns = [
        "reader", "reader_experience_years", "reader_specialty", "item", "case", "source",
        "quality", "label_consistent_answer", "superclass", "label_set", "generator", "phase",
    ]  # fmt: skip
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["source"] = frame["truth"]
    frame["generator"] = frame["generator"].where(frame["source"] == "synthetic")
    frame["phase"] = Assignment.Phase.UNAWARE.value
    return frame[columns].reset_index(drop=True)


REVISION_COLUMNS = {
    "reader": "judgment__assignment__enrolment__reader__username",
    "item": "judgment__assignment__token",
    "case": "judgment__assignment__case_id",
    "phase": "judgment__assignment__phase",
    "round": "judgment__round",
    "revision": "number",
    "answer": "answer",
    "confidence": "confidence",
    "label_consistent": "label_consistent",
    "quality": "quality",
    "reason": "reason",
    "answered_at": "answered_at",
    "active_time_ms": "active_time_ms",
    "answer_changes": "answer_changes",
    "client_token": "client_token",
}


def revisions_frame(study: Study) -> pd.DataFrame:
    """Every accepted submit of every judgment of the study (all phases), oldest first per
    judgment: the append-only answer history behind the current judgments."""
    rows = (
        JudgmentRevision.objects.filter(judgment__assignment__enrolment__study=study)
        .order_by("judgment__assignment__enrolment__reader_index", "judgment__assignment__position",
                  "number")
        .values_list(*REVISION_COLUMNS.values())
    )  # fmt: skip
    frame = pd.DataFrame(list(rows), columns=list(REVISION_COLUMNS))
    frame["answer"] = frame["answer"].map(lambda a: FRAME_SIDE.get(a, a))
    frame["answered_at"] = frame["answered_at"].map(lambda t: t.isoformat())
    return frame
