"""Each reader's presentation order: shuffled from a recorded seed, counterbalanced, with
far-apart repeats and attention checks that never come first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_MAX_SHUFFLES = 200


class OrderingError(ValueError):
    """The requested order constraints cannot be met."""


@dataclass(frozen=True)
class Slot:
    """One presentation in a reader's main phase."""

    case_id: int
    round: int
    synthetic_on_top: bool | None
    is_attention: bool = False


def shuffled(ids: Sequence[int], *, seed: int, stream: int) -> list[int]:
    """``ids`` in a seeded random order."""
    order = np.random.default_rng([seed, stream]).permutation(len(ids))
    return [ids[i] for i in order]


def main_sequence(
    case_ids: Sequence[int],
    *,
    seed: int,
    paired: bool,
    repeat_share: float = 0.0,
    min_distance: int = 0,
    attention_ids: Sequence[int] = (),
) -> list[Slot]:
    """The main phase of one reader.

    Round 1 shows every case once in random order; round 2 (all after round 1) repeats
    ``round(repeat_share * n)`` cases, each more than ``min_distance`` positions from its
    first showing. Paired presentations put the synthetic ECG on top exactly half of the
    time (one more when odd). Attention checks go to random positions, never first.
    """
    if not 0.0 <= repeat_share <= 1.0:
        raise OrderingError(f"repeat share must be within 0..1, got {repeat_share}")
    if len(set(case_ids)) != len(case_ids):
        raise OrderingError("case ids must be distinct")
    rng = np.random.default_rng(seed)
    first = [case_ids[i] for i in rng.permutation(len(case_ids))]
    second = _far_repeats(first, int(round(repeat_share * len(first))), min_distance, rng)
    sides = _sides(len(first) + len(second), paired, rng)
    slots = [Slot(c, 1, side) for c, side in zip(first, sides, strict=False)]
    slots += [Slot(c, 2, side) for c, side in zip(second, sides[len(first) :], strict=True)]
    return _insert_attention(slots, attention_ids, paired, rng)


def repeat_distances(slots: Sequence[Slot]) -> list[int]:
    """Positions between the first and second showing of every repeated case."""
    first = {s.case_id: i for i, s in enumerate(slots) if s.round == 1 and not s.is_attention}
    return [i - first[s.case_id] for i, s in enumerate(slots) if s.round == 2]


def _far_repeats(
    first: list[int], n_repeats: int, min_distance: int, rng: np.random.Generator
) -> list[int]:
    """Round 2: ``n_repeats`` cases of round 1, each more than ``min_distance`` positions
    after its first showing. Subsets and orders are drawn at random among feasible ones."""
    n = len(first)
    if n_repeats == 0:
        return []

    def far_enough(positions: list[int]) -> bool:
        return all(n + j - p > min_distance for j, p in enumerate(positions))

    # Putting round 2 in round-1 order maximises the smallest distance, so a subset is
    # feasible exactly when its sorted positions pass.
    chosen = None
    for _ in range(_MAX_SHUFFLES):
        subset = sorted(int(p) for p in rng.choice(n, n_repeats, replace=False))
        if far_enough(subset):
            chosen = subset
            break
    if chosen is None:
        chosen = list(range(n_repeats))
        if not far_enough(chosen):
            raise OrderingError(
                f"cannot keep {n_repeats} repeats of {n} cases more than {min_distance} "
                f"positions apart; lower the repeat share or the minimum distance"
            )
    for _ in range(_MAX_SHUFFLES):
        order = [chosen[i] for i in rng.permutation(n_repeats)]
        if far_enough(order):
            return [first[p] for p in order]
    return [first[p] for p in chosen]


def _sides(n: int, paired: bool, rng: np.random.Generator) -> list[bool | None]:
    if not paired:
        return [None] * n
    tops = np.array([True] * (n // 2) + [False] * (n - n // 2))
    if n % 2 and rng.random() < 0.5:
        tops[-1] = True
    return [bool(x) for x in rng.permutation(tops)]


def _insert_attention(
    slots: list[Slot], attention_ids: Sequence[int], paired: bool, rng: np.random.Generator
) -> list[Slot]:
    if not attention_ids:
        return slots
    if len(attention_ids) > len(slots):
        raise OrderingError(
            f"{len(attention_ids)} attention checks need at least as many main presentations"
        )
    # Gaps 1..len(slots) lie after at least one main presentation, so none comes first.
    gaps = sorted(rng.choice(np.arange(1, len(slots) + 1), len(attention_ids), replace=False))
    checks = [Slot(c, 1, bool(rng.random() < 0.5) if paired else None, True) for c in attention_ids]
    out = list(slots)
    for offset, (gap, check) in enumerate(zip(gaps, checks, strict=True)):
        out.insert(int(gap) + offset, check)
    return out
