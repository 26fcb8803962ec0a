"""manage.py sample_pool: generate synthetic ECGs into the pool (inline or on Celery)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.core.config import KERNEL_MODES
from generator.core.diffusion import SamplingError
from generator.sampling_jobs import (
    SamplingJobError,
    backend_build,
    sampling_job_create,
    sampling_job_run,
)
from generator.tasks import sampling_job_enqueue

SSSD_BACKEND = "sssd-nle"


def backend_choice(options: dict) -> tuple[str, dict]:
    """The backend name and its options from the command line."""
    if options["checkpoint"]:
        checkpoint = Path(options["checkpoint"])
        if not checkpoint.is_file():
            raise CommandError(f"{checkpoint}: checkpoint file not found")
        backend_options = {
            "checkpoint": str(checkpoint.resolve()),
            "sampler": options["sampler"],
            "steps": options["steps"],
            "batch_size": options["batch"],
        }
        if options["kernel_mode"]:
            backend_options["kernel_mode"] = options["kernel_mode"]
        if options["ema"]:
            backend_options["ema"] = True
        if options.get("compile"):
            backend_options["compile"] = True
        name = SSSD_BACKEND
    elif options["kernel_mode"]:
        raise CommandError("--kernel-mode applies to an SSSD-ECG(-nle) --checkpoint only")
    elif options["ema"]:
        raise CommandError("--ema applies to an SSSD-ECG(-nle) --checkpoint only")
    elif options.get("compile"):
        raise CommandError("--compile applies to an SSSD-ECG(-nle) --checkpoint only")
    elif options["backend"]:
        name, backend_options = options["backend"], {"batch_size": options["batch"]}
    else:
        raise CommandError("give --checkpoint (SSSD-ECG-nle) or --backend NAME")
    if options["device"]:
        backend_options["device"] = options["device"]
    return name, backend_options


class Command(BaseCommand):
    help = "Sample N synthetic ECGs into the store, conditioned on labels or matched real ECGs."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--checkpoint", help="SSSD-ECG-nle (or released SSSD-ECG) checkpoint")
        source.add_argument("--backend", help="another generator backend, e.g. deepfake-ecg")
        parser.add_argument("--n", type=int, required=True)
        labels = parser.add_mutually_exclusive_group()
        labels.add_argument(
            "--labels",
            help="SCP codes for every sample, e.g. NORM,SR; an SSSD --checkpoint needs these "
            "or --match, an unconditional --backend (deepfake-ecg) takes no labels",
        )
        labels.add_argument(
            "--match", help="copy label sets of stored real ECGs, e.g. 'origin=ptbxl;folds=9,10'"
        )
        parser.add_argument("--batch", type=int, default=16)
        parser.add_argument("--sampler", choices=["ddpm", "ddim"], default="ddpm")
        parser.add_argument("--steps", type=int, help="DDIM steps (DDPM always runs all 200)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--chunk-size", type=int, help="ECGs per stored chunk / Celery task (default: --batch)"
        )
        parser.add_argument(
            "--kernel-mode",
            choices=KERNEL_MODES,
            help="S4 kernel of the checkpoint (default: the one it records, else exact)",
        )
        parser.add_argument(
            "--ema", action="store_true", help="sample the moving average of the weights"
        )
        parser.add_argument(
            "--compile",
            action="store_true",
            help="torch.compile the network (seconds to a minute first; faster steps after)",
        )
        parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
        parser.add_argument("--origin", help="origin written on the ECGs")
        parser.add_argument(
            "--queue", action="store_true", help="run on the Celery 'gpu' queue instead of here"
        )

    def handle(self, *args, **options):
        chunk_size = options["chunk_size"] or options["batch"]
        if chunk_size < options["batch"]:
            raise CommandError(
                f"--chunk-size {chunk_size} is smaller than --batch {options['batch']}: "
                "each model batch would be cut to one chunk"
            )
        name, backend_options = backend_choice(options)
        try:  # load the checkpoint / weights now, so a bad one leaves no failed job behind
            backend = backend_build(name, backend_options)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        labels = options["labels"].split(",") if options["labels"] else None
        try:
            job = sampling_job_create(
                backend=name,
                backend_options=backend_options,
                n=options["n"],
                seed=options["seed"],
                labels=[code.strip() for code in labels] if labels else None,
                match_query=options["match"],
                chunk_size=chunk_size,
                origin=options["origin"],
            )
        except SamplingJobError as exc:
            raise CommandError(str(exc)) from exc
        if options["queue"] and not settings.CELERY_TASK_ALWAYS_EAGER:
            sampling_job_enqueue(job=job)
            self.stdout.write(f"queued sampling job {job.pk} ({job.n} ECGs) on the gpu queue")
            return
        if options["queue"]:
            self.stdout.write("no Celery broker is configured (CELERY_BROKER_URL): running here")
        with tqdm(total=job.n, desc="sampling", unit="ecg", file=self.stderr, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)
                if bar.disable:  # not a terminal (a log file, a pipe): one line per chunk
                    self.stderr.write(f"sampling job {job.pk}: {done}/{total} ECGs")

            try:
                job = sampling_job_run(job_id=job.pk, on_progress=progress, backend=backend)
            except (ValueError, SamplingError) as exc:  # bad checkpoint/options, NaN output
                raise CommandError(f"sampling job {job.pk} failed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"sampling job {job.pk}: {job.status}, {job.done}/{job.n} ECGs stored"
            )
        )
