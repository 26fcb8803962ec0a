"""Studies stored before limb-lead derivation and dither keep what their readers saw."""

from django.db import migrations

OLD_BEHAVIOUR = {"derive_limb_leads": False, "dither": "none"}


def keep_old_harmonisation(apps, schema_editor):
    Study = apps.get_model("assessment", "Study")
    for study in Study.objects.all():
        spec = dict(study.harmonisation or {})
        if "derive_limb_leads" in spec or "dither" in spec:
            continue
        spec.setdefault("quantum_mv", 0.001)  # the default of those studies
        study.harmonisation = {**spec, **OLD_BEHAVIOUR}
        study.save(update_fields=["harmonisation"])


class Migration(migrations.Migration):
    dependencies = [("assessment", "0003_blinding")]

    operations = [migrations.RunPython(keep_old_harmonisation, migrations.RunPython.noop)]
