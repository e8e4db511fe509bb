"""US Census Bureau "U.S. Trade in Goods by Country" table (``country.xlsx``, ``.xls``, ``.csv``).

Layout: one sheet, header ``year, CTY_CODE, CTYNAME, IJAN..IDEC, IYR, EJAN..EDEC, EYR``, one
row per partner and year, millions of US dollars. Imports are general imports at customs
value; exports are total exports, F.A.S. Codes are Census Schedule C. Rows whose code
starts with 0 are groups (World, EU, continents) or special series (World seasonally
adjusted, NAFTA/USMCA on a consumption basis, Advanced Technology Products).

The same table comes as Census publishes it (``.xlsx``, or ``.xls`` in older releases) and as
people save it from Excel: CSV with CRLF line ends, or CR alone (Excel for Mac), codes
written as numbers (``3`` for ``0003``) or text. All are read alike; ``korus inspect``
names the variant.

The newest year holds only the months published so far; later months are written as 0.
Those zeros are placeholders, not trade: they are set aside, and that year gets no annual
row, so it can never be read as a whole year. Its IYR and EYR are then a total of fewer
months (a December of 0 beside an 11-month total): a partial year, never a zero month.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError
from korus.readers.common import (
    OLE_MAGIC,
    WORKBOOK_MAGIC,
    check_field_counts,
    code_text,
    decode,
    excel_column,
    is_blank_row,
    note_sheets,
    number,
    raw_bytes,
    sheet_rows,
)
from korus.schema import Accounting, Reading

LAYOUT = "census-country"
DESCRIPTION = (
    "US Census country table (.xlsx, .xls or CSV): US trade by partner, monthly and annual"
)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
FLOW_PREFIX = {"E": "export", "I": "import"}
HEADER = ["year", "CTY_CODE", "CTYNAME"] + [
    prefix + month for prefix in ("I", "E") for month in (*MONTHS, "YR")
]
SOURCE = "US Census Bureau, U.S. Trade in Goods by Country (country.xlsx)"
BASIS = {"export": "total exports, F.A.S.", "import": "general imports, customs value"}
WORLD_CODE = "0015"
UNIT = 1e6  # the file is in millions of US dollars
# Census writes each month to a tenth of a million dollars (or finer) and the year as the
# sum of those published months (every flow of the 2020 and 2026 vintages adds up
# exactly): a year further from its months than half the last digit was changed.
TOLERANCE_USD = 0.05 * UNIT


def sniff(sample) -> bool:
    """Return whether a file is a Census country table: a sheet, or a CSV file, whose first
    row holds its header."""
    if sample.kind == "text":
        return set(HEADER) <= set(sample.cells(0))
    return sample.kind == "xlsx" and any(
        rows and set(HEADER) <= {str(cell).strip() for cell in rows[0]}
        for rows in sample.sheets.values()
    )


def read(path: Path) -> Reading:
    """Return the canonical frame of a Census country table and its row accounting."""
    import pandas as pd

    name = str(path)
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic in WORKBOOK_MAGIC:
        sheet, rows = sheet_rows(path, set(HEADER))
        lines = list(range(1, len(rows) + 1))  # a sheet's row numbers
        variant = "old binary Excel, .xls" if magic == OLE_MAGIC else ""

        def place(index: int, line: int, column: str) -> str:
            return f"sheet {sheet!r}, cell {excel_column(index)}{line} ({column})"

    else:
        sheet = None
        rows, lines, variant = _csv_rows(path)

        def place(index: int, line: int, column: str) -> str:
            return f"line {line}, column {column!r}"

    header = [str(cell).strip() for cell in rows[0]] if rows else []
    if not set(HEADER) <= set(header):
        missing = ", ".join(column for column in HEADER if column not in header)
        raise DataFileError(
            f"{name}: the first line is not the header of a Census country table (lacks {missing})"
        )
    position = {column: header.index(column) for column in HEADER}
    accounting = Accounting(file=name, layout=LAYOUT, variant=variant)

    parsed = []  # (line, year, census code, census name, {flow: [12 months], flow+YR: total})
    for row, line in zip(rows[1:], lines[1:], strict=True):
        if is_blank_row(row):
            continue  # trailing formatting rows are not data and are not counted
        accounting.rows_read += 1

        def cell(column: str, row=row, line=line) -> tuple[object, str]:
            index = position[column]
            return (row[index] if index < len(row) else None), place(index, line, column)

        value, where = cell("year")
        year = int(code_text(value, 4, file=name, where=where))
        value, where = cell("CTY_CODE")
        code = code_text(value, 4, file=name, where=where)
        values = {}
        for prefix in FLOW_PREFIX:
            values[prefix] = []
            for month in (*MONTHS, "YR"):
                value, where = cell(prefix + month)
                values[prefix].append(number(value, file=name, where=where))
            values[prefix + "YR"] = values[prefix].pop()
        parsed.append((line, year, code, str(cell("CTYNAME")[0]).strip(), values))

    if not parsed:
        where = "the file" if sheet is None else f"sheet {sheet!r}"
        raise DataFileError(f"{name}: {where} has a header but no data rows")

    last_year, last_month = _published_extent(parsed, name)
    accounting.notes.append(
        f"data through {last_year}-{last_month:02d}"
        + ("" if last_month == 12 else f"; {last_year} is a partial year (no annual total)")
    )
    vintage = f"data through {last_year}-{last_month:02d}"

    records = []  # (line, Census code, year, month, partner, flow, value in USD)
    for line, year, code, census_name, values in parsed:
        if countries.is_census_series(code):
            accounting.set_aside_rows(
                "special series, not a partner (World seasonally adjusted, NAFTA/USMCA "
                "consumption basis, Advanced Technology Products)",
                1,
            )
            continue
        country = countries.from_census(code)
        if country is None:
            accounting.set_aside_rows(f"Census code not in korus's table ({code} {census_name})", 1)
            continue
        if year > last_year:
            accounting.set_aside_rows("year after the last published month", 1)
            continue
        accounting.rows_kept += 1
        months_published = last_month if year == last_year else 12
        for prefix, flow in FLOW_PREFIX.items():
            monthly = values[prefix][:months_published]
            records += [
                (line, code, year, month, country.code, flow, value * UNIT)
                for month, value in enumerate(monthly, start=1)
            ]
            if months_published == 12:
                # The trust layer holds the annual total to the sum of its months.
                records.append(
                    (line, code, year, None, country.code, flow, values[prefix + "YR"] * UNIT)
                )

    frame = pd.DataFrame(
        records, columns=["line", "origin", "year", "month", "partner", "flow", "value_usd"]
    )
    frame["reporter"] = "USA"
    frame["product"] = "TOTAL"
    frame["classification"] = "none"
    frame["source"] = SOURCE
    frame["basis"] = frame["flow"].map(BASIS)
    frame["vintage"] = vintage
    frame["month"] = frame["month"].astype("Int8")
    accounting.line_word = "line" if sheet is None else f"sheet {sheet!r}, row"
    accounting.origin_label = "Census codes"
    if sheet is not None:
        note_sheets(accounting, path, sheet)
    return trust.settle(
        Reading(frame, [accounting], tolerance=TOLERANCE_USD),
        order=["partner", "year", "month", "flow"],
    )


def _csv_rows(path: Path) -> tuple[list[list[str]], list[int], str]:
    """Return (rows of cells, the line each row starts on, variant) of the table saved as
    CSV; line ends CRLF, LF or CR alone are all one line end."""
    text = decode(raw_bytes(path), Path(path))
    check_field_counts(text, Path(path))
    records = csv.reader(io.StringIO(text, newline=""))
    rows, lines = [], []
    line = 1
    for row in records:
        rows.append(row)
        lines.append(line)
        line = records.line_num + 1
    return rows, lines, "CSV"


def _published_extent(parsed: list, name: str) -> tuple[int, int]:
    """Return (year, month) of the last month the file publishes.

    Census writes months not yet released as 0. The World total is never 0 in a published
    month, so the last month with any World trade is the last published one; without a
    World row, the last month with any trade at all. A newest year with nothing published
    yet says nothing of the year before: its December is looked at like any month, so a
    year whose total covers eleven months stays a partial year.
    """
    newest = max(year for _, year, _, _, _ in parsed)
    world = [entry for entry in parsed if entry[2] == WORLD_CODE]
    basis = world if any(entry[1] == newest for entry in world) else parsed
    last = None
    for _, year, _, _, values in basis:
        for prefix in FLOW_PREFIX:
            for month, value in enumerate(values[prefix], start=1):
                if value != 0 and (last is None or (year, month) > last):
                    last = (year, month)
    if last is None:
        raise DataFileError(
            f"{name}: the table holds no trade at all (every month of every row is 0): nothing is "
            "published in it yet"
        )
    return last
