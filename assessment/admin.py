"""Admin of reader studies: seed a study, open it, and inspect (never edit) frozen data."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from assessment.errors import AssessmentError
from assessment.forms import StudySeedForm
from assessment.models import (
    Assignment,
    Case,
    Enrolment,
    Judgment,
    JudgmentRevision,
    ReaderProfile,
    Study,
)
from assessment.planning.summary import plan_by_stratum, plan_totals
from assessment.services import case_exclude, reader_retire, study_open, study_seed
from assessment.services.seeding import study_seed_preview

_CASE_FIELDS = ("index", "kind", "real_ecg", "synthetic_ecg", "match_level", "stratum",
                "label_set", "is_anchor", "block")  # fmt: skip


class CaseInline(admin.TabularInline):
    """A study's cases; read-only, and no adding or deleting once the study is frozen."""

    model = Case
    fields = _CASE_FIELDS
    readonly_fields = _CASE_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Study | None = None) -> bool:
        return False


DRAFT_EDITABLE = ("name", "title")


def _seed_preview(form: StudySeedForm) -> tuple[StudySeedForm, dict | None]:
    """The seed page's preview of a valid form: the form to show again (with the drawn
    seed filled in when it was blank) and the plan per stratum, or None after an error."""
    try:
        planned = study_seed_preview(**form.preview_kwargs())
    except AssessmentError as exc:
        form.add_error(None, str(exc))
        return form, None
    drawn = form.cleaned_data["seed"] is None
    if drawn:
        data = form.data.copy()
        data["seed"] = str(planned.seed)
        form = StudySeedForm(data)
        form.is_valid()
    strata = plan_by_stratum(planned.matches, planned.plan)
    return form, {
        "seed": planned.seed,
        "seed_drawn": drawn,
        "study": planned.study,
        "candidates": planned.candidates,
        "excluded_seen": planned.excluded_seen,
        "excluded_copies": planned.excluded_copies,
        "excluded_implausible": planned.excluded_implausible,
        "strata": strata,
        "totals": plan_totals(strata),
    }


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("name", "design", "status", "seed", "created_at", "opened_at")
    list_filter = ("design", "status")
    search_fields = ("name", "title")
    readonly_fields = ("status", "seeding", "snapshot", "created_at", "opened_at", "closed_at")
    inlines = [CaseInline]
    actions = ["open_studies"]
    change_list_template = "assessment/admin/study_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Studies are created by seeding (the "Seed a study" page), never empty.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Study | None = None):
        """Seeded settings are read-only even on a draft (change them by re-seeding, which
        validates them); only the names stay editable before the study opens."""
        every_field = [f.name for f in Study._meta.fields]
        if obj is not None and obj.is_frozen:
            return every_field
        return [name for name in every_field if name not in DRAFT_EDITABLE]

    def get_urls(self):
        seed = path("seed/", self.admin_site.admin_view(self.seed_view), name="assessment_seed")
        return [seed, *super().get_urls()]

    def seed_view(self, request: HttpRequest) -> HttpResponse:
        """Seed a study from the ECG store (the same service as manage.py seed_study).

        The "Preview" button shows the pairs seeding would choose, per stratum, from the
        same planning code; a blank seed is drawn then and filled in, so seeding next
        stores exactly the previewed cases."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = StudySeedForm(request.POST if request.method == "POST" else None)
        preview = None
        if request.method == "POST" and form.is_valid():
            action = request.POST.get("action", "seed")
            if action == "preview":
                form, preview = _seed_preview(form)
            elif action == "seed":
                try:
                    study = study_seed(**form.seed_kwargs())
                except AssessmentError as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, f"Seeded study '{study.name}'.", messages.SUCCESS)
                    return redirect(reverse("admin:assessment_study_change", args=[study.pk]))
            else:
                form.add_error(None, f"Unknown action {action[:40]!r}: use Preview or Seed.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Seed a study",
            "form": form,
            "preview": preview,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "assessment/admin/seed_study.html", context)

    @admin.action(description="Open (freeze) selected studies")
    def open_studies(self, request: HttpRequest, queryset) -> None:
        for study in queryset:
            try:
                study_open(study=study)
            except AssessmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Opened '{study.name}'.", messages.SUCCESS)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("study", "index", "kind", "match_level", "stratum", "label_set")
    list_filter = ("study", "kind", "match_level")
    readonly_fields = ("study", *_CASE_FIELDS)
    actions = ["exclude_cases"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False

    @admin.action(description="Remove selected cases from their (draft) study")
    def exclude_cases(self, request: HttpRequest, queryset) -> None:
        for case in queryset.select_related("study"):
            try:
                case_exclude(case=case)
            except AssessmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Workflow data is written by the reader pages only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(_ReadOnlyAdmin):
    list_display = ("study", "reader", "reader_index", "consented_at", "completed_at")
    list_filter = ("study",)


@admin.register(Assignment)
class AssignmentAdmin(_ReadOnlyAdmin):
    list_display = ("enrolment", "position", "phase", "round", "case", "synthetic_on_top")
    list_filter = ("enrolment__study", "phase", "round")


class RevisionInline(admin.TabularInline):
    """Every accepted submit of a judgment, oldest first (append-only)."""

    model = JudgmentRevision
    fields = ("number", "answer", "confidence", "answered_at", "active_time_ms", "client_token")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Judgment)
class JudgmentAdmin(_ReadOnlyAdmin):
    list_display = ("assignment", "answer", "confidence", "answered_at", "revisions")
    list_filter = ("assignment__enrolment__study",)
    inlines = [RevisionInline]


@admin.register(ReaderProfile)
class ReaderProfileAdmin(_ReadOnlyAdmin):
    list_display = ("user", "specialty", "years_experience", "ecgs_per_week")


class RetiringUserAdmin(UserAdmin):
    """Users who took part in studies are retired (deactivated, pseudonymised), never deleted:
    deleting one is refused because their judgments are protected."""

    actions = ["retire_readers"]

    @admin.action(description="Retire selected readers (deactivate and pseudonymise)")
    def retire_readers(self, request: HttpRequest, queryset) -> None:
        for user in queryset:
            name = user.get_username()
            try:
                reader_retire(reader=user)
            except AssessmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Retired {name} as {user.get_username()}.")


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), RetiringUserAdmin)
