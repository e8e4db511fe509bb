"""UN Comtrade legacy CSV (the 35-column download of the retired legacy site and API).

Header: ``Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow
Code,Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,...,
Commodity Code,Commodity,...,Trade Value (US$),...``; values in US dollars.

Flows 1 Import, 2 Export, 3 Re-Export, 4 Re-Import. A re-export is already part of the
export figure: it stays its own flow and is never added to exports. Imports are valued CIF,
exports FOB. Where a file breaks a figure down by second partner, customs procedure or mode
of transport, only the aggregate row is kept (the breakdown rows would double it).

Variants read as well:

- extracts without the ``Period`` column: each row is the whole year in ``Year`` (a
  ``Period Desc.`` that is not that year, a month, is an error: the months could not be
  told apart);
- bulk-style files, whose ``Trade Flow Code`` is 0 and whose ``Trade Flow`` holds the
  letter code: X export, M import, RX re-export, RM re-import (as 2, 1, 3, 4).

Where ``Trade Flow`` is there beside a code 1-4, it must name the same flow (Import,
Export, Re-Export, Re-Import, or the letter code): a row that says both is an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.common import columns_once, is_digits, number, read_csv, take_sample
from korus.readers.same import put_same
from korus.schema import Accounting, Reading

LAYOUT = "comtrade-legacy"
DESCRIPTION = "UN Comtrade legacy CSV (Classification,Year,Period,...,Trade Value (US$))"
# ``Period`` is not among them: an extract without it gives annual rows (see above).
REQUIRED = [
    "Classification",
    "Year",
    "Trade Flow Code",
    "Reporter Code",
    "Partner Code",
    "Commodity Code",
    "Trade Value (US$)",
]
FLOWS = {"1": "import", "2": "export", "3": "re-export", "4": "re-import"}
# A bulk file's Trade Flow Code 0: the flow is the letter code in Trade Flow.
BULK_CODE = "0"
LETTERS = {"M": "import", "X": "export", "RX": "re-export", "RM": "re-import"}
# How Trade Flow names each flow beside its code (compared without case, spaces, hyphens
# or a plural s: "Re-Export", "Re-export", "Re-exports").
NAMES = {"import": "import", "export": "export", "reexport": "re-export", "reimport": "re-import"}
BASIS = {"import": "CIF", "export": "FOB", "re-export": "FOB", "re-import": "CIF"}
CLASSIFICATIONS = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
    "HS": "HS (as reported)",
}
SOURCE = "UN Comtrade (legacy CSV)"
VINTAGE = "legacy Comtrade extract; release date not stated in the file"
# Breakdown columns and the values that mean "all" (the aggregate row).
AGGREGATE_MARKERS = {
    "2nd Partner Code": {"", "0"},
    "Customs Proc. Code": {"", "C00"},
    "Mode of Transport Code": {"", "0"},
}
# Countries report their annual and monthly figures to Comtrade separately: the two need
# not agree, and korus holds one version of a year, never two.
CONTRADICTION_HINT = (
    "Comtrade's annual and monthly figures are separate releases that need not agree: keep "
    "one of them (a file of annual or of monthly figures)"
)
_PRODUCT = re.compile(r"^(TOTAL|\d{2}|\d{4}|\d{6})$", re.ASCII)


def sniff(sample) -> bool:
    """Return whether a file is a Comtrade legacy CSV: text whose header has its columns."""
    return sample.kind == "text" and set(REQUIRED) <= set(sample.cells(0))


def read(path: Path) -> Reading:
    """Return the canonical frame of a Comtrade legacy CSV and its row accounting."""
    import pandas as pd

    name = str(path)
    # Every cell as text, and no token is taken for a missing value: "NA" is Namibia.
    table = read_csv(path)
    table.columns = [column.strip() for column in table.columns]
    # pandas renames a name given twice exactly ("Year.1"): the header is looked at too.
    columns_once(list(table.columns), [*REQUIRED, *READ], name)
    columns_once(take_sample(path).cells(0), [*REQUIRED, *READ], name)
    missing = [column for column in REQUIRED if column not in table.columns]
    if missing:
        raise DataFileError(f"{name}: missing Comtrade columns {missing}")
    accounting = Accounting(file=name, layout=LAYOUT, rows_read=len(table))
    # A header pasted again into the data (files joined by hand) is not a row of figures.
    repeated = (table[REQUIRED] == pd.Series(REQUIRED, index=REQUIRED)).all(axis=1)
    accounting.set_aside_rows("repeated header line", int(repeated.sum()))
    table = table[~repeated]

    keep = pd.Series(True, index=table.index)
    for column, aggregate in AGGREGATE_MARKERS.items():
        if column in table.columns:
            breakdown = ~table[column].str.strip().isin(aggregate) & keep
            accounting.set_aside_rows(
                f"breakdown by {column.removesuffix(' Code').lower()} (the aggregate row is kept)",
                int(breakdown.sum()),
            )
            keep &= ~breakdown
    table = table[keep]
    bulk = bool((table["Trade Flow Code"].str.strip() == BULK_CODE).any())

    periods = "Period" in table.columns
    records = []
    for index, row in table.iterrows():
        line = index + 2  # header is line 1

        def where(column: str, line=line) -> str:
            return f"line {line}, column {column!r}"

        flow = _flow(row, name, where)
        if periods:
            year, month = _period(row["Period"].strip(), row["Year"].strip(), name, where("Period"))
        else:
            year, month = _year(row, name, where)
        reporter = _country(row, "Reporter", name, where("Reporter Code"))
        partner = _country(row, "Partner", name, where("Partner Code"))
        product = row["Commodity Code"].strip()
        if not _PRODUCT.match(product):
            raise DataFileError(
                f"{name}: {where('Commodity Code')}: product code {product!r} is not TOTAL "
                "or a 2, 4 or 6 digit HS code (leading zeros lost in a spreadsheet?)"
            )
        classification = row["Classification"].strip()
        records.append(
            (
                line,
                row["Partner Code"].strip(),
                year,
                month,
                reporter,
                partner,
                flow,
                product,
                "none"
                if product == "TOTAL"
                else CLASSIFICATIONS.get(classification, classification),
                number(row["Trade Value (US$)"], file=name, where=where("Trade Value (US$)")),
                BASIS[flow],
            )
        )
    accounting.rows_kept = len(records)
    _check_parts([record[2:] for record in records], accounting)
    frame = pd.DataFrame(
        records,
        columns=[
            "line",
            "origin",
            "year",
            "month",
            "reporter",
            "partner",
            "flow",
            "product",
            "classification",
            "value_usd",
            "basis",
        ],
    )
    frame["month"] = frame["month"].astype("Int8")
    put_same(frame, source=SOURCE, vintage=VINTAGE)
    accounting.origin_label = "Comtrade partner codes"
    accounting.contradiction_hint = CONTRADICTION_HINT
    variants = [
        "no Period column: annual rows" if not periods else "",
        "bulk: flow code 0 with X/M/RX/RM" if bulk else "",
    ]
    accounting.variant = "; ".join(filter(None, variants))
    note_caveats(frame, accounting)
    return trust.settle(Reading(frame, [accounting]))


# The columns korus reads (besides REQUIRED): each must be in the header once.
READ = ["Period", "Period Desc.", "Trade Flow", "Reporter", "Reporter ISO", "Partner"]
READ += ["Partner ISO", *AGGREGATE_MARKERS]


def note_caveats(frame, accounting: Accounting) -> None:
    """Add to ``accounting`` what must be said about the areas a frame names (Other Asia,
    nes: Taiwan in practice), once each."""
    for code in sorted(set(frame["reporter"].unique()) | set(frame["partner"].unique())):
        note = countries.caveat(code)
        if note:
            accounting.notes.append(note)


def _flow(row, name: str, where) -> str:
    """Return a row's flow from its Trade Flow Code, or, for a bulk file's code 0, from
    the letter code in Trade Flow; a Trade Flow that names another flow is an error."""
    code = row["Trade Flow Code"].strip()
    text = row.get("Trade Flow", "").strip()
    if code == BULK_CODE:
        flow = LETTERS.get(text)
        if flow is None:
            raise DataFileError(
                f"{name}: {where('Trade Flow')}: Trade Flow Code 0 (a bulk file) with Trade "
                f"Flow {text!r}: expected X, M, RX or RM (export, import, re-export, re-import)"
            )
        return flow
    flow = FLOWS.get(code)
    if flow is None:
        raise DataFileError(
            f"{name}: {where('Trade Flow Code')}: unknown flow code {code!r} (expected 1, 2, "
            "3 or 4, or 0 with X, M, RX or RM in 'Trade Flow')"
        )
    said = NAMES.get(re.sub(r"[\s-]", "", text).lower().removesuffix("s")) or LETTERS.get(text)
    if text and said != flow:
        raise DataFileError(
            f"{name}: {where('Trade Flow')}: Trade Flow {text!r} beside Trade Flow Code "
            f"{code} ({flow}); korus cannot know which is right: fix the row"
        )
    return flow


def _year(row, name: str, where) -> tuple[int, None]:
    """Return the whole year of a row of a file without a Period column."""
    year = row["Year"].strip()
    if not is_digits(year, 4):
        raise DataFileError(f"{name}: {where('Year')}: year {year!r} is not YYYY")
    described = row.get("Period Desc.", "").strip()
    if described and described != year:
        raise DataFileError(
            f"{name}: {where('Period Desc.')}: period {described!r} is not the year {year}, "
            "and the file has no Period column to tell its months apart; download it with "
            "the Period column"
        )
    return int(year), None


def _period(period: str, year: str, name: str, where: str) -> tuple[int, int | None]:
    if is_digits(period, 4):
        return int(period), None
    if is_digits(period, 6) and 1 <= int(period[4:]) <= 12:
        return int(period[:4]), int(period[4:])
    raise DataFileError(f"{name}: {where}: period {period!r} is not YYYY or YYYYMM (year {year})")


def _country(row, role: str, name: str, where: str) -> str:
    code = row[f"{role} Code"].strip()
    country = countries.from_comtrade(code) if code else None
    if country is None:
        iso = row.get(f"{role} ISO", "").strip()
        if iso:
            try:
                country = countries.lookup(iso)
            except UnknownCountryError:
                country = None
    if country is None:
        raise DataFileError(
            f"{name}: {where}: {role.lower()} code {code!r} ({row.get(role, '')}) "
            "is not a Comtrade area korus knows"
        )
    return country.code


def _check_parts(records: list[tuple], accounting: Accounting) -> None:
    """Note where a file's TOTAL row and the sum of its chapters disagree (over 0.1%)."""
    totals: dict[tuple, float] = {}
    parts: dict[tuple, float] = {}
    for year, month, reporter, partner, flow, product, _, value, _ in records:
        key = (year, month, reporter, partner, flow)
        if product == "TOTAL":
            totals[key] = value
        elif len(product) == 2:
            parts[key] = parts.get(key, 0.0) + value
    for key, total in sorted(totals.items(), key=str):
        if key in parts and abs(parts[key] - total) > max(1.0, abs(total) * 0.001):
            year, month, reporter, partner, flow = key
            period = f"{year}" if month is None else f"{year}-{month:02d}"
            accounting.notes.append(
                f"{reporter} {flow}s to {partner} {period}: the chapters add up to "
                f"{parts[key]:,.0f} USD, the TOTAL row says {total:,.0f} "
                f"(a gap of {parts[key] - total:+,.0f}); korus uses the TOTAL row for totals"
            )
