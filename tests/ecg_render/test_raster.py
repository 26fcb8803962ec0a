"""PNG and PDF output: physical pixel pitch, clipping as drawn, no metadata, same bytes."""

from __future__ import annotations

import io
import re
import struct

import cairosvg
import numpy as np
import pytest
from PIL import Image

from ecg_render import RenderOptions, plotly_json, render_pdf, render_png, render_svg
from tests.ecg_render.signals import coded_signal

FS = 100.0
PX_PER_MM = 10  # at 254 dpi
POINTS_PER_MM = 72 / 25.4


def pixels(png: bytes) -> np.ndarray:
    """(height, width, 3) RGB array of a PNG, composited on white."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    canvas = Image.new("RGBA", image.size, "white")
    return np.asarray(Image.alpha_composite(canvas, image).convert("RGB")).astype(int)


def line_centres(profile: np.ndarray) -> np.ndarray:
    """Centres (px, pixel centre = index + 0.5) of the runs of tinted pixels in a 1-D profile."""
    ink = 255 - profile  # 0 on white paper
    tinted = ink > 8
    edges = np.diff(np.concatenate([[0], tinted.astype(int), [0]]))
    centres = []
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        weights = ink[start:stop]
        centres.append(np.average(np.arange(start, stop) + 0.5, weights=weights))
    return np.array(centres)


def png_chunk_types(png: bytes) -> list[bytes]:
    kinds, offset = [], 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        kinds.append(kind)
        offset += 12 + length
    return kinds


def test_png_grid_lines_are_10_and_50_pixels_apart_at_254_dpi():
    image = pixels(render_png(coded_signal(), FS, dpi=254))
    assert image.shape[:2] == (175 * PX_PER_MM, 270 * PX_PER_MM)  # a 270 x 175 mm page
    # Along y = 2.5 mm and x = 2.5 mm the page holds nothing but the grid (margin).
    for profile in (image[25, :, 1], image[:, 25, 1]):
        # The lines on the page edges are cut in half; the inner ones are whole.
        centres = line_centres(profile)[1:-1]
        assert np.allclose(np.diff(centres), PX_PER_MM, atol=0.15)
        assert centres[0] == pytest.approx(PX_PER_MM, abs=0.15)
        major = line_centres(np.where(profile < 200, profile, 255))[1:-1]  # darker 5 mm lines
        assert np.allclose(np.diff(major), 5 * PX_PER_MM, atol=0.15)
        assert major[0] == pytest.approx(5 * PX_PER_MM, abs=0.15) and len(major) >= 30


def test_clipped_png_has_no_trace_ink_below_the_row_band():
    signal = coded_signal()
    signal[0, 100:110] = -3.0  # lead I at 1.0 s, 3 mV down from the 25 mm baseline
    spike_x = slice((15 + 25) * 5 - 3, (15 + 25 + 3) * 5 + 3)  # 1.0-1.1 s at 5 px/mm
    below_band = slice(46 * 5, 55 * 5)  # row 0's band ends at 45 mm
    for clip, inked in ((False, True), (True, False)):
        image = pixels(render_png(signal, FS, RenderOptions(clip=clip), dpi=127))
        dark = image[below_band, spike_x].max(axis=2) < 100  # trace ink, not grid
        assert dark.any() == inked


def test_png_has_only_image_chunks_and_its_physical_resolution():
    png = render_png(coded_signal(), FS, dpi=254)
    kinds = png_chunk_types(png)
    assert kinds[0] == b"IHDR" and kinds[1] == b"pHYs" and kinds[-1] == b"IEND"
    assert not {b"tEXt", b"tIME", b"iTXt", b"zTXt"} & set(kinds)
    start = png.index(b"pHYs") + 4
    assert struct.unpack(">IIB", png[start : start + 9]) == (10000, 10000, 1)  # px per metre


@pytest.mark.parametrize("layout", ["3x4+R", "12x1"])
def test_png_is_opaque_rgb(layout):
    png = render_png(coded_signal(), FS, RenderOptions(layout=layout), dpi=100)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB" and "transparency" not in image.info
    assert png[25] == 2  # IHDR colour type 2: truecolour, no alpha
    assert b"tRNS" not in png_chunk_types(png)
    # The same picture as cairo's transparent rendering laid on white paper.
    svg = render_svg(coded_signal(), FS, RenderOptions(layout=layout)).encode()
    on_white = pixels(cairosvg.svg2png(bytestring=svg, dpi=100))
    assert np.abs(np.asarray(image).astype(int) - on_white).max() <= 1


def test_pdf_has_no_dates_or_producer_and_is_the_page_size_in_mm():
    pdf = render_pdf(coded_signal(), FS, RenderOptions(layout="6x2"))
    assert pdf.startswith(b"%PDF")
    for key in (b"/CreationDate", b"/ModDate", b"/Producer", b"/Creator"):
        assert key not in pdf
    (box,) = re.findall(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf)
    width_mm, height_mm = (float(v) / POINTS_PER_MM for v in box)
    # 6x2 at defaults: 5 + 10 + 250 + 5 mm wide; 5 + 6 rows of 30 + 10 mm tall.
    assert width_mm == pytest.approx(270, abs=0.01) and height_mm == pytest.approx(195, abs=0.01)
    startxref = int(re.search(rb"startxref\s+(\d+)", pdf).group(1))
    assert pdf[startxref : startxref + 4] == b"xref"  # offsets survive the blanking


@pytest.mark.parametrize(
    "render",
    [
        lambda s, o: render_svg(s, FS, o).encode(),
        lambda s, o: render_png(s, FS, o, dpi=100),
        lambda s, o: render_pdf(s, FS, o),
        lambda s, o: plotly_json(s, FS, o).encode(),
    ],
    ids=["svg", "png", "pdf", "json"],
)
def test_same_input_gives_the_same_bytes(render):
    rng = np.random.default_rng(7)
    signal = rng.normal(0, 0.2, (12, 1000))
    options = RenderOptions(layout="cabrera", clip=True)
    first = render(signal, options)
    again = render(signal.copy(), RenderOptions(layout="cabrera", clip=True))
    assert first == again
    assert render(signal + 0.05, options) != first
