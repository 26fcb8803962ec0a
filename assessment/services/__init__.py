"""Writes of the assessment app; views, forms, the API, admin and commands call these."""

from assessment.services.judgments import SubmitResult, judgment_submit
from assessment.services.readers import (
    assignment_mark_shown,
    enrolment_acknowledge_instructions,
    enrolment_acknowledge_reveal,
    enrolment_complete,
    enrolment_consent,
    reader_retire,
)
from assessment.services.seeding import EcgPool, study_seed
from assessment.services.studies import case_exclude, study_close, study_enrol, study_open

__all__ = [
    "EcgPool",
    "SubmitResult",
    "assignment_mark_shown",
    "case_exclude",
    "enrolment_acknowledge_instructions",
    "enrolment_acknowledge_reveal",
    "enrolment_complete",
    "enrolment_consent",
    "judgment_submit",
    "reader_retire",
    "study_close",
    "study_enrol",
    "study_open",
    "study_seed",
]
