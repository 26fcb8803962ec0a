"""Which aten operators a call ran, counted by torch's profiler (in eager or compiled code)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import torch

T = TypeVar("T")
BATCHED_PRODUCTS = ("aten::bmm", "aten::baddbmm")


def operators_run(action: Callable[[], T]) -> tuple[T, Counter[str]]:
    """``action()``'s result and how often it called each aten operator."""
    with torch.profiler.profile() as profile:
        result = action()
    return result, Counter(event.name for event in profile.events())


def batched_products(counts: Counter[str]) -> int:
    """How many batched matrix products (the pointwise convolutions' product way) ran."""
    return sum(counts[name] for name in BATCHED_PRODUCTS)
