"""Reports: metric results dressed for reading (titles, column labels, summaries).

Knows no output format: the renderer turns a Report into a table, CSV, JSON or Markdown.
"""

from __future__ import annotations

import pandas as pd

from korus import claims, countries, metrics, products
from korus.render import Report, format_money, format_percent

_FLOW_WORDS = {
    "exports": "exports to",
    "imports": "imports from",
    "balance": "balance with",
    "deficit": "deficit with",
}


STATED_BALANCE_NOTE = (
    "The balance is the source's own (from unrounded figures); it can differ from the "
    "exports minus the imports shown, each rounded where published."
)


def _goods(frame: pd.DataFrame) -> str:
    """Return what a table's figures cover, for a title: "goods" (all goods) or the
    products ("HS 330499")."""
    covered = sorted(set(frame["products"])) if "products" in frame.columns else []
    if not covered or covered == [metrics.ALL_GOODS]:
        return "goods"
    return "; ".join(covered)


def _of(frame: pd.DataFrame) -> str:
    """Return " (of HS 330499)" for a title whose figures are not of all goods, else ""."""
    goods = _goods(frame)
    return "" if goods == "goods" else f" ({goods})"


def _name(code: str) -> str:
    return countries.lookup(code).name


def _years_label(years: list[int]) -> str:
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _provenance(frame: pd.DataFrame) -> dict[str, str]:
    """Return the provenance columns of a summary row: each of the frame's values, joined."""
    found = {}
    for column in ("products", "source", "basis", "vintage"):
        if column in frame.columns:
            found[column] = "; ".join(sorted({str(v) for v in frame[column].dropna().unique()}))
    return found


CHANGE_COLUMNS = [
    "reporter",
    "partner",
    "measure",
    "first_year",
    "last_year",
    "first",
    "last",
    "change",
    "pct_change",
    "cagr",
]


def _change_frame(frame: pd.DataFrame, rows: list[tuple[str, metrics.Change]]) -> pd.DataFrame:
    """Return summary rows of first-to-last changes as data, with the frame's provenance."""
    reporter, partner = frame["reporter"].iloc[0], frame["partner"].iloc[0]
    records = [
        {
            "reporter": reporter,
            "partner": partner,
            "measure": measure,
            "first_year": change.first_year,
            "last_year": change.last_year,
            "first": change.first,
            "last": change.last,
            "change": change.change,
            "pct_change": change.pct_change,
            "cagr": change.cagr,
            **_provenance(frame),
        }
        for measure, change in rows
    ]
    provenance = [c for c in ("products", "source", "basis", "vintage") if c in frame.columns]
    return pd.DataFrame(records, columns=CHANGE_COLUMNS + provenance)


def deficit(flows: pd.DataFrame, unit: str) -> Report:
    """Return the report of exports, imports and balance by year, with a first-to-last summary."""
    stated = flows.attrs.get("balance_stated", "balance_stated" in flows.columns)
    frame = metrics.trade_balance(flows)
    reporter, partner = frame["reporter"].iloc[0], frame["partner"].iloc[0]
    years = frame["year"].tolist()
    report = Report(
        title=(
            f"{_name(reporter)} trade in {_goods(frame)} with {_name(partner)}, "
            f"{_years_label(years)}"
        ),
        frame=frame,
        money=["exports", "imports", "balance"],
        table_hidden=["reporter", "partner"],
        series=(["year"], "balance"),
        labels={
            "year": "Year",
            "reporter": "Reporter",
            "partner": "Partner",
            "exports": "Exports",
            "imports": "Imports",
            "balance": "Balance",
        },
    )
    if stated:
        report.notes.append(STATED_BALANCE_NOTE)
    changes = []  # (measure, its change) for the machine formats' summary
    if len(frame) > 1:
        report.summary_header = (
            f"{years[0]} to {years[-1]}",
            str(years[0]),
            str(years[-1]),
            "Change",
            "% change",
            "CAGR",
        )
        series = frame.set_index("year")
        rows = [("Exports", series["exports"]), ("Imports", series["imports"])]
        balance = series["balance"]
        first, last = float(balance.iloc[0]), float(balance.iloc[-1])
        if first < 0 and last < 0:
            rows.append(("Deficit (imports - exports)", -balance))
        elif first > 0 and last > 0:
            rows.append(("Surplus (exports - imports)", balance))
        else:
            rows.append(("Balance", balance))
            report.notes.append(
                f"Balance: no % change or growth rate, as {metrics.undefined_because(first, last)}."
            )
        for label, values in rows:
            change = metrics.change_between(values)
            changes.append((label.split(" ")[0].lower(), change))
            report.summary.append(
                (
                    label,
                    format_money(change.first, unit),
                    format_money(change.last, unit),
                    format_money(change.change, unit),
                    format_percent(change.pct_change, signed=True),
                    format_percent(change.cagr, signed=True),
                )
            )
    report.summary_frame = _change_frame(frame, changes)
    report.summary_money = ["first", "last", "change"]
    return report


def growth(frame: pd.DataFrame, unit: str) -> Report:
    """Return the report of one measure's year-on-year change (``metrics.year_on_year``),
    with its compound growth."""
    measure = frame["measure"].iloc[0]
    reporter, partner = frame["reporter"].iloc[0], frame["partner"].iloc[0]
    years = frame["year"].tolist()
    report = Report(
        title=(
            f"{_name(reporter)} {_FLOW_WORDS[measure]} {_name(partner)}{_of(frame)}: "
            f"change on the year before, {_years_label(years)}"
        ),
        frame=frame,
        money=["value", "change"],
        table_hidden=["reporter", "partner", "measure"],
        series=(["year"], "pct_change"),
        percent=["pct_change"],
        labels={
            "year": "Year",
            "reporter": "Reporter",
            "partner": "Partner",
            "measure": "Measure",
            "value": "Value",
            "change": "Change",
            "pct_change": "% change",
            "years_between": "Years since previous",
        },
    )
    if measure == "balance":
        report.notes.append(
            "% change of a balance is relative to its size: negative when the balance falls "
            "(a deficit widens). Use --flow deficit for the growth of a deficit."
        )
    if (frame["years_between"].dropna() > 1).any():
        report.notes.append("Some years are not consecutive: their change spans several years.")
    else:
        report.table_hidden.append("years_between")
    changes = []
    if len(frame) > 1:
        change = metrics.change_between(frame.set_index("year")["value"])
        changes.append((measure, change))
        report.summary_header = ("", "Change", "% change", "CAGR")
        report.summary.append(
            (
                f"{change.first_year} to {change.last_year}",
                format_money(change.change, unit),
                format_percent(change.pct_change, signed=True),
                format_percent(change.cagr, signed=True),
            )
        )
        why = metrics.undefined_because(change.first, change.last)
        if why is not None:
            report.notes.append(f"No % change or growth rate from first to last: {why}.")
    report.summary_frame = _change_frame(frame, changes)
    report.summary_money = ["first", "last", "change"]
    return report


_GROUP_LABELS = {
    "chapter": ("HS chapter", "HS", "Chapter"),
    "section": ("HS section", "Section", "Name"),
    "heading": ("HS heading", "HS", "Heading"),
    "enduse": ("end-use category", "End use", "Category"),
    "sector": ("sector", "Sector", "Definition"),
}


def sectors(
    table: pd.DataFrame,
    total: float,
    flow: str,
    top: int | None,
    unit: str,
    since: int | None,
    grouping: products.Grouping | None = None,
) -> Report:
    """Return the report of product groups ranked by value, with shares of the whole."""
    grouping = grouping or products.grouping("chapter")
    reporter, partner = table["reporter"].iloc[0], table["partner"].iloc[0]
    year = table["year"].iloc[0]
    groups = len(table)
    frame = table.head(top) if top else table
    frame = frame.copy()
    side = {"exports": "export", "imports": "import"}.get(flow, "export")
    frame.insert(5, "product_name", [grouping.name(code, side) for code in frame["product"]])
    what, code_label, name_label = _GROUP_LABELS[grouping.by]
    if grouping.by == "enduse":
        what = f"{grouping.level}-digit {what}"
    money = [c for c in ("exports", "imports") if c in frame.columns] + ["value"]
    money += ["value_since", "change"] if since is not None else []
    report = Report(
        title=(
            f"{_name(reporter)} {_FLOW_WORDS[flow]} {_name(partner)} by {what}, {year}"
            + (f", top {len(frame)} of {groups}" if top and top < groups else "")
        ),
        frame=frame,
        money=money,
        percent=["share_pct"] + (["pct_change"] if since is not None else []),
        points=["contribution_pp"] if since is not None else [],
        # With --since the table would be too wide for a terminal: the flows a balance nets
        # stay in the machine formats.
        series=(["product", "product_name"], "value"),
        table_hidden=["year", "reporter", "partner", "flow"]
        + (["exports", "imports"] if since is not None else [])
        + (["pct_change"] if since is not None and flow == "balance" else []),
        long_text=["product_name"],
        labels={
            "year": "Year",
            "reporter": "Reporter",
            "partner": "Partner",
            "flow": "Flow",
            "product": code_label,
            "product_name": name_label,
            "exports": "Exports",
            "imports": "Imports",
            "value": "Balance" if flow == "balance" else str(year),
            "share_pct": f"Share of {flow}",
            "value_since": str(since),
            "change": f"Change since {since}",
            "pct_change": "% change",
            "contribution_pp": "Contribution",
        },
    )
    whole_row = {
        "reporter": reporter,
        "partner": partner,
        "year": year,
        "flow": flow,
        "by": grouping.by,
        "groups": groups,
        "value": total,
    }
    report.summary_money = ["value"]
    whole = "all products" if grouping.by == "sector" else f"all {groups} groups"
    if grouping.by == "chapter":
        whole = f"all {groups} chapters"
    report.summary = [(f"{whole.capitalize()}, {year}", format_money(total, unit))]
    if since is not None and grouping.by != "sector":
        then = total - float(table["change"].sum())
        change = total - then
        report.summary = [
            (f"{whole.capitalize()}", str(since), str(year), "Change", "% change"),
            (
                "",
                format_money(then, unit),
                format_money(total, unit),
                format_money(change, unit),
                format_percent(metrics.pct_change(then, total), signed=True),
            ),
        ]
        report.summary_header = report.summary.pop(0)
        whole_row.update(
            since=since, value_since=then, change=change, pct_change=metrics.pct_change(then, total)
        )
        report.summary_money += ["value_since", "change"]
        report.notes.append(
            f"Contribution: each group's change as percentage points of the whole's {since} "
            f"value; over all {groups} groups the changes add up to the whole's change and the "
            "points to its % change."
        )
    report.summary_frame = pd.DataFrame([{**whole_row, **_provenance(table)}])
    report.notes.extend(grouping.notes)
    report.notes.extend(_missing_notes(table, flow, year, since, code_label))
    if grouping.by == "sector":
        report.notes.append(
            "Sectors may overlap (passenger cars are part of vehicles): their shares are "
            "each of the whole, and need not add to 100%."
        )
    if flow == "balance":
        if since is not None:
            report.notes.append(
                "% change of a balance (in the CSV and JSON, pct_change) is relative to its "
                "size: negative when the balance falls (a deficit widens)."
            )
        report.notes.append(
            "A share of a balance is a share of a net figure, not of a whole: groups in "
            "surplus offset the deficit, so one group can be more than 100% of it."
        )
    return report


def _missing_notes(table, flow: str, year: int, since: int | None, code_label: str) -> list[str]:
    """Return a note naming the groups shown n/a: a flow the data has no row for."""
    sides = ["exports", "imports"] if flow == "balance" else [flow]
    gaps = []
    for row in table.itertuples(index=False):
        lacking = [side for side in sides if flow == "balance" and pd.isna(getattr(row, side))]
        if flow != "balance" and pd.isna(row.value):
            lacking = [flow]
        if lacking:
            gaps.append(f"{row.product} ({' and '.join(lacking)} in {year})")
        elif since is not None and pd.isna(row.value_since):
            gaps.append(f"{row.product} (in {since})")
    if not gaps:
        return []
    more = f" and {len(gaps) - 6} more" if len(gaps) > 6 else ""
    return [
        f"No figure in the data for {code_label} {', '.join(gaps[:6])}{more}: shown n/a and "
        "listed last, never taken for 0; the whole includes what the data has."
    ]


# Each side's provenance, as the machine formats carry it beside mirror figures.
MIRROR_PROVENANCE = (
    "reporter_products",
    "reporter_source",
    "reporter_basis",
    "partner_products",
    "partner_source",
    "partner_basis",
    "reporter_vintage",
    "partner_vintage",
)


def unranked_said(report: Report, lacking: list[str], shown: pd.DataFrame) -> None:
    """Say in a ranking's notes which partners have no figure to rank by (``lacking``:
    each with what it lacks), listed last and unranked; and, where some are among the rows
    ``shown``, say so on stderr in the machine formats too, which carry the rows alone (a
    --top listing of unranked partners would pass for a ranking)."""
    more = f" and {len(lacking) - 8} more" if len(lacking) > 8 else ""
    report.notes.append(
        f"No figure in the data for {', '.join(lacking[:8])}{more}: shown n/a, listed last "
        "and not ranked (a missing figure is never taken for 0)."
    )
    listed = int(shown["rank"].isna().sum())
    if listed:
        which = f"{listed:,} of the {len(shown):,} partners"
        if listed == len(shown):
            which = "the one partner" if listed == 1 else f"all {listed:,} partners"
        report.warnings.append(
            f"{which} listed {'has' if listed == 1 else 'have'} no figure in the data to rank "
            "by: shown without a rank, listed last (a missing figure is never taken for 0)"
        )


def mirror_caveats(report: Report, compared: pd.DataFrame, gap: str = "") -> None:
    """Add to a report of mirror figures (``compared``: rows with both sides) what they
    can and cannot say: a warning where one reconciled source gives both sides (the gaps
    are then 0 by construction), and why mirror figures differ (then ``gap``: what the
    gap is, where the report says it there)."""
    same = (compared["reporter_source"] == compared["partner_source"]).all()
    if len(compared) and same and (compared["gap"].abs() < 0.005).all():
        warning = (
            f"both sides come from one source ({compared['reporter_source'].iloc[0]}) that "
            "gives each flow once, reconciled (as CEPII BACI does): the gaps are 0 by "
            "construction and say nothing of what each country recorded"
        )
        report.notes.append(warning[0].upper() + warning[1:] + ".")
        report.warnings.append(warning)
    report.notes.append(
        "Mirror figures differ by valuation (an importer's CIF includes freight and "
        "insurance, an exporter's FOB does not), timing, country of origin rules and "
        f"re-exports through third countries{gap}."
    )


def mirror(table: pd.DataFrame, reporter: str, partner: str) -> Report:
    """Return the report of both sides' figures for the same trade and the gaps."""
    years = sorted(table["year"].unique().tolist())
    report = Report(
        title=(
            f"Mirror statistics: {_name(reporter)} and {_name(partner)} each report their "
            f"trade, {_years_label(years)}"
        ),
        frame=table,
        money=["reporter_value", "partner_value", "gap"],
        percent=["gap_pct"],
        table_hidden=list(MIRROR_PROVENANCE),
        labels={
            "year": "Year",
            "measure": "Trade",
            "reporter_value": f"As {reporter} reports",
            "partner_value": f"As {partner} reports",
            "gap": "Gap",
            "gap_pct": "Gap %",
        },
    )
    for side, code in (("reporter", reporter), ("partner", partner)):
        sources = "; ".join(sorted(set(table[f"{side}_source"])))
        bases = "; ".join(sorted(set(table[f"{side}_basis"])))
        covered = sorted(set(table[f"{side}_products"]))
        what = "" if covered == [metrics.ALL_GOODS] else f", {'; '.join(covered)}"
        vintages = "; ".join(sorted(set(table[f"{side}_vintage"])))
        report.notes.append(f"As {code} reports: {sources} ({bases}{what}); {vintages}.")
    report.notes.append(
        f"{reporter} to {partner}: {reporter}'s exports beside {partner}'s imports from "
        f"{reporter}; {partner} to {reporter}: {reporter}'s imports beside {partner}'s "
        f"exports; {reporter} balance: {reporter}'s balance beside the negative of "
        f"{partner}'s."
    )
    mirror_caveats(
        report,
        table,
        "; the gap is the reporter's figure minus the partner's, as a % of the partner's",
    )
    return report


def inspection(reading, sample_frame: pd.DataFrame) -> Report:
    """Return the report of what a load found: layout, coverage, accounting, provenance."""
    rows: list[tuple[str, str, str]] = []
    for account in reading.accounting:
        file = account.file
        layout = account.layout + (f" ({account.variant})" if account.variant else "")
        rows += [(file, "layout", layout)]
        if account.sheets_read or account.sheets_left:
            rows.append((file, "sheets read", ", ".join(map(repr, account.sheets_read)) or "none"))
            rows.append(
                (file, "sheets left aside", ", ".join(map(repr, account.sheets_left)) or "none")
            )
        rows += [
            (file, "rows read", str(account.rows_read)),
            (file, "rows kept", str(account.rows_kept)),
            (file, "rows set aside", str(account.rows_set_aside)),
        ]
        rows += [
            (file, "set aside", f"{count}: {reason}") for reason, count in account.set_aside.items()
        ]
        rows += [(file, "note", note) for note in account.notes]
    frame = sample_frame

    def listing(values, limit=12) -> str:
        values = [str(v) for v in values]
        shown = ", ".join(values[:limit])
        return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")

    whole = "all files"
    if len(frame):
        months = frame[frame["month"].notna()]
        annual = frame[frame["month"].isna()]
        periods = []
        if len(annual):
            periods.append(f"years {annual['year'].min()}-{annual['year'].max()} (annual rows)")
        if len(months):
            first = months.sort_values(["year", "month"]).iloc[0]
            last = months.sort_values(["year", "month"]).iloc[-1]
            periods.append(
                f"months {first['year']}-{int(first['month']):02d} to "
                f"{last['year']}-{int(last['month']):02d}"
            )
        widths = sorted(
            {("TOTAL" if p == "TOTAL" else f"{len(p)}-digit") for p in frame["product"].unique()}
        )
        rows += [
            (whole, "reporters", listing(sorted(frame["reporter"].unique()))),
            (whole, "partners", listing(sorted(frame["partner"].unique()))),
            (whole, "periods", "; ".join(periods)),
            (whole, "flows", ", ".join(sorted(frame["flow"].unique()))),
            (whole, "products", f"{frame['product'].nunique()} codes: {', '.join(widths)}"),
            (whole, "classification", ", ".join(sorted(frame["classification"].unique()))),
            (whole, "unit", "US dollars (converted from the file's unit when read)"),
            (whole, "source", "; ".join(sorted(frame["source"].unique()))),
            (whole, "basis", "; ".join(sorted(frame["basis"].unique()))),
            (whole, "vintage", "; ".join(sorted(frame["vintage"].unique()))),
            (whole, "values", str(len(frame))),
        ]
    table = pd.DataFrame(rows, columns=["file", "field", "value"])
    files = [account.file for account in reading.accounting]
    single = len(set(files)) == 1
    return Report(
        title=f"What korus read in {files[0]}" if single else "What korus read",
        frame=table,
        labels={"file": "File", "field": "Field", "value": "Value"},
        wrap=["file", "value"],
        table_hidden=["file"] if single else [],
    )


def partners(table: pd.DataFrame, by: str, top: int | None, include_groups: bool) -> Report:
    """Return the report of a reporter's partners ranked by one measure."""
    reporter = table["reporter"].iloc[0]
    years = sorted(int(year) for year in table["year"].unique())
    several = len(years) > 1  # each year ranked on its own, one after the other
    count = len(table)
    frame = (table.groupby("year", sort=False).head(top) if top else table).copy()
    frame.insert(4, "partner_name", [_name(code) for code in frame["partner"]])
    order = {
        "balance": "by balance, largest deficits first",
        "exports": "by exports",
        "imports": "by imports",
        "total": "by total trade (exports plus imports)",
    }[by]
    if _of(table) and by == "total":
        order = "by exports plus imports"  # "total" is said of all goods only
    report = Report(
        title=(
            f"Partners of {'the ' if reporter == 'USA' else ''}{_name(reporter)}{_of(table)} "
            f"{order}, {_years_label(years)}"
            + (
                f", top {top} a year"
                if several and top
                else f", top {len(frame)} of {count}"
                if top and top < count
                else ""
            )
        ),
        frame=frame,
        money=["exports", "imports", "balance", "total"],
        percent=[] if by == "balance" else ["share_pct"],
        series=(["partner_name"], by),
        table_hidden=([] if several else ["year"])
        + ["reporter"]
        + (["share_pct"] if by == "balance" else []),
        labels={
            "rank": "#",
            "year": "Year",
            "partner": "Code",
            "partner_name": "Partner",
            "exports": "Exports",
            "imports": "Imports",
            "balance": "Balance",
            "total": "Total",
            "share_pct": f"Share of {by}",
        },
    )
    if by != "balance":
        report.notes.append(
            f"Shares are of the {by} with all the countries listed, added up; a reporter's "
            "stated world total can differ from that sum (unallocated trade)."
        )
    unranked = table[table["rank"].isna()]
    if len(unranked):
        lacking = []
        for row in unranked.itertuples(index=False):
            sides = [s for s in ("exports", "imports") if pd.isna(getattr(row, s))]
            when = f" in {row.year}" if several else ""
            lacking.append(f"{row.partner} ({' and '.join(sides)}{when})")
        unranked_said(report, lacking, frame)
    report.notes.append(
        "Groups (World, EU, continents...) are included and are not partners: never add them "
        "to countries."
        if include_groups
        else "Countries and territories only: groups (World, EU, continents...) are left out."
    )
    return report


def _months_label(months: list[tuple[int, int]]) -> str:
    first, last = months[0], months[-1]
    text = f"{first[0]}-{first[1]:02d}"
    return text if first == last else f"{text} to {last[0]}-{last[1]:02d}"


_MONTH_LABELS = {
    "year": "Year",
    "month": "Month",
    "reporter": "Reporter",
    "partner": "Partner",
    "exports": "Exports",
    "imports": "Imports",
    "balance": "Balance",
}


def monthly_deficit(flows: pd.DataFrame, months, unit: str, window: int | None = None) -> Report:
    """Return the report of exports, imports and balance month by month (or rolling sums)."""
    stated = flows.attrs.get("balance_stated", "balance_stated" in flows.columns)
    frame = flows if "balance" in flows.columns else metrics.trade_balance(flows)
    reporter, partner = frame["reporter"].iloc[0], frame["partner"].iloc[0]
    what = f"sums of the {window} months ending each month" if window else "by month"
    report = Report(
        title=(
            f"{_name(reporter)} trade in {_goods(frame)} with {_name(partner)}, {what}, "
            f"{_months_label(months)}"
        ),
        frame=frame,
        money=["exports", "imports", "balance"],
        table_hidden=["reporter", "partner"],
        series=(["year", "month"], "balance"),
        labels=_MONTH_LABELS,
    )
    if window:
        report.notes.append(f"Each row adds up the {window} months ending with its month.")
    if stated:
        report.notes.append(STATED_BALANCE_NOTE)
    return report


def year_to_date(table: pd.DataFrame, unit: str) -> Report:
    """Return the report of a stretch of months beside the same months a year earlier."""
    reporter, partner = table["reporter"].iloc[0], table["partner"].iloc[0]
    report = Report(
        title=(
            f"{_name(reporter)} trade in {_goods(table)} with {_name(partner)}: "
            f"{table['period'].iloc[1]} against {table['period'].iloc[0]}"
        ),
        frame=table,
        money=["exports", "imports", "balance"],
        table_hidden=["reporter", "partner", "months"],
        labels={**_MONTH_LABELS, "period": "Months"},
    )
    report.summary_header = (
        "",
        table["period"].iloc[0],
        table["period"].iloc[1],
        "Change",
        "% change",
    )
    records = []
    for column, label in (("exports", "Exports"), ("imports", "Imports"), ("balance", "Balance")):
        then, now = float(table[column].iloc[0]), float(table[column].iloc[1])
        records.append(
            {
                "reporter": reporter,
                "partner": partner,
                "measure": column,
                "first_period": table["period"].iloc[0],
                "last_period": table["period"].iloc[1],
                "first": then,
                "last": now,
                "change": now - then,
                "pct_change": metrics.pct_change(then, now),
                **_provenance(table),
            }
        )
        report.summary.append(
            (
                label,
                format_money(then, unit),
                format_money(now, unit),
                format_money(now - then, unit),
                format_percent(metrics.pct_change(then, now), signed=True),
            )
        )
    report.summary_frame = pd.DataFrame(records)
    report.summary_money = ["first", "last", "change"]
    report.notes.append(
        "The same months of each year, each from the data's monthly figures: a part of a "
        "year is only ever set against the same part of another."
    )
    return report


def month_on_year(table: pd.DataFrame, months, unit: str) -> Report:
    """Return the report of each month against the same month a year earlier."""
    reporter, partner = table["reporter"].iloc[0], table["partner"].iloc[0]
    measure = table["measure"].iloc[0]
    report = Report(
        title=(
            f"{_name(reporter)} {_FLOW_WORDS[measure]} {_name(partner)}{_of(table)}: each month "
            f"against the same month a year earlier, {_months_label(months)}"
        ),
        frame=table,
        money=["value", "value_year_earlier", "change"],
        percent=["pct_change"],
        series=(["year", "month"], "pct_change"),
        table_hidden=["reporter", "partner", "measure"],
        labels={
            **_MONTH_LABELS,
            "value": "Value",
            "value_year_earlier": "A year earlier",
            "change": "Change",
            "pct_change": "% change",
        },
    )
    if measure == "balance":
        report.notes.append(
            "% change of a balance is relative to its size: negative when the balance falls "
            "(a deficit widens). Use --flow deficit for the growth of a deficit."
        )
    return report


def verdicts(frame: pd.DataFrame) -> Report:
    """Return the report of each claim's verdict (``claims.verdict_table``), with korus's
    figure and its provenance."""
    counts = frame["verdict"].value_counts()
    report = Report(
        title=f"Claims checked: {len(frame)} verdict{'s' if len(frame) != 1 else ''}",
        frame=frame,
        table_hidden=["text", "value", "value_unit", "verdict"],
        wrap=["claim", "detail", "formula", "inputs", "stated", "verdict_text"],
        table_keep=["korus", "verdict_text"],
        labels={
            "claim": "Claim",
            "definition": "Definition",
            "stated": "Stated",
            "korus": "korus",
            "verdict_text": "Verdict",
            "detail": "Detail",
            "formula": "Formula",
            "inputs": "Inputs",
        },
    )
    report.summary_header = ("Verdict", "Count")
    records = []
    for key, words in claims.VERDICT_WORDS.items():
        if counts.get(key):
            report.summary.append((words, str(int(counts[key]))))
            records.append({"verdict": key, "verdict_text": words, "count": int(counts[key])})
    report.summary_frame = pd.DataFrame(records, columns=["verdict", "verdict_text", "count"])
    report.notes.append(
        "Each figure's source, basis and vintage are in the CSV and JSON output (--format csv)."
    )
    return report


def world_products(
    table: pd.DataFrame,
    by: str,
    top: int | None,
    reporter: str | None,
) -> Report:
    """Return the report of a year's world totals by product group, ranked (the series left
    out as partial years are said with the accounting)."""
    year, flow = table["year"].iloc[0], table["flow"].iloc[0]
    groups = len(table)
    frame = (table.head(top) if top else table).copy()
    whose = f" reported by {_name(reporter)}" if reporter else ""
    report = Report(
        title=(
            f"World {flow} by HS {by}{whose}, {year}"
            + (f", top {len(frame)} of {groups}" if top and top < groups else "")
        ),
        frame=frame,
        money=["value"],
        percent=["share_pct"],
        series=(["product", "product_name"], "value"),
        table_hidden=["year", "flow", "products"],
        long_text=["product_name"],
        labels={
            "rank": "#",
            "product": by.capitalize(),
            "product_name": "Product",
            "value": str(year),
            "share_pct": f"Share of {flow}",
        },
    )
    report.notes.append(
        f"Sums of every reporter's {flow} to every partner that is a country, by the "
        "reporters' own figures"
        if not reporter
        else f"Sums of {_name(reporter)}'s {flow} to every partner that is a country"
    )
    report.notes[-1] += (
        "; groups (World, EU, continents...) are never added. Whole years only: a stated "
        "year, or twelve months."
    )
    first = frame.iloc[0]
    report.notes.append(
        f"Each {by} adds up the products of it the data holds ({first['product']}: "
        f"{first['products']}); the machine formats' products column says it for each."
    )
    return report
