"""The 71 SCP-ECG statements of PTB-XL, their kinds and diagnostic superclasses (pure)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SUPERCLASSES: tuple[str, ...] = ("NORM", "MI", "STTC", "CD", "HYP")


@dataclass(frozen=True)
class ScpStatement:
    """One PTB-XL statement: code, description, kinds (d=diagnostic, f=form, r=rhythm)."""

    code: str
    description: str
    kinds: str
    diagnostic_class: str
    diagnostic_subclass: str


# PTB-XL scp_statements.csv (CC BY 4.0), in the order of the distributed table.
STATEMENTS: tuple[ScpStatement, ...] = (
    ScpStatement("NDT", "non-diagnostic T abnormalities", "df", "STTC", "STTC"),
    ScpStatement("NST_", "non-specific ST changes", "df", "STTC", "NST_"),
    ScpStatement("DIG", "digitalis-effect", "df", "STTC", "STTC"),
    ScpStatement("LNGQT", "long QT-interval", "df", "STTC", "STTC"),
    ScpStatement("NORM", "normal ECG", "d", "NORM", "NORM"),
    ScpStatement("IMI", "inferior myocardial infarction", "d", "MI", "IMI"),
    ScpStatement("ASMI", "anteroseptal myocardial infarction", "d", "MI", "AMI"),
    ScpStatement("LVH", "left ventricular hypertrophy", "d", "HYP", "LVH"),
    ScpStatement("LAFB", "left anterior fascicular block", "d", "CD", "LAFB/LPFB"),
    ScpStatement("ISC_", "non-specific ischemic", "d", "STTC", "ISC_"),
    ScpStatement("IRBBB", "incomplete right bundle branch block", "d", "CD", "IRBBB"),
    ScpStatement("1AVB", "first degree AV block", "d", "CD", "_AVB"),
    ScpStatement(
        "IVCD", "non-specific intraventricular conduction disturbance (block)", "d", "CD", "IVCD"
    ),
    ScpStatement("ISCAL", "ischemic in anterolateral leads", "d", "STTC", "ISCA"),
    ScpStatement("CRBBB", "complete right bundle branch block", "d", "CD", "CRBBB"),
    ScpStatement("CLBBB", "complete left bundle branch block", "d", "CD", "CLBBB"),
    ScpStatement("ILMI", "inferolateral myocardial infarction", "d", "MI", "IMI"),
    ScpStatement("LAO/LAE", "left atrial overload/enlargement", "d", "HYP", "LAO/LAE"),
    ScpStatement("AMI", "anterior myocardial infarction", "d", "MI", "AMI"),
    ScpStatement("ALMI", "anterolateral myocardial infarction", "d", "MI", "AMI"),
    ScpStatement("ISCIN", "ischemic in inferior leads", "d", "STTC", "ISCI"),
    ScpStatement("INJAS", "subendocardial injury in anteroseptal leads", "d", "MI", "AMI"),
    ScpStatement("LMI", "lateral myocardial infarction", "d", "MI", "LMI"),
    ScpStatement("ISCIL", "ischemic in inferolateral leads", "d", "STTC", "ISCI"),
    ScpStatement("LPFB", "left posterior fascicular block", "d", "CD", "LAFB/LPFB"),
    ScpStatement("ISCAS", "ischemic in anteroseptal leads", "d", "STTC", "ISCA"),
    ScpStatement("INJAL", "subendocardial injury in anterolateral leads", "d", "MI", "AMI"),
    ScpStatement("ISCLA", "ischemic in lateral leads", "d", "STTC", "ISCA"),
    ScpStatement("RVH", "right ventricular hypertrophy", "d", "HYP", "RVH"),
    ScpStatement("ANEUR", "ST-T changes compatible with ventricular aneurysm", "d", "STTC", "STTC"),
    ScpStatement("RAO/RAE", "right atrial overload/enlargement", "d", "HYP", "RAO/RAE"),
    ScpStatement("EL", "electrolytic disturbance or drug (former EDIS)", "d", "STTC", "STTC"),
    ScpStatement("WPW", "Wolf-Parkinson-White syndrome", "d", "CD", "WPW"),
    ScpStatement("ILBBB", "incomplete left bundle branch block", "d", "CD", "ILBBB"),
    ScpStatement("IPLMI", "inferoposterolateral myocardial infarction", "d", "MI", "IMI"),
    ScpStatement("ISCAN", "ischemic in anterior leads", "d", "STTC", "ISCA"),
    ScpStatement("IPMI", "inferoposterior myocardial infarction", "d", "MI", "IMI"),
    ScpStatement("SEHYP", "septal hypertrophy", "d", "HYP", "SEHYP"),
    ScpStatement("INJIN", "subendocardial injury in inferior leads", "d", "MI", "IMI"),
    ScpStatement("INJLA", "subendocardial injury in lateral leads", "d", "MI", "AMI"),
    ScpStatement("PMI", "posterior myocardial infarction", "d", "MI", "PMI"),
    ScpStatement("3AVB", "third degree AV block", "d", "CD", "_AVB"),
    ScpStatement("INJIL", "subendocardial injury in inferolateral leads", "d", "MI", "IMI"),
    ScpStatement("2AVB", "second degree AV block", "d", "CD", "_AVB"),
    ScpStatement("ABQRS", "abnormal QRS", "f", "", ""),
    ScpStatement("PVC", "ventricular premature complex", "f", "", ""),
    ScpStatement("STD_", "non-specific ST depression", "f", "", ""),
    ScpStatement("VCLVH", "voltage criteria (QRS) for left ventricular hypertrophy", "f", "", ""),
    ScpStatement("QWAVE", "Q waves present", "f", "", ""),
    ScpStatement("LOWT", "low amplitude T-waves", "f", "", ""),
    ScpStatement("NT_", "non-specific T-wave changes", "f", "", ""),
    ScpStatement("PAC", "atrial premature complex", "f", "", ""),
    ScpStatement("LPR", "prolonged PR interval", "f", "", ""),
    ScpStatement("INVT", "inverted T-waves", "f", "", ""),
    ScpStatement("LVOLT", "low QRS voltages in the frontal and horizontal leads", "f", "", ""),
    ScpStatement("HVOLT", "high QRS voltage", "f", "", ""),
    ScpStatement("TAB_", "T-wave abnormality", "f", "", ""),
    ScpStatement("STE_", "non-specific ST elevation", "f", "", ""),
    ScpStatement("PRC(S)", "premature complex(es)", "f", "", ""),
    ScpStatement("SR", "sinus rhythm", "r", "", ""),
    ScpStatement("AFIB", "atrial fibrillation", "r", "", ""),
    ScpStatement("STACH", "sinus tachycardia", "r", "", ""),
    ScpStatement("SARRH", "sinus arrhythmia", "r", "", ""),
    ScpStatement("SBRAD", "sinus bradycardia", "r", "", ""),
    ScpStatement("PACE", "normal functioning artificial pacemaker", "r", "", ""),
    ScpStatement("SVARR", "supraventricular arrhythmia", "r", "", ""),
    ScpStatement("BIGU", "bigeminal pattern (unknown origin, SV or Ventricular)", "r", "", ""),
    ScpStatement("AFLT", "atrial flutter", "r", "", ""),
    ScpStatement("SVTAC", "supraventricular tachycardia", "r", "", ""),
    ScpStatement("PSVT", "paroxysmal supraventricular tachycardia", "r", "", ""),
    ScpStatement("TRIGU", "trigeminal pattern (unknown origin, SV or Ventricular)", "r", "", ""),
)

STATEMENT_BY_CODE: dict[str, ScpStatement] = {s.code: s for s in STATEMENTS}

# The label vocabulary of SSSD-ECG: all 71 statements in sorted order (one multi-hot slot each).
SCP_VOCABULARY: tuple[str, ...] = tuple(sorted(STATEMENT_BY_CODE))


class ScpCodeError(ValueError):
    """An SCP statement code or scp_codes field that cannot be interpreted."""


def parse_scp_codes(raw: str | Mapping[str, float]) -> dict[str, float]:
    """Parse PTB-XL's ``scp_codes`` field (a dict literal of code -> likelihood in %)."""
    if isinstance(raw, Mapping):
        parsed: object = dict(raw)
    else:
        try:
            parsed = ast.literal_eval(str(raw))
        except (ValueError, SyntaxError) as exc:
            raise ScpCodeError(f"scp_codes is not a dict literal: {raw!r}") from exc
    if not isinstance(parsed, dict):
        raise ScpCodeError(f"scp_codes is not a dict: {raw!r}")
    codes = {}
    for code, likelihood in parsed.items():
        if code not in STATEMENT_BY_CODE:
            raise ScpCodeError(f"unknown SCP statement {code!r}")
        codes[str(code)] = float(likelihood)
    return codes


def superclasses_of(codes: Iterable[str]) -> list[str]:
    """Diagnostic superclasses (NORM/MI/STTC/CD/HYP) of a set of codes, in canonical order."""
    found = set()
    for code in codes:
        statement = STATEMENT_BY_CODE.get(code)
        if statement is None:
            raise ScpCodeError(f"unknown SCP statement {code!r}")
        if statement.diagnostic_class:
            found.add(statement.diagnostic_class)
    return [name for name in SUPERCLASSES if name in found]


def label_set_key(codes: Iterable[str]) -> str:
    """Canonical string of a label set (sorted codes joined by '_'), used to match pairs."""
    return "_".join(sorted(set(codes)))


def split_label_key(key: str) -> list[str]:
    """Inverse of :func:`label_set_key`: codes such as ``ISC_`` end in ``_`` themselves."""
    codes: list[str] = []
    for token in key.split("_"):
        if token:
            codes.append(token)
        elif codes:
            codes[-1] += "_"
        else:
            raise ScpCodeError(f"label key {key!r} starts with '_'")
    return codes


def describe(codes: Iterable[str]) -> str:
    """Human-readable list of statement descriptions, e.g. for a diagnostic question."""
    return ", ".join(STATEMENT_BY_CODE[c].description for c in sorted(set(codes)))
