"""US Census Bureau end-use files by partner (``enduse_exports.csv``, ``enduse_imports.xlsx``).

Layout: one table (a CSV file, or a workbook sheet such as ``EnduseImp``), header
``CTY_CODE, CTY_DESC, END_USE, COMM_DESC, value_YY, ...``: one row per partner and 5-digit
end-use code, one column per year, **US dollars** (no unit conversion). ``value_13`` is
2013: two-digit years 00-79 are read as 2000-2079 and 80-99 as 1980-1999 (Census end-use
files by partner start in the 2000s, so no year is ambiguous). Each value is the whole
year's trade, so every row gives one annual row per year column.

Partners are Census Schedule C codes; ``0000`` "World Total" is the world (korus ``WLD``, a
group: the sum of the partners, checked here). The reporter is the United States. Exports
are total exports, F.A.S.; imports are general imports, customs value.

The header does not say whether the file holds exports or imports, and a file name is no
evidence. The 5-digit end-use lists of the two flows differ (``00000`` is "Wheat" in the
export list and "Green coffee" in the import list), so the flow is decided from the file's
(END_USE, COMM_DESC) pairs: those found in only one of korus's two lists vote, and one list
must win a clear majority (75%) of the votes, else the file is refused.

Columns that are not Census columns (a user's additions after the last year: blank
``Unnamed: 14``-style columns, a repeated description, a partner's name, a ratio) are
never read as years; the accounting notes name each one.

Code tables ``tables/enduse_exports.csv`` and ``tables/enduse_imports.csv`` (``code,
description``): the 5-digit codes and names are those of the Census files themselves
(``enduse_exports`` with value_13..value_22, ``enduse_imports.xlsx`` with value_16..value_25,
as published by the US Census Bureau, Foreign Trade Division, "U.S. Trade by End-Use and
Country", https://www.census.gov/foreign-trade/statistics/country/; US government work,
public domain). The 1-digit rows are the Census principal end-use categories that the
5-digit codes start with (the six categories of the FT-900 report, Exhibit 6 "Exports and
Imports of Goods by Principal End-Use Category", and Census "End-Use" term of the month,
https://www.census.gov/newsroom/blogs/global-reach/2012/03/end-use-trade-term-of-the-month-2.html):
0 Foods, feeds, and beverages; 1 Industrial supplies and materials; 2 Capital goods, except
automotive; 3 Automotive vehicles, parts, and engines; 4 Consumer goods; and, for imports,
5 Other goods. The export list's first digits 5 (military-type goods) and 6 (minimum value
shipments, miscellaneous exports) both fall under "Other goods" in Exhibit 6; their own
1-digit names are not listed, as korus could not establish them from a Census source.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError
from korus.readers.common import (
    WORKBOOK_MAGIC,
    choose_sheet,
    code_text,
    excel_column,
    is_blank_row,
    note_sheets,
    number,
    read_csv,
)
from korus.readers.same import put_same
from korus.schema import Accounting, Reading

LAYOUT = "census-enduse"
DESCRIPTION = "US Census end-use trade by partner (CTY_CODE, END_USE, value_YY...), CSV or XLSX"
KEY_COLUMNS = ("CTY_CODE", "CTY_DESC", "END_USE", "COMM_DESC")
YEAR_COLUMN = re.compile(r"^value_(\d{2}|\d{4})$")
SOURCE = "US Census Bureau, U.S. trade by end-use category and partner"
BASIS = {"export": "total exports, F.A.S.", "import": "general imports, customs value"}
CLASSIFICATION = "Census end-use"
WORLD_CODE = "0000"  # "World Total" in the end-use files (not a code of country.xlsx)
CODE_TABLES = {"export": "enduse_exports.csv", "import": "enduse_imports.csv"}
CLEAR_MAJORITY = 0.75
# The World Total is the exact sum of the partners in Census files; allow float noise only.
WORLD_TOLERANCE = 1.0  # US dollars
_INF = float("inf")


def _header_cells(cells) -> list[str]:
    return ["" if cell is None else str(cell).strip() for cell in cells]


def _is_header(cells) -> bool:
    names = _header_cells(cells)
    return set(KEY_COLUMNS) <= set(names) and any(YEAR_COLUMN.match(name) for name in names)


def sniff(sample) -> bool:
    """Return whether a file is a Census end-use table: its four key columns and value_YY."""
    if sample.kind == "text":
        return _is_header(sample.cells(0))
    if sample.kind == "xlsx":
        return any(rows and _is_header(rows[0]) for rows in sample.sheets.values())
    return False


@cache
def code_table(flow: str) -> dict[str, str]:
    """Return korus's Census end-use list of a flow: code -> description."""
    resource = files("korus") / "tables" / CODE_TABLES[flow]
    with resource.open("r", encoding="utf-8", newline="") as handle:
        return {row["code"]: row["description"] for row in csv.DictReader(handle)}


@cache
def _normal(text: str) -> str:
    """Description compared without case, accents or runs of spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


@cache
def _pairs(flow: str) -> frozenset[tuple[str, str]]:
    return frozenset(
        (code, _normal(description))
        for code, description in code_table(flow).items()
        if len(code) == 5
    )


def _year(digits: str) -> int:
    if len(digits) == 4:
        return int(digits)
    value = int(digits)
    return 2000 + value if value < 80 else 1900 + value


def _rows(path: Path) -> tuple[list[list[object]], Callable[[int, int, str], str], str]:
    """Return (rows, where(line, index, column) -> text, what) of a CSV file or workbook."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    name = str(path)
    if magic in WORKBOOK_MAGIC:
        sheet, rows = choose_sheet(
            path,
            lambda rows: _is_header(rows[0]),
            f"the Census end-use columns {', '.join(KEY_COLUMNS)}, value_YY",
        )

        def where(line: int, index: int, column: str, sheet=sheet) -> str:
            return f"sheet {sheet!r}, cell {excel_column(index)}{line} ({column})"

        return rows, where, f"sheet {sheet!r}"
    table = read_csv(path, header=None)
    rows = table.fillna("").to_numpy().tolist()
    if not rows or not _is_header(rows[0]):
        raise DataFileError(
            f"{name}: line 1 is not a Census end-use header ({', '.join(KEY_COLUMNS)}, value_YY...)"
        )

    def where(line: int, index: int, column: str) -> str:
        return f"line {line}, column {column!r}"

    return rows, where, "the file"


def read(path: Path) -> Reading:
    """Return the canonical frame of a Census end-use file and its row accounting."""
    import pandas as pd

    name = str(path)
    rows, where, container = _rows(path)
    header = _header_cells(rows[0])
    position = {column: header.index(column) for column in KEY_COLUMNS}
    years: list[tuple[int, int, str]] = []  # (column index, year, column name)
    seen_years: dict[int, str] = {}
    stray: list[int] = []
    for index, column in enumerate(header):
        match = YEAR_COLUMN.match(column)
        if match:
            year = _year(match.group(1))
            if year in seen_years:
                raise DataFileError(
                    f"{name}: columns {seen_years[year]!r} and {column!r} are both year {year}; "
                    "keep one of them"
                )
            seen_years[year] = column
            years.append((index, year, column))
        elif index not in position.values():
            stray.append(index)
    accounting = Accounting(file=name, layout=LAYOUT)
    used = list(position.values()) + [index for index, _, _ in years]

    def cell(row: list[object], index: int) -> object:
        return row[index] if index < len(row) else ""

    parsed = []  # (line, census code, census name, end-use code, description, [values])
    for offset, row in enumerate(rows[1:]):
        line = offset + 2
        accounting.rows_read += 1
        if is_blank_row(row):
            accounting.set_aside_rows("blank row", 1)
            continue
        if is_blank_row([cell(row, index) for index in used]):
            accounting.set_aside_rows(
                "row with cells only outside the Census columns (no partner, code or value)", 1
            )
            continue
        code = code_text(
            cell(row, position["CTY_CODE"]),
            4,
            file=name,
            where=where(line, position["CTY_CODE"], "CTY_CODE"),
        )
        product = code_text(
            cell(row, position["END_USE"]),
            5,
            file=name,
            where=where(line, position["END_USE"], "END_USE"),
        )
        try:  # the usual case, numbers or digits; number() explains anything else
            values = [
                float(row[index]) if not isinstance(row[index], bool) else _INF
                for index, _, _ in years
            ]
            if any(value != value or value in (_INF, -_INF) for value in values):
                raise ValueError
        except (ValueError, TypeError, IndexError):
            values = [
                number(cell(row, index), file=name, where=where(line, index, column))
                for index, _, column in years
            ]
        parsed.append(
            (
                line,
                code,
                str(cell(row, position["CTY_DESC"])).strip(),
                product,
                str(cell(row, position["COMM_DESC"])).strip(),
                values,
            )
        )
    if not parsed:
        raise DataFileError(f"{name}: {container} has a Census end-use header but no data rows")

    flow, note = _decide_flow({(product, desc) for _, _, _, product, desc, _ in parsed}, name)
    accounting.notes.append(note)
    accounting.notes.extend(_stray_notes(rows, header, stray, container == "the file"))
    accounting.notes.extend(_unlisted_notes(parsed, flow))
    first_year, last_year = min(seen_years), max(seen_years)
    accounting.notes.append(
        f"years {first_year}-{last_year} read as whole years (two-digit years 00-79 are "
        f"20YY); the file does not say whether {last_year} is complete"
    )
    vintage = f"data through {last_year}; release not stated in the file"

    cells = []  # (line, Census code, partner, end-use code, values by year)
    world: dict[str, list[float]] = {}
    partners_sum: dict[str, list[float]] = {}
    partner_of: dict[str, object] = {}
    for line, code, census_name, product, _desc, values in parsed:
        if code not in partner_of:
            partner_of[code] = None if code == WORLD_CODE else countries.from_census(code)
        if code == WORLD_CODE:
            partner = "WLD"
            world[product] = values
        elif countries.is_census_series(code):
            accounting.set_aside_rows(
                "special series, not a partner (World seasonally adjusted, NAFTA/USMCA "
                "consumption basis, Advanced Technology Products)",
                1,
            )
            continue
        else:
            country = partner_of[code]
            if country is None:
                accounting.set_aside_rows(
                    f"Census code not in korus's table ({code} {census_name})", 1
                )
                continue
            partner = country.code
            if country.kind != "group":
                totals = partners_sum.setdefault(product, [0.0] * len(values))
                for index, value in enumerate(values):
                    totals[index] += value
        accounting.rows_kept += 1
        cells.append((line, code, partner, product, values))
    accounting.notes.extend(_world_notes(world, partners_sum, [y for _, y, _ in years]))

    year_list = [year for _, year, _ in years]
    records = [
        (line, code, year, partner, product, value)
        for line, code, partner, product, values in cells
        for year, value in zip(year_list, values, strict=True)
    ]
    frame = pd.DataFrame(
        records, columns=["line", "origin", "year", "partner", "product", "value_usd"]
    )
    frame["month"] = pd.array([pd.NA] * len(frame), dtype="Int8")
    put_same(
        frame,
        reporter="USA",
        flow=flow,
        classification=CLASSIFICATION,
        source=SOURCE,
        basis=BASIS[flow],
        vintage=vintage,
    )
    accounting.line_word = "line" if container == "the file" else f"{container}, row"
    if container != "the file":
        note_sheets(accounting, path, container.removeprefix("sheet ")[1:-1])
    accounting.origin_label = "Census codes"
    return trust.settle(Reading(frame, [accounting]), order=["partner", "product", "year"])


def _decide_flow(pairs: set[tuple[str, str]], name: str) -> tuple[str, str]:
    """Return (flow, note) decided from the file's (END_USE, COMM_DESC) pairs."""
    normal = {(code, _normal(desc)) for code, desc in pairs}
    exports, imports = _pairs("export"), _pairs("import")
    only_exports = len({pair for pair in normal if pair in exports and pair not in imports})
    only_imports = len({pair for pair in normal if pair in imports and pair not in exports})
    votes = only_exports + only_imports
    if votes and max(only_exports, only_imports) >= CLEAR_MAJORITY * votes:
        flow, other = ("export", "import") if only_exports > only_imports else ("import", "export")
        won, lost = max(only_exports, only_imports), min(only_exports, only_imports)
        return flow, (
            f"flow {flow} decided from the content: of the file's {len(normal)} (END_USE, "
            f"COMM_DESC) pairs, {won} are only in the Census {flow} end-use list and {lost} "
            f"only in the {other} list"
        )
    raise DataFileError(
        f"{name}: cannot tell whether the file holds exports or imports: its header does not "
        f"say, and of its (END_USE, COMM_DESC) pairs {only_exports} are only in the Census "
        f"export end-use list and {only_imports} only in the import list (a clear majority of "
        f"{CLEAR_MAJORITY:.0%} is needed); keep END_USE and COMM_DESC as Census publishes them"
    )


def _stray_notes(rows, header: list[str], stray: list[int], text: bool) -> list[str]:
    """One note per column that is not a Census column, naming it and what it holds."""
    notes = []
    for index in stray:
        label = header[index] or f"Unnamed: {index}"
        place = f"column {index + 1}" if text else f"column {excel_column(index)}"
        filled = [
            row[index]
            for row in rows[1:]
            if index < len(row) and row[index] is not None and str(row[index]).strip()
        ]
        held = f"{len(filled)} filled cells, first {filled[0]!r}" if filled else "empty"
        shown = f"{label!r}" if header[index] else f"{label!r} (no header)"
        notes.append(
            f"{place} {shown} is not a Census end-use column ({held}): set aside, "
            "not read as a year"
        )
    return notes


def _unlisted_notes(parsed, flow: str) -> list[str]:
    """A note for end-use codes that korus's list of the flow lacks or names differently."""
    table = code_table(flow)
    odd = {}
    for product, desc in sorted({(product, desc) for _, _, _, product, desc, _ in parsed}):
        known = table.get(product)
        if known is None or _normal(known) != _normal(desc):
            odd.setdefault(product, desc)
    if not odd:
        return []
    shown = "; ".join(f"{code} {desc!r}" for code, desc in sorted(odd.items())[:5])
    more = f" and {len(odd) - 5} more" if len(odd) > 5 else ""
    return [
        f"{len(odd)} end-use codes are not in korus's Census {flow} list as named in the file "
        f"({shown}{more}); kept as published"
    ]


def _world_notes(world, partners_sum, years: list[int]) -> list[str]:
    """Check that the World Total of each code is the sum of the partners."""
    if not world or not partners_sum:
        return []
    gaps = []
    for product, totals in world.items():
        parts = partners_sum.get(product, [0.0] * len(totals))
        for year, total, part in zip(years, totals, parts, strict=True):
            if abs(total - part) > max(WORLD_TOLERANCE, abs(total) * 1e-9):
                gaps.append((abs(total - part), product, year, total, part))
    if not gaps:
        return ["World Total equals the sum of the partners for every code and year"]
    _, product, year, total, part = max(gaps)
    return [
        f"World Total differs from the sum of the partners for {len(gaps)} code-years "
        f"(largest: end-use {product} {year}, World {total:,.0f} USD, partners {part:,.0f} "
        "USD); both kept as published"
    ]
