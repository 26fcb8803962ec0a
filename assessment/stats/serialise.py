"""Conversion of nested results to plain JSON types (NaN and infinities become None)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def to_jsonable(value: object) -> object:
    """Recursively turn numpy scalars/arrays, tuples and non-finite floats into JSON values."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_jsonable(item) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"cannot convert {type(value).__name__} to JSON")
