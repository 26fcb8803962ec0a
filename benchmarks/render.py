"""Benchmark ECG rendering: ecg_render against the ecg_plot package, SVG and PNG, 100 and 500 Hz.

Both draw the same 10 s signals as a 3x4 page with a lead II rhythm strip at 25 mm/s and
10 mm/mV; PNGs are written at the same dpi. Real records from ../shared/data are used
when present, seeded synthetic signals otherwise. The two contenders are timed
interleaved (one run of each in turn, the order swapped every round), so a change in
machine load hits both alike. The target is SVG at least 5x faster than ecg_plot.

    python3 benchmarks/render.py [--repeats 15] [--dpi 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecg_plot  # noqa: E402

from ecg_render import RenderOptions, render_png, render_svg  # noqa: E402
from generator.core.leads import STANDARD_LEADS  # noqa: E402
from generator.records.wfdb_reader import read_wfdb_12lead, segment_10s  # noqa: E402

SVG_TARGET_RATIO = 5.0
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_RECORDS = {
    100.0: SHARED_DATA / "ptbxl_sample" / "00001_lr",  # 12 x 1000 at 100 Hz
    500.0: SHARED_DATA / "ptb_diagnostic" / "s0010_re",  # 1000 Hz, cut and resampled
}


def ten_seconds(fs: float) -> tuple[np.ndarray, str]:
    """A 10 s (12, 10*fs) signal in mV: the real record when present, else a seeded one."""
    record = REAL_RECORDS[fs]
    if record.with_suffix(".hea").is_file():
        signal, record_fs = read_wfdb_12lead(record)
        return segment_10s(signal, record_fs, target_fs=fs)[0], record.name
    rng = np.random.default_rng(0)
    t = np.arange(int(10 * fs)) / fs
    beats = np.exp(-(((t % 0.8) - 0.2) ** 2) / 2e-4)  # narrow QRS-like spikes at 75 bpm
    gains = rng.uniform(-1.0, 1.5, (12, 1))
    return gains * beats + rng.normal(0, 0.02, (12, t.size)), "synthetic (seeded)"


def interleaved_medians(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median wall times of ``ours`` and ``theirs`` over ``repeats`` rounds of one run each,
    alternating which goes first, after one warm-up run of both."""
    ours(), theirs()
    times: dict[Callable[[], object], list[float]] = {ours: [], theirs: []}
    for round_ in range(repeats):
        for task in (ours, theirs) if round_ % 2 == 0 else (theirs, ours):
            started = time.perf_counter()
            task()
            times[task].append(time.perf_counter() - started)
    return statistics.median(times[ours]), statistics.median(times[theirs])


def contenders(
    signal: np.ndarray, fs: float, dpi: float, folder: Path
) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """Per format, the (ecg_render, ecg_plot) tasks; each writes its file like a user would."""
    options = RenderOptions(layout="3x4+R", rhythm_lead="II")

    def chart() -> ecg_plot.ECGChart:
        return ecg_plot.plot(
            signal, sample_rate=fs, lead_names=list(STANDARD_LEADS), layout="12lead",
            time_mode="sequential", rhythm_lead="II", speed=25, gain=10,
        )  # fmt: skip

    return {
        "SVG": (
            lambda: (folder / "ours.svg").write_text(render_svg(signal, fs, options)),
            lambda: (folder / "theirs.svg").write_text(chart().to_svg()),
        ),
        "PNG": (
            lambda: (folder / "ours.png").write_bytes(render_png(signal, fs, options, dpi)),
            lambda: chart().save(folder / "theirs.png", dpi=dpi),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per cell (median)")
    parser.add_argument("--dpi", type=float, default=200.0, help="PNG resolution")
    args = parser.parse_args()
    print(f"median of {args.repeats} interleaved rounds after a warm-up; PNG at {args.dpi:g} dpi")
    header = f"{'signal':<36} {'format':<6} {'ecg_render ms':>14} {'ecg_plot ms':>12} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    svg_ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        folder = Path(tmp)
        for fs in (100.0, 500.0):
            signal, source = ten_seconds(fs)
            label = f"12x{signal.shape[1]} @ {fs:g} Hz, {source}"
            for fmt, (ours, theirs) in contenders(signal, fs, args.dpi, folder).items():
                ours_s, theirs_s = interleaved_medians(ours, theirs, args.repeats)
                ratio = theirs_s / ours_s
                if fmt == "SVG":
                    svg_ratios.append(ratio)
                print(
                    f"{label:<36} {fmt:<6} {ours_s * 1e3:>14.1f} {theirs_s * 1e3:>12.1f} "
                    f"{ratio:>6.2f}x"
                )
    print("ratio = ecg_plot time / ecg_render time (above 1: ecg_render is faster)")
    verdict = "met" if min(svg_ratios) >= SVG_TARGET_RATIO else "NOT met"
    print(f"SVG target >= {SVG_TARGET_RATIO:g}x: {verdict} (lowest {min(svg_ratios):.2f}x)")


if __name__ == "__main__":
    main()
