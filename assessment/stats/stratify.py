"""Stratified analyses: by diagnostic superclass, label set, generator and reader experience."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from assessment.stats.subset import AnalysisOptions, analyse_subset

UNKNOWN = "unknown"
DEFAULT_EXPERIENCE_BINS = (0.0, 2.0, 5.0, 10.0, 20.0, math.inf)
STRATA_COLUMNS = ("superclass", "label_set", "generator")


def experience_labels(
    years: pd.Series, edges: tuple[float, ...] = DEFAULT_EXPERIENCE_BINS
) -> pd.Series:
    """Bin experience into [a, b) intervals labelled 'a-b years' ('a+ years' for the last)."""
    edges_array = np.asarray(edges, dtype=float)
    if len(edges_array) < 2 or (np.diff(edges_array) <= 0).any():
        raise ValueError(f"experience bin edges must be increasing, got {edges!r}")
    names = [
        f"{_number(low)}+ years" if math.isinf(high) else f"{_number(low)}-{_number(high)} years"
        for low, high in zip(edges_array[:-1], edges_array[1:], strict=True)
    ]
    values = years.to_numpy(dtype=float)
    position = np.searchsorted(edges_array, values, side="right") - 1
    inside = ~np.isnan(values) & (position >= 0) & (position < len(names))
    labels = np.full(len(values), UNKNOWN, dtype=object)
    labels[inside] = np.asarray(names, dtype=object)[position[inside]]
    return pd.Series(labels, index=years.index, dtype=object)


def stratified(
    rows: pd.DataFrame,
    design: str,
    options: AnalysisOptions,
    experience_bins: tuple[float, ...] = DEFAULT_EXPERIENCE_BINS,
) -> dict:
    """analyse_subset for every stratum of each stratifying variable (missing -> 'unknown').

    In the single design real ECGs carry no generator: a generator's stratum is its synthetic
    ECGs together with all real ones (its detection block gives sensitivity on its own ECGs;
    the accuracy mixes in the real ones in proportion, so compare generators with the primary
    analysis' balanced accuracy).
    """
    keys = {column: rows[column].fillna(UNKNOWN).astype(str) for column in STRATA_COLUMNS}
    keys["experience"] = experience_labels(rows["reader_experience_years"], experience_bins)
    result = {
        name: {
            str(value): analyse_subset(group, design, options)
            for value, group in rows.groupby(key.to_numpy(), sort=True)
        }
        for name, key in keys.items()
        if not (name == "generator" and design == "single")
    }
    if design == "single":
        result["generator"] = _generator_strata(rows, options)
    return {name: result[name] for name in (*STRATA_COLUMNS, "experience")}


def _generator_strata(rows: pd.DataFrame, options: AnalysisOptions) -> dict:
    real = (rows["truth"] == "real").to_numpy()
    generators = rows["generator"].where(~real)
    return {
        str(name): analyse_subset(rows[real | (generators == name).to_numpy()], "single", options)
        for name in sorted(generators.dropna().astype(str).unique())
    }


def _number(value: float) -> str:
    return f"{value:g}"
