"""Blinding audit core: what a reader's browser receives, turned into non-clinical features,
and how well a cross-validated classifier tells real from synthetic on each channel (pure,
no Django)."""

from assessment.audit.classify import channel_result
from assessment.audit.crossval import case_splits, cross_validated_scores
from assessment.audit.features import (
    CHANNELS,
    CONTENT_CHANNELS,
    FEATURES,
    ServedPanel,
    panel_features,
)
from assessment.audit.gate import audit_features, audit_panels
from assessment.audit.result import AuditResult, ChannelResult
from assessment.audit.svg_parse import Trace, svg_traces

__all__ = [
    "CHANNELS", "CONTENT_CHANNELS", "FEATURES", "AuditResult", "ChannelResult",
    "ServedPanel", "Trace",
    "audit_features", "audit_panels", "case_splits", "channel_result",
    "cross_validated_scores", "panel_features", "svg_traces",
]  # fmt: skip
