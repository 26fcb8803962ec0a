"""manage.py screen_pool --synthetic-origin ORIGIN --training-folds 1-8 --reference-folds 10."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from generator.core.privacy_screen import MIN_REFERENCE
from generator.privacy import PrivacyScreenError, privacy_screen


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
        parser.add_argument("--reference-folds", required=True, help="held-out folds, e.g. 10")
        parser.add_argument("--rate", type=float, default=100.0, help="harmonised rate (Hz)")
        parser.add_argument(
            "--min-reference",
            type=int,
            default=MIN_REFERENCE,
            help=f"fewest held-out reference ECGs accepted (default {MIN_REFERENCE})",
        )

    def handle(self, *args, **options):
        training = options["training_folds"]
        try:
            screen = privacy_screen(
                synthetic_origin=options["synthetic_origin"],
                real_origin=options["real_origin"],
                training_folds=parse_fold_list(training, "--training-folds") if training else (),
                reference_folds=parse_fold_list(options["reference_folds"], "--reference-folds"),
                sampling_rate=options["rate"],
                min_reference=options["min_reference"],
            )
        except PrivacyScreenError as exc:
            raise CommandError(str(exc)) from exc
        s = screen.summary
        low, high = s["share_below_p5_ci"]
        self.stdout.write(
            f"screen {screen.pk}: {s['n_synthetic']} synthetic vs {s['n_training']} training, "
            f"{s['n_reference']} reference ECGs\n"
            f"flagged as likely copies: {s['flagged']} (DCR < {s['copy_threshold']:.4f})\n"
            f"share below the reference 5th percentile: {s['share_below_p5']:.3f} "
            f"(95% CI {low:.3f}-{high:.3f}, Wilson)\n"
            f"membership-inference AUC: {s['mia_auc']:.3f}"
        )
