"""manage.py train_generator --ptbxl DIR --out DIR: train SSSD-ECG-nle on PTB-XL.

Under ``torchrun --nproc_per_node=N manage.py train_generator ...`` every process runs this
command and trains with DistributedDataParallel, as ``torchrun -m generator.core.train`` does.
"""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from generator.core.train import add_training_arguments, run_training, training_summary


class Command(BaseCommand):
    help = "Train SSSD-ECG(-nle) on PTB-XL folds 1-8 with fold 9 for validation."

    def add_arguments(self, parser):
        add_training_arguments(parser)

    def handle(self, *args, **options):
        names = ("ptbxl", "out", "steps", "batch_size", "lr", "labels", "lead_set",
                 "checkpoint_every", "resume", "seed", "tiny", "limit", "device", "train_ssm",
                 "freeze_present_state", "kernel_mode", "fp32", "ema", "log_every")  # fmt: skip
        try:
            result = run_training(argparse.Namespace(**{name: options[name] for name in names}))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if result.world.is_main:
            self.stdout.write(self.style.SUCCESS(training_summary(result)))
