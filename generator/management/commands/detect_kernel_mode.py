"""manage.py detect_kernel_mode: which S4 kernel mode a checkpoint was trained with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from generator.core.checkpoint import CheckpointError
from generator.core.kernel_mode import kernel_mode_errors, likely_kernel_mode
from generator.core.sampling import resolve_device
from generator.management.commands.import_ptbxl import parse_folds


def held_out_ecgs(options: dict) -> tuple[np.ndarray, list[list[str]]]:
    """(N, 12, L) mV ECGs and their SCP codes, from PTB-XL or an unlabelled .npy file."""
    if options["signals"]:
        try:
            signals = np.load(options["signals"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['signals']}: {exc}") from exc
        return signals, [[] for _ in signals]
    from generator.records.ptbxl import iter_ptbxl  # the records package reads files

    records = list(
        iter_ptbxl(options["ptbxl"], folds=parse_folds(options["folds"]), limit=options["limit"])
    )
    if not records:
        raise CommandError(f"no PTB-XL records of folds {options['folds']} in {options['ptbxl']}")
    length = min(record.signal.shape[-1] for record in records)
    signals = np.stack([record.signal[:, :length] for record in records])
    return signals, [list(record.scp_codes) for record in records]


class Command(BaseCommand):
    help = (
        "Compare a checkpoint's noise-prediction error on held-out ECGs in both S4 kernel "
        "modes; the lower one is the mode it was trained with."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", required=True, type=Path)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--ptbxl", type=Path, help="PTB-XL directory (100 Hz records)")
        source.add_argument("--signals", type=Path, help=".npy (N, 12, L) mV, no labels")
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
        for mode, error in errors.items():
            self.stdout.write(f"{mode}: mean noise-prediction error {error:.6f}")
        self.stdout.write(
            self.style.SUCCESS(f"trained with kernel mode: {likely_kernel_mode(errors)}")
        )
