"""Staff pages: the staff home (every study and its progress), a study's detail page
(readers' progress, seeding summary, cases, open/close) and the confirmation to close.

The detail page (``assessment:staff-study-detail``) is where reports and exports link from.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from assessment.audit.result import audit_verdict
from assessment.errors import AssessmentError
from assessment.forms import split_names
from assessment.models import Study
from assessment.planning.summary import seeding_rows, seeding_strata
from assessment.reporting import EXPORT_FORMATS
from assessment.selectors import percent, staff_study_overview, study_reader_progress
from assessment.services import study_close, study_enrol, study_open
from assessment.services.audit import blinding_audit
from assessment.views.access import staff_only
from generator.standins import STANDIN_ORIGIN


@staff_only
@require_safe
def study_list(request: HttpRequest) -> HttpResponse:
    """The staff home: every study with its status and its readers' progress."""
    return render(request, "assessment/staff/study_list.html", {"studies": staff_study_overview()})


@staff_only
@require_safe
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A study's settings, seeding summary, cases and per-reader progress."""
    study = get_object_or_404(Study, pk=pk)
    readers = study_reader_progress(study)
    context = {
        "study": study,
        "export_formats": EXPORT_FORMATS.items(),
        "cases": study.cases.select_related("real_ecg", "synthetic_ecg").defer(
            "real_ecg__signal_blob", "synthetic_ecg__signal_blob"
        ),
        "readers": readers,
        "progress": _progress_totals(readers),
        "seeding_rows": seeding_rows(study.seeding or {}),
        "seeding_strata": seeding_strata(study.seeding or {}),
        "uses_standins": study.cases.filter(
            Q(real_ecg__origin=STANDIN_ORIGIN) | Q(synthetic_ecg__origin=STANDIN_ORIGIN)
        ).exists(),
        **_audit_context(study),
    }
    return render(request, "assessment/staff/study_detail.html", context)


def _audit_context(study: Study) -> dict:
    """The stored blinding audit and its one-sentence verdict, for _blinding_audit.html."""
    audit = study.blinding_audit
    return {"audit": audit, "audit_verdict": audit_verdict(audit) if audit else ""}


def _progress_totals(readers: list) -> dict:
    """Main items answered of all readers together, and who has not finished."""
    answered = sum(r.main_answered for r in readers)
    total = sum(r.main_total for r in readers)
    return {
        "main_answered": answered,
        "main_total": total,
        "main_percent": percent(answered, total),
        "completed": sum(r.completed for r in readers),
        "unfinished": [r for r in readers if not r.completed],
    }


@staff_only
def study_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """The study's blinding audit per channel; a POST runs it again."""
    study = get_object_or_404(Study, pk=pk)
    if request.method == "POST":
        try:
            blinding_audit(study=study)
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Blinding audit run.")
        return redirect("assessment:staff-study-audit", pk=study.pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    context = {"study": study, **_audit_context(study)}
    return render(request, "assessment/staff/study_audit.html", context)


@staff_only
@require_POST
def study_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Audit, freeze and open a draft study; a failed audit needs a recorded reason."""
    reason = request.POST.get("override_reason", "")[:2000]

    def open_with_reason(*, study: Study) -> Study:
        return study_open(
            study=study, override_reason=reason, opened_by=request.user.get_username()
        )

    return _lifecycle(request, pk, open_with_reason, "opened")


@staff_only
def study_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what closing the study means for its readers, and a button to confirm.
    POST with ``confirm=yes``: stop accepting judgments."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    study = get_object_or_404(Study, pk=pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Closing a study needs the confirmation on this page.")
            return redirect("assessment:staff-study-close", pk=study.pk)
        return _lifecycle(request, pk, study_close, "closed")
    if study.status != Study.Status.OPEN:
        messages.error(
            request, f"Only an open study can be closed ('{study.name}' is {study.status})."
        )
        return redirect("assessment:staff-study-detail", pk=study.pk)
    readers = study_reader_progress(study)
    context = {"study": study, "readers": readers, "progress": _progress_totals(readers)}
    return render(request, "assessment/staff/study_close.html", context)


@staff_only
@require_POST
def study_enrol_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the comma-separated ``readers`` to a draft or open study."""
    study = get_object_or_404(Study, pk=pk)
    usernames = split_names(request.POST.get("readers", "")[:10_000])
    if not usernames:
        messages.error(request, "Name at least one reader to enrol (usernames, comma-separated).")
        return redirect("assessment:staff-study-detail", pk=study.pk)
    try:
        created = study_enrol(study=study, usernames=usernames)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _enrolled_text(study, [e.reader.get_username() for e in created]))
    return redirect("assessment:staff-study-detail", pk=study.pk)


def _enrolled_text(study: Study, usernames: list[str]) -> str:
    if not usernames:
        return "Those readers were already enrolled; nothing changed."
    when = "their items are ready" if study.status == Study.Status.OPEN else "items at opening"
    return f"Enrolled {', '.join(usernames)} in '{study.name}' ({when})."


def _lifecycle(request: HttpRequest, pk: int, service, verb: str) -> HttpResponse:
    study = get_object_or_404(Study, pk=pk)
    try:
        service(study=study)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Study '{study.name}' {verb}.")
    return redirect("assessment:staff-study-detail", pk=study.pk)
