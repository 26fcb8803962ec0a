"""Printout quality: tall complexes clipped under a visible marker or given room, lead
labels above the trace, split gain, the footer, 12x1 and 50 mm/s pages, and a document
length that never depends on the signal."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageFont

from ecg_render import LAYOUTS, RenderOptions, Style, plotly_figure, render_png, render_svg
from ecg_render.layout import gain_text, page_layout, row_height_for_extent
from ecg_render.traces import trace_extent_mm
from generator.core.leads import STANDARD_LEADS
from tests.ecg_render.signals import coded_signal
from tests.ecg_render.svg_reading import (
    SVG,
    by_class,
    frame,
    mm,
    parse,
    points,
    subpaths,
    trace,
    trace_paths,
)

FS = 100.0
MINUS = "\u2212"
EM_SPACES = "\u2003\u2003"
# A clipped trace stays this far inside its row (0.5 mm), so two clipped rows never touch.
INSET_MM = 0.5


def lead(name: str) -> int:
    return STANDARD_LEADS.index(name)


def markers(root, *, shown: bool | None = None) -> list:
    """The clip markers of a page, optionally only the visible (or hidden) ones."""
    found = by_class(root, "clip-marker")
    if shown is None:
        return found
    return [m for m in found if (m.get("opacity") == "1") == shown]


def bands(root) -> list[tuple[float, float]]:
    """(top, bottom) between which each row's clipped trace stays, from the document's
    calibration baselines and row pitch."""
    baselines = frame(root).baselines_mm
    pitch = baselines[1] - baselines[0]
    return [(b - pitch / 2 + INSET_MM, b + pitch / 2 - INSET_MM) for b in baselines]


def footer(root) -> str:
    (text,) = by_class(root, "footer")
    return text.text


# --- tall complexes ---------------------------------------------------------------------


@pytest.mark.parametrize(("sign", "edge"), [(1.0, "top"), (-1.0, "bottom")])
def test_a_tall_complex_is_flattened_at_its_row_edge_under_a_visible_marker(sign, edge):
    signal = np.zeros((12, 1000))
    signal[lead("I"), 100:110] = 3.0 * sign  # 30 mm at 10 mm/mV in a 40 mm row
    root = parse(render_svg(signal, FS))
    top, bottom = bands(root)[0]
    assert (top, bottom) == (5.5, 44.5)  # row 0 spans 5-45 mm
    xy = trace(root, "I")
    flat = top if sign > 0 else bottom
    clipped = np.flatnonzero(xy[:, 1] == flat)
    # exactly the ten samples of 1.00-1.09 s, drawn at 15 mm + 25 mm/s * t
    np.testing.assert_allclose(xy[clipped, 0], 15.0 + 25.0 * np.arange(100, 110) / FS)
    assert set(np.delete(xy[:, 1], clipped)) == {25.0}  # the rest on the baseline
    (shown,) = markers(root, shown=True)
    assert (shown.get("data-clipped"), shown.get("data-edge")) == ("I", edge)
    (bracket,) = subpaths(shown.get("d"))
    inner = flat + 1.5 * sign
    np.testing.assert_allclose(
        bracket, [[40.0, inner], [40.0, flat], [42.25, flat], [42.25, inner]]
    )
    assert len(markers(root)) == 2 * 13  # both edges of every segment, the rest hidden
    (group,) = by_class(root, "clip-markers")
    assert group.get("stroke") == Style().clip_marker_colour != Style().trace_colour


def test_the_clip_marker_shows_on_paper_and_in_plotly():
    signal = np.zeros((12, 1000))
    signal[lead("I"), 100:110] = 3.0
    image = np.asarray(Image.open(io.BytesIO(render_png(signal, FS, dpi=254)))).astype(int)
    red, green, blue = image[65, 400]  # x 40 mm, y 6.5 mm: the bracket's left tick
    assert blue > red + 80 and blue > green + 80
    figure = plotly_figure(signal, FS)
    (clip_trace,) = [t for t in figure["data"] if t["name"] == "clip markers"]
    drawn = [(x, y) for x, y in zip(clip_trace["x"], clip_trace["y"], strict=True) if x is not None]
    assert drawn == [(40.0, 7.0), (40.0, 5.5), (42.25, 5.5), (42.25, 7.0)]
    assert len(clip_trace["x"]) == 2 * 13 * 5 - 1  # fixed: a bracket slot per segment edge


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("chest_gain", [None, 5.0])
def test_no_trace_leaves_its_row_and_every_flattened_run_is_marked(layout, chest_gain):
    signal = np.random.default_rng(11).normal(0, 1.5, (12, 1000))
    root = parse(render_svg(signal, FS, RenderOptions(layout=layout, chest_gain_mm_mv=chest_gain)))
    row_bands = bands(root)
    paper = frame(root)
    shown = {(m.get("data-clipped"), m.get("data-edge")) for m in markers(root, shown=True)}
    for path in trace_paths(root):
        ys = points(path.get("d"))[:, 1]
        top, bottom = row_bands[paper.row_of(ys[0])]
        assert top <= ys.min() and ys.max() <= bottom
        label = path.get("data-lead")
        assert ((label, "top") in shown) == (ys.min() == top)
        assert ((label, "bottom") in shown) == (ys.max() == bottom)
    assert shown  # 1.5 mV noise is clipped somewhere on every layout


def test_rows_fitted_to_the_tallest_ecg_hold_it_without_clipping():
    signal = coded_signal() * 0.5
    signal[lead("V2"), 600:605] = 2.6  # V2 is drawn from 5 to 7.5 s in 3x4+R
    default = RenderOptions()
    assert trace_extent_mm(signal, FS, default) == pytest.approx(26.0)
    height = row_height_for_extent(trace_extent_mm(signal, FS, default), default)
    assert height == 55.0  # 2 x (26 + 0.5) mm in whole 5 mm squares
    assert markers(parse(render_svg(signal, FS, default)), shown=True)  # clipped in 40 mm
    root = parse(render_svg(signal, FS, RenderOptions(row_height_mm=height)))
    assert markers(root, shown=False) == markers(root)
    assert mm(root.get("height")) == 5 + 4 * 55 + 10
    paper = frame(root)
    v2 = trace(root, "V2")
    values = (paper.baselines_mm[paper.row_of(v2[0, 1])] - v2[:, 1]) / 10
    assert values.max() == pytest.approx(2.6)


@pytest.mark.parametrize(
    ("extent", "options", "height"),
    [
        (0.0, RenderOptions(), 40.0),  # never below the layout's default
        (19.5, RenderOptions(), 40.0),
        (19.6, RenderOptions(), 45.0),  # whole 5 mm squares
        (29.5, RenderOptions(), 60.0),
        (45.0, RenderOptions(), 60.0),  # at most 1.5 x the default: clipped beyond
        (14.5, RenderOptions(layout="12x1"), 30.0),
        (40.0, RenderOptions(layout="12x1"), 30.0),
        (45.0, RenderOptions(gain_mm_mv=20), 95.0),
        (60.0, RenderOptions(gain_mm_mv=20), 100.0),  # 80 mm default, 100 mm at most
        (12.0, RenderOptions(layout="6x2", chest_gain_mm_mv=5), 30.0),
    ],
)
def test_row_height_for_extent_rounds_up_within_its_limits(extent, options, height):
    assert row_height_for_extent(extent, options) == height
    RenderOptions(row_height_mm=height)  # always a valid row height


@pytest.mark.parametrize("extent", [-1.0, math.nan, math.inf, "3", True, None])
def test_row_height_for_extent_refuses_a_bad_extent(extent):
    with pytest.raises(ValueError, match="trace extent must be a finite number of mm"):
        row_height_for_extent(extent, RenderOptions())


def test_trace_extent_counts_drawn_samples_at_each_leads_gain():
    signal = np.zeros((12, 1000))
    signal[lead("II"), 300] = 1.5
    signal[lead("V3"), 100] = -2.0  # at 1 s: shown by 12x1, outside V3's 5-7.5 s cell in 3x4
    assert trace_extent_mm(signal, FS, RenderOptions()) == pytest.approx(15.0)
    assert trace_extent_mm(signal, FS, RenderOptions(layout="12x1")) == pytest.approx(20.0)
    split = RenderOptions(layout="12x1", chest_gain_mm_mv=5)
    assert trace_extent_mm(signal, FS, split) == pytest.approx(15.0)  # V3 at 5 mm/mV: 10 mm
    with pytest.raises(ValueError, match="999 samples"):
        trace_extent_mm(signal[:, :999], FS, RenderOptions())


# --- lead labels ------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_label_has_a_halo_covering_its_text(layout):
    root = parse(render_svg(coded_signal(), FS, RenderOptions(layout=layout)))
    (labels,) = by_class(root, "labels")
    (halos,) = by_class(root, "label-halos")
    texts = [t for t in labels if t.get("class") != "footer"]
    boxes = list(halos.iter(f"{SVG}rect"))
    assert len(texts) == len(boxes) == len(trace_paths(root))
    size = float(labels.get("font-size"))
    font = ImageFont.truetype("DejaVuSans.ttf", 1000)  # the font the SVG names first
    for text, box in zip(texts, boxes, strict=True):
        left, top, right, bottom = (v * size / 1000 for v in font.getbbox(text.text, anchor="ls"))
        x, y = float(text.get("x")), float(text.get("y"))
        x0, y0 = float(box.get("x")), float(box.get("y"))
        x1, y1 = x0 + float(box.get("width")), y0 + float(box.get("height"))
        assert x0 < x + left and x + right < x1, text.text
        assert y0 < y + top and y + bottom < y1, text.text
    assert halos.get("fill") == Style().background and float(halos.get("fill-opacity")) >= 0.8


def test_labels_and_their_halos_lie_above_the_trace():
    root = parse(render_svg(coded_signal(), FS))
    order = [g.get("class") for g in root.iter(f"{SVG}g")]
    assert order.index("traces") < order.index("clip-markers") < order.index("label-halos")
    assert order.index("label-halos") < order.index("labels")
    # Lead I held at 1.3 mV runs at y = 12 mm, through its label (baseline 13 mm, x 16 mm):
    # inside the halo the trace is faint, just right of it the trace is dark.
    signal = np.zeros((12, 1000))
    signal[lead("I")] = 1.3
    image = np.asarray(Image.open(io.BytesIO(render_png(signal, FS, dpi=254)))).astype(int)
    under_halo, beside = image[120, 185], image[120, 215]  # x 18.5 mm and 21.5 mm
    assert under_halo.min() > 180 and beside.max() < 100


# --- split gain and the footer ----------------------------------------------------------


def test_split_gain_draws_chest_leads_at_5_and_limb_leads_at_10_mm_per_mv():
    signal = coded_signal()
    root = parse(render_svg(signal, FS, RenderOptions(chest_gain_mm_mv=5)))
    paper = frame(root)
    for path in trace_paths(root):
        label = path.get("data-lead")
        xy = points(path.get("d"))
        gain = 5.0 if label.startswith("V") else 10.0
        values = (paper.baselines_mm[paper.row_of(xy[0, 1])] - xy[:, 1]) / gain
        samples = np.rint((xy[:, 0] - paper.time_origin_mm) / 25 * FS).astype(int)
        np.testing.assert_allclose(values, signal[lead(label), samples], atol=0.0051 / gain)
    assert gain_text(page_layout(RenderOptions(chest_gain_mm_mv=5))) == (
        "limb 10 mm/mV, chest 5 mm/mV"
    )
    assert footer(root) == EM_SPACES.join(
        ["25 mm/s", "limb 10 mm/mV, chest 5 mm/mV", "100 samples/s"]
    )


@pytest.mark.parametrize(
    ("layout", "pulse_heights"),
    [
        # rows I/aVR/V1/V4, II/aVL/V2/V5, III/aVF/V3/V6 and the lead II rhythm strip
        ("3x4+R", [(10, 5), (10, 5), (10, 5), (10,)]),
        ("6x2", [(10, 5)] * 6),
        ("12x1", [(10,)] * 6 + [(5,)] * 6),
    ],
)
def test_split_gain_rows_get_a_stepped_calibration_pulse(layout, pulse_heights):
    options = RenderOptions(layout=layout, chest_gain_mm_mv=5)
    root = parse(render_svg(coded_signal(), FS, options))
    pulses = [points(p.get("d")) for p in by_class(root, "calibration")]
    assert len(pulses) == len(pulse_heights)
    for pulse, heights in zip(pulses, pulse_heights, strict=True):
        baseline = pulse[0, 1]
        levels = [baseline - y for y in pulse[:, 1] if y != baseline]
        assert sorted(set(levels), reverse=True) == sorted(set(heights), reverse=True)
        assert levels[0] == heights[0]  # the first lead's gain first, as printers do
        assert pulse[-1, 1] == baseline and pulse[-2, 0] - pulse[1, 0] == 5.0  # 0.2 s


def test_equal_limb_and_chest_gains_read_as_one_gain():
    assert gain_text(page_layout(RenderOptions(chest_gain_mm_mv=10))) == "10 mm/mV"
    assert gain_text(page_layout(RenderOptions(gain_mm_mv=5))) == "5 mm/mV"


@pytest.mark.parametrize(
    ("options", "fs", "expected"),
    [
        (RenderOptions(), 100.0, ["25 mm/s", "10 mm/mV", "100 samples/s"]),
        (
            RenderOptions(speed_mm_s=50, gain_mm_mv=20),
            500.0,
            ["50 mm/s", "20 mm/mV", "500 samples/s"],
        ),
        (
            RenderOptions(filter_band_hz=(0.5, 40.0)),
            100.0,
            ["25 mm/s", "10 mm/mV", "100 samples/s", "filter 0.5\u201340 Hz"],
        ),
    ],
)
def test_footer_states_speed_gain_sampling_rate_and_any_filter_band(options, fs, expected):
    signal = np.zeros((12, int(10 * fs)))
    text = footer(parse(render_svg(signal, fs, options)))
    assert text == EM_SPACES.join(expected)
    annotations = plotly_figure(signal, fs, options)["layout"]["annotations"]
    assert annotations[-1]["text"] == text


# --- 12x1 and 50 mm/s pages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "size_mm", "cell_s"),
    [
        (RenderOptions(layout="12x1"), (270.0, 255.0), 10.0),
        (RenderOptions(layout="12x1", speed_mm_s=50), (280.0, 255.0), 5.0),
        (RenderOptions(layout="3x4+R", speed_mm_s=50), (280.0, 175.0), 1.25),
        (RenderOptions(layout="6x2", speed_mm_s=50, gain_mm_mv=5), (280.0, 135.0), 2.5),
    ],
)
def test_12x1_and_50_mm_s_pages_are_250_mm_of_trace(options, size_mm, cell_s):
    signal = coded_signal()
    root = parse(render_svg(signal, FS, options))
    assert (mm(root.get("width")), mm(root.get("height"))) == size_mm
    paper = frame(root)
    speed = options.speed_mm_s
    first = trace_paths(root)[0]
    times = (points(first.get("d"))[:, 0] - paper.time_origin_mm) / speed
    assert times[0] == 0 and times[-1] == pytest.approx(min(cell_s, options.duration_s - 1 / FS))
    for path in trace_paths(root):  # every trace within the 250 mm of paper
        xs = points(path.get("d"))[:, 0] - paper.time_origin_mm
        assert xs.min() >= 0 and xs.max() < 250.0
    png = Image.open(io.BytesIO(render_png(signal, FS, options, dpi=100)))
    assert png.size == tuple(round(v * 100 / 25.4) for v in size_mm)


def test_a_50_mm_s_page_needs_only_the_5_seconds_it_shows():
    five_seconds = np.zeros((12, 500))
    assert render_svg(five_seconds, FS, RenderOptions(speed_mm_s=50)).startswith("<?xml")
    with pytest.raises(ValueError, match="500 samples but the layout needs 1000"):
        render_svg(five_seconds, FS, RenderOptions(speed_mm_s=50, window_s=10))
    with pytest.raises(ValueError, match="500 samples but the layout needs 1000"):
        render_svg(five_seconds, FS)


# --- blinding: one document length ------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        RenderOptions(),
        RenderOptions(layout="12x1", chest_gain_mm_mv=5, row_height_mm=30),
        RenderOptions(layout="cabrera", speed_mm_s=50, filter_band_hz=(0.5, 40.0)),
    ],
)
def test_svg_length_is_the_same_whether_or_not_anything_is_clipped(options):
    flat = np.zeros((12, 1000))
    tall = np.zeros((12, 1000))
    tall[:, 0::2] = 8.0  # every segment clipped at the top ...
    tall[:, 1::2] = -8.0  # ... and at the bottom
    noise = np.random.default_rng(4).normal(0, 0.3, (12, 1000))
    svgs = [render_svg(s, FS, options) for s in (flat, tall, noise)]
    assert len({len(svg) for svg in svgs}) == 1
    assert len({svg.count("<") for svg in svgs}) == 1
    assert markers(parse(svgs[0]), shown=True) == []
    assert len(markers(parse(svgs[1]), shown=True)) == len(markers(parse(svgs[1])))
