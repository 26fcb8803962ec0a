"""manage.py seed_study --name NAME --design paired|single --n N --real-origin ... (study_seed)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from assessment.errors import AssessmentError
from assessment.forms import split_ints, split_names
from assessment.models import DEFAULT_PRACTICE_CASES
from assessment.services import EcgPool, study_seed


class Command(BaseCommand):
    help = "Seed a blinded reader study from the ECG store (matched by label set, stratified)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--design", choices=["paired", "single"], required=True)
        parser.add_argument("--n", type=int, required=True, help="main cases")
        parser.add_argument("--real-origin", required=True, help="comma-separated origins")
        parser.add_argument("--real-folds", default="", help="comma-separated strat folds")
        parser.add_argument("--synthetic-origin", required=True, help="comma-separated origins")
        parser.add_argument("--readers", default="", help="comma-separated usernames")
        parser.add_argument("--seed", type=int, help="seeds the case selection (default: random)")
        parser.add_argument(
            "--practice",
            type=int,
            default=DEFAULT_PRACTICE_CASES,
            help=f"practice items with feedback (default {DEFAULT_PRACTICE_CASES})",
        )
        parser.add_argument("--unaware", type=int, default=0, help="unaware-phase items")
        parser.add_argument(
            "--study-settings",
            default="{}",
            help='JSON of study settings, e.g. {"repeat_share": 0.2}',
        )
        parser.add_argument("--open", action="store_true", help="open (freeze) it right away")

    def handle(self, *args, **options):
        try:
            settings = json.loads(options["study_settings"])
            if not isinstance(settings, dict):
                raise ValueError("--study-settings must be a JSON object")
            study = study_seed(
                name=options["name"],
                design=options["design"],
                n=options["n"],
                pool=EcgPool(
                    real_origins=split_names(options["real_origin"]),
                    synthetic_origins=split_names(options["synthetic_origin"]),
                    real_folds=split_ints(options["real_folds"]),
                ),
                readers=split_names(options["readers"]),
                seed=options["seed"],
                practice=options["practice"],
                unaware=options["unaware"],
                settings=settings,
                open_now=options["open"],
            )
        except (AssessmentError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        readers = study.enrolments.count()
        matched = ", ".join(f"{n} by {k}" for k, n in sorted(study.seeding["matched"].items()))
        self.stdout.write(
            f"Seeded study '{study.name}' (id {study.pk}, {study.status}): "
            f"{study.cases.count()} cases; pairs matched {matched}; "
            f"{readers} reader{'' if readers == 1 else 's'}"
        )
