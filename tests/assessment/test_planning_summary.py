"""Staff summaries without a database: a case plan per stratum (the seed preview) and a
stored seeding summary as labelled rows (the study page)."""

from __future__ import annotations

from assessment.planning.matching import Candidate, match_pairs, plan_cases
from assessment.planning.summary import (
    StratumPlan,
    plan_by_stratum,
    plan_totals,
    seeding_rows,
    seeding_strata,
)


def candidates(start: int, layout: list[tuple[str, tuple[str, ...], int]]) -> list[Candidate]:
    rows, pk = [], start
    for label_set, superclasses, count in layout:
        for _ in range(count):
            rows.append(Candidate(pk, label_set, superclasses))
            pk += 1
    return rows


def test_plan_by_stratum_counts_matches_and_their_use_per_stratum():
    real = candidates(
        1,
        [("NORM_SR", ("NORM",), 5), ("IMI_SR", ("MI",), 3), ("LVH_SR", ("HYP",), 1),
         ("ASMI_SR", ("MI",), 1)],
    )  # fmt: skip
    synthetic = candidates(
        100,
        [("NORM_SR", ("NORM",), 4), ("IMI_SR", ("MI",), 2), ("AMI_SR", ("MI",), 2),
         ("LVH_SR", ("HYP",), 1)],
    )  # fmt: skip
    matches = match_pairs(real, synthetic, seed=3)
    plan = plan_cases(matches, n_main=5, n_practice=2, n_unaware=1, seed=3)
    rows = plan_by_stratum(matches, plan)
    assert [r.stratum for r in rows] == ["HYP", "MI", "NORM"]
    by = {r.stratum: r for r in rows}
    # NORM: 4 exact pairs (one real NORM left unmatched); MI: 2 exact, 2 by superclass.
    assert (by["NORM"].by_label_set, by["NORM"].by_superclass) == (4, 0)
    assert (by["MI"].by_label_set, by["MI"].by_superclass) == (2, 2)
    assert (by["HYP"].by_label_set, by["HYP"].by_superclass) == (1, 0)
    # 5 of 9 pairs: NORM 5*4/9 = 2.2, MI 2.2, HYP 0.6 -> 2, 2, and HYP's remainder 1.
    assert [(r.main, r.matched) for r in rows] == [(1, 1), (2, 4), (2, 4)]
    assert sum(r.practice for r in rows) == 2 and sum(r.unaware for r in rows) == 1
    assert sorted(m.real_id for r in rows for m in r.main_pairs) == sorted(
        m.real_id for m in plan.main
    )
    for row in rows:
        assert all(m.stratum == row.stratum for m in row.main_pairs)
        assert row.unused == row.matched - row.main - row.practice - row.unaware >= 0
    totals = plan_totals(rows)
    assert (totals.stratum, totals.matched, totals.main, totals.unused) == ("all", 9, 5, 1)


def test_plan_by_stratum_of_nothing_is_empty():
    plan = plan_cases([], n_main=0, n_practice=0, n_unaware=0, seed=0)
    assert plan_by_stratum([], plan) == []
    assert plan_totals([]) == StratumPlan("all", 0, 0, 0, 0, 0)


def test_seeding_rows_read_as_text_in_a_fixed_order():
    seeding = {
        "main_by_stratum": {"NORM": 4, "CD": 1},
        "matched": {"label_set": 20, "superclass": 2},
        "pool": {"real_origins": ["ptbxl"], "real_folds": [9, 10],
                 "synthetic_origins": ["sssd-nle", "deepfake-ecg"], "synthetic_folds": []},
        "n": 20, "practice": 2, "unaware": 0,
        "candidates": {"synthetic": 40, "real": 44},
        "excluded_seen_by_readers": 3,
        "future_note": {"why": ["a", "b"], "when": None},
    }  # fmt: skip
    rows = [(r.label, r.value) for r in seeding_rows(seeding)]
    assert rows == [
        ("ECG pool", "real: ptbxl (folds 9, 10); synthetic: sssd-nle, deepfake-ecg"),
        ("Main cases asked for", "20"),
        ("Practice items", "2"),
        ("Unaware-phase items", "0"),
        ("Candidate ECGs", "44 real, 40 synthetic"),
        ("Left out (readers saw them elsewhere)", "3"),
        ("Pairs matched", "20 by label set, 2 by superclass"),
        ("Future note", "why: a, b, when: —"),
    ]
    assert seeding_strata(seeding) == [("CD", 1), ("NORM", 4)]


def test_seeding_rows_of_an_empty_or_odd_summary_never_fail():
    assert seeding_rows({}) == [] and seeding_strata({}) == []
    rows = seeding_rows({"matched": {}, "pool": "old format", "main_by_stratum": [1, 2]})
    assert [(r.label, r.value) for r in rows] == [
        ("ECG pool", "old format"),
        ("Pairs matched", "none"),
    ]
    assert seeding_strata({"main_by_stratum": [1, 2]}) == []
