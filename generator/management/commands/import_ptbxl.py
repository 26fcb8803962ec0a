"""manage.py import_ptbxl PTBXL_DIR [--rate 100|500] [--folds 9,10] [--limit N]."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from generator.management.importing import INPUT_ERRORS, run_import
from generator.records import ptbxl
from generator.services import stored_source_keys


def parse_folds(raw: str | None) -> list[int] | None:
    """'9,10' -> [9, 10]; folds must be 1..10."""
    if not raw:
        return None
    try:
        folds = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--folds {raw!r}: expected comma-separated integers") from exc
    if not folds or any(not 1 <= fold <= 10 for fold in folds):
        raise CommandError(f"--folds {raw!r}: PTB-XL folds are 1 to 10")
    return folds


class Command(BaseCommand):
    help = "Import PTB-XL records (ptbxl_database.csv, scp_statements.csv, WFDB) into the store."

    def add_arguments(self, parser):
        parser.add_argument("ptbxl_dir")
        parser.add_argument("--rate", type=int, choices=[100, 500], default=100)
        parser.add_argument("--folds", help="comma-separated strat_folds, e.g. 9,10")
        parser.add_argument("--limit", type=int, help="import at most N records")

    def handle(self, *args, **options):
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        try:
            index = ptbxl.open_ptbxl(
                options["ptbxl_dir"],
                rate=options["rate"],
                folds=parse_folds(options["folds"]),
                limit=options["limit"],
            )
        except INPUT_ERRORS as exc:
            raise CommandError(str(exc)) from exc
        stored = stored_source_keys(f"ptbxl:{index.rate}:")
        records = ptbxl.iter_records(index, skip_keys=stored)
        already = sum(ptbxl.source_key(index.rate, int(i)) in stored for i in index.rows["ecg_id"])
        run_import(self, records, total=len(index) - already, what="PTB-XL", skipped_unread=already)
