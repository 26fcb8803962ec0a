"""Forms of the reader workflow and of staff seeding; each validates input and calls a service."""

from __future__ import annotations

import uuid

from django import forms

from assessment.answers import CONFIDENCE_SCALE, REASON_MAX_CHARS, AnswerRules
from assessment.models import (
    MAX_ACTIVE_TIME_MS,
    MAX_ANSWER_CHANGES,
    MAX_EXTRA_CASES,
    MAX_MAIN_CASES,
    ReaderProfile,
    Study,
)
from assessment.services.seeding import EcgPool
from ecg_render.options import LAYOUTS

_YES_NO = [("yes", "Yes"), ("no", "No")]
ANSWER_TEXT = {"top": "Top (A)", "bottom": "Bottom (B)", "real": "Real", "synthetic": "Synthetic"}
SHORTCUTS = {"top": "A", "bottom": "B", "real": "R", "synthetic": "S"}


class ConsentForm(forms.Form):
    """Consent to take part, plus the reader's profile."""

    consent = forms.BooleanField(
        required=True, label="I have read the information above and agree to take part."
    )
    specialty = forms.ChoiceField(choices=ReaderProfile.Specialty.choices)
    years_experience = forms.IntegerField(
        min_value=0, max_value=70, label="Years of experience reading ECGs"
    )
    ecgs_per_week = forms.IntegerField(min_value=0, max_value=10000, label="ECGs read per week")


class AcknowledgeForm(forms.Form):
    """A page the reader confirms having read (instructions, reveal); CSRF-protected POST."""


class JudgmentForm(forms.Form):
    """The answer to one item; which fields are required follows the item's rules."""

    answer = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    confidence = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(i, str(i)) for i in range(CONFIDENCE_SCALE[0], CONFIDENCE_SCALE[1] + 1)],
        widget=forms.RadioSelect,
    )
    label_consistent = forms.TypedChoiceField(
        required=False,
        choices=_YES_NO,
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    quality = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, widget=forms.RadioSelect
    )
    reason = forms.CharField(required=False, max_length=REASON_MAX_CHARS, widget=forms.Textarea)
    client_token = forms.UUIDField(widget=forms.HiddenInput)
    active_time_ms = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_ACTIVE_TIME_MS, widget=forms.HiddenInput
    )
    answer_changes = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ANSWER_CHANGES,
        initial=0,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, rules: AnswerRules, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.fields["answer"].choices = [(c, ANSWER_TEXT[c]) for c in rules.choices]
        self.fields["quality"].choices = [
            (i, str(i)) for i in range(1, rules.quality_scale_max + 1)
        ]

    def answer_options(self) -> list[dict]:
        """The main answer's choices with their keyboard shortcuts, for the template."""
        current = self["answer"].value()
        return [
            {"value": value, "text": text, "key": SHORTCUTS[value], "checked": value == current}
            for value, text in self.fields["answer"].choices
        ]

    def service_kwargs(self) -> dict:
        """Cleaned data as keyword arguments of ``judgment_submit``."""
        data = self.cleaned_data
        return {
            "client_token": data["client_token"],
            "answer": data["answer"] or None,
            "confidence": data["confidence"],
            "label_consistent": data["label_consistent"],
            "quality": data["quality"],
            "reason": data["reason"],
            "active_time_ms": data["active_time_ms"],
            "answer_changes": data["answer_changes"] or 0,
        }


class StudySeedForm(forms.Form):
    """Staff form behind the admin's "Seed a study" page (mirrors manage.py seed_study)."""

    name = forms.CharField(max_length=100)
    title = forms.CharField(max_length=200, initial="ECG reading study")
    design = forms.ChoiceField(choices=Study.Design.choices)
    n = forms.IntegerField(min_value=1, max_value=MAX_MAIN_CASES, label="main cases")
    real_origins = forms.CharField(help_text="comma-separated, e.g. ptbxl")
    real_folds = forms.CharField(required=False, help_text="comma-separated, e.g. 9,10")
    synthetic_origins = forms.CharField(help_text="comma-separated")
    readers = forms.CharField(required=False, help_text="comma-separated usernames")
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, help_text="blank: a random seed"
    )
    practice = forms.IntegerField(min_value=0, max_value=MAX_EXTRA_CASES, initial=0)
    unaware = forms.IntegerField(
        min_value=0, max_value=MAX_EXTRA_CASES, initial=0, label="unaware-phase items"
    )
    layout = forms.ChoiceField(choices=[(x, x) for x in LAYOUTS], initial="3x4+R")
    synthetic_share = forms.FloatField(min_value=0, max_value=1, initial=0.5)
    ask_confidence = forms.BooleanField(required=False, initial=True)
    ask_label_consistency = forms.BooleanField(required=False)
    ask_reason = forms.BooleanField(required=False)
    unaware_phase = forms.BooleanField(required=False)
    show_progress = forms.BooleanField(required=False, initial=True)
    allow_answer_changes = forms.BooleanField(required=False)
    repeat_share = forms.FloatField(min_value=0, max_value=1, initial=0)
    repeat_min_distance = forms.IntegerField(min_value=0, initial=5)
    attention_checks = forms.IntegerField(min_value=0, initial=0)
    equivalence_low = forms.FloatField(min_value=0, max_value=0.5, initial=0.40)
    equivalence_high = forms.FloatField(min_value=0.5, max_value=1, initial=0.60)
    assignment_mode = forms.ChoiceField(choices=Study.AssignmentMode.choices)
    anchor_count = forms.IntegerField(min_value=0, initial=0)
    block_count = forms.IntegerField(min_value=1, initial=1)
    allow_upsampling = forms.BooleanField(
        required=False, help_text="admit ECGs sampled below the study rate (a possible tell)"
    )
    allow_shared_ecgs = forms.BooleanField(
        required=False, help_text="admit ECGs the readers have seen in other studies"
    )
    open_now = forms.BooleanField(required=False, label="open the study now")

    SETTINGS = (
        "title", "layout", "synthetic_share", "ask_confidence", "ask_label_consistency",
        "ask_reason", "unaware_phase", "show_progress", "allow_answer_changes", "repeat_share",
        "repeat_min_distance", "attention_checks", "equivalence_low", "equivalence_high",
        "assignment_mode", "anchor_count", "block_count", "allow_upsampling",
        "allow_shared_ecgs",
    )  # fmt: skip

    def seed_kwargs(self) -> dict:
        """Cleaned data as keyword arguments of ``study_seed``."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "design": data["design"],
            "n": data["n"],
            "pool": EcgPool(
                real_origins=split_names(data["real_origins"]),
                synthetic_origins=split_names(data["synthetic_origins"]),
                real_folds=data["real_folds"],
            ),
            "readers": split_names(data["readers"]),
            "seed": data["seed"],
            "practice": data["practice"],
            "unaware": data["unaware"],
            "settings": {key: data[key] for key in self.SETTINGS},
            "open_now": data["open_now"],
        }

    def clean_real_folds(self) -> list[int]:
        try:
            return split_ints(self.cleaned_data["real_folds"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


def split_names(text: str) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c']."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def split_ints(text: str) -> list[int]:
    """'9,10' -> [9, 10]; anything else is a ValueError naming the bad piece."""
    values = []
    for part in split_names(text):
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a whole number")
        values.append(int(part))
    return values
