"""The reader's workflow: home, consent and profile, instructions, items, feedback, reveal, end.

Every page is login-protected and addressed by opaque tokens; a token that is not the
reader's own gives the same 404 as one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from assessment.errors import AlreadyAnsweredError, AnswerError, StudyStateError
from assessment.forms import AcknowledgeForm, ConsentForm, JudgmentForm
from assessment.labels import label_question
from assessment.models import Assignment, Enrolment, ReaderProfile, Study
from assessment.selectors import (
    answer_rules,
    assignment_for_reader,
    enrolment_for_reader,
    judgment_of,
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


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The reader's studies."""
    return render(request, "assessment/home.html", {"enrolments": reader_enrolments(request.user)})


@login_required
@require_safe
def study_continue(request: HttpRequest, token: str) -> HttpResponse:
    """Send the reader to their next step: this is how a reload or new login resumes."""
    return _to_next_step(_own_enrolment(request, token))


@login_required
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


@login_required
@require_get_or_post
def instructions(request: HttpRequest, token: str) -> HttpResponse:
    """How the study works; in an unaware study this says nothing of synthetic ECGs."""
    return _acknowledge(
        request, token, "instructions", enrolment_acknowledge_instructions,
        "assessment/instructions.html",
    )  # fmt: skip


@login_required
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
    """The study closed before the reader finished."""
    enrolment = _own_enrolment(request, token)
    return render(request, "assessment/closed.html", {"enrolment": enrolment})


@never_cache
@login_required
@require_get_or_post
def item(request: HttpRequest, token: str) -> HttpResponse:
    """One case: the ECG panel(s), the questions and the answer form."""
    assignment = assignment_for_reader(token, request.user)
    if assignment is None:
        raise Http404
    enrolment = assignment.enrolment
    study = enrolment.study
    step = next_step(enrolment)
    stored = None
    if step.assignment is None or step.assignment.pk != assignment.pk:
        stored = judgment_of(assignment)
        if stored is not None and assignment.phase == Assignment.Phase.PRACTICE:
            return redirect("assessment:feedback", token=assignment.token)
        if stored is None or not _may_change(assignment):
            return _to_next_step(enrolment)
    rules = answer_rules(assignment)
    form = JudgmentForm(_posted(request), rules=rules, initial=_initial(stored))
    if request.method == "POST" and form.is_valid():
        try:
            judgment_submit(reader=request.user, item_token=token, **form.service_kwargs())
        except AnswerError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except (AlreadyAnsweredError, StudyStateError) as exc:
            messages.info(request, str(exc))
            return _to_next_step(enrolment)
        else:
            if assignment.phase == Assignment.Phase.PRACTICE:
                return redirect("assessment:feedback", token=assignment.token)
            return _to_next_step(enrolment)
    assignment_mark_shown(assignment=assignment)
    answered, total = phase_progress(assignment)
    back = previous_assignment(assignment) if _may_change(assignment) else None
    context = {
        "assignment": assignment,
        "study": study,
        "enrolment": enrolment,
        "rules": rules,
        "form": form,
        "panels": _panels(assignment),
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
    context = {
        "assignment": assignment,
        "enrolment": assignment.enrolment,
        "panels": _panels(assignment),
        "truth": truth,
        "answer": stored.answer,
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
    step = next_step(enrolment)
    if step.name == "item":
        return redirect("assessment:item", token=step.assignment.token)
    return redirect(_STEP_URLS[step.name], token=enrolment.token)


def _acknowledge(request, token: str, step_name: str, service, template: str) -> HttpResponse:
    enrolment = _own_enrolment(request, token)
    if next_step(enrolment).name != step_name:
        return _to_next_step(enrolment)
    form = AcknowledgeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        service(enrolment=enrolment)
        return _to_next_step(enrolment)
    context = {"enrolment": enrolment, "study": enrolment.study, "form": form}
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


def _panels(assignment: Assignment) -> list[dict]:
    panels = [{"key": "a", "name": "A", "place": "top", "token": assignment.panel_a_token}]
    if assignment.panel_b_token:
        panels.append(
            {"key": "b", "name": "B", "place": "bottom", "token": assignment.panel_b_token}
        )
    for panel in panels:
        panel["url"] = reverse("assessment:panel-image", args=[panel["token"]])
    return panels
