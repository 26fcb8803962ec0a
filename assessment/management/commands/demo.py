"""manage.py demo: migrate, demo users, real and synthetic ECGs, seeded open studies; serve.

Every step reuses what an earlier run stored, so running the demo twice changes nothing.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from assessment import demo_data
from assessment.demo_data import EcgSet
from assessment.errors import AssessmentError, BlindingLeakError
from assessment.models import Study
from assessment.services import EcgPool, study_enrol, study_open, study_seed
from assessment.services.seeding import pairs_available
from generator.backends.base import BackendError
from generator.core.diffusion import SamplingError

PRACTICE_ITEMS = 2
TURING_MAIN_CASES = 18  # of the 22 label-matched pairs, keeping 2 for practice and 2 spare


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    staff: bool = False


DEMO_USERS = (
    DemoUser("admin", "admin-demo-pass", "staff: admin, studies, reports", staff=True),
    DemoUser("reader1", "reader1-demo-pass", "reader"),
    DemoUser("reader2", "reader2-demo-pass", "reader"),
)
READERS = [user.username for user in DEMO_USERS if not user.staff]


def serve(port: int, *, debug: bool) -> None:
    """Replace this process by gunicorn serving the platform on 127.0.0.1:``port`` (static
    files through WhiteNoise), as in production; DEBUG only when asked."""
    env = {**os.environ, "DEBUG": "1" if debug else "0"}
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
        "--access-logfile", "-",
    ]  # fmt: skip
    sys.stdout.flush()
    os.execvpe(command[0], command, env)


class Command(BaseCommand):
    help = (
        "Set up the demo (migrate, demo users, real and synthetic ECGs, two open studies) "
        "and serve it on 127.0.0.1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ptbxl", type=Path, help="a PTB-XL directory for the real ECGs")
        parser.add_argument("--checkpoint", type=Path, help="SSSD-ECG-nle checkpoint to sample")
        parser.add_argument(
            "--steps", type=int, default=demo_data.DDIM_STEPS, help="DDIM steps (--checkpoint)"
        )
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--real-count", type=int, default=24, help="real ECGs to import")
        parser.add_argument(
            "--synthetic-count", type=int, default=12, help="synthetic ECGs to sample"
        )
        parser.add_argument("--offline", action="store_true", help="never try PhysioNet")
        parser.add_argument("--no-serve", action="store_true", help="stop after the setup")
        parser.add_argument(
            "--debug", action="store_true", help="serve with DEBUG on (Django's error pages)"
        )

    def handle(self, *args, **options):
        self._check(options)
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        self.say("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
        for user in DEMO_USERS:
            _user_ensure(user)
        real, generated, turing = self._ecgs(options)
        studies = self._studies(real, generated, turing)
        sets: dict[str, EcgSet] = {}
        for ecg_set in (*turing, real, generated):  # the real set may be the Turing one
            sets.setdefault(ecg_set.origin, ecg_set)
        self._report(options["port"], list(sets.values()), studies)
        if not options["no_serve"]:
            serve(options["port"], debug=options["debug"])

    def say(self, text: str) -> None:
        self.stdout.write(text)

    def _check(self, options: dict) -> None:
        if options["ptbxl"] is not None and not options["ptbxl"].is_dir():
            raise CommandError(f"--ptbxl {options['ptbxl']}: no such directory")
        if options["checkpoint"] is not None and not options["checkpoint"].is_file():
            raise CommandError(f"--checkpoint {options['checkpoint']}: no such file")
        # demo-single shows about half of them; demo-paired needs at least one main case
        # and its practice items from the rest.
        need = PRACTICE_ITEMS + 4
        if options["synthetic_count"] < need:
            raise CommandError(f"--synthetic-count must be at least {need}")
        if options["real_count"] < options["synthetic_count"]:
            raise CommandError("--real-count must be at least --synthetic-count")
        if options["steps"] < 1:
            raise CommandError("--steps must be at least 1")
        if not 1 <= options["port"] <= 65535:
            raise CommandError(f"--port {options['port']}: not a TCP port")

    def _ecgs(self, options: dict) -> tuple[EcgSet, EcgSet, tuple[EcgSet, ...]]:
        """The real set, the generated set and the Turing-test (real, synthetic) sets if any."""
        folder = demo_data.turing22_dir()
        try:
            turing = demo_data.turing22_import(folder) if folder is not None else ()
            real = demo_data.real_ecgs_ensure(
                ptbxl_dir=options["ptbxl"],
                count=options["real_count"],
                offline=options["offline"],
                cache_dir=Path(settings.VAR_DIR) / "demo" / "ptb-xl",
                say=self.say,
            )
            generated = demo_data.generated_ecgs_ensure(
                real_origin=real.origin,
                count=options["synthetic_count"],
                checkpoint=options["checkpoint"],
                steps=options["steps"],
                say=self.say,
            )
        except (ImportError, BackendError, SamplingError) as exc:
            raise CommandError(
                f"{exc}\nThe demo samples synthetic ECGs with DeepFake-ECG "
                "(pip install -e '.[peer]') or with an SSSD-ECG-nle --checkpoint."
            ) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(f"the demo's ECGs could not be prepared: {exc}") from exc
        return real, generated, turing

    def _studies(
        self, real: EcgSet, generated: EcgSet, turing: tuple[EcgSet, ...]
    ) -> list[tuple[Study, bool]]:
        """Seed demo-single, then demo-paired from what is left: the readers take part in
        both, so no ECG of one study may appear in the other (disjoint pools)."""
        paired_pool = (
            (turing[0].origin, turing[1].origin) if turing else (real.origin, generated.origin)
        )
        try:
            single = _study_ensure(
                name="demo-single",
                title="ECG reading study: single ECGs",
                design=Study.Design.SINGLE,
                pool=(real.origin, generated.origin),
                n=generated.count - PRACTICE_ITEMS,
            )
            pool = EcgPool(real_origins=[paired_pool[0]], synthetic_origins=[paired_pool[1]])
            left = pairs_available(pool=pool, readers=READERS) - PRACTICE_ITEMS
            paired = _study_ensure(
                name="demo-paired",
                title="ECG reading study: pairs",
                design=Study.Design.PAIRED,
                pool=paired_pool,
                n=min(TURING_MAIN_CASES, left),
            )
        except AssessmentError as exc:
            raise CommandError(f"seeding a demo study failed: {exc}") from exc
        return [paired, single]

    def _report(self, port: int, sets: list[EcgSet], studies: list[tuple[Study, bool]]) -> None:
        base = f"http://127.0.0.1:{port}"
        lines = ["", "ECG Turing test demo is ready.", "", "ECGs:"]
        for ecg_set in sets:
            note = f", {ecg_set.added} new" if ecg_set.added else ", already stored"
            lines.append(f"  {ecg_set.origin}: {ecg_set.count} ({ecg_set.description}{note})")
        if any(s.is_standin for s in sets):
            lines += [
                "",
                "WARNING: no real ECGs were available (no --ptbxl, PhysioNet not reachable, no",
                "../shared/data): the 'real' side of the studies uses STAND-IN ECGs generated in",
                "code. They are not recordings; results of these studies say nothing about real",
                "ECGs. Staff pages show this warning too; readers are never told.",
            ]
        lines += ["", "Studies (open; reader1 and reader2 enrolled):"]
        for study, created in studies:
            state = "seeded now" if created else "already there"
            lines.append(
                f"  {study.name} ({study.design}, {study.cases.count()} cases, {state}): "
                f"{base}{reverse('assessment:staff-study-detail', args=[study.pk])}  dashboard "
                f"{base}{reverse('reports:dashboard', args=[study.pk])}"
            )
            override = (study.snapshot or {}).get("opened_despite_audit")
            if override:
                lines.append(
                    f"    opened despite its blinding audit ({', '.join(override['channels'])});"
                    f" see {base}{reverse('assessment:staff-study-audit', args=[study.pk])}"
                )
        lines += [
            "",
            "URLs:",
            f"  login          {base}{reverse('login')}",
            f"  reader start   {base}{reverse('assessment:home')}",
            f"  staff home     {base}{reverse('assessment:staff-home')}",
            f"  admin          {base}{reverse('admin:index')}",
            f"  API docs       {base}{reverse('api-docs')}",
            "",
            "Demo users (fixed demo passwords; never use them on a shared machine):",
        ]
        lines += [f"  {u.username:<8} {u.password:<18} {u.role}" for u in DEMO_USERS]
        self.say("\n".join(lines))


def _user_ensure(user: DemoUser) -> None:
    """Create the demo user, or restore its demo password and role."""
    account, created = get_user_model().objects.get_or_create(username=user.username)
    changed = created or not account.check_password(user.password)
    if changed:
        account.set_password(user.password)
    if (account.is_staff, account.is_superuser) != (user.staff, user.staff):
        account.is_staff = account.is_superuser = user.staff
        changed = True
    if changed:
        account.save()


def _study_ensure(
    *, name: str, title: str, design: str, pool: tuple[str, str], n: int
) -> tuple[Study, bool]:
    """Seed and open the study unless it exists; either way both readers are enrolled."""
    study = Study.objects.filter(name=name).first()
    created = study is None
    if created:
        study = study_seed(
            name=name,
            design=design,
            n=n,
            pool=EcgPool(real_origins=[pool[0]], synthetic_origins=[pool[1]]),
            readers=READERS,
            practice=PRACTICE_ITEMS,
            settings={"title": title},
        )
    elif study.status != Study.Status.CLOSED:
        study_enrol(study=study, usernames=READERS)
    if study.status == Study.Status.DRAFT:
        study = _open_demo_study(study)
    return study, created


def _open_demo_study(study: Study) -> Study:
    """Open the study; the demo opens one the blinding audit refuses (a false alarm is
    possible at the audit's 1% level, and demo data may be stand-ins) with a recorded
    reason, which the staff pages and reports show."""
    try:
        return study_open(study=study)
    except BlindingLeakError as refused:
        channels = ", ".join(refused.audit["leaking_channels"])
        return study_open(
            study=study,
            override_reason=f"demo setup: opened despite the blinding audit ({channels})",
            opened_by="demo",
        )
