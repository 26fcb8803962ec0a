"""A real PTB-XL record and an SSSD-ECG sample render to files of identical structure and,
for SVG, identical length."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wfdb
from PIL import Image

from ecg_render import LAYOUTS, RenderOptions, plotly_figure, render_png, render_svg
from generator.core.leads import from_order, reorder_leads
from tests.ecg_render.svg_reading import parse

REPOSITORY = Path(__file__).resolve().parents[2]

FS = 100.0
# Page sizes at 25 mm/s and 10 mm/mV: 5 mm margins, 10 mm pulse, 250 mm, 10 mm footer;
# rows of 40 mm (3x4+R), 30 mm (6x2, cabrera) and 20 mm (12x1).
PAGE_MM = {"3x4+R": (175, 270), "6x2": (195, 270), "cabrera": (195, 270), "12x1": (255, 270)}


@pytest.fixture
def real(shared_data) -> np.ndarray:
    record = wfdb.rdrecord(str(shared_data / "ptbxl_sample" / "00001_lr"))
    assert record.fs == FS
    return reorder_leads(record.p_signal.T, record.sig_name)


@pytest.fixture
def synthetic(shared_data) -> np.ndarray:
    rows = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")
    return from_order(rows[0], "sssd")


def svg_skeleton(svg: str) -> list[tuple[str, dict[str, str], str | None]]:
    """Every element's tag, attributes and text, with what the signal draws left out: the
    trace path data, and where a clip marker lies and whether it shows."""
    skeleton = []
    for element in parse(svg).iter():
        attributes = dict(element.attrib)
        if "data-lead" in attributes:
            attributes.pop("d")
        if attributes.get("class") == "clip-marker":
            del attributes["d"], attributes["opacity"]
        skeleton.append((element.tag, attributes, element.text))
    return skeleton


def figure_skeleton(value: Any, key: str = "") -> Any:
    """A figure with each trace's coordinate lists replaced by their lengths."""
    if isinstance(value, dict):
        return {k: figure_skeleton(v, k) for k, v in value.items()}
    if isinstance(value, list) and key in {"x", "y"}:
        return ("values", len(value))
    if isinstance(value, list):
        return [figure_skeleton(v) for v in value]
    return value


@pytest.mark.parametrize("layout", LAYOUTS)
def test_svg_structure_does_not_tell_real_from_synthetic(real, synthetic, layout):
    options = RenderOptions(layout=layout)
    real_svg, synthetic_svg = render_svg(real, FS, options), render_svg(synthetic, FS, options)
    assert real_svg != synthetic_svg  # the traces differ ...
    assert svg_skeleton(real_svg) == svg_skeleton(synthetic_svg)  # ... and nothing else
    assert real_svg.count("<") == synthetic_svg.count("<")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "extra", [{}, {"clip": True}, {"speed_mm_s": 50.0, "gain_mm_mv": 20.0, "rhythm_lead": "V1"}]
)
def test_svg_length_does_not_depend_on_the_waveform(real, synthetic, shared_data, layout, extra):
    turing_real = from_order(np.load(shared_data / "sssd_ecg_turing22" / "real.npy")[3], "sssd")
    spiky = np.random.default_rng(7).normal(0, 0.5, (12, 1000))
    spiky[1, 400] = 50.0  # a 50 mV spike: 500 mm at 10 mm/mV, far off the page
    spiky[7, 600] = -50.0
    flat = np.zeros((12, 1000))
    options = RenderOptions(layout=layout, **extra)
    svgs = [render_svg(s, FS, options) for s in (real, synthetic, turing_real, spiky, flat)]
    assert len(set(svgs)) == len(svgs)
    assert len({len(svg) for svg in svgs}) == 1
    assert len({len(svg.encode("utf-8")) for svg in svgs}) == 1


@pytest.mark.parametrize("layout", ["3x4+R", "cabrera"])
def test_plotly_structure_does_not_tell_real_from_synthetic(real, synthetic, layout):
    options = RenderOptions(layout=layout)
    real_figure = plotly_figure(real, FS, options)
    synthetic_figure = plotly_figure(synthetic, FS, options)
    assert real_figure != synthetic_figure
    assert figure_skeleton(real_figure) == figure_skeleton(synthetic_figure)
    # Time (x) is shared; only the amplitudes (y) of the lead traces and where the clip
    # markers lie differ.
    for a, b in zip(real_figure["data"], synthetic_figure["data"], strict=True):
        assert a["x"] == b["x"] or a["name"] == b["name"] == "clip markers"


def test_every_layout_of_the_real_record_is_written_for_viewing(real, tmp_path):
    """Writes the PNGs a person looks at (run with --basetemp to keep them)."""
    for layout in LAYOUTS:
        png = render_png(real, FS, RenderOptions(layout=layout), dpi=100)
        path = tmp_path / f"ptbxl_00001_{layout}.png"
        path.write_bytes(png)
        image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
        height_mm, width_mm = PAGE_MM[layout]
        assert image.shape == (round(height_mm * 100 / 25.4), round(width_mm * 100 / 25.4))
        assert (image < 80).mean() > 0.005  # dark trace ink is present


def test_the_readme_command_writes_the_pngs_without_django(shared_data, tmp_path):
    """README's "look at the real record in every layout" command, run as written: the
    rendering tests run with the Django plugin off."""
    command = [
        sys.executable, "-m", "pytest", __file__, "-k", "every_layout", "-p", "no:django",
        "-p", "no:cacheprovider", "-q", "--basetemp", str(tmp_path / "pngs"),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # a shell's
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=REPOSITORY, env=env, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:]
    written = {png.name for png in (tmp_path / "pngs").glob("*/*.png")}
    assert len(written) == len(LAYOUTS), written
