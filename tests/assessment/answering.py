"""Walk readers through a study with the real services, for report and dashboard tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from assessment.models import Assignment, Enrolment, Study
from assessment.selectors import answer_rules, next_step
from assessment.services import enrolment_acknowledge_reveal, judgment_submit
from tests.assessment.conftest import ready

# Decides whether a reader answers an item correctly: (username, assignment) -> bool.
Chooser = Callable[[str, Assignment], bool]


def truth_answer(assignment: Assignment) -> str:
    """The correct answer to an item in the reader's vocabulary (top/bottom or real/synthetic)."""
    if assignment.case.is_pair:
        return "top" if assignment.synthetic_on_top else "bottom"
    return assignment.case.single_source


def wrong_answer(assignment: Assignment) -> str:
    opposite = {"top": "bottom", "bottom": "top", "real": "synthetic", "synthetic": "real"}
    return opposite[truth_answer(assignment)]


def active_ms(assignment: Assignment) -> int:
    """Time spent on an item in the fixtures: one second per list position, plus one."""
    return 1000 * (assignment.position + 1)


def answer_all(
    study: Study,
    choose: Chooser,
    limit: dict[str, int] | None = None,
    unaware: Callable[[Assignment], int] | None = None,
) -> None:
    """Walk each enrolled reader through their list with the real services.

    ``limit`` caps the number of items a reader answers (by username); the last answer of a
    reader who answers everything completes their list (the service does that). Confidence
    is 2 for a wrong answer and 5 for a right one; quality ratings are 3, or
    ``unaware(assignment)`` when given.
    """
    limit = limit or {}
    for enrolment in Enrolment.objects.filter(study=study).select_related("reader", "study"):
        ready(enrolment)
        username = enrolment.reader.username
        answered = 0
        while answered < limit.get(username, 10_000):
            step = next_step(enrolment)
            if step.name == "reveal":
                enrolment_acknowledge_reveal(enrolment=enrolment)
                continue
            if step.name != "item":
                break
            item = step.assignment
            rules = answer_rules(item)
            correct = choose(username, item)
            judgment_submit(
                reader=enrolment.reader,
                item_token=item.token,
                client_token=uuid.uuid4(),
                answer=(truth_answer(item) if correct else wrong_answer(item))
                if rules.asks_source
                else None,
                confidence=(5 if correct else 2) if rules.asks_confidence else None,
                label_consistent=True if rules.asks_label_consistency else None,
                quality=(unaware(item) if unaware else 3) if rules.asks_quality else None,
                active_time_ms=active_ms(item),
            )
            answered += 1


def alice_right_bob_alternates(username: str, assignment: Assignment) -> bool:
    """Alice is always right; bob is right on even list positions only."""
    return username == "alice" or assignment.position % 2 == 0
