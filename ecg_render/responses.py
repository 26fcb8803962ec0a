"""HTTP responses for rendered ECGs whose headers never depend on the ECG's source."""

from __future__ import annotations

import numpy as np
from django.http import HttpResponse

from ecg_render.formats import CONTENT_TYPES, render_bytes
from ecg_render.options import RenderOptions


def rendered_response(
    signal: np.ndarray, fs: float, options: RenderOptions, fmt: str
) -> HttpResponse:
    """A response with the same header set for every ECG: no caching, no file names,
    no validators (ETag/Last-Modified) that could tell two ECGs apart."""
    response = HttpResponse(render_bytes(signal, fs, options, fmt), content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = "private, no-store, max-age=0"
    return response
