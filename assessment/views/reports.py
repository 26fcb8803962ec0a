"""Staff report pages: a study's progress dashboard and its CSV / JSON / HTML downloads.

Readers never learn these pages exist: a signed-in non-staff user gets 404, an anonymous
visitor the login page.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from assessment.models import Study
from assessment.reporting import EXPORT_FORMATS, study_dashboard, study_export
from assessment.views.access import staff_only


@staff_only
@require_safe
@never_cache
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Per-reader progress, overall completion and the running statistics of a study."""
    study = get_object_or_404(Study, pk=pk)
    context = {
        "dashboard": study_dashboard(study),
        "export_formats": EXPORT_FORMATS.items(),
    }
    return render(request, "assessment/reports/dashboard.html", context)


@staff_only
@require_safe
@never_cache
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Download the study's judgments (csv), summary (json), self-contained report (html) or
    answer history (history)."""
    if fmt not in EXPORT_FORMATS:
        raise Http404(f"unknown export format {fmt!r}")
    study = get_object_or_404(Study, pk=pk)
    report = study_export(study, fmt)
    response = HttpResponse(report.content, content_type=report.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=report.filename
    )
    return response
