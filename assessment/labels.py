"""Label-set keys back to SCP codes, and the diagnostic question asked about them (pure)."""

from __future__ import annotations

from generator.core.scp import STATEMENT_BY_CODE, describe


def label_codes(label_set: str) -> list[str]:
    """Split a label-set key ('ISC__LVH_SR') into codes (['ISC_', 'LVH', 'SR']).

    Several SCP codes end in '_' and the key joins codes with '_', so an empty piece
    after a code means that code's own trailing underscore.
    """
    codes: list[str] = []
    for piece in label_set.split("_") if label_set else []:
        if piece:
            codes.append(piece)
        elif codes and not codes[-1].endswith("_"):
            codes[-1] += "_"
        else:
            raise ValueError(f"malformed label set {label_set!r}")
    unknown = [code for code in codes if code not in STATEMENT_BY_CODE]
    if unknown:
        raise ValueError(f"label set {label_set!r} has unknown codes {unknown}")
    return codes


def label_question(label_set: str) -> str:
    """The readable label list of a case, e.g. 'normal ECG, sinus rhythm'."""
    return describe(label_codes(label_set)) or "no diagnostic statement"
