"""The reader's browser workflow, page by page (Django test client)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from assessment.models import Assignment, Enrolment, Judgment
from assessment.services import study_close
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db


def enrolment_of(reader) -> Enrolment:
    return Enrolment.objects.get(reader=reader)


def answer(
    client: Client, response, *, path: str | None = None, headers=None, follow=False, **fields
):
    """Post an answer on the item page ``response`` came from (at ``path``, by default the
    page's own address), with the page's own token."""
    html = response.content.decode()
    token = re.search(r'name="client_token" value="([^"]+)"', html).group(1)
    data = {"client_token": token, "active_time_ms": "2100", "answer_changes": "1", **fields}
    return client.post(path or response.request["PATH_INFO"], data, headers=headers, follow=follow)


BACKGROUND = {"X-Requested-With": "fetch"}


def test_login_required_everywhere(paired_study, reader_a):
    enrolment = enrolment_of(reader_a)
    item = enrolment.assignments.first()
    anonymous = Client()
    for url in [
        reverse("assessment:home"),
        reverse("assessment:continue", args=[enrolment.token]),
        reverse("assessment:consent", args=[enrolment.token]),
        reverse("assessment:item", args=[item.token]),
        reverse("assessment:panel-image", args=[item.panel_a_token]),
        reverse("assessment:staff-study-list"),
    ]:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response.url, url
    assert anonymous.get("/api/my/assignments/").status_code == 403


def test_first_visit_consent_profile_instructions_then_items(paired_study, reader_a, client_a):
    enrolment = enrolment_of(reader_a)
    response = client_a.get(reverse("assessment:home"))
    assert enrolment.token in response.content.decode()
    response = client_a.get(reverse("assessment:continue", args=[enrolment.token]), follow=True)
    assert response.templates[0].name == "assessment/consent.html"
    refused = client_a.post(response.request["PATH_INFO"], {"specialty": "cardiology"})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    response = client_a.post(
        response.request["PATH_INFO"],
        {"consent": "on", "specialty": "emergency medicine", "years_experience": "7",
         "ecgs_per_week": "40"},
        follow=True,
    )  # fmt: skip
    assert response.templates[0].name == "assessment/instructions.html"
    assert reader_a.reader_profile.years_experience == 7
    response = client_a.post(response.request["PATH_INFO"], {}, follow=True)
    first = enrolment.assignments.order_by("position").first()
    assert response.request["PATH_INFO"] == reverse("assessment:item", args=[first.token])
    assert 'id="answer-top"' in response.content.decode()


def test_submit_moves_to_the_next_item_and_records_times(paired_study, reader_a, client_a):
    ready(enrolment_of(reader_a))
    items = list(enrolment_of(reader_a).assignments.order_by("position"))
    page = client_a.get(reverse("assessment:item", args=[items[0].token]))
    response = answer(client_a, page, answer="bottom", confidence="5")
    assert response.url == reverse("assessment:item", args=[items[1].token])
    judgment = Judgment.objects.get()
    assert (judgment.answer, judgment.confidence, judgment.active_time_ms) == ("bottom", 5, 2100)
    assert judgment.answer_changes == 1
    assert judgment.shown_at <= judgment.answered_at


def test_a_background_answer_gets_the_next_item_page_itself(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    items = list(enrolment.assignments.order_by("position"))
    first = reverse("assessment:item", args=[items[0].token])
    page = client_a.get(first)
    response = answer(client_a, page, answer="top", confidence="4", headers=BACKGROUND)
    # The next item's page, as its own address would serve it, named in Content-Location
    # and never cached; the answer is stored and the next item marked shown.
    second = reverse("assessment:item", args=[items[1].token])
    assert response.status_code == 200 and response["Content-Location"] == second
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'data-phase="main"' in html and "Item 2 of 8" in html
    assert items[1].panel_a_token in html and items[0].panel_a_token not in html
    assert Judgment.objects.get().assignment == items[0]
    items[1].refresh_from_db()
    assert items[1].shown_at is not None
    # Its form answers the next item.
    assert (
        answer(client_a, response, path=second, answer="bottom", confidence="2").status_code == 302
    )
    assert Judgment.objects.filter(assignment=items[1], answer="bottom").exists()


def test_the_background_page_equals_the_item_page(paired_study, reader_a, client_a):
    """The page swapped in after a background answer is the page the item's own address
    serves (so everything the blinding tests check of item pages holds for it too)."""
    enrolment = ready(enrolment_of(reader_a))
    first, second = list(enrolment.assignments.order_by("position"))[:2]
    page = client_a.get(reverse("assessment:item", args=[first.token]))
    swapped = answer(client_a, page, answer="top", confidence="4", headers=BACKGROUND)
    served = client_a.get(reverse("assessment:item", args=[second.token]))

    def masked(response) -> str:
        html = response.content.decode()
        html = re.sub(r'name="client_token" value="[^"]+"', "", html)
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert masked(swapped) == masked(served)


def test_a_background_answer_leading_elsewhere_names_the_page_once(small_store, reader_a, client_a):
    seed(readers=("alice",), n=1, practice=1)
    enrolment = ready(enrolment_of(reader_a))
    practice, main = list(enrolment.assignments.order_by("position"))
    page = client_a.get(reverse("assessment:item", args=[practice.token]))
    response = answer(client_a, page, answer="top", confidence="4", headers=BACKGROUND)
    # Practice leads to its feedback; an empty 204 names it, for the page to load once.
    assert (response.status_code, response.content) == (204, b"")
    assert response["X-Next-Page"] == reverse("assessment:feedback", args=[practice.token])
    page = client_a.get(reverse("assessment:item", args=[main.token]))
    response = answer(client_a, page, answer="top", confidence="4", headers=BACKGROUND)
    assert response.status_code == 204
    assert response["X-Next-Page"] == reverse("assessment:done", args=[enrolment.token])


def test_a_background_answer_missing_something_gets_the_same_item_back(
    paired_study, reader_a, client_a
):
    enrolment = ready(enrolment_of(reader_a))
    first = enrolment.assignments.order_by("position").first()
    page = client_a.get(reverse("assessment:item", args=[first.token]))
    response = answer(client_a, page, answer="top", headers=BACKGROUND)
    assert response.status_code == 200 and "Content-Location" not in response
    html = response.content.decode()
    assert first.panel_a_token in html
    assert "Say how sure you are, from 1 (guessing) to 6 (certain)." in html
    assert not Judgment.objects.exists()


def test_a_stale_or_altered_page_is_told_in_words(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    first, second = list(enrolment.assignments.order_by("position"))[:2]
    page = client_a.get(reverse("assessment:item", args=[first.token]))
    answer(client_a, page, answer="top", confidence="4")
    # The first page's token again, on the second item (only a tampered page does this) ...
    reused = answer(
        client_a, page, path=reverse("assessment:item", args=[second.token]), answer="top",
        confidence="2", active_time_ms="999999999999",
    )  # fmt: skip
    assert reused.status_code == 200
    assert "This page is out of date and your answer was not saved" in reused.content.decode()
    assert Judgment.objects.count() == 1


def test_a_study_closed_while_reading_says_so_after_a_background_answer(
    paired_study, reader_a, client_a
):

    enrolment = ready(enrolment_of(reader_a))
    first = enrolment.assignments.order_by("position").first()
    page = client_a.get(reverse("assessment:item", args=[first.token]))
    study_close(study=paired_study)
    response = answer(client_a, page, answer="top", confidence="4", headers=BACKGROUND)
    assert response.status_code == 204
    closed = response["X-Next-Page"]
    assert closed == reverse("assessment:closed", args=[enrolment.token])
    assert client_a.get(closed).templates[0].name == "assessment/closed.html"
    assert not Judgment.objects.exists()


def test_home_shows_each_studys_progress_in_main_items(small_store, reader_a, client_a):
    fresh = seed("fresh", readers=("alice",), n=2)
    going = seed("going", readers=("alice",), n=3, practice=2, settings={"allow_shared_ecgs": True})
    finished = seed("finished", readers=("alice",), n=1, settings={"allow_shared_ecgs": True})
    going_enrolment = ready(going.enrolments.get())
    before = client_a.get(reverse("assessment:home")).content.decode()
    assert "3 items and 2 practice items left, about 4 min" in before
    for item in list(going_enrolment.assignments.order_by("position"))[:3]:  # 2 practice, 1 main
        page = client_a.get(reverse("assessment:item", args=[item.token]))
        answer(client_a, page, answer="top", confidence="3")
    finished_enrolment = ready(finished.enrolments.get())
    for item in finished_enrolment.assignments.all():
        page = client_a.get(reverse("assessment:item", args=[item.token]))
        answer(client_a, page, answer="top", confidence="3")
    html = client_a.get(reverse("assessment:home")).content.decode()

    def row(study):
        token = study.enrolments.get().token
        found = re.search(
            rf'data-enrolment="{token}"[^>]*data-state="([^"]+)">(.*?)</tr>', html, re.S
        )
        state, cells = found.groups()
        texts = [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        return state, texts[1], texts[2]

    assert row(fresh) == (
        "not started",
        "not started",
        "2 items left, about 2 min; 25 mm/s, 10 mm/mV",
    )
    assert row(going) == ("started", "1 of 3", "2 items left, about 2 min; 25 mm/s, 10 mm/mV")
    assert row(finished)[:2] == ("done", "done")


def test_double_posted_form_stores_one_judgment(paired_study, reader_a, client_a):
    ready(enrolment_of(reader_a))
    first = enrolment_of(reader_a).assignments.order_by("position").first()
    page = client_a.get(reverse("assessment:item", args=[first.token]))
    answer(client_a, page, answer="top", confidence="3")
    again = answer(client_a, page, answer="top", confidence="3")
    assert again.status_code == 302 and Judgment.objects.count() == 1


def test_a_different_answer_from_a_second_window_is_said_to_be_unsaved(
    paired_study, reader_a, client_a
):
    ready(enrolment_of(reader_a))
    items = list(enrolment_of(reader_a).assignments.order_by("position"))
    first_window = client_a.get(reverse("assessment:item", args=[items[0].token]))
    second_window = client_a.get(reverse("assessment:item", args=[items[0].token]))
    answer(client_a, first_window, answer="top", confidence="3")
    late = answer(client_a, second_window, answer="bottom", confidence="6", follow=True)
    assert late.request["PATH_INFO"] == reverse("assessment:item", args=[items[1].token])
    assert "was not saved" in late.content.decode()
    stored = Judgment.objects.get()
    assert (stored.answer, stored.confidence) == ("top", 3)
    # A repeat of the submit that was saved (a retried post) lost nothing: no such message.
    repeat = answer(client_a, first_window, answer="top", confidence="3", follow=True)
    assert "was not saved" not in repeat.content.decode()


def test_an_answer_sent_after_the_session_ended_is_said_to_be_unsaved(paired_study, reader_a):
    ready(enrolment_of(reader_a))
    first = enrolment_of(reader_a).assignments.order_by("position").first()
    url = reverse("assessment:item", args=[first.token])
    client = Client()
    client.force_login(reader_a)
    page = client.get(url)
    client.logout()
    login = answer(client, page, answer="top", confidence="3", follow=True)
    assert login.templates[0].name == "registration/login.html"
    assert "not saved" in login.content.decode()
    assert unquote(login.request["QUERY_STRING"]) == f"next={url}"
    background = answer(client, page, answer="top", confidence="3", headers=BACKGROUND)
    assert background.status_code == 204
    assert unquote(background["X-Next-Page"]).endswith(f"?next={url}")
    assert not Judgment.objects.exists()


def test_a_form_from_before_a_new_login_gets_a_page_leading_back(paired_study, reader_a):
    ready(enrolment_of(reader_a))
    first = enrolment_of(reader_a).assignments.order_by("position").first()
    url = reverse("assessment:item", args=[first.token])
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader_a)
    response = client.post(
        url,
        {"answer": "top", "confidence": "3", "client_token": str(uuid.uuid4())},
        headers={"Referer": f"http://testserver{url}"},
    )
    html = response.content.decode()
    assert response.status_code == 403 and 'id="form-expired"' in html
    assert f'href="http://testserver{url}"' in html
    elsewhere = client.post(url, {}, headers={"Referer": "https://example.org/x"})
    assert f'href="{reverse("assessment:home")}"' in elsewhere.content.decode()
    assert not Judgment.objects.exists()


def test_the_closed_page_is_only_for_a_closed_study(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    first = enrolment.assignments.order_by("position").first()
    response = client_a.get(reverse("assessment:closed", args=[enrolment.token]))
    assert response.url == reverse("assessment:item", args=[first.token])
    study_close(study=paired_study)
    response = client_a.get(reverse("assessment:closed", args=[enrolment.token]))
    assert response.templates[0].name == "assessment/closed.html"


def test_enter_on_the_home_page_continues_the_study_in_progress(small_store, reader_a, client_a):
    seed("fresh", readers=("alice",), n=2)
    going = seed("going", readers=("alice",), n=3, settings={"allow_shared_ecgs": True})
    ready(going.enrolments.get())
    html = client_a.get(reverse("assessment:home")).content.decode()
    entered = re.search(r'href="([^"]+)" data-enter', html).group(1)
    assert entered == reverse("assessment:continue", args=[going.enrolments.get().token])


def test_logout_address_asks_for_the_click_and_logs_out_on_post(reader_a, client_a):
    page = client_a.get(reverse("logout"))
    assert page.status_code == 200 and 'id="logout-confirm"' in page.content.decode()
    assert client_a.get(reverse("assessment:home")).status_code == 200  # still logged in
    client_a.post(reverse("logout"))
    assert client_a.get(reverse("assessment:home")).status_code == 302


def test_the_login_page_sends_a_logged_in_user_on(reader_a, client_a):
    response = client_a.get(reverse("login"))
    assert response.status_code == 302 and response.url == reverse("assessment:home")
    page = client_a.get(reverse("assessment:home")).content.decode()
    icon = re.search(r'<link rel="icon" href="/static/([^"]+)"', page).group(1)
    assert finders.find(icon), icon


def test_resume_after_logout_goes_to_the_next_unanswered_item(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    items = list(enrolment.assignments.order_by("position"))
    for item in items[:3]:
        page = client_a.get(reverse("assessment:item", args=[item.token]))
        answer(client_a, page, answer="top", confidence="2")
    client_a.logout()
    client_a.force_login(reader_a)
    response = client_a.get(reverse("assessment:continue", args=[enrolment.token]))
    assert response.url == reverse("assessment:item", args=[items[3].token])
    # An answered item cannot be revisited when changes are not allowed.
    back = client_a.get(reverse("assessment:item", args=[items[0].token]))
    assert back.url == reverse("assessment:item", args=[items[3].token])


def test_back_navigation_only_when_changes_are_allowed(small_store, reader_a, client_a):
    seed(readers=("alice",), settings={"allow_answer_changes": True})
    enrolment = ready(enrolment_of(reader_a))
    items = list(enrolment.assignments.order_by("position"))
    page = client_a.get(reverse("assessment:item", args=[items[0].token]))
    answer(client_a, page, answer="top", confidence="2")
    page = client_a.get(reverse("assessment:item", args=[items[1].token]))
    assert f'href="{reverse("assessment:item", args=[items[0].token])}"' in page.content.decode()
    revisit = client_a.get(reverse("assessment:item", args=[items[0].token]))
    assert revisit.status_code == 200 and "Save change" in revisit.content.decode()
    answer(client_a, revisit, answer="bottom", confidence="6")
    assert Judgment.objects.get().answer == "bottom"


def test_case_page_query_count(paired_study, reader_a, client_a, django_assert_num_queries):
    ready(enrolment_of(reader_a))
    first = enrolment_of(reader_a).assignments.order_by("position").first()
    url = reverse("assessment:item", args=[first.token])
    # session, user, assignment (+study, case), next step, mark shown, progress, the next
    # item (whose panels the page prefetches)
    with django_assert_num_queries(7):
        assert client_a.get(url).status_code == 200
    with django_assert_num_queries(6):  # shown_at is already set
        assert client_a.get(url).status_code == 200


def test_practice_gives_feedback_and_stays_out_of_main(small_store, reader_a, client_a):
    seed(readers=("alice",), n=6, practice=2)
    enrolment = ready(enrolment_of(reader_a))
    practice = enrolment.assignments.order_by("position").first()
    assert practice.phase == "practice"
    page = client_a.get(reverse("assessment:item", args=[practice.token]))
    assert "Practice item 1 of 2" in page.content.decode()
    response = answer(client_a, page, answer="top", confidence="2")
    assert response.url == reverse("assessment:feedback", args=[practice.token])
    feedback = client_a.get(response.url).content.decode()
    truth = "top" if practice.synthetic_on_top else "bottom"
    marked, unmarked = ("a", "b") if truth == "top" else ("b", "a")
    assert f"ECG {marked.upper()} was synthetic (marked in red)" in feedback
    assert f'data-correct="{"true" if truth == "top" else "false"}"' in feedback
    # The synthetic panel is marked on the image; the reader's own answer is shown.
    assert f'id="panel-{marked}-truth"' in feedback
    assert f'id="panel-{unmarked}-truth"' not in feedback
    assert re.search(r'id="feedback-answer">ECG A<', feedback)
    assert re.search(r'id="feedback-confidence">2 of 6<', feedback)


def test_main_items_have_no_feedback_page(paired_study, reader_a, client_a):
    ready(enrolment_of(reader_a))
    first = enrolment_of(reader_a).assignments.order_by("position").first()
    assert client_a.get(reverse("assessment:feedback", args=[first.token])).status_code == 404


def test_unaware_phase_then_reveal_then_main(small_store, reader_a, client_a):
    seed(readers=("alice",), n=4, unaware=2, settings={"unaware_phase": True})
    enrolment = ready(enrolment_of(reader_a))
    unaware = list(enrolment.assignments.filter(phase="unaware").order_by("position"))
    assert len(unaware) == 2
    instructions = client_a.get(reverse("assessment:instructions", args=[enrolment.token]))
    assert instructions.status_code == 302  # already acknowledged
    for item in unaware:
        page = client_a.get(reverse("assessment:item", args=[item.token]))
        html = page.content.decode()
        assert "synthetic" not in html.lower() and "question-source" not in html
        assert "unaware" not in html.lower() and "generat" not in html.lower()
        assert_static_files_say_nothing_of_the_source(html)
        response = answer(client_a, page, quality="4", label_consistent="yes")
    assert response.url == reverse("assessment:reveal", args=[enrolment.token])
    reveal = client_a.get(response.url).content.decode()
    assert "generated by a computer model" in reveal
    response = client_a.post(reverse("assessment:reveal", args=[enrolment.token]), {})
    main = enrolment.assignments.filter(phase="main").order_by("position").first()
    assert response.url == reverse("assessment:item", args=[main.token])
    stored = Judgment.objects.filter(assignment__phase="unaware")
    assert [(j.quality, j.label_consistent, j.answer) for j in stored] == [(4, True, "")] * 2


def assert_static_files_say_nothing_of_the_source(html: str) -> None:
    """The style sheets and scripts a page links are public to readers in every phase."""
    linked = re.findall(r'(?:href|src)="/static/([^"?]+)', html)
    assert any(path.endswith(".css") for path in linked)
    assert any(path.endswith(".js") for path in linked)
    for path in linked:
        text = Path(finders.find(path)).read_text().lower()
        assert "synthetic" not in text and "unaware" not in text and "generat" not in text, path


def test_done_page_after_the_last_item(small_store, reader_a, client_a):
    seed(readers=("alice",), n=2)
    enrolment = ready(enrolment_of(reader_a))
    for item in enrolment.assignments.order_by("position"):
        page = client_a.get(reverse("assessment:item", args=[item.token]))
        response = answer(client_a, page, answer="top", confidence="1")
    assert response.url == reverse("assessment:done", args=[enrolment.token])
    done = client_a.get(response.url)
    assert 'id="completion-message"' in done.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None


def test_csrf_is_enforced_on_answers(paired_study, reader_a):
    ready(enrolment_of(reader_a))
    first = enrolment_of(reader_a).assignments.order_by("position").first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader_a)
    response = client.post(
        reverse("assessment:item", args=[first.token]),
        {"answer": "top", "confidence": "3", "client_token": str(uuid.uuid4())},
    )
    assert response.status_code == 403 and not Judgment.objects.exists()


def test_draft_study_is_invisible_to_readers(small_store, reader_a, client_a):
    seed(readers=("alice",), open_now=False)
    enrolment = enrolment_of(reader_a)
    assert client_a.get(reverse("assessment:continue", args=[enrolment.token])).status_code == 404
    home = client_a.get(reverse("assessment:home")).content.decode()
    assert enrolment.token not in home and 'id="no-studies"' in home
    assert not Assignment.objects.exists()
