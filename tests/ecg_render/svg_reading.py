"""Read rendered SVG pages back into numbers: path points, rows, calibration and grid lines."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

SVG = "{http://www.w3.org/2000/svg}"
_TOKEN = re.compile(r"[MLHV]|-?\d+(?:\.\d+)?")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def parse(svg: str) -> ET.Element:
    """The root <svg> element of a rendered page."""
    return ET.fromstring(svg.encode("utf-8"))


def subpaths(d: str) -> list[np.ndarray]:
    """Absolute M/L/H/V path data as one (points, 2) array per subpath."""
    tokens = _TOKEN.findall(d)
    paths: list[list[tuple[float, float]]] = []
    command = ""
    x = y = 0.0
    i = 0
    while i < len(tokens):
        if tokens[i] in "MLHV":
            command = tokens[i]
            i += 1
            if command == "M":
                paths.append([])
            continue
        if command in "ML":
            x, y = float(tokens[i]), float(tokens[i + 1])
            i += 2
        elif command == "H":
            x = float(tokens[i])
            i += 1
        else:
            y = float(tokens[i])
            i += 1
        paths[-1].append((x, y))
    return [np.array(points) for points in paths]


def points(d: str) -> np.ndarray:
    """All points of a single-subpath path."""
    (only,) = subpaths(d)
    return only


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Every element whose class attribute is ``name``."""
    return [element for element in root.iter() if element.get("class") == name]


def trace_paths(root: ET.Element) -> list[ET.Element]:
    """The trace <path> elements, one per lead segment, in document order."""
    return [element for element in root.iter(f"{SVG}path") if element.get("data-lead")]


def trace(root: ET.Element, label: str) -> np.ndarray:
    """Points of the only trace labelled ``label``."""
    (path,) = [p for p in trace_paths(root) if p.get("data-lead") == label]
    return points(path.get("d"))


@dataclass(frozen=True)
class Frame:
    """Paper coordinates measured from a page's calibration pulses."""

    time_origin_mm: float  # x of t = 0 (where each pulse's trailing baseline ends)
    baselines_mm: tuple[float, ...]  # 0 mV of each row, top to bottom
    pulse_height_mm: float
    pulse_width_mm: float

    def row_of(self, y_mm: float) -> int:
        """Index of the row whose baseline is nearest to ``y_mm``."""
        return int(np.argmin([abs(y_mm - b) for b in self.baselines_mm]))


def frame(root: ET.Element) -> Frame:
    """Measure the time origin, row baselines and the pulse size from the calibration marks."""
    pulses = [points(p.get("d")) for p in by_class(root, "calibration")]
    baselines = tuple(float(p[0, 1]) for p in pulses)
    first = pulses[0]
    rising, falling = first[1:3], first[3:5]
    return Frame(
        time_origin_mm=float(first[-1, 0]),
        baselines_mm=baselines,
        pulse_height_mm=float(rising[0, 1] - rising[1, 1]),
        pulse_width_mm=float(falling[0, 0] - rising[0, 0]),
    )


def grid_lines(root: ET.Element, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted x of the vertical and y of the horizontal lines of grid ``kind``."""
    (path,) = by_class(root, f"grid-{kind}")
    xs, ys = [], []
    for line in subpaths(path.get("d")):
        (x0, y0), (x1, y1) = line
        if x0 == x1:
            xs.append(x0)
        else:
            ys.append(y0)
    return np.array(sorted(xs)), np.array(sorted(ys))


def mm(value: str) -> float:
    """A length attribute like '270mm' in millimetres."""
    if not value.endswith("mm"):
        raise ValueError(f"{value!r} is not in millimetres")
    return float(value[:-2])
