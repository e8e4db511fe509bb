"""USITC DataWeb downloads (XLSX or CSV): US trade by partner and product, as DataWeb writes it.

DataWeb (https://dataweb.usitc.gov) publishes the US Census Bureau's trade statistics. A
download is a workbook (``DataWeb-Query-Export.xlsx``, sometimes a CSV); its name is the same
for every query and is never taken as evidence of anything. What it holds:

- a **Query Parameters** sheet: the query as the user built it, one ``key, value`` row each,
  under step titles (``Step 1: Trade Flow and Classification System``...): download date,
  trade flow (General Imports, Imports for Consumption, Total Exports, Domestic Exports,
  Foreign Exports), classification system (HTS Items, SITC, NAICS), data to report
  (Customs Value, FAS Value, CIF Value, Landed Duty-Paid Value, Calculated Duties,
  quantities...), years and timeframe (annual, monthly; full years or year to date),
  countries (a list, or all) and whether they are broken out, commodities (all, or a list)
  with the digits they are broken out at, and programs, rate provisions and districts.
  korus reads it as the file's own description: what a data sheet does not say (product,
  partner, measure, unit, trade flow) comes from there, and where both say something they
  must agree. A CSV may carry the same ``key, value`` lines above its table.
- one or more **data sheets** (one per measure, named like "FAS Value", "Customs Value",
  "First Unit of Quantity"): a title row (``Domestic Exports|Annual Data``), a ``Data Row
  Count`` row, the header, the rows, and a ``Total:`` row of comma-grouped text numbers.
  The header has a ``Data Type`` column, and an ``HTS Number`` (or ``SITC Number``,
  ``NAICS Number``) column with ``Description``, and a ``Country`` column, as the query broke
  them out; its periods are one of:

  - a column per year: ``2021, 2022, 2023`` (annual data);
  - ``Year, January, ..., December`` (monthly data, a row per country-year);
  - a column per month: ``January 2023, ..., 2023-12``;
  - long: ``Year`` and a value column (``Value``, ``FAS Value``...), a row per year, or
    with ``Month`` too, a row per month.

Reading:

- reporter USA. Partners from the Country column by name ("Korea, South" is KOR; "All
  Countries" is the world, WLD, a group never added to countries). Without a Country column,
  the Query Parameters' countries give the partner: one country is that country, all
  countries the world total (WLD); several countries added together are no one partner and
  are refused.
- the measure of a row from its Data Type, else from its sheet's name, the value column's
  name or the Query Parameters' data to report; its trade flow from the data type where it
  names one ("General Customs Value"), else from the sheet's title or the Query Parameters
  (two sources that disagree are an error):

  ============================= ========= =============================================
  trade flow, measure           flow      basis
  ============================= ========= =============================================
  General Imports, customs      import    general imports, customs value
  Imports for Consumption       import    imports for consumption, customs value
  Total Exports, FAS            export    total exports, F.A.S.
  Domestic Exports, FAS         export    domestic exports, F.A.S. (no re-exports: noted)
  Foreign Exports, FAS          re-export foreign exports (re-exports), F.A.S.
  ============================= ========= =============================================

  CIF and landed duty-paid values, import charges, dutiable value, calculated duties,
  quantities, transport-mode values and balances are set aside with their reason, and a
  sheet of them is left aside, named in the accounting with why. One measure per flow:
  general imports before imports for consumption, total exports before domestic exports;
  one measure on two sheets is refused, never added.
- product: the code as text at the level the file gives (``3304.99`` -> ``"330499"``,
  chapter ``"01"`` keeps its zero), classification "HTS" (or "SITC", "NAICS"); without a
  product column, from the Query Parameters (all commodities: "TOTAL"; one code: that code)
  or the lines above the table ("HTS 3304.99", "All Commodities"); a file that does not say
  its product is refused. The coverage (all goods by chapter, a list of codes, one code) is
  noted.
- a query that selected import programs, rate provisions or districts holds only a part of
  US trade, and one broken out by district or program holds parts of each figure: both
  refused with the reason.
- blank cells are figures the file does not give, never zeros: no row. A ``Total:`` row
  and a ``Data Row Count`` are checked against the rows and noted.
- vintage: the download date the Query Parameters give, and the last period with a figure.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.columns import (
    Coded,
    Grid,
    coded_cells,
    counts_in_order,
    is_text,
    ordered_counts,
    sorted_rows,
    text_grid,
)
from korus.readers.common import (
    SHEET,
    WORKBOOK_MAGIC,
    code_text,
    decode,
    excel_column,
    hidden_sheets,
    is_blank_row,
    is_digits,
    raw_bytes,
    sheet_refusal,
    workbook,
)
from korus.schema import Accounting, Reading

LAYOUT = "usitc-dataweb"
DESCRIPTION = "USITC DataWeb download (XLSX or CSV): US trade by country and product"
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
_YEAR = re.compile(r"^\d{4}$", re.ASCII)
_ANY_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
_QUARTER = re.compile(r"^(q[1-4]|quarter [1-4]|[1-4](st|nd|rd|th) quarter)$")
_MONTH_YEAR = re.compile(r"^([a-z]+) (\d{4})$", re.ASCII)
_YEAR_MONTH = re.compile(r"^(\d{4}) (\d{1,2})$", re.ASCII)

# Measures: the values of trade korus reads, one per trade flow.
GENERAL, CONSUMPTION, TOTAL_EXPORTS, DOMESTIC, FOREIGN = (
    "general",
    "consumption",
    "total",
    "domestic",
    "foreign",
)
MEASURES = {
    GENERAL: ("import", "general imports, customs value"),
    CONSUMPTION: ("import", "imports for consumption, customs value"),
    TOTAL_EXPORTS: ("export", "total exports, F.A.S."),
    DOMESTIC: ("export", "domestic exports, F.A.S."),
    FOREIGN: ("re-export", "foreign exports (re-exports), F.A.S."),
}
FLOW_NAMES = {
    GENERAL: "General Imports",
    CONSUMPTION: "Imports for Consumption",
    TOTAL_EXPORTS: "Total Exports",
    DOMESTIC: "Domestic Exports",
    FOREIGN: "Foreign Exports",
}
# Within one flow, the measure korus keeps where a file has several, in that order.
PREFERRED = {
    "import": (GENERAL, CONSUMPTION),
    "export": (TOTAL_EXPORTS, DOMESTIC),
    "re-export": (FOREIGN,),
}
SET_ASIDE_MEASURE = {
    CONSUMPTION: "imports for consumption (the file also has general imports, the basis "
    "korus keeps for US imports)",
    DOMESTIC: "domestic exports (a part of total exports, which the file also has)",
}
# A trade flow named in words: a sheet's title, the Query Parameters, a data type.
TRADE_FLOWS = {
    GENERAL: re.compile(r"\bgeneral imports?\b|\bimports? general\b"),
    CONSUMPTION: re.compile(
        r"\bimports? for consumption\b|\bconsumption imports?\b|\bimports? consumption\b"
    ),
    TOTAL_EXPORTS: re.compile(r"\btotal exports?\b|\bexports? total\b"),
    DOMESTIC: re.compile(r"\bdomestic exports?\b|\bexports? domestic\b"),
    FOREIGN: re.compile(r"\bforeign exports?\b|\bexports? foreign\b|\bre exports?\b"),
}
IMPORTS, EXPORTS = (GENERAL, CONSUMPTION), (TOTAL_EXPORTS, DOMESTIC, FOREIGN)

# DataWeb data types (normalised: lower case, punctuation as spaces) that name their flow.
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
    "foreign exports": FOREIGN,
    "foreign exports fas value": FOREIGN,
    "foreign fas value": FOREIGN,
}
# Data types that are a value of trade only together with the trade flow: the flows each
# can belong to.
NEEDS_FLOW = {
    "customs value": IMPORTS,
    "fas value": EXPORTS,
    "f a s value": EXPORTS,
    "value": IMPORTS + EXPORTS,
}
# Measures that are not the value of trade korus reads: (pattern on the normalised name, why)
NOT_READ = (
    (
        r"landed duty paid",
        "landed duty-paid value: customs value plus freight, insurance and duties, not the "
        "customs value korus reads for US imports",
    ),
    (
        r"\bcif\b|charges insurance|insurance and freight",
        "CIF value: customs value plus freight and insurance, not the customs value korus "
        "reads for US imports",
    ),
    (r"import charges", "import charges: freight and insurance, not trade"),
    (r"calculated dut|\bduties\b|\bduty\b", "calculated duties: duties, not trade"),
    (r"dutiable", "dutiable value: only the part of imports that pays duty"),
    (r"quantity|weight|\bunits?\b", "a quantity, not a value"),
    (r"\bvessel\b|\bair\b|containeri", "value by mode of transport: a part of the total value"),
    (r"balance", "trade balance: korus computes balances from exports and imports"),
)

_THOUSANDS = re.compile(r"\b(1 ?000|thousands?) (of )?(us |u s )?dollars|\bin thousands\b")
_MILLIONS = re.compile(r"\b(1 ?000 ?000|millions?) (of )?(us |u s )?dollars|\bin millions\b")
_HTS_LABELLED = re.compile(
    r"\bhts\s*(?:numbers?|codes?|items?|subheadings?|headings?|chapters?)?\s*[:#=-]?\s*"
    r"(\d[\d.]*\d)"
)
_HTS_DOTTED = re.compile(r"(?<![\d.])(\d{4}\.\d{2}(?:\.\d{2}){0,2}|\d{4}\.\d{2}\.\d{4})(?![\d.])")
_ALL_GOODS = re.compile(
    r"\ball (commodities|products|goods|merchandise|hts)\b|\btotal all merchandise\b"
)
_HTS_CODE = re.compile(r"^\d{4}\.\d{2}(\.\d{2}(\.\d{2})?|\.\d{4})?$|^\d{2}$|^\d{4}$|^\d{6,10}$")
_TOTAL_LABEL = re.compile(r"^total\s*:?$")
_YEAR_TO_DATE = re.compile(r"year[ _-]*to[ _-]*date|\bytd\b")
# Product code columns, by the classification they hold.
_PRODUCT_COLUMN = re.compile(r"^(hts|sitc|naics|schedule b)(?=\b|\d)")
CLASSIFICATIONS = {"hts": "HTS", "schedule b": "HTS", "sitc": "SITC", "naics": "NAICS"}
# Columns that split a country's figure into parts (a row per district, per program...).
BREAKDOWNS = re.compile(r"^(customs )?district\b|^port\b|\bprogram\b|^rate provision|^state\b")

# Query Parameters: the keys that tell the sheet, and the sections of its steps.
QUERY_KEYS = {
    "download date",
    "trade flow",
    "classification system",
    "data to report",
    "years",
    "timeframe aggregation",
    "country list",
    "country aggregation",
    "commodity list",
    "commodity aggregation",
    "commodity aggregation level",
    "district aggregation",
}
SECTIONS = (
    ("trade flow", "flow"),
    ("classification", "flow"),
    ("data and years", "data"),
    ("year", "data"),
    ("countr", "countries"),
    ("commodit", "commodities"),
    ("program", "programs"),
    ("provision", "provisions"),
    ("district", "districts"),
    ("layout", "layout"),
)
_QUANTITY_UNIT = re.compile(
    r"\b(kilo|kg|tons?|tonnes?|lit(er|re)s?|metric|pounds?|grams?|dozens?|square|cubic|"
    r"quantit|pieces?|barrels?|gallons?)"
)
UNITS = (
    (re.compile(r"\bbillions?\b"), 1e9, "billions"),
    (re.compile(r"\bmillions?\b"), 1e6, "millions"),
    (re.compile(r"\bthousands?\b|\b1 ?000\b"), 1e3, "thousands"),
    (re.compile(r"^(no conversion|none|dollars|us dollars|u s dollars|actual|\$)$"), 1.0, ""),
)


# --------------------------------------------------------------------------- text and names


def _norm(value: object) -> str:
    """Return text in lower case with punctuation as spaces: 'Landed Duty-Paid Value' ->
    'landed duty paid value'."""
    return " ".join(re.sub(r"[^0-9a-z&$]+", " ", _text(value).casefold()).split())


def _text(value: object) -> str:
    """Return a cell as text: a whole float without its '.0', a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _shown(value: object) -> str:
    """Return a cell's text for a message on one line (a cell may hold line breaks)."""
    return " ".join(_text(value).split())


def _flow_named(text: str) -> str | None:
    """Return the one trade flow that ``text`` names, or None (none, or several)."""
    key = _norm(text)
    named = [flow for flow, pattern in TRADE_FLOWS.items() if pattern.search(key)]
    return named[0] if len(named) == 1 else None


def _not_read(name: str) -> str | None:
    """Return why a measure korus does not read is set aside, or None."""
    key = _norm(name)
    for pattern, reason in NOT_READ:
        if re.search(pattern, key):
            return reason
    return None


def _is_measure_name(name: str) -> bool:
    """Return whether a name is one of a DataWeb measure (a value, a quantity, duties...)."""
    key = _norm(name)
    return key in DATA_TYPES or key in NEEDS_FLOW or _not_read(key) is not None


# --------------------------------------------------------------------------- the query


@dataclass
class Query:
    """The file's own description of its query: the Query Parameters, by step."""

    where: str  # "sheet 'Query Parameters'", "the lines above the table"
    entries: dict[str, dict[str, str]] = field(default_factory=dict)  # section -> key -> value

    def get(self, key: str, section: str | None = None) -> str:
        """Return the value of a key (in one section, or the one section that has it)."""
        if section is not None:
            return self.entries.get(section, {}).get(key, "")
        found = [values[key] for values in self.entries.values() if key in values]
        return found[0] if len(found) == 1 else ""

    def __bool__(self) -> bool:
        return any(self.entries.values())


def _query(rows: list[list[object]], where: str) -> Query:
    """Return the Query Parameters in ``rows`` (``key, value`` rows under step titles)."""
    query = Query(where)
    section = ""
    for cells in rows:
        texts = [_text(cell) for cell in cells]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue
        key = _norm(texts[0])
        value = texts[1] if len(texts) > 1 else ""
        if key.startswith("step "):
            section = next((name for word, name in SECTIONS if word in key), key)
            continue
        place = section
        if key == "select type" and not section:
            # Without step titles, a choice says which step it is by its own words.
            place = next((name for word, name in SECTIONS if word in _norm(value)), "")
        if not place:
            # Without step titles, a key says its step by its own words ("Country List").
            place = next((name for word, name in SECTIONS if word in key), "")
        query.entries.setdefault(place, {})[key] = value
    return query


def _is_query_sheet(rows: list[list[object]]) -> bool:
    """Return whether a sheet's rows are Query Parameters (two of their keys at least)."""
    keys = {_norm(row[0]) for row in rows[:HEADER_ROWS] if row}
    return len(keys & QUERY_KEYS) >= 2


def _query_lines(rows: list[list[object]], where: str) -> Query:
    """Return the ``key, value`` lines among the lines above a CSV table, as a query."""
    kept = [row for row in rows if row and _norm(row[0]) in QUERY_KEYS]
    return _query(kept, where)


# --------------------------------------------------------------------------- tables


@dataclass
class Columns:
    """What a table's header says: where each column is and how its periods are laid out."""

    shape: str  # "years", "months", "month columns", "long years", "long months", "quarters"
    data_type: int | None = None
    country: int | None = None
    product: int | None = None
    classification: str = ""
    year: int | None = None
    month: int | None = None
    value: int | None = None
    periods: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    part_year: list[str] = field(default_factory=list)
    breakdown: str | None = None
    value_names: list[int] = field(default_factory=list)

    @property
    def identified(self) -> bool:
        """Whether the header alone shows a DataWeb table (a Data Type or product column)."""
        return self.data_type is not None or self.product is not None

    def figure_columns(self) -> list[int]:
        return [self.value] if self.value is not None else list(self.periods)


SHAPE_WORDS = {
    "years": "a column per year",
    "months": "Year, January..December",
    "month columns": "a column per month",
    "long years": "a row per year",
    "long months": "a row per month",
}


def _columns(cells: list[object]) -> Columns | None:
    """Return the layout of a DataWeb table header, or None when ``cells`` is not one."""
    texts = [_text(cell) for cell in cells]
    names = [_norm(text) for text in texts]
    if not any(names):
        return None
    found = Columns(shape="")
    for index, name in enumerate(names):
        if name == "data type" and found.data_type is None:
            found.data_type = index
        elif name in ("country", "country name", "countries") and found.country is None:
            found.country = index
        elif found.product is None and _PRODUCT_COLUMN.match(name) and "description" not in name:
            found.product = index
            found.classification = CLASSIFICATIONS[_PRODUCT_COLUMN.match(name).group(1)]
        elif name == "year" and found.year is None:
            found.year = index
        elif name == "month" and found.month is None:
            found.month = index
        elif BREAKDOWNS.search(name) and found.breakdown is None:
            found.breakdown = texts[index]
    months = {}
    for index, name in enumerate(names):
        if index in (found.data_type, found.country, found.product, found.year, found.month):
            continue
        text = texts[index]
        if _YEAR.match(text):
            found.periods[index] = (int(text), None)
        elif name in _MONTH:
            months[index] = _MONTH[name]
        elif (match := _MONTH_YEAR.match(name)) and match.group(1) in _MONTH:
            found.periods[index] = (int(match.group(2)), _MONTH[match.group(1)])
        elif (match := _YEAR_MONTH.match(name)) and 1 <= int(match.group(2)) <= 12:
            found.periods[index] = (int(match.group(1)), int(match.group(2)))
        elif _QUARTER.match(name):
            found.shape = "quarters"
        elif _is_measure_name(name):
            found.value_names.append(index)
        elif _ANY_YEAR.search(text) or _YEAR_TO_DATE.search(name):
            found.part_year.append(text)
    if found.data_type is None and found.product is None and found.country is None:
        return None
    if found.shape == "quarters":
        return found
    if found.year is not None and months:
        if sorted(months.values()) != list(range(1, 13)):
            found.shape = "bad months"
        else:
            found.shape = "months"
        found.periods = {index: (0, month) for index, month in months.items()}
    elif found.periods:
        monthly = any(month is not None for _, month in found.periods.values())
        found.shape = "month columns" if monthly else "years"
    elif found.year is not None and found.value_names:
        # The value of trade before any quantity or duty column beside it.
        money = [i for i in found.value_names if names[i] in DATA_TYPES or names[i] in NEEDS_FLOW]
        found.value = (money or found.value_names)[0]
        found.value_names.remove(found.value)
        found.value_names.insert(0, found.value)
        found.shape = "long months" if found.month is not None else "long years"
    else:
        return None
    return found


@dataclass
class Table:
    """One DataWeb table: the rows above its header, its header and its data rows."""

    file: str
    sheet: str | None  # None for a CSV
    above: list[list[object]]  # rows above the header (title, Data Row Count...)
    header_at: int  # line or row number of the header
    header: list[object]
    columns: Columns
    rows: Grid  # the data rows: their line or row numbers, and their cells

    @property
    def line_word(self) -> str:
        return "line" if self.sheet is None else f"sheet {self.sheet!r}, row"

    def line(self, position: int) -> str:
        return f"{self.line_word} {position}"

    def where(self, position: int, index: int) -> str:
        column = _shown(self.header[index]) if index < len(self.header) else ""
        if self.sheet is None:
            return f"line {position}, column {column!r}"
        return f"sheet {self.sheet!r}, cell {excel_column(index)}{position} ({column})"

    @property
    def title(self) -> str:
        return " ".join(
            ",".join(_text(cell) for cell in row if _text(cell)) for row in self.above if row
        )

    def named(self) -> str:
        return "the table" if self.sheet is None else f"sheet {self.sheet!r}"


def _find_header(rows: list[tuple[int, list]], loose: bool) -> int | None:
    """Return the index of the header among ``rows``; ``loose`` also takes a header that
    shows a DataWeb table only together with a Query Parameters sheet."""
    for index, (_, cells) in enumerate(rows[:HEADER_ROWS]):
        columns = _columns(cells)
        if columns is not None and (columns.identified or loose):
            return index
    return None


def _table(file: str, sheet: str | None, rows, found: int, rest: Grid | None = None) -> Table:
    """Return the table whose header is ``rows[found]``: the rows after it, and ``rest``
    (the rows after ``rows``, already a grid), without the blank rows at their end (not
    data, never counted)."""
    position, header = rows[found]
    grid = Grid.of_rows(rows[found + 1 :], text=sheet is None)
    if rest is not None:
        grid = grid.joined(rest)
    grid = grid.head(len(grid) - grid.tail_blank(is_blank_row))
    return Table(
        file,
        sheet,
        [cells for _, cells in rows[:found]],
        position,
        header,
        _columns(header),
        grid,
    )


@dataclass
class Download:
    """What a file holds: its tables, its query and the sheets read and left aside."""

    tables: list[Table]
    query: Query
    container: str  # "workbook" or "CSV"
    sheets: list[str] = field(default_factory=list)
    query_sheet: str | None = None
    left: dict[str, str] = field(default_factory=dict)  # sheet -> why it is left aside


def _csv_download(path: Path) -> Download:
    """Return the one table of a DataWeb CSV and the query lines above it.

    The first lines (where the header is looked for) are read as ``csv.reader`` reads
    them; the rest by Arrow a column at a time, or, where Arrow cannot vouch for reading
    them the same way, by ``csv.reader`` too."""
    name = str(path)
    text = decode(raw_bytes(path), path)
    handle = io.StringIO(text, newline="")
    consumed = 0

    def lines():
        nonlocal consumed
        for line in handle:
            consumed += len(line)
            yield line

    reader = csv.reader(lines())
    rows: list[tuple[int, list]] = []
    rest = None
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
            if len(rows) == HEADER_ROWS:
                break
        found = _find_header(rows, loose=False)
        if found is not None and len(rows) == HEADER_ROWS:
            rest = text_grid(text[consumed:], reader.line_num + 1, csv.field_size_limit())
            if rest is None:
                more = [(reader.line_num, cells) for cells in reader]
                rest = Grid.of_rows(more, text=True)
        if found is None:
            for _ in reader:  # a line csv.reader refuses is said before the missing header
                pass
    except csv.Error as exc:
        raise DataFileError(f"{name}: not readable as CSV ({exc})") from None
    if found is None:
        raise DataFileError(
            f"{name}: no DataWeb table header (Data Type or HTS Number, with year or month "
            f"columns) in the first {HEADER_ROWS} lines"
        )
    table = _table(name, None, rows, found, rest)
    query = _query_lines(table.above, "the lines above the table")
    return Download([table], query, "CSV")


def _xlsx_download(path: Path) -> Download:
    """Return the data sheets of a DataWeb workbook to read, its Query Parameters and the
    sheets left aside; a hidden data sheet is refused unless --sheet chooses the sheet."""
    name = str(path)
    sheets = workbook(path)
    hidden = hidden_sheets(path)
    query_sheets = [sheet for sheet, rows in sheets.items() if _is_query_sheet(rows)]
    if len(query_sheets) > 1:
        raise DataFileError(
            f"{name}: several sheets describe the query ({', '.join(map(repr, query_sheets))}); "
            "korus cannot know which describes the data: keep the one DataWeb wrote"
        )
    query = _query(sheets[query_sheets[0]], f"sheet {query_sheets[0]!r}") if query_sheets else None
    download = Download(
        [],
        query or Query(""),
        "workbook",
        list(sheets),
        query_sheets[0] if query_sheets else None,
    )
    located = []
    for sheet, cells in sheets.items():
        if sheet in query_sheets:
            continue
        rows = list(enumerate(cells, start=1))
        found = _find_header(rows, loose=query is not None)
        if found is None:
            download.left[sheet] = "no DataWeb table"
        else:
            located.append((sheet, rows, found))
    if not located:
        raise DataFileError(
            f"{name}: no sheet holds a DataWeb table (a header with Data Type or HTS Number "
            f"and year or month columns); sheets: {', '.join(map(repr, sheets))}"
        )
    chosen = SHEET.get()
    if chosen is not None:
        if chosen not in sheets:
            raise DataFileError(
                f"{name}: no sheet is named {chosen!r} (sheets: {', '.join(map(repr, sheets))})"
            )
        if chosen not in [sheet for sheet, _, _ in located]:
            raise DataFileError(f"{name}: sheet {chosen!r} does not hold a DataWeb table")
        for sheet, _, _ in located:
            if sheet != chosen:
                download.left[sheet] = "not the sheet chosen with --sheet"
        located = [entry for entry in located if entry[0] == chosen]
    else:
        if any(sheet in hidden for sheet, _, _ in located):
            # Sheets of different measures may stand side by side; a hidden one may be a
            # draft or an old copy: korus does not guess whether its figures are meant.
            candidates = [sheet for sheet, _, _ in located]
            raise DataFileError(sheet_refusal(name, candidates, hidden, "a DataWeb table"))
    download.tables = [_table(name, sheet, rows, found) for sheet, rows, found in located]
    return download


# --------------------------------------------------------------------------- what the query says


def _refuse_parts(query: Query, file: str) -> None:
    """Raise DataFileError where the query holds only a part of US trade, or parts of each
    figure (programs, rate provisions or districts selected or broken out)."""
    parts = (
        ("programs", "use all programs", "import programs"),
        ("provisions", "use all provision codes", "rate provision codes"),
        ("districts", "use all districts", "districts"),
    )
    for section, whole, what in parts:
        values = query.entries.get(section, {})
        choice = values.get("select type", "")
        if choice and _norm(choice) != whole:
            raise DataFileError(
                f"{file}: {query.where} selects {what} ({choice!r}): the figures are only the "
                f"part of US trade under them, not the trade korus compares; download the "
                f"query with all {what}"
            )
        for key, value in values.items():
            if "aggregation" in key and "break out" in _norm(value):
                raise DataFileError(
                    f"{file}: {query.where}: {value!r}: each figure is split into parts by "
                    f"{what}; korus reads one figure per country, product and period: "
                    f"download the query with {what} aggregated"
                )


def _query_flow(query: Query, file: str) -> str | None:
    """Return the measure of the Query Parameters' trade flow, or None where they say none."""
    text = query.get("trade flow")
    if not text:
        return None
    flow = _flow_named(text)
    if flow is None:
        raise DataFileError(
            f"{file}: {query.where}: trade flow {text!r} is not one korus reads (General "
            "Imports, Imports for Consumption, Total Exports, Domestic Exports, Foreign "
            "Exports)"
        )
    return flow


def _unit(table: Table, query: Query, file: str) -> tuple[float, str]:
    """Return the factor to US dollars and its words: from the Query Parameters' units or
    the lines above the table ("In 1,000 Dollars"); dollars where neither says."""
    stated = []
    for key in ("unit conversion", "units", "value units"):
        text = query.get(key)
        if not text:
            continue
        match = next((unit for unit in UNITS if unit[0].search(_norm(text))), None)
        if match is None and _QUANTITY_UNIT.search(_norm(text)):
            continue  # a conversion of quantities, which korus does not read
        if match is None:
            raise DataFileError(
                f"{file}: {query.where}: unit {text!r} is not one korus knows (dollars, "
                "thousands, millions or billions of dollars)"
            )
        stated.append((match[1], match[2], f"{query.where} ({text!r})"))
    title = _norm(table.title)
    if _MILLIONS.search(title):
        stated.append((1e6, "millions", "the lines above the table"))
    elif _THOUSANDS.search(title):
        stated.append((1e3, "thousands", "the lines above the table"))
    if len({factor for factor, _, _ in stated}) > 1:
        said = "; ".join(f"{where}: {words or 'dollars'}" for _, words, where in stated)
        raise DataFileError(
            f"{file}: the file gives two units for its figures ({said}); korus cannot know "
            "which is right"
        )
    if not stated:
        return 1.0, ""
    factor, words, where = stated[0]
    return factor, (f"figures in {words} of US dollars (as {where} says)" if words else "")


# --------------------------------------------------------------------------- reading


def read(path: Path) -> Reading:
    """Return the canonical frame of a DataWeb download (XLSX or CSV) and its row accounting."""
    import pandas as pd

    path = Path(path)
    with open(path, "rb") as probe:
        is_xlsx = probe.read(4) in WORKBOOK_MAGIC  # .xlsx or an old binary .xls
    download = _xlsx_download(path) if is_xlsx else _csv_download(path)
    file = str(path)
    query = download.query
    if query:
        _refuse_parts(query, file)
    accounting = Accounting(file=file, layout=LAYOUT)
    accounting.repeat_hint = (
        "a query broken out by district or port gives a row per part: export it without "
        "breakdowns (one row per country and period)"
    )

    readings = [_read_table(table, query, accounting) for table in download.tables]

    # One measure per flow: the preferred one present; the others' rows are set aside.
    rows_by_measure: dict[str, int] = defaultdict(int)
    tables_of: dict[str, list[TableReading]] = defaultdict(list)
    for reading in readings:
        for measure, count in reading.rows_by_measure.items():
            rows_by_measure[measure] += count
            tables_of[measure].append(reading)
    kept = set()
    for order in PREFERRED.values():
        present = [measure for measure in order if rows_by_measure.get(measure)]
        if present:
            kept.add(present[0])
            for other in present[1:]:
                accounting.set_aside_rows(SET_ASIDE_MEASURE[other], rows_by_measure[other])
    for measure in kept:
        if len(tables_of[measure]) > 1:
            # Two sheets of one measure: never added (korus cannot know which is meant).
            sheets = [reading.table.sheet or "the file" for reading in tables_of[measure]]
            raise DataFileError(sheet_refusal(file, sheets, frozenset(), MEASURES[measure][1]))
    if DOMESTIC in kept:
        accounting.notes.append(
            "exports are domestic exports only (US goods, without re-exports of foreign "
            "goods): lower than the Census's total exports, and kept under their own basis"
        )

    parts = []
    for reading in readings:
        count = sum(reading.rows_by_measure.get(measure, 0) for measure in kept)
        accounting.rows_kept += count
        if count:
            parts.append((reading, _frame(reading, kept), count))
        _note_sheet(reading, kept, download)
    _note_sheets(download, readings, accounting)
    if not parts:
        reasons = "; ".join(f"{n} {reason}" for reason, n in accounting.set_aside.items())
        raise DataFileError(
            f"{file}: the file holds no figure korus reads (set aside: {reasons or 'nothing'})"
        )
    accounting.variant = " / ".join(
        dict.fromkeys(_variant(download, reading) for reading, _, _ in parts)
    )
    vintage = _vintage(pd.concat([frame for _, frame, _ in parts]), query)
    for _, frame, _ in parts:
        frame["vintage"] = vintage
    frame = _settled(parts, accounting)
    frame = sorted_rows(frame, ["partner", "product", "flow", "year", "month"])
    # Each table passed the trust layer on its own (``_settled``); the tables are of
    # different flows, so no figure can be in two of them.
    return Reading(frame.reset_index(drop=True), [accounting], unique=True, settled=True)


def _frame(reading: TableReading, kept: set[str]):
    """Return the figures of a table's kept measures as a frame for the trust layer."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    figures = reading.figures
    frame = pd.DataFrame(
        {
            "line": figures["line"],
            "year": figures["year"],
            "month": pd.array(figures["month"], dtype="Int8"),
            "partner": figures["partner"],
            "measure": figures["measure"],
            "product": figures["product"],
            "value_usd": np.asarray(figures["value"], dtype="float64"),
        }
    )
    chosen = frame["measure"].isin(kept).to_numpy()
    if not chosen.all():
        frame = frame[chosen].reset_index(drop=True)
    measures = Coded.of(pa.array(frame["measure"].array))
    frame["flow"] = measures.map(lambda key: MEASURES[key][0]).strings(slice(None))
    frame["basis"] = measures.map(lambda key: MEASURES[key][1]).strings(slice(None))
    frame["reporter"] = REPORTER
    total = (frame["product"] == "TOTAL").to_numpy()
    kinds = Coded(total.astype(np.int64), [reading.classification, "none"])
    frame["classification"] = kinds.strings(slice(None))
    frame["source"] = SOURCE
    return frame.drop(columns="measure")


def _settled(parts: list[tuple], accounting: Accounting):
    """Return the frames of the tables read, each passed through the trust layer with its
    own places named (a row of one sheet is never called a row of another)."""
    import pandas as pd

    if len(parts) == 1:
        reading, frame, _ = parts[0]
        accounting.line_word = reading.table.line_word
        return trust.settle(Reading(frame, [accounting])).frame
    frames = []
    for reading, frame, count in parts:
        part = Accounting(
            file=accounting.file,
            layout=LAYOUT,
            rows_kept=count,
            line_word=reading.table.line_word,
            repeat_hint=accounting.repeat_hint,
        )
        frames.append(trust.settle(Reading(frame, [part])).frame)
        accounting.rows_kept -= count - part.rows_kept
        for reason, n in part.set_aside.items():
            accounting.set_aside_rows(reason, n)
        accounting.notes.extend(part.notes)
        accounting.warnings.extend(part.warnings)
    return pd.concat(frames, ignore_index=True)


def _vintage(frame, query: Query) -> str:
    """Return the vintage: the last period with a figure, and the download date if said."""
    monthly = frame[frame["month"].notna()]
    if len(monthly):
        last = monthly.sort_values(["year", "month"]).iloc[-1]
        through = f"{int(last['year'])}-{int(last['month']):02d}"
    else:
        through = str(int(frame["year"].max()))
    downloaded = query.get("download date") if query else ""
    if downloaded:
        return f"data through {through}; downloaded from DataWeb {downloaded}"
    return f"data through {through}; release not stated in the file"


def _note_sheet(reading: TableReading, kept: set[str], download: Download) -> None:
    """Record why a sheet none of whose rows is kept is left aside."""
    sheet = reading.table.sheet
    if sheet is None or any(reading.rows_by_measure.get(measure) for measure in kept):
        return
    reasons = [SET_ASIDE_MEASURE[measure] for measure, n in reading.rows_by_measure.items() if n]
    reasons += [reason for reason in reading.reasons if reason]
    download.left[sheet] = "; ".join(dict.fromkeys(reasons)) or "no figure korus reads"


def _note_sheets(download: Download, readings: list, accounting: Accounting) -> None:
    """Record in ``accounting`` the sheets read and left aside, and why each is left."""
    if download.container != "workbook":
        return
    read = {reading.table.sheet for reading in readings if reading.table.sheet not in download.left}
    accounting.sheets_read = [
        sheet for sheet in download.sheets if sheet in read or sheet == download.query_sheet
    ]
    accounting.sheets_left = [sheet for sheet in download.sheets if sheet in download.left]
    if download.query_sheet is not None:
        accounting.notes.append(
            f"sheet {download.query_sheet!r} read as the file's description of its query: "
            f"{_describe(download.query)}"
        )
    for sheet in accounting.sheets_left:
        accounting.notes.append(f"sheet {sheet!r} left aside: {download.left[sheet]}")


def _describe(query: Query) -> str:
    """Return what the Query Parameters say of the data, in a line."""
    countries_chosen = query.entries.get("countries", {})
    commodities = query.entries.get("commodities", {})
    years = ", ".join(
        text for text in (query.get("years"), query.get("timeframe aggregation")) if text
    )
    country = countries_chosen.get("country list") or countries_chosen.get("countries", "")
    if "all" in _norm(countries_chosen.get("select type", "")) or not country:
        country = countries_chosen.get("select type", "")
    commodity = commodities.get("commodity list") or commodities.get("commodities", "")
    if "all" in _norm(commodities.get("select type", "")) or not commodity:
        commodity = commodities.get("select type", "")
    level = commodities.get("commodity aggregation level", "")
    if level and "break out" in _norm(commodities.get("commodity aggregation", "")):
        commodity += f", broken out at {level} digits"
    said = [
        query.get("trade flow"),
        query.get("classification system"),
        query.get("data to report"),
        f"years {years}" if years else "",
        f"countries: {country}" if country else "",
        f"commodities: {commodity}" if commodity else "",
    ]
    return "; ".join(text for text in said if text) or "nothing korus reads"


def _variant(download: Download, reading: TableReading) -> str:
    """Return the variant of a table as ``korus inspect`` shows it."""
    container = download.container
    if download.query_sheet is not None:
        container += " with Query Parameters"
    elif download.query:
        container += " with query lines"
    parts = [SHAPE_WORDS[reading.table.columns.shape], reading.product_words, reading.partner_words]
    return f"{container}: {'; '.join(parts)}"


@dataclass
class TableReading:
    """The figures of one table, before the file's measures are chosen."""

    table: Table
    classification: str = "HTS"
    # Column by column: year, month, partner, measure, product, value, line.
    figures: dict[str, list] = field(
        default_factory=lambda: {
            name: [] for name in ("year", "month", "partner", "measure", "product", "value", "line")
        }
    )
    rows_by_measure: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reasons: list[str] = field(default_factory=list)  # why rows of measures not read
    product_words: str = ""
    partner_words: str = ""


def _read_table(table: Table, query: Query, accounting: Accounting) -> TableReading:
    """Return the figures of one table; every row is counted in ``accounting``."""
    import numpy as np

    file = table.file
    columns = table.columns
    result = TableReading(table)
    if columns.shape == "quarters":
        raise DataFileError(
            f"{file}: {table.line(table.header_at)}: the table is quarterly; korus reads "
            "DataWeb monthly or annual data: export the query with monthly or annual periods"
        )
    if columns.shape == "bad months":
        months = sorted(_MONTH[_norm(cell)] for cell in table.header if _norm(cell) in _MONTH)
        raise DataFileError(
            f"{file}: {table.line(table.header_at)}: the header has months {months}, not "
            "January to December once each"
        )
    if columns.breakdown is not None:
        raise DataFileError(
            f"{file}: {table.line(table.header_at)}: the table is broken out by "
            f"{columns.breakdown!r}: each row is a part of a country's figure; korus reads one "
            "figure per country, product and period: download the query with it aggregated"
        )
    if columns.part_year:
        accounting.notes.append(
            f"columns {columns.part_year} hold part-year (year-to-date) figures: not read (a "
            "part of a year is never a year)"
        )
    _check_timeframe(table, query)
    unit, unit_words = _unit(table, query, file)
    if unit_words and unit_words not in accounting.notes:
        accounting.notes.append(unit_words)
    flow = _table_flow(table, query)
    year_to_date = _year_to_date(table, query)
    table_measure = None
    if columns.data_type is None:
        table_measure = _table_measure(table, query, flow)
    if columns.value is not None:
        for index in columns.value_names[1:]:
            accounting.notes.append(
                f"{table.named()}: column {_text(table.header[index])!r} not read: "
                f"{_not_read(_text(table.header[index])) or 'a second measure'}"
            )
    product, result.classification = _table_product(table, query, result, accounting)
    partner = _table_partner(table, query, result)

    context = _Context(
        table, query, flow, table_measure, year_to_date, partner, product, result, unit
    )
    grid = table.rows
    accounting.rows_read += len(grid)
    rows = _TableRows(context)
    for at in np.flatnonzero(rows.unsure()):
        rows.put(int(at), _exact_row(context, int(at)))
    rows.account(accounting)
    _check_footers(context, rows, accounting)
    data = (rows.stage != BLANK) & (rows.stage != TOTAL_ROW)
    _check_row_count(table, int(np.count_nonzero(data)), accounting)
    entries = _entries_of(rows)
    result.figures = entries
    if table.columns.country is not None:
        _check_world(entries, accounting)
    return result


@dataclass
class _Context:
    """What every row of a table is read with: the table and what its query and title say."""

    table: Table
    query: Query
    flow: str | None
    table_measure: tuple | None
    year_to_date: bool
    partner: str | None  # the partner of every row, where no Country column gives it
    product: str | None  # the product of every row, where no product column gives it
    result: TableReading
    unit: float

    @property
    def figure_columns(self) -> list[int]:
        return self.table.columns.figure_columns()

    @property
    def label_columns(self) -> list[int]:
        columns = self.table.columns
        return sorted({0, columns.data_type, columns.country} - {None})

    @property
    def set_aside_years(self) -> bool:
        return self.year_to_date and self.table.columns.shape == "years"


@dataclass
class _Outcome:
    """One row as the rules a row at a time read it."""

    stage: int  # BLANK, TOTAL_ROW... READ (see _TableRows)
    aside: str | None = None  # why the row is set aside
    figures: dict = field(default_factory=dict)  # figure column -> value as written
    measure: str | None = None
    partner: str | None = None
    product: str | None = None
    entries: list = field(default_factory=list)  # (year, month or None, US dollars)


def _exact_row(context: _Context, at: int) -> _Outcome:
    """Return one row read by the rules a row at a time, or raise its error: for the rows
    whose cells the column-wise reading cannot vouch for."""
    table, columns = context.table, context.table.columns
    position, row = int(table.rows.positions[at]), table.rows.row(at)

    def cell(row: list, index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else ""

    if is_blank_row(row):
        return _Outcome(BLANK, "blank line")
    if any(_is_total_label(cell(row, index)) for index in context.label_columns):
        for index in context.figure_columns:
            _number(table, position, index, cell(row, index))
        return _Outcome(TOTAL_ROW, _TOTAL_ROW)
    figures: dict[int, float] = {}
    for index in context.figure_columns:
        value = _number(table, position, index, cell(row, index))
        if value is not None:
            figures[index] = value
    outcome = _Outcome(READ, figures=figures)
    if columns.data_type is not None:
        type_text = _text(cell(row, columns.data_type))
        if not type_text:
            raise DataFileError(
                f"{table.file}: {table.where(position, columns.data_type)}: empty data type"
            )
        measure, reason = _measure(
            type_text, context.flow, file=table.file, where=table.where(position, columns.data_type)
        )
    else:
        measure, reason = context.table_measure
    if measure is None:
        outcome.stage, outcome.aside = UNREAD_MEASURE, reason
        return outcome
    if context.set_aside_years:
        outcome.stage, outcome.aside = YEAR_TO_DATE, _YEAR_TO_DATE_ROWS
        return outcome
    partner = context.partner
    if partner is None:
        partner = _row_partner(table, position, cell(row, columns.country))
    if partner is None:
        outcome.stage, outcome.aside = UNKNOWN_COUNTRY, _unknown_country(cell(row, columns.country))
        return outcome
    product = context.product
    if product is None:
        product = _row_product(
            table,
            position,
            cell(row, columns.product),
            context.result.classification,
            context.query,
        )
    scaled = {index: value * context.unit for index, value in figures.items()}
    entries = _entries(table, position, row, scaled, cell, {})
    if not entries:
        outcome.stage, outcome.aside = NO_FIGURES, _NO_FIGURES
        return outcome
    outcome.measure, outcome.partner, outcome.product = measure, partner, product
    outcome.entries = entries
    return outcome


_TOTAL_ROW = "Total: row (the sum of the rows above, not a country)"
_YEAR_TO_DATE_ROWS = "year-to-date figures (a part of each year: not a whole year, not a month)"
_NO_FIGURES = "no figures (every period cell is blank)"


def _unknown_country(value: object) -> str:
    return f"country not known to korus ({_shown(value)})"


class _TableRows:
    """The rows of a table read a column at a time: whether each is blank, a Total: row or
    data; each data row's figures, measure, partner and product, each distinct cell worked
    out once; the rows whose cells this cannot vouch for are read by ``_exact_row``."""

    def __init__(self, context: _Context):
        import numpy as np

        self.context = context
        table, columns = context.table, context.table.columns
        grid = table.rows
        count = self.count = len(grid)
        self.exact: dict[int, _Outcome] = {}

        known: dict[int | None, Coded] = {}

        def coded(index: int | None) -> Coded:
            if index not in known:
                known[index] = coded_cells(grid.column(index), count)
            return known[index]

        blank, filled = _blank_rows(grid)
        self.unsure_blank = ~blank & ~filled
        total = np.zeros(count, dtype=bool)
        for index in context.label_columns:
            total |= coded(index).map(_is_total_label).array(bool)
        self.stage = np.where(blank, BLANK, np.where(total, TOTAL_ROW, READ))
        self.figures = {
            index: _figure_cells(grid.column(index), count) for index in context.figure_columns
        }
        if columns.data_type is not None:
            self.measure = coded(columns.data_type).map(lambda cell: _measure_of(cell, context))
        else:
            self.measure = Coded.constant(context.table_measure, count)
        if context.partner is not None:
            self.partner = Coded.constant((context.partner, ""), count)
        else:
            self.partner = coded(columns.country).map(_partner_of)
        if context.product is not None:
            self.product = Coded.constant(context.product, count)
        else:
            self.product = coded(columns.product).map(lambda cell: _product_of(cell, context))
        self.year = self.month = None
        if columns.shape not in ("years", "month columns"):
            self.year = coded(columns.year).map(_year_value)
        if columns.shape == "long months":
            self.month = coded(columns.month).map(_month_value)
        # Each data row's stage: the first reason to set it aside, else READ.
        present = self.present()
        measure = _holds(self.measure, lambda found: found[0] is not None)
        partner = _holds(self.partner, lambda found: found[0] is not None)
        data = self.stage == READ
        self.stage[data & ~measure] = UNREAD_MEASURE
        if context.set_aside_years:
            self.stage[data & measure] = YEAR_TO_DATE
        self.stage[(self.stage == READ) & ~partner] = UNKNOWN_COUNTRY
        self.stage[(self.stage == READ) & ~present] = NO_FIGURES

    def present(self):
        """Return which rows have a figure in some period."""
        import numpy as np

        present = np.zeros(self.count, dtype=bool)
        for _, there, _ in self.figures.values():
            present |= there
        return present

    def unsure(self):
        """Return the rows to read by the exact rules: a cell not vouched for, or one that
        would raise an error where the row is read."""
        import numpy as np

        figures_unsure = np.zeros(self.count, dtype=bool)
        for _, _, sure in self.figures.values():
            figures_unsure |= ~sure
        stage = self.stage
        wrong = ~_holds(self.measure, None) & (stage == UNREAD_MEASURE)
        reached = stage >= UNKNOWN_COUNTRY  # past the measure: the partner is read
        wrong |= reached & ~_holds(self.partner, None)
        reached = stage >= NO_FIGURES  # a known partner: the product is read
        wrong |= reached & ~_holds(self.product, None)
        reached = stage == READ  # figures: the period is read
        if self.year is not None:
            wrong |= reached & ~_holds(self.year, None)
        if self.month is not None:
            wrong |= reached & ~_holds(self.month, None)
        return self.unsure_blank | ((stage != BLANK) & figures_unsure) | wrong

    def put(self, at: int, outcome: _Outcome) -> None:
        """Take what the exact rules read of a row."""
        self.exact[at] = outcome
        self.stage[at] = outcome.stage
        for index, (values, there, sure) in self.figures.items():
            value = outcome.figures.get(index)
            values[at] = 0.0 if value is None else value
            there[at] = value is not None
            sure[at] = True

    def account(self, accounting: Accounting) -> None:
        """Count every row: set aside with its reason (in the order the reasons first come),
        or read under its measure."""
        import numpy as np

        stage, result = self.stage, self.context.result
        labels = np.full(self.count, None, dtype=object)
        labels[stage == BLANK] = "blank line"
        labels[stage == TOTAL_ROW] = _TOTAL_ROW
        reasons = self.measure.map(lambda found: found[1] if found else None).array()
        labels[stage == UNREAD_MEASURE] = reasons[stage == UNREAD_MEASURE]
        labels[stage == YEAR_TO_DATE] = _YEAR_TO_DATE_ROWS
        countries_said = self.partner.map(lambda found: found[1] if found else None).array()
        labels[stage == UNKNOWN_COUNTRY] = countries_said[stage == UNKNOWN_COUNTRY]
        labels[stage == NO_FIGURES] = _NO_FIGURES
        measures = self.measure.map(lambda found: found[0] if found else None)
        for at, outcome in self.exact.items():
            labels[at] = outcome.aside
            if outcome.stage == READ:
                measures.put(at, outcome.measure)
        for reason, n in ordered_counts(labels[stage != READ]):
            accounting.set_aside_rows(reason, n)
        unread = labels[stage == UNREAD_MEASURE]
        result.reasons.extend(reason for reason, _ in ordered_counts(unread) if reason)
        self.read = np.flatnonzero(stage == READ)
        for measure, n in counts_in_order(measures, self.read):
            result.rows_by_measure[measure] += n


# Where a row ends: the first reason to set it aside, in the order the rules ask.
BLANK, TOTAL_ROW, UNREAD_MEASURE, YEAR_TO_DATE, UNKNOWN_COUNTRY, NO_FIGURES, READ = range(7)


def _holds(coded: Coded, test):
    """Return, for each row, whether its worked-out value is there (not None: no error)
    and passes ``test``."""
    if test is None:
        return coded.map(lambda found: found is not None).array(bool)
    return coded.map(lambda found: found is not None and bool(test(found))).array(bool)


def _blank_rows(grid: Grid):
    """Return (surely blank, surely not blank) for each row of a grid: a row is blank where
    every cell is; a cell with a visible ASCII character is not blank, an empty one is,
    and any other is left to the exact rules (Python's idea of white space)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    count = len(grid)
    blank, filled = np.ones(count, dtype=bool), np.zeros(count, dtype=bool)
    undecided = np.arange(count)
    for column in grid.columns:
        if not len(undecided):
            break
        cells = column if len(undecided) == count else None
        if is_text(column):
            if cells is None:
                cells = column.take(pa.array(undecided))
            empty = np.asarray(pc.equal(pc.binary_length(cells), 0).to_numpy(False), bool)
            seen = np.asarray(pc.match_substring_regex(cells, "[!-~]").to_numpy(False), bool)
        else:
            cells = column[undecided]
            empty = coded_cells(cells, len(cells)).map(lambda cell: is_blank_row([cell]))
            empty = empty.array(bool)
            seen = ~empty
        blank[undecided] &= empty
        filled[undecided] |= seen
        undecided = undecided[~seen]
    # Rows decided early (a visible cell) are not blank, whatever their other cells.
    blank &= ~filled
    return blank, filled


def _figure_cells(column, count: int):
    """Return (values as written, there, sure) of a figure column: ``there`` where a cell
    holds a figure, ``sure`` where the column-wise reading vouches for what ``_number``
    reads of the cell (a blank is no figure; "1,234.00" is 1234.0)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if column is None:
        return np.zeros(count), np.zeros(count, dtype=bool), np.ones(count, dtype=bool)
    if is_text(column):
        empty = np.asarray(
            pc.equal(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False), dtype=bool
        )
        cleaned = pc.replace_substring(column, ",", "")
        plain = pc.and_(
            pc.match_substring_regex(column, r"^[0-9.,\-]+$"),
            pc.match_substring_regex(cleaned, r"^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$"),
        )
        values = pc.cast(pc.if_else(plain, cleaned, "0"), pa.float64())
        values = np.array(values.to_numpy(zero_copy_only=False), dtype="float64")
        there = np.array(plain.to_numpy(zero_copy_only=False), dtype=bool)
        there &= np.isfinite(values)
        return values, there, there | empty
    if set(map(type, column)) <= {float, int}:
        values = np.asarray(column, dtype="float64")
        return values, np.ones(count, dtype=bool), np.ones(count, dtype=bool)
    found = coded_cells(column, count).map(_figure)
    values = found.map(lambda value: value if isinstance(value, float) else 0.0).array("float64")
    there = found.map(lambda value: isinstance(value, float)).array(bool)
    sure = found.map(lambda value: value is not _BAD).array(bool)
    return values, there, sure


def _measure_of(cell: object, context: _Context):
    """Return (measure, reason) of a Data Type cell, or None where reading it is an error."""
    text = _text(cell)
    if not text:
        return None
    try:
        return _measure(text, context.flow, file=context.table.file, where="")
    except DataFileError:
        return None


def _partner_of(cell: object):
    """Return (korus code, "") of a Country cell, (None, why it is set aside) for a name
    korus does not know, or None where reading it is an error."""
    text = _text(cell)
    if not text:
        return None
    try:
        return countries.resolve(text).code, ""
    except UnknownCountryError:
        return None, _unknown_country(cell)
    except Exception:  # noqa: BLE001 -- the exact rules raise it, at its row
        return None


def _product_of(cell: object, context: _Context) -> str | None:
    """Return the product of a product cell, or None where reading it is an error."""
    try:
        return _row_product(context.table, 0, cell, context.result.classification, context.query)
    except Exception:  # noqa: BLE001 -- the exact rules raise it, at its row
        return None


def _year_value(cell: object) -> int | None:
    text = _text(cell)
    try:
        return int(text) if _YEAR.match(text) else None
    except ValueError:
        return None


def _month_value(cell: object) -> int | None:
    text = _norm(cell)
    if text in _MONTH:
        return _MONTH[text]
    try:
        return int(text) if text.isdigit() and 1 <= int(text) <= 12 else None
    except ValueError:
        return None


def _entries_of(rows: _TableRows) -> dict:
    """Return the figures of the rows read, as columns, in the rows' order (a row's
    periods in the order of its columns)."""
    import numpy as np
    import pandas as pd

    context = rows.context
    columns = context.table.columns
    read = rows.read
    vector = read[~np.isin(read, list(rows.exact))]
    at, sub, years, months, values = [], [], [], [], []

    def add(where, order, year, month, value) -> None:
        at.append(where)
        sub.append(np.full(len(where), order, dtype=np.int64))
        years.append(np.broadcast_to(np.asarray(year, dtype=np.int64), len(where)))
        months.append(np.broadcast_to(np.asarray(month, dtype=np.int64), len(where)))
        values.append(value * context.unit)

    year_of = None
    if rows.year is not None:
        year_of = rows.year.map(lambda found: found or 0).array(np.int64)
    for order, index in enumerate(context.figure_columns):
        figures, there, _ = rows.figures[index]
        where = vector[there[vector]]
        if columns.shape in ("years", "month columns"):
            year, month = columns.periods[index]
        else:
            year = year_of[where]
            month = columns.periods[index][1] if columns.shape == "months" else None
        if columns.shape == "long months":
            month = rows.month.map(lambda found: found or 0).array(np.int64)[where]
        add(where, order, year, -1 if month is None else month, figures[where])
    for row, outcome in rows.exact.items():
        if outcome.stage != READ:
            continue
        for order, (year, month, value) in enumerate(outcome.entries):
            at.append(np.array([row]))
            sub.append(np.array([order]))
            years.append(np.array([year]))
            months.append(np.array([-1 if month is None else month]))
            values.append(np.array([value], dtype="float64"))
    row = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.concatenate(sub), row)) if len(row) else row
    row = row[order]
    month = np.concatenate(months)[order] if at else row
    partners = rows.partner.map(lambda found: found[0] if found else "")
    products = rows.product.map(lambda found: found or "")
    measures = rows.measure.map(lambda found: found[0] if found and found[0] else "")
    for where, outcome in rows.exact.items():
        if outcome.stage == READ:
            partners.put(where, outcome.partner)
            products.put(where, outcome.product)
            measures.put(where, outcome.measure)
    return {
        "year": np.concatenate(years)[order] if at else row,
        "month": pd.arrays.IntegerArray(np.where(month < 0, 0, month).astype("int8"), month < 0),
        "partner": partners.strings(row),
        "measure": measures.strings(row),
        "product": products.strings(row),
        "value": np.concatenate(values)[order] if at else np.zeros(0),
        "line": context.table.rows.positions[row],
    }


def _check_footers(context: _Context, rows: _TableRows, accounting: Accounting) -> None:
    """Note whether each Total: row equals the sum of the rows above it (since the last)."""
    import numpy as np

    footers = np.flatnonzero(rows.stage == TOTAL_ROW)
    if not len(footers):
        return
    table = context.table
    data = (rows.stage != BLANK) & (rows.stage != TOTAL_ROW)
    segment = np.cumsum(rows.stage == TOTAL_ROW) - (rows.stage == TOTAL_ROW)
    sums = {}
    for index, (values, there, _) in rows.figures.items():
        weights = np.where(there & data, values, 0.0)
        sums[index] = np.bincount(segment, weights=weights, minlength=len(footers) + 1)
    for number, at in enumerate(footers):
        above = {index: float(found[number]) for index, found in sums.items()}
        row = table.rows.row(int(at))
        _check_footer(
            table, int(table.rows.positions[at]), row, context.figure_columns, above, accounting
        )


def _entries(table: Table, position: int, row: list, figures: dict, cell, years_read) -> list:
    """Return a row's figures as (year, month or None, value); ``years_read`` keeps the
    years of the Year column's cells already read."""
    columns = table.columns
    if columns.shape in ("years", "month columns"):
        return [(*columns.periods[index], value) for index, value in figures.items()]
    if not figures:
        return []
    given = cell(row, columns.year)
    if given not in years_read:
        text = _text(given)
        if not _YEAR.match(text):
            raise DataFileError(
                f"{table.file}: {table.where(position, columns.year)}: year {text!r} is not a "
                "year of four digits"
            )
        years_read[given] = int(text)
    year = years_read[given]
    if columns.shape == "months":
        return [(year, columns.periods[index][1], value) for index, value in figures.items()]
    if columns.shape == "long years":
        return [(year, None, figures[columns.value])]
    return [(year, _month(table, position, cell(row, columns.month)), figures[columns.value])]


def _is_total_label(value: object) -> bool:
    """Return whether a cell labels a Total: row ("Total:", "Total: ", "TOTAL")."""
    return (
        type(value) is str
        and value[:5].casefold() == "total"
        and bool(_TOTAL_LABEL.match(value.strip().casefold()))
    )


def _month(table: Table, position: int, value: object) -> int:
    """Return the month of a Month cell (a name or 1..12); anything else is an error."""
    text = _norm(value)
    if text in _MONTH:
        return _MONTH[text]
    if is_digits(text) and 1 <= int(text) <= 12:
        return int(text)
    raise DataFileError(
        f"{table.file}: {table.where(position, table.columns.month)}: month {_text(value)!r} "
        "is not a month (January..December or 1..12)"
    )


def _check_timeframe(table: Table, query: Query) -> None:
    """Raise DataFileError where the Query Parameters' timeframe contradicts the table."""
    said = _norm(query.get("timeframe aggregation")) if query else ""
    if not said:
        return
    shape = table.columns.shape
    monthly = shape in ("months", "month columns", "long months")
    if ("annual" in said and monthly) or ("month" in said and not monthly):
        raise DataFileError(
            f"{table.file}: {query.where} says the timeframe is "
            f"{query.get('timeframe aggregation')!r} but {table.named()} has "
            f"{SHAPE_WORDS[shape]}: the file contradicts itself; download it again"
        )
    if "quarter" in said:
        raise DataFileError(
            f"{table.file}: {query.where}: the timeframe is quarterly; korus reads DataWeb "
            "monthly or annual data: download the query with monthly or annual periods"
        )


def _year_to_date(table: Table, query: Query) -> bool:
    """Return whether the table's year columns are parts of years (year to date)."""
    choice = _norm(query.get("select type", "data")) if query else ""
    if choice:
        if _YEAR_TO_DATE.search(choice):
            return True
        if "full year" not in choice and table.columns.shape in ("years", "long years"):
            raise DataFileError(
                f"{table.file}: {query.where} selects the years as "
                f"{query.get('select type', 'data')!r}: its year figures may be parts of "
                "years; download full years, or monthly data"
            )
        return False
    title = table.title.casefold()
    if table.columns.part_year or not _YEAR_TO_DATE.search(title):
        return False
    return "annual" not in title


def _table_flow(table: Table, query: Query) -> str | None:
    """Return the trade flow the table's title and the Query Parameters name (they must
    agree), or None where neither does."""
    from_title = _flow_named(table.title)
    from_query = _query_flow(query, table.file) if query else None
    if from_title and from_query and from_title != from_query:
        raise DataFileError(
            f"{table.file}: {query.where} gives trade flow {FLOW_NAMES[from_query]!r} but "
            f"{table.named()} says {FLOW_NAMES[from_title]!r}: the file contradicts itself; "
            "download it again"
        )
    return from_query or from_title


def _measure(text: str, flow: str | None, *, file: str, where: str):
    """Return (measure, None) for a value korus keeps, or (None, reason) to set it aside."""
    key = _norm(text)
    named = DATA_TYPES.get(key)
    if named is not None:
        if flow is not None and flow != named:
            raise DataFileError(
                f"{file}: {where}: data type {text!r} is {FLOW_NAMES[named]} but the file's "
                f"trade flow is {FLOW_NAMES[flow]}: the file contradicts itself; download it "
                "again"
            )
        return named, None
    if key in NEEDS_FLOW:
        choices = NEEDS_FLOW[key]
        if flow in choices:
            return flow, None
        if flow is not None:
            raise DataFileError(
                f"{file}: {where}: data type {text!r} is not a measure of "
                f"{FLOW_NAMES[flow]}: the file contradicts itself; download it again"
            )
        names = " or ".join(FLOW_NAMES[choice].casefold() for choice in choices)
        raise DataFileError(
            f"{file}: {where}: data type {text!r} does not say which trade flow it is "
            f"({names}) and nothing else in the file does; download the query with its Query "
            f"Parameters sheet, or add the trade flow (e.g. '{FLOW_NAMES[choices[0]]}') above "
            "the header"
        )
    reason = _not_read(key)
    if reason is not None:
        return None, reason
    raise DataFileError(
        f"{file}: {where}: unknown DataWeb data type {text!r}; korus reads customs values of "
        "imports and F.A.S. values of exports, and sets aside duties, CIF and landed "
        "duty-paid values and quantities"
    )


def _table_measure(table: Table, query: Query, flow: str | None):
    """Return the measure of a table without a Data Type column: from its value column's
    name, its sheet's name, the Query Parameters' data to report or its title."""
    columns = table.columns
    where = table.named()
    names = []
    if columns.value is not None:
        names.append(
            (_text(table.header[columns.value]), table.where(table.header_at, columns.value))
        )
    if table.sheet is not None and _is_measure_name(table.sheet):
        names.append((table.sheet, f"sheet {table.sheet!r}"))
    reported = [part for part in query.get("data to report").split(",") if part.strip()]
    if len(reported) == 1:
        names.append((reported[0].strip(), f"{query.where}, data to report"))
    for text, place in names:
        if _norm(text) != "value" or flow is not None:
            return _measure(text, flow, file=table.file, where=place)
    title = _norm(table.title)
    for key, measure in DATA_TYPES.items():
        if re.search(rf"\b{key}\b", title):
            return measure, None
    if flow is not None:
        return flow, None
    reason = _not_read(title)
    if reason is not None:
        return None, reason
    raise DataFileError(
        f"{table.file}: {where} has no Data Type column and nothing in the file says what its "
        "figures are; download the query with its Query Parameters sheet, or add a line "
        "such as 'General Imports' or 'Total Exports' above the header"
    )


# --------------------------------------------------------------------------- products


def _table_product(table: Table, query: Query, result: TableReading, accounting: Accounting):
    """Return (the product of every row, or None where a column gives it; classification),
    and say in ``accounting`` what goods the file covers."""
    file = table.file
    columns = table.columns
    system = _norm(query.get("classification system")) if query else ""
    said = next((name for word, name in CLASSIFICATIONS.items() if system.startswith(word)), "")
    if system and not said:
        raise DataFileError(
            f"{file}: {query.where}: classification system {query.get('classification system')!r}"
            " is not one korus reads (HTS items, SITC, NAICS)"
        )
    commodities = query.entries.get("commodities", {}) if query else {}
    choice = _norm(commodities.get("select type", ""))
    given = commodities.get("commodity list") or commodities.get("commodities", "")
    listed = [code.strip() for code in given.split(",") if code.strip()]
    level = commodities.get("commodity aggregation level", "").strip()
    if columns.product is not None:
        kind = columns.classification
        if said and said != kind:
            raise DataFileError(
                f"{file}: {query.where} gives classification "
                f"{query.get('classification system')!r} but {table.named()} has a "
                f"{_text(table.header[columns.product])!r} column: the file contradicts itself"
            )
        result.product_words = f"by {kind} number"
        if "use all" in choice:
            digits = f"{level}-digit " if level.isdigit() else ""
            what = "chapter" if level == "2" and kind == "HTS" else f"{digits}{kind} code"
            _coverage(accounting, f"all goods, by {what}", query.where)
        elif listed:
            _coverage(accounting, f"{kind} {', '.join(listed)}", query.where, part=True)
        else:
            _coverage(
                accounting,
                f"the {kind} codes in the file; it does not say whether they are all goods",
                "",
            )
        return None, kind
    kind = said or "HTS"
    if query and (choice or listed):
        if "break out" in _norm(commodities.get("commodity aggregation", "")):
            raise DataFileError(
                f"{file}: {query.where} breaks the commodities out but {table.named()} has no "
                "product column: the file contradicts itself; download it again"
            )
        if "use all" in choice:
            code, where = "TOTAL", query.where
        elif len(listed) == 1:
            code, where = _code(listed[0], kind, file=file, where=query.where), query.where
        else:
            raise DataFileError(
                f"{file}: the figures are the sum of several commodities ({_shown(given)}) "
                f"and {table.named()} has no product column: no one product korus can name; "
                "download the query with the commodities broken out"
            )
    else:
        code, where, kind = _title_product(table), "the lines above the table", "HTS"
        if code is None:
            described = f"no commodity in {query.where}" if query else "no Query Parameters"
            raise DataFileError(
                f"{file}: the file does not say which product its figures are for: no HTS "
                f"Number column, {described} and no HTS code above the table (a file's name "
                "is never taken for its content); download the query with its Query "
                "Parameters sheet, or broken out by HTS number"
            )
    if code == "TOTAL":
        result.product_words = f"no product column, all goods from {where}"
        _coverage(accounting, "all goods, one total", where)
    else:
        result.product_words = f"no product column, {kind} {code} from {where}"
        _coverage(accounting, f"{kind} {code}", where, part=True)
    return code, kind


def _coverage(accounting: Accounting, what: str, where: str, part: bool = False) -> None:
    """Note the goods a file covers (as ``where`` says); a part of all goods is also said on
    every command, for any total korus gives from the file is a total of that part only."""
    said = f" ({where})" if where else ""
    note = f"coverage: {what}" + (", not all goods" if part else "") + said
    if note in accounting.notes:
        return
    accounting.notes.append(note)
    if part:
        accounting.warnings.append(
            f"the file covers {what} only, not all goods: any total korus gives from it is a "
            "total of those goods"
        )


def _title_product(table: Table) -> str | None:
    """Return the product the lines above a table name ('HTS 3304.99', 'All Commodities')."""
    text = table.title
    lowered = text.casefold()
    codes = {match.group(1).rstrip(".") for match in _HTS_LABELLED.finditer(lowered)}
    codes |= set(_HTS_DOTTED.findall(text))
    digits = {_hts(code, file=table.file, where="the lines above the table") for code in codes}
    if len(digits) > 1:
        raise DataFileError(
            f"{table.file}: the lines above the table name several HTS codes "
            f"({', '.join(sorted(digits))}) and the table has no HTS Number column, so "
            "korus cannot tell which figures are which; export the data broken out by HTS "
            "number"
        )
    if digits:
        return digits.pop()
    if _ALL_GOODS.search(lowered):
        return "TOTAL"
    return None


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


def _code(text: str, classification: str, *, file: str, where: str) -> str:
    """Return a product code as text, checked for its classification."""
    if classification == "HTS":
        return _hts(text, file=file, where=where)
    if not is_digits(text, *range(1, 7)):
        raise DataFileError(
            f"{file}: {where}: {classification} code {text!r} is not a code of digits"
        )
    return text


def _row_product(table: Table, position: int, value: object, classification, query) -> str:
    """Return a row's product code as text at the level the file gives."""
    where = table.where(position, table.columns.product)
    level = ""
    if query:
        level = query.entries.get("commodities", {}).get("commodity aggregation level", "")
    level = level.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A code stored as a number has lost its leading zeros; they come back only where
        # the query says how many digits each code has.
        if not (float(value).is_integer() and is_digits(level)):
            raise DataFileError(
                f"{table.file}: {where}: {classification} number {_text(value)!r} is stored "
                "as a number: a leading or trailing zero may be lost and korus does not guess "
                "it; keep the column as text"
            )
        text = code_text(value, int(level), file=table.file, where=where)
    else:
        text = _text(value)
    if _norm(text) in ("total", "all", "all commodities", "total all merchandise"):
        return "TOTAL"
    code = _code(text, classification, file=table.file, where=where)
    if is_digits(level) and len(code) != int(level):
        raise DataFileError(
            f"{table.file}: {where}: {classification} number {text!r} has {len(code)} digits "
            f"but {query.where} says the commodities are broken out at {level}: the file "
            "contradicts itself"
        )
    return code


# --------------------------------------------------------------------------- partners


def _table_partner(table: Table, query: Query, result: TableReading) -> str | None:
    """Return the partner of every row of a table without a Country column (from the Query
    Parameters), or None where the column gives it."""
    file = table.file
    chosen = query.entries.get("countries", {}) if query else {}
    if table.columns.country is not None:
        result.partner_words = "by country"
        return None
    if not chosen:
        raise DataFileError(
            f"{file}: the file does not say which country its figures are for: no Country "
            "column and no Query Parameters naming the countries; download the query with "
            "its Query Parameters sheet, or with the countries broken out"
        )
    if "break out" in _norm(chosen.get("country aggregation", "")):
        raise DataFileError(
            f"{file}: {query.where} breaks the countries out but {table.named()} has no "
            "Country column: the file contradicts itself; download it again"
        )
    choice = _norm(chosen.get("select type", ""))
    text = (chosen.get("country list") or chosen.get("countries", "")).strip()
    if "all countries" in choice or _norm(text) in ("all countries", "world"):
        result.partner_words = f"no country column, all countries (WLD) from {query.where}"
        return "WLD"
    names = _country_list(text, file=file, where=query.where)
    if len(names) == 1:
        code = names[0]
        result.partner_words = f"no country column, {text} from {query.where}"
        return code
    raise DataFileError(
        f"{file}: the figures are the sum of several countries ({_shown(text)}) and "
        f"{table.named()} has no Country column: no one partner korus can name; download "
        "the query with the countries broken out"
    )


def _country_list(text: str, *, file: str, where: str) -> list[str]:
    """Return the korus codes of a list of country names ('Korea, South, Japan'): the
    longest names first, as a name may hold a comma."""
    if not text:
        raise DataFileError(f"{file}: {where} names no country (an empty country list)")
    parts = [part.strip() for part in re.split(r"[;,]", text)]
    codes = []
    index = 0
    while index < len(parts):
        for width in (3, 2, 1):
            name = ", ".join(parts[index : index + width])
            if index + width > len(parts) or not name:
                continue
            try:
                codes.append(countries.resolve(name).code)
            except UnknownCountryError:
                continue
            index += width
            break
        else:
            raise DataFileError(
                f"{file}: {where}: country {parts[index]!r} is not one korus knows; give "
                "its name as DataWeb writes it"
            )
    return list(dict.fromkeys(codes))


def _row_partner(table: Table, position: int, value: object) -> str | None:
    """Return the korus code of a Country cell, or None for a name korus does not know."""
    text = _text(value)
    if not text:
        raise DataFileError(
            f"{table.file}: {table.where(position, table.columns.country)}: empty country"
        )
    try:
        return countries.resolve(text).code
    except UnknownCountryError:
        return None


# --------------------------------------------------------------------------- cells and checks


_FIGURE = re.compile(r"-?\d+(\.\d+)?|-?\.\d+")


_BAD = object()  # a cell that is neither a figure nor blank


def _figure(value: object):
    """Return a DataWeb figure: blank is no figure (None); '1,234.00' is 1234.0; _BAD for
    anything else."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    text = value.strip() if kind is str else _text(value)
    if not text:
        return None
    cleaned = text.replace(",", "") if "," in text else text
    if kind is not bool and _FIGURE.fullmatch(cleaned):
        return float(cleaned)
    return _BAD


def _number(table: Table, position: int, index: int, value: object) -> float | None:
    """Return a DataWeb figure: blank is no figure (None); '1,234.00' is 1234.0."""
    found = _figure(value)
    if found is not _BAD:
        return found
    text = value.strip() if type(value) is str else _text(value)
    raise DataFileError(
        f"{table.file}: {table.where(position, index)}: expected a number or a blank cell, "
        f'found {text!r} (DataWeb writes figures as 1234.00 or "1,234")'
    )


def _check_footer(table: Table, position, row, figure_columns, above, accounting) -> None:
    """Note whether a Total: row equals the sum of the rows above it."""
    gaps = []
    for index in figure_columns:
        value = _number(table, position, index, row[index] if index < len(row) else "")
        if value is None:
            continue
        # The footer is in whole dollars: allow half a dollar per row it adds, at least 1.
        if abs(value - above[index]) > max(1.0, 0.5 * len(table.rows)):
            gaps.append(f"{_text(table.header[index])} {value:,.0f} vs {above[index]:,.2f}")
    if gaps:
        accounting.notes.append(
            f"{table.line(position)}: the Total: row differs from the sum of the rows above "
            f"it ({'; '.join(gaps)})"
        )
    else:
        accounting.notes.append(
            f"{table.line(position)}: the Total: row equals the sum of the rows above it"
        )


def _check_row_count(table: Table, counted: int, accounting: Accounting) -> None:
    """Note where the Data Row Count above a table differs from the rows it holds."""
    for cells in table.above:
        texts = [_text(cell) for cell in cells if _text(cell)]
        said = texts[1] if len(texts) >= 2 and _norm(texts[0]) == "data row count" else ""
        if is_digits(said) and int(said) != counted:
            accounting.notes.append(
                f"the file says 'Data Row Count {said}' but {table.named()} has {counted} "
                "data rows: the file may be cut short"
            )


def _check_world(entries: dict, accounting: Accounting) -> None:
    """Note how the countries compare with an all-countries row, where the file has one:
    the all-countries figures and the countries' (never a group's) added up by measure,
    product and period, each in the order of the figures."""
    import numpy as np
    import pandas as pd

    partner = entries["partner"]
    world_rows = partner == "WLD"
    if not world_rows.any():
        return
    groups = [code for code in pd.unique(partner) if code != "WLD" and countries.is_group(code)]
    part_rows = ~world_rows & ~np.isin(partner, groups)
    if not part_rows.any():
        return
    month = entries["month"].to_numpy(dtype="int64", na_value=-1)
    keys = pd.MultiIndex.from_arrays(
        [entries["measure"], entries["product"], entries["year"], month]
    )
    codes, found = pd.factorize(keys[world_rows])
    sums = np.bincount(codes, weights=entries["value"][world_rows], minlength=len(found))
    matched = found.get_indexer(keys[part_rows])
    inside = matched >= 0
    added = np.bincount(
        matched[inside], weights=entries["value"][part_rows][inside], minlength=len(found)
    )
    held = np.bincount(matched[inside], minlength=len(found)) > 0
    world, parts = {}, {}
    for number, (measure, product, year, at) in enumerate(found):
        key = (measure, product, int(year), None if at < 0 else int(at))
        world[key] = float(sums[number])
        if held[number]:
            parts[key] = float(added[number])
    over = []
    total_world = total_parts = 0.0
    for key, value in world.items():
        part = parts.get(key, 0.0)
        total_world += value
        total_parts += part
        if part > value * 1.001 + 1.0:
            _, _, year, month = key
            period = f"{year}" if month is None else f"{year}-{month:02d}"
            over.append(f"{period} ({part:,.0f} vs {value:,.0f})")
    if over:
        accounting.notes.append(
            "the countries add up to more than the all-countries row in "
            f"{len(over)} periods: {', '.join(over[:5])}{' ...' if len(over) > 5 else ''}"
        )
    share = total_parts / total_world * 100 if total_world else 0.0
    if abs(share - 100) > 0.1:
        accounting.notes.append(
            f"the countries in the file add up to {share:.1f}% of the all-countries row "
            "(the rest is trade with partners not in the file)"
        )
    else:
        accounting.notes.append("the countries in the file add up to the all-countries row")


# --------------------------------------------------------------------------- detection


def sniff(sample) -> bool:
    """Return whether a file is a DataWeb download: a table header with a Data Type or HTS
    Number column and year or month columns, within its first rows or on one of its sheets
    (with a Query Parameters sheet, a header with a Country column will do)."""
    if sample.kind == "text":
        return any(
            (columns := _columns(sample.cells(i))) is not None and columns.identified
            for i in range(len(sample.lines))
        )
    if sample.kind == "xlsx":
        loose = any(_is_query_sheet(rows) for rows in sample.sheets.values())
        for rows in sample.sheets.values():
            for row in rows[:HEADER_ROWS]:
                columns = _columns(row)
                if columns is not None and (columns.identified or loose):
                    return True
    return False
