"""A reference reading of the layouts the fuzzer judges: what korus must give for a file.

Written for the fuzzer (tests/fuzzing.py), apart from korus's readers and sharing none of
their code: plain Python over the bytes or cells of one file, for the layouts it covers
(korus tidy CSV and Parquet, UN Comtrade legacy CSV, Comtrade+ CSV and JSON, CEPII BACI,
the Census country workbook). It follows the rules korus documents for each layout (the
readers' docstrings) and the trust layer's rules (``korus.trust``) as they are written
there, so that a difference is either a korus bug or a rule the documentation does not
state. The one thing it takes from korus is the code tables (``korus.countries`` and the
world trade bounds of ``korus.trust``): they are data, tested on their own.

A reading gives the canonical figures (year, month, reporter, partner, flow, product) ->
US dollars, with the row accounting, or refuses the file (``Refused``): then korus must
end with one clean ``Error:`` line. Where a file is unusual but its meaning is plain (a
figure written ``1_000``), the reading gives the figures and also lets korus refuse
(``may_refuse``).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import zlib
from dataclasses import dataclass, field

from korus import countries
from korus.errors import UnknownCountryError
from korus.trust import world_bound

# (year, month or None, reporter, partner, flow, product)
Key = tuple

CANONICAL = [
    "year",
    "month",
    "reporter",
    "partner",
    "flow",
    "product",
    "classification",
    "value_usd",
    "source",
    "basis",
    "vintage",
]
FLOWS = ("export", "import", "re-export", "re-import", "balance")
NEVER_NEGATIVE = ("export", "import", "re-export", "re-import")
VALUE_LIMIT = 5e13  # one figure beyond this is a broken cell (trust rule 1)
YEARS = (1900, 2100)  # the years korus reads (trust rule 1): any other is a broken cell
# A decimal number as every layout writes one: digits, an optional point, an exponent.
DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
DIGITS = re.compile(r"\d+", re.ASCII)


class Refused(Exception):
    """The file is not valid in its layout: korus must refuse it with one clean error."""


@dataclass
class Row:
    """One figure a layout gives, before the trust rules."""

    line: int
    origin: str  # the source's own partner code ("" where the layout has none)
    year: int
    month: int | None
    reporter: str
    partner: str
    flow: str
    product: str
    value: float
    source: str = "file"

    @property
    def key(self) -> Key:
        return (self.year, self.month, self.reporter, self.partner, self.flow, self.product)


@dataclass
class Reading:
    """What korus must make of a file: its figures and row accounting, or a refusal."""

    figures: dict[Key, float] | None  # None: refused
    sources: dict[Key, str] = field(default_factory=dict)
    rows: tuple[int, int, int] | None = None  # read, kept, set aside
    may_refuse: bool = False  # korus may also refuse (a plain but unusual file)
    why: str = ""  # why the file is refused, or what is unusual

    @property
    def refused(self) -> bool:
        return self.figures is None


def refused(why: str) -> Reading:
    return Reading(None, why=why)


@dataclass
class Leniency:
    """Collects what was unusual but plain in a file (korus may refuse it)."""

    notes: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if what not in self.notes:
            self.notes.append(what)


# ------------------------------------------------------------------------ cells


def number(value, where: str, lenient: Leniency) -> float:
    """Return a cell as a finite float; refuse a blank, a word, NaN or infinity."""
    if isinstance(value, bool):
        raise Refused(f"{where}: a boolean, not a number")
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:
            raise Refused(f"{where}: a number too large for a figure") from None
    else:
        text = "" if value is None else str(value).strip()
        if DECIMAL.fullmatch(text):
            result = float(text)
        else:
            try:
                result = float(text)
            except ValueError:
                raise Refused(f"{where}: {text!r} is not a number") from None
            if math.isfinite(result):
                lenient.note(f"{where}: {text!r} read as {result!r}")
    if not math.isfinite(result):
        raise Refused(f"{where}: {value!r} is not a finite number")
    return result


def cents(value: float) -> float:
    """Return a figure to the cent, as korus keeps it: as numpy rounds (the value times 100,
    rounded half to even), which on a tie written in decimals (12.345, 2.675) may differ by
    a cent from Python's ``round`` of the same float (12.35 against 12.34)."""
    import numpy as np

    return float(np.round(value, 2))


# ------------------------------------------------------------------------ text files


def text_of(data: bytes, lenient: Leniency | None = None) -> str:
    """Return a text file's content: gunzipped, strictly UTF-8, without a byte-order mark;
    with ``lenient``, bytes that are not UTF-8 are replaced and noted (a layout whose
    unread columns may hold anything)."""
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise Refused(f"a damaged gzip file ({exc})") from None
    if not data.strip():
        raise Refused("the file is empty")
    # A NUL byte where layout detection looks (the first 64 KiB) is binary content.
    if b"\x00" in data[:65536] or data.startswith((b"PK\x03\x04", b"PAR1")):
        raise Refused("binary content")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if lenient is None:
            raise Refused("not UTF-8 text") from None
        lenient.note("bytes that are not UTF-8")
        text = data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def header_cells(text: str, delimiter: str = ",") -> list[str]:
    """Return the cells of a text's first line, stripped (what layout detection reads)."""
    lines = text.splitlines()
    if not lines:
        return []
    try:
        return [cell.strip() for cell in next(csv.reader([lines[0]], delimiter=delimiter), [])]
    except csv.Error:
        return []


def records(text: str, trailing: bool = False) -> list[tuple[int, list[str]]]:
    """Return (line, cells) of every non-empty CSV record, the header first; a record whose
    number of cells is not the header's is refused. With ``trailing``, a first data row
    one empty field longer than the header says that every data row is (the Comtrade+
    website's download): each must be, and that field is dropped."""
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    found: list[tuple[int, list[str]]] = []
    extra = 0
    try:
        for cells in reader:
            if not cells:
                continue
            if len(found) == 1 and trailing:
                width = len(found[0][1])
                extra = int(len(cells) == width + 1 and not cells[-1].strip())
            if found and len(cells) != len(found[0][1]) + extra:
                raise Refused(
                    f"line {reader.line_num}: {len(cells)} fields, the header has "
                    f"{len(found[0][1])}" + (" and one empty at the end" if extra else "")
                )
            if found and extra:
                if cells[-1].strip():
                    raise Refused(f"line {reader.line_num}: the field after the header's filled")
                cells = cells[:-1]
            found.append((reader.line_num, cells))
    except csv.Error as exc:
        raise Refused(f"not valid CSV ({exc})") from None
    return found


def _website_text(data: bytes) -> str:
    """Return the text of a CSV that is not UTF-8 as the Comtrade+ website writes it:
    cp1252, known by its first data row's trailing delimiter; refuse any other."""
    if data.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)  # text_of has read it whole once
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise Refused("neither UTF-8 nor cp1252 text") from None
    rows: list[list[str]] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline="")):
            if cells:
                rows.append(cells)
            if len(rows) == 2:
                break
    except csv.Error:
        raise Refused("not UTF-8, and not CSV") from None
    if len(rows) < 2 or len(rows[1]) != len(rows[0]) + 1 or rows[1][-1].strip():
        raise Refused("not UTF-8, and not the website's download (no trailing delimiter)")
    return text


def layout_of_text(text: str) -> str | None:
    """Return the covered layout a text file is in, judged by its header as korus's
    detection does (tidy first, then Comtrade legacy, Comtrade+, BACI), or None."""
    cells = header_cells(text)
    if cells == CANONICAL:
        return "korus-csv"
    if set(LEGACY_REQUIRED) <= set(cells):
        return "comtrade-legacy"
    names = {plus_name(cell) for cell in cells}
    if {"flowcode", "cmdcode", "primaryvalue"} <= names and names & {"reportercode", "reporteriso"}:
        return "comtrade-plus-csv"
    if [cell.lower() for cell in cells] in (BACI_HEADER, BACI_HEADER[:5]):
        return "baci"
    return None


# ------------------------------------------------------------------------ the trust rules


def settle(
    rows: list[Row],
    *,
    tolerance: float = 6.5,
    dedupe: bool = False,
) -> tuple[list[Row], int]:
    """Return the rows as korus's trust layer must leave them, and the count of rows
    dropped as exact repeats (--dedupe); refuse what its rules refuse."""
    for row in rows:
        where = f"line {row.line}"
        if not YEARS[0] <= row.year <= YEARS[1]:
            raise Refused(f"{where}: year {row.year} is not a year korus reads")
        if not math.isfinite(row.value):
            raise Refused(f"{where}: the figure is not finite")
        if row.value < 0 and row.flow in NEVER_NEGATIVE:
            raise Refused(f"{where}: a negative {row.flow}")
        if abs(row.value) >= VALUE_LIMIT:
            raise Refused(f"{where}: {row.value} is more than a year of world trade")
    # Rule 2: one figure, one row (per source code of the partner).
    seen: dict[tuple, Row] = {}
    kept: list[Row] = []
    repeated_lines: set[int] = set()
    for row in rows:
        ident = (*row.key, row.origin)
        if ident in seen:
            if seen[ident].value != row.value:
                raise Refused(
                    f"line {row.line} gives line {seen[ident].line}'s figure again, changed"
                )
            if not dedupe:
                raise Refused(f"line {row.line} repeats line {seen[ident].line}")
            repeated_lines.add(row.line)
            continue
        seen[ident] = row
        kept.append(row)
    dropped = len(repeated_lines)
    # Rule 3: one country under several source codes: added.
    merged: dict[Key, Row] = {}
    for row in kept:
        if row.key in merged:
            first = merged[row.key]
            merged[row.key] = Row(
                min(first.line, row.line),
                first.origin,
                *row.key,
                first.value + row.value,
                first.source,
            )
        else:
            merged[row.key] = row
    settled = list(merged.values())
    _years_against_months(settled, tolerance)
    _magnitudes(settled)
    return settled, dropped


def _years_against_months(rows: list[Row], tolerance: float) -> None:
    """Rule 4: a stated year and all twelve of its months agree within the tolerance."""
    months: dict[tuple, list[float]] = {}
    years: dict[tuple, float] = {}
    for row in rows:
        series = (row.year, row.reporter, row.partner, row.flow, row.product, row.source)
        if row.month is None:
            years[series] = row.value
        else:
            months.setdefault(series, []).append(row.value)
    for series, values in months.items():
        if len(values) == 12 and series in years:
            stated = years[series]
            if abs(math.fsum(values) - stated) > tolerance + 1e-9 * abs(stated):
                raise Refused(f"{series}: the year and its twelve months disagree")


def _magnitudes(rows: list[Row]) -> None:
    """Rule 5: a reporter's flow of a year, over its partners (countries, not groups), is
    never more than world trade that year: the year's stated figures, else its months;
    the totals, else the coarsest product level."""
    chosen: dict[tuple, list[Row]] = {}
    for row in rows:
        if row.flow in ("export", "import") and not countries.is_group(row.partner):
            chosen.setdefault((row.reporter, row.year, row.flow), []).append(row)
    for (reporter, year, flow), group in chosen.items():
        width = min(_width(row.product) for row in group)
        level = [row for row in group if _width(row.product) == width]
        annual = [row for row in level if row.month is None]
        total = math.fsum(row.value for row in (annual or level))
        if total > world_bound(year):
            raise Refused(f"{reporter} {flow}s in {year} add up to more than world trade")


def _width(product: str) -> int:
    return 0 if product == "TOTAL" else len(product)


def reading_of(
    rows: list[Row],
    read: int,
    aside: int,
    lenient: Leniency,
    *,
    tolerance: float = 6.5,
    dedupe: bool = False,
) -> Reading:
    """Return the Reading of a layout's rows: the trust rules applied, the accounting."""
    if read == 0:
        raise Refused("a header but no data rows")
    settled, dropped = settle(rows, tolerance=tolerance, dedupe=dedupe)
    figures = {row.key: cents(row.value) for row in settled}
    sources = {row.key: row.source for row in settled}
    accounted = (read, read - aside - dropped, aside + dropped)
    return Reading(
        figures, sources, accounted, may_refuse=bool(lenient.notes), why="; ".join(lenient.notes)
    )


# ------------------------------------------------------------------------ korus tidy CSV


def read_tidy_csv(data: bytes, dedupe: bool = False) -> Reading:
    """Return the reading of a korus tidy CSV (header: exactly the canonical columns)."""
    lenient = Leniency()
    text = text_of(data)
    table = records(text)
    header = table[0][1]
    if [cell.strip() for cell in header] != CANONICAL or header != CANONICAL:
        # The header is detected stripped, then read as written: a padded name is missing.
        if [cell.strip() for cell in header] == CANONICAL:
            raise Refused("a tidy header with spaces around a column name")
        raise Refused("not a tidy header")
    rows = []
    for number_, (_, cells) in enumerate(table[1:], start=2):
        cell = dict(zip(CANONICAL, cells, strict=True))
        year = _tidy_number(cell["year"], f"line {number_}, year", lenient)
        if year != int(year):
            raise Refused(f"line {number_}: year {cell['year']!r} is not a whole number")
        year = int(year)
        month = None
        if cell["month"].strip():
            value = _tidy_number(cell["month"], f"line {number_}, month", lenient)
            if value != int(value) or not 1 <= value <= 12:
                raise Refused(f"line {number_}: month {cell['month']!r} is not 1 to 12")
            month = int(value)
        value = _tidy_number(cell["value_usd"], f"line {number_}, value_usd", lenient)
        if cell["flow"] not in FLOWS:
            raise Refused(f"line {number_}: unknown flow {cell['flow']!r}")
        rows.append(
            Row(
                number_,
                "",
                year,
                month,
                cell["reporter"],
                cell["partner"],
                cell["flow"],
                cell["product"],
                value,
                cell["source"],
            )
        )
    return reading_of(rows, len(rows), 0, lenient, dedupe=dedupe)


def _tidy_number(text: str, where: str, lenient: Leniency) -> float:
    text = text.strip()
    if not DECIMAL.fullmatch(text):
        raise Refused(f"{where}: {text!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise Refused(f"{where}: {text!r} is not finite")
    return value


def read_tidy_table(columns: dict[str, list], dedupe: bool = False) -> Reading:
    """Return the reading of a korus tidy Parquet file given as its columns of Python
    values (as pyarrow gives them): each canonical column present, of its kind."""
    lenient = Leniency()
    missing = [name for name in CANONICAL if name not in columns]
    if missing:
        raise Refused(f"the Parquet file lacks {missing}")
    count = len(columns["year"])
    if count == 0:
        raise Refused("no rows")
    rows = []
    for index in range(count):
        line = index + 1
        cell = {name: columns[name][index] for name in CANONICAL}
        year = _whole(cell["year"], f"row {line}, year")
        if year is None:
            raise Refused(f"row {line}: no year")
        month = _whole(cell["month"], f"row {line}, month")
        if month is not None and not 1 <= month <= 12:
            raise Refused(f"row {line}: month {month} is not 1 to 12")
        value = cell["value_usd"]
        if value is None or isinstance(value, bool):
            raise Refused(f"row {line}: value {value!r} is not a figure")
        value = number(value, f"row {line}, value_usd", lenient)
        if abs(value) >= 1e16:
            raise Refused(f"row {line}: value {value} is not a trade figure")
        texts = {}
        for name in ("reporter", "partner", "flow", "product", "source"):
            if cell[name] is None:
                raise Refused(f"row {line}: {name} is missing")
            texts[name] = cell[name] if isinstance(cell[name], str) else str(cell[name])
        for name in ("classification", "basis", "vintage"):
            if cell[name] is None:
                raise Refused(f"row {line}: {name} is missing")
        if texts["flow"] not in FLOWS:
            raise Refused(f"row {line}: unknown flow {texts['flow']!r}")
        rows.append(
            Row(
                line,
                "",
                year,
                month,
                texts["reporter"],
                texts["partner"],
                texts["flow"],
                texts["product"],
                value,
                texts["source"],
            )
        )
    return reading_of(rows, count, 0, lenient, dedupe=dedupe)


def _whole(value, where: str) -> int | None:
    """Return a year or month cell as an int: a whole number, of a number type or its text;
    None for a missing month."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused(f"{where}: a boolean")
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if not value.is_integer():
            raise Refused(f"{where}: {value} is not a whole number")
        return int(value)
    if isinstance(value, int):
        return value
    # Numbers written as text are read as a tidy CSV's cells are (a blank is missing).
    if not str(value).strip():
        return None
    number_ = _tidy_number(str(value), where, Leniency())
    if not number_.is_integer():
        raise Refused(f"{where}: {value!r} is not a whole number")
    return int(number_)


# ------------------------------------------------------------------------ Comtrade legacy

# ``Period`` is not among them: an extract without it gives whole years (the reader's
# docstring).
LEGACY_REQUIRED = [
    "Classification",
    "Year",
    "Trade Flow Code",
    "Reporter Code",
    "Partner Code",
    "Commodity Code",
    "Trade Value (US$)",
]
LEGACY_FLOWS = {"1": "import", "2": "export", "3": "re-export", "4": "re-import"}
# A bulk file's Trade Flow Code 0: the flow is the letter code in Trade Flow.
LEGACY_LETTERS = {"M": "import", "X": "export", "RX": "re-export", "RM": "re-import"}
LEGACY_AGGREGATE = {
    "2nd Partner Code": {"", "0"},
    "Customs Proc. Code": {"", "C00"},
    "Mode of Transport Code": {"", "0"},
}
HS_PRODUCT = re.compile(r"TOTAL|\d{2}|\d{4}|\d{6}", re.ASCII)


def read_comtrade_legacy(data: bytes, dedupe: bool = False) -> Reading:
    """Return the reading of a UN Comtrade legacy CSV."""
    lenient = Leniency()
    table = records(text_of(data))
    header = [cell.strip() for cell in table[0][1]]
    used = {*LEGACY_REQUIRED, *LEGACY_AGGREGATE, "Reporter ISO", "Partner ISO", "Period"}
    used |= {"Period Desc.", "Trade Flow"}
    at = first_columns(header, table, used, lenient)
    rows, aside, read = [], 0, 0
    for line_, (_, cells) in enumerate(table[1:], start=2):
        read += 1
        if all(cells[at[name]] == name for name in LEGACY_REQUIRED):
            aside += 1  # the header pasted again
            continue
        if any(
            name in at and cells[at[name]].strip() not in values
            for name, values in LEGACY_AGGREGATE.items()
        ):
            aside += 1  # a breakdown: the aggregate row is kept
            continue
        cell = {name: cells[index] for name, index in at.items()}
        where = f"line {line_}"
        flow = _legacy_flow(cell, where)
        if "Period" in cell:
            period = cell["Period"].strip()
            if re.fullmatch(r"\d{4}", period, re.ASCII):
                year, month = int(period), None
            elif re.fullmatch(r"\d{6}", period, re.ASCII) and 1 <= int(period[4:]) <= 12:
                year, month = int(period[:4]), int(period[4:])
            else:
                raise Refused(f"{where}: period {period!r} is not YYYY or YYYYMM")
        else:  # no Period column: each row is the whole year of Year
            year_text = cell["Year"].strip()
            if not re.fullmatch(r"\d{4}", year_text, re.ASCII):
                raise Refused(f"{where}: year {year_text!r} is not YYYY")
            described = cell.get("Period Desc.", "").strip()
            if described and described != year_text:
                raise Refused(f"{where}: period {described!r} is not the year, no Period")
            year, month = int(year_text), None
        reporter = _legacy_country(cell, "Reporter", where)
        partner = _legacy_country(cell, "Partner", where)
        product = cell["Commodity Code"].strip()
        if not HS_PRODUCT.fullmatch(product):
            raise Refused(f"{where}: product {product!r} is not TOTAL or an HS code")
        value = number(cell["Trade Value (US$)"], f"{where}, value", lenient)
        rows.append(
            Row(
                line_,
                cell["Partner Code"].strip(),
                year,
                month,
                reporter,
                partner,
                flow,
                product,
                value,
                "UN Comtrade (legacy CSV)",
            )
        )
    return reading_of(rows, read, aside, lenient, dedupe=dedupe)


def _legacy_flow(cell: dict, where: str) -> str:
    """Return a legacy row's flow: its Trade Flow Code 1-4, whose Trade Flow (where given)
    names the same flow; or, for a bulk file's code 0, the letter code in Trade Flow."""
    code = cell["Trade Flow Code"].strip()
    said = cell.get("Trade Flow", "").strip()
    if code == "0":
        if said not in LEGACY_LETTERS:
            raise Refused(f"{where}: flow code 0 with Trade Flow {said!r}")
        return LEGACY_LETTERS[said]
    if code not in LEGACY_FLOWS:
        raise Refused(f"{where}: unknown flow code {code!r}")
    flow = LEGACY_FLOWS[code]
    if not said or LEGACY_LETTERS.get(said) == flow:
        return flow
    # A name as people write it: "Re-Export", "Re-exports", "re export" are re-export.
    squeezed = "".join(char for char in said if char != "-" and not char.isspace()).lower()
    if squeezed.endswith("s"):
        squeezed = squeezed[:-1]
    if squeezed != flow.replace("-", ""):
        raise Refused(f"{where}: Trade Flow {said!r} beside flow code {code}")
    return flow


def first_columns(names: list[str], table, used: set[str], lenient: Leniency) -> dict[str, int]:
    """Return each column name's first position; a used column named twice is refused
    where its cells differ in a row (korus must not choose), else read once (lenient)."""
    at: dict[str, int] = {}
    for index, name in enumerate(names):
        at.setdefault(name, index)
    for name in used:
        positions = [index for index, other in enumerate(names) if other == name]
        if len(positions) > 1:
            for line, cells in table[1:]:
                if len({cells[index] for index in positions}) > 1:
                    raise Refused(f"line {line}: column {name!r} twice, with different cells")
            lenient.note(f"column {name!r} given twice, the same in every row")
    return at


def _legacy_country(cell: dict, role: str, where: str) -> str:
    """Return a legacy row's reporter or partner: its Comtrade code's country, else its
    ISO code's."""
    code = cell[f"{role} Code"].strip()
    if code and (found := countries.from_comtrade(code)) is not None:
        return found.code
    iso = cell.get(f"{role} ISO", "").strip()
    if iso:
        try:
            return countries.lookup(iso).code
        except UnknownCountryError:
            pass
    raise Refused(f"{where}: {role.lower()} code {code!r} is not a Comtrade area")


# ------------------------------------------------------------------------ Comtrade+

PLUS_FLOWS = {
    "X": "export",
    "M": "import",
    "RX": "re-export",
    "RM": "re-import",
    "2": "export",
    "1": "import",
    "3": "re-export",
    "4": "re-import",
}
PLUS_OTHER_FLOWS = {"DX", "FM", "MIP", "XIP", "MOP", "XOP"}
PLUS_BREAKDOWNS = {
    "partner2code": {"", "NA", "0"},
    "customscode": {"", "NA", "C00"},
    "motcode": {"", "NA", "0"},
    "moscode": {"", "NA", "0"},
}
PLUS_CLASSIFICATIONS = {"H0", "H1", "H2", "H3", "H4", "H5", "H6", "HS"}
PLUS_USED = {
    "typecode",
    "freqcode",
    "refyear",
    "refmonth",
    "period",
    "reportercode",
    "reporteriso",
    "flowcode",
    "partnercode",
    "partneriso",
    "classificationcode",
    "cmdcode",
    "aggrlevel",
    "primaryvalue",
    *PLUS_BREAKDOWNS,
}
# Fields korus reads besides those (a row's CIF and FOB values, the release): given twice
# with two values, korus cannot choose either ("NA" is no value in them).
PLUS_ALSO_ONCE = {
    "cifvalue", "fobvalue", "lastreleased", "releasedate", "lastupdated", "lastupdate",
    "publicationdate",
}  # fmt: skip
PLUS_SOURCE = "UN Comtrade (Comtrade+)"


def plus_name(name: object) -> str:
    """Return how a Comtrade+ field is known whatever its spelling: lower case, with no
    underscores and no white space (refYear, ref_year and "Ref Year" are one field); a
    byte-order mark before the first name is no part of it."""
    spelled = str(name)
    while spelled.startswith("\ufeff"):
        spelled = spelled[1:]
    return "".join(char.lower() for char in spelled if not (char == "_" or char.isspace()))


def plus_text(value) -> str:
    """Return what a Comtrade+ field says, as text: nothing for null or NaN, "true" or
    "false", a float of a whole number as its digits (JSON's 32.0 says 32), anything else
    as written, without spaces around it."""
    match value:
        case None:
            return ""
        case bool():
            return "true" if value else "false"
        case float() if value != value:  # NaN
            return ""
        case float() if math.isfinite(value) and value == math.floor(value):
            return f"{int(value)}"
    return str(value).strip()


def read_comtrade_plus_json(data: bytes, dedupe: bool = False) -> Reading:
    """Return the reading of a Comtrade+ JSON answer (``{"data": [...]}`` or a list)."""
    text = text_of(data)
    keys = {plus_name(key) for key in re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:', text[:65536])}
    if not (
        keys >= {"flowcode", "cmdcode", "primaryvalue"} or {"elapsedtime", "count", "data"} <= keys
    ):
        raise Refused("not recognisable as a Comtrade+ answer")
    try:
        answer = json.loads(text)
    except ValueError as exc:
        raise Refused(f"not valid JSON ({exc})") from None
    if isinstance(answer, list):
        data_ = answer
    elif isinstance(answer, dict):
        top = {plus_name(key): value for key, value in answer.items()}
        data_ = top.get("data")
        error = str(top.get("error") or "").strip()
        if data_ is None or (not data_ and error):
            raise Refused("the answer holds no data")
    else:
        raise Refused("a JSON value that is not an answer")
    if not isinstance(data_, list):
        raise Refused("'data' is not a list")
    found = []
    lenient = Leniency()
    for record in data_:
        if not isinstance(record, dict):
            raise Refused("a record that is not an object")
        picked: dict = {}
        also: dict = {}
        for key, value in record.items():
            name = plus_name(key)
            if name in PLUS_USED:
                _plus_field(picked, name, value, f"record {len(found) + 1}", lenient)
            elif name in PLUS_ALSO_ONCE:
                _plus_once(also, name, value, f"record {len(found) + 1}")
        found.append(picked)
    return _plus_records(found, "record", 1, dedupe, lenient)


def read_comtrade_plus_csv(data: bytes, dedupe: bool = False) -> Reading:
    """Return the reading of a Comtrade+ answer saved as CSV, or as the website downloads
    it: each data row one empty field longer than the header, in cp1252 where the bytes
    are not UTF-8."""
    lenient = Leniency()
    try:
        text = text_of(data)
    except Refused:
        text = _website_text(data)
    table = records(text, trailing=True)
    names = [plus_name(cell) for cell in table[0][1]]
    found = []
    for line, cells in table[1:]:
        record: dict = {}
        also: dict = {}
        for name, cell in zip(names, cells, strict=True):
            if name in PLUS_USED:
                _plus_field(record, name, cell, f"line {line}", lenient)
            elif name in PLUS_ALSO_ONCE:
                _plus_once(also, name, cell, f"line {line}")
        found.append(record)
    return _plus_records(found, "line", 2, dedupe, lenient)


def _plus_field(record: dict, name: str, value, where: str, lenient: Leniency) -> None:
    """Put a Comtrade+ field in a record; a field given twice (two spellings, refYear and
    ref_year, or one name twice) gives one value, or one value and blanks: never two values
    (korus must not choose)."""
    if name in record:
        before, now = plus_text(record[name]), plus_text(value)
        if before and now and before != now:
            raise Refused(f"{where}: field {name!r} spelled twice with different values")
        lenient.note(f"field {name!r} spelled twice")
        if not now:
            return
    record[name] = value


def _plus_once(seen: dict, name: str, value, where: str) -> None:
    """Refuse a field of ``PLUS_ALSO_ONCE`` given twice with two values."""
    now = plus_text(value)
    now = "" if now.upper() == "NA" else now
    before = seen.get(name, "")
    if before and now and before != now:
        raise Refused(f"{where}: field {name!r} given twice with different values")
    seen[name] = now or before


def _plus_records(
    found: list[dict], word: str, first: int, dedupe: bool, lenient: Leniency
) -> Reading:
    if found:
        fields = set().union(*found)
        needed = [{"flowcode"}, {"cmdcode"}, {"primaryvalue"}]
        needed += [{"reportercode", "reporteriso"}, {"partnercode", "partneriso"}]
        needed += [{"refyear", "period"}]
        for names in needed:
            if not names & fields:
                raise Refused(f"missing Comtrade+ fields {sorted(names)}")
    rows, aside, services = [], 0, 0
    for index, record in enumerate(found):
        where = f"{word} {index + first}"

        def text(name: str, record=record) -> str:
            return plus_text(record.get(name))

        if all(not plus_text(value) for value in record.values()):
            aside += 1
            continue
        kind = text("typecode").upper()
        if kind == "S":
            aside += 1
            services += 1
            continue
        if kind not in ("", "C"):
            raise Refused(f"{where}: trade type {kind!r}")
        code = text("flowcode").upper()
        flow = PLUS_FLOWS.get(code)
        if flow is None:
            if code in PLUS_OTHER_FLOWS:
                aside += 1
                continue
            raise Refused(f"{where}: flow code {code!r}")
        if any(text(name).upper() not in values for name, values in PLUS_BREAKDOWNS.items()):
            aside += 1
            continue
        year, month = _plus_period(record, where)
        reporter = _plus_country(record, "reporter", where)
        partner = _plus_country(record, "partner", where)
        product = text("cmdcode")
        if product.upper() == "TOTAL":
            product = "TOTAL"
        else:
            scheme = text("classificationcode").upper()
            if scheme and scheme not in PLUS_CLASSIFICATIONS:
                raise Refused(f"{where}: classification {scheme!r}")
            level = text("aggrlevel")
            if (
                DIGITS.fullmatch(product)
                and DIGITS.fullmatch(level)
                and len(product) == int(level) - 1
            ):
                product = product.zfill(int(level))
            if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", product, re.ASCII):
                raise Refused(f"{where}: product {product!r}")
        value = number(record.get("primaryvalue"), f"{where}, primaryValue", lenient)
        origin = text("partnercode") or text("partneriso")
        rows.append(
            Row(
                index + first,
                origin,
                year,
                month,
                reporter,
                partner,
                flow,
                product,
                value,
                PLUS_SOURCE,
            )
        )
    if services and not rows:  # trade in services only: not a file of no trade
        raise Refused(f"no goods rows: {services} rows are trade in services")
    return reading_of(rows, len(found), aside, lenient, dedupe=dedupe)


def _plus_period(record: dict, where: str) -> tuple[int, int | None]:
    """Return a record's (year, month): annual records by refYear (or a period of four
    digits, which must then be that year), monthly ones by a period YYYYMM, else by refYear
    and refMonth where no period is given; the frequency, when not stated, is the
    period's length."""
    frequency = plus_text(record.get("freqcode")).upper()
    period = plus_text(record.get("period"))
    year = plus_text(record.get("refyear"))
    month = plus_text(record.get("refmonth"))
    if frequency == "":
        frequency = "A" if len(period) == 4 else "M" if len(period) == 6 else ""
    if frequency not in ("A", "M"):
        raise Refused(f"{where}: frequency {frequency!r}")
    if frequency == "A":
        stated = year if year else period
        if len(stated) != 4 or not DIGITS.fullmatch(stated):
            raise Refused(f"{where}: year {stated!r}")
        if period not in ("", stated):
            raise Refused(f"{where}: period {period!r} is not its year")
        return int(stated), None
    if period:
        year, month = period[:4], period[4:]
        if len(period) != 6 or not DIGITS.fullmatch(period):
            raise Refused(f"{where}: monthly period {period!r}")
    elif len(year) != 4 or not DIGITS.fullmatch(year) or not DIGITS.fullmatch(month):
        raise Refused(f"{where}: no monthly period, refYear {year!r}, refMonth {month!r}")
    if int(month) not in range(1, 13):
        raise Refused(f"{where}: month {month!r}")
    return int(year), int(month)


def _plus_country(record: dict, role: str, where: str) -> str:
    """Return a record's reporter or partner: its Comtrade code's country, else (a code
    the table lacks, or none) its ISO code's, W00 and WLD being the world."""
    code = plus_text(record.get(f"{role}code"))
    if code and (found := countries.from_comtrade(code)) is not None:
        return found.code
    iso = plus_text(record.get(f"{role}iso")).upper()
    if iso:
        try:
            return countries.lookup("WLD" if iso in ("W00", "WLD") else iso).code
        except UnknownCountryError:
            pass
    raise Refused(f"{where}: {role} {code!r} ({iso!r}) is not a Comtrade area")


# ------------------------------------------------------------------------ CEPII BACI

BACI_HEADER = ["t", "i", "j", "k", "v", "q"]
BACI_SOURCE = "CEPII BACI"


def read_baci(
    data: bytes,
    country_rows: dict[int, str] | None,
    pair: tuple[str, str] | None = None,
    dedupe: bool = False,
) -> Reading:
    """Return the reading of a BACI year file; with ``pair`` (reporter, partner), of that
    reporter's side of the pair's trade only, as a question about the two reads it.

    ``country_rows`` is the country codes file beside it (BACI code -> ISO3, "" where it
    gives none), or None without one. Every row's year, codes and value are checked; the
    product codes, repeated flows and flows of a country to itself only on the rows read.
    """
    lenient = Leniency()
    # BACI's quantity column q is never read: korus checks the text of the columns it reads.
    text = text_of(data, lenient)
    table = records(text)
    header = [cell.strip().lower() for cell in table[0][1]]
    if header not in (BACI_HEADER, BACI_HEADER[:5]):
        raise Refused("not a BACI header")
    parsed = []
    for line_, (_, cells) in enumerate(table[1:], start=2):
        where = f"line {line_}"
        year = _baci_code(cells[0], where, lenient, year=True)
        exporter = _baci_code(cells[1], where, lenient)
        importer = _baci_code(cells[2], where, lenient)
        # v is read as every layout reads a figure (Python's float: "+5", "١٢" too)
        value = number(cells[4], f"{where}: value", lenient)
        if value < 0 or value >= VALUE_LIMIT / 1e3:
            raise Refused(f"{where}: value {cells[4]!r} out of range")
        parsed.append((line_, year, exporter, importer, cells[3], value))
    if not parsed:
        raise Refused("a BACI header but no data rows")
    mapping = {}
    for code in sorted({row[2] for row in parsed} | {row[3] for row in parsed}):
        mapping[code] = _baci_country(code, country_rows)
    wanted = None
    if pair is not None:
        wanted = {code for code, korus in mapping.items() if korus in pair}
    rows, aside, seen = [], 0, {}
    for line_, year, exporter, importer, product, value in parsed:
        if wanted is not None and not (exporter in wanted and importer in wanted):
            aside += 1
            continue
        product = product.strip()
        if not re.fullmatch(r"\d{5,6}", product, re.ASCII):
            raise Refused(f"line {line_}: product {product!r} is not HS6")
        product = product.zfill(6)
        if mapping[exporter] == mapping[importer]:
            aside += 1
            continue
        flow = (year, exporter, importer, product)
        if flow in seen:
            # Trust rule 2: a flow given twice is refused, unless exactly the same and
            # --dedupe: then the repeat is dropped, counted.
            if seen[flow] != value or not dedupe:
                raise Refused(f"line {line_}: a flow given twice")
            aside += 1
            continue
        seen[flow] = value
        # Each flow is the exporter's export and the importer's import.
        for reporter, partner, direction in (
            (mapping[exporter], mapping[importer], "export"),
            (mapping[importer], mapping[exporter], "import"),
        ):
            if pair is None or reporter == pair[0]:
                rows.append(
                    Row(
                        line_,
                        str(exporter if direction == "import" else importer),
                        year,
                        None,
                        reporter,
                        partner,
                        direction,
                        product,
                        value * 1e3,
                        BACI_SOURCE,
                    )
                )
    # Two BACI codes of one country: their flows are added (rule 3), per flow.
    summed: dict[Key, Row] = {}
    for row in rows:
        if row.key in summed:
            first = summed[row.key]
            summed[row.key] = Row(
                first.line, first.origin, *row.key, first.value + row.value, BACI_SOURCE
            )
        else:
            summed[row.key] = row
    settled = list(summed.values())
    for row in settled:
        if not math.isfinite(row.value) or row.value >= VALUE_LIMIT:
            raise Refused(f"line {row.line}: figure out of range")
        if not YEARS[0] <= row.year <= YEARS[1]:
            raise Refused(f"line {row.line}: year {row.year} is not a year korus reads")
    _magnitudes(settled)
    kept = len(parsed) - aside
    figures = {row.key: cents(row.value) for row in settled}
    return Reading(
        figures,
        {key: BACI_SOURCE for key in figures},
        (len(parsed), kept, aside),
        may_refuse=bool(lenient.notes),
        why="; ".join(lenient.notes),
    )


def _baci_code(text: str, where: str, lenient: Leniency, year: bool = False) -> int:
    digits = text.strip()
    if not DIGITS.fullmatch(digits):
        raise Refused(f"{where}: {text!r} is not a code of digits")
    value = int(digits)
    if year:
        if len(digits) == 4:
            return value
        if 1000 <= value <= 9999:
            lenient.note(f"{where}: year {text!r} with extra leading zeros")
            return value
        raise Refused(f"{where}: year {text!r} is not 4 digits")
    if len(digits) <= 4:
        return value
    if value <= 9999:
        lenient.note(f"{where}: code {text!r} with extra leading zeros")
        return value
    raise Refused(f"{where}: country code {text!r} has more than 4 digits")


def _baci_country(code: int, country_rows: dict[int, str] | None) -> str:
    iso = (country_rows or {}).get(code, "")
    if iso and iso != "N/A":
        try:
            return countries.lookup(iso).code
        except UnknownCountryError:
            pass
    found = countries.from_comtrade(code)
    if found is None:
        raise Refused(f"BACI country code {code} is not known")
    return found.code


# ------------------------------------------------------------------------ Census country.xlsx

CENSUS_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
CENSUS_HEADER = ["year", "CTY_CODE", "CTYNAME"] + [
    prefix + month for prefix in ("I", "E") for month in (*CENSUS_MONTHS, "YR")
]
CENSUS_SOURCE = "US Census Bureau, U.S. Trade in Goods by Country (country.xlsx)"


def read_census_country(sheets: dict[str, list[list]], hidden: set[str]) -> Reading:
    """Return the reading of a Census country workbook given as its sheets' cells (as a
    spreadsheet reader gives them: blank cells "", numbers as floats, dates as dates)."""
    lenient = Leniency()

    def fits(rows) -> bool:
        return bool(rows) and set(CENSUS_HEADER) <= {str(cell).strip() for cell in rows[0]}

    candidates = [name for name, rows in sheets.items() if fits(rows)]
    if len(candidates) != 1 or candidates[0] in hidden:
        raise Refused(f"{len(candidates)} sheets hold the header (hidden: {sorted(hidden)})")
    rows = sheets[candidates[0]]
    header = [str(cell).strip() for cell in rows[0]]
    at = {name: header.index(name) for name in CENSUS_HEADER}
    parsed = []
    for line_, cells in enumerate(rows[1:], start=2):
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue

        def cell(name: str, cells=cells):
            index = at[name]
            return cells[index] if index < len(cells) else None

        where = f"row {line_}"
        year = int(_census_code(cell("year"), 4, where))
        code = _census_code(cell("CTY_CODE"), 4, where)
        values = {
            prefix: [
                number(cell(prefix + m), f"{where} {prefix}{m}", lenient)
                for m in (*CENSUS_MONTHS, "YR")
            ]
            for prefix in ("I", "E")
        }
        parsed.append((line_, year, code, values))
    if not parsed:
        raise Refused("a header but no data rows")
    last_year = max(year for _, year, _, _ in parsed)
    world = [v for _, year, code, v in parsed if year == last_year and code == "0015"]
    basis = world or [v for _, year, _, v in parsed if year == last_year]
    last_month = max(
        (
            m
            for values in basis
            for p in ("I", "E")
            for m, v in enumerate(values[p][:12], 1)
            if v != 0
        ),
        default=0,
    )
    if last_month == 0:
        last_year, last_month = last_year - 1, 12
    out, aside = [], 0
    for line_, year, code, values in parsed:
        if countries.is_census_series(code):
            aside += 1
            continue
        partner = countries.from_census(code)
        if partner is None or year > last_year:
            aside += 1
            continue
        published = last_month if year == last_year else 12
        for prefix, flow in (("I", "import"), ("E", "export")):
            for month in range(1, published + 1):
                out.append(
                    Row(
                        line_,
                        code,
                        year,
                        month,
                        "USA",
                        partner.code,
                        flow,
                        "TOTAL",
                        values[prefix][month - 1] * 1e6,
                        CENSUS_SOURCE,
                    )
                )
            if published == 12:
                out.append(
                    Row(
                        line_,
                        code,
                        year,
                        None,
                        "USA",
                        partner.code,
                        flow,
                        "TOTAL",
                        values[prefix][12] * 1e6,
                        CENSUS_SOURCE,
                    )
                )
    reading = reading_of(out, len(parsed), aside, lenient, tolerance=0.05e6)
    # Rows of several figures: the accounting counts the sheet's rows.
    reading.rows = (len(parsed), len(parsed) - aside, aside)
    return reading


def _census_code(value, width: int, where: str) -> str:
    """Return a Census code as text of ``width`` digits, its leading zeros put back: a
    whole number, stored as one (3, 3.0) or written (" 0003", "3.00")."""
    if isinstance(value, bool) or value is None:
        raise Refused(f"{where}: code {value!r} is not a number of digits")
    if isinstance(value, float):
        if not (math.isfinite(value) and value == math.floor(value) and value >= 0):
            raise Refused(f"{where}: code {value!r} is not a whole number")
        value = int(value)
    whole, point, decimals = str(value).strip().partition(".")
    if not DIGITS.fullmatch(whole) or (point and not (decimals and set(decimals) == {"0"})):
        raise Refused(f"{where}: code {value!r} is not a number of digits")
    if len(whole) > width:
        raise Refused(f"{where}: code {whole!r} has more than {width} digits")
    return "0" * (width - len(whole)) + whole


# ------------------------------------------------------------------------ a question


def deficit(reading: Reading, reporter: str, partner: str, year: int) -> tuple[float, float]:
    """Return (exports, imports) of ``reporter`` with ``partner`` in ``year`` as korus's
    deficit must answer them: the stated whole year, else its twelve months added; the
    totals, else the coarsest product level; refuse a year or a flow the data lacks, and
    figures of two sources."""
    assert reading.figures is not None
    pair = [
        (key, value)
        for key, value in reading.figures.items()
        if key[2] == reporter and key[3] == partner and key[4] in ("export", "import")
    ]
    if not pair:
        raise Refused(f"no trade of {reporter} with {partner}")
    found = {}
    chosen_sources = set()
    for flow in ("export", "import"):
        rows = [(key, value) for key, value in pair if key[4] == flow and key[0] == year]
        by_source: dict[str, list] = {}
        for key, value in rows:
            by_source.setdefault(reading.sources[key], []).append((key, value))
        whole = []
        for source, items in by_source.items():
            annual = [(key, value) for key, value in items if key[1] is None]
            months = {key[1] for key, _ in items if key[1] is not None}
            if annual:
                whole += [(key, value, source) for key, value in annual]
            elif len(months) == 12:
                summed: dict[str, float] = {}
                for key, value in items:
                    summed[key[5]] = summed.get(key[5], 0.0) + value
                whole += [
                    ((year, None, reporter, partner, flow, product), value, source)
                    for product, value in summed.items()
                ]
        if not whole:
            raise Refused(f"no whole year {year} of {flow}s")
        totals = [item for item in whole if item[0][5] == "TOTAL"]
        if totals:
            level = totals
        else:
            width = min(len(item[0][5]) for item in whole)
            level = [item for item in whole if len(item[0][5]) == width]
        chosen_sources |= {item[2] for item in level}
        found[flow] = math.fsum(item[1] for item in level)
    if len(chosen_sources) > 1:
        raise Refused("figures of two sources")
    return found["export"], found["import"]
