"""Admin pages of the ECG store (read-only: ECGs enter through imports and sampling)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from generator.models import ECG, PrivacyScreen, RealismEvaluation, SamplingJob
from generator.sampling_jobs import SamplingJobError, sampling_job_cancel
from generator.tasks import sampling_job_requeue


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


@admin.register(SamplingJob)
class SamplingJobAdmin(admin.ModelAdmin):
    list_display = ("id", "backend", "origin", "status", "progress", "seed", "created_at")
    list_filter = ("status", "backend")
    readonly_fields = [f.name for f in SamplingJob._meta.fields]
    actions = ["cancel_jobs", "requeue_jobs"]

    @admin.display(description="progress")
    def progress(self, job: SamplingJob) -> str:
        return f"{job.done}/{job.n}"

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Cancel the selected jobs (a running one after its current chunk)")
    def cancel_jobs(self, request, queryset) -> None:
        for job in queryset:
            try:
                job = sampling_job_cancel(job=job)
            except SamplingJobError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                when = "now" if job.status == job.Status.CANCELLED else "after its current chunk"
                self.message_user(request, f"job {job.pk} cancelled {when}")

    @admin.action(description="Re-queue the selected jobs (fills in missing samples only)")
    def requeue_jobs(self, request, queryset) -> None:
        for job in queryset:
            try:
                sampling_job_requeue(job=job)
            except SamplingJobError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, f"re-queued job {job.pk}")


@admin.register(PrivacyScreen)
class PrivacyScreenAdmin(admin.ModelAdmin):
    """Screens are made by ``manage.py screen_pool``; the staff page shows their results."""

    list_display = ("id", "synthetic_origin", "real_origin", "flagged", "results", "created_at")
    list_filter = ("synthetic_origin",)
    readonly_fields = [f.name for f in PrivacyScreen._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="flagged")
    def flagged(self, screen: PrivacyScreen) -> int:
        return screen.summary.get("flagged", 0)

    @admin.display(description="results")
    def results(self, screen: PrivacyScreen) -> str:
        url = reverse("assessment:staff-privacy-screen", args=[screen.pk])
        return format_html('<a href="{}">staff page</a>', url)


@admin.register(RealismEvaluation)
class RealismEvaluationAdmin(admin.ModelAdmin):
    """Evaluations are made by ``manage.py evaluate_realism``; reports show them."""

    list_display = ("id", "synthetic_origin", "generator_name", "tstr", "trts", "created_at")
    list_filter = ("synthetic_origin",)
    readonly_fields = [f.name for f in RealismEvaluation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="TSTR macro AUC")
    def tstr(self, evaluation: RealismEvaluation) -> str:
        return f"{evaluation.tstr_auc:.3f}"

    @admin.display(description="TRTS macro AUC")
    def trts(self, evaluation: RealismEvaluation) -> str:
        return f"{evaluation.metrics['trts']['macro']['auc']:.3f}"
