"""Reader studies: Study, Case, Enrolment, Assignment, Judgment and ReaderProfile.

Readers reach assignments and images only through random opaque tokens; primary keys,
origins and sources stay on the staff side.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from assessment.errors import StudyFrozenError
from assessment.truth import right_answer, synthetic_panel
from ecg_render.options import (
    GAINS_MM_MV,
    LAYOUTS,
    MAX_ROW_HEIGHT_MM,
    MIN_ROW_HEIGHT_MM,
    PAPER_SPEEDS_MM_S,
)
from generator.core.harmonise import HarmonisationSpec

TOKEN_BYTES = 16
SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]
MAX_ATTENTION_CHECKS = 50
MAX_REPEAT_DISTANCE = 1000
MAX_BLOCKS = 100
MAX_CONFIDENCE = 6
MAX_QUALITY = 10
# One decision lasting more than a day is not a measurement; the counter's own bound.
MAX_ACTIVE_TIME_MS = 86_400_000
MAX_ANSWER_CHANGES = 10_000
MAX_REVISIONS = 1000
MAX_MAIN_CASES = 10_000
MAX_EXTRA_CASES = 1000  # practice and unaware-phase cases
# Practice items a study gets unless told otherwise: enough to see feedback on both kinds.
DEFAULT_PRACTICE_CASES = 2
MAX_FOLD = 100
# Largest value of a PositiveIntegerField on every database Django supports.
MAX_COUNTER = 2**31 - 1
GAIN_CHOICES = [(gain, f"{gain:g} mm/mV") for gain in GAINS_MM_MV]
SPEED_CHOICES = [(speed, f"{speed:g} mm/s") for speed in PAPER_SPEEDS_MM_S]


def new_token() -> str:
    """A random URL-safe token (22 characters); every token in the app has this shape."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_seed() -> int:
    """A random non-negative 62-bit seed from ``secrets``: never derived from public inputs."""
    return secrets.randbits(62)


def default_harmonisation() -> dict:
    return HarmonisationSpec().as_dict()


class Study(models.Model):
    """A blinded reader study; its settings and cases freeze when it opens."""

    class Design(models.TextChoices):
        PAIRED = "paired", "paired (which of two is synthetic?)"
        SINGLE = "single", "single (real or synthetic?)"

    class Status(models.TextChoices):
        DRAFT = "draft"
        OPEN = "open"
        CLOSED = "closed"

    class AssignmentMode(models.TextChoices):
        ALL = "all", "every reader sees every case"
        ANCHOR_ROTATING = "anchor_rotating", "shared anchor cases plus a rotating block"

    name = models.CharField(max_length=100, unique=True, help_text="internal name (staff only)")
    title = models.CharField(
        max_length=200, default="ECG reading study", help_text="the name readers see"
    )
    design = models.CharField(max_length=10, choices=Design.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    seed = models.BigIntegerField(
        default=new_seed,
        validators=[MinValueValidator(0)],
        help_text="seeds case selection and single-design sources (random by default)",
    )
    harmonisation = models.JSONField(default=default_harmonisation)
    layout = models.CharField(max_length=20, default="3x4+R", choices=[(x, x) for x in LAYOUTS])
    speed_mm_s = models.FloatField(
        default=25.0, choices=SPEED_CHOICES, help_text="paper speed (50 mm/s shows 5 s)"
    )
    gain_mm_mv = models.FloatField(
        default=10.0,
        choices=GAIN_CHOICES,
        help_text="gain of every lead, or of the limb leads under split gain",
    )
    chest_gain_mm_mv = models.FloatField(
        null=True,
        blank=True,
        choices=GAIN_CHOICES,
        help_text="split gain: V1-V6 at this gain (e.g. 5 mm/mV); blank: the limb gain",
    )

    class TallComplexes(models.TextChoices):
        TALLER_ROWS = "taller_rows", "rows fitted to the tallest ECG, clipped beyond"
        OVERLAP = "overlap", "standard rows, overlapping the next row as on a printout"

    tall_complexes = models.CharField(
        max_length=12,
        choices=TallComplexes.choices,
        default=TallComplexes.TALLER_ROWS,
        help_text="complexes taller than the layout's row: rows grow to hold the tallest ECG "
        "(at most 1.5 times, clipped under a marker beyond), or keep the standard pitch and "
        "overlap the next row (nothing hidden, larger on screen)",
    )
    row_height_mm = models.FloatField(
        null=True,
        blank=True,
        help_text="row pitch fitted at seeding to the study's tallest ECG (blank: the layout's "
        "default); taller complexes are clipped under a visible marker",
    )

    synthetic_share = models.FloatField(
        default=0.5, validators=SHARE, help_text="single design: share of synthetic main cases"
    )
    ask_confidence = models.BooleanField(default=True, help_text="confidence 1-6")
    ask_label_consistency = models.BooleanField(
        default=False, help_text='"Is this ECG consistent with <labels>?"'
    )
    ask_reason = models.BooleanField(default=False, help_text="free-text reason")
    unaware_phase = models.BooleanField(
        default=False, help_text="quality rating before readers learn of synthetic ECGs"
    )
    quality_scale_max = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(2), MaxValueValidator(10)]
    )
    show_progress = models.BooleanField(default=True)
    allow_answer_changes = models.BooleanField(default=False, help_text="allows going back")
    repeat_share = models.FloatField(
        default=0.0, validators=SHARE, help_text="share of cases repeated in round 2"
    )
    repeat_min_distance = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(MAX_REPEAT_DISTANCE)],
        help_text="a repeat is more than this many positions from its first showing",
    )
    attention_checks = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_ATTENTION_CHECKS)]
    )
    equivalence_low = models.FloatField(
        default=0.40, help_text="TOST margin: accuracy above this counts as equivalent to chance"
    )
    equivalence_high = models.FloatField(
        default=0.60, help_text="TOST margin: accuracy below this counts as equivalent to chance"
    )
    assignment_mode = models.CharField(
        max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.ALL
    )
    anchor_count = models.PositiveSmallIntegerField(default=0)
    block_count = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_BLOCKS)]
    )
    allow_upsampling = models.BooleanField(
        default=False,
        help_text="admit ECGs sampled below the study rate (upsampled ECGs lack content above "
        "their Nyquist frequency, which can tell them apart)",
    )
    allow_shared_ecgs = models.BooleanField(
        default=False,
        help_text="admit ECGs that a reader of this study has seen in another study",
    )

    seeding = models.JSONField(default=dict, blank=True, help_text="how the cases were chosen")
    snapshot = models.JSONField(null=True, blank=True, help_text="cases and settings at opening")
    blinding_audit = models.JSONField(
        null=True, blank=True, help_text="the latest blinding audit (frozen into the snapshot)"
    )
    panel_key = models.CharField(
        max_length=64, blank=True, help_text="fingerprint of the settings the cached panels used"
    )
    panel_length = models.PositiveIntegerField(
        null=True, blank=True, help_text="the one Content-Length of every SVG panel"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seed__gte=0)
                & Q(synthetic_share__gte=0, synthetic_share__lte=1)
                & Q(repeat_share__gte=0, repeat_share__lte=1)
                & Q(quality_scale_max__gte=2, quality_scale_max__lte=10)
                & Q(attention_checks__lte=MAX_ATTENTION_CHECKS)
                & Q(repeat_min_distance__lte=MAX_REPEAT_DISTANCE)
                & Q(block_count__gte=1, block_count__lte=MAX_BLOCKS),
                name="study_settings_in_range",
            ),
            models.CheckConstraint(
                condition=Q(equivalence_low__gt=0, equivalence_low__lt=0.5)
                & Q(equivalence_high__gt=0.5, equivalence_high__lt=1),
                name="equivalence_margin_brackets_chance",
            ),
            models.CheckConstraint(
                condition=Q(speed_mm_s__in=PAPER_SPEEDS_MM_S)
                & Q(gain_mm_mv__in=GAINS_MM_MV)
                & (Q(chest_gain_mm_mv__isnull=True) | Q(chest_gain_mm_mv__in=GAINS_MM_MV))
                & (
                    Q(row_height_mm__isnull=True)
                    | Q(row_height_mm__gte=MIN_ROW_HEIGHT_MM, row_height_mm__lte=MAX_ROW_HEIGHT_MM)
                ),
                name="study_render_settings_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The cross-field rules of a study's settings (field ranges are validators)."""
        if not 0.0 < self.equivalence_low < 0.5 < self.equivalence_high < 1.0:
            raise ValidationError(
                {"equivalence_low": "the equivalence margin must satisfy 0 < low < 0.5 < high < 1"}
            )

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_paired(self) -> bool:
        return self.design == self.Design.PAIRED

    @property
    def equivalence_margin(self) -> tuple[float, float]:
        """The (low, high) accuracy band the TOST equivalence test uses."""
        return (self.equivalence_low, self.equivalence_high)

    def harmonisation_spec(self) -> HarmonisationSpec:
        return HarmonisationSpec.from_dict(self.harmonisation)


class Case(models.Model):
    """What one presentation shows: a matched real/synthetic pair, or a single ECG."""

    class Kind(models.TextChoices):
        MAIN = "main"
        PRACTICE = "practice"
        UNAWARE = "unaware"
        ATTENTION = "attention"

    class MatchLevel(models.TextChoices):
        LABEL_SET = "label_set", "exact label set"
        SUPERCLASS = "superclass", "same superclasses"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="cases")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MAIN)
    index = models.PositiveIntegerField(help_text="order within the study")
    real_ecg = models.ForeignKey(
        "generator.ECG", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    synthetic_ecg = models.ForeignKey(
        "generator.ECG", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    match_level = models.CharField(max_length=12, choices=MatchLevel.choices, blank=True)
    stratum = models.CharField(max_length=60, help_text="superclasses joined by '+', or 'none'")
    label_set = models.CharField(max_length=512, blank=True)
    is_anchor = models.BooleanField(default=False)
    block = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["study", "index"]
        constraints = [
            models.UniqueConstraint(fields=["study", "index"], name="one_case_per_study_index"),
            models.CheckConstraint(
                condition=models.Q(real_ecg__isnull=False) | models.Q(synthetic_ecg__isnull=False),
                name="case_shows_an_ecg",
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.index} of {self.study}"

    def save(self, *args, **kwargs) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def _refuse_if_frozen(self) -> None:
        # The last line of defence behind the services: a frozen study's cases never change.
        status = Study.objects.filter(pk=self.study_id).values_list("status", flat=True).first()
        if status is not None and status != Study.Status.DRAFT:
            raise StudyFrozenError(f"study {self.study_id} is {status}; its cases are frozen")

    @property
    def is_pair(self) -> bool:
        return self.real_ecg_id is not None and self.synthetic_ecg_id is not None

    @property
    def single_source(self) -> str:
        """Source of the one ECG of a single-ECG case."""
        return "synthetic" if self.real_ecg_id is None else "real"


class ReaderProfile(models.Model):
    """What a reader tells about their experience (asked once, on the first visit)."""

    class Specialty(models.TextChoices):
        CARDIOLOGY = "cardiology", "Cardiology"
        ELECTROPHYSIOLOGY = "electrophysiology", "Cardiac electrophysiology"
        EMERGENCY = "emergency medicine", "Emergency medicine"
        INTERNAL = "internal medicine", "Internal medicine"
        GENERAL = "general practice", "General practice / family medicine"
        ANAESTHESIA = "anaesthesiology", "Anaesthesiology"
        TRAINEE = "trainee / student", "Trainee or student"
        OTHER = "other", "Other"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_profile"
    )
    specialty = models.CharField(max_length=40, choices=Specialty.choices)
    years_experience = models.PositiveSmallIntegerField()
    ecgs_per_week = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Enrolment(models.Model):
    """A reader taking part in a study, with their order seed and workflow milestones."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="enrolments")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    token = models.CharField(max_length=32, unique=True, default=new_token)
    reader_index = models.PositiveIntegerField()
    order_seed = models.BigIntegerField(
        default=new_seed, help_text="seed of this reader's order (from secrets); reproduces it"
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    instructions_seen_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The reader's profile as it was at consent: later profile edits never re-stratify it.
    specialty = models.CharField(max_length=40, choices=ReaderProfile.Specialty.choices, blank=True)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    ecgs_per_week = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["study", "reader_index"]
        constraints = [
            models.UniqueConstraint(fields=["study", "reader"], name="one_enrolment_per_reader"),
            models.UniqueConstraint(fields=["study", "reader_index"], name="unique_reader_index"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} in {self.study}"


class Assignment(models.Model):
    """One presentation of a case to a reader, at a position in their list."""

    class Phase(models.TextChoices):
        UNAWARE = "unaware"
        PRACTICE = "practice"
        MAIN = "main"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="assignments")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assignments")
    token = models.CharField(max_length=32, unique=True, default=new_token)
    panel_a_token = models.CharField(max_length=32, unique=True, default=new_token)
    panel_b_token = models.CharField(max_length=32, unique=True, null=True, blank=True)
    position = models.PositiveIntegerField()
    phase = models.CharField(max_length=10, choices=Phase.choices)
    round = models.PositiveSmallIntegerField(default=1)
    synthetic_on_top = models.BooleanField(
        null=True, blank=True, help_text="paired cases: panel A (top) is the synthetic ECG"
    )
    shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["enrolment", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "position"], name="one_assignment_per_position"
            ),
            models.CheckConstraint(condition=Q(round__in=(1, 2)), name="assignment_round_1_or_2"),
            models.CheckConstraint(
                condition=Q(panel_b_token__isnull=True, synthetic_on_top__isnull=True)
                | Q(panel_b_token__isnull=False, synthetic_on_top__isnull=False),
                name="panel_b_exactly_for_pairs",
            ),
        ]

    def __str__(self) -> str:
        return f"assignment {self.position} of {self.enrolment}"

    @property
    def is_repeat(self) -> bool:
        return self.round == 2

    def panel_ecg_id(self, panel: str) -> int:
        """The ECG behind panel 'a' (top) or 'b' (bottom)."""
        case = self.case
        if not case.is_pair:
            return case.real_ecg_id or case.synthetic_ecg_id
        shows_synthetic = panel == synthetic_panel(self.synthetic_on_top)
        return case.synthetic_ecg_id if shows_synthetic else case.real_ecg_id

    @property
    def reader_phase(self) -> str:
        """The phase under the name readers see: the unaware phase is 'rating', since
        nothing shown in it may hint that some of the ECGs are synthetic."""
        return "rating" if self.phase == self.Phase.UNAWARE else self.phase

    @property
    def right_answer(self) -> str:
        """The right answer to this presentation ('top'/'bottom' or 'real'/'synthetic')."""
        case = self.case
        return right_answer(
            is_pair=case.is_pair,
            synthetic_on_top=self.synthetic_on_top,
            single_source=case.single_source,
        )


class Judgment(models.Model):
    """A reader's answer to one assignment; at most one per assignment and round."""

    class Answer(models.TextChoices):
        TOP = "top"
        BOTTOM = "bottom"
        REAL = "real"
        SYNTHETIC = "synthetic"
        NONE = "", "no source question (unaware phase)"

    # Research data: deleting a reader, case or study that holds judgments is refused.
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="judgments")
    round = models.PositiveSmallIntegerField()
    client_token = models.UUIDField(
        unique=True, help_text="the first submit's token (every submit's: JudgmentRevision)"
    )
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    label_consistent = models.BooleanField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    shown_at = models.DateTimeField()
    answered_at = models.DateTimeField()
    active_time_ms = models.PositiveIntegerField(null=True, blank=True)
    answer_changes = models.PositiveIntegerField(default=0)
    revisions = models.PositiveSmallIntegerField(default=0, help_text="changes after submitting")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "round"], name="one_judgment_per_assignment_round"
            ),
            models.CheckConstraint(
                condition=Q(round__in=(1, 2))
                & (Q(confidence__isnull=True) | Q(confidence__range=(1, MAX_CONFIDENCE)))
                & (Q(quality__isnull=True) | Q(quality__range=(1, MAX_QUALITY)))
                & Q(answered_at__gte=models.F("shown_at")),
                name="judgment_values_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"judgment on {self.assignment}"


class JudgmentRevision(models.Model):
    """Every accepted submit of a judgment, in order; rows are only ever added."""

    judgment = models.ForeignKey(Judgment, on_delete=models.PROTECT, related_name="history")
    number = models.PositiveSmallIntegerField(help_text="0 for the first answer")
    client_token = models.UUIDField(unique=True)
    answer = models.CharField(max_length=10, choices=Judgment.Answer.choices, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    label_consistent = models.BooleanField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    active_time_ms = models.PositiveIntegerField(null=True, blank=True)
    answer_changes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["judgment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["judgment", "number"], name="one_revision_number"),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.judgment}"


class RenderedPanel(models.Model):
    """A study's rendered, padded SVG of one ECG: every reader's panel is served from here,
    so serving costs the same for every ECG and nothing is re-rendered per request."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rendered_panels")
    ecg = models.ForeignKey("generator.ECG", on_delete=models.CASCADE, related_name="+")
    settings_key = models.CharField(max_length=64)
    content = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "ecg"], name="one_rendered_panel_per_ecg"),
        ]

    def __str__(self) -> str:
        return f"panel of ECG {self.ecg_id} in {self.study}"
