"""Flag the ECGs stored before imports flagged implausible amplitudes, so that seeding
leaves them out whatever their source and whenever they were stored."""

from django.db import migrations

from generator.core.signal_codec import SignalIntegrityError, decode_signal
from generator.records.usable import IMPLAUSIBLE_PEAK_KEY, amplitude_flag

BATCH = 500


def flag_stored_ecgs(apps, schema_editor):
    ECG = apps.get_model("generator", "ECG")
    unflagged = ECG.objects.exclude(provenance__has_key=IMPLAUSIBLE_PEAK_KEY).order_by("pk")
    flagged = []
    for ecg in unflagged.only("pk", "signal_blob", "signal_sha256", "provenance").iterator(
        chunk_size=BATCH
    ):
        try:
            flag = amplitude_flag(decode_signal(ecg.signal_blob, ecg.signal_sha256))
        except SignalIntegrityError:  # damaged: reading it fails loudly wherever it is used
            continue
        if flag:
            ecg.provenance = {**ecg.provenance, **flag}
            flagged.append(ecg)
    ECG.objects.bulk_update(flagged, ["provenance"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("generator", "0007_privacy_screen_sources"),
    ]

    operations = [
        migrations.RunPython(flag_stored_ecgs, migrations.RunPython.noop),
    ]
