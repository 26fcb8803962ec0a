"""Pure case matching and stratified selection (no database)."""

from __future__ import annotations

from collections import Counter

import pytest

from assessment.planning.matching import (
    Candidate,
    MatchingError,
    allocate,
    balanced_flags,
    match_pairs,
    plan_cases,
)


def pool(start: int, spec: list[tuple[str, tuple[str, ...], int]]) -> list[Candidate]:
    out, next_id = [], start
    for label_set, superclasses, count in spec:
        for _ in range(count):
            out.append(Candidate(next_id, label_set, superclasses))
            next_id += 1
    return out


REAL = pool(1, [("NORM_SR", ("NORM",), 6), ("IMI_SR", ("MI",), 3), ("ASMI_SR", ("MI",), 1),
                ("LVH_SR", ("HYP",), 2), ("PACE", (), 1)])  # fmt: skip
SYNTHETIC = pool(100, [("NORM_SR", ("NORM",), 6), ("IMI_SR", ("MI",), 4), ("LVH_SR", ("HYP",), 1),
                       ("PACE", (), 1)])  # fmt: skip


def test_exact_label_sets_first_then_superclass_fallback():
    matches = match_pairs(REAL, SYNTHETIC, seed=3)
    by_real = {m.real_id: m for m in matches}
    levels = Counter(m.level for m in matches)
    # 6 NORM + 3 IMI + 1 LVH + 1 PACE exact; ASMI falls back to the spare IMI (both MI);
    # the second LVH has no synthetic left in HYP and stays unmatched.
    assert levels == {"label_set": 11, "superclass": 1}
    asmi = by_real[10]
    assert asmi.level == "superclass" and asmi.stratum == "MI"
    assert len({m.synthetic_id for m in matches}) == len(matches)
    assert sum(1 for m in matches if m.label_set == "LVH_SR") == 1


def test_allocate_is_proportional_with_largest_remainders():
    assert allocate({"NORM": 6, "MI": 3, "HYP": 2, "CD": 1}, 8) == {
        "NORM": 4, "MI": 2, "HYP": 1, "CD": 1,
    }  # fmt: skip
    assert allocate({"A": 1, "B": 1}, 1) == {"A": 1, "B": 0}  # ties go to the first name
    with pytest.raises(MatchingError, match="5 cases requested but only 2"):
        allocate({"A": 2}, 5)


def test_stratified_by_superclass():
    matches = match_pairs(REAL, SYNTHETIC, seed=3)
    plan = plan_cases(matches, n_main=6, n_practice=2, n_unaware=0, seed=3)
    # 12 pairs: NORM 6, MI 4, none 1, HYP 1 -> 6 cases: NORM 3, MI 2, then the larger
    # remainder of HYP/none (0.5 each) goes to HYP by name.
    assert Counter(m.stratum for m in plan.main) == {"NORM": 3, "MI": 2, "HYP": 1}
    assert all(m.level == "label_set" for m in plan.main if m.stratum == "MI")
    used = [m.real_id for m in plan.main + plan.practice]
    assert len(set(used)) == 8


def test_same_seed_same_plan_and_other_seed_differs():
    def plan(seed):
        matches = match_pairs(REAL, SYNTHETIC, seed=seed)
        return plan_cases(matches, n_main=6, n_practice=2, n_unaware=1, seed=seed)

    assert plan(7) == plan(7)
    assert [m.real_id for m in plan(7).main] != [m.real_id for m in plan(8).main]


def test_exclusions_that_leave_enough_practice_pairs_change_nothing():
    matches = match_pairs(REAL, SYNTHETIC, seed=3)
    free = plan_cases(matches, n_main=6, n_practice=2, n_unaware=2, seed=3)
    in_main = {pk for m in free.main for pk in (m.real_id, m.synthetic_id)}
    for excluded in ({999}, in_main):
        plan = plan_cases(matches, n_main=6, n_practice=2, n_unaware=2, seed=3, keep_blind=excluded)
        assert plan == free


def test_practice_skips_excluded_ecgs_and_is_chosen_before_the_main_cases():
    matches = match_pairs(REAL, SYNTHETIC, seed=3)
    free = plan_cases(matches, n_main=6, n_practice=2, n_unaware=2, seed=3)
    # Only two pairs may be practice, and the main cases would have taken one of them.
    allowed = [free.main[0], free.unaware[0]]
    banned = {pk for m in matches if m not in allowed for pk in (m.real_id, m.synthetic_id)}
    plan = plan_cases(matches, n_main=6, n_practice=2, n_unaware=2, seed=3, keep_blind=banned)
    assert sorted(plan.practice, key=matches.index) == sorted(allowed, key=matches.index)
    assert len(plan.main) == 6 and len(plan.unaware) == 2
    chosen = plan.main + plan.practice + plan.unaware
    assert len({m.real_id for m in chosen}) == 10
    with pytest.raises(MatchingError, match="3 practice cases need pairs .* only 2 of the matched"):
        plan_cases(matches, n_main=6, n_practice=3, n_unaware=0, seed=3, keep_blind=banned)


def test_too_few_pairs_names_the_counts():
    matches = match_pairs(REAL, SYNTHETIC, seed=1)
    with pytest.raises(MatchingError, match=r"only 12 real/synthetic pairs .* need 13"):
        plan_cases(matches, n_main=10, n_practice=2, n_unaware=1, seed=1)


def test_balanced_flags_are_exact_and_seeded():
    flags = balanced_flags(9, 4, seed=5, stream=1)
    assert sum(flags) == 4 and len(flags) == 9
    assert flags == balanced_flags(9, 4, seed=5, stream=1)
