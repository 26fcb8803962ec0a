"""Shared plumbing of the import commands: origin names, progress bar, summary, warnings."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.core.leads import LeadError
from generator.core.scp import ScpCodeError
from generator.core.validation import SignalError
from generator.models import ECG
from generator.records.errors import RecordError
from generator.records.types import EcgRecord
from generator.records.usable import IMPLAUSIBLE_PEAK_KEY, PLAUSIBLE_PEAK_MV
from generator.services import ImportSummary, ecg_import

INPUT_ERRORS = (RecordError, SignalError, LeadError, ScpCodeError)
_NAMED = 5  # flagged ECGs named in a warning


def origin_name(raw: str) -> str:
    """The ``--origin`` of an import (an argparse type): not blank, and short enough to store."""
    origin = raw.strip()
    limit = ECG._meta.get_field("origin").max_length
    if not origin:
        raise argparse.ArgumentTypeError("the origin must not be empty or blank")
    if len(origin) > limit:
        raise argparse.ArgumentTypeError(
            f"the origin is {len(origin)} characters long, at most {limit} are stored"
        )
    return origin


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
    Already stored ECGs that differ from the import and implausible amplitudes are
    reported as warnings on stderr.
    """
    with tqdm(total=total, desc=what, unit="ecg", file=command.stderr, disable=None) as bar:
        try:
            summary = ecg_import(records=records, on_progress=bar.update)
        except INPUT_ERRORS as exc:
            raise CommandError(f"{exc} (nothing of this import was stored)") from exc
    summary.skipped += skipped_unread
    command.stdout.write(command.style.SUCCESS(summary.line(what)))
    if summary.n_differing:
        command.stderr.write(command.style.WARNING(f"warning: {summary.differing_line()}"))
    if summary.flagged:
        flagged = [f"{key} ({peak:.1f} mV)" for key, peak in summary.flagged]
        named = "; ".join(flagged[:_NAMED]) + ("; ..." if len(flagged) > _NAMED else "")
        command.stderr.write(
            command.style.WARNING(
                f"warning: {len(flagged)} added ECGs peak above {PLAUSIBLE_PEAK_MV:g} mV, an "
                f"implausible amplitude; they are stored flagged as "
                f"provenance.{IMPLAUSIBLE_PEAK_KEY} and left out of studies: {named}"
            )
        )
    return summary
