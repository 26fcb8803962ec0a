"""manage.py import_wfdb PATH... [--rate HZ] [--origin NAME] [--source real|synthetic]."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError

from generator.core.file_hash import file_sha256
from generator.management.importing import run_import
from generator.records.types import EcgRecord
from generator.records.wfdb_reader import read_wfdb_12lead, record_base, segment_10s


def wfdb_records(
    paths: list[str], *, rate: float | None, origin: str, source: str
) -> Iterator[EcgRecord]:
    """Each record cut into consecutive 10 s segments, resampled to ``rate`` if given."""
    for raw in paths:
        base = record_base(raw)
        signal, fs = read_wfdb_12lead(base)
        segments = segment_10s(signal, fs, target_fs=rate)
        if not segments:
            raise CommandError(f"{base}: shorter than 10 s ({signal.shape[1] / fs:.1f} s)")
        digest = file_sha256(base.with_suffix(".hea"))[:16]
        out_fs = rate or fs
        for index, segment in enumerate(segments):
            yield EcgRecord(
                source_key=f"wfdb:{base.name}:{digest}:{out_fs:g}:{index}",
                signal=segment,
                sampling_rate=out_fs,
                source=source,
                origin=origin,
                provenance={
                    "file": base.name,
                    "segment": index,
                    "start_s": index * 10.0,
                    "original_rate": fs,
                },
            )


class Command(BaseCommand):
    help = "Import 12-lead WFDB records, cut into 10 s segments (resampled on request)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="record paths (with or without .hea)")
        parser.add_argument("--rate", type=float, help="resample to this rate (Hz)")
        parser.add_argument("--origin", default="wfdb", help="origin recorded in the store")
        parser.add_argument("--source", choices=["real", "synthetic"], default="real")

    def handle(self, *args, **options):
        if options["rate"] is not None and options["rate"] <= 0:
            raise CommandError("--rate must be positive")
        records = wfdb_records(
            options["paths"],
            rate=options["rate"],
            origin=options["origin"],
            source=options["source"],
        )
        run_import(self, records, total=None, what="WFDB")
