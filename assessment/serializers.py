"""API serializers: staff views of studies and cases; blinded reader views of assignments."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessment.labels import label_question
from assessment.models import (
    DEFAULT_PRACTICE_CASES,
    MAX_ACTIVE_TIME_MS,
    MAX_ANSWER_CHANGES,
    MAX_EXTRA_CASES,
    MAX_FOLD,
    MAX_MAIN_CASES,
    Assignment,
    Case,
    Study,
)
from assessment.selectors import answer_rules
from assessment.services.seeding import SETTING_FIELDS, EcgPool


class StudySerializer(serializers.ModelSerializer):
    """A study as staff see it."""

    class Meta:
        model = Study
        exclude = ["snapshot", "panel_key"]
        read_only_fields = [f.name for f in Study._meta.fields]


class StudySeedSerializer(serializers.Serializer):
    """The arguments of ``study_seed`` (same as ``manage.py seed_study``)."""

    name = serializers.CharField(max_length=100)
    design = serializers.ChoiceField(choices=Study.Design.choices)
    n = serializers.IntegerField(min_value=1, max_value=MAX_MAIN_CASES)
    real_origins = serializers.ListField(child=serializers.CharField(), min_length=1)
    synthetic_origins = serializers.ListField(child=serializers.CharField(), min_length=1)
    real_folds = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_FOLD), required=False
    )
    synthetic_folds = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_FOLD), required=False
    )
    readers = serializers.ListField(child=serializers.CharField(), required=False)
    seed = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="seeds case selection; random when absent",
    )
    practice = serializers.IntegerField(
        min_value=0, max_value=MAX_EXTRA_CASES, default=DEFAULT_PRACTICE_CASES
    )
    unaware = serializers.IntegerField(min_value=0, max_value=MAX_EXTRA_CASES, default=0)
    settings = serializers.DictField(
        required=False, help_text=f"any of: {', '.join(SETTING_FIELDS)}"
    )
    open_now = serializers.BooleanField(default=False)

    def seed_kwargs(self) -> dict:
        """Validated data as keyword arguments of ``study_seed``."""
        data = dict(self.validated_data)
        data["pool"] = EcgPool(
            real_origins=data.pop("real_origins"),
            synthetic_origins=data.pop("synthetic_origins"),
            real_folds=data.pop("real_folds", []),
            synthetic_folds=data.pop("synthetic_folds", []),
        )
        data.setdefault("readers", [])
        data.setdefault("settings", {})
        return data


class StudyEnrolSerializer(serializers.Serializer):
    """Readers to add to a draft or open study, by username."""

    readers = serializers.ListField(
        child=serializers.CharField(max_length=150),
        min_length=1,
        max_length=500,
        help_text="usernames; readers already enrolled are left as they are",
    )


class StudyEnrolResultSerializer(serializers.Serializer):
    """What an enrolment request did: the readers added and those already enrolled."""

    study = StudySerializer()
    enrolled = serializers.ListField(child=serializers.CharField())
    already_enrolled = serializers.ListField(child=serializers.CharField())


class StudyOpenSerializer(serializers.Serializer):
    """Opening a study: a reason is needed only to open one that fails the blinding audit."""

    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="recorded reason to open a study despite a leaking audit channel",
    )


class CaseSerializer(serializers.ModelSerializer):
    """A study case with its provenance (staff only)."""

    class Meta:
        model = Case
        fields = [
            "id", "index", "kind", "real_ecg", "synthetic_ecg", "match_level", "stratum",
            "label_set", "is_anchor", "block",
        ]  # fmt: skip


class QuestionsSerializer(serializers.Serializer):
    """What an item asks."""

    answer_choices = serializers.ListField(child=serializers.CharField())
    confidence = serializers.BooleanField()
    label_consistency = serializers.BooleanField()
    quality_scale_max = serializers.IntegerField(allow_null=True)
    reason = serializers.BooleanField()
    label_question = serializers.CharField(allow_blank=True)


class ReaderAssignmentSerializer(serializers.ModelSerializer):
    """A reader's item: only opaque tokens and what is asked, nothing about the source."""

    item = serializers.CharField(source="token")
    study = serializers.CharField(source="enrolment.study.title")
    enrolment = serializers.CharField(source="enrolment.token")
    phase = serializers.CharField(source="reader_phase")
    panels = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()
    answered = serializers.BooleanField()

    class Meta:
        model = Assignment
        fields = ["item", "study", "enrolment", "position", "phase", "panels", "questions",
                  "answered"]  # fmt: skip

    @extend_schema_field(serializers.ListField(child=serializers.URLField()))
    def get_panels(self, assignment: Assignment) -> list[str]:
        tokens = [assignment.panel_a_token, assignment.panel_b_token]
        return [reverse("assessment:panel-image", args=[t]) for t in tokens if t]

    @extend_schema_field(QuestionsSerializer)
    def get_questions(self, assignment: Assignment) -> dict:
        rules = answer_rules(assignment)
        return {
            "answer_choices": list(rules.choices),
            "confidence": rules.asks_confidence,
            "label_consistency": rules.asks_label_consistency,
            "quality_scale_max": rules.quality_scale_max if rules.asks_quality else None,
            "reason": rules.asks_reason,
            "label_question": label_question(assignment.case.label_set)
            if rules.asks_label_consistency
            else "",
        }


class JudgmentSubmitSerializer(serializers.Serializer):
    """A reader's answer; ``client_token`` (a UUID made by the client) makes retries safe."""

    item = serializers.CharField(max_length=32)
    client_token = serializers.UUIDField()
    answer = serializers.CharField(required=False, allow_blank=True, default="")
    confidence = serializers.IntegerField(required=False, allow_null=True, default=None)
    label_consistent = serializers.BooleanField(required=False, allow_null=True, default=None)
    quality = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    active_time_ms = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_ACTIVE_TIME_MS, default=None
    )
    answer_changes = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_ANSWER_CHANGES, default=0
    )

    def service_kwargs(self) -> dict:
        """Validated data as keyword arguments of ``judgment_submit``."""
        data = dict(self.validated_data)
        data["item_token"] = data.pop("item")
        return data


class JudgmentReceiptSerializer(serializers.Serializer):
    """What was stored; ``created`` is false for a replayed client token."""

    item = serializers.CharField(source="assignment.token")
    client_token = serializers.UUIDField()
    answer = serializers.CharField()
    confidence = serializers.IntegerField(allow_null=True)
    label_consistent = serializers.BooleanField(allow_null=True)
    quality = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    created = serializers.BooleanField()
