"""US Census Bureau "Trade in Goods with <country>" balance pages saved as CSV.

The page (``https://www.census.gov/foreign-trade/balance/cNNNN.html``, NNNN the partner's
Census Schedule C code) is a table ``Month, Exports, Imports, Balance`` in **millions of US
dollars**, one row per month (``January 2001``), figures with thousands separators
(``1,187.5``). Copies differ in their delimiter (semicolon, comma with quoted figures,
tab), and some keep the page title (``Trade in Goods with China``) above the header, or the
year totals among the months (``TOTAL 2001``, a bare ``2001``, or the page's own ``TOTAL``
row closing a year's months), or the header repeated above each year.

The reporter is the United States; exports are total exports, F.A.S., imports general
imports, customs value (the basis of the Census country file). A stated year total is an
annual row, held to its months where all twelve are there (by the trust layer, within
0.6 million: twelve rounded months); months alone are monthly rows. Exports minus imports
must equal the balance on every row (tolerance 0.15 million for rounding); a larger gap is
noted in the accounting with its row. The page's own balance is kept as a "balance" row,
monthly and yearly, and is the balance korus reports (it was computed from unrounded
figures).

The table does not name the partner. It is taken from a title line above the header when
the copy kept one, else from a Census page code ``cNNNN`` in the file name (the page's own
address), and the accounting says so; with neither, the file is refused.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, KorusError
from korus.readers.common import open_text
from korus.schema import Accounting, Reading

LAYOUT = "census-balance-page"
DESCRIPTION = "US Census balance page (Month;Exports;Imports;Balance), millions of USD"
HEADER = ["month", "exports", "imports", "balance"]
SOURCE = "US Census Bureau, trade balance page"
BASIS = {
    "export": "total exports, F.A.S.",
    "import": "general imports, customs value",
    "balance": "total exports, F.A.S., less general imports, customs value",
}
UNIT = 1e6  # millions of US dollars
BALANCE_TOLERANCE = 0.15  # millions: each figure is rounded to 0.1
ANNUAL_TOLERANCE = 0.6  # millions: twelve figures rounded to 0.1 each
HEADER_SEARCH = 10  # the header is among the first lines (after a title, if any)
DELIMITERS = (";", "\t", ",")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = re.compile(r"^([A-Za-z]+)\.?\s+(\d{4})$")
_YEAR = re.compile(r"^(?:(?:total|annual|year)\s+)?(\d{4})(?:\s+total)?$", re.I)
_TITLE = re.compile(r"trade\s+in\s+goods\s+with\s+(.+)$", re.I)
_PAGE_CODE = re.compile(r"(?<![A-Za-z0-9])c(\d{4})(?!\d)", re.I)
_FIGURE = re.compile(r"^[-+−]?\(?\d{1,3}(,\d{3})*(\.\d+)?\)?$|^[-+−]?\d+(\.\d+)?$")


def _split(line: str) -> tuple[list[str], str] | None:
    """Return (cells, delimiter) when a line is the balance page's header."""
    for delimiter in DELIMITERS:
        if delimiter in line:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if [cell.strip().strip('"').casefold() for cell in cells] == HEADER:
                return cells, delimiter
    return None


def _header_line(lines: list[str]) -> tuple[int, str] | None:
    for index, line in enumerate(lines[:HEADER_SEARCH]):
        found = _split(line)
        if found:
            return index, found[1]
    return None


def sniff(sample) -> bool:
    """Return whether a file is a balance page: a Month/Exports/Imports/Balance header."""
    return sample.kind == "text" and _header_line(sample.lines) is not None


def read(path: Path) -> Reading:
    """Return the canonical frame of a saved Census balance page and its row accounting."""
    import pandas as pd

    name = str(path)
    try:
        with open_text(path) as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{name}: byte {exc.start} of the text is not UTF-8; re-save the file as UTF-8"
        ) from None
    lines = text.splitlines()
    found = _header_line(lines)
    if found is None:
        raise DataFileError(
            f"{name}: no Month, Exports, Imports, Balance header in the first {HEADER_SEARCH} lines"
        )
    header_index, delimiter = found
    accounting = Accounting(file=name, layout=LAYOUT)
    partner = _partner(path, lines[:header_index], accounting)

    records = []  # (line, year, month or None, exports, imports, the page's balance)
    gaps = []
    last_seen: int | None = None  # year of the last month row, for a bare TOTAL row
    reader = csv.reader(io.StringIO("\n".join(lines[header_index + 1 :])), delimiter=delimiter)
    for offset, cells in enumerate(reader):
        line = header_index + 2 + offset
        accounting.rows_read += 1
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            accounting.set_aside_rows("blank line", 1)
            continue
        if [cell.strip('"').casefold() for cell in cells] == HEADER:
            accounting.set_aside_rows("header repeated (one table per year)", 1)
            continue
        if not any(cells[1:]) and not _MONTH.match(cells[0]) and not _YEAR.match(cells[0]):
            accounting.set_aside_rows("text line without figures (a note)", 1)
            continue
        if len(cells) != 4:
            raise DataFileError(
                f"{name}: line {line}: {len(cells)} cells where the header has 4 "
                f"(Month, Exports, Imports, Balance); is the delimiter {delimiter!r} "
                "used inside a figure without quotes?"
            )
        label = cells[0]
        exports, imports, balance = (
            _figure(cells[index], name, line, column)
            for index, column in ((1, "Exports"), (2, "Imports"), (3, "Balance"))
        )
        if abs(exports - imports - balance) > BALANCE_TOLERANCE:
            gaps.append(
                f"line {line} ({label}): exports {exports:,.1f} - imports {imports:,.1f} = "
                f"{exports - imports:,.1f}, but the balance says {balance:,.1f}"
            )
        month = _MONTH.match(label)
        year_total = _YEAR.match(label)
        if label.casefold() in ("total", "annual total") and last_seen is not None:
            # The page closes each year's table with a bare TOTAL row: that year's total.
            year_total = re.match(r"(\d{4})", str(last_seen))
        if month and month.group(1).casefold() in MONTHS:
            year = int(month.group(2))
            records.append(
                (line, year, MONTHS[month.group(1).casefold()], exports, imports, balance)
            )
            last_seen = year
        elif year_total:
            records.append((line, int(year_total.group(1)), None, exports, imports, balance))
        else:
            raise DataFileError(
                f"{name}: line {line}, column 'Month': {label!r} is not a month such as "
                "'January 2001' or a year total such as 'TOTAL 2001'"
            )
        accounting.rows_kept += 1
    if not records:
        raise DataFileError(f"{name}: the page has a header but no months")
    if gaps:
        accounting.notes.append(
            f"exports minus imports differs from the balance by more than "
            f"{BALANCE_TOLERANCE} million on {len(gaps)} rows: " + "; ".join(gaps[:5])
        )
    accounting.notes.extend(_partial_year_notes(records))
    rounding = _rounding_notes(records)
    if rounding:
        accounting.notes.append(
            "the page rounds each figure to 0.1 million, so its own Balance column, added "
            "up, can differ from its exports minus its imports; korus reports the page's "
            "own balance, by month and by year. The page's balances by year (korus: exports "
            "minus imports): " + "; ".join(rounding)
        )
    # The page's own balance is kept too: it was computed from unrounded figures, so it is
    # closer to the truth than the difference of the rounded exports and imports.
    rows = [
        (line, year, month, flow, value * UNIT)
        for line, year, month, exports, imports, balance in records
        for flow, value in (("export", exports), ("import", imports), ("balance", balance))
    ]
    frame = pd.DataFrame(rows, columns=["line", "year", "month", "flow", "value_usd"])
    frame["month"] = frame["month"].astype("Int8")
    frame["reporter"] = "USA"
    frame["partner"] = partner
    frame["product"] = "TOTAL"
    frame["classification"] = "none"
    frame["source"] = SOURCE
    frame["basis"] = frame["flow"].map(BASIS)
    dated = [(year, month) for _, year, month, *_ in records if month is not None]
    last_year, last_month = max(dated) if dated else (0, 0)
    totals = [year for _, year, month, *_ in records if month is None]
    if totals and max(totals) > last_year:
        last_year, last_month = max(totals), 12
    frame["vintage"] = f"data through {last_year}-{last_month:02d}; release not stated in the file"
    return trust.settle(
        Reading(frame, [accounting], tolerance=ANNUAL_TOLERANCE * UNIT),
        order=["year", "month", "flow"],
    )


def _rounding_notes(records) -> list[str]:
    """Return "YEAR page-balance (korus: computed)" for each whole year whose balances, added
    up, differ from its exports minus its imports at the page's precision."""
    notes = []
    for year in sorted({year for _, year, month, *_ in records if month is not None}):
        months = [r for r in records if r[1] == year and r[2] is not None]
        if len(months) != 12:
            continue
        stated = sum(balance for *_, balance in months)
        computed = sum(e for *_, e, _, _ in months) - sum(i for *_, i, _ in months)
        if round(computed, 1) != round(stated, 1):
            notes.append(f"{year} {stated:,.1f} (korus: {computed:,.1f})")
    return notes


def _partial_year_notes(records) -> list[str]:
    """Return a note for each stated year total whose months the page has only in part
    (the trust layer checks a total against its months where all twelve are there)."""
    notes = []
    for line, year, month, *_ in records:
        if month is not None:
            continue
        count = len({r[2] for r in records if r[1] == year and r[2] is not None})
        if 0 < count < 12:
            notes.append(
                f"line {line}: the {year} total is kept as stated; the page has "
                f"{count} of its months, so it cannot be checked"
            )
    return notes


def _figure(text: str, name: str, line: int, column: str) -> float:
    """Return a page figure such as ``-7,240.0`` (millions) as a float."""
    cleaned = text.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if not _FIGURE.match(cleaned):
        shown = text if text else "an empty cell"
        raise DataFileError(
            f"{name}: line {line}, column {column!r}: expected a figure in millions such as "
            f"1,187.5, found {shown!r}"
        )
    negative = cleaned.startswith("-") or cleaned.startswith("(")
    digits = cleaned.strip("+-()").replace(",", "")
    value = float(digits)
    return -value if negative else value


def _partner(path: Path, preamble: list[str], accounting: Accounting) -> str:
    """Return the partner named by a title line, else by the Census code in the file name."""
    for line in preamble:
        text = line.strip().strip('"').strip()
        match = _TITLE.search(text.rstrip(";,\t \"'"))
        if match:
            named = match.group(1).strip().strip(".:;,\"'").strip()
            named = re.sub(r"\s*:\s*\d{4}.*$", "", named)  # "China: 2019" -> "China"
            try:
                country = countries.resolve(named)
            except KorusError as exc:
                raise DataFileError(
                    f"{path}: the title {text!r} names a partner korus does not know ({exc})"
                ) from None
            accounting.notes.append(f"partner {country.code} taken from the title {text!r}")
            return country.code
    match = _PAGE_CODE.search(path.name)
    if match:
        code = match.group(1)
        country = countries.from_census(code)
        if country is None:
            raise DataFileError(
                f"{path}: the file name's Census code c{code} is not a partner in korus's "
                "Census table; rename the file with the code of its balance page (e.g. "
                "c5700.csv for China)"
            )
        accounting.notes.append(f"partner {country.code} taken from the file name c{code}")
        return country.code
    raise DataFileError(
        f"{path}: the balance page names no partner (no 'Trade in Goods with ...' title "
        "line, no Census code cNNNN in the file name); rename the file with its Census page "
        "code, e.g. c5700.csv for China (the page's address ends in /balance/c5700.html), "
        "or put the page title 'Trade in Goods with China' on its first line"
    )
