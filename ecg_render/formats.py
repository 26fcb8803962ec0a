"""Rendered ECG bytes in each output format, and their media types (pure)."""

from __future__ import annotations

import numpy as np

from ecg_render.options import RenderOptions
from ecg_render.plotly_figure import plotly_json
from ecg_render.raster import DEFAULT_DPI, render_pdf, render_png
from ecg_render.svg import render_svg

CONTENT_TYPES: dict[str, str] = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "json": "application/json",
}


def render_bytes(
    signal: np.ndarray, fs: float, options: RenderOptions, fmt: str, *, dpi: float = DEFAULT_DPI
) -> bytes:
    """The rendered ECG as SVG, PNG (at ``dpi``), PDF or Plotly JSON bytes."""
    if fmt == "svg":
        return render_svg(signal, fs, options).encode("utf-8")
    if fmt == "png":
        return render_png(signal, fs, options, dpi)
    if fmt == "pdf":
        return render_pdf(signal, fs, options)
    if fmt == "json":
        return plotly_json(signal, fs, options).encode("utf-8")
    raise ValueError(f"unknown render format {fmt!r}; expected one of {sorted(CONTENT_TYPES)}")
