"""SVG writer: a deterministic millimetre-unit SVG document of a 12-lead ECG page."""

from __future__ import annotations

from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ecg_render.layout import Page, footer_text, grid_positions, page_layout
from ecg_render.options import RenderOptions
from ecg_render.style import Style
from ecg_render.traces import format_coordinates, format_mm, segment_trace, validate_signal

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def render_svg(signal: np.ndarray, fs: float, options: RenderOptions | None = None) -> str:
    """Render a standard-order (12, N) mV signal sampled at ``fs`` Hz as an SVG string.

    The output depends only on the signal, ``fs`` and ``options``: no title, id, date or
    other metadata, attributes sorted and numbers rounded to 0.01 mm. Trace coordinates
    have a fixed width (see :func:`~ecg_render.traces.format_coordinate`), so every
    signal gives a document of the same length for a given ``fs`` and ``options``.
    """
    options = options or RenderOptions()
    array, rate = validate_signal(signal, fs)
    page = page_layout(options)
    style = options.style
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        _open_tag(
            "svg",
            {
                "xmlns": SVG_NAMESPACE,
                "width": f"{format_mm(page.width_mm)}mm",
                "height": f"{format_mm(page.height_mm)}mm",
                "viewBox": f"0 0 {format_mm(page.width_mm)} {format_mm(page.height_mm)}",
            },
        ),
        _empty_tag(
            "rect",
            {
                "fill": style.background,
                "x": "0",
                "y": "0",
                "width": format_mm(page.width_mm),
                "height": format_mm(page.height_mm),
            },
        ),
        *_grid(page, style),
    ]
    if options.clip:
        lines.extend(_row_clip_paths(page))
    lines.extend(_calibration_and_separators(page, style))
    lines.extend(_traces(array, rate, page, style, options.clip))
    lines.extend(_text(page, style, rate))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _grid(page: Page, style: Style) -> list[str]:
    minor_x, major_x = grid_positions(page.width_mm)
    minor_y, major_y = grid_positions(page.height_mm)
    width, height = format_mm(page.width_mm), format_mm(page.height_mm)
    paths = []
    for kind, xs, ys, colour, stroke in (
        ("grid-minor", minor_x, minor_y, style.minor_grid_colour, style.minor_grid_width_mm),
        ("grid-major", major_x, major_y, style.major_grid_colour, style.major_grid_width_mm),
    ):
        vertical = "".join(f"M{format_mm(x)} 0V{height}" for x in xs)
        horizontal = "".join(f"M0 {format_mm(y)}H{width}" for y in ys)
        attributes = {"class": kind, "d": vertical + horizontal, "fill": "none"}
        attributes |= {"stroke": colour, "stroke-width": format_mm(stroke)}
        paths.append(_empty_tag("path", attributes))
    return paths


def _row_clip_paths(page: Page) -> list[str]:
    lines = ["<defs>"]
    for row in page.rows:
        lines.append(_open_tag("clipPath", {"id": f"row-{row.index}"}))
        rect = {
            "x": "0",
            "y": format_mm(row.top_mm),
            "width": format_mm(page.width_mm),
            "height": format_mm(row.bottom_mm - row.top_mm),
        }
        lines.extend([_empty_tag("rect", rect), "</clipPath>"])
    lines.append("</defs>")
    return lines


def _calibration_and_separators(page: Page, style: Style) -> list[str]:
    lines = [_open_tag("g", _stroke_attributes(style, "marks"))]
    for polyline in page.calibrations:
        d = "M" + "L".join(f"{format_mm(x)} {format_mm(y)}" for x, y in polyline)
        lines.append(_empty_tag("path", {"class": "calibration", "d": d}))
    if page.separators:
        d = "".join(
            f"M{format_mm(x)} {format_mm(top)}V{format_mm(bottom)}"
            for x, top, bottom in page.separators
        )
        lines.append(_empty_tag("path", {"class": "separators", "d": d}))
    lines.append("</g>")
    return lines


def _traces(array: np.ndarray, fs: float, page: Page, style: Style, clip: bool) -> list[str]:
    lines = [_open_tag("g", _stroke_attributes(style, "traces"))]
    for segment in page.segments:
        xs, ys = segment_trace(array, fs, segment, page)
        attributes = {"d": _polyline(xs, ys), "data-lead": segment.label}
        if clip:
            attributes["clip-path"] = f"url(#row-{segment.row})"
        lines.append(_empty_tag("path", attributes))
    lines.append("</g>")
    return lines


def _text(page: Page, style: Style, fs: float) -> list[str]:
    group = {
        "class": "labels",
        "fill": style.text_colour,
        "font-family": style.font_family,
        "font-size": format_mm(style.label_font_size_mm),
    }
    lines = [_open_tag("g", group)]
    for segment in page.segments:
        position = {"x": format_mm(segment.label_x_mm), "y": format_mm(segment.label_y_mm)}
        lines.append(_text_element(position, segment.label))
    footer = {
        "class": "footer",
        "font-size": format_mm(style.footer_font_size_mm),
        "x": format_mm(page.footer_x_mm),
        "y": format_mm(page.footer_y_mm),
    }
    lines.extend([_text_element(footer, footer_text(page, fs)), "</g>"])
    return lines


def _polyline(xs: np.ndarray, ys: np.ndarray) -> str:
    numbers = format_coordinates(np.column_stack([xs, ys]))  # x0, y0, x1, y1, ...
    pairs = [f"{x} {y}" for x, y in zip(numbers[0::2], numbers[1::2], strict=True)]
    return "M" + pairs[0] + ("L" + " ".join(pairs[1:]) if len(pairs) > 1 else "")


def _stroke_attributes(style: Style, kind: str) -> dict[str, str]:
    return {
        "class": kind,
        "fill": "none",
        "stroke": style.trace_colour,
        "stroke-linecap": "round",
        "stroke-linejoin": "round",
        "stroke-width": format_mm(style.trace_width_mm),
    }


def _attributes(attributes: Mapping[str, str]) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in sorted(attributes.items()))


def _open_tag(tag: str, attributes: Mapping[str, str]) -> str:
    return f"<{tag}{_attributes(attributes)}>"


def _empty_tag(tag: str, attributes: Mapping[str, str]) -> str:
    return f"<{tag}{_attributes(attributes)}/>"


def _text_element(attributes: Mapping[str, str], text: str) -> str:
    return f"{_open_tag('text', attributes)}{escape(text)}</text>"
