"""Blinded, printout-faithful rendering of 12-lead ECGs as SVG, PNG, PDF and Plotly figures."""

from ecg_render.options import LAYOUTS, RenderOptions
from ecg_render.plotly_figure import plotly_figure, plotly_json
from ecg_render.raster import render_pdf, render_png
from ecg_render.style import Style
from ecg_render.svg import render_svg

__all__ = [
    "LAYOUTS",
    "RenderOptions",
    "Style",
    "plotly_figure",
    "plotly_json",
    "render_pdf",
    "render_png",
    "render_svg",
]
