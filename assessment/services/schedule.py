"""Build one reader's assignments (positions, rounds, panel tokens) from a frozen study."""

from __future__ import annotations

from collections.abc import Sequence

from assessment.models import Assignment, Case, Enrolment, Study, new_token
from assessment.planning.matching import balanced_flags
from assessment.planning.ordering import main_sequence, shuffled

_UNAWARE_STREAM = 1
_PRACTICE_STREAM = 2
_PRACTICE_SIDES_STREAM = 3


def assignments_build(enrolment: Enrolment, cases: Sequence[Case]) -> list[Assignment]:
    """Unsaved assignments of ``enrolment``: unaware items, practice items, then the main
    phase (round 1, round 2 repeats, attention checks), in the reader's seeded order."""
    study = enrolment.study
    seed = enrolment.order_seed
    by_id = {case.pk: case for case in cases}
    of_kind = {kind: [c.pk for c in cases if c.kind == kind] for kind in Case.Kind.values}
    main_ids = [pk for pk in of_kind[Case.Kind.MAIN] if _reads(enrolment, by_id[pk])]
    slots = main_sequence(
        main_ids,
        seed=seed,
        paired=study.is_paired,
        repeat_share=study.repeat_share,
        min_distance=study.repeat_min_distance,
        attention_ids=of_kind[Case.Kind.ATTENTION],
    )
    unaware = shuffled(of_kind[Case.Kind.UNAWARE], seed=seed, stream=_UNAWARE_STREAM)
    practice = shuffled(of_kind[Case.Kind.PRACTICE], seed=seed, stream=_PRACTICE_STREAM)
    practice_tops = balanced_flags(
        len(practice), len(practice) // 2, seed=seed, stream=_PRACTICE_SIDES_STREAM
    )
    plan = [(pk, Assignment.Phase.UNAWARE, 1, None) for pk in unaware]
    plan += [
        (pk, Assignment.Phase.PRACTICE, 1, top if by_id[pk].is_pair else None)
        for pk, top in zip(practice, practice_tops, strict=True)
    ]
    plan += [(s.case_id, Assignment.Phase.MAIN, s.round, s.synthetic_on_top) for s in slots]
    return [
        Assignment(
            enrolment=enrolment,
            case=by_id[pk],
            position=position,
            phase=phase,
            round=round_,
            synthetic_on_top=top if by_id[pk].is_pair else None,
            panel_b_token=new_token() if by_id[pk].is_pair else None,
        )
        for position, (pk, phase, round_, top) in enumerate(plan)
    ]


def _reads(enrolment: Enrolment, case: Case) -> bool:
    """Whether the reader's list includes this main case under the study's assignment mode."""
    study = enrolment.study
    if study.assignment_mode == Study.AssignmentMode.ALL or case.is_anchor:
        return True
    return case.block == enrolment.reader_index % study.block_count
