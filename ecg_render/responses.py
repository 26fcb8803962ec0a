"""HTTP responses for rendered ECGs whose headers never depend on the ECG's source."""

from __future__ import annotations

import numpy as np
from django.http import HttpResponse

from ecg_render.options import RenderOptions
from ecg_render.plotly_figure import plotly_json
from ecg_render.raster import render_pdf, render_png
from ecg_render.svg import render_svg

CONTENT_TYPES: dict[str, str] = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "json": "application/json",
}


def render_bytes(signal: np.ndarray, fs: float, options: RenderOptions, fmt: str) -> bytes:
    """The rendered ECG in one of :data:`CONTENT_TYPES`'s formats."""
    if fmt == "svg":
        return render_svg(signal, fs, options).encode("utf-8")
    if fmt == "png":
        return render_png(signal, fs, options)
    if fmt == "pdf":
        return render_pdf(signal, fs, options)
    if fmt == "json":
        return plotly_json(signal, fs, options).encode("utf-8")
    raise ValueError(f"unknown render format {fmt!r}; expected one of {sorted(CONTENT_TYPES)}")


def rendered_response(
    signal: np.ndarray, fs: float, options: RenderOptions, fmt: str
) -> HttpResponse:
    """A response with the same header set for every ECG: no caching, no file names,
    no validators (ETag/Last-Modified) that could tell two ECGs apart."""
    response = HttpResponse(render_bytes(signal, fs, options, fmt), content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = "private, no-store, max-age=0"
    return response
