"""manage.py enrol_readers STUDY --readers alice,bob (study_enrol)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from assessment.errors import AssessmentError
from assessment.forms import split_names
from assessment.management.commands.export_report import find_study
from assessment.services import study_enrol


class Command(BaseCommand):
    help = (
        "Add readers to a draft or open study (in an open one their items are built at once); "
        "a reader who saw one of its ECGs in another study is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's id or its name")
        parser.add_argument("--readers", required=True, help="comma-separated usernames")

    def handle(self, *args, **options):
        study = find_study(options["study"])
        usernames = split_names(options["readers"])
        if not usernames:
            raise CommandError("--readers names no reader")
        try:
            created = study_enrol(study=study, usernames=usernames)
        except AssessmentError as exc:
            raise CommandError(f"cannot enrol in study '{study.name}': {exc}") from exc
        names = [enrolment.reader.get_username() for enrolment in created]
        already = sorted(set(usernames) - set(names))
        if names:
            self.stdout.write(f"enrolled {', '.join(names)} in '{study.name}' ({study.status})")
        if already:
            self.stdout.write(f"already enrolled: {', '.join(already)}")
