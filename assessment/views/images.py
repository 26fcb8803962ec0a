"""ECG panel images by opaque token, served from the study's panel cache.

Every panel of a study is harmonised and rendered the same way, padded to one
Content-Length and served with one header set (assessment.services.panels), so nothing
but the waveform itself can tell a real ECG from a synthetic one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from assessment.selectors import panel_for_reader
from assessment.services.panels import panel_response


@login_required
@require_GET
def panel_image(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's own ECG panel as SVG; any other token is a 404."""
    found = panel_for_reader(token, request.user)
    if found is None:
        raise Http404
    assignment, panel = found
    return panel_response(assignment.enrolment.study, assignment.panel_ecg_id(panel))
