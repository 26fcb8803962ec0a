"""Enrolments whose last answer came before the last answer completed the list (when the
done page did that) get completed_at = their last answer's time."""

from django.db import migrations
from django.db.models import Exists, Max, OuterRef


def backfill(apps, schema_editor):
    Enrolment = apps.get_model("assessment", "Enrolment")
    Assignment = apps.get_model("assessment", "Assignment")
    unanswered = Assignment.objects.filter(enrolment=OuterRef("pk"), judgments__isnull=True)
    finished = (
        Enrolment.objects.filter(completed_at__isnull=True, assignments__isnull=False)
        .annotate(open_items=Exists(unanswered), last=Max("assignments__judgments__answered_at"))
        .filter(open_items=False)
        .distinct()
    )
    for enrolment in finished:
        Enrolment.objects.filter(pk=enrolment.pk).update(completed_at=enrolment.last)


class Migration(migrations.Migration):
    dependencies = [("assessment", "0006_settings_and_judgment_constraints")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
