"""Input validation and trace geometry: samples mapped to 0.01 mm page coordinates."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ecg_render.layout import DURATION_S, Page, Segment, clip_band, page_layout
from ecg_render.options import RenderOptions
from generator.core.leads import STANDARD_LEADS

# Coordinates are kept as integer hundredths of a millimetre: at 10 mm/mV one unit is
# 1 uV, finer than the 10 uV to which harmonisation rounds every ECG by default.
COORDINATE_SCALE = 100
# Trace coordinates are written clamped to [-999.99, 9999.99] mm in 7 characters each, so
# a page's SVG has the same length for every waveform: its size cannot tell ECGs apart.
COORDINATE_MIN = -99_999
COORDINATE_MAX = 999_999
COORDINATE_WIDTH = 7
_COORDINATE_FORMAT = f"%0{COORDINATE_WIDTH}.2f"
_TIME_TOLERANCE = 1e-9
# Below this an ECG cannot be drawn faithfully (and a 2.5 s cell could hold no sample).
MIN_FS_HZ = 50.0


def required_samples(fs: float, duration_s: float = DURATION_S) -> int:
    """Number of samples needed to fill the ``duration_s`` (10 s by default) a page shows."""
    return math.ceil(duration_s * fs - _TIME_TOLERANCE)


def validate_signal(
    signal: object, fs: object, duration_s: float = DURATION_S
) -> tuple[np.ndarray, float]:
    """Check a (12, N) millivolt array and its sampling rate; return them as float64/float.

    Raises ValueError naming the problem: wrong shape, non-numeric or non-finite values,
    a non-positive (or below 50 Hz) sampling rate, or fewer samples than ``duration_s``
    (the page's window, 10 s by default) at ``fs``. Later samples are not drawn.
    """
    if isinstance(fs, bool) or not isinstance(fs, numbers.Real):
        raise ValueError(f"sampling rate must be a number in Hz, got {fs!r}")
    rate = float(fs)
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"sampling rate must be a positive finite number of Hz, got {fs!r}")
    if rate < MIN_FS_HZ:
        raise ValueError(f"sampling rate {rate:g} Hz is below the minimum of {MIN_FS_HZ:g} Hz")
    array = np.asarray(signal)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"signal must be a real numeric array, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[0] != len(STANDARD_LEADS):
        raise ValueError(
            f"signal must have shape (12, samples) in standard lead order, got {array.shape}"
        )
    array = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError("signal contains NaN or infinite values")
    needed = required_samples(rate, duration_s)
    if array.shape[1] < needed:
        raise ValueError(
            f"signal has {array.shape[1]} samples but the layout needs {needed} "
            f"({duration_s:g} s at {rate:g} Hz)"
        )
    return array[:, :needed], rate


def segment_samples(segment: Segment, fs: float, n_samples: int) -> np.ndarray:
    """Indices of the samples whose time lies in the segment's closed window."""
    first = max(math.ceil(segment.start_s * fs - _TIME_TOLERANCE), 0)
    last = min(math.floor(segment.end_s * fs + _TIME_TOLERANCE), n_samples - 1)
    return np.arange(first, last + 1)


def segment_trace(
    signal: np.ndarray, fs: float, segment: Segment, page: Page
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, above, below): page coordinates (integer hundredths of mm) of one lead
    segment, and which of its samples were flattened onto the top or bottom edge of the
    row band (see :func:`~ecg_render.layout.clip_band`).

    Amplitudes are never rescaled. A clipping page (``page.clip``) draws samples beyond
    the band on its edge; otherwise a large deflection leaves its row band and ``above``
    and ``below`` are all False.
    """
    indices = segment_samples(segment, fs, signal.shape[1])
    values = signal[STANDARD_LEADS.index(segment.lead), indices]
    if segment.inverted:
        values = -values
    x = quantise(segment.x_mm + (indices / fs - segment.start_s) * page.speed_mm_s)
    y = quantise(segment.baseline_mm - values * segment.gain_mm_mv)
    if not page.clip:
        none = np.zeros(y.shape, dtype=bool)
        return x, y, none, none
    top, bottom = (int(v) for v in quantise(np.array(clip_band(page.rows[segment.row]))))
    above, below = y < top, y > bottom
    return x, np.clip(y, top, bottom), above, below


def trace_extent_mm(signal: object, fs: object, options: RenderOptions) -> float:
    """How far (mm) the drawn samples of ``signal`` reach above or below their baselines
    under ``options`` (gains and layout); the input of
    :func:`ecg_render.layout.row_height_for_extent`."""
    page = page_layout(options)
    array, rate = validate_signal(signal, fs, page.duration_s)
    extent = 0.0
    for segment in page.segments:
        indices = segment_samples(segment, rate, array.shape[1])
        values = array[STANDARD_LEADS.index(segment.lead), indices]
        extent = max(extent, float(np.max(np.abs(values))) * segment.gain_mm_mv)
    return extent


def quantise(values_mm: np.ndarray) -> np.ndarray:
    """Millimetres rounded to integer hundredths of a millimetre."""
    return np.rint(np.asarray(values_mm, dtype=np.float64) * COORDINATE_SCALE).astype(np.int64)


def format_hundredths(value: int) -> str:
    """Fixed formatting of a hundredths-of-mm integer: '12.5', '-0.07', '40'."""
    return f"{value / COORDINATE_SCALE:.2f}".rstrip("0").rstrip(".")


def format_coordinate(value: int) -> str:
    """Fixed-width trace coordinate: a hundredths-of-mm integer clamped to
    [:data:`COORDINATE_MIN`, :data:`COORDINATE_MAX`] and written in
    :data:`COORDINATE_WIDTH` characters: '-000.07', '0012.50', '9999.99'.

    Leading zeros are valid SVG numbers. A clamped point lies far outside any page.
    """
    clamped = min(max(int(value), COORDINATE_MIN), COORDINATE_MAX)
    return _COORDINATE_FORMAT % (clamped / COORDINATE_SCALE)


_DIGIT_PLACES = 10 ** np.arange(5, -1, -1, dtype=np.int64)  # 100000 ... 1
_ZERO, _POINT, _MINUS = ord("0"), ord("."), ord("-")


def coordinate_characters(values: np.ndarray) -> np.ndarray:
    """:func:`format_coordinate` of every value as a (n, 7) array of ASCII codes.

    Built from the integer digits with numpy, so a page's 10^4-10^5 coordinates take
    no per-value Python formatting: 1234 -> '0012.34', -7 -> '-000.07'.
    """
    # minimum/maximum rather than np.clip, whose per-call overhead shows on small arrays
    integers = np.asarray(values, dtype=np.int64).ravel()
    clamped = np.minimum(np.maximum(integers, COORDINATE_MIN), COORDINATE_MAX)
    magnitude = np.abs(clamped)
    digits = (magnitude[:, None] // _DIGIT_PLACES) % 10 + _ZERO  # (n, 6)
    out = np.empty((clamped.size, COORDINATE_WIDTH), dtype=np.uint8)
    out[:, :4] = digits[:, :4]
    out[:, 4] = _POINT
    out[:, 5:] = digits[:, 4:]
    # A negative value is at most 999.99: its first digit place holds the sign.
    out[clamped < 0, 0] = _MINUS
    return out


def format_mm(value: float) -> str:
    """A millimetre value rounded to 0.01 mm and formatted like :func:`format_hundredths`
    (rounding half to even, as :func:`quantise` does)."""
    return format_hundredths(round(float(value) * COORDINATE_SCALE))
