"""manage.py import_array FILE.npy|.npz --lead-order standard|sssd --rate HZ --origin NAME."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from generator.core.leads import LEAD_ORDERS
from generator.management.importing import INPUT_ERRORS, origin_name, run_import
from generator.records.arrays import array_records


class Command(BaseCommand):
    help = "Import an (N, 12, L) array of ECGs (e.g. a published synthetic set) into the store."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lead-order", choices=sorted(LEAD_ORDERS), required=True)
        parser.add_argument("--rate", type=float, required=True, help="sampling rate (Hz)")
        parser.add_argument(
            "--origin", type=origin_name, required=True, help="name of the set, e.g. sssd-ecg"
        )
        parser.add_argument("--source", choices=["real", "synthetic"], default="synthetic")
        parser.add_argument(
            "--labels", help="(N, 71) multi-hot .npy in SSSD-ECG order, or a CSV with scp_codes"
        )

    def handle(self, *args, **options):
        try:
            records = array_records(
                options["file"],
                lead_order=options["lead_order"],
                sampling_rate=options["rate"],
                origin=options["origin"],
                source=options["source"],
                labels_path=options["labels"],
            )
            run_import(self, records, total=len(records), what=options["origin"])
        except INPUT_ERRORS as exc:
            raise CommandError(str(exc)) from exc
