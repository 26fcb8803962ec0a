"""Match real to synthetic ECGs by label set (falling back to superclasses) and pick cases.

Everything is deterministic given the seed and the candidate lists, so re-seeding a study
with the same inputs reproduces its cases exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

LABEL_SET = "label_set"
SUPERCLASS = "superclass"
_LEVEL_RANK = {LABEL_SET: 0, SUPERCLASS: 1}


class MatchingError(ValueError):
    """Not enough ECGs to build the requested cases."""


@dataclass(frozen=True)
class Candidate:
    """An ECG that may enter a study: its store id, label set and superclasses."""

    ecg_id: int
    label_set: str
    superclasses: tuple[str, ...]

    @property
    def stratum(self) -> str:
        """The superclass combination, e.g. 'NORM' or 'HYP+STTC'; 'none' without any."""
        return "+".join(self.superclasses) or "none"


@dataclass(frozen=True)
class Match:
    """A real ECG and the synthetic ECG it is paired with."""

    real_id: int
    synthetic_id: int
    level: str
    stratum: str
    label_set: str


@dataclass(frozen=True)
class CasePlan:
    """Matched pairs chosen for the main phase, practice and the unaware phase."""

    main: list[Match]
    practice: list[Match]
    unaware: list[Match]
    spare_real_ids: list[int]


def match_pairs(
    real: Sequence[Candidate], synthetic: Sequence[Candidate], *, seed: int
) -> list[Match]:
    """Pair each real ECG with an unused synthetic one of the same label set, else of the
    same superclasses; real ECGs with neither stay unmatched. Each ECG is used once."""
    rng = np.random.default_rng([seed, 1])
    reals = [real[i] for i in rng.permutation(len(real))]
    synthetics = [synthetic[i] for i in rng.permutation(len(synthetic))]
    by_label: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in synthetics:
        by_label[candidate.label_set].append(candidate)
    matches, unmatched = [], []
    for candidate in reals:
        pool = by_label.get(candidate.label_set)
        if pool:
            matches.append(_match(candidate, pool.pop(), LABEL_SET))
        else:
            unmatched.append(candidate)
    by_stratum: dict[str, list[Candidate]] = defaultdict(list)
    for pool in by_label.values():
        for candidate in pool:
            by_stratum[candidate.stratum].append(candidate)
    for candidate in unmatched:
        pool = by_stratum.get(candidate.stratum)
        if pool:
            matches.append(_match(candidate, pool.pop(), SUPERCLASS))
    return matches


def allocate(available: Mapping[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of ``n`` over strata (largest remainders, ties by name)."""
    total = sum(available.values())
    if n > total:
        raise MatchingError(f"{n} cases requested but only {total} are available")
    if n < 0:
        raise MatchingError(f"the number of cases must be >= 0, got {n}")
    if total == 0:
        return {}
    quotas = {stratum: n * count / total for stratum, count in available.items()}
    shares = {stratum: int(quota) for stratum, quota in quotas.items()}
    by_remainder = sorted(quotas, key=lambda s: (-(quotas[s] - shares[s]), s))
    for stratum in by_remainder[: n - sum(shares.values())]:
        shares[stratum] += 1
    return shares


def plan_cases(
    matches: Sequence[Match],
    *,
    n_main: int,
    n_practice: int,
    n_unaware: int,
    seed: int,
    spare_reals: Sequence[int] = (),
    keep_blind: Collection[int] = frozenset(),
) -> CasePlan:
    """Choose ``n_main`` pairs stratified by superclass, then practice and unaware pairs from
    the rest; exact label-set matches are preferred within every stratum. No practice pair
    and no spare real ECG (an attention check's partner) is one of ``keep_blind``, the ECGs
    that must not be shown with their source; only when the main cases would leave too few
    practice pairs are these set aside first (the lowest-ranked that may serve)."""
    need = n_main + n_practice + n_unaware
    if need > len(matches):
        exact = sum(m.level == LABEL_SET for m in matches)
        raise MatchingError(
            f"only {len(matches)} real/synthetic pairs could be matched ({exact} by label set, "
            f"{len(matches) - exact} by superclass); {n_main} main + {n_practice} practice + "
            f"{n_unaware} unaware cases need {need}"
        )
    rng = np.random.default_rng([seed, 2])
    keys = rng.random(len(matches))
    ranked = sorted(range(len(matches)), key=lambda i: (_LEVEL_RANK[matches[i].level], keys[i]))
    excluded = set(keep_blind)

    def allowed(i: int) -> bool:
        return not {matches[i].real_id, matches[i].synthetic_id} & excluded

    chosen = _stratified(matches, ranked, n_main, reserved=set())
    in_main = set(chosen)
    practice = [i for i in ranked if i not in in_main and allowed(i)][:n_practice]
    if len(practice) < n_practice:
        # The main cases took pairs that practice needs: set practice aside first, from the
        # lowest-ranked pairs it may use, and choose the main cases from the others.
        practice = [i for i in reversed(ranked) if allowed(i)][:n_practice]
        if len(practice) < n_practice:
            raise MatchingError(
                f"{n_practice} practice cases need pairs that these readers judge blind "
                f"nowhere else; only {len(practice)} of the matched pairs are"
            )
        chosen = _stratified(matches, ranked, n_main, reserved=set(practice))
    main = [matches[i] for i in rng.permutation(chosen)] if chosen else []
    taken = set(chosen) | set(practice)
    rest = [matches[i] for i in ranked if i not in taken]
    used_reals = {m.real_id for m in matches}
    spare = [m.real_id for m in rest[n_unaware:]] + [i for i in spare_reals if i not in used_reals]
    return CasePlan(
        main=main,
        practice=[matches[i] for i in practice],
        unaware=rest[:n_unaware],
        spare_real_ids=[i for i in spare if i not in excluded],
    )


def _stratified(
    matches: Sequence[Match], ranked: Sequence[int], n_main: int, reserved: set[int]
) -> list[int]:
    """Indices of ``n_main`` pairs allocated to superclass strata in proportion to their
    sizes, the best-ranked of each stratum, leaving out ``reserved``."""
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for i in ranked:
        if i not in reserved:
            by_stratum[matches[i].stratum].append(i)
    shares = allocate({s: len(ids) for s, ids in by_stratum.items()}, n_main)
    return [i for s in sorted(by_stratum) for i in by_stratum[s][: shares[s]]]


def balanced_flags(n: int, n_true: int, *, seed: int, stream: int) -> list[bool]:
    """Exactly ``n_true`` of ``n`` flags True, in a seeded random order."""
    if not 0 <= n_true <= n:
        raise ValueError(f"cannot set {n_true} of {n} flags")
    flags = np.array([True] * n_true + [False] * (n - n_true))
    return [bool(x) for x in np.random.default_rng([seed, stream]).permutation(flags)]


def _match(real: Candidate, synthetic: Candidate, level: str) -> Match:
    return Match(real.ecg_id, synthetic.ecg_id, level, real.stratum, real.label_set)
