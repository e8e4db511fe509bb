"""US Census Bureau "U.S. Trade in Goods by Country" workbook (``country.xlsx``).

Layout: one sheet, header ``year, CTY_CODE, CTYNAME, IJAN..IDEC, IYR, EJAN..EDEC, EYR``, one
row per partner and year, millions of US dollars. Imports are general imports at customs
value; exports are total exports, F.A.S. Codes are Census Schedule C. Rows whose code
starts with 0 are groups (World, EU, continents) or special series (World seasonally
adjusted, NAFTA/USMCA on a consumption basis, Advanced Technology Products).

The newest year holds only the months published so far; later months are written as 0.
Those zeros are placeholders, not trade: they are set aside, and that year gets no annual
row, so it can never be read as a whole year.
"""

from __future__ import annotations

from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError
from korus.readers.common import (
    code_text,
    excel_column,
    is_blank_row,
    note_sheets,
    number,
    sheet_rows,
)
from korus.schema import Accounting, Reading

LAYOUT = "census-country"
DESCRIPTION = "US Census country.xlsx: US trade by partner, monthly and annual"
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
    """Return whether a file is a Census country workbook: a sheet with its header."""
    return sample.kind == "xlsx" and any(
        rows and set(HEADER) <= {str(cell).strip() for cell in rows[0]}
        for rows in sample.sheets.values()
    )


def read(path: Path) -> Reading:
    """Return the canonical frame of a Census ``country.xlsx`` and its row accounting."""
    import pandas as pd

    name = str(path)
    sheet, rows = sheet_rows(path, set(HEADER))
    header = [str(cell).strip() for cell in rows[0]]
    position = {column: header.index(column) for column in HEADER}
    accounting = Accounting(file=name, layout=LAYOUT)

    parsed = []  # (line, year, census code, census name, {flow: [12 months], flow+YR: total})
    for offset, row in enumerate(rows[1:]):
        line = offset + 2  # spreadsheet row number, header is row 1
        if is_blank_row(row):
            continue  # trailing formatting rows are not data and are not counted
        accounting.rows_read += 1

        def cell(column: str, row=row, line=line) -> tuple[object, str]:
            index = position[column]
            where = f"sheet {sheet!r}, cell {excel_column(index)}{line} ({column})"
            return (row[index] if index < len(row) else None), where

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
        raise DataFileError(f"{name}: sheet {sheet!r} has a header but no data rows")

    last_year, last_month = _published_extent(parsed)
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
    accounting.line_word = f"sheet {sheet!r}, row"
    accounting.origin_label = "Census codes"
    note_sheets(accounting, path, sheet)
    reading = trust.settle(Reading(frame, [accounting], tolerance=TOLERANCE_USD))
    frame = reading.frame.sort_values(["partner", "year", "month", "flow"], na_position="last")
    return Reading(frame.reset_index(drop=True), reading.accounting, unique=True)


def _published_extent(parsed: list) -> tuple[int, int]:
    """Return (year, month) of the last month the file publishes.

    Census writes months not yet released as 0. The World total is never 0 in a published
    month, so the last month with any World trade is the last published one; without a
    World row, the last month with any trade at all.
    """
    last_year = max(year for _, year, _, _, _ in parsed)
    rows = [values for _, year, code, _, values in parsed if year == last_year]
    world = [
        values for _, year, code, _, values in parsed if year == last_year and code == WORLD_CODE
    ]
    basis = world or rows
    last_month = 0
    for values in basis:
        for prefix in FLOW_PREFIX:
            for month, value in enumerate(values[prefix], start=1):
                if value != 0:
                    last_month = max(last_month, month)
    if last_month == 0:
        # A year with nothing published at all: the extent ends with the year before.
        return last_year - 1, 12
    return last_year, last_month
