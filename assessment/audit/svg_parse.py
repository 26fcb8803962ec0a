"""Trace paths of a served panel SVG: lead names and integer hundredths-of-mm coordinates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from generator.core.leads import LeadError, normalise_lead_name

# Plain and fixed-width decimals ("12.5", "0012.50", "-000.07"); the renderer writes no
# exponents, so a path holding one is refused as malformed.
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
# "-aVR" as written in the layouts, the en dash and the minus sign the renderer draws.
INVERTED_PREFIXES = ("-", "\u2013", "\u2212")
_SEPARATORS = re.compile(r"[\s,]+")
_PATH_SHAPE = re.compile(r"M##(?:L?##)*")
_MAX_ABS_MM = 1e9


@dataclass(frozen=True, eq=False)
class Trace:
    """One drawn lead segment: ``x``/``y`` in integer hundredths of a mm, y growing down.

    ``sign`` is -1 for an inverted lead (``-aVR``), whose drawn values are negated;
    ``numbers`` are the coordinate strings exactly as served; ``clipped`` marks the
    samples flattened onto a row edge under a visible clip marker (their drawn value is
    the edge, not the signal).
    """

    label: str
    lead: str
    sign: int
    x: np.ndarray
    y: np.ndarray
    numbers: tuple[str, ...]
    clipped: np.ndarray


def svg_traces(body: bytes) -> list[Trace]:
    """Parse every ``<path d=... data-lead=...>`` inside ``<g class="traces">`` groups.

    Raises ValueError naming the problem: not bytes, not well-formed XML, no traces group,
    a path without ``d`` or ``data-lead``, an unknown lead, or path data other than
    ``M x y L x y x y ...``.
    """
    if not isinstance(body, bytes | bytearray):
        raise ValueError(f"panel body must be bytes, got {type(body).__name__}")
    try:
        root = ET.fromstring(bytes(body))  # our own renderer's output, not user input
    except ET.ParseError as error:
        raise ValueError(f"panel SVG is not well-formed XML: {error}") from None
    groups = [g for g in root.iter() if _tag(g) == "g" and "traces" in _classes(g)]
    if not groups:
        raise ValueError('panel SVG has no <g class="traces"> group')
    edges = _clip_edges(root)
    traces = []
    for group in groups:
        for index, element in enumerate(p for p in group.iter() if _tag(p) == "path"):
            label, d = element.get("data-lead"), element.get("d")
            if label is None or d is None:
                raise ValueError(f"trace path {index} lacks a data-lead or d attribute")
            traces.append(_trace(label, d, edges.get(label, [])))
    if not traces:
        raise ValueError("panel SVG has a traces group but no trace paths")
    return traces


def _clip_edges(root: ET.Element) -> dict[str, list[tuple[int, int, int]]]:
    """(x_first, x_last, y_edge) in hundredths of a mm of each visible clip marker
    (``M x0 inner V edge H x1 V inner``), by the label of the trace it marks."""
    edges: dict[str, list[tuple[int, int, int]]] = {}
    for element in root.iter():
        if _tag(element) != "path" or "clip-marker" not in _classes(element):
            continue
        if element.get("opacity") == "0":
            continue
        numbers = NUMBER.findall(element.get("d", ""))
        if len(numbers) != 5:
            raise ValueError(f"clip marker path {element.get('d')!r} is malformed")
        x0, _, edge, x1, _ = (round(float(n) * 100) for n in numbers)
        edges.setdefault(element.get("data-clipped", ""), []).append((x0, x1, edge))
    return edges


def _trace(label: str, d: str, edges: list[tuple[int, int, int]]) -> Trace:
    lead, sign = _lead(label)
    shape = _SEPARATORS.sub("", NUMBER.sub("#", d))
    if not _PATH_SHAPE.fullmatch(shape):
        stray = sorted(set(shape) - set("ML#"))
        problem = f"unexpected characters {stray}" if stray else "not 'M x y L x y ...'"
        raise ValueError(f"trace path of lead {label!r} is malformed: {problem}")
    numbers = tuple(NUMBER.findall(d))
    values = np.array(numbers, dtype=np.float64)
    if np.max(np.abs(values)) > _MAX_ABS_MM:
        raise ValueError(f"trace path of lead {label!r} has a coordinate beyond {_MAX_ABS_MM:g} mm")
    hundredths = np.rint(values * 100).astype(np.int64)
    x, y = hundredths[0::2], hundredths[1::2]
    clipped = np.zeros(x.shape, dtype=bool)
    for x0, x1, edge in edges:
        clipped |= (y == edge) & (x >= x0) & (x <= x1)
    return Trace(label, lead, sign, x, y, numbers, clipped)


def _lead(label: str) -> tuple[str, int]:
    text = label.strip()
    sign = 1
    if text.startswith(INVERTED_PREFIXES):
        text, sign = text[1:], -1
    try:
        return normalise_lead_name(text), sign
    except LeadError:
        raise ValueError(f"trace path has an unknown lead label {label!r}") from None


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _classes(element: ET.Element) -> list[str]:
    return element.get("class", "").split()
