"""Summaries for staff: a case plan per stratum (the seed preview) and a study's stored
seeding summary as labelled rows (the study page). Plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessment.planning.matching import LABEL_SET, SUPERCLASS, CasePlan, Match


@dataclass(frozen=True)
class StratumPlan:
    """One superclass stratum of a case plan: the pairs matched there and their use."""

    stratum: str
    by_label_set: int
    by_superclass: int
    main: int
    practice: int
    unaware: int
    main_pairs: tuple[Match, ...] = ()

    @property
    def matched(self) -> int:
        return self.by_label_set + self.by_superclass

    @property
    def unused(self) -> int:
        return self.matched - self.main - self.practice - self.unaware


def plan_by_stratum(matches: Sequence[Match], plan: CasePlan) -> list[StratumPlan]:
    """Per stratum (by name): pairs matched by label set and by superclass, and how many
    of them the plan takes as main, practice and unaware-phase cases; ``main_pairs`` are
    the main pairs of the stratum, ordered by label set, then real ECG id."""
    strata = sorted({m.stratum for m in matches} | {m.stratum for m in plan.main})
    rows = []
    for stratum in strata:
        here = [m for m in matches if m.stratum == stratum]
        main = sorted(
            (m for m in plan.main if m.stratum == stratum),
            key=lambda m: (m.label_set, m.real_id),
        )
        rows.append(
            StratumPlan(
                stratum=stratum,
                by_label_set=sum(m.level == LABEL_SET for m in here),
                by_superclass=sum(m.level == SUPERCLASS for m in here),
                main=len(main),
                practice=sum(m.stratum == stratum for m in plan.practice),
                unaware=sum(m.stratum == stratum for m in plan.unaware),
                main_pairs=tuple(main),
            )
        )
    return rows


def plan_totals(rows: Sequence[StratumPlan]) -> StratumPlan:
    """The column sums of :func:`plan_by_stratum` (stratum 'all', no pairs listed)."""
    return StratumPlan(
        stratum="all",
        by_label_set=sum(r.by_label_set for r in rows),
        by_superclass=sum(r.by_superclass for r in rows),
        main=sum(r.main for r in rows),
        practice=sum(r.practice for r in rows),
        unaware=sum(r.unaware for r in rows),
    )


# Labels of the seeding summary's keys, in display order (``study_seed`` writes them).
_SEEDING_LABELS = {
    "pool": "ECG pool",
    "n": "Main cases asked for",
    "practice": "Practice items",
    "unaware": "Unaware-phase items",
    "candidates": "Candidate ECGs",
    "excluded_seen_by_readers": "Left out (readers saw them elsewhere)",
    "excluded_flagged_copies": "Left out (privacy screen: likely copies)",
    "excluded_implausible_amplitude": "Left out (a sample beyond ±10 mV)",
    "unscreened_synthetic": "Synthetic candidates no privacy screen has looked at",
    "matched": "Pairs matched",
}
_BY_SOURCE_KEYS = ("candidates", "excluded_implausible_amplitude")  # {"real": n, "synthetic": n}
_LEVEL_TEXT = {LABEL_SET: "by label set", SUPERCLASS: "by superclass"}


@dataclass(frozen=True)
class SummaryRow:
    label: str
    value: str
    key: str


def seeding_rows(seeding: Mapping[str, object]) -> list[SummaryRow]:
    """A study's seeding summary as (label, text) rows; keys this function does not know
    are shown too, with their name as label. ``main_by_stratum`` is left to
    :func:`seeding_strata`."""
    rows = []
    known = [key for key in _SEEDING_LABELS if key in seeding]
    others = sorted(key for key in seeding if key not in _SEEDING_LABELS)
    for key in known + others:
        if key == "main_by_stratum":
            continue
        label = _SEEDING_LABELS.get(key, key.replace("_", " ").capitalize())
        rows.append(SummaryRow(label, _seeding_text(key, seeding[key]), key))
    return rows


def seeding_strata(seeding: Mapping[str, object]) -> list[tuple[str, int]]:
    """(stratum, main cases) rows of the seeding summary, by stratum name."""
    strata = seeding.get("main_by_stratum")
    if not isinstance(strata, Mapping):
        return []
    return sorted((str(stratum), count) for stratum, count in strata.items())


def _seeding_text(key: str, value: object) -> str:
    if key == "pool" and isinstance(value, Mapping):
        return _pool_text(value)
    if key in _BY_SOURCE_KEYS and isinstance(value, Mapping):
        return _join(f"{value[source]} {source}" for source in sorted(value))
    if key == "matched" and isinstance(value, Mapping):
        if not value:
            return "none"
        return _join(f"{count} {_LEVEL_TEXT.get(level, level)}" for level, count in value.items())
    return _plain(value)


def _pool_text(pool: Mapping[str, object]) -> str:
    parts = []
    for source in ("real", "synthetic"):
        origins = pool.get(f"{source}_origins") or []
        folds = pool.get(f"{source}_folds") or []
        text = f"{source}: {_plain(origins) or 'none'}"
        if folds:
            text += f" (folds {_plain(folds)})"
        parts.append(text)
    return "; ".join(parts)


def _plain(value: object) -> str:
    if isinstance(value, Mapping):
        return _join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return _join(_plain(v) for v in value)
    if value is None:
        return "—"
    return str(value)


def _join(parts) -> str:
    return ", ".join(parts)
