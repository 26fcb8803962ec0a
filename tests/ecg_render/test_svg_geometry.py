"""Paper geometry of the SVG measured back from the document: grid, scales, leads, strips."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ecg_render import RenderOptions, render_png, render_svg
from ecg_render.traces import COORDINATE_WIDTH, coordinate_characters, format_coordinate
from generator.core.leads import STANDARD_LEADS
from tests.ecg_render.signals import (
    MARKER_MV,
    coded_signal,
    lead_level,
    marker_times,
    step_signal,
)
from tests.ecg_render.svg_reading import (
    NUMBER,
    SVG,
    Frame,
    by_class,
    frame,
    grid_lines,
    mm,
    parse,
    points,
    subpaths,
    trace,
    trace_paths,
)

FS = 100.0
MINUS = "\u2212"
# Rows of 50 mm hold the coded signal's 2.2 mV in every layout, so nothing is clipped and
# every sample reads back exactly.
ROOMY_MM = 50.0
# Written out by hand from the printed formats, not taken from ecg_render.layout.
EXPECTED_ROWS = {
    "3x4+R": [["I", "aVR", "V1", "V4"], ["II", "aVL", "V2", "V5"], ["III", "aVF", "V3", "V6"]],
    "6x2": [["I", "V1"], ["II", "V2"], ["III", "V3"], ["aVR", "V4"], ["aVL", "V5"], ["aVF", "V6"]],
    "12x1": [[lead] for lead in STANDARD_LEADS],
    "cabrera": [
        ["aVL", "V1"], ["I", "V2"], [MINUS + "aVR", "V3"],
        ["II", "V4"], ["aVF", "V5"], ["III", "V6"],
    ],
}  # fmt: skip


def decode(d: str, paper: Frame, speed: float = 25.0, gain: float = 10.0):
    """A trace's row, sample times (s) and values (mV), read back through the paper frame."""
    xy = points(d)
    row = paper.row_of(xy[0, 1])
    times = (xy[:, 0] - paper.time_origin_mm) / speed
    values = (paper.baselines_mm[row] - xy[:, 1]) / gain
    return row, times, values


def assert_samples_of(signal, lead, times, values, fs=FS, gain=10.0, sign=1.0):
    """Every drawn point lies on a sample instant and carries that sample's value."""
    samples = np.rint(times * fs).astype(int)
    np.testing.assert_allclose(times * fs, samples, atol=0.01)
    expected = sign * signal[STANDARD_LEADS.index(lead), samples]
    # Coordinates are rounded to 0.01 mm, i.e. half of 0.01/gain mV at most.
    np.testing.assert_allclose(values, expected, atol=0.0051 / gain)
    return samples


def first_marker_time(times, values, level):
    return float(times[np.argmax(values > level + MARKER_MV / 2)])


@pytest.mark.parametrize("options", [RenderOptions(), RenderOptions(speed_mm_s=50, gain_mm_mv=20)])
def test_grid_has_1_mm_minor_and_5_mm_major_pitch_over_the_whole_page(options):
    root = parse(render_svg(coded_signal(), FS, options))
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    minor_x, minor_y = grid_lines(root, "minor")
    major_x, major_y = grid_lines(root, "major")
    for minor, major, extent in ((minor_x, major_x, width), (minor_y, major_y, height)):
        every = np.sort(np.concatenate([minor, major]))
        assert every[0] == 0 and every[-1] == pytest.approx(extent)
        assert np.all(np.diff(every) == 1.0)
        assert np.all(np.diff(major) == 5.0) and np.all(major % 5 == 0)
        assert not np.any(minor % 5 == 0)


@pytest.mark.parametrize(
    ("options", "ten_seconds_mm"),
    [(RenderOptions(), 250.0), (RenderOptions(speed_mm_s=50, window_s=10), 500.0)],
)
def test_ten_seconds_span_250_mm_at_25_mm_s_and_500_mm_at_50(options, ten_seconds_mm):
    signal = step_signal("II", 0.5) - step_signal("II", 9.5)  # a pulse from 0.5 s to 9.5 s
    root = parse(render_svg(signal, FS, options))
    paper = frame(root)
    rhythm = trace_paths(root)[-1]
    assert rhythm.get("data-lead") == "II"
    xy = points(rhythm.get("d"))
    rise = xy[np.argmax(xy[:, 1] < paper.baselines_mm[3] - 5), 0]
    fall = xy[np.argmax((xy[:, 0] > rise) & (xy[:, 1] > paper.baselines_mm[3] - 5)), 0]
    assert fall - rise == pytest.approx(0.9 * ten_seconds_mm)
    assert xy[0, 0] == paper.time_origin_mm
    assert xy[-1, 0] == pytest.approx(paper.time_origin_mm + ten_seconds_mm * 9.99 / 10)
    # The three column boundaries split 10 s into four equal cells.
    ticks = subpaths(by_class(root, "separators")[0].get("d"))
    tick_x = np.array(sorted({float(line[0, 0]) for line in ticks}))
    quarters = np.array([1, 2, 3]) * ten_seconds_mm / 4
    np.testing.assert_allclose(tick_x - paper.time_origin_mm, quarters)


@pytest.mark.parametrize("gain", [5, 10, 20])
def test_a_one_millivolt_step_is_gain_millimetres(gain):
    root = parse(render_svg(step_signal("II", 5.0), FS, RenderOptions(gain_mm_mv=gain)))
    paper = frame(root)
    ys = points(trace_paths(root)[-1].get("d"))[:, 1]
    assert ys[0] == paper.baselines_mm[-1]
    assert ys[0] - ys[-1] == pytest.approx(gain)
    assert paper.pulse_height_mm == pytest.approx(gain)


@pytest.mark.parametrize(
    ("options", "height", "width"),
    [(RenderOptions(), 10.0, 5.0), (RenderOptions(speed_mm_s=50, gain_mm_mv=5), 5.0, 10.0)],
)
def test_calibration_pulse_is_1_mv_by_200_ms_on_every_row(options, height, width):
    root = parse(render_svg(coded_signal(), FS, options))
    pulses = [points(p.get("d")) for p in by_class(root, "calibration")]
    assert len(pulses) == 4  # three lead rows and the rhythm strip
    for pulse in pulses:
        assert pulse[1, 1] - pulse[2, 1] == pytest.approx(height)
        assert pulse[3, 0] - pulse[2, 0] == pytest.approx(width)
        assert pulse[0, 1] == pulse[-1, 1]  # starts and ends on the baseline
    assert frame(root).pulse_height_mm == height and frame(root).pulse_width_mm == width


@pytest.mark.parametrize("layout", ["3x4+R", "6x2", "12x1", "cabrera"])
def test_each_lead_is_drawn_in_its_row_column_and_time_window(layout):
    signal = coded_signal()
    root = parse(render_svg(signal, FS, RenderOptions(layout=layout, row_height_mm=ROOMY_MM)))
    paper = frame(root)
    rows = EXPECTED_ROWS[layout]
    paths = trace_paths(root)[: sum(map(len, rows))]  # the rhythm strip is checked separately
    assert [p.get("data-lead") for p in paths] == [lead for row in rows for lead in row]
    for path in paths:
        label = path.get("data-lead")
        row_index = next(i for i, row in enumerate(rows) if label in row)
        column = rows[row_index].index(label)
        cell_s = 10.0 / len(rows[row_index])
        row, times, values = decode(path.get("d"), paper)
        assert row == row_index
        assert times[0] == pytest.approx(column * cell_s)
        assert times[-1] == pytest.approx(min((column + 1) * cell_s, 9.99))
        lead = label.removeprefix(MINUS)
        sign = -1.0 if label.startswith(MINUS) else 1.0
        assert_samples_of(signal, lead, times, values, sign=sign)
        # The lead's own level and the marker time prove it is this lead at this time.
        assert np.median(values) == pytest.approx(sign * lead_level(lead), abs=1e-3)
        if sign > 0:
            in_window = [t for t in marker_times(lead) if times[0] <= t < times[-1]]
            assert first_marker_time(times, values, lead_level(lead)) == pytest.approx(in_window[0])


@pytest.mark.parametrize("rhythm_lead", ["II", "V5"])
def test_rhythm_strip_shows_the_chosen_lead_for_the_full_ten_seconds(rhythm_lead):
    signal = coded_signal()
    options = RenderOptions(rhythm_lead=rhythm_lead, row_height_mm=ROOMY_MM)
    root = parse(render_svg(signal, FS, options))
    paper = frame(root)
    strip = trace_paths(root)[-1]
    assert strip.get("data-lead") == rhythm_lead
    row, times, values = decode(strip.get("d"), paper)
    assert row == 3 and len(paper.baselines_mm) == 4
    samples = assert_samples_of(signal, rhythm_lead, times, values)
    assert samples.tolist() == list(range(1000))
    # Aligned in time: the strip's markers lie exactly under the cell's marker.
    strip_x = points(strip.get("d"))[:, 0]
    (cell,) = [p for p in trace_paths(root)[:-1] if p.get("data-lead") == rhythm_lead]
    cell_xy = points(cell.get("d"))
    level = lead_level(rhythm_lead)
    above_marker_threshold = cell_xy[:, 1] < paper.baselines_mm[1] - (level + 0.5) * 10
    cell_marker_x = cell_xy[np.argmax(above_marker_threshold), 0]
    strip_markers = strip_x[np.flatnonzero(np.diff((values > level + 0.5).astype(int)) == 1) + 1]
    assert cell_marker_x in strip_markers
    expected = paper.time_origin_mm + np.array(marker_times(rhythm_lead)) * 25
    np.testing.assert_allclose(strip_markers, expected)


@pytest.mark.parametrize(
    ("layout", "columns_s", "rows_with_ticks"),
    [("3x4+R", [2.5, 5.0, 7.5], 3), ("6x2", [5.0], 6), ("cabrera", [5.0], 6), ("12x1", [], 0)],
)
def test_separator_ticks_mark_column_boundaries_across_each_baseline(
    layout, columns_s, rows_with_ticks
):
    root = parse(render_svg(coded_signal(), FS, RenderOptions(layout=layout)))
    paper = frame(root)
    found = by_class(root, "separators")
    if not columns_s:
        assert found == []
        return
    ticks = subpaths(found[0].get("d"))
    assert len(ticks) == len(columns_s) * rows_with_ticks
    crossed = set()
    for tick in ticks:
        (x0, top), (x1, bottom) = tick
        assert x0 == x1
        assert min(abs((x0 - paper.time_origin_mm) / 25 - s) for s in columns_s) < 1e-9
        (row,) = [i for i, b in enumerate(paper.baselines_mm) if top < b < bottom]
        crossed.add(row)
    assert crossed == set(range(rows_with_ticks))


def test_cabrera_minus_avr_is_the_mirror_image_of_avr():
    rng = np.random.default_rng(3)
    signal = np.cumsum(rng.normal(0, 0.05, (12, 1000)), axis=1)
    cabrera = parse(render_svg(signal, FS, RenderOptions(layout="cabrera")))
    standard = parse(render_svg(signal, FS, RenderOptions(layout="6x2")))
    inverted = trace(cabrera, MINUS + "aVR")
    upright = trace(standard, "aVR")
    inverted_offset = inverted[:, 1] - frame(cabrera).baselines_mm[2]
    upright_offset = upright[:, 1] - frame(standard).baselines_mm[3]
    np.testing.assert_allclose(inverted_offset, -upright_offset, atol=0.011)
    np.testing.assert_array_equal(inverted[:, 0], upright[:, 0])
    label = [t.text for t in cabrera.iter(f"{SVG}text")]
    assert MINUS + "aVR" in label and "aVR" not in label


def test_without_clipping_large_deflections_overlap_the_next_row_without_rescaling():
    signal = coded_signal()
    signal[0, 100:110] = -3.0  # lead I, 3 mV down in the top row
    root = parse(render_svg(signal, FS, RenderOptions(clip=False)))
    paper = frame(root)
    row, times, values = decode(trace_paths(root)[0].get("d"), paper)
    assert row == 0 and values.min() == pytest.approx(-3.0)
    lowest = points(trace_paths(root)[0].get("d"))[:, 1].max()
    assert lowest == pytest.approx(paper.baselines_mm[0] + 30.0)
    assert lowest > (paper.baselines_mm[0] + paper.baselines_mm[1]) / 2  # in row 1's band
    assert by_class(root, "clip-marker") == []


@pytest.mark.parametrize(("layout", "segments"), [("3x4+R", 13), ("6x2", 12), ("12x1", 12)])
def test_svg_is_in_millimetres_with_hundredth_coordinates_and_few_elements(layout, segments):
    rng = np.random.default_rng(1)
    signal = rng.normal(0, 0.3, (12, 1000))
    root = parse(render_svg(signal, FS, RenderOptions(layout=layout)))
    width, height = mm(root.get("width")), mm(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width:g} {height:g}"
    assert len(trace_paths(root)) == segments
    assert all(len(subpaths(p.get("d"))) == 1 for p in trace_paths(root))
    grid = [e for e in root.iter() if (e.get("class") or "").startswith("grid")]
    # Per segment: its trace, two clip markers, a label and its halo; per row a pulse;
    # and a dozen groups and page elements. Never an element per sample.
    assert len(grid) == 2 and len(list(root.iter())) <= 12 + 12 + 5 * segments
    for element in root.iter():
        for name in ("d", "x", "y", "width", "height"):
            for number in NUMBER.findall(element.get(name) or ""):
                assert len(number.partition(".")[2]) <= 2, (element.tag, name, number)
    # The first sample of lead I, 0.01 mm = 1 uV resolution at 10 mm/mV.
    _, _, values = decode(trace_paths(root)[0].get("d"), frame(root))
    assert values[0] == pytest.approx(round(signal[0, 0], 3), abs=1e-9)


# A trace coordinate: sign, four integer digits (three after a minus) and two decimals.
FIXED_WIDTH_NUMBER = re.compile(r"(?:-\d{3}|\d{4})\.\d{2}")


def trace_numbers(root) -> list[str]:
    return [n for p in trace_paths(root) for n in NUMBER.findall(p.get("d"))]


@pytest.mark.parametrize(
    ("hundredths", "text"),
    [(-7, "-000.07"), (1250, "0012.50"), (0, "0000.00"), (999_999, "9999.99"),
     (-99_999, "-999.99"), (10**9, "9999.99"), (-(10**9), "-999.99")],
)  # fmt: skip
def test_format_coordinate_has_a_fixed_width_and_clamps(hundredths, text):
    assert format_coordinate(hundredths) == text
    characters = coordinate_characters(np.array([[hundredths, 0]]))
    assert [row.tobytes().decode("ascii") for row in characters] == [text, "0000.00"]
    assert len(text) == COORDINATE_WIDTH


def test_trace_coordinates_are_fixed_width_numbers_that_read_back_exactly():
    signal = coded_signal()
    signal[0, 100:110] = -3.0
    root = parse(render_svg(signal, FS, RenderOptions(clip=False)))
    numbers = trace_numbers(root)
    assert numbers and all(FIXED_WIDTH_NUMBER.fullmatch(n) for n in numbers)
    # leading zeros change nothing: the step of lead I still reads -3 mV
    _, _, values = decode(trace_paths(root)[0].get("d"), frame(root))
    assert values.min() == pytest.approx(-3.0)


def test_extreme_values_are_clamped_and_keep_the_width():
    signal = np.zeros((12, 1000))
    signal[0, 100:110] = 10_000.0  # 100 m above the page at 10 mm/mV
    signal[1, 100:110] = -10_000.0  # and below it
    unclipped = RenderOptions(clip=False)  # a clipping page never reaches the clamp
    svg = render_svg(signal, FS, unclipped)
    root = parse(svg)
    assert all(FIXED_WIDTH_NUMBER.fullmatch(n) for n in trace_numbers(root))
    ys = np.concatenate([points(p.get("d"))[:, 1] for p in trace_paths(root)])
    assert ys.min() == -999.99 and ys.max() == 9999.99
    assert len(svg) == len(render_svg(np.zeros((12, 1000)), FS, unclipped))
    assert render_png(signal, FS, unclipped, dpi=50).startswith(b"\x89PNG")  # cairosvg reads it
