"""Command line: render a 12-lead ECG from a .npy array or a WFDB record to a file.

python -m ecg_render.cli INPUT.npy --fs 100 [--row K] [--order standard|sssd] -o ecg.png
python -m ecg_render.cli RECORD.hea [--layout 6x2] [--format pdf] -o ecg.pdf
python -m ecg_render.cli RECORD.hea --no-harmonise -o raw.svg

By default the input is harmonised as a study would show it: the default
``HarmonisationSpec`` (first 10 s, III/aVR/aVL/aVF derived from I and II, dithered and
rounded to 10 uV) at the input's own sampling rate, or at 500 Hz when that lies outside
50-1000 Hz. ``--no-harmonise`` draws the raw samples instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecg_render.formats import CONTENT_TYPES, render_bytes
from ecg_render.options import GAINS_MM_MV, LAYOUTS, PAPER_SPEEDS_MM_S, RenderOptions
from ecg_render.raster import DEFAULT_DPI
from generator.core.harmonise import harmonise, viewing_spec
from generator.core.leads import LEAD_ORDERS, from_order
from generator.records.wfdb_reader import read_wfdb_12lead, record_base

WFDB_SUFFIXES = {".hea", ".dat", ""}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m ecg_render.cli``."""
    parser = argparse.ArgumentParser(
        prog="python -m ecg_render.cli",
        description="Render a 12-lead ECG (10 s, mV) as SVG, PNG, PDF or Plotly JSON.",
    )
    parser.add_argument("input", type=Path, help="a .npy array or a WFDB record (.hea)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--row", type=int, help="which ECG of an (N, 12, L) .npy array")
    parser.add_argument("--fs", type=float, help="sampling rate in Hz (required for .npy)")
    parser.add_argument("--order", choices=sorted(LEAD_ORDERS), help="lead order of a .npy")
    parser.add_argument("--layout", choices=LAYOUTS, default="3x4+R")
    parser.add_argument("--speed", type=float, choices=PAPER_SPEEDS_MM_S, default=25.0)
    parser.add_argument("--gain", type=float, choices=GAINS_MM_MV, default=10.0)
    parser.add_argument(
        "--chest-gain", type=float, choices=GAINS_MM_MV, help="V1-V6 gain (split gain)"
    )
    parser.add_argument("--rhythm-lead", default="II")
    parser.add_argument(
        "--no-clip",
        action="store_true",
        help="let tall complexes overlap the next row; by default they are flattened at the "
        "row's edge under a clip marker",
    )
    parser.add_argument(
        "--format", choices=sorted(CONTENT_TYPES), help="default: the output suffix"
    )
    parser.add_argument("--dpi", type=float, help=f"PNG resolution (default {DEFAULT_DPI})")
    parser.add_argument(
        "--no-harmonise",
        action="store_true",
        help="draw the raw samples; by default the ECG is harmonised as a study shows it "
        "(10 s, limb leads derived from I and II, dithered and rounded to 10 uV) at its own "
        "rate, or at 500 Hz when that lies outside 50-1000 Hz",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, render and write the file; bad input exits with a usage message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    fmt = args.format or args.output.suffix.lstrip(".").lower()
    if fmt not in CONTENT_TYPES:
        parser.error(f"cannot tell the format from {args.output.name!r}; pass --format")
    if args.dpi is not None and fmt != "png":
        parser.error("--dpi applies only to --format png")
    try:
        signal, fs = load_signal(args)
        if not args.no_harmonise:
            spec = viewing_spec(fs)
            signal, fs = harmonise(signal, fs, spec), spec.sampling_rate
        options = RenderOptions(
            layout=args.layout,
            speed_mm_s=args.speed,
            gain_mm_mv=args.gain,
            chest_gain_mm_mv=args.chest_gain,
            rhythm_lead=args.rhythm_lead,
            clip=not args.no_clip,
        )
        data = render_bytes(signal, fs, options, fmt, dpi=args.dpi or DEFAULT_DPI)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes, {fmt})")
    return 0


def load_signal(args: argparse.Namespace) -> tuple[np.ndarray, float]:
    """The standard-order (12, N) mV signal and its rate named by the parsed arguments."""
    if args.input.suffix == ".npy":
        return _load_npy(args)
    if args.input.suffix in WFDB_SUFFIXES:
        return _load_wfdb(args)
    raise ValueError(f"{args.input}: expected a .npy array or a WFDB record (.hea)")


def _load_npy(args: argparse.Namespace) -> tuple[np.ndarray, float]:
    if args.fs is None:
        raise ValueError("--fs (the sampling rate in Hz) is required for a .npy input")
    array = np.load(args.input, allow_pickle=False)
    if array.ndim == 3:
        if args.row is None and len(array) != 1:
            raise ValueError(f"{args.input} holds {len(array)} ECGs; choose one with --row")
        row = 0 if args.row is None else args.row
        if not 0 <= row < len(array):
            raise ValueError(f"--row {row} is out of range for {len(array)} ECGs")
        array = array[row]
    elif args.row is not None:
        raise ValueError(f"--row applies to an (N, 12, L) array, not one of shape {array.shape}")
    if array.ndim != 2 or array.shape[0] != 12:
        raise ValueError(f"{args.input}: expected shape (12, L) or (N, 12, L), got {array.shape}")
    return from_order(array, args.order or "standard"), args.fs


def _load_wfdb(args: argparse.Namespace) -> tuple[np.ndarray, float]:
    if args.row is not None or args.order is not None:
        raise ValueError("--row and --order apply to .npy input; a WFDB record names its leads")
    signal, fs = read_wfdb_12lead(record_base(args.input))
    if args.fs is not None and args.fs != fs:
        raise ValueError(f"{args.input} is sampled at {fs:g} Hz, not --fs {args.fs:g}")
    return signal, fs


if __name__ == "__main__":
    sys.exit(main())
