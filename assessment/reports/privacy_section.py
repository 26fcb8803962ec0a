"""The privacy section of the report and the dashboard: the latest memorisation screen of
each synthetic origin of the study (``generator.privacy``), plain data in, a table out."""

from __future__ import annotations

from collections.abc import Callable

from assessment.reports.table import Cell, Row, Table, number, table_html

TITLE = "Memorisation and privacy screen of the pool"
HEAD = (
    "synthetic origin", "screen", "synthetic / training / reference ECGs",
    "likely copies (flagged)", "share below reference 5th pct. [95% CI]",
    "membership-inference AUC [95% CI]", "median DCR synthetic / reference", "training set",
)  # fmt: skip
NOTE = (
    "DCR: distance of each synthetic ECG to the closest real training ECG (normalised "
    "cross-correlation of the harmonised 12 leads, best shift within ±40 ms). A synthetic ECG "
    "closer than the 1st percentile of held-out real ECGs' DCR is flagged as a likely copy "
    "and never seeded. Without memorisation about 5% of DCRs fall below the reference's 5th "
    "percentile (Wilson 95% CI) and the membership-inference AUC (training vs held-out real "
    "ECGs scored by their distance to the pool) is about 0.5; its DeLong 95% CI is "
    "conditional on the synthetic pool (it covers the choice of training and held-out ECGs, "
    "not a fresh pool)."
)
EMPTY = "No privacy screen of the study's synthetic origins is recorded."


def privacy_table(
    screens: list[dict] | None, screen_link: Callable[[int], str] | None = None
) -> Table:
    """One row per screened origin (``study_privacy``'s screens): flagged copies, the share
    of DCRs below the held-out reference's 5th percentile with its CI, and the
    membership-inference AUC; ``screen_link`` gives each screen's page (none in exports)."""
    rows = tuple(_row(screen, screen_link) for screen in screens or [])
    return Table("privacy-screens", TITLE, HEAD, rows, (NOTE,), EMPTY)


def privacy_html(screens: list[dict] | None) -> str:
    """The table as the exported report shows it."""
    return table_html(privacy_table(screens))


def _row(screen: dict, screen_link: Callable[[int], str] | None) -> Row:
    s = screen["summary"]
    low, high = s["share_below_p5_ci"]
    created = screen.get("created_at", "")[:10]
    return Row(
        (
            Cell(screen["synthetic_origin"]),
            Cell(
                f"{screen['id']} ({created})" if created else str(screen["id"]),
                href=screen_link(screen["id"]) if screen_link else "",
            ),
            Cell(f"{s['n_synthetic']} / {s['n_training']} / {s['n_reference']}"),
            Cell(str(s["flagged"]), "flagged error" if s["flagged"] else "flagged"),
            Cell(
                f"{number(s['share_below_p5'])} [{number(low)}, {number(high)}]", "share-below-p5"
            ),  # fmt: skip
            Cell(_auc(s), "mia-auc"),
            Cell(f"{number(s['dcr_median'], 4)} / {number(s['reference_dcr_median'], 4)}"),
            Cell(screen.get("training_text", ""), "training-set"),
        ),
        {"screen": str(screen["id"])},
    )


def _auc(summary: dict) -> str:
    """The membership-inference AUC with its CI (screens before the CI show the AUC alone)."""
    auc = number(summary["mia_auc"])
    if "mia_auc_ci" not in summary:
        return auc
    low, high = summary["mia_auc_ci"]
    return f"{auc} [{number(low)}, {number(high)}]"
