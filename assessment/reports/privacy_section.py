"""The report's privacy section: the latest memorisation screen of each synthetic origin
of the study (``generator.privacy``), as plain data in and HTML out."""

from __future__ import annotations

import html


def privacy_html(screens: list[dict] | None) -> str:
    """One row per screened origin: flagged copies, the share of DCRs below the held-out
    reference's 5th percentile with its CI, and the membership-inference AUC."""
    title = "<h2>Memorisation and privacy screen</h2>"
    if not screens:
        return title + "<p>No privacy screen of the study's synthetic origins is recorded.</p>"
    head = ("synthetic origin", "screen", "synthetic / training / reference ECGs",
            "likely copies (flagged)", "share below reference 5th pct. [95% CI]",
            "membership-inference AUC [95% CI]", "median DCR synthetic / reference",
            "training set")  # fmt: skip
    rows = []
    for screen in screens:
        s = screen["summary"]
        low, high = s["share_below_p5_ci"]
        rows.append(
            (
                screen["synthetic_origin"],
                screen["id"],
                f"{s['n_synthetic']} / {s['n_training']} / {s['n_reference']}",
                s["flagged"],
                f"{s['share_below_p5']:.3f} [{low:.3f}, {high:.3f}]",
                _auc(s),
                f"{s['dcr_median']:.4f} / {s['reference_dcr_median']:.4f}",
                screen.get("training_text", ""),
            )
        )
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    header = "".join(f"<th>{html.escape(cell)}</th>" for cell in head)
    note = (
        '<p class="note">DCR: distance of each synthetic ECG to the closest real training '
        "ECG (normalised cross-correlation of the harmonised 12 leads, best shift within "
        "±40 ms). A synthetic ECG closer than the 1st percentile of held-out real ECGs' DCR "
        "is flagged as a likely copy and never seeded. Without memorisation about 5% of "
        "DCRs fall below the reference's 5th percentile (Wilson 95% CI) and the "
        "membership-inference AUC (training vs held-out real ECGs scored by their distance "
        "to the pool) is about 0.5; its DeLong 95% CI is conditional on the synthetic pool "
        "(it covers the choice of training and held-out ECGs, not a fresh pool).</p>"
    )
    return f"{title}<table><thead><tr>{header}</tr></thead><tbody>{cells}</tbody></table>{note}"


def _auc(summary: dict) -> str:
    """The membership-inference AUC with its CI (screens before the CI show the AUC alone)."""
    auc = f"{summary['mia_auc']:.3f}"
    if "mia_auc_ci" not in summary:
        return auc
    low, high = summary["mia_auc_ci"]
    return f"{auc} [{low:.3f}, {high:.3f}]"
