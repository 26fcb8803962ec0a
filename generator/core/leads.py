"""Lead names, lead orders and the limb-lead relations of the 12-lead ECG (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)  # fmt: skip

# The order in which the original SSSD-ECG code writes its 12-lead output.
SSSD_LEADS: tuple[str, ...] = (
    "I", "II", "V1", "V2", "V3", "V4", "V5", "V6", "III", "aVR", "aVL", "aVF",
)  # fmt: skip

LEAD_ORDERS: dict[str, tuple[str, ...]] = {"standard": STANDARD_LEADS, "sssd": SSSD_LEADS}

# Independent leads a generator may produce; the four others follow from I and II.
GENERATED_LEAD_SETS: dict[str, tuple[str, ...]] = {
    "nle": ("I", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"),
    "sssd": ("I", "V1", "V2", "V3", "V4", "V5", "V6", "aVF"),
    "i_ii": ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6"),
}

_CANONICAL_BY_KEY = {name.upper(): name for name in STANDARD_LEADS}
_ALIASES = {"-AVR": "-aVR", "MLII": "II", "ML2": "II"}


class LeadError(ValueError):
    """A lead name or lead layout that cannot be interpreted."""


def normalise_lead_name(name: str) -> str:
    """Return the canonical spelling of a lead name (``AVR``/``avr``/``aVR`` -> ``aVR``)."""
    key = str(name).strip().upper().replace(" ", "")
    if key in _CANONICAL_BY_KEY:
        return _CANONICAL_BY_KEY[key]
    if key in _ALIASES and _ALIASES[key] in STANDARD_LEADS:
        return _ALIASES[key]
    raise LeadError(f"unknown lead name {name!r}")


def reorder_leads(signal: np.ndarray, lead_names: Sequence[str]) -> np.ndarray:
    """Return ``signal`` (leads, samples) rearranged into the standard 12-lead order.

    ``lead_names`` names the rows of ``signal`` in any spelling; extra leads (e.g. the
    Frank leads of PTB) are dropped, a missing standard lead raises :class:`LeadError`.
    """
    signal = np.asarray(signal)
    if signal.ndim != 2 or signal.shape[0] != len(lead_names):
        raise LeadError(
            f"signal of shape {signal.shape} does not match {len(lead_names)} lead names"
        )
    index: dict[str, int] = {}
    for row, name in enumerate(lead_names):
        try:
            canonical = normalise_lead_name(name)
        except LeadError:
            continue  # a non-standard lead such as vx/vy/vz
        if canonical in index:
            raise LeadError(f"lead {canonical} appears twice")
        index[canonical] = row
    missing = [lead for lead in STANDARD_LEADS if lead not in index]
    if missing:
        raise LeadError(f"missing standard leads: {', '.join(missing)}")
    return signal[[index[lead] for lead in STANDARD_LEADS]]


def from_order(signal: np.ndarray, order: str) -> np.ndarray:
    """Rearrange a 12-lead array written in a named order (``standard``/``sssd``)."""
    if order not in LEAD_ORDERS:
        raise LeadError(f"unknown lead order {order!r}; expected one of {sorted(LEAD_ORDERS)}")
    return reorder_leads(signal, LEAD_ORDERS[order])


def limb_leads_from_i_ii(lead_i: np.ndarray, lead_ii: np.ndarray) -> dict[str, np.ndarray]:
    """Derive III, aVR, aVL and aVF from leads I and II (Einthoven and Goldberger)."""
    return {
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }


def derive_limb_leads(signal: np.ndarray) -> np.ndarray:
    """Return a standard-order 12-lead copy whose III, aVR, aVL, aVF are derived from I, II."""
    signal = np.array(signal, copy=True)
    _check_twelve(signal)
    for name, values in limb_leads_from_i_ii(signal[0], signal[1]).items():
        signal[STANDARD_LEADS.index(name)] = values
    return signal


def twelve_from_generated(signal: np.ndarray, lead_set: str | Sequence[str]) -> np.ndarray:
    """Expand a generator's 8 independent leads to the 12 standard leads.

    ``signal`` has shape (..., 8, samples) and rows named by ``lead_set`` (a key of
    :data:`GENERATED_LEAD_SETS` or a list of names). Lead II is recovered from I and
    aVF when it was not generated (II = aVF + I/2).
    """
    names = GENERATED_LEAD_SETS[lead_set] if isinstance(lead_set, str) else tuple(lead_set)
    names = tuple(normalise_lead_name(n) for n in names)
    signal = np.asarray(signal)
    if signal.shape[-2] != len(names):
        raise LeadError(f"expected {len(names)} generated leads, got shape {signal.shape}")
    row = {name: signal[..., i, :] for i, name in enumerate(names)}
    if "I" not in row or not ({"II", "aVF"} & row.keys()):
        raise LeadError("a generated lead set needs lead I and one of II or aVF")
    lead_i = row["I"]
    lead_ii = row["II"] if "II" in row else row["aVF"] + lead_i / 2
    limb = limb_leads_from_i_ii(lead_i, lead_ii)
    full = {"I": lead_i, "II": lead_ii, **limb}
    for name in ("V1", "V2", "V3", "V4", "V5", "V6"):
        if name not in row:
            raise LeadError(f"a generated lead set needs {name}")
        full[name] = row[name]
    return np.stack([full[name] for name in STANDARD_LEADS], axis=-2)


def generated_from_twelve(signal: np.ndarray, lead_set: str | Sequence[str]) -> np.ndarray:
    """Select a generator's independent leads from a standard-order 12-lead array."""
    names = GENERATED_LEAD_SETS[lead_set] if isinstance(lead_set, str) else tuple(lead_set)
    rows = [STANDARD_LEADS.index(normalise_lead_name(n)) for n in names]
    return np.asarray(signal)[..., rows, :]


def einthoven_error(signal: np.ndarray) -> float:
    """Largest deviation (mV) of a standard-order 12-lead array from the limb-lead relations."""
    _check_twelve(signal)
    derived = limb_leads_from_i_ii(signal[0], signal[1])
    return float(
        max(np.max(np.abs(signal[STANDARD_LEADS.index(n)] - v)) for n, v in derived.items())
    )


def _check_twelve(signal: np.ndarray) -> None:
    if signal.ndim != 2 or signal.shape[0] != 12:
        raise LeadError(f"expected a (12, samples) array, got shape {signal.shape}")
