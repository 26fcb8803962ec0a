"""Admin pages of the ECG store (read-only: ECGs enter through imports and sampling)."""

from django.contrib import admin

from generator.models import ECG


@admin.register(ECG)
class ECGAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "source",
        "origin",
        "label_set",
        "sampling_rate",
        "n_samples",
        "created_at",
    )
    list_filter = ("source", "origin", "strat_fold")
    search_fields = ("label_set", "source_key", "dataset_ecg_id")
    exclude = ("signal_blob",)
    readonly_fields = [f.name for f in ECG._meta.fields if f.name != "signal_blob"]

    def has_add_permission(self, request) -> bool:
        return False
