"""study_seed and manage.py seed_study: matched, stratified, reproducible, clear errors."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessment.errors import StudySeedError
from assessment.models import Case, Enrolment, Study
from assessment.planning.summary import seeding_rows
from assessment.services import EcgPool, study_seed
from generator.models import ECG
from tests.assessment.conftest import seed
from tests.assessment.test_staff_pages import SEED_FORM, SEED_URL
from tests.factories import EcgFactory

pytestmark = pytest.mark.django_db


def main_cases(study: Study) -> list[Case]:
    return list(study.cases.filter(kind=Case.Kind.MAIN).select_related("real_ecg"))


def test_stratified_by_superclass(small_store):
    study = seed(n=8, readers=(), open_now=False)
    # 12 pairs: NORM 6, MI 3, HYP 2, CD 1 -> 8 cases by largest remainders: 4, 2, 1, 1.
    assert Counter(c.stratum for c in main_cases(study)) == {"NORM": 4, "MI": 2, "HYP": 1, "CD": 1}
    assert study.seeding["main_by_stratum"] == {"CD": 1, "HYP": 1, "MI": 2, "NORM": 4}
    for case in main_cases(study):
        assert case.match_level == "label_set"
        assert case.real_ecg.label_set == case.label_set == case.synthetic_ecg.label_set
        assert case.real_ecg.source == "real" and case.synthetic_ecg.source == "synthetic"


def test_same_seed_reproduces_the_cases(small_store):
    def pairs(study):
        return [(c.real_ecg_id, c.synthetic_ecg_id) for c in main_cases(study)]

    assert pairs(seed("a", seed=5, readers=())) == pairs(seed("b", seed=5, readers=()))
    assert pairs(seed("c", seed=5, readers=())) != pairs(seed("d", seed=6, readers=()))


def test_superclass_fallback_is_recorded(db):
    EcgFactory(source="real", origin="r", codes=("IMI", "SR"))
    EcgFactory(source="synthetic", origin="g", codes=("ASMI", "SR"))
    study = seed(n=1, real="r", synthetic="g", readers=())
    case = main_cases(study)[0]
    assert (case.match_level, case.stratum, case.label_set) == ("superclass", "MI", "IMI_SR")
    assert study.seeding["matched"] == {"superclass": 1}


def test_unknown_origin_is_a_clear_error(small_store):
    with pytest.raises(StudySeedError, match="unknown real origin.*nope.*store has: test-real"):
        seed(real="nope", readers=())
    assert not Study.objects.exists()


def test_not_enough_ecgs_is_a_clear_error_and_stores_nothing(small_store):
    with pytest.raises(StudySeedError, match=r"only 12 real/synthetic pairs .* need 14"):
        seed(n=12, practice=2, readers=())
    assert not Study.objects.exists() and not Case.objects.exists()


def test_too_few_pairs_names_what_the_pool_lost_before_matching(small_store, reader_a):
    seed("first", n=4, readers=("alice",))  # alice now has 8 of the 24 ECGs
    used = set(Case.objects.values_list("synthetic_ecg_id", flat=True))
    unused = ECG.objects.filter(origin="test-gen").exclude(pk__in=used).order_by("pk").first()
    ECG.objects.filter(pk=unused.pk).update(n_samples=500)  # 5 s at 100 Hz
    with pytest.raises(StudySeedError) as refused:
        seed("second", n=8, readers=("alice",))
    message = str(refused.value)
    assert "only 7 real/synthetic pairs could be matched" in message
    assert "left out of the pool before matching: 1 shorter than the study's 10 s" in message
    assert "8 seen by these readers in other studies" in message
    assert Study.objects.count() == 1


def test_ecgs_flagged_with_an_implausible_amplitude_are_left_out_of_both_sources(small_store):
    real = ECG.objects.filter(source="real").order_by("id")
    synthetic = ECG.objects.filter(source="synthetic").order_by("id")
    flagged = [real[0], synthetic[0], synthetic[1]]
    for ecg in flagged:
        ecg.provenance = {**ecg.provenance, "implausible_peak_mv": 14.2}
        ecg.save(update_fields=["provenance"])
    study = seed(n=10, practice=0, readers=())
    shown = {c.real_ecg_id for c in main_cases(study)} | {
        c.synthetic_ecg_id for c in main_cases(study)
    }
    assert not shown & {ecg.pk for ecg in flagged}
    assert study.seeding["candidates"] == {"real": 11, "synthetic": 10}
    assert study.seeding["excluded_implausible_amplitude"] == {"real": 1, "synthetic": 2}
    rows = {row.key: (row.label, row.value) for row in seeding_rows(study.seeding)}
    assert rows["excluded_implausible_amplitude"] == (
        "Left out (a sample beyond ±10 mV)",
        "1 real, 2 synthetic",
    )
    with pytest.raises(StudySeedError) as refused:
        seed("second", n=11, practice=0, readers=())
    message = str(refused.value)
    assert "only 10 real/synthetic pairs could be matched" in message
    assert "beyond ±10 mV (1 real, 2 synthetic)" in message


def test_the_admin_preview_says_how_many_ecgs_it_left_out_for_their_amplitude(
    small_store, reader_a, client_admin
):
    for ecg in ECG.objects.filter(source="synthetic").order_by("id")[:2]:
        ecg.provenance = {**ecg.provenance, "implausible_peak_mv": 14.2}
        ecg.save(update_fields=["provenance"])
    response = client_admin.post(reverse(SEED_URL), {**SEED_FORM, "action": "preview"})
    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "Candidates after exclusions: 12 real, 10 synthetic;" in html
    assert "0 real and 2 synthetic ECGs left out with a sample beyond ±10 mV" in html


def test_unknown_reader_and_duplicate_name_are_refused(small_store, reader_a):
    with pytest.raises(StudySeedError, match="unknown reader.*zed"):
        seed(readers=("alice", "zed"))
    seed("taken", readers=())
    with pytest.raises(StudySeedError, match="already exists"):
        seed("taken", readers=())


def test_folds_filter_the_real_pool(small_store):
    EcgFactory(source="real", origin="test-real", codes=("CLBBB", "SR"), strat_fold=3)
    study = study_seed(
        name="folds", design="paired", n=12, practice=0,
        pool=EcgPool(real_origins=["test-real"], synthetic_origins=["test-gen"], real_folds=[9]),
    )  # fmt: skip
    assert study.seeding["candidates"]["real"] == 12
    assert all(c.real_ecg.strat_fold == 9 for c in main_cases(study))


def test_single_design_uses_the_synthetic_share(small_store):
    study = seed(design="single", n=10, settings={"synthetic_share": 0.3}, readers=())
    sources = Counter(c.single_source for c in main_cases(study))
    assert sources == {"real": 7, "synthetic": 3}


def test_practice_unaware_and_attention_cases_stay_out_of_the_main_set(small_store):
    study = seed(
        n=6, practice=2, unaware=2, readers=(),
        settings={"attention_checks": 2, "unaware_phase": True},
    )  # fmt: skip
    kinds = Counter(study.cases.values_list("kind", flat=True))
    assert kinds == {"main": 6, "practice": 2, "unaware": 2, "attention": 2}
    main_ecgs = {e for c in main_cases(study) for e in (c.real_ecg_id, c.synthetic_ecg_id)}
    for case in study.cases.exclude(kind="main"):
        assert {case.real_ecg_id, case.synthetic_ecg_id}.isdisjoint(main_ecgs)
    for case in study.cases.filter(kind="unaware"):
        assert not case.is_pair
    checks = ECG.objects.filter(origin="attention-check")
    assert checks.count() == 2 and all(c.source == "synthetic" for c in checks)
    attention = study.cases.filter(kind="attention").select_related("synthetic_ecg")
    assert all(c.is_pair and c.synthetic_ecg.origin == "attention-check" for c in attention)


def test_readers_are_enrolled_with_recorded_seeds(small_store, reader_a, reader_b):
    study = seed(readers=("bob", "alice"), open_now=False)
    rows = list(Enrolment.objects.filter(study=study).values_list("reader__username", "order_seed"))
    assert [r[0] for r in rows] == ["alice", "bob"]
    assert rows[0][1] != rows[1][1]


def test_turing_set_pairs_all_match_by_label_set(turing_store):
    study = seed(n=20, real="turing-real", synthetic="turing-synthetic", readers=(), practice=2)
    assert study.seeding["matched"] == {"label_set": 22}
    assert sum(study.seeding["main_by_stratum"].values()) == 20


def test_seed_study_command(small_store, reader_a):
    out = io.StringIO()
    call_command(
        "seed_study", "--name", "cmd", "--design", "paired", "--n", "6", "--real-origin",
        "test-real", "--real-folds", "9", "--synthetic-origin", "test-gen", "--readers", "alice",
        "--seed", "2", "--practice", "1", "--study-settings", '{"repeat_share": 0.5}', "--open",
        stdout=out,
    )  # fmt: skip
    assert "Seeded study 'cmd'" in out.getvalue()
    assert "pairs matched 12 by label_set" in out.getvalue()
    assert out.getvalue().rstrip().endswith("; 1 reader")
    study = Study.objects.get(name="cmd")
    assert study.status == "open" and study.repeat_share == 0.5
    assert study.enrolments.get().assignments.count() == 1 + 6 + 3
    with pytest.raises(CommandError, match="unknown synthetic origin"):
        call_command("seed_study", "--name", "x", "--design", "single", "--n", "2",
                     "--real-origin", "test-real", "--synthetic-origin", "gan")  # fmt: skip
    with pytest.raises(CommandError, match="unknown study settings: colour"):
        call_command("seed_study", "--name", "y", "--design", "single", "--n", "2",
                     "--real-origin", "test-real", "--synthetic-origin", "test-gen",
                     "--study-settings", '{"colour": 1}')  # fmt: skip


def test_studies_get_two_practice_items_unless_told_otherwise(small_store, reader_a):
    """Every way of seeding (service, admin form, API, command) defaults to two practice
    items, so a reader sees feedback before the main items."""
    from assessment.forms import StudySeedForm
    from assessment.serializers import StudySeedSerializer

    pool = EcgPool(real_origins=["test-real"], synthetic_origins=["test-gen"])
    by_service = study_seed(name="service", design="paired", n=4, pool=pool, seed=3)
    assert by_service.cases.filter(kind=Case.Kind.PRACTICE).count() == 2
    assert by_service.seeding["practice"] == 2
    assert StudySeedForm.base_fields["practice"].initial == 2
    assert StudySeedSerializer().fields["practice"].default == 2
    call_command(
        "seed_study", "--name", "command", "--design", "single", "--n", "4", "--real-origin",
        "test-real", "--synthetic-origin", "test-gen", "--readers", "alice", "--seed", "4",
        "--open", stdout=io.StringIO(),
    )  # fmt: skip
    by_command = Study.objects.get(name="command")
    assert by_command.cases.filter(kind=Case.Kind.PRACTICE).count() == 2
    phases = list(
        by_command.enrolments.get().assignments.order_by("position").values_list("phase", flat=True)
    )
    assert phases[:2] == ["practice", "practice"] and set(phases[2:]) == {"main"}
