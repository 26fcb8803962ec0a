"""The blinding gate: every channel classified, Bonferroni over the channels tested."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from assessment.audit.classify import MIN_PER_CLASS, channel_result
from assessment.audit.crossval import usable_features
from assessment.audit.features import (
    CHANNELS,
    CONTENT_CHANNELS,
    FEATURES,
    ServedPanel,
    panel_features,
)
from assessment.audit.result import AuditResult


def audit_panels(panels: Sequence[ServedPanel], alpha: float = 0.05) -> AuditResult:
    """Features of every served panel, then :func:`audit_features`."""
    if not all(isinstance(panel, ServedPanel) for panel in panels):
        raise ValueError("audit_panels expects ServedPanel objects")
    return audit_features(
        [panel_features(panel) for panel in panels],
        [panel.is_synthetic for panel in panels],
        [panel.case for panel in panels],
        alpha=alpha,
    )


def audit_features(
    rows: Sequence[Mapping[str, float]],
    is_synthetic: Sequence[bool],
    cases: Sequence[str],
    *,
    alpha: float = 0.05,
) -> AuditResult:
    """Classify each channel of :data:`CHANNELS` from per-panel feature rows.

    A channel leaks when its AUC lower bound at level 1 - alpha/k lies above 0.5 and a
    permutation test agrees at p <= alpha/k, k being the number of channels actually
    tested (neither constant nor too few panels): family-wise error at most alpha. The
    :data:`CONTENT_CHANNELS` are classified and reported but never gate.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if not len(rows) == len(is_synthetic) == len(cases):
        raise ValueError(
            f"{len(rows)} feature rows, {len(is_synthetic)} labels and {len(cases)} cases"
        )
    missing = sorted({name for row in rows for name in FEATURES if name not in row})
    if missing:
        raise ValueError(f"feature rows lack {missing}")
    table = {name: np.array([row[name] for row in rows], dtype=np.float64) for name in FEATURES}
    labels = np.asarray(is_synthetic, dtype=bool)
    family_size = 1  # with too few panels in a class no channel is tested
    if min(int(labels.sum()), int((~labels).sum())) >= MIN_PER_CLASS:
        gating = [c for name, c in CHANNELS.items() if name not in CONTENT_CHANNELS]
        family_size = max(sum(bool(usable_features(table, c)) for c in gating), 1)
    channels = [
        channel_result(
            name,
            table,
            labels,
            list(cases),
            alpha=alpha,
            family_size=family_size,
            gates=name not in CONTENT_CHANNELS,
        )  # fmt: skip
        for name in CHANNELS
    ]
    return AuditResult(channels=channels, n_panels=len(rows), alpha=alpha)
