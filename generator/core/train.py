"""Command line: train SSSD-ECG(-nle) on PTB-XL (folds 1-8 train, fold 9 validation).

python -m generator.core.train --ptbxl DIR --out DIR [--steps N] [--tiny] ...
torchrun --nproc_per_node=N -m generator.core.train ...   # DistributedDataParallel
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generator.core.config import KERNEL_MODES, GeneratorConfig
from generator.core.distributed import close_world
from generator.core.labels import encode_label_sets
from generator.core.sampling import resolve_device
from generator.core.training import EcgDataset, TrainingOptions, TrainingResult, train

TRAIN_FOLDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
VALIDATION_FOLDS: tuple[int, ...] = (9,)


def load_ptbxl_dataset(
    ptbxl_dir: str | Path,
    folds: Sequence[int],
    vocabulary: Sequence[str],
    *,
    signal_length: int = 1000,
    limit: int | None = None,
) -> EcgDataset | None:
    """PTB-XL records of ``folds`` at 100 Hz as a dataset; None when no record matches.

    Every statement listed in a record's scp_codes counts as present, whatever its
    likelihood (PTB-XL writes 0 for form and rhythm statements), as SSSD-ECG did.
    """
    from generator.records.ptbxl import iter_ptbxl  # the records package reads files

    signals, label_sets = [], []
    for record in iter_ptbxl(ptbxl_dir, rate=100, folds=list(folds), limit=limit):
        if record.signal.shape[-1] < signal_length:
            raise ValueError(
                f"PTB-XL record {record.ecg_id} has {record.signal.shape[-1]} samples, "
                f"fewer than {signal_length}"
            )
        signals.append(record.signal[:, :signal_length])
        label_sets.append([c for c in record.scp_codes if c in vocabulary])
    if not signals:
        return None
    description = {"dataset": "PTB-XL", "folds": sorted(folds), "rate": 100, "limit": limit}
    return EcgDataset(
        np.stack(signals), encode_label_sets(label_sets, vocabulary), description=description
    )


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options, shared by this CLI and ``manage.py train_generator``."""
    parser.add_argument("--ptbxl", required=True, type=Path, help="PTB-XL directory")
    parser.add_argument("--out", required=True, type=Path, help="checkpoint directory")
    parser.add_argument("--steps", type=int, default=100_000, help="total training steps")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--labels", choices=("sssd", "nle"), default="nle")
    parser.add_argument("--lead-set", choices=("nle", "sssd"), default="nle")
    parser.add_argument("--checkpoint-every", type=int, default=4000)
    parser.add_argument("--resume", type=Path, help="checkpoint to continue from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="small model for smoke runs")
    parser.add_argument("--limit", type=int, help="read at most this many records per split")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    parser.add_argument(
        "--train-ssm",
        action="store_true",
        help="also train the S4 tensors log_dt, w, B, P, Q (SSSD-ECG keeps them fixed)",
    )
    parser.add_argument(
        "--freeze-present-state",
        action="store_true",
        help="nle: pin the 'present' label embeddings at zero, as the released nle code did",
    )
    parser.add_argument(
        "--kernel-mode",
        choices=KERNEL_MODES,
        default="exact",
        help="S4 kernel: exact (both states of each conjugate pair) or release_fallback",
    )
    parser.add_argument("--fp32", action="store_true", help="no bf16 autocast on CUDA")
    parser.add_argument(
        "--log-every",
        type=int,
        default=0,
        metavar="STEPS",
        help="steps between progress lines when stderr is not a terminal (default: ~1%%)",
    )
    parser.add_argument(
        "--ema",
        type=float,
        metavar="DECAY",
        help="also keep an exponential moving average of the weights (e.g. 0.9999; off: paper)",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m generator.core.train", description=__doc__)
    add_training_arguments(parser)
    return parser.parse_args(argv)


def training_config(args: argparse.Namespace) -> GeneratorConfig:
    """The model configuration of a fresh run (paper size unless ``--tiny``)."""
    factory = GeneratorConfig.tiny if args.tiny else GeneratorConfig.paper
    return factory(
        label_variant=args.labels,
        lead_set=args.lead_set,
        train_ssm=args.train_ssm,
        freeze_present_state=args.freeze_present_state,
        kernel_mode=args.kernel_mode,
    )


def training_options(args: argparse.Namespace) -> TrainingOptions:
    """Steps, batch, learning rate, checkpoints, device and precision from ``args``."""
    return TrainingOptions(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        out_dir=args.out,
        device=str(resolve_device(args.device)),  # an unusable device fails before any work
        mixed_precision=not args.fp32,
        ema=args.ema,
        log_every=getattr(args, "log_every", 0) or 0,
    )


def run_training(args: argparse.Namespace) -> TrainingResult:
    """Train on PTB-XL folds 1-8 (validation on fold 9) as ``args`` says."""
    config, options = training_config(args), training_options(args)
    vocabulary = config.model.label_vocabulary
    train_set = load_ptbxl_dataset(args.ptbxl, TRAIN_FOLDS, vocabulary, limit=args.limit)
    if train_set is None:
        raise ValueError(f"no PTB-XL records of folds 1-8 under {args.ptbxl}")
    validation_set = load_ptbxl_dataset(args.ptbxl, VALIDATION_FOLDS, vocabulary, limit=args.limit)
    try:
        return train(
            train_set,
            config=None if args.resume else config,
            options=options,
            validation_set=validation_set,
            resume=args.resume,
        )
    finally:
        close_world()


def training_summary(result: TrainingResult) -> str:
    """One line: final step, last training and validation loss, last checkpoint."""
    final = result.checkpoints[-1] if result.checkpoints else "none written"
    parts = [f"trained to step {result.step}"]
    if result.losses:
        parts.append(f"loss {result.losses[-1]:.4f}")
    if result.validation_losses:
        last = max(result.validation_losses)
        parts.append(f"validation loss {result.validation_losses[last]:.4f} (step {last})")
    return "; ".join([*parts, f"last checkpoint: {final}"])


def main(argv: Sequence[str] | None = None) -> int:
    """Run training from the command line; returns the exit status."""
    try:
        result = run_training(parse_args(argv))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from exc
    if result.world.is_main:
        print(training_summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
