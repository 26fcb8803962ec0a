"""Pure per-reader ordering: seeds, counterbalancing, repeats and attention checks."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.planning.attention import attention_signal
from assessment.planning.ordering import (
    OrderingError,
    main_sequence,
    repeat_distances,
)

CASES = list(range(101, 121))  # 20 cases


def test_order_is_reproducible_from_seed():
    one = main_sequence(CASES, seed=42, paired=True, repeat_share=0.25, min_distance=5)
    again = main_sequence(CASES, seed=42, paired=True, repeat_share=0.25, min_distance=5)
    other = main_sequence(CASES, seed=43, paired=True, repeat_share=0.25, min_distance=5)
    assert one == again
    assert [s.case_id for s in one] != [s.case_id for s in other]


@pytest.mark.parametrize("n_cases", [7, 20])
def test_synthetic_position_is_exactly_balanced(n_cases):
    slots = main_sequence(CASES[:n_cases], seed=9, paired=True, repeat_share=0.3)
    tops = sum(s.synthetic_on_top for s in slots)
    assert abs(tops - (len(slots) - tops)) <= len(slots) % 2


def test_repeats_are_far_apart():
    for seed in range(20):
        slots = main_sequence(CASES, seed=seed, paired=True, repeat_share=0.3, min_distance=8)
        rounds = [s.round for s in slots]
        assert rounds == sorted(rounds)  # all of round 2 after round 1
        distances = repeat_distances(slots)
        assert len(distances) == 6 and min(distances) > 8


def test_tight_distance_falls_back_to_round_one_order_or_refuses():
    slots = main_sequence(CASES[:4], seed=0, paired=False, repeat_share=1.0, min_distance=3)
    assert repeat_distances(slots) == [4, 4, 4, 4]
    with pytest.raises(OrderingError, match="more than 4 positions apart"):
        main_sequence(CASES[:4], seed=0, paired=False, repeat_share=1.0, min_distance=4)


def test_attention_check_never_first():
    for seed in range(50):
        slots = main_sequence(CASES[:5], seed=seed, paired=True, attention_ids=[900, 901])
        assert not slots[0].is_attention
        assert sorted(s.case_id for s in slots if s.is_attention) == [900, 901]
        assert len(slots) == 7


def test_attention_signal_is_identical_in_all_leads():
    signal = attention_signal(1, fs=100, seconds=10)
    assert signal.shape == (12, 1000) and signal.dtype == np.float32
    assert np.all(signal == signal[0])
    assert np.isclose(np.abs(signal).max(), 0.8)
    assert not np.array_equal(attention_signal(0), attention_signal(2))
