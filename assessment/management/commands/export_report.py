"""manage.py export_report STUDY --format csv|json|html -o FILE (the staff downloads, offline)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessment.models import Study
from assessment.reporting import EXPORT_FORMATS, study_export


class Command(BaseCommand):
    help = (
        "Write a study's judgments (csv), statistics summary (json), HTML report or answer "
        "history (history: every revision of every answer, CSV) to a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's id or its name")
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=list(EXPORT_FORMATS),
            required=True,
            help="; ".join(f"{fmt}: {label}" for fmt, label in EXPORT_FORMATS.items()),
        )
        parser.add_argument(
            "-o", "--output", required=True, help="file to write; '-' for standard output"
        )

    def handle(self, *args, **options):
        study = find_study(options["study"])
        try:
            report = study_export(study, options["fmt"])
        except ValueError as exc:
            raise CommandError(f"cannot build the report of study '{study.name}': {exc}") from exc
        if options["output"] == "-":
            self.stdout.write(report.content, ending="")
            return
        target = Path(options["output"])
        try:
            target.write_text(report.content, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Wrote the {options['fmt']} report of study '{study.name}' to {target}")


def find_study(key: str) -> Study:
    """The study whose id or name is ``key``; CommandError naming the known studies if none."""
    study = Study.objects.filter(name=key).first()
    if study is None and key.isdigit():
        study = Study.objects.filter(pk=int(key)).first()
    if study is None:
        known = ", ".join(f"{pk} ({name})" for pk, name in Study.objects.values_list("pk", "name"))
        raise CommandError(f"no study with id or name '{key}'; known studies: {known or 'none'}")
    return study
