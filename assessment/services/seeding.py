"""study_seed: choose a study's blinded cases from the ECG store and enrol its readers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction

from assessment.errors import StudySeedError
from assessment.models import DEFAULT_PRACTICE_CASES, Case, Study, new_seed
from assessment.planning.attention import attention_signal
from assessment.planning.matching import (
    Candidate,
    CasePlan,
    Match,
    MatchingError,
    balanced_flags,
    match_pairs,
    plan_cases,
)
from assessment.services.panels import study_row_height
from assessment.services.studies import (
    ecgs_seen_by,
    refuse_upsampled,
    study_enrol,
    study_open,
)
from generator.core.harmonise import HarmonisationSpec
from generator.models import ECG
from generator.privacy import flagged_copy_ids, screened_ids
from generator.records.types import EcgRecord
from generator.records.usable import IMPLAUSIBLE_PEAK_KEY, PLAUSIBLE_PEAK_MV
from generator.services import ecg_import

ATTENTION_ORIGIN = "attention-check"
ATTENTION_LABELS = "NORM_SR"

# Study fields a caller may set when seeding; everything else is decided by the service.
SETTING_FIELDS = (
    "title",
    "harmonisation",
    "layout",
    "speed_mm_s",
    "gain_mm_mv",
    "chest_gain_mm_mv",
    "tall_complexes",
    "synthetic_share",
    "ask_confidence",
    "ask_label_consistency",
    "ask_reason",
    "unaware_phase",
    "quality_scale_max",
    "show_progress",
    "allow_answer_changes",
    "repeat_share",
    "repeat_min_distance",
    "attention_checks",
    "equivalence_low",
    "equivalence_high",
    "assignment_mode",
    "anchor_count",
    "block_count",
    "allow_upsampling",
    "allow_shared_ecgs",
)


@dataclass(frozen=True)
class EcgPool:
    """Where a study's ECGs come from: origins and (optionally) PTB-XL strat folds."""

    real_origins: Sequence[str]
    synthetic_origins: Sequence[str]
    real_folds: Sequence[int] = field(default_factory=tuple)
    synthetic_folds: Sequence[int] = field(default_factory=tuple)


@transaction.atomic
def study_seed(
    *,
    name: str,
    design: str,
    n: int,
    pool: EcgPool,
    readers: Sequence[str] = (),
    seed: int | None = None,
    practice: int = DEFAULT_PRACTICE_CASES,
    unaware: int = 0,
    settings: Mapping[str, object] | None = None,
    open_now: bool = False,
) -> Study:
    """Create a draft study with ``n`` main cases matched by label set (else superclass) and
    stratified by superclass, plus practice, unaware-phase and attention-check cases.

    ``readers`` are usernames to enrol; ECGs they were shown in other studies are left out
    unless the study allows shared ECGs, and even then no ECG is shown with its source
    (practice, attention checks) in one of a reader's studies and judged blind in another.
    ``seed`` (random when None) decides the cases.
    Raises :class:`StudySeedError` with a clear message when the request cannot be met;
    nothing is stored then.
    """
    planned = _plan_study(
        name=name,
        design=design,
        n=n,
        pool=pool,
        readers=readers,
        seed=new_seed() if seed is None else seed,
        practice=practice,
        unaware=unaware,
        settings=settings or {},
    )
    study, plan = planned.study, planned.plan
    study.seeding = {
        "pool": {key: list(value) for key, value in asdict(pool).items()},
        "n": n,
        "practice": practice,
        "unaware": unaware,
        "candidates": dict(planned.candidates),
        "excluded_seen_by_readers": planned.excluded_seen,
        "excluded_flagged_copies": planned.excluded_copies,
        "excluded_implausible_amplitude": dict(planned.excluded_implausible),
        "unscreened_synthetic": planned.unscreened,
        "matched": dict(Counter(m.level for m in planned.matches)),
        "main_by_stratum": dict(sorted(Counter(m.stratum for m in plan.main).items())),
    }
    study.save()
    cases = _main_cases(study, plan.main)
    cases += _single_cases(study, Case.Kind.PRACTICE, plan.practice, stream=11)
    cases += _single_cases(study, Case.Kind.UNAWARE, plan.unaware, stream=12, force_single=True)
    cases += _attention_cases(study, plan.spare_real_ids)
    for index, case in enumerate(cases):
        case.index = index
    Case.objects.bulk_create(cases)
    try:
        study.row_height_mm = study_row_height(study)
    except ValueError as exc:
        raise StudySeedError(f"the study's ECGs cannot be drawn: {exc}") from exc
    study.save(update_fields=["row_height_mm"])
    if readers:
        study_enrol(study=study, usernames=readers)
    if open_now:
        # study_open works on a locked copy; return that one so the caller sees "open".
        study = study_open(study=study)
    return study


@dataclass(frozen=True)
class SeedPlan:
    """What :func:`study_seed` would store for a request, computed without storing it."""

    study: Study  # validated, unsaved
    candidates: Mapping[str, int]  # {"real": n, "synthetic": n} after exclusions
    excluded_seen: int
    matches: list[Match]
    plan: CasePlan
    excluded_copies: int = 0  # synthetic ECGs a privacy screen flagged as likely copies
    unscreened: int = 0  # synthetic candidates no privacy screen has looked at
    # {"real": n, "synthetic": n} ECGs flagged implausible_peak_mv (beyond +-10 mV)
    excluded_implausible: Mapping[str, int] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.study.seed


def study_seed_preview(
    *,
    name: str,
    design: str,
    n: int,
    pool: EcgPool,
    readers: Sequence[str] = (),
    seed: int | None = None,
    practice: int = DEFAULT_PRACTICE_CASES,
    unaware: int = 0,
    settings: Mapping[str, object] | None = None,
) -> SeedPlan:
    """The cases :func:`study_seed` would choose for the same arguments, computed by the
    same code and stored nowhere. A random seed is drawn when ``seed`` is None (it is
    ``.seed`` of the result: seeding with it gives exactly the previewed cases). Raises
    StudySeedError like seeding does."""
    return _plan_study(
        name=name,
        design=design,
        n=n,
        pool=pool,
        readers=readers,
        seed=new_seed() if seed is None else seed,
        practice=practice,
        unaware=unaware,
        settings=settings or {},
    )


def _plan_study(
    *,
    name: str,
    design: str,
    n: int,
    pool: EcgPool,
    readers: Sequence[str],
    seed: int,
    practice: int,
    unaware: int,
    settings: Mapping[str, object],
) -> SeedPlan:
    """Validate a seeding request and choose its cases (shared by seeding and preview)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise StudySeedError(f"seed must be an integer within 0..2^63-1, got {seed!r}")
    study = _new_study(name=name, design=design, seed=seed, n=n, settings=settings)
    if study.unaware_phase and unaware < 1:
        raise StudySeedError("an unaware phase needs at least one unaware item (--unaware)")
    if unaware and not study.unaware_phase:
        raise StudySeedError("unaware items need the unaware_phase setting")
    if min(practice, unaware) < 0:
        raise StudySeedError("practice and unaware item counts must be >= 0")
    _refuse_unknown_readers(readers)
    if study.allow_shared_ecgs:
        # Shared ECGs are only ever judged blind: none that other studies show the readers
        # with their source (practice, attention checks), and none of those they judge
        # blind there becomes a practice case or an attention check's real ECG here.
        seen = ecgs_seen_by(readers, revealed=True)
        keep_blind = ecgs_seen_by(readers, revealed=False)
    else:
        seen, keep_blind = ecgs_seen_by(readers), set()
    pooled = _unseen_candidates(pool, study, seen)
    real, excluded_seen = pooled.real, pooled.excluded_seen
    synthetic, excluded_copies = _without_flagged_copies(pooled.synthetic)
    unscreened = len(synthetic) - len(screened_ids([c.ecg_id for c in synthetic]))
    matches = match_pairs(real, synthetic, seed=seed)
    try:
        plan = plan_cases(
            matches,
            n_main=n,
            n_practice=practice,
            n_unaware=unaware,
            seed=seed,
            spare_reals=[c.ecg_id for c in real],
            keep_blind=keep_blind,
        )
    except MatchingError as exc:
        duration_s = study.harmonisation_spec().duration_s
        left_out = _left_out_text(pooled, excluded_copies, duration_s)
        raise StudySeedError(f"{exc}{left_out}") from exc
    count = study.attention_checks
    if count and study.is_paired and len(plan.spare_real_ids) < count:
        raise StudySeedError(
            f"{count} paired attention checks need {count} real ECGs outside the study's "
            f"cases; only {len(plan.spare_real_ids)} are left"
        )
    return SeedPlan(
        study=study,
        candidates={"real": len(real), "synthetic": len(synthetic)},
        excluded_seen=excluded_seen,
        matches=matches,
        plan=plan,
        excluded_copies=excluded_copies,
        unscreened=unscreened,
        excluded_implausible=pooled.implausible,
    )


def _refuse_unknown_readers(usernames: Sequence[str]) -> None:
    known = set(
        get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    missing = sorted(set(usernames) - known)
    if missing:
        raise StudySeedError(f"unknown reader(s): {', '.join(missing)}")


def pairs_available(
    *, pool: EcgPool, readers: Sequence[str] = (), harmonisation: Mapping | None = None
) -> int:
    """How many real/synthetic pairs :func:`study_seed` can match from ``pool`` for these
    readers (ECGs they saw in other studies left out); the count does not depend on the
    seed. Raises StudySeedError like seeding does."""
    try:
        spec = HarmonisationSpec.from_dict(harmonisation or {})
    except ValueError as exc:
        raise StudySeedError(str(exc)) from exc
    study = Study(harmonisation=spec.as_dict())
    pooled = _unseen_candidates(pool, study, ecgs_seen_by(readers))
    synthetic, _ = _without_flagged_copies(pooled.synthetic)
    return len(match_pairs(pooled.real, synthetic, seed=0))


def _without_flagged_copies(synthetic: list[Candidate]) -> tuple[list[Candidate], int]:
    """``synthetic`` without the ECGs their latest privacy screen flagged as likely
    copies of a training ECG, and how many were left out."""
    flagged = flagged_copy_ids([c.ecg_id for c in synthetic])
    return [c for c in synthetic if c.ecg_id not in flagged], len(flagged)


class PooledCandidates(NamedTuple):
    """A pool's real and synthetic candidates, and how many of its ECGs were left out:
    seen by the readers elsewhere, shorter than the study's window, or flagged with an
    implausible amplitude (by source)."""

    real: list[Candidate]
    synthetic: list[Candidate]
    excluded_seen: int
    too_short: int
    implausible: Mapping[str, int]


def _unseen_candidates(pool: EcgPool, study: Study, seen: set[int]) -> PooledCandidates:
    """The pool's real and synthetic candidates without the ``seen`` ECGs."""
    real = _candidates(ECG.Source.REAL, pool.real_origins, pool.real_folds, study)
    synthetic = _candidates(
        ECG.Source.SYNTHETIC, pool.synthetic_origins, pool.synthetic_folds, study
    )
    return PooledCandidates(
        real=[c for c in real.usable if c.ecg_id not in seen],
        synthetic=[c for c in synthetic.usable if c.ecg_id not in seen],
        excluded_seen=sum(c.ecg_id in seen for c in real.usable + synthetic.usable),
        too_short=real.too_short + synthetic.too_short,
        implausible={"real": real.implausible, "synthetic": synthetic.implausible},
    )


def _left_out_text(pooled: PooledCandidates, copies: int, duration_s: float) -> str:
    """What the pool lost before matching, for a too-few-pairs error ("" when nothing)."""
    implausible = pooled.implausible
    reasons = [
        (pooled.too_short, f"shorter than the study's {duration_s:g} s"),
        (pooled.excluded_seen, "seen by these readers in other studies"),
        (copies, "flagged by a privacy screen as likely copies"),
        (
            sum(implausible.values()),
            f"beyond ±{PLAUSIBLE_PEAK_MV:g} mV ({implausible['real']} real, "
            f"{implausible['synthetic']} synthetic)",
        ),
    ]
    parts = [f"{count} {text}" for count, text in reasons if count]
    return f"; left out of the pool before matching: {', '.join(parts)}" if parts else ""


def _new_study(
    *, name: str, design: str, seed: int, n: int, settings: Mapping[str, object]
) -> Study:
    unknown = sorted(set(settings) - set(SETTING_FIELDS))
    if unknown:
        raise StudySeedError(f"unknown study settings: {', '.join(unknown)}")
    settings = {setting: _typed_setting(setting, value) for setting, value in settings.items()}
    if Study.objects.filter(name=name).exists():
        raise StudySeedError(f"a study named '{name}' already exists")
    if design not in Study.Design.values:
        raise StudySeedError(f"design must be one of {', '.join(Study.Design.values)}")
    if n < 1:
        raise StudySeedError(f"a study needs at least one main case, got n={n}")
    study = Study(name=name, design=design, seed=seed, **settings)
    try:
        # Stored in full (defaults filled in) so the snapshot says exactly what was shown.
        study.harmonisation = study.harmonisation_spec().as_dict()
    except ValueError as exc:
        raise StudySeedError(str(exc)) from exc
    try:
        study.full_clean(exclude=["seeding", "snapshot"])
    except ValidationError as exc:
        raise StudySeedError(_validation_text(exc)) from exc
    rotating = study.assignment_mode == Study.AssignmentMode.ANCHOR_ROTATING
    if rotating and (study.block_count < 1 or study.anchor_count > n):
        raise StudySeedError("anchor/rotating mode needs block_count >= 1 and anchors <= n")
    return study


def _typed_setting(setting: str, value: object) -> object:
    """``value`` if its JSON type is the model field's (an int is a float too; null where
    the field may be empty), else a StudySeedError: no "yes" for a bool, no true for a
    count. Django would coerce silently."""
    field = Study._meta.get_field(setting)
    if value is None and field.null:
        return None
    if isinstance(field, models.BooleanField):
        ok, wanted = isinstance(value, bool), "true or false"
    elif isinstance(field, models.IntegerField):
        ok, wanted = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(field, models.FloatField):
        ok, wanted = isinstance(value, int | float) and not isinstance(value, bool), "a number"
    elif isinstance(field, models.CharField):
        ok, wanted = isinstance(value, str), "a string"
    elif isinstance(field, models.JSONField):
        ok, wanted = isinstance(value, dict), "an object"
    else:
        raise TypeError(f"no type rule for the study setting {setting} ({type(field).__name__})")
    if not ok:
        raise StudySeedError(f"setting {setting} must be {wanted}, got {value!r}")
    return float(value) if isinstance(field, models.FloatField) else value


class SourceCandidates(NamedTuple):
    """The usable candidates of one source, and how many of its ECGs were left out."""

    usable: list[Candidate]
    too_short: int
    implausible: int


def _candidates(
    source: str, origins: Sequence[str], folds: Sequence[int], study: Study
) -> SourceCandidates:
    """The pool's candidates of ``source``: not shorter than the study's window and not
    flagged with an implausible amplitude (a sample beyond the limit, stored as
    ``provenance.implausible_peak_mv``); the same rule for both sources, since such an
    ECG would show readers a failed sample or a recording artefact, not clinical content."""
    if not origins:
        raise StudySeedError(f"name at least one {source} origin")
    known = set(
        ECG.objects.filter(source=source)
        .exclude(origin=ATTENTION_ORIGIN)
        .values_list("origin", flat=True)
    )
    missing = sorted(set(origins) - known)
    if missing:
        raise StudySeedError(
            f"unknown {source} origin(s) {', '.join(missing)}; "
            f"the store has: {', '.join(sorted(known)) or 'none'}"
        )
    rows = ECG.objects.without_signal().filter(source=source, origin__in=origins)
    if folds:
        rows = rows.filter(strat_fold__in=folds)
    spec = study.harmonisation_spec()
    implausible = rows.filter(provenance__has_key=IMPLAUSIBLE_PEAK_KEY).count()
    values = (
        rows.exclude(provenance__has_key=IMPLAUSIBLE_PEAK_KEY)
        .order_by("id")
        .values_list("id", "origin", "label_set", "superclasses", "n_samples", "sampling_rate")
    )
    if not study.allow_upsampling:
        origin_rates = [(origin, fs) for _, origin, *_, fs in values]
        refuse_upsampled(
            origin_rates, spec.sampling_rate, what=f"{source} ECGs", error=StudySeedError
        )
    # ECGs shorter than the study window cannot be harmonised, so they never enter.
    candidates = [
        Candidate(pk, label_set, tuple(superclasses))
        for pk, _, label_set, superclasses, n_samples, fs in values
        if n_samples / fs + 1e-9 >= spec.duration_s
    ]
    return SourceCandidates(candidates, len(values) - len(candidates), implausible)


def _main_cases(study: Study, matches: list[Match]) -> list[Case]:
    if study.is_paired:
        cases = [_pair_case(study, Case.Kind.MAIN, m) for m in matches]
    else:
        n_synthetic = int(round(study.synthetic_share * len(matches)))
        flags = balanced_flags(len(matches), n_synthetic, seed=study.seed, stream=10)
        cases = [
            _one_case(study, Case.Kind.MAIN, m, f) for m, f in zip(matches, flags, strict=True)
        ]
    if study.assignment_mode == Study.AssignmentMode.ANCHOR_ROTATING:
        for i, case in enumerate(cases):
            case.is_anchor = i < study.anchor_count
            case.block = None if case.is_anchor else (i - study.anchor_count) % study.block_count
    return cases


def _single_cases(
    study: Study, kind: str, matches: list[Match], *, stream: int, force_single: bool = False
) -> list[Case]:
    if study.is_paired and not force_single:
        return [_pair_case(study, kind, m) for m in matches]
    flags = balanced_flags(len(matches), len(matches) // 2, seed=study.seed, stream=stream)
    return [_one_case(study, kind, m, f) for m, f in zip(matches, flags, strict=True)]


def _pair_case(study: Study, kind: str, match: Match) -> Case:
    return Case(
        study=study,
        kind=kind,
        real_ecg_id=match.real_id,
        synthetic_ecg_id=match.synthetic_id,
        match_level=match.level,
        stratum=match.stratum,
        label_set=match.label_set,
    )


def _one_case(study: Study, kind: str, match: Match, synthetic: bool) -> Case:
    return Case(
        study=study,
        kind=kind,
        real_ecg_id=None if synthetic else match.real_id,
        synthetic_ecg_id=match.synthetic_id if synthetic else None,
        match_level=match.level,
        stratum=match.stratum,
        label_set=match.label_set,
    )


def _attention_cases(study: Study, spare_real_ids: list[int]) -> list[Case]:
    count = study.attention_checks
    if not count:
        return []
    # _plan_study made sure a paired study has enough spare real ECGs.
    spec = study.harmonisation_spec()
    partners = {r.pk: r for r in ECG.objects.without_signal().filter(pk__in=spare_real_ids[:count])}
    cases = []
    for variant in range(count):
        check = _attention_ecg(variant, spec.sampling_rate, spec.duration_s)
        partner = partners[spare_real_ids[variant]] if study.is_paired else None
        cases.append(
            Case(
                study=study,
                kind=Case.Kind.ATTENTION,
                real_ecg=partner,
                synthetic_ecg=check,
                stratum="attention",
                label_set=partner.label_set if partner else ATTENTION_LABELS,
            )
        )
    return cases


def _attention_ecg(variant: int, fs: float, seconds: float) -> ECG:
    key = f"{ATTENTION_ORIGIN}:v{variant}:{fs:g}Hz:{seconds:g}s"
    record = EcgRecord(
        source_key=key,
        signal=attention_signal(variant, fs=fs, seconds=seconds),
        sampling_rate=fs,
        source=ECG.Source.SYNTHETIC,
        origin=ATTENTION_ORIGIN,
        generator_name=ATTENTION_ORIGIN,
    )
    ecg_import(records=[record])
    return ECG.objects.without_signal().get(source_key=key)


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.message_dict.items()))
    return " ".join(exc.messages)
