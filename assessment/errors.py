"""Domain errors of reader studies; every one is a ValueError with a message fit for staff."""

from __future__ import annotations


class AssessmentError(ValueError):
    """Base class: a request the study rules refuse."""


class StudySeedError(AssessmentError):
    """A study cannot be seeded as asked (unknown origin, too few ECGs to match, ...)."""


class StudyStateError(AssessmentError):
    """The study is not in a state that allows the operation (e.g. opening an open study)."""


class StudyFrozenError(StudyStateError):
    """The study is open or closed, so its cases and settings can no longer change."""


class AnswerError(AssessmentError):
    """A submitted answer breaks the study's rules; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class AlreadyAnsweredError(AssessmentError):
    """The item already has a judgment and the study does not allow changing answers."""


class BlindingLeakError(StudyStateError):
    """The blinding audit found a channel that tells real from synthetic ECGs."""

    def __init__(self, message: str, audit: dict) -> None:
        super().__init__(message)
        self.audit = audit
