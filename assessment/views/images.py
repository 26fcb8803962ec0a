"""ECG panel images by opaque token: harmonised with the study's spec, rendered as SVG.

Every panel goes through the same harmonisation and the same fixed-precision SVG writer,
and every response carries the same header set (ecg_render.responses), so neither
headers nor anything but the waveform itself can tell a real ECG from a synthetic one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from assessment.selectors import panel_for_reader, panel_signal
from ecg_render.responses import rendered_response


@login_required
@require_GET
def panel_image(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's own ECG panel as SVG; any other token is a 404."""
    found = panel_for_reader(token, request.user)
    if found is None:
        raise Http404
    signal, fs, options = panel_signal(*found)
    return rendered_response(signal, fs, options, "svg")
