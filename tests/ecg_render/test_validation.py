"""Bad signals, rates and options are refused with a ValueError that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_render import RenderOptions, plotly_figure, render_pdf, render_png, render_svg

GOOD = np.zeros((12, 1000))


def with_value(value: float) -> np.ndarray:
    signal = GOOD.copy()
    signal[4, 500] = value
    return signal


@pytest.mark.parametrize(
    ("signal", "fs", "message"),
    [
        (np.zeros((8, 1000)), 100, r"shape \(12, samples\).*got \(8, 1000\)"),
        (np.zeros(12000), 100, r"shape \(12, samples\).*got \(12000,\)"),
        (np.zeros((2, 12, 1000)), 100, r"shape \(12, samples\)"),
        (np.zeros((1000, 12)), 100, r"got \(1000, 12\)"),
        (with_value(np.nan), 100, "NaN or infinite"),
        (with_value(np.inf), 100, "NaN or infinite"),
        (np.full((12, 1000), "a"), 100, "real numeric array"),
        (GOOD, 0, "positive finite"),
        (GOOD, -100, "positive finite"),
        (GOOD, float("nan"), "positive finite"),
        (GOOD, "100", "must be a number"),
        (GOOD, True, "must be a number"),
        (GOOD, 20, "below the minimum of 50 Hz"),
        (GOOD[:, :999], 100, "999 samples but the layout needs 1000"),
        (np.zeros((12, 4999)), 500, "4999 samples but the layout needs 5000"),
    ],
)
@pytest.mark.parametrize("render", [render_svg, render_png, render_pdf, plotly_figure])
def test_bad_signals_and_rates_raise_value_errors_naming_the_problem(signal, fs, message, render):
    with pytest.raises(ValueError, match=message):
        render(signal, fs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layout": "4x3"}, "unknown layout '4x3'"),
        ({"speed_mm_s": 12.5}, "paper speed 12.5 mm/s is not supported"),
        ({"speed_mm_s": "25"}, "paper speed '25' mm/s"),
        ({"gain_mm_mv": 0}, "gain 0 mm/mV is not supported"),
        ({"gain_mm_mv": True}, "gain True mm/mV"),
        ({"rhythm_lead": "V7"}, "rhythm lead 'V7' is not a standard lead"),
        ({"chest_gain_mm_mv": 7}, r"chest gain 7 mm/mV is not supported.*or None"),
        ({"chest_gain_mm_mv": "5"}, "chest gain '5' mm/mV"),
        ({"window_s": 7.5}, r"window 7.5 s is not supported; expected None \(250 mm"),
        ({"window_s": "5"}, "window '5' s is not supported"),
        ({"row_height_mm": 22}, "row height 22 mm must be a multiple of 5 mm from 20 to 100"),
        ({"row_height_mm": 15}, "row height 15 mm must be a multiple of 5 mm"),
        ({"row_height_mm": 105}, "row height 105 mm must be a multiple of 5 mm"),
        ({"row_height_mm": float("nan")}, "row height must be a number of millimetres"),
        ({"row_height_mm": True}, "row height must be a number of millimetres"),
        ({"filter_band_hz": (40.0, 0.5)}, r"filter band must be a \(low, high\) tuple"),
        ({"filter_band_hz": [0.5, 40.0]}, "filter band must be a"),
        ({"filter_band_hz": (0, 40)}, "0 < low < high"),
        ({"filter_band_hz": (0.5, float("inf"))}, "filter band must be a"),
        ({"filter_band_hz": (0.5,)}, "filter band must be a"),
        ({"clip": "yes"}, "clip must be True or False"),
        ({"style": "pink"}, "style must be a Style"),
    ],
)
def test_bad_options_raise_value_errors_naming_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        RenderOptions(**options)


@pytest.mark.parametrize("dpi", [0, -5, 5000, "200", None])
def test_png_refuses_a_bad_dpi(dpi):
    with pytest.raises(ValueError, match="dpi must be a number"):
        render_png(GOOD, 100, dpi=dpi)


def test_samples_beyond_ten_seconds_are_not_drawn():
    longer = np.concatenate([GOOD, np.full((12, 500), 5.0)], axis=1)
    assert render_svg(longer, 100) == render_svg(GOOD, 100)
