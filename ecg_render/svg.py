"""SVG writer: a deterministic millimetre-unit SVG document of a 12-lead ECG page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

import numpy as np

from ecg_render.layout import (
    CLIP_MARKER_DEPTH_MM,
    Page,
    Segment,
    clip_band,
    footer_text,
    grid_positions,
    page_layout,
)
from ecg_render.options import RenderOptions
from ecg_render.style import Style
from ecg_render.traces import (
    COORDINATE_WIDTH,
    coordinate_characters,
    format_coordinate,
    format_mm,
    segment_trace,
    validate_signal,
)

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def render_svg(signal: np.ndarray, fs: float, options: RenderOptions | None = None) -> str:
    """Render a standard-order (12, N) mV signal sampled at ``fs`` Hz as an SVG string.

    The output depends only on the signal, ``fs`` and ``options``: no title, id, date or
    other metadata, attributes sorted and numbers rounded to 0.01 mm. Trace coordinates
    have a fixed width (see :func:`~ecg_render.traces.format_coordinate`), and every
    segment carries both its clip markers (hidden when nothing was clipped), so every
    signal gives a document of the same length for a given ``fs`` and ``options``.
    """
    options = options or RenderOptions()
    page = page_layout(options)
    array, rate = validate_signal(signal, fs, page.duration_s)
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
    lines.extend(_calibration_and_separators(page, style))
    lines.extend(_traces(array, rate, page, style))
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


def _traces(array: np.ndarray, fs: float, page: Page, style: Style) -> list[str]:
    drawn = [segment_trace(array, fs, segment, page) for segment in page.segments]
    # Every coordinate of the page formatted in two numpy passes, then cut per segment.
    x_chars = coordinate_characters(np.concatenate([xs for xs, *_ in drawn]))
    y_chars = coordinate_characters(np.concatenate([ys for _, ys, *_ in drawn]))
    ends = np.cumsum([xs.size for xs, *_ in drawn]).tolist()
    starts = [0, *ends[:-1]]
    lines = [_open_tag("g", _stroke_attributes(style, "traces"))]
    markers: list[str] = []
    for segment, start, end, (xs, _, above, below) in zip(
        page.segments, starts, ends, drawn, strict=True
    ):
        d = _polyline(x_chars[start:end], y_chars[start:end])
        lines.append(_empty_tag("path", {"d": d, "data-lead": segment.label}))
        if page.clip:
            markers.extend(_clip_markers(segment, page, xs, above, below))
    lines.append("</g>")
    if markers:
        group = {
            "class": "clip-markers",
            "fill": "none",
            "stroke": style.clip_marker_colour,
            "stroke-width": format_mm(style.clip_marker_width_mm),
        }
        lines.extend([_open_tag("g", group), *markers, "</g>"])
    return lines


def _clip_markers(
    segment: Segment, page: Page, xs: np.ndarray, above: np.ndarray, below: np.ndarray
) -> list[str]:
    """A bracket on each edge of the row band from the first to the last sample flattened
    there, hidden (opacity 0) when none was; fixed-width numbers keep the document's
    length."""
    top, bottom = clip_band(page.rows[segment.row])
    markers = []
    for edge, clipped, y_edge, inward in (
        ("top", above, top, CLIP_MARKER_DEPTH_MM),
        ("bottom", below, bottom, -CLIP_MARKER_DEPTH_MM),
    ):
        where = np.flatnonzero(clipped)
        first, last = (where[0], where[-1]) if where.size else (0, 0)
        inner, outer = format_mm(y_edge + inward), format_mm(y_edge)
        attributes = {
            "class": "clip-marker",
            "d": (
                f"M{format_coordinate(xs[first])} {inner}V{outer}"
                f"H{format_coordinate(xs[last])}V{inner}"
            ),
            "data-clipped": segment.label,
            "data-edge": edge,
            "opacity": "1" if where.size else "0",
        }
        markers.append(_empty_tag("path", attributes))
    return markers


def _text(page: Page, style: Style, fs: float) -> list[str]:
    # Drawn after the traces: each label and its halo lie above the signal.
    halos = {"class": "label-halos", "fill": style.background}
    halos["fill-opacity"] = f"{style.label_halo_opacity:g}"
    lines = [_open_tag("g", halos)]
    for segment in page.segments:
        x0, y0, x1, y1 = segment.label_box
        box = {"x": format_mm(x0), "y": format_mm(y0)}
        box |= {"width": format_mm(x1 - x0), "height": format_mm(y1 - y0)}
        lines.append(_empty_tag("rect", box))
    lines.append("</g>")
    group = {
        "class": "labels",
        "fill": style.text_colour,
        "font-family": style.font_family,
        "font-size": format_mm(style.label_font_size_mm),
    }
    lines.append(_open_tag("g", group))
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


_SPACE, _LINE_TO = ord(" "), ord("L")
_POINT_WIDTH = 2 * COORDINATE_WIDTH + 2  # "x y " per point


def _polyline(x_chars: np.ndarray, y_chars: np.ndarray) -> str:
    """'Mx0 y0Lx1 y1 x2 y2 ...' from (n, 7) arrays of formatted coordinates, assembled as
    one byte array."""
    characters = np.empty((len(x_chars), _POINT_WIDTH), dtype=np.uint8)
    characters[:, :COORDINATE_WIDTH] = x_chars
    characters[:, COORDINATE_WIDTH] = _SPACE
    characters[:, COORDINATE_WIDTH + 1 : -1] = y_chars
    characters[:, -1] = _SPACE
    characters[0, -1] = _LINE_TO
    return "M" + characters.tobytes()[:-1].decode("ascii")


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
    return "".join(f' {name}="{_quoted(value)}"' for name, value in sorted(attributes.items()))


_NEEDS_ESCAPE = re.compile(r'[&<>"\n\r\t]')
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
     "\t": "&#9;"}
)  # fmt: skip


def _quoted(value: str) -> str:
    """``value`` escaped for a double-quoted attribute; path data (most of the document)
    needs no escaping and is only scanned."""
    return value.translate(_ATTRIBUTE_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _open_tag(tag: str, attributes: Mapping[str, str]) -> str:
    return f"<{tag}{_attributes(attributes)}>"


def _empty_tag(tag: str, attributes: Mapping[str, str]) -> str:
    return f"<{tag}{_attributes(attributes)}/>"


def _text_element(attributes: Mapping[str, str], text: str) -> str:
    return f"{_open_tag('text', attributes)}{escape(text)}</text>"
