"""A reader's whole study in the browser with the keyboard only: home, consent, instructions,
practice with feedback, answers, resuming after a reload, completion; judgments checked in
the database."""

from __future__ import annotations

import re

import pytest

from assessment.models import Assignment, Judgment
from assessment.services import EcgPool, study_seed
from tests.e2e.conftest import REAL_ORIGIN, SYNTHETIC_ORIGIN, log_in, press_enter_and_follow
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
    press_enter_and_follow(page)


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
    row = page.locator(f"tr[data-enrolment='{enrolment.token}']")
    assert row.locator(".study-state").inner_text() == "not started"
    assert "3 items and 1 practice item left" in row.locator(".study-expect").inner_text()
    press_enter_and_follow(page)  # the first study of the home page

    # Consent: the checkbox has focus; Space ticks it, Tab moves on, typing picks the
    # specialty, and Enter in the last field submits.
    assert page.evaluate("() => document.activeElement.id") == "id_consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("Card")
    assert page.input_value("#id_specialty") == "cardiology"
    page.keyboard.press("Tab")
    page.keyboard.type("12")
    page.keyboard.press("Tab")
    page.keyboard.type("60")
    press_enter_and_follow(page)
    assert page.locator("#instructions-continue").is_visible()
    press_enter_and_follow(page)

    practice = page.locator("#item-page")
    assert practice.get_attribute("data-phase") == "practice"
    assert practice.get_attribute("data-design") == "paired"
    answer_with_keyboard(page, "B", "3")
    feedback = page.locator("#feedback")
    practice_truth = Assignment.objects.get(enrolment=enrolment, phase="practice")
    expected = "false" if practice_truth.synthetic_on_top else "true"
    assert feedback.get_attribute("data-correct") == expected
    # The feedback teaches: the synthetic ECG is marked, and the reader's answer is shown.
    synthetic = "a" if practice_truth.synthetic_on_top else "b"
    assert page.locator(f"#panel-{synthetic}-truth").is_visible()
    assert page.locator("#feedback-answer").inner_text() == "ECG B"
    assert page.locator("#feedback-confidence").inner_text() == "3 of 6"
    press_enter_and_follow(page)

    shown_tokens = []
    for answer_key, digit, _ in KEYS[:2]:
        assert page.locator("#item-page").get_attribute("data-phase") == "main"
        shown_tokens.append(item_token(page))
        answer_with_keyboard(page, answer_key, digit)

    # The third main item: the one the server says is next, also after a reload and
    # after coming back through the reader's home page.
    resume = next_unanswered(enrolment)
    assert item_token(page) == resume.token
    assert page.locator("#progress-text").inner_text() == "Item 3 of 3"
    page.reload()
    assert item_token(page) == resume.token
    assert page.locator("#progress").get_attribute("data-answered") == "2"
    page.goto(live_server.url + "/")
    assert page.locator(".study-state").inner_text() == "2 of 3"
    press_enter_and_follow(page)
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
