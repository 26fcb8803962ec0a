"""The reader's workflow: home, consent and profile, instructions, items, feedback, reveal, end.

Every page is login-protected and addressed by opaque tokens; a token that is not the
reader's own gives the same 404 as one that does not exist.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from assessment.errors import AlreadyAnsweredError, AnswerError, StudyStateError
from assessment.forms import (
    ANSWER_TEXT,
    AcknowledgeForm,
    ConsentForm,
    JudgmentForm,
    missing_texts,
)
from assessment.labels import label_question
from assessment.models import Assignment, Enrolment, ReaderProfile, Study
from assessment.reading import expectations, page_geometry
from assessment.selectors import (
    ItemCounts,
    answer_rules,
    assignment_for_reader,
    enrolment_for_reader,
    enrolment_item_counts,
    judgment_has_client_token,
    judgment_of,
    next_assignment,
    next_step,
    phase_progress,
    previous_assignment,
    reader_enrolments,
)
from assessment.services import (
    assignment_mark_shown,
    enrolment_acknowledge_instructions,
    enrolment_acknowledge_reveal,
    enrolment_consent,
    judgment_submit,
)
from assessment.services.panels import study_page

_STEP_URLS = {
    "consent": "assessment:consent",
    "instructions": "assessment:instructions",
    "reveal": "assessment:reveal",
    "done": "assessment:done",
    "closed": "assessment:closed",
}

# Pages with a form take GET and POST only, so PUT/DELETE/HEAD never render (or mark
# shown) an item; the others are read-only. Both sit below login_required, so an
# anonymous visitor always gets the login page whatever the method.
require_get_or_post = require_http_methods(["GET", "POST"])

SIGNED_OUT_BEFORE_SAVING = (
    "What you sent was not saved, because you had been signed out. Log in, and you will be "
    "back on the same page to send it again."
)


def reader_login_required(view):
    """``login_required`` for the pages that take a form: a post from a reader whose session
    ended while the page was open is told, after logging in, that it was not saved."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.method == "POST":
            messages.warning(request, SIGNED_OUT_BEFORE_SAVING)
        return _go(request, redirect_to_login(request.get_full_path()).url)

    return guarded


ALREADY_ANSWERED_ELSEWHERE = (
    "That item had already been answered (in another window or tab), so the answer just "
    "sent was not saved. This is the next item."
)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The reader's studies, each with its progress and what to expect."""
    enrolments = list(reader_enrolments(request.user))
    counts = enrolment_item_counts([e.pk for e in enrolments])
    rows = []
    for enrolment in enrolments:
        count = counts[enrolment.pk]
        rows.append(
            {
                "enrolment": enrolment,
                "answered": count.answered,
                "total": count.total,
                "state": _reading_state(enrolment, count.answered),
                "expect": _expectations(enrolment.study, count),
            }
        )
    # Enter continues the study in progress first, else the first one not started.
    first_open = next(
        (
            row["enrolment"].pk
            for state in ("started", "not started")
            for row in rows
            if row["state"] == state
        ),
        None,
    )
    return render(request, "assessment/home.html", {"rows": rows, "first_open": first_open})


@login_required
@require_safe
def study_continue(request: HttpRequest, token: str) -> HttpResponse:
    """Send the reader to their next step: this is how a reload or new login resumes."""
    return _to_next_step(_own_enrolment(request, token))


@reader_login_required
@require_get_or_post
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """Consent and profile (specialty, experience, ECGs per week)."""
    enrolment = _own_enrolment(request, token)
    if next_step(enrolment).name != "consent":
        return _to_next_step(enrolment)
    profile = ReaderProfile.objects.filter(user=request.user).first()
    initial = (
        {}
        if profile is None
        else {
            "specialty": profile.specialty,
            "years_experience": profile.years_experience,
            "ecgs_per_week": profile.ecgs_per_week,
        }
    )
    form = ConsentForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enrolment_consent(
            enrolment=enrolment,
            specialty=data["specialty"],
            years_experience=data["years_experience"],
            ecgs_per_week=data["ecgs_per_week"],
        )
        return _to_next_step(enrolment)
    return render(request, "assessment/consent.html", {"enrolment": enrolment, "form": form})


@reader_login_required
@require_get_or_post
def instructions(request: HttpRequest, token: str) -> HttpResponse:
    """How the study works; in an unaware study this says nothing of synthetic ECGs."""
    return _acknowledge(
        request, token, "instructions", enrolment_acknowledge_instructions,
        "assessment/instructions.html",
    )  # fmt: skip


@reader_login_required
@require_get_or_post
def reveal(request: HttpRequest, token: str) -> HttpResponse:
    """After the unaware phase: the study includes synthetic ECGs; the main instructions."""
    return _acknowledge(
        request, token, "reveal", enrolment_acknowledge_reveal, "assessment/reveal.html"
    )


@login_required
@require_safe
def done(request: HttpRequest, token: str) -> HttpResponse:
    """The completion message (the last answer already completed the list: a GET writes
    nothing)."""
    enrolment = _own_enrolment(request, token)
    if next_step(enrolment).name != "done":
        return _to_next_step(enrolment)
    return render(request, "assessment/done.html", {"enrolment": enrolment})


@login_required
@require_safe
def closed(request: HttpRequest, token: str) -> HttpResponse:
    """The study closed before the reader finished (otherwise: the reader's next step)."""
    enrolment = _own_enrolment(request, token)
    if next_step(enrolment).name != "closed":
        return _to_next_step(enrolment)
    return render(request, "assessment/closed.html", {"enrolment": enrolment})


@never_cache
@reader_login_required
@require_get_or_post
def item(request: HttpRequest, token: str) -> HttpResponse:
    """One case: the ECG panel(s), the questions and the answer form."""
    assignment = assignment_for_reader(token, request.user)
    if assignment is None:
        raise Http404
    enrolment = assignment.enrolment
    step = next_step(enrolment)
    stored = None
    if step.assignment is None or step.assignment.pk != assignment.pk:
        stored = judgment_of(assignment)
        if stored is not None and assignment.phase == Assignment.Phase.PRACTICE:
            return _go(request, reverse("assessment:feedback", args=[assignment.token]))
        if stored is None or not _may_change(assignment):
            if _answered_elsewhere(request, stored):
                messages.info(request, ALREADY_ANSWERED_ELSEWHERE)
            return _go(request, _next_step_url(enrolment, step))
    rules = answer_rules(assignment)
    missing = missing_texts(rules)
    form = JudgmentForm(_posted(request), rules=rules, initial=_initial(stored))
    if request.method == "POST" and form.is_valid():
        try:
            judgment_submit(reader=request.user, item_token=token, **form.service_kwargs())
        except AnswerError as exc:
            field = exc.field if exc.field in form.fields else None
            left_blank = field is not None and form.cleaned_data.get(field) in (None, "")
            form.add_error(field, missing.get(field, exc.message) if left_blank else exc.message)
        except (AlreadyAnsweredError, StudyStateError) as exc:
            messages.info(request, str(exc))
            return _go(request, _next_step_url(enrolment))
        else:
            if assignment.phase == Assignment.Phase.PRACTICE:
                return _go(request, reverse("assessment:feedback", args=[assignment.token]))
            return _after_answer(request, enrolment)
    return _item_page(request, assignment, form, missing, stored)


def _answered_elsewhere(request: HttpRequest, stored) -> bool:
    """A post to an item whose stored answer came from another submit (another window),
    not a repeat of the submit that stored it (a retried post: nothing was lost)."""
    if request.method != "POST" or stored is None:
        return False
    return not judgment_has_client_token(stored, request.POST.get("client_token", ""))


def _is_background(request: HttpRequest) -> bool:
    """A post the case page sent in the background (static/js/item.js)."""
    return request.headers.get("X-Requested-With") == "fetch"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Send the reader to ``url``: a redirect, or for a background post an empty 204 naming
    ``url`` in X-Next-Page, so the page loads it once (a followed redirect would fetch it
    unseen first, using up its messages)."""
    if not _is_background(request):
        return redirect(url)
    response = HttpResponse(status=204)
    response["X-Next-Page"] = url
    return response


def _after_answer(request: HttpRequest, enrolment: Enrolment) -> HttpResponse:
    """Where an answered item leads. A background post from the case page gets the next
    item's page itself (its address in Content-Location), saving the redirect's round trip;
    anything else goes to the next step as usual."""
    step = next_step(enrolment)
    if step.name != "item" or not _is_background(request):
        return _go(request, _next_step_url(enrolment, step))
    upcoming = step.assignment
    rules = answer_rules(upcoming)
    form = JudgmentForm(None, rules=rules, initial={})
    response = _item_page(request, upcoming, form, missing_texts(rules), None)
    response["Content-Location"] = reverse("assessment:item", args=[upcoming.token])
    return response


def _item_page(request, assignment: Assignment, form, missing: dict, stored) -> HttpResponse:
    """The case page of ``assignment`` (marked shown), with ``form`` as its answer form."""
    enrolment = assignment.enrolment
    study = enrolment.study
    rules = form.rules
    assignment_mark_shown(assignment=assignment)
    answered, total = phase_progress(assignment)
    back = previous_assignment(assignment) if _may_change(assignment) else None
    upcoming = next_assignment(assignment)
    context = {
        "assignment": assignment,
        "study": study,
        "enrolment": enrolment,
        "rules": rules,
        "form": form,
        "missing": missing,
        "panels": _panels(assignment),
        "geometry": page_geometry(study_page(study)),
        "prefetch": [p["url"] for p in _panels(upcoming)] if upcoming else [],
        "label_text": label_question(assignment.case.label_set)
        if rules.asks_label_consistency
        else "",
        "progress": {"answered": answered, "total": total, "current": min(answered + 1, total)},
        "back_url": reverse("assessment:item", args=[back.token]) if back else "",
        "changing": stored is not None,
    }
    return render(request, "assessment/item.html", context)


@never_cache
@login_required
@require_safe
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """Practice items only: whether the answer was right (never shown in the main phase)."""
    assignment = assignment_for_reader(token, request.user)
    if assignment is None or assignment.phase != Assignment.Phase.PRACTICE:
        raise Http404
    stored = judgment_of(assignment)
    if stored is None:
        return redirect("assessment:item", token=assignment.token)
    truth = assignment.right_answer
    panels = _panels(assignment)
    for panel in panels:
        panel["synthetic"] = truth in (panel["place"], "synthetic")
    context = {
        "assignment": assignment,
        "enrolment": assignment.enrolment,
        "study": assignment.enrolment.study,
        "panels": panels,
        "geometry": page_geometry(study_page(assignment.enrolment.study)),
        "truth": truth,
        "judgment": stored,
        "answer_text": ANSWER_TEXT.get(stored.answer, stored.answer),
        "correct": stored.answer == truth,
    }
    return render(request, "assessment/feedback.html", context)


def _posted(request: HttpRequest):
    """The POST data of a POST (even an empty one), else None for an unbound form."""
    return request.POST if request.method == "POST" else None


def _own_enrolment(request: HttpRequest, token: str) -> Enrolment:
    enrolment = enrolment_for_reader(token, request.user)
    if enrolment is None:
        raise Http404
    return enrolment


def _to_next_step(enrolment: Enrolment) -> HttpResponse:
    return redirect(_next_step_url(enrolment))


def _next_step_url(enrolment: Enrolment, step=None) -> str:
    step = step or next_step(enrolment)
    if step.name == "item":
        return reverse("assessment:item", args=[step.assignment.token])
    return reverse(_STEP_URLS[step.name], args=[enrolment.token])


def _acknowledge(request, token: str, step_name: str, service, template: str) -> HttpResponse:
    enrolment = _own_enrolment(request, token)
    if next_step(enrolment).name != step_name:
        return _to_next_step(enrolment)
    form = AcknowledgeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        service(enrolment=enrolment)
        return _to_next_step(enrolment)
    count = enrolment_item_counts([enrolment.pk])[enrolment.pk]
    context = {
        "enrolment": enrolment,
        "study": enrolment.study,
        "form": form,
        "expect": _expectations(enrolment.study, count),
    }
    return render(request, template, context)


def _may_change(assignment: Assignment) -> bool:
    study = assignment.enrolment.study
    return (
        study.allow_answer_changes
        and study.status == Study.Status.OPEN
        and assignment.phase == Assignment.Phase.MAIN
    )


def _initial(stored) -> dict:
    if stored is None:
        return {}
    label = (
        None if stored.label_consistent is None else ("yes" if stored.label_consistent else "no")
    )
    return {
        "answer": stored.answer,
        "confidence": stored.confidence,
        "label_consistent": label,
        "quality": stored.quality,
        "reason": stored.reason,
    }


def _reading_state(enrolment: Enrolment, answered: int) -> str:
    if enrolment.completed_at is not None:
        return "done"
    if enrolment.study.status == Study.Status.CLOSED:
        return "closed"
    return "started" if answered or enrolment.consented_at else "not started"


def _expectations(study: Study, count: ItemCounts):
    return expectations(
        study_page(study), items=count.left, paired=study.is_paired, practice=count.practice_left
    )


def _panels(assignment: Assignment) -> list[dict]:
    panels = [{"key": "a", "name": "A", "place": "top", "token": assignment.panel_a_token}]
    if assignment.panel_b_token:
        panels.append(
            {"key": "b", "name": "B", "place": "bottom", "token": assignment.panel_b_token}
        )
    for panel in panels:
        panel["url"] = reverse("assessment:panel-image", args=[panel["token"]])
    return panels
