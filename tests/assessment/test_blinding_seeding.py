"""Blinding at seeding and enrolment: secret reader orders, no ECG seen twice by a reader
across studies, no upsampled ECGs."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth import get_user_model

from assessment.errors import StudySeedError, StudyStateError
from assessment.models import Assignment, Enrolment, Study
from assessment.services import study_enrol, study_open
from assessment.services.schedule import assignments_build
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db

SHARED = {"allow_shared_ecgs": True}


def order_of(enrolment: Enrolment) -> list[tuple[int, int, int, bool | None]]:
    rows = enrolment.assignments.select_related("case").order_by("position")
    return [(a.position, a.case.index, a.round, a.synthetic_on_top) for a in rows]


def test_same_study_seed_and_reader_index_give_different_orders(small_store, reader_a, reader_b):
    settings = {**SHARED, "repeat_share": 0.25, "repeat_min_distance": 2}
    one = seed("one", seed=4, settings=settings)
    two = seed("two", seed=4, settings=settings)
    cases = [
        list(s.cases.values_list("index", "real_ecg_id", "synthetic_ecg_id")) for s in (one, two)
    ]
    assert cases[0] == cases[1]  # the study seed still reproduces the cases
    first = Enrolment.objects.get(study=one, reader=reader_a)
    second = Enrolment.objects.get(study=two, reader=reader_a)
    assert first.reader_index == second.reader_index == 0
    assert first.order_seed != second.order_seed
    assert order_of(first) != order_of(second)


def test_order_seeds_are_secret_random_values(small_store, reader_a):
    study = seed("many", readers=(), settings=SHARED)
    users = [f"r{i}" for i in range(12)]
    for name in users:
        get_user_model().objects.create_user(name)
    enrolments = study_enrol(study=study, usernames=users)
    seeds = [e.order_seed for e in enrolments]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < 2**62 for s in seeds)
    # 12 random 62-bit seeds: each half of the bits set about half of the time.
    bits = sum(bin(s).count("1") for s in seeds) / (62 * len(seeds))
    assert 0.35 < bits < 0.65


def test_stored_order_seed_reproduces_each_order_exactly(small_store, reader_a, reader_b):
    study = seed("repro", settings={"repeat_share": 0.25, "repeat_min_distance": 2,
                                    "attention_checks": 1})  # fmt: skip
    cases = list(study.cases.all())
    for enrolment in study.enrolments.all():
        rebuilt = assignments_build(enrolment, cases)
        assert [(a.position, a.case.index, a.round, a.synthetic_on_top) for a in rebuilt] == (
            order_of(enrolment)
        )


def test_study_seed_is_random_unless_given(small_store):
    drawn = [
        seed(f"s{i}", n=1, readers=(), open_now=False, settings=SHARED, seed=None) for i in range(3)
    ]
    seeds = {study.seed for study in drawn}
    assert len(seeds) == 3 and all(s >= 0 for s in seeds)
    with pytest.raises(StudySeedError, match="seed must be an integer within 0"):
        seed("neg", seed=-1, readers=(), open_now=False)


def test_seeding_leaves_out_ecgs_the_readers_saw_in_another_study(small_store, reader_a, reader_b):
    first = seed("first", n=6, readers=("alice",))
    used = {
        pk for pair in first.cases.values_list("real_ecg_id", "synthetic_ecg_id") for pk in pair
    }
    second = seed("second", n=6, readers=("alice", "bob"))
    again = {
        pk for pair in second.cases.values_list("real_ecg_id", "synthetic_ecg_id") for pk in pair
    }
    assert used.isdisjoint(again)
    assert second.seeding["excluded_seen_by_readers"] == 12
    with pytest.raises(StudySeedError, match="only 0 real/synthetic pairs"):
        seed("third", n=1, readers=("alice",))


def test_enrolling_a_reader_who_saw_the_ecgs_elsewhere_is_refused(small_store, reader_a, reader_b):
    seed("seen", n=6, readers=("alice",))
    everything = seed("everything", n=12, readers=(), open_now=False)
    with pytest.raises(StudySeedError, match="reader alice was shown 12 of this study's ECGs"):
        study_enrol(study=everything, usernames=["bob", "alice"])
    assert not everything.enrolments.exists()
    assert len(study_enrol(study=everything, usernames=["bob"])) == 1
    Study.objects.filter(pk=everything.pk).update(allow_shared_ecgs=True)
    everything.refresh_from_db()
    assert len(study_enrol(study=everything, usernames=["alice"])) == 1


def test_shared_ecgs_are_allowed_only_explicitly(small_store, reader_a):
    seed("a", n=12, readers=("alice",))
    with pytest.raises(StudySeedError, match="only 0 real/synthetic pairs"):
        seed("b", n=12, readers=("alice",))
    reused = seed("c", n=12, readers=("alice",), settings=SHARED)
    assert reused.seeding["excluded_seen_by_readers"] == 0
    assert Assignment.objects.filter(enrolment__study=reused).count() == 12


def ecgs_of(study: Study, *, shown: bool) -> set[int]:
    """The ECGs a study shows with their source (practice, attention checks), or blind."""
    revealing = ("practice", "attention")
    cases = (
        study.cases.filter(kind__in=revealing) if shown else study.cases.exclude(kind__in=revealing)
    )
    return {pk for pair in cases.values_list("real_ecg_id", "synthetic_ecg_id") for pk in pair}


def test_shared_ecgs_never_include_another_studys_revealed_ones(small_store, reader_a):
    """Practice feedback shows an ECG's source, and so does an attention check (a real ECG
    beside an artificial trace): sharing must not carry those to a blind case, nor show
    with its source an ECG the reader judges blind elsewhere."""
    first = seed("first", n=4, practice=2, readers=("alice",), settings={"attention_checks": 1})
    shown, blind = ecgs_of(first, shown=True), ecgs_of(first, shown=False)
    assert first.cases.filter(kind="attention").count() == 1

    def clashes(study: Study) -> bool:
        return bool(ecgs_of(study, shown=False) & shown or ecgs_of(study, shown=True) & blind)

    # A seed whose cases, chosen for readers who saw none of first's, would clash for alice.
    settings = {**SHARED, "attention_checks": 1}
    study_seed = next(
        s for s in range(1, 30)
        if clashes(seed(f"unrelated{s}", n=2, practice=2, readers=(), open_now=False, seed=s,
                        settings=settings))
    )  # fmt: skip
    shared = seed("shared", n=2, practice=2, readers=("alice",), seed=study_seed, settings=settings)
    assert not clashes(shared)
    assert shared.cases.filter(kind="attention").count() == 1
    # first's practice pairs and its attention check's real ECG stay out of the candidates.
    assert shared.seeding["excluded_seen_by_readers"] == len(shown) - 1


def test_too_few_pairs_outside_blind_cases_for_practice_is_a_clear_error(small_store, reader_a):
    seed("first", n=11, readers=("alice",))  # one of the 12 pairs left unseen by alice
    message = "2 practice cases need pairs that these readers judge blind nowhere else; only 1 "
    with pytest.raises(StudySeedError, match=message):
        seed("shared", n=1, practice=2, readers=("alice",), settings=SHARED)


def test_enrolment_refuses_a_reader_whose_revealed_ecgs_meet_blind_ones(small_store, reader_a):
    first = seed("first", n=4, practice=2, readers=("alice",))
    later = seed("later", n=10, practice=2, readers=(), open_now=False, settings=SHARED)
    clash = (ecgs_of(later, shown=False) & ecgs_of(first, shown=True)) | (
        ecgs_of(later, shown=True) & ecgs_of(first, shown=False)
    )
    assert clash  # 12 pairs in the store, 12 used by the later study
    with pytest.raises(StudySeedError, match=f"reader alice would judge {len(clash)} ECG"):
        study_enrol(study=later, usernames=["alice"])
    get_user_model().objects.create_user("carol")
    assert len(study_enrol(study=later, usernames=["carol"])) == 1


def test_ecgs_sampled_below_the_study_rate_are_refused(small_store):
    settings = {"harmonisation": {"sampling_rate": 500}}
    with pytest.raises(
        StudySeedError, match=r"sampled below the study rate of 500 Hz: test-real \(12\)"
    ):
        seed("fast", readers=(), open_now=False, settings=settings)
    assert not Study.objects.exists()
    allowed = seed("fast", readers=(), open_now=False,
                   settings={**settings, "allow_upsampling": True})  # fmt: skip
    assert allowed.allow_upsampling


def test_studies_stored_before_the_dither_keep_what_their_readers_saw(small_store):
    from django.apps import apps

    migration = importlib.import_module("assessment.migrations.0004_keep_old_harmonisation")
    old = seed("old", readers=(), open_now=False)
    new = seed("new", readers=(), open_now=False, settings=SHARED)
    stored = {"sampling_rate": 100.0, "duration_s": 10.0, "bandpass_hz": None,
              "quantum_mv": 0.001}  # fmt: skip
    Study.objects.filter(pk=old.pk).update(harmonisation=stored)
    migration.keep_old_harmonisation(apps, None)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.harmonisation == {**stored, "derive_limb_leads": False, "dither": "none"}
    assert new.harmonisation["dither"] == "rpdf" and new.harmonisation["quantum_mv"] == 0.01


def test_opening_refuses_ecgs_below_a_rate_raised_after_seeding(small_store):
    study = seed("raised", readers=(), open_now=False)
    spec = {**study.harmonisation, "sampling_rate": 250.0}
    Study.objects.filter(pk=study.pk).update(harmonisation=spec)
    with pytest.raises(StudyStateError, match=r"shows ECGs sampled below .* 250 Hz: test-gen"):
        study_open(study=study)
    study.refresh_from_db()
    assert study.status == Study.Status.DRAFT
