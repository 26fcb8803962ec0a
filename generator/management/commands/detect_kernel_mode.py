"""manage.py detect_kernel_mode: which S4 kernel mode a checkpoint was trained with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from generator.core.checkpoint import CheckpointError
from generator.core.config import KERNEL_MODES
from generator.core.kernel_mode import (
    RESOLVED_AT,
    KernelModeVerdict,
    kernel_mode_errors,
    kernel_mode_verdict,
)
from generator.core.sampling import resolve_device
from generator.management.commands.import_ptbxl import parse_folds
from generator.management.importing import INPUT_ERRORS
from generator.records.arrays import load_signal_array


def held_out_ecgs(options: dict) -> tuple[np.ndarray, list[list[str]]]:
    """(N, 12, L) mV ECGs and their SCP codes, from PTB-XL or an unlabelled array file."""
    if options["limit"] is not None and options["limit"] < 1:
        raise CommandError(f"--limit must be at least 1, got {options['limit']}")
    try:
        if options["signals"]:
            return _file_ecgs(options["signals"])
        return _ptbxl_ecgs(options["ptbxl"], options["folds"], options["limit"])
    except INPUT_ERRORS as exc:  # an unreadable record or file, NaN samples
        raise CommandError(str(exc)) from exc


def _file_ecgs(path: Path) -> tuple[np.ndarray, list[list[str]]]:
    signals = load_signal_array(path)  # refuses NaN/inf samples, naming the rows
    if not len(signals):
        raise CommandError(f"no ECGs in {path}")
    return signals, [[] for _ in signals]


def _ptbxl_ecgs(root: Path, folds: str, limit: int | None) -> tuple[np.ndarray, list[list[str]]]:
    from generator.records.ptbxl import iter_ptbxl  # the records package reads files

    records = list(iter_ptbxl(root, folds=parse_folds(folds), limit=limit))
    if not records:
        raise CommandError(f"no PTB-XL records of folds {folds} in {root}")
    length = min(record.signal.shape[-1] for record in records)
    signals = np.stack([record.signal[:, :length] for record in records])
    return signals, [list(record.scp_codes) for record in records]


def describe(verdict: KernelModeVerdict) -> list[str]:
    """Each mode's mean error, the paired difference with its standard error, the verdict."""
    first, second = KERNEL_MODES
    lines = [
        f"{mode}: mean noise-prediction error {mean:.6f}" for mode, mean in verdict.means.items()
    ]
    ecgs = "1 ECG" if verdict.n_ecgs == 1 else f"{verdict.n_ecgs} ECGs"
    lines.append(
        f"difference {first} - {second}: {verdict.difference:.6f} (standard error "
        f"{verdict.standard_error:.6f} over {ecgs}, paired)"
    )
    if verdict.mode is None:
        lines.append(
            f"trained with kernel mode: undecided (the difference is within {RESOLVED_AT:g} "
            "standard errors of 0; more held-out ECGs may decide)"
        )
    else:
        lines.append(f"trained with kernel mode: {verdict.mode}")
    return lines


class Command(BaseCommand):
    help = (
        "Compare a checkpoint's noise-prediction error on held-out ECGs in both S4 kernel "
        "modes; the lower one is the mode it was trained with, when the difference exceeds "
        f"{RESOLVED_AT:g} standard errors (paired over the ECGs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", required=True, type=Path)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--ptbxl", type=Path, help="PTB-XL directory (100 Hz records)")
        source.add_argument("--signals", type=Path, help=".npy or .npz (N, 12, L) mV, no labels")
        parser.add_argument("--folds", default="10", help="PTB-XL folds to use (default 10)")
        parser.add_argument("--limit", type=int, help="at most this many PTB-XL records")
        parser.add_argument("--step", type=int, default=100, help="diffusion step t (0-based)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the fixed noise")
        parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")

    def handle(self, *args, **options):
        signals, label_sets = held_out_ecgs(options)
        try:
            errors = kernel_mode_errors(
                options["checkpoint"],
                signals,
                label_sets,
                step=options["step"],
                seed=options["seed"],
                device=resolve_device(options["device"]),
            )
        except (CheckpointError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        verdict = kernel_mode_verdict(errors)
        *lines, last = describe(verdict)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write((self.style.SUCCESS if verdict.mode else self.style.WARNING)(last))
