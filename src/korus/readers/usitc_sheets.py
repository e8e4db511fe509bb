"""A DataWeb download's sheets: the Query Parameters (``Query``), a data sheet's header and
shape (``Columns``, ``Table``), the workbook or CSV as a whole (``Download``), and what
reading one table gives (``TableReading``).
"""

from __future__ import annotations

import codecs
import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from korus.errors import DataFileError
from korus.readers.columns import Grid, text_grid
from korus.readers.common import (
    ENCODING,
    LINE,
    SHEET,
    decode,
    excel_column,
    hidden_sheets,
    is_blank_row,
    sheet_refusal,
    utf8_head,
    utf8_tail,
    workbook,
)
from korus.readers.filetext import as_bytes, text_of
from korus.readers.usitc_terms import (
    _ANY_YEAR,
    _MONTH,
    _MONTH_YEAR,
    _PRODUCT_COLUMN,
    _QUARTER,
    _YEAR,
    _YEAR_MONTH,
    _YEAR_TO_DATE,
    BREAKDOWNS,
    CLASSIFICATIONS,
    DATA_TYPES,
    HEADER_ROWS,
    NEEDS_FLOW,
    QUERY_KEYS,
    SECTIONS,
    _is_measure_name,
    _norm,
    _shown,
    _text,
)

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


HEAD_BYTES = 1 << 20  # a CSV's head read as text: its query lines and header are in it


def _csv_download(path: Path) -> Download:
    """Return the one table of a DataWeb CSV and the query lines above it.

    The first lines (where the header is looked for) are read as ``csv.reader`` reads
    them; the rest by Arrow a column at a time, or, where Arrow cannot vouch for reading
    them the same way, by ``csv.reader`` too. A file in UTF-8 is checked whole by Arrow and
    only its head decoded (``common.utf8_head``); its rows after the head go to Arrow as
    the file's own bytes, never copied."""
    name = str(path)
    data = text_of(path)  # (a large file: its head, Arrow reads its rows where they lie)
    head = None if ENCODING.get() else utf8_head(data, HEAD_BYTES)
    if head is not None and len(data) > HEAD_BYTES:
        head = head[: head.rfind("\n") + 1]  # (whole lines only)
    if head:
        found = _table_of(name, head, data, whole=len(data) <= HEAD_BYTES)
        if found is not None:
            return found
    data = as_bytes(data)
    return _table_of(name, decode(data, path), data, whole=True)


def _table_of(name: str, text: str, data: bytes, whole: bool) -> Download | None:
    """Return the table of a DataWeb CSV whose text is ``text`` (with ``whole``: all of
    it; else its head, whole lines, of a file in UTF-8, and None where the head does not
    hold the header and the lines around it, or Arrow cannot read the rows after it)."""
    consumed = 0

    def lines():
        nonlocal consumed
        for match in LINE.finditer(text):  # (no copy of the text, as a StringIO makes)
            consumed = match.end()
            yield match.group()

    reader = csv.reader(lines())
    rows: list[tuple[int, list]] = []
    rest = None
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
            if len(rows) == HEADER_ROWS:
                break
        found = _find_header(rows, loose=False)
        if not whole and (found is None or len(rows) < HEADER_ROWS or consumed >= len(text)):
            return None  # (the head alone cannot tell: the whole text is read)
        if found is not None and len(rows) == HEADER_ROWS:
            if whole:
                tail, start = utf8_tail(as_bytes(data), text, consumed), 0
            else:  # the head's bytes are the file's own, after its byte-order mark
                tail = data
                start = len(text[:consumed].encode("utf-8"))
                start += len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
            rest = text_grid(tail, reader.line_num + 1, csv.field_size_limit(), start=start)
            del tail
            if rest is None:
                if not whole:
                    return None
                more = [(reader.line_num, cells) for cells in reader]
                rest = Grid.of_rows(more, text=True)
        if found is None:
            for _ in reader:  # a line csv.reader refuses is said before the missing header
                pass
    except csv.Error as exc:
        if not whole:
            return None
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
