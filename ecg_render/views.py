"""The view that serves a rendered ECG by an opaque token.

The token is resolved by the functions named in ``settings.ECG_RENDER_RESOLVERS``;
each takes ``(request, token)`` and returns ``(signal, fs, RenderOptions)`` or None.
A token no resolver accepts is a 404, the same for every reason.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET

from ecg_render.formats import CONTENT_TYPES
from ecg_render.responses import rendered_response


@cache
def _resolvers() -> tuple:
    return tuple(import_string(path) for path in settings.ECG_RENDER_RESOLVERS)


@login_required  # first, so a wrong method tells an anonymous visitor nothing
@require_GET
def rendered_ecg(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """Serve the ECG behind ``token`` as SVG, PNG, PDF or Plotly JSON."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    for resolve in _resolvers():
        found = resolve(request, token)
        if found is not None:
            signal, fs, options = found
            return rendered_response(signal, fs, options, fmt)
    raise Http404
