"""manage.py evaluate_realism --generator ORIGIN [--train-folds 1-8] [--test-folds 10]
[--checkpoint CKPT] [--generator-train-folds 1-8] [--allow-generator-test-overlap]."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from generator.core.realism import RealismError
from generator.management.commands.screen_pool import parse_fold_list
from generator.models import RealismEvaluation
from generator.realism import realism_evaluation, realism_request_check
from generator.tasks import evaluate_realism


class Command(BaseCommand):
    help = "TSTR/TRTS of a synthetic pool with a superclass classifier (stored per generator)."

    def add_arguments(self, parser):
        parser.add_argument("--generator", required=True, help="the synthetic pool's origin")
        parser.add_argument("--real-origin", default="ptbxl")
        parser.add_argument("--train-folds", default="1-8", help="real training folds")
        parser.add_argument("--test-folds", default="10", help="real test folds")
        parser.add_argument("--rate", type=float, default=100.0, help="harmonised rate (Hz)")
        parser.add_argument("--epochs", type=int, default=20)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--width", type=int, default=32, help="channels after the stem")
        parser.add_argument("--min-per-class", type=int, default=2)
        parser.add_argument(
            "--out", help="folder to save the two classifiers in (made if its parent exists)"
        )
        parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
        parser.add_argument(
            "--checkpoint",
            help="the pool's generator checkpoint: its data fingerprint names its training folds",
        )
        parser.add_argument(
            "--generator-train-folds",
            help="the folds the generator was trained on, when its checkpoint cannot tell",
        )
        parser.add_argument(
            "--allow-generator-test-overlap",
            action="store_true",
            help="evaluate even when the generator was trained on a test fold (recorded)",
        )
        parser.add_argument(
            "--queue", action="store_true", help="run on the Celery 'gpu' queue instead of here"
        )

    def handle(self, *args, **options):
        job = {
            "synthetic_origin": options["generator"],
            "real_origin": options["real_origin"],
            "train_folds": parse_fold_list(options["train_folds"], "--train-folds"),
            "test_folds": parse_fold_list(options["test_folds"], "--test-folds"),
            "sampling_rate": options["rate"],
            "epochs": options["epochs"],
            "seed": options["seed"],
            "width": options["width"],
            "min_per_class": options["min_per_class"],
            # absolute, so that a worker started elsewhere uses the same files
            "out_dir": str(Path(options["out"]).resolve()) if options["out"] else None,
            "device": options["device"],
            "checkpoint": (
                str(Path(options["checkpoint"]).resolve()) if options["checkpoint"] else None
            ),
            "generator_train_folds": (
                parse_fold_list(options["generator_train_folds"], "--generator-train-folds")
                if options["generator_train_folds"]
                else None
            ),
            "allow_generator_test_overlap": options["allow_generator_test_overlap"],
        }
        try:
            if options["queue"] and not settings.CELERY_TASK_ALWAYS_EAGER:
                realism_request_check(**job)  # refused here, not in the worker's log
                result = evaluate_realism.delay(job)
                self.stdout.write(f"queued realism evaluation (task {result.id}) on the gpu queue")
                return
            if options["queue"]:
                self.stdout.write(
                    "no Celery broker is configured (CELERY_BROKER_URL): running here"
                )
            evaluation = realism_evaluation(**job)
        except RealismError as exc:
            raise CommandError(str(exc)) from exc
        warning = evaluation.generator_training.get("warning")
        if warning:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(describe(evaluation))


def describe(evaluation: RealismEvaluation) -> str:
    """The macro metrics of each evaluation, one line each."""
    lines = [f"realism evaluation {evaluation.pk} of {evaluation.generator_key}"]
    lines.append(f"generator training folds: {training_text(evaluation.generator_training)}")
    for kind in ("tstr", "trts", "trtr"):
        result = evaluation.metrics[kind]
        m = result["macro"]
        lines.append(
            f"{kind.upper()}: macro AUC {m['auc']:.3f}, F1 {m['f1']:.3f}, G-mean "
            f"{m['g_mean']:.3f} (train {result['n_train']}, test {result['n_test']} ECGs)"
        )
    return "\n".join(lines)


def training_text(training: dict) -> str:
    """The generator's training folds and how they are known, in a few words."""
    folds = training.get("folds")
    if folds is None:
        return "unknown" + (f" ({training['warning']})" if training.get("warning") else "")
    text = f"{','.join(map(str, folds))} ({training['source']})"
    overlap = training.get("test_overlap_allowed")
    if overlap:
        text += f"; overlaps test folds {','.join(map(str, overlap))} (allowed explicitly)"
    return text
