"""The report of a reporter's mirror gaps with every partner (``korus.panel.mirror_gaps``):
titles, labels and notes, as ``korus.reports`` dresses the other measures."""

from __future__ import annotations

import pandas as pd

from korus import countries, metrics, reports
from korus.render import Report

SIDES = ("reporter", "partner")
PROVENANCE = list(reports.MIRROR_PROVENANCE)


def mirror_gaps(table: pd.DataFrame, top: int | None) -> Report:
    """Return the report of a reporter's figures with each partner beside the partner's
    own, ranked by the size of the gap."""
    reporter, year, flow = table["reporter"].iloc[0], table["year"].iloc[0], table["flow"].iloc[0]
    word, other, back = (
        ("to", "imports", "from") if flow == "exports" else ("from", "exports", "to")
    )
    count = len(table)
    frame = (table.head(top) if top else table).copy()
    frame.insert(4, "partner_name", [countries.lookup(code).name for code in frame["partner"]])
    name = countries.lookup(reporter).name
    report = Report(
        title=(
            f"Mirror gaps of {name}'s {flow}, {year}: as {reporter} reports them and as each "
            f"partner reports its {other} {back} {reporter}"
            + (f", top {len(frame)} of {count}" if top and top < count else "")
        ),
        frame=frame,
        money=["reporter_value", "partner_value", "gap"],
        percent=["gap_pct"],
        table_hidden=["year", "reporter", "flow", *PROVENANCE],
        table_keep=["partner"],
        labels={
            "rank": "#",
            "partner": "Code",
            "partner_name": "Partner",
            "reporter_value": f"As {reporter} reports",
            "partner_value": "As the partner reports",
            "gap": "Gap",
            "gap_pct": "Gap %",
        },
    )
    for side, who in zip(SIDES, (f"As {reporter} reports", "As each partner reports"), strict=True):
        report.notes.append(f"{who}: {_provenance(table, side)}.")
    report.notes.append(
        f"Ranked by the size of the gap, largest first: {reporter}'s {flow} {word} the partner "
        f"minus the partner's {other} {back} {reporter}, as a % of the partner's figure."
    )
    unranked = table[table["rank"].isna()]
    if len(unranked):
        lacking = [
            f"{row.partner} (as {_who_lacks(row, reporter)} reports)"
            for row in unranked.itertuples(index=False)
        ]
        reports.unranked_said(report, lacking, report.frame)
    report.notes.append(
        "Countries and territories only: groups (World, EU, continents...) are never "
        "compared. Whole years only: a stated year, or twelve months."
    )
    reports.mirror_caveats(report, table[table["rank"].notna()])
    return report


def _who_lacks(row, reporter: str) -> str:
    """Return which side gives no figure for an unranked partner: the reporter, the
    partner, or either (both sides' series hold only some months, say)."""
    if pd.isna(row.reporter_value) and pd.isna(row.partner_value):
        return "either"
    return reporter if pd.isna(row.reporter_value) else row.partner


def _provenance(table: pd.DataFrame, side: str) -> str:
    """Return one side's source, basis, what its figures cover and vintage, for a note."""

    def joined(column: str) -> str:
        return "; ".join(sorted({str(v) for v in table[f"{side}_{column}"].dropna()}))

    covered = sorted({str(v) for v in table[f"{side}_products"].dropna()})
    if not covered:
        return "no figures"
    if covered == [metrics.ALL_GOODS]:
        what = ""
    elif len(covered) <= 2:
        what = f", {'; '.join(covered)}"
    else:
        what = f", products as the {side}_products column of the machine formats says"
    return f"{joined('source')} ({joined('basis')}{what}); {joined('vintage')}"
