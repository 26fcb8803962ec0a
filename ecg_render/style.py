"""Visual style of the rendered ECG: colours, line widths and fonts (no geometry)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """Colours (hex), stroke widths (mm) and font settings shared by every writer.

    The defaults imitate thermal ECG paper: a pale pink 1 mm grid under a stronger red
    5 mm grid, and a near-black trace thick enough to read without dominating the grid.
    """

    background: str = "#ffffff"
    minor_grid_colour: str = "#f7cfcf"
    major_grid_colour: str = "#e79a9a"
    minor_grid_width_mm: float = 0.1
    major_grid_width_mm: float = 0.2
    trace_colour: str = "#151515"
    trace_width_mm: float = 0.3
    text_colour: str = "#000000"
    # DejaVu Sans is installed on Debian; the generic fallback keeps browsers happy.
    font_family: str = "DejaVu Sans, sans-serif"
    label_font_size_mm: float = 3.5
    footer_font_size_mm: float = 3.0
    # A pale box behind each lead label keeps it legible where the trace runs through it.
    label_halo_opacity: float = 0.85
    # Clip markers: brackets in a colour no other mark uses, where a trace was flattened.
    clip_marker_colour: str = "#1d4ed8"
    clip_marker_width_mm: float = 0.4
    # Plotly works in screen pixels rather than millimetres.
    plotly_trace_width_px: float = 1.2
    plotly_major_grid_width_px: float = 1.0
    plotly_minor_grid_width_px: float = 0.5
    plotly_label_font_size_px: int = 12
