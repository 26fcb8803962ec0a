"""manage.py render_ecg ID --layout 3x4+R --format svg|png|pdf|json -o FILE|-."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ecg_render.formats import CONTENT_TYPES, render_bytes
from ecg_render.options import GAINS_MM_MV, LAYOUTS, PAPER_SPEEDS_MM_S, RenderOptions
from generator.core.harmonise import HarmonisationSpec, harmonise, viewing_spec
from generator.core.signal_codec import SignalIntegrityError
from generator.models import ECG


class Command(BaseCommand):
    help = "Render a stored ECG (harmonised) to an SVG, PNG, PDF or Plotly JSON file."

    def add_arguments(self, parser):
        parser.add_argument("ecg_id", type=int)
        parser.add_argument("--layout", choices=LAYOUTS, default="3x4+R")
        parser.add_argument("--format", choices=sorted(CONTENT_TYPES), default="svg")
        parser.add_argument("--speed", type=float, choices=PAPER_SPEEDS_MM_S, default=25.0)
        parser.add_argument("--gain", type=float, choices=GAINS_MM_MV, default=10.0)
        parser.add_argument(
            "--chest-gain", type=float, choices=GAINS_MM_MV, help="V1-V6 gain (split gain)"
        )
        parser.add_argument("--rhythm-lead", default="II")
        parser.add_argument(
            "--rate",
            type=float,
            help="harmonise to this rate, 50-1000 Hz (default: the stored rate, or 500 Hz "
            "when that lies outside)",
        )
        parser.add_argument(
            "-o", "--output", required=True, help="file to write; '-' for standard output"
        )

    def handle(self, *args, **options):
        to_stdout = options["output"] == "-"
        output = Path(options["output"])
        if not to_stdout and not output.parent.is_dir():
            raise CommandError(f"{output.parent}: output folder does not exist")
        ecg = ECG.objects.filter(pk=options["ecg_id"]).first()
        if ecg is None:
            raise CommandError(f"no ECG with id {options['ecg_id']}")
        try:
            render_options = RenderOptions(
                layout=options["layout"],
                speed_mm_s=options["speed"],
                gain_mm_mv=options["gain"],
                chest_gain_mm_mv=options["chest_gain"],
                rhythm_lead=options["rhythm_lead"],
            )
            if options["rate"] is None:
                spec = viewing_spec(ecg.sampling_rate)
            else:
                spec = HarmonisationSpec(sampling_rate=options["rate"])
            signal = harmonise(ecg.signal(), ecg.sampling_rate, spec)
            data = render_bytes(signal, spec.sampling_rate, render_options, options["format"])
        except (ValueError, SignalIntegrityError) as exc:
            raise CommandError(f"ECG {ecg.pk}: {exc}") from exc
        if to_stdout:
            self._write_stdout(data)
            self.stderr.write(f"wrote standard output ({len(data)} bytes, {options['format']})")
            return
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{output}: cannot write: {exc.strerror}") from exc
        self.stdout.write(f"wrote {output} ({len(data)} bytes, {options['format']})")

    def _write_stdout(self, data: bytes) -> None:
        """Write ``data`` unchanged to the binary layer under stdout (PNG/PDF bytes too)."""
        self.stdout.flush()
        self.stdout.buffer.write(data)
        self.stdout.buffer.flush()
