"""Forms of the reader workflow and of staff seeding; each validates input and calls a service."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.text import capfirst

from assessment.answers import CONFIDENCE_SCALE, REASON_MAX_CHARS, AnswerRules
from assessment.models import (
    DEFAULT_PRACTICE_CASES,
    GAIN_CHOICES,
    MAX_ACTIVE_TIME_MS,
    MAX_ANSWER_CHANGES,
    MAX_EXTRA_CASES,
    MAX_MAIN_CASES,
    SPEED_CHOICES,
    ReaderProfile,
    Study,
)
from assessment.selectors import (
    ReaderChoice,
    ecg_origin_counts,
    reader_choices,
    real_fold_counts,
)
from assessment.services.seeding import ATTENTION_ORIGIN, EcgPool
from ecg_render.options import LAYOUTS
from generator.models import ECG

_YES_NO = [("yes", "Yes"), ("no", "No")]
ANSWER_TEXT = {"top": "ECG A", "bottom": "ECG B", "real": "Real", "synthetic": "Synthetic"}
SHORTCUTS = {"top": "A", "bottom": "B", "real": "R", "synthetic": "S"}


class ConsentForm(forms.Form):
    """Consent to take part, plus the reader's profile."""

    consent = forms.BooleanField(
        required=True,
        label="I have read the information above and agree to take part.",
        widget=forms.CheckboxInput(attrs={"autofocus": True}),
    )
    specialty = forms.ChoiceField(
        choices=[("", "— choose your specialty —")] + ReaderProfile.Specialty.choices,
        error_messages={"required": "Choose your specialty."},
    )
    years_experience = forms.IntegerField(
        min_value=0, max_value=70, label="Years of experience reading ECGs"
    )
    ecgs_per_week = forms.IntegerField(min_value=0, max_value=10000, label="ECGs read per week")


def missing_texts(rules: AnswerRules) -> dict[str, str]:
    """What to tell a reader who left a question of this item unanswered, per field."""
    texts = {}
    if rules.asks_source:
        texts["answer"] = (
            "Choose the ECG you think is synthetic: A or B."
            if rules.paired
            else "Choose whether this ECG is real (R) or synthetic (S)."
        )
    if rules.asks_confidence:
        texts["confidence"] = "Say how sure you are, from 1 (guessing) to 6 (certain)."
    if rules.asks_quality:
        texts["quality"] = (
            f"Rate the quality of the ECG, from 1 (poor) to {rules.quality_scale_max} (excellent)."
        )
    if rules.asks_label_consistency:
        texts["label_consistent"] = (
            "Say whether the ECG is consistent with the statements: yes (Y) or no (N)."
        )
    return texts


class AcknowledgeForm(forms.Form):
    """A page the reader confirms having read (instructions, reveal); CSRF-protected POST."""


STALE_PAGE_TEXT = (
    "This page is out of date and your answer was not saved: reload it and answer again."
)


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

    def clean(self) -> dict:
        """A page's hidden fields are never wrong unless the page is stale or was altered:
        say so in words the reader can act on (the fields themselves are not shown)."""
        cleaned = super().clean()
        if any(field.name in self.errors for field in self.hidden_fields()):
            raise forms.ValidationError(STALE_PAGE_TEXT)
        return cleaned

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
    # Choices come from the store and the users when the form is made (see __init__).
    real_origins = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="real ECGs from"
    )
    real_folds = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="PTB-XL folds of the real ECGs",
        help_text="none ticked: every fold (and ECGs without one)",
    )
    synthetic_origins = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="synthetic ECGs from"
    )
    readers = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="ECGs a reader has seen in other studies are left out unless shared ECGs "
        "are allowed",
    )
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, help_text="blank: a random seed"
    )
    practice = forms.IntegerField(
        min_value=0, max_value=MAX_EXTRA_CASES, initial=DEFAULT_PRACTICE_CASES
    )
    unaware = forms.IntegerField(
        min_value=0, max_value=MAX_EXTRA_CASES, initial=0, label="unaware-phase items"
    )
    layout = forms.ChoiceField(choices=[(x, x) for x in LAYOUTS], initial="3x4+R")
    # Not required: a request without them (an older client) gets the defaults.
    speed_mm_s = forms.TypedChoiceField(
        choices=SPEED_CHOICES,
        coerce=float,
        required=False,
        empty_value=25.0,
        initial=25.0,
        label="paper speed",
    )
    gain_mm_mv = forms.TypedChoiceField(
        choices=GAIN_CHOICES,
        coerce=float,
        required=False,
        empty_value=10.0,
        initial=10.0,
        label="gain",
        help_text="of every lead, or of the limb leads under split gain",
    )
    chest_gain_mm_mv = forms.TypedChoiceField(
        choices=[("", "same as the limb leads"), *GAIN_CHOICES],
        coerce=float,
        empty_value=None,
        required=False,
        label="chest lead gain",
        help_text="split gain: V1-V6 at their own gain, e.g. 5 mm/mV",
    )
    tall_complexes = forms.TypedChoiceField(
        choices=Study.TallComplexes.choices,
        required=False,
        empty_value=Study.TallComplexes.TALLER_ROWS,
        initial=Study.TallComplexes.TALLER_ROWS,
        help_text=Study._meta.get_field("tall_complexes").help_text,
    )
    synthetic_share = forms.FloatField(min_value=0, max_value=1, initial=0.5)
    ask_confidence = forms.BooleanField(required=False, initial=True)
    ask_label_consistency = forms.BooleanField(required=False)
    ask_reason = forms.BooleanField(required=False)
    unaware_phase = forms.BooleanField(required=False)
    show_progress = forms.BooleanField(required=False, initial=True)
    allow_answer_changes = forms.BooleanField(required=False)
    repeat_share = forms.FloatField(min_value=0, max_value=1, initial=0)
    repeat_min_distance = forms.IntegerField(
        min_value=0,
        initial=5,
        help_text="a repeat comes more than this many items after its first showing",
    )
    attention_checks = forms.IntegerField(min_value=0, initial=0)
    equivalence_low = forms.FloatField(
        min_value=0,
        max_value=0.5,
        initial=0.40,
        help_text="TOST margin: lowest accuracy still equivalent to chance",
    )
    equivalence_high = forms.FloatField(
        min_value=0.5,
        max_value=1,
        initial=0.60,
        help_text="TOST margin: highest accuracy still equivalent to chance",
    )
    assignment_mode = forms.ChoiceField(choices=Study.AssignmentMode.choices)
    anchor_count = forms.IntegerField(
        min_value=0, initial=0, help_text="anchor/rotating mode: cases every reader sees"
    )
    block_count = forms.IntegerField(
        min_value=1, initial=1, help_text="anchor/rotating mode: blocks the other cases rotate in"
    )
    allow_upsampling = forms.BooleanField(
        required=False, help_text="admit ECGs sampled below the study rate (a possible tell)"
    )
    allow_shared_ecgs = forms.BooleanField(
        required=False,
        label="Allow shared ECGs",
        help_text="admit ECGs the readers have seen in other studies (never those shown "
        "with their source on one side: practice, attention checks)",
    )
    open_now = forms.BooleanField(required=False, label="open the study now")

    SETTINGS = (
        "title", "layout", "speed_mm_s", "gain_mm_mv", "chest_gain_mm_mv", "tall_complexes",
        "synthetic_share",
        "ask_confidence", "ask_label_consistency", "ask_reason", "unaware_phase",
        "show_progress", "allow_answer_changes", "repeat_share",
        "repeat_min_distance", "attention_checks", "equivalence_low", "equivalence_high",
        "assignment_mode", "anchor_count", "block_count", "allow_upsampling",
        "allow_shared_ecgs",
    )  # fmt: skip

    # The page shows the fields in these groups, in this order; a field no group names
    # (a setting added later) is shown under OTHER_GROUP, so none is ever left out.
    GROUPS = (
        ("Study", ("name", "title", "design", "n", "seed")),
        ("ECGs", ("real_origins", "real_folds", "synthetic_origins")),
        ("Readers", ("readers",)),
        ("Items", ("practice", "unaware", "synthetic_share", "attention_checks",
                   "repeat_share", "repeat_min_distance")),
        ("Questions", ("ask_confidence", "ask_label_consistency", "ask_reason",
                       "unaware_phase", "show_progress", "allow_answer_changes")),
        ("Display", ("layout", "speed_mm_s", "gain_mm_mv", "chest_gain_mm_mv",
                     "tall_complexes")),
        ("Who sees which case", ("assignment_mode", "anchor_count", "block_count")),
        ("Analysis", ("equivalence_low", "equivalence_high")),
        ("Blinding safeguards", ("allow_upsampling", "allow_shared_ecgs")),
        ("After seeding", ("open_now",)),
    )  # fmt: skip
    OTHER_GROUP = "Other settings"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["real_origins"].choices = origin_choices(ECG.Source.REAL)
        self.fields["synthetic_origins"].choices = origin_choices(ECG.Source.SYNTHETIC)
        self.fields["real_folds"].choices = [
            (fold, f"{fold} ({count} real)") for fold, count in real_fold_counts()
        ]
        self.fields["readers"].choices = [(r.username, reader_label(r)) for r in reader_choices()]

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(title, bound fields) per group of :attr:`GROUPS`, then every field no group
        names under :attr:`OTHER_GROUP`; empty groups are left out."""
        listed = {name for _, names in self.GROUPS for name in names}
        groups = [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in self.GROUPS
        ]
        groups.append((self.OTHER_GROUP, [self[n] for n in self.fields if n not in listed]))
        return [(title, fields) for title, fields in groups if fields]

    @property
    def fields_with_errors(self) -> list[str]:
        """Labels of the fields whose own errors are shown beside them."""
        return [capfirst(self[name].label) for name in self.errors if name in self.fields]

    def preview_kwargs(self) -> dict:
        """Cleaned data as keyword arguments of ``study_seed_preview``."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "design": data["design"],
            "n": data["n"],
            "pool": EcgPool(
                real_origins=list(data["real_origins"]),
                synthetic_origins=list(data["synthetic_origins"]),
                real_folds=list(data["real_folds"]),
            ),
            "readers": list(data["readers"]),
            "seed": data["seed"],
            "practice": data["practice"],
            "unaware": data["unaware"],
            "settings": {key: data[key] for key in self.SETTINGS},
        }

    def seed_kwargs(self) -> dict:
        """Cleaned data as keyword arguments of ``study_seed``."""
        return {**self.preview_kwargs(), "open_now": self.cleaned_data["open_now"]}


def origin_choices(source: str) -> list[tuple[str, str]]:
    """(origin, "origin (n ECGs)") for the seed form's origin lists."""
    counts = ecg_origin_counts(source, exclude_origins=(ATTENTION_ORIGIN,))
    return [
        (origin, f"{origin} ({count} ECG{'s' if count != 1 else ''})") for origin, count in counts
    ]


def reader_label(reader: ReaderChoice) -> str:
    """'alice (staff) · in 2 studies, 40 ECGs seen' for the seed form's reader list."""
    studies = (
        "no study yet"
        if not reader.studies
        else (
            f"in {reader.studies} stud{'y' if reader.studies == 1 else 'ies'}, "
            f"{reader.ecgs_seen} ECGs seen"
        )
    )
    return f"{reader.username}{' (staff)' if reader.is_staff else ''} · {studies}"


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
