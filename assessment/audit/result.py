"""Typed results of a blinding audit and their JSON-friendly form (4 decimals, NaN -> None)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

DECIMALS = 4


@dataclass(frozen=True)
class ChannelResult:
    """How well a cross-validated classifier tells real from synthetic on one channel.

    ``auc_ci``/``accuracy_ci`` are at level 1 - alpha; ``auc_simultaneous_low`` is the
    lower DeLong bound at the family-wise level ``simultaneous_level`` (1 - alpha/k over
    the k channels tested). ``permutation_p`` (over ``permutations`` label permutations;
    NaN when the DeLong bound did not call for one) confirms it. ``leaks`` is the gate's
    verdict, stored as decided; a channel that does not ``gate`` (a content proxy) never
    leaks and is reported only.
    """

    channel: str
    features: tuple[str, ...]
    n_real: int
    n_synthetic: int
    method: str
    accuracy: float
    accuracy_ci: tuple[float, float]
    auc: float
    auc_ci: tuple[float, float]
    auc_simultaneous_low: float
    simultaneous_level: float
    permutation_p: float = math.nan
    permutations: int = 0
    constant: bool = False
    too_few: bool = False
    leaks: bool = False
    gates: bool = True

    @property
    def tested(self) -> bool:
        """Whether the channel gates and a classifier was fitted (it counts in the
        Bonferroni family)."""
        return self.gates and not (self.constant or self.too_few)

    @property
    def verdict(self) -> str:
        """The channel's outcome in words, as every report and page prints it."""
        if self.constant:
            return "constant (no information)"
        if self.too_few:
            return "too few panels"
        if not self.gates:
            return "content, reported only"
        return "LEAKS" if self.leaks else "at chance"

    def as_dict(self) -> dict:
        """JSON-friendly form: floats rounded to 4 decimals, NaN as None, tuples as lists,
        plus the :attr:`verdict` (derived, so :meth:`from_dict` does not read it)."""
        data = {field.name: _jsonable(getattr(self, field.name)) for field in fields(self)}
        return {**data, "verdict": self.verdict}

    @classmethod
    def from_dict(cls, data: object) -> ChannelResult:
        """Inverse of :meth:`as_dict`; raises ValueError naming a missing or bad field."""
        data = _mapping(data, "channel result")
        try:
            return cls(
                channel=_text(data["channel"], "channel"),
                features=tuple(_text(name, "features") for name in _list(data["features"])),
                n_real=_count(data["n_real"], "n_real"),
                n_synthetic=_count(data["n_synthetic"], "n_synthetic"),
                method=_text(data["method"], "method"),
                accuracy=_number(data["accuracy"], "accuracy"),
                accuracy_ci=_pair(data["accuracy_ci"], "accuracy_ci"),
                auc=_number(data["auc"], "auc"),
                auc_ci=_pair(data["auc_ci"], "auc_ci"),
                auc_simultaneous_low=_number(data["auc_simultaneous_low"], "auc_simultaneous_low"),
                simultaneous_level=_number(data["simultaneous_level"], "simultaneous_level"),
                permutation_p=_number(data["permutation_p"], "permutation_p"),
                permutations=_count(data["permutations"], "permutations"),
                constant=_flag(data["constant"], "constant"),
                too_few=_flag(data["too_few"], "too_few"),
                leaks=_flag(data["leaks"], "leaks"),
                gates=_flag(data.get("gates", True), "gates"),
            )
        except KeyError as missing:
            raise ValueError(f"channel result lacks the field {missing}") from None


@dataclass(frozen=True)
class AuditResult:
    """Every channel's result for one set of served panels."""

    channels: list[ChannelResult]
    n_panels: int
    alpha: float

    @property
    def leaking_channels(self) -> list[str]:
        """Names of the channels whose simultaneous AUC lower bound lies above 0.5."""
        return [result.channel for result in self.channels if result.leaks]

    @property
    def family_size(self) -> int:
        """Number of channels tested (the Bonferroni k)."""
        return sum(result.tested for result in self.channels)

    def as_dict(self) -> dict:
        """JSON-friendly form for study snapshots and exports."""
        return {
            "n_panels": self.n_panels,
            "alpha": _jsonable(self.alpha),
            "family_size": self.family_size,
            "leaking_channels": self.leaking_channels,
            "channels": [result.as_dict() for result in self.channels],
        }

    @classmethod
    def from_dict(cls, data: object) -> AuditResult:
        """Inverse of :meth:`as_dict` (derived keys are recomputed, not read)."""
        data = _mapping(data, "audit result")
        try:
            return cls(
                channels=[ChannelResult.from_dict(item) for item in _list(data["channels"])],
                n_panels=_count(data["n_panels"], "n_panels"),
                alpha=_number(data["alpha"], "alpha"),
            )
        except KeyError as missing:
            raise ValueError(f"audit result lacks the field {missing}") from None


def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, float):
        return round(value, DECIMALS) if math.isfinite(value) else None
    return value


def _mapping(data: object, what: str) -> Mapping:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a mapping, got {type(data).__name__}")
    return data


def _list(value: object) -> list:
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list, got {value!r}")
    return list(value)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value


def _number(value: object, name: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number or null, got {value!r}")
    return float(value)


def _pair(value: object, name: str) -> tuple[float, float]:
    items = _list(value)
    if len(items) != 2:
        raise ValueError(f"{name} must hold two bounds, got {value!r}")
    return _number(items[0], name), _number(items[1], name)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


CLEAN_VERDICT = "No channel tells real from synthetic panels better than chance."
UNTESTED_VERDICT = (
    "No channel could be tested: too few panels of each source. The audit says nothing "
    "about blinding for this study."
)


def audit_verdict(audit: dict) -> str:
    """The audit's conclusion in one sentence, from its stored (``as_dict``) form: leaking
    channels, none tested, or none leaking."""
    if audit["leaking_channels"]:
        return f"Leaking channels: {', '.join(audit['leaking_channels'])}."
    return CLEAN_VERDICT if audit["family_size"] else UNTESTED_VERDICT
