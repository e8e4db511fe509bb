"""USITC DataWeb query exports (CSV or XLSX): US trade by partner, for one HTS code or all goods.

DataWeb (https://dataweb.usitc.gov) publishes the US Census Bureau's trade statistics. An
export holds one table, possibly below preamble lines that describe the query (for instance
``General Imports|Monthly data for 2015,...,2024`` and ``Data Row Count,50``); an XLSX
export holds the table on a sheet, possibly after a title or query-parameters sheet. The
table's header is one of:

- monthly: ``Data Type, Country, Year, January, ..., December`` (one row per country-year);
- annual: ``Data Type, Country, 2019, 2020, ...`` (one column per year);

either optionally with ``HTS Number`` and ``Description`` columns. A ``Total:`` footer with
quoted, comma-grouped numbers may close the table. Values are in US dollars (a preamble that
says "1,000 dollars" or "millions of dollars" is honoured).

Reading:

- reporter USA; partners by name through ``countries.resolve`` ("Korea, South", "South
  Korea" and "Korea" are KOR). The ``Total:`` footer is the sum of the rows shown, and an
  "All Countries"/"World" row is the total of all partners: neither is a country, both are
  set aside, and the rows are checked to add up to them (a gap is noted).
- flow and valuation from the DataWeb data type, read with the trade flow the preamble
  names when the data type alone does not say ("Customs Value", "FAS Value"):

  ====================================== ======== =========================================
  data type                              flow     basis
  ====================================== ======== =========================================
  General Customs Value                  import   general imports, customs value
  Imports for Consumption/Customs Value  import   imports for consumption, customs value
  Total Exports (FAS Value)              export   total exports, F.A.S.
  Domestic Exports (FAS Value)           export   domestic exports, F.A.S.
  ====================================== ======== =========================================

  Landed duty-paid value, CIF value and import charges, calculated duties, dutiable value,
  quantities, shipping weights, transport-mode values and trade balances are set aside
  with their reason. A file gives korus one measure per flow: where it has general imports
  and imports for consumption, general imports are kept (the Census basis of US imports) and
  the other rows set aside; domestic exports are a part of total exports (they leave out
  re-exports of foreign goods), so they are set aside when the file also has total exports,
  and kept, under their own basis and with a note, when they are its only export measure.
- product: the HTS code as text without dots (``3304.99`` -> ``"330499"``), classification
  "HTS"; from the ``HTS Number`` column, else from the preamble (``HTS 3304.99``), else, as a
  last resort that the accounting notes, from a file name such as ``..._hts330499.csv``.
  A file whose preamble says it covers all commodities gives product "TOTAL".
- months: a blank month cell is a month without a figure (a partial year's later months),
  never a zero; it gives no row. Monthly tables give monthly rows only: korus's metrics add
  twelve months into a year themselves, so a partial year is never taken for a year.
- vintage: the files do not state their release; the vintage is the last period with a
  figure ("data through 2024-11; release not stated in the file").
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.common import code_text, excel_column, is_blank_row, open_text, workbook
from korus.schema import Accounting, Reading

LAYOUT = "usitc-dataweb"
DESCRIPTION = "USITC DataWeb export (CSV or XLSX): US trade by country, monthly or annual"
SOURCE = "USITC DataWeb (US Census Bureau trade data)"
REPORTER = "USA"
HEADER_ROWS = 60  # the header is looked for among a table's first rows

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTH.update({name[:3]: number for name, number in list(_MONTH.items())})
_MONTH["sept"] = 9
_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^(q[1-4]|quarter [1-4]|[1-4](st|nd|rd|th) quarter)$")

# Measures: the value measures korus keeps, in the order it prefers them within a flow.
GENERAL, CONSUMPTION, TOTAL_EXPORTS, DOMESTIC = "general", "consumption", "total", "domestic"
MEASURES = {
    GENERAL: ("import", "general imports, customs value"),
    CONSUMPTION: ("import", "imports for consumption, customs value"),
    TOTAL_EXPORTS: ("export", "total exports, F.A.S."),
    DOMESTIC: ("export", "domestic exports, F.A.S."),
}
PREFERRED = {"import": (GENERAL, CONSUMPTION), "export": (TOTAL_EXPORTS, DOMESTIC)}
SET_ASIDE_MEASURE = {
    GENERAL: None,
    CONSUMPTION: "imports for consumption (the file also has general imports, the basis "
    "korus keeps for US imports)",
    TOTAL_EXPORTS: None,
    DOMESTIC: "domestic exports (a part of total exports, which the file also has)",
}

# DataWeb data types (normalised: lower case, punctuation as spaces) -> measure.
DATA_TYPES = {
    "general customs value": GENERAL,
    "general imports": GENERAL,
    "general imports customs value": GENERAL,
    "general import customs value": GENERAL,
    "imports for consumption": CONSUMPTION,
    "imports for consumption customs value": CONSUMPTION,
    "consumption customs value": CONSUMPTION,
    "total exports": TOTAL_EXPORTS,
    "total exports value": TOTAL_EXPORTS,
    "total exports fas value": TOTAL_EXPORTS,
    "total fas value": TOTAL_EXPORTS,
    "domestic exports": DOMESTIC,
    "domestic exports value": DOMESTIC,
    "domestic exports fas value": DOMESTIC,
    "domestic fas value": DOMESTIC,
}
# Data types that name a measure only together with the trade flow the preamble names.
NEEDS_FLOW = {
    "customs value": {"general imports": GENERAL, "imports for consumption": CONSUMPTION},
    "fas value": {"total exports": TOTAL_EXPORTS, "domestic exports": DOMESTIC},
    "f a s value": {"total exports": TOTAL_EXPORTS, "domestic exports": DOMESTIC},
}
TRADE_FLOWS = ("general imports", "imports for consumption", "total exports", "domestic exports")
# Data types that are not a value of trade korus reads: (pattern on the normalised text, reason)
NOT_READ = (
    (
        r"landed duty paid",
        "landed duty-paid value (customs value plus freight, insurance and duties): korus "
        "reads customs value for US imports",
    ),
    (
        r"\bcif\b|charges insurance|import charges",
        "CIF value or import charges (freight and insurance): korus reads customs value for "
        "US imports",
    ),
    (r"calculated dut|\bduties\b", "calculated duties (tariff revenue, not a value of trade)"),
    (r"dutiable", "dutiable value (only the part of imports that pays duty)"),
    (r"quantity|weight", "quantities (not values)"),
    (
        r"\bvessel\b|\bair\b|containeri",
        "value by mode of transport (a part of the total value)",
    ),
    (r"balance", "trade balance (korus computes balances from exports and imports)"),
)

_THOUSANDS = re.compile(r"\b(1,?000|thousands?) (of )?(us |u s )?dollars|\bin thousands\b")
_MILLIONS = re.compile(r"\b(1,?000,?000|millions?) (of )?(us |u s )?dollars|\bin millions\b")
_HTS_LABELLED = re.compile(
    r"\bhts\s*(?:numbers?|codes?|items?|subheadings?|headings?|chapters?)?\s*[:#=-]?\s*"
    r"(\d[\d.]*\d)"
)
_HTS_DOTTED = re.compile(r"(?<![\d.])(\d{4}\.\d{2}(?:\.\d{2}){0,2}|\d{4}\.\d{2}\.\d{4})(?![\d.])")
_ALL_GOODS = re.compile(
    r"\ball (commodities|products|goods|merchandise|hts)\b|\btotal all merchandise\b"
)
_FILE_NAME_HTS = re.compile(r"hts[_\- ]?(\d{2,10})(?!\d)")
_HTS_CODE = re.compile(r"^\d{4}\.\d{2}(\.\d{2}(\.\d{2})?|\.\d{4})?$|^\d{2}$|^\d{4}$|^\d{6,10}$")
_TOTAL_LABEL = re.compile(r"^total\s*:?$")
_YEAR_TO_DATE = re.compile(r"year[ -]to[ -]date|\bytd\b")
_ROW_COUNT = re.compile(r"^data row count$")


# --------------------------------------------------------------------------- helpers


def _norm(value: object) -> str:
    """Lower case, punctuation as spaces, spaces collapsed: 'Landed Duty-Paid Value' ->
    'landed duty paid value'."""
    return " ".join(re.sub(r"[^0-9a-z&]+", " ", str(value).casefold()).split())


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_kind(cells: list[object]) -> str | None:
    """Return "monthly" or "annual" when a row is a DataWeb table header, else None."""
    names = [_norm(cell) for cell in cells]
    if "country" not in names:
        return None
    if "data type" not in names and not any(name.startswith("hts") for name in names):
        return None
    if "year" in names and any(name in _MONTH for name in names):
        return "monthly"
    if any(_YEAR.match(_text(cell)) for cell in cells):
        return "annual"
    if any(_QUARTER.match(name) for name in names):
        return "quarterly"
    return None


def sniff(sample) -> bool:
    """Return whether a file is a DataWeb export: a table header with Country and Data Type
    (or HTS Number) and month or year columns, within its first rows or on one of its sheets."""
    if sample.kind == "text":
        return any(_header_kind(sample.cells(i)) for i in range(len(sample.lines)))
    if sample.kind == "xlsx":
        return any(
            _header_kind(row) for rows in sample.sheets.values() for row in rows[:HEADER_ROWS]
        )
    return False


# --------------------------------------------------------------------------- tables


class _Table:
    """One DataWeb table: its preamble text, header and data rows with their positions."""

    def __init__(self, name, sheet, preamble, header, rows):
        self.name = name  # file name, for messages
        self.sheet = sheet  # sheet name, or None for a CSV
        self.preamble = preamble  # list of text lines above the header (and title sheets)
        self.header = header  # (position, cells)
        self.rows = rows  # list of (position, cells); position is a line or a row number

    def where(self, position: int, index: int) -> str:
        header = self.header[1]
        column = _text(header[index]) if index < len(header) else ""
        if self.sheet is None:
            return f"line {position}, column {column!r}"
        return f"sheet {self.sheet!r}, cell {excel_column(index)}{position} ({column})"

    def line(self, position: int) -> str:
        return f"line {position}" if self.sheet is None else f"sheet {self.sheet!r}, row {position}"


def _find_header(rows: list[tuple[int, list]]) -> int | None:
    for index, (_, cells) in enumerate(rows[:HEADER_ROWS]):
        if _header_kind(cells):
            return index
    return None


def _preamble_lines(rows: list[tuple[int, list]]) -> list[str]:
    lines = []
    for _, cells in rows:
        texts = [_text(cell) for cell in cells if _text(cell)]
        if texts:
            lines.append(",".join(texts))
    return lines


def _strip_trailing_blanks(rows: list[tuple[int, list]]) -> list[tuple[int, list]]:
    end = len(rows)
    while end and is_blank_row(rows[end - 1][1]):
        end -= 1
    return rows[:end]


def _csv_tables(path: Path) -> list[_Table]:
    name = str(path)
    rows = []
    try:
        with open_text(path) as handle:
            reader = csv.reader(handle)
            for cells in reader:
                rows.append((reader.line_num, cells))
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{name}: byte {exc.start} of the text is not UTF-8; re-save the file as UTF-8"
        ) from None
    except csv.Error as exc:
        raise DataFileError(f"{name}: not readable as CSV ({exc})") from None
    except (EOFError, OSError) as exc:
        raise DataFileError(f"{name}: a damaged or truncated file ({exc})") from None
    found = _find_header(rows)
    if found is None:
        raise DataFileError(
            f"{name}: no DataWeb table header (Data Type, Country, Year, January..December "
            f"or Data Type, Country, 2019, 2020, ...) in the first {HEADER_ROWS} lines"
        )
    return [
        _Table(
            name,
            None,
            _preamble_lines(rows[:found]),
            rows[found],
            _strip_trailing_blanks(rows[found + 1 :]),
        )
    ]


def _xlsx_tables(path: Path) -> list[_Table]:
    name = str(path)
    sheets = workbook(path)
    titles: list[str] = []
    located = []
    for sheet, cells in sheets.items():
        rows = [(number, row) for number, row in enumerate(cells, start=1)]
        found = _find_header(rows)
        if found is None:
            titles.extend(_preamble_lines(rows))  # a title or query-parameters sheet
        else:
            located.append((sheet, rows, found))
    if not located:
        raise DataFileError(
            f"{name}: no sheet holds a DataWeb table header (Data Type, Country, Year, "
            f"January..December or Data Type, Country, 2019, ...); sheets: {', '.join(sheets)}"
        )
    return [
        _Table(
            name,
            sheet,
            titles + _preamble_lines(rows[:found]),
            rows[found],
            _strip_trailing_blanks(rows[found + 1 :]),
        )
        for sheet, rows, found in located
    ]


# --------------------------------------------------------------------------- context


def _unit(preamble: list[str]) -> float:
    """US dollars, unless the lines above the table say thousands or millions of them."""
    text = " ".join(preamble).casefold()
    if _MILLIONS.search(text):
        return 1e6
    if _THOUSANDS.search(text):
        return 1e3
    return 1.0


def _trade_flow(preamble: list[str]) -> str | None:
    """The one DataWeb trade flow the preamble names, or None (none, or several)."""
    text = _norm(" ".join(preamble))
    named = [flow for flow in TRADE_FLOWS if flow in text]
    return named[0] if len(named) == 1 else None


def _hts(text: str, *, file: str, where: str) -> str:
    """Return an HTS code as digits ('3304.99' -> '330499'); anything else is an error."""
    if not _HTS_CODE.match(text):
        raise DataFileError(
            f"{file}: {where}: HTS number {text!r} is not an HTS code such as 3304.99 or "
            "330499 (a spreadsheet may have dropped a leading or trailing zero: keep the "
            "column as text)"
        )
    digits = text.replace(".", "")
    if len(digits) % 2:
        raise DataFileError(
            f"{file}: {where}: HTS number {text!r} has an odd number of digits (a leading "
            "zero lost in a spreadsheet? keep the column as text)"
        )
    return digits


def _preamble_product(table: _Table, path: Path, accounting: Accounting) -> str:
    """The product the whole table is about, from the preamble, else from the file name."""
    text = " ".join(table.preamble)
    lowered = text.casefold()
    codes = {match.group(1).rstrip(".") for match in _HTS_LABELLED.finditer(lowered)}
    codes |= set(_HTS_DOTTED.findall(text))
    digits = {_hts(code, file=table.name, where="the lines above the table") for code in codes}
    if len(digits) > 1:
        raise DataFileError(
            f"{table.name}: the lines above the table name several HTS codes "
            f"({', '.join(sorted(digits))}) and the table has no HTS Number column, so "
            "korus cannot tell which figures are which; export the data broken out by HTS "
            "number"
        )
    if digits:
        return digits.pop()
    if _ALL_GOODS.search(lowered):
        return "TOTAL"
    named = _FILE_NAME_HTS.search(Path(path).stem.casefold())
    if named and len(named.group(1)) % 2 == 0:
        code = named.group(1)
        accounting.notes.append(
            f"the file does not say which product it holds (no HTS Number column, no HTS "
            f"code above the table): product {code} taken from the file name"
        )
        return code
    raise DataFileError(
        f"{table.name}: the file does not say which product its figures are for: no HTS "
        "Number column and no HTS code above the table; add a line such as 'HTS Number: "
        "3304.99' (or 'All Commodities' for all goods) above the header, or export the "
        "data broken out by HTS number"
    )


def _measure(text: str, flow_context: str | None, *, file: str, where: str):
    """Return (measure, None) for a value korus keeps, or (None, reason) to set it aside."""
    key = _norm(text)
    if key in DATA_TYPES:
        return DATA_TYPES[key], None
    if key in NEEDS_FLOW:
        choices = NEEDS_FLOW[key]
        if flow_context in choices:
            return choices[flow_context], None
        raise DataFileError(
            f"{file}: {where}: data type {text!r} does not say which trade flow it is "
            f"({' or '.join(choices)}) and the lines above the table do not say either; add "
            f"the trade flow (e.g. '{next(iter(choices)).title()}') above the header"
        )
    for pattern, reason in NOT_READ:
        if re.search(pattern, key):
            return None, reason
    raise DataFileError(
        f"{file}: {where}: unknown DataWeb data type {text!r}; korus reads General Customs "
        "Value, Imports for Consumption, Total Exports and Domestic Exports (customs or "
        "F.A.S. values) and sets aside duties, CIF and landed duty-paid values and quantities"
    )


def _number(value: object, *, file: str, where: str) -> float | None:
    """A DataWeb figure: blank is no figure (None); '1,234.00' is 1234.0."""
    if isinstance(value, bool):
        raise DataFileError(f"{file}: {where}: expected a number, found {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = _text(value)
    if not text:
        return None
    cleaned = text.replace(",", "")
    if re.fullmatch(r"-?\d+(\.\d+)?|-?\.\d+", cleaned):
        return float(cleaned)
    raise DataFileError(
        f"{file}: {where}: expected a number or a blank cell, found {text!r} (DataWeb "
        'writes figures as 1234.00 or "1,234")'
    )


# --------------------------------------------------------------------------- reading


def read(path: Path) -> Reading:
    """Return the canonical frame of a DataWeb CSV or XLSX export and its row accounting."""
    import pandas as pd

    path = Path(path)
    with open(path, "rb") as probe:
        is_xlsx = probe.read(4) == b"PK\x03\x04"
    tables = _xlsx_tables(path) if is_xlsx else _csv_tables(path)
    accounting = Accounting(file=str(path), layout=LAYOUT)

    # Every figure: (year, month, partner, measure, product, value, its row's position)
    records: list[tuple] = []
    rows_by_measure: dict[str, int] = defaultdict(int)
    for table in tables:
        _read_table(table, path, accounting, records, rows_by_measure)

    # One measure per flow: the preferred one present; the others' rows are set aside.
    kept_measures = set()
    for order in PREFERRED.values():
        present = [measure for measure in order if rows_by_measure.get(measure)]
        if present:
            kept_measures.add(present[0])
            for other in present[1:]:
                accounting.set_aside_rows(SET_ASIDE_MEASURE[other], rows_by_measure[other])
    accounting.rows_kept = sum(rows_by_measure[measure] for measure in kept_measures)
    if DOMESTIC in kept_measures:
        accounting.notes.append(
            "exports are domestic exports only (US goods, without re-exports of foreign "
            "goods): lower than the Census's total exports, and kept under their own basis"
        )

    frame = pd.DataFrame(
        [
            (
                position,
                year,
                month,
                partner,
                MEASURES[measure][0],
                product,
                value,
                MEASURES[measure][1],
            )
            for (year, month, partner, measure, product, value, position) in records
            if measure in kept_measures
        ],
        columns=["line", "year", "month", "partner", "flow", "product", "value_usd", "basis"],
    )
    if frame.empty:
        raise DataFileError(
            f"{path}: the table holds no figure korus reads (set aside: "
            f"{'; '.join(f'{n} {reason}' for reason, n in accounting.set_aside.items())})"
        )
    frame["month"] = frame["month"].astype("Int8")
    frame["reporter"] = REPORTER
    frame["classification"] = frame["product"].map(lambda p: "none" if p == "TOTAL" else "HTS")
    frame["source"] = SOURCE
    frame["vintage"] = _vintage(frame)
    sheets = [table.sheet for table in tables if table.sheet is not None]
    accounting.line_word = f"sheet {sheets[0]!r}, row" if sheets else "line"
    accounting.repeat_hint = (
        "a query broken out by district or port gives a row per part: export it without "
        "breakdowns (one row per country and period)"
    )
    reading = trust.settle(Reading(frame, [accounting]))
    frame = reading.frame.sort_values(
        ["partner", "product", "flow", "year", "month"], na_position="last"
    )
    return Reading(frame.reset_index(drop=True), reading.accounting, unique=True)


def _vintage(frame) -> str:
    monthly = frame[frame["month"].notna()]
    if len(monthly):
        last = monthly.sort_values(["year", "month"]).iloc[-1]
        through = f"{int(last['year'])}-{int(last['month']):02d}"
    else:
        through = str(int(frame["year"].max()))
    return f"data through {through}; release not stated in the file"


def _read_table(table: _Table, path, accounting, records, rows_by_measure) -> None:
    name = table.name
    header = [_text(cell) for cell in table.header[1]]
    names = [_norm(cell) for cell in header]
    kind = _header_kind(table.header[1])
    if kind == "quarterly":
        raise DataFileError(
            f"{name}: {table.line(table.header[0])}: the table is quarterly; korus reads "
            "DataWeb monthly or annual data: export the query with monthly or annual periods"
        )
    type_col = names.index("data type") if "data type" in names else None
    country_col = names.index("country")
    hts_col = next(
        (i for i, n in enumerate(names) if n.startswith("hts") and "description" not in n), None
    )
    if kind == "monthly":
        year_col = names.index("year")
        periods = {i: _MONTH[n] for i, n in enumerate(names) if n in _MONTH}
        if sorted(periods.values()) != list(range(1, 13)):
            raise DataFileError(
                f"{name}: {table.line(table.header[0])}: the header has months "
                f"{sorted(periods.values())}, not January to December once each"
            )
    else:
        year_col = None
        periods = {i: int(header[i]) for i in range(len(header)) if _YEAR.match(header[i])}
    used = {type_col, country_col, hts_col, year_col, *periods}
    ignored = [
        header[i]
        for i in range(len(header))
        if i not in used and header[i] and _YEAR_TO_DATE.search(header[i].casefold())
    ]
    if ignored:
        accounting.notes.append(
            f"columns {ignored} hold part-year (year-to-date) figures: not read (a part of a "
            "year is never a year)"
        )

    preamble_text = " ".join(table.preamble)
    unit = _unit(table.preamble)
    if unit != 1.0:
        accounting.notes.append(
            f"figures in {'thousands' if unit == 1e3 else 'millions'} "
            "of US dollars (as the lines above the table say)"
        )
    flow_context = _trade_flow(table.preamble)
    # A table of year-to-date figures: each "year" column is a part of that year. Where the
    # query mixed annual and year-to-date data, the year-to-date columns carry the label.
    year_to_date = False
    if kind == "annual" and _YEAR_TO_DATE.search(preamble_text.casefold()) and not ignored:
        if "annual" in preamble_text.casefold():
            accounting.notes.append(
                "the lines above the table mention year-to-date data but no column is "
                "labelled so: every year column is read as a whole year"
            )
        else:
            year_to_date = True
    table_measure = None
    if type_col is None:
        table_measure = _table_measure(table, flow_context)
    product = None if hts_col is not None else _preamble_product(table, path, accounting)

    above = defaultdict(float)  # period column -> sum of the rows above the footer
    counted = 0  # data rows above the footer, for the preamble's row count
    world: dict[tuple, float] = defaultdict(float)  # (measure, product, year, month) -> value
    parts: dict[tuple, float] = defaultdict(float)

    def cell(row: list, index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else ""

    for position, row in table.rows:
        accounting.rows_read += 1
        if is_blank_row(row):
            accounting.set_aside_rows("blank line", 1)
            continue
        labels = [_text(cell(row, i)) for i in (type_col, country_col) if i is not None]
        if any(_TOTAL_LABEL.match(label.casefold()) for label in labels):
            accounting.set_aside_rows("Total: footer (the sum of the rows above, not a country)", 1)
            _check_footer(table, position, row, periods, above, accounting)
            above.clear()
            continue
        counted += 1
        figures = {}
        for index, period in periods.items():
            value = _number(cell(row, index), file=name, where=table.where(position, index))
            if value is not None:
                above[index] += value
                figures[period] = value * unit
        if type_col is not None:
            type_text = _text(cell(row, type_col))
            if not type_text:
                raise DataFileError(f"{name}: {table.where(position, type_col)}: empty data type")
            measure, reason = _measure(
                type_text, flow_context, file=name, where=table.where(position, type_col)
            )
        else:
            measure, reason = table_measure
        if measure is None:
            accounting.set_aside_rows(reason, 1)
            continue
        if year_to_date:
            accounting.set_aside_rows(
                "year-to-date figures (a part of each year: not a whole year, not a month)", 1
            )
            continue
        country_text = _text(cell(row, country_col))
        if not country_text:
            raise DataFileError(f"{name}: {table.where(position, country_col)}: empty country")
        try:
            partner = countries.resolve(country_text)
        except UnknownCountryError:
            accounting.set_aside_rows(f"country not known to korus ({country_text})", 1)
            continue
        if hts_col is not None:
            hts_text = _text(cell(row, hts_col))
            if _norm(hts_text) in ("total", "all", "all commodities", "total all merchandise"):
                row_product = "TOTAL"
            else:
                row_product = _hts(hts_text, file=name, where=table.where(position, hts_col))
        else:
            row_product = product
        if kind == "monthly":
            year = int(
                code_text(cell(row, year_col), 4, file=name, where=table.where(position, year_col))
            )
            entries = [(year, month, value) for month, value in figures.items()]
        else:
            entries = [(year, None, value) for year, value in figures.items()]
        if partner.code == "WLD":
            accounting.set_aside_rows(
                "all-countries total (the total of all partners, not a country)", 1
            )
            for year, month, value in entries:
                world[(measure, row_product, year, month)] += value
            continue
        if not entries:
            accounting.set_aside_rows("no figures (every period cell is blank)", 1)
            continue
        rows_by_measure[measure] += 1
        for year, month, value in entries:
            records.append((year, month, partner.code, measure, row_product, value, position))
            if not countries.is_group(partner.code):
                parts[(measure, row_product, year, month)] += value

    _check_row_count(table, counted, accounting)
    _check_world(world, parts, accounting)


def _table_measure(table: _Table, flow_context: str | None):
    """The measure of a table without a Data Type column, from the lines above it."""
    text = _norm(" ".join(table.preamble))
    for key, measure in DATA_TYPES.items():
        if re.search(rf"\b{key}\b", text) and key not in TRADE_FLOWS:
            return measure, None
    if flow_context is not None:
        return DATA_TYPES[flow_context], None
    for pattern, reason in NOT_READ:
        if re.search(pattern, text):
            return None, reason
    raise DataFileError(
        f"{table.name}: the table has no Data Type column and the lines above it do not say "
        "what the figures are; add a line such as 'General Imports' or 'Total Exports' above "
        "the header"
    )


def _check_footer(table, position, row, periods, above, accounting) -> None:
    """Note where a Total: footer differs from the sum of the rows above it."""
    gaps = []
    for index in periods:
        value = _number(
            row[index] if index < len(row) else "",
            file=table.name,
            where=table.where(position, index),
        )
        if value is None:
            continue
        # The footer is in whole dollars: allow half a dollar per row it adds, at least 1.
        if abs(value - above[index]) > max(1.0, 0.5 * len(table.rows)):
            gaps.append(f"{table.header[1][index]} {value:,.0f} vs {above[index]:,.2f}")
    if gaps:
        accounting.notes.append(
            f"{table.line(position)}: the Total: footer differs from the sum of the rows above "
            f"it ({'; '.join(gaps)})"
        )
    else:
        accounting.notes.append(
            f"{table.line(position)}: the Total: footer equals the sum of the rows above it"
        )


def _check_row_count(table, counted, accounting) -> None:
    for line in table.preamble:
        cells = [cell.strip() for cell in line.split(",")]
        if (
            len(cells) >= 2
            and _ROW_COUNT.match(_norm(cells[0]))
            and cells[1].isdigit()
            and int(cells[1]) != counted
        ):
            accounting.notes.append(
                f"the file says 'Data Row Count {cells[1]}' but its table has {counted} "
                "data rows: the file may be cut short"
            )


def _check_world(world, parts, accounting) -> None:
    """Note how the countries compare with an all-countries total, where the file has one."""
    if not world:
        return
    over = []
    total_world = total_parts = 0.0
    for key, value in world.items():
        part = parts.get(key, 0.0)
        total_world += value
        total_parts += part
        if part > value * 1.001 + 1.0:
            measure, product, year, month = key
            period = f"{year}" if month is None else f"{year}-{month:02d}"
            over.append(f"{period} ({part:,.0f} vs {value:,.0f})")
    if over:
        accounting.notes.append(
            "the countries add up to more than the all-countries total in "
            f"{len(over)} periods: {', '.join(over[:5])}{' ...' if len(over) > 5 else ''}"
        )
    share = total_parts / total_world * 100 if total_world else 0.0
    if abs(share - 100) > 0.1:
        accounting.notes.append(
            f"the countries in the file add up to {share:.1f}% of the all-countries total "
            "(the rest is trade with partners not in the file)"
        )
    else:
        accounting.notes.append("the countries in the file add up to the all-countries total")
