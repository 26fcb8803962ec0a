"""manage.py audit_blinding STUDY: run the blinding audit and print every channel."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from assessment.audit.result import audit_verdict
from assessment.management.commands.export_report import find_study
from assessment.services.audit import blinding_audit


class Command(BaseCommand):
    help = (
        "Fetch every panel of a study as readers receive it and test whether any "
        "non-clinical feature tells real from synthetic ECGs; exits 1 when a channel leaks."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's id or its name")

    def handle(self, *args, **options):
        study = find_study(options["study"])
        audit = blinding_audit(study=study)
        self.stdout.write(
            f"Blinding audit of study '{study.name}': {audit['n_panels']} panels of "
            f"{audit['panel_length']} bytes, {audit['family_size']} channels tested"
        )
        self.stdout.write(
            f"{'channel':<20} {'verdict':<26} {'accuracy [95% CI]':<24} "
            f"{'AUC [95% CI]':<24} simultaneous low"
        )
        for channel in audit["channels"]:
            self.stdout.write(
                f"{channel['channel']:<20} {channel['verdict']:<26} "
                f"{_interval(channel['accuracy'], channel['accuracy_ci']):<24} "
                f"{_interval(channel['auc'], channel['auc_ci']):<24} "
                f"{_number(channel['auc_simultaneous_low'])}"
            )
        if audit["leaking_channels"]:
            raise CommandError(f"leaking channels: {', '.join(audit['leaking_channels'])}")
        self.stdout.write(audit_verdict(audit))


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _interval(value: float | None, bounds: list) -> str:
    return f"{_number(value)} [{_number(bounds[0])}, {_number(bounds[1])}]"
