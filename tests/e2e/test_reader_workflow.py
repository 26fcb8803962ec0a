"""A reader's whole study in the browser: consent, practice with feedback, keyboard-only
answers, resuming after a reload, completion; judgments checked in the database."""

from __future__ import annotations

import re

import pytest

from assessment.models import Assignment, Judgment
from assessment.services import EcgPool, study_seed
from tests.e2e.conftest import REAL_ORIGIN, SYNTHETIC_ORIGIN, log_in
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Main items answered with the keyboard: (answer key, confidence digit, stored answer).
KEYS = [("A", "5", "top"), ("B", "2", "bottom"), ("A", "6", "top")]


def item_token(page) -> str:
    match = re.search(r"/item/([\w-]+)/$", page.url)
    assert match, f"not on an item page: {page.url}"
    return match.group(1)


def answer_with_keyboard(page, answer_key: str, digit: str) -> None:
    page.wait_for_selector("#item-page")
    page.keyboard.press(answer_key)
    page.keyboard.press(digit)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def next_unanswered(enrolment) -> Assignment:
    return enrolment.assignments.filter(judgments__isnull=True).order_by("position").first()


def test_reader_consents_practises_answers_by_keyboard_resumes_and_finishes(
    page, live_server, e2e_store, reader_a
):
    study = study_seed(
        name="e2e-paired",
        design="paired",
        n=3,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=["alice"],
        practice=1,
        open_now=True,
    )
    enrolment = study.enrolments.get(reader=reader_a)
    log_in(page, live_server.url, "alice", PASSWORD)
    page.click(f"li[data-enrolment='{enrolment.token}'] .study-link")

    page.wait_for_selector("#consent-form")
    page.check("#id_consent")
    page.select_option("#id_specialty", "cardiology")
    page.fill("#id_years_experience", "12")
    page.fill("#id_ecgs_per_week", "60")
    with page.expect_navigation():
        page.click("#consent-submit")
    with page.expect_navigation():
        page.click("#instructions-continue")

    practice = page.locator("#item-page")
    assert practice.get_attribute("data-phase") == "practice"
    assert practice.get_attribute("data-design") == "paired"
    answer_with_keyboard(page, "B", "3")
    feedback = page.locator("#feedback")
    practice_truth = Assignment.objects.get(enrolment=enrolment, phase="practice")
    expected = "false" if practice_truth.synthetic_on_top else "true"
    assert feedback.get_attribute("data-correct") == expected
    with page.expect_navigation():
        page.click("#feedback-continue")

    shown_tokens = []
    for answer_key, digit, _ in KEYS[:2]:
        assert page.locator("#item-page").get_attribute("data-phase") == "main"
        shown_tokens.append(item_token(page))
        answer_with_keyboard(page, answer_key, digit)

    # The third main item: the one the server says is next, also after a reload and
    # after coming back through the reader's home page.
    resume = next_unanswered(enrolment)
    assert item_token(page) == resume.token
    assert page.locator("#progress-text").inner_text() == "item 3 of 3"
    page.reload()
    assert item_token(page) == resume.token
    assert page.locator("#progress").get_attribute("data-answered") == "2"
    page.goto(live_server.url + "/")
    with page.expect_navigation():
        page.click(f"li[data-enrolment='{enrolment.token}'] .study-link")
    assert item_token(page) == resume.token
    shown_tokens.append(resume.token)
    answer_with_keyboard(page, *KEYS[2][:2])

    assert page.locator("#completion-message").is_visible()
    judgments = Judgment.objects.filter(assignment__enrolment=enrolment).select_related(
        "assignment"
    )
    assert judgments.count() == 4  # 1 practice + 3 main
    main = sorted(
        (j for j in judgments if j.assignment.phase == "main"), key=lambda j: j.assignment.position
    )
    assert [j.assignment.token for j in main] == shown_tokens
    assert [(j.answer, j.confidence) for j in main] == [(a, int(d)) for _, d, a in KEYS]
    assert all(j.active_time_ms and j.active_time_ms > 0 for j in judgments)
    assert all(j.answer_changes == 0 for j in judgments)
    practice_judgment = judgments.get(assignment__phase="practice")
    assert (practice_judgment.answer, practice_judgment.confidence) == ("bottom", 3)
    enrolment.refresh_from_db()
    assert enrolment.consented_at and enrolment.completed_at
    assert reader_a.reader_profile.years_experience == 12
