"""manage.py screen_pool --synthetic-origin ORIGIN --training-folds 1-8 --reference-folds 10,
or with a supplied training set: --training-file train.npy --sampling-rate 100 ..."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from generator.core.leads import LEAD_ORDERS
from generator.core.privacy_screen import MIN_REFERENCE
from generator.models import PrivacyScreen
from generator.privacy import (
    BLOCK_SIZE,
    PrivacyScreenError,
    privacy_screen,
    privacy_screen_summary,
)
from generator.tasks import privacy_screen_enqueue


def parse_fold_list(raw: str, option: str) -> list[int]:
    """'1-8' or '9,10' (or both: '1-3,5') -> the folds, each 1..10."""
    folds: set[int] = set()
    try:
        for part in filter(None, (p.strip() for p in raw.split(","))):
            low, _, high = part.partition("-")
            folds.update(range(int(low), int(high or low) + 1))
    except ValueError as exc:
        raise CommandError(f"{option} {raw!r}: expected folds like 1-8 or 9,10") from exc
    if not folds or any(not 1 <= fold <= 10 for fold in folds):
        raise CommandError(f"{option} {raw!r}: PTB-XL folds are 1 to 10")
    return sorted(folds)


class Command(BaseCommand):
    help = "Screen a synthetic pool for memorised training ECGs (DCR against held-out reals)."

    def add_arguments(self, parser):
        parser.add_argument("--synthetic-origin", required=True)
        parser.add_argument("--real-origin", default="ptbxl")
        parser.add_argument("--training-folds", default="", help="e.g. 1-8; default: the rest")
        parser.add_argument("--reference-folds", default="", help="held-out folds, e.g. 10")
        parser.add_argument(
            "--training-file",
            help="the training set as a file instead of folds: .npy (N, 12, L) mV, or .npz "
            "with 'signals' (N, 12, L) and optional 'ids' and 'sampling_rate'",
        )
        parser.add_argument(
            "--reference-file", help="the held-out reference as a file (same formats)"
        )
        parser.add_argument(
            "--sampling-rate",
            type=float,
            help="the files' sampling rate (Hz); needed unless an .npz holds 'sampling_rate'",
        )
        parser.add_argument(
            "--lead-order",
            choices=sorted(LEAD_ORDERS),
            default="standard",
            help="lead order of the files (standard: I, II, III, aVR, aVL, aVF, V1-V6)",
        )
        parser.add_argument("--rate", type=float, default=100.0, help="harmonised rate (Hz)")
        parser.add_argument(
            "--min-reference",
            type=int,
            default=MIN_REFERENCE,
            help=f"fewest held-out reference ECGs accepted (default {MIN_REFERENCE})",
        )
        parser.add_argument(
            "--block-size",
            type=int,
            default=BLOCK_SIZE,
            help=f"training ECGs read and searched at a time (default {BLOCK_SIZE})",
        )
        parser.add_argument(
            "--queue", action="store_true", help="run on the Celery 'gpu' queue instead of here"
        )

    def handle(self, *args, **options):
        training, reference = options["training_folds"], options["reference_folds"]
        job = {
            "synthetic_origin": options["synthetic_origin"],
            "real_origin": options["real_origin"],
            "training_folds": parse_fold_list(training, "--training-folds") if training else [],
            "reference_folds": (
                parse_fold_list(reference, "--reference-folds") if reference else []
            ),
            # absolute, so that a worker started elsewhere reads the same files
            "training_file": _absolute(options["training_file"]),
            "reference_file": _absolute(options["reference_file"]),
            "file_sampling_rate": options["sampling_rate"],
            "file_lead_order": options["lead_order"],
            "sampling_rate": options["rate"],
            "min_reference": options["min_reference"],
            "block_size": options["block_size"],
        }
        try:
            if options["queue"] and not settings.CELERY_TASK_ALWAYS_EAGER:
                privacy_screen_enqueue(options=job)
                self.stdout.write("queued the privacy screen on the gpu queue")
                return
            if options["queue"]:
                self.stdout.write(
                    "no Celery broker is configured (CELERY_BROKER_URL): running here"
                )
            screen = privacy_screen(**job)
        except PrivacyScreenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(describe(screen))


def describe(screen: PrivacyScreen) -> str:
    """The screen's summary in a few lines."""
    shown = privacy_screen_summary(screen)
    s = screen.summary
    low, high = s["share_below_p5_ci"]
    auc_low, auc_high = s["mia_auc_ci"]
    return (
        f"screen {screen.pk}: {s['n_synthetic']} synthetic vs {s['n_training']} training, "
        f"{s['n_reference']} reference ECGs\n"
        f"training set: {shown['training_text']}\n"
        f"reference: {shown['reference_text']}\n"
        f"flagged as likely copies: {s['flagged']} (DCR < {s['copy_threshold']:.4f})\n"
        f"share below the reference 5th percentile: {s['share_below_p5']:.3f} "
        f"(95% CI {low:.3f}-{high:.3f}, Wilson)\n"
        f"membership-inference AUC: {s['mia_auc']:.3f} "
        f"(95% CI {auc_low:.3f}-{auc_high:.3f}, DeLong, conditional on the pool)"
    )


def _absolute(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None
