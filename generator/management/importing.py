"""Shared plumbing of the import commands: origin names, progress bar, summary, warnings."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generator.core.leads import LeadError
from generator.core.scp import ScpCodeError
from generator.core.validation import SignalError
from generator.models import ECG
from generator.records.errors import RecordError
from generator.records.types import EcgRecord
from generator.records.usable import IMPLAUSIBLE_PEAK_KEY, PLAUSIBLE_PEAK_MV, amplitude_flag
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
    flagged: list[str] = []
    with tqdm(total=total, desc=what, unit="ecg", file=command.stderr, disable=None) as bar:
        try:
            summary = ecg_import(records=_flag_amplitudes(records, flagged), on_progress=bar.update)
        except INPUT_ERRORS as exc:
            raise CommandError(f"{exc} (nothing of this import was stored)") from exc
    summary.skipped += skipped_unread
    command.stdout.write(command.style.SUCCESS(summary.line(what)))
    if summary.n_differing:
        command.stderr.write(command.style.WARNING(f"warning: {summary.differing_line()}"))
    if flagged:
        named = "; ".join(flagged[:_NAMED]) + ("; ..." if len(flagged) > _NAMED else "")
        command.stderr.write(
            command.style.WARNING(
                f"warning: {len(flagged)} ECGs read peak above {PLAUSIBLE_PEAK_MV:g} mV, an "
                "implausible amplitude (new ones are stored flagged as "
                f"provenance.{IMPLAUSIBLE_PEAK_KEY} and left out of studies): {named}"
            )
        )
    return summary


def _flag_amplitudes(records: Iterable[EcgRecord], flagged: list[str]) -> Iterator[EcgRecord]:
    """Pass ``records`` on; one that peaks above the limit sampling jobs flag at gets the
    same provenance flag, and its source key and peak are added to ``flagged``."""
    for record in records:
        flag = amplitude_flag(record.signal)
        if flag:
            record.provenance = {**record.provenance, **flag}
            flagged.append(f"{record.source_key} ({flag[IMPLAUSIBLE_PEAK_KEY]:.1f} mV)")
        yield record
