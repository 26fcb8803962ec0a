"""Shared plumbing of the import commands: progress bar, summary line, clear errors."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.core.leads import LeadError
from generator.core.scp import ScpCodeError
from generator.core.validation import SignalError
from generator.records.errors import RecordError
from generator.records.types import EcgRecord
from generator.services import ImportSummary, ecg_import

INPUT_ERRORS = (RecordError, SignalError, LeadError, ScpCodeError)


def run_import(
    command: BaseCommand,
    records: Iterable[EcgRecord],
    *,
    total: int | None,
    what: str,
    skipped_unread: int = 0,
) -> ImportSummary:
    """Import ``records`` with a progress bar; input errors become a CommandError.

    ``skipped_unread`` counts inputs known to be stored that were never read again.
    """
    with tqdm(total=total, desc=what, unit="ecg", file=command.stderr, disable=None) as bar:
        try:
            summary = ecg_import(records=records, on_progress=bar.update)
        except INPUT_ERRORS as exc:
            raise CommandError(f"{exc} (nothing of this import was stored)") from exc
    summary.skipped += skipped_unread
    command.stdout.write(command.style.SUCCESS(summary.line(what)))
    return summary
