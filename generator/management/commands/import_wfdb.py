"""manage.py import_wfdb PATH... [--rate HZ] [--origin NAME] [--source real|synthetic]."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.management.base import BaseCommand

from generator.core.file_hash import file_sha256
from generator.management.importing import origin_name, run_import
from generator.records.types import EcgRecord
from generator.records.usable import check_usable
from generator.records.wfdb_reader import read_wfdb_12lead, record_base, segment_10s


def wfdb_records(
    paths: list[str], *, rate: float | None, origin: str, source: str
) -> Iterator[EcgRecord]:
    """Each record cut into consecutive 10 s segments, resampled to ``rate`` if given."""
    for raw in paths:
        base = record_base(raw)
        signal, fs = read_wfdb_12lead(base)
        out_fs = fs if rate is None else rate
        # The record's length once resampled: all of it is cut into the stored segments.
        check_usable(base, sampling_rate=out_fs, n_samples=signal.shape[1] * out_fs / fs)
        segments = segment_10s(signal, fs, target_fs=rate)
        digest = file_sha256(base.with_suffix(".hea"))[:16]
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
        parser.add_argument(
            "--origin", type=origin_name, default="wfdb", help="origin recorded in the store"
        )
        parser.add_argument("--source", choices=["real", "synthetic"], default="real")

    def handle(self, *args, **options):
        records = wfdb_records(
            options["paths"],
            rate=options["rate"],
            origin=options["origin"],
            source=options["source"],
        )
        run_import(self, records, total=None, what="WFDB")
