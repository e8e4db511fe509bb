"""UN Comtrade+ (comtradeplus, API v1) answers: the JSON answer and its CSV form.

JSON: ``{"elapsedTime": ..., "count": n, "data": [{...}, ...], "error": ""}``; one record per
figure, with the fields ``typeCode, freqCode, refPeriodId, refYear, refMonth, period,
reporterCode, reporterISO, reporterDesc, flowCode, flowDesc, partnerCode, partnerISO,
partnerDesc, partner2Code, partner2ISO, partner2Desc, classificationCode,
classificationSearchCode, isOriginalClassification, cmdCode, cmdDesc, aggrLevel, isLeaf,
customsCode, customsDesc, mosCode, motCode, motDesc, qtyUnitCode, ..., cifvalue, fobvalue,
primaryValue, legacyEstimationFlag, isReported, isAggregate``. A bare list of such records
(a client's saved data frame) is read too. CSV: the same fields as the header.

Field names are matched without case and underscores, so the snake_case spellings that the
comtradr R package (``ref_year``, ``reporter_code``, ``partner2code``, ``primary_value``)
and some Python clients write, and the PascalCase of the website's download, are the same
columns.

The website's CSV download (comtradeplus.un.org, "Download") is read as it is written:
every non-empty field quoted, each data row ending with one delimiter more than the header
(an empty last field), Windows-1252 text ("Côte d'Ivoire", "Türkiye"). The first data
row tells the shape; every row must then have it, and a row whose extra field holds
something, or of another width, is an error naming its line. Its text is cp1252 when it
is not UTF-8: the website's encoding, a fact of the layout (``--encoding`` still wins).
``korus inspect`` shows the variant: "website download: trailing delimiter, cp1252".

Values: ``primaryValue``, in US dollars. UN Comtrade defines it as the CIF value for
imports (and re-imports) and the FOB value for exports (and re-exports); the basis says so.
Where a row's ``cifvalue``/``fobvalue`` suggest otherwise (an import with only a FOB value),
the documented rule is kept and the accounting notes how many rows that concerns.

Flows: ``X`` / ``2`` export, ``M`` / ``1`` import, ``RX`` / ``3`` re-export, ``RM`` / ``4``
re-import. A re-export is already part of the export figure: it stays its own flow and is
never added to exports. Comtrade's other flows (domestic exports, foreign imports, goods for
or after processing) are parts or variants of those and are set aside, counted.

Since 2017 Comtrade+ answers hold the aggregate row together with its breakdowns by second
partner, customs procedure, mode of transport and mode of supply. Only the aggregate row
(``partner2Code`` 0, ``customsCode`` C00, ``motCode`` 0, ``mosCode`` 0, or the field blank,
absent, or R's ``NA``) is kept; the breakdown rows would double the totals and are set
aside, counted.

Services (``typeCode`` S) are set aside, counted; a file of services only is an error (it
holds no goods rows), never a file of no trade.

``freqCode`` A gives a whole-year row; M a monthly row (month from ``period`` YYYYMM, else
``refMonth``). Partner 0 (``W00``/``WLD``) is the World (korus group ``WLD``). Each "nes"
area (473 LAIA, 490 Other Asia, 568 Other Europe, 899 Areas, ...) is a partner of its own;
490 is Taiwan in practice, which a note says, but it is never relabelled. ``cmdCode``
``TOTAL`` is all goods. ``classificationCode`` H0..H6 are HS1992..HS2022; ``HS`` is HS as
reported. Countries: Comtrade numerics through ``countries.from_comtrade``, the ISO column
when the number is unknown.

The answer states no release date: the vintage is "release not stated in the file", unless a
record or the answer carries a release or update date field.

The records are read a column at a time: a CSV's rows by Arrow (the columns korus reads;
the header and any rows Arrow cannot vouch for by ``csv.reader``), a JSON answer's fields
as columns built once; what a row is (blank, services, a flow or a breakdown set aside, its
period, countries and product) is worked out once per distinct cell or tuple of cells. The
rows a column-wise check cannot vouch for (the first error, a figure in other digits) are
read by the rules of one row, so an error names the same line or record as a row-by-row
reading would.

Field names and codes: UN Comtrade+ API documentation (comtradeplus.un.org, "Data items"
and the reference lists of flows and customs/transport codes); snake_case names as written
by ropensci/comtradr (``ct_pretty_cols``).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from korus import trust
from korus.errors import DataFileError
from korus.fetch import sidecar
from korus.readers import comtrade_legacy
from korus.readers.columns import (
    Coded,
    Grid,
    joint_codes,
    stripped_among,
    text_grid,
)
from korus.readers.common import ENCODING, decode, read_json, utf8_head
from korus.readers.comtrade_plus_rows import (
    _country_of,
    _one_value,
    _period_of,
    _picked,
    _product_of,
    _Records,
    _refuse_services_only,
    _release,
    _require,
    _row,
    _text,
)
from korus.readers.comtrade_plus_terms import (  # noqa: F401  (the layout's names, offered here too)
    _KEY,
    _LINE,
    _VALUE_FIELDS,
    API_LIMITS,
    BASIS,
    BREAKDOWNS,
    CONTRADICTION_HINT,
    DESCRIPTION,
    FLOWS,
    LAYOUT,
    LAYOUT_CSV,
    LAYOUT_JSON,
    LAYOUTS,
    MISSING,
    NO_RELEASE,
    OTHER_FLOWS,
    RELEASE_FIELDS,
    SERVICES,
    SOURCE,
    USED,
    WEBSITE_ENCODING,
    WEBSITE_VARIANT,
    normalise,
)
from korus.readers.filetext import as_bytes, text_of
from korus.readers.same import put_same
from korus.schema import Accounting, Reading

if TYPE_CHECKING:
    pass


def sniff(sample) -> str | None:
    """Return the Comtrade+ layout of a file, judged by its JSON keys or CSV header."""
    if sample.kind == "json":
        keys = {normalise(key) for key in _KEY.findall(sample.text)}
        if keys >= _VALUE_FIELDS or {"elapsedtime", "count", "data"} <= keys:
            return LAYOUT_JSON
        return None
    if sample.kind == "text":
        header = {normalise(cell) for cell in sample.cells(0)}
        if header >= _VALUE_FIELDS and header & {"reportercode", "reporteriso"}:
            return LAYOUT_CSV
    return None


def read_layout(path: Path, layout: str) -> Reading:
    """Return the canonical frame of a Comtrade+ file in the given layout."""
    return read_csv_answer(path) if layout == LAYOUT_CSV else read_json_answer(path)


def read(path: Path) -> Reading:
    """Return the canonical frame of a Comtrade+ answer, JSON or CSV (judged by content)."""
    # Handed over whole: freed once the rows are parsed (a large file: its head only, Arrow
    # reads its rows where they lie, ``filetext``).
    held = [text_of(path)]
    # Judged on the bytes: a CSV download need not be UTF-8 (the website's is cp1252).
    start = bytes(held[0][:1024] if isinstance(held[0], bytes) else held[0].head[:1024])
    start = start.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return read_json_answer(path) if start in (b"{", b"[") else read_csv_answer(path, held)


# ----------------------------------------------------------------------------- input


def read_json_answer(path: Path) -> Reading:
    """Return the canonical frame of a Comtrade+ JSON answer and its row accounting."""
    name = str(path)
    answer = read_json(path)
    accounting = Accounting(file=name, layout=LAYOUT_JSON)
    top: dict = {}
    if isinstance(answer, list):
        data = answer
    elif isinstance(answer, dict):
        top = {normalise(key): value for key, value in answer.items()}
        data = top.get("data")
        error = str(top.get("error") or "").strip()
        if data is None or (not data and error):
            raise DataFileError(
                f"{name}: the Comtrade answer holds no 'data'"
                + (f"; it says: {error}" if error else "")
                + "; ask the API again"
            )
        if error:
            accounting.notes.append(f"the answer carries an error message: {error}")
    else:
        raise DataFileError(f"{name}: a JSON {type(answer).__name__}, not a Comtrade+ answer")
    if not isinstance(data, list):
        raise DataFileError(f"{name}: 'data' is a JSON {type(data).__name__}, expected a list")
    records = _json_records(data, name)
    count = top.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count != len(records):
        accounting.notes.append(f"the answer says count {count} but holds {len(records)} records")
    if len(records) in API_LIMITS:
        accounting.notes.append(
            f"exactly {len(records):,} records: the API's limit per answer; the answer is "
            "probably cut short (ask for fewer years or partners at a time)"
        )
    release = _release(records, [_text(top.get(field)) for field in RELEASE_FIELDS])
    reading = _frame(records, name, LAYOUT_JSON, accounting, release)
    del answer, top, data, records  # (let go before the trust layer's rules run)
    return trust.settle(reading)


def read_csv_answer(path: Path, held: list[bytes] | None = None) -> Reading:
    """Return the canonical frame of a Comtrade+ CSV and its row accounting.

    The website's download is read as it is written: every data row with one empty field
    more than the header (a row whose extra field holds something, or a row of another
    width, is an error naming its line), in cp1252 where its bytes are not UTF-8. The
    accounting's variant says so; ``--encoding`` wins when given. ``held``: the file's
    bytes already read, in a list this takes them from, so that no one holds them once
    the rows are parsed (a million rows: their bytes are a fifth of the peak).
    """
    name = str(path)
    data = text_of(path) if not held else held.pop()
    whole = None
    head = _utf8_head(data)
    if head is not None:  # UTF-8 as korus reads it: its head is all the text needed
        text, encoding = head, "utf-8"
        whole = functools.partial(_decoded, data, Path(path))
        records, trailing = _csv_records(text, name, data, whole)
    else:
        data = as_bytes(data)
        text, encoding = _csv_text(data, Path(path))
        records, trailing = _csv_records(text, name, data if encoding == "utf-8" else None)
    del text, data, whole
    accounting = Accounting(file=name, layout=LAYOUT_CSV)
    if trailing:
        accounting.variant = f"{WEBSITE_VARIANT}, {encoding}"
    release = _release(records, [])
    reading = _frame(records, name, LAYOUT_CSV, accounting, release)
    del records  # (its cells let go before the trust layer's rules run)
    return trust.settle(reading)


HEAD_BYTES = 1 << 20  # the head of a CSV read as text: its header and first row in it


def _decoded(data, path: Path) -> str:
    return decode(as_bytes(data), path)


def _utf8_head(data: bytes) -> str | None:
    """The head of a CSV in UTF-8 as text, checked whole (``common.utf8_head``)."""
    return None if ENCODING.get() else utf8_head(data, HEAD_BYTES)


def _csv_text(data: bytes, path: Path) -> tuple[str, str]:
    """Return a CSV's text and the encoding it was read in: the one given (--encoding),
    else UTF-8, else cp1252 for the website's download (known by its trailing delimiter);
    any other file that is not UTF-8 is the usual error naming the byte."""
    chosen = ENCODING.get()
    if chosen:
        return decode(data, path), f"{chosen} (--encoding)"
    try:
        return decode(data, path), "utf-8"
    except DataFileError as refusal:
        try:
            text = data.decode(WEBSITE_ENCODING)
        except UnicodeDecodeError:
            raise refusal from None
        if not _trailing_delimiter(text):
            raise refusal from None
        return text, WEBSITE_ENCODING


def _records(text: str, name: str, consumed: list[int] | None = None):
    """Return a ``csv.reader`` of a CSV text and a generator of (first line, fields) of
    each of its non-blank records; text that is not CSV is an error naming the line.
    ``consumed[0]`` follows how many characters the reader has taken."""
    csv.field_size_limit(2**31 - 1)  # a long description is still one field

    def lines():
        # Lines cut as a file opened with newline="" cuts them, one at a time: a StringIO
        # would hold the whole text again, four bytes a character.
        for match in _LINE.finditer(text):
            if consumed is not None:
                consumed[0] = match.end()
            yield match.group()

    reader = csv.reader(lines())

    def records(start: int = 1):
        try:
            for fields in reader:
                line, start = start, reader.line_num + 1
                if fields:
                    yield line, fields
        except csv.Error as exc:
            raise DataFileError(
                f"{name}: line {reader.line_num}: not valid CSV ({exc}); a stray quote or "
                "line break inside a cell?"
            ) from None

    return reader, records


def _trailing_delimiter(text: str) -> bool:
    """Return whether the first data row of a CSV has one field more than its header, an
    empty one at the end: the website download's shape."""
    records = _records(text, "")[1]()
    try:
        header, row = next(records, (0, None))[1], next(records, (0, None))[1]
    except DataFileError:
        return False
    if header is None or row is None:
        return False
    return len(row) == len(header) + 1 and not row[-1].strip()


def _csv_records(
    text: str, name: str, data: bytes | None = None, whole=None
) -> tuple[_Records, bool]:
    """Return a CSV's records, a column of text for each field korus reads, and whether
    the rows carry the website's empty last field. With ``whole`` (giving the whole text
    when asked), ``text`` is the text of the head of ``data`` only: it must hold the
    header and the 64 KiB after it, else the whole text is read.

    The header is read by ``csv.reader``, the rows after it by Arrow a column at a time
    (or by ``csv.reader`` too where Arrow cannot vouch for reading them the same way;
    ``data``: the file's bytes where ``text`` is their UTF-8, handed to Arrow as they are).
    The first data row says which shape the file has; every other row must have it: a
    ragged row is an error naming its line, never filled with blanks or cut short. The
    first row that breaks a rule is found a column at a time, and its error said by the
    rules of one row (``_check_row``).
    """
    import numpy as np

    consumed = [0]
    reader, records = _records(text, name, consumed)
    _, header = next(records(), (0, None))
    short = whole is not None and consumed[0] + (1 << 16) >= len(text)
    if short and len(text.encode("utf-8")) < len(data or b"") - 3:
        return _csv_records(whole(), name, data)  # a head too short for what is read in it
    if header is None:
        raise DataFileError(f"{name}: the file holds no rows")
    first_line = reader.line_num + 1
    start = consumed[0]
    if data is not None:  # the same text, as bytes: no copy of it made for Arrow
        start = len(text[:start].encode("utf-8"))
        rest = (data, start + 3 if data.startswith(b"\xef\xbb\xbf") else start)
    else:
        rest = (text[start:], 0)
    # A field named twice (refYear and ref_year) is one field: its columns must agree.
    used: dict[str, list[int]] = {}
    for position, column in enumerate(normalise(cell) for cell in header):
        if column in USED:
            used.setdefault(column, []).append(position)
    twice = {column: at for column, at in used.items() if len(at) > 1}
    # The columns read at first: those of the fields korus reads, the first (a repeated
    # header), and the last (the website's empty field); the others only for a row that
    # breaks a rule, when the whole row is needed to say so.
    # (A first row longer than its first 64 KiB is cut: Arrow refuses the width it has
    # then, and every column is read.)
    head = text[consumed[0] : consumed[0] + (1 << 16)]
    first = next(_records(head, name)[1](first_line), (0, None))[1]
    keep = None
    if first is not None:
        columns = {0, len(first) - 1} | {p for at in used.values() for p in at}
        keep = (sorted(p for p in columns if p < len(first)), len(first))
    checked = _checked_rows(rest, first_line, header, used, keep)
    if checked is None:
        checked = _checked_rows(rest, first_line, header, used, None)
    if checked is None:  # rows Arrow cannot vouch for reading as csv.reader does
        if whole is not None:  # the head was read: the reader goes on over the whole text
            text = whole()
            reader, records = _records(text, name)
            next(records(), None)  # (the header, read above)
        rows = list(records(first_line))
        widths = np.fromiter((len(fields) for _, fields in rows), dtype=np.int64, count=len(rows))
        checked = _checks(Grid.of_rows(rows, text=True), widths, header, used)
    grid, widths, trailing, wrong, cells = checked
    for offset in np.flatnonzero(wrong):
        fields = grid.row(int(offset))[: int(widths[offset])]
        _check_row(name, header, twice, trailing, fields, int(grid.positions[offset]))
    return _Records(name, grid.positions, set(used), cells), trailing


def _checked_rows(rest: tuple, first_line: int, header: list[str], used: dict, keep):
    """Return ``_checks`` of the rows of CSV text as Arrow reads them (``rest``: the text,
    or the file's bytes, and where the rows start in it; only the columns ``keep`` where
    given), or None where Arrow cannot vouch for reading them as ``csv.reader`` does, or a
    row breaks a rule and the columns read cannot say how."""
    import numpy as np

    text, start = rest
    grid = text_grid(
        text,
        first_line,
        csv.field_size_limit(),
        blank_lines=False,
        keep=keep[0] if keep else None,
        width=keep[1] if keep else 0,
        start=start,
    )
    if grid is None:
        return None
    widths = np.full(len(grid), len(grid.columns), dtype=np.int64)
    checked = _checks(grid, widths, header, used)
    if keep is not None and checked[3].any():
        return None
    return checked


def _checks(grid: Grid, widths, header: list[str], used: dict):
    """Return (grid, widths, trailing, wrong, cells) of a CSV's data rows: whether they
    end in the website's empty field, where a row may break a rule (a repeated header,
    another width, a filled field after the website's last, a field named twice given
    two values), and a column of cells for each field korus reads. A row's cells past
    its width are blank; a column not read (None) may hide a repeated header: every row
    that might repeat it is said to be wrong."""
    trailing = False
    if len(grid) and int(widths[0]) == len(header) + 1:
        trailing = not grid.columns[int(widths[0]) - 1][0].as_py().strip()
    fit = widths == len(header) + trailing
    wrong = ~fit
    repeats = widths >= len(header)
    for position, cell in enumerate(header):
        if not repeats.any():
            break
        column = grid.column(position)
        if column is not None:
            repeats &= stripped_among(column, {cell.strip()})
    wrong |= repeats
    if trailing and fit.any():
        wrong |= fit & ~stripped_among(grid.columns[len(header)], {""})
    cells = {}
    if fit.any():
        for column, at in used.items():
            cells[column], clash = _merged([grid.columns[position] for position in at])
            wrong |= fit & clash
    return grid, widths, trailing, wrong, cells


def _check_row(
    name: str, header: list[str], twice: dict, trailing: bool, fields: list[str], line: int
) -> None:
    """Raise the error of a CSV row that breaks a rule of the layout: the header again, a
    width other than the first row's, a filled field after the website's last one, or a
    field named twice given two values."""
    width = len(header) + trailing
    if [cell.strip() for cell in fields[: len(header)]] == [cell.strip() for cell in header]:
        raise DataFileError(
            f"{name}: line {line} repeats the header (two downloads joined into one "
            "file?); korus cannot know where one ends: remove the repeated header, or give "
            "the downloads as separate files"
        )
    if len(fields) != width:
        expected = (
            f"the website's download has {width} (the {len(header)} of the header and "
            "an empty one at the end)"
            if trailing
            else f"the header has {len(header)}"
        )
        raise DataFileError(
            f"{name}: line {line} has {len(fields)} fields where {expected}; fix or remove the row"
        )
    if trailing and fields[-1].strip():
        raise DataFileError(
            f"{name}: line {line}: the field after the {len(header)} of the header holds "
            f"{fields[-1]!r}, where the website's download leaves it empty (text added "
            "after the row, or a row shifted by a stray delimiter?); fix or remove the row"
        )
    for column, at in twice.items():
        given = [(header[position], fields[position]) for position in at]
        _one_value(column, given, name, f"line {line}")


def _merged(columns: list):
    """Return (the one column, where its columns disagree) of a field a CSV names several
    times: in each row, the first cell that is not blank (else the first cell), as
    ``_one_value`` takes it; rows whose filled cells differ are where they disagree."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(columns) == 1:
        return columns[0], np.zeros(len(columns[0]), dtype=bool)
    texts = [Coded.of(column).map(str.strip).array() for column in columns]
    chosen = texts[0].copy()
    which = np.zeros(len(chosen), dtype=np.int64)
    have = chosen != ""
    clash = np.zeros(len(chosen), dtype=bool)
    for index, cells in enumerate(texts[1:], start=1):
        filled = cells != ""
        clash |= filled & have & (cells != chosen)
        take = filled & ~have
        chosen[take], which[take] = cells[take], index
        have |= filled
    merged = columns[0].combine_chunks() if isinstance(columns[0], pa.ChunkedArray) else columns[0]
    for index, column in enumerate(columns[1:], start=1):
        if (which == index).any():
            cells = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            merged = pc.if_else(pa.array(which == index), cells, merged)
    return merged, clash


def _json_records(data: list, name: str) -> _Records:
    """Return the records of a JSON answer's ``data``, a column of values for each field
    korus reads; a record that is not an object, or that gives a field twice with two
    values, is an error naming the first such record."""
    import numpy as np

    stop = len(data)
    if not set(map(type, data)) <= {dict}:
        stop = next(index for index, record in enumerate(data) if not isinstance(record, dict))
    records = data[:stop] if stop < len(data) else data
    spellings: dict[str, list] = {}
    for key in set().union(*records) if records else ():
        if normalise(key) in USED:
            spellings.setdefault(normalise(key), []).append(key)
    cells: dict[str, list] = _every_record_whole(records, spellings)
    given = np.zeros(len(records), dtype=np.int64)
    several = np.zeros(len(records), dtype=bool)
    for field, keys in spellings.items():
        if field in cells:
            continue
        if len(keys) == 1:
            cells[field] = [record.get(keys[0]) for record in records]
            continue
        given[:] = 0
        merged = [None] * len(records)
        for key in keys:
            given += np.fromiter((key in record for record in records), bool, len(records))
            merged = [record.get(key, value) for record, value in zip(records, merged, strict=True)]
        cells[field] = merged
        several |= given > 1
    # A record giving a field under two spellings is read by the rules of one record.
    for index in np.flatnonzero(several):
        picked = _picked(records[index], name, int(index) + 1)
        for field, keys in spellings.items():
            if len(keys) > 1:
                cells[field][index] = picked.get(field)
    if stop < len(data):
        raise DataFileError(
            f"{name}: record {stop + 1} of 'data' is a JSON {type(data[stop]).__name__}, "
            "expected an object of fields"
        )
    positions = np.arange(1, len(records) + 1, dtype=np.int64)
    return _Records(name, positions, set(spellings), cells, records)


def _every_record_whole(records: list[dict], spellings: dict[str, list]) -> dict[str, list]:
    """Return the column of each field spelt one way (``record.get(key)`` of each record)
    where every record gives each such field, as the API's answers do, read a record at a
    time by one ``itemgetter`` (250,000 records: 0.3 s, not 1.8 s); else none of them."""
    from operator import itemgetter

    fields = [field for field, keys in spellings.items() if len(keys) == 1]
    if not fields or not records:
        return {}
    keys = [spellings[field][0] for field in fields]
    try:
        values = list(map(itemgetter(*keys), records))
    except KeyError:
        return {}  # (a record without one of them: each is read with ``get``)
    if len(keys) == 1:
        return {fields[0]: values}
    columns = zip(*values, strict=True)
    return {field: list(column) for field, column in zip(fields, columns, strict=True)}


# ----------------------------------------------------------------------------- rows

FRAME_COLUMNS = [
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
]
# Why a row is set aside, in a fixed order: each row's reason is its place in this list.
REASONS = [
    "blank row",
    SERVICES,
    *(
        f"flow {code} ({label}): part of the main flows, never added to them"
        for code, label in OTHER_FLOWS.items()
    ),
    *(f"breakdown by {label} (the aggregate row is kept)" for _, label in BREAKDOWNS.values()),
]
_OTHER_FLOW = {code: 2 + index for index, code in enumerate(OTHER_FLOWS)}
_BREAKDOWN = 2 + len(OTHER_FLOWS)


def _frame(records: _Records, name, layout, accounting, release) -> Reading:
    """Return the reading of a file's records, a column at a time, not yet settled (the
    caller lets the records go first).

    What a row is (blank, services, a flow set aside, a breakdown, its period, countries,
    product and figure) is worked out once per distinct cell (or tuple of cells); the
    rows a column-wise reading cannot vouch for (an error, or a figure written in other
    digits) are read in order by the rules of one row (``_row``), so the first error is
    said of its own row as before.
    """
    import numpy as np
    import pandas as pd

    accounting.line_word = "line" if layout == LAYOUT_CSV else "record"
    count = len(records)
    accounting.rows_read = count
    if count:
        _require(records.fields, name)
    text = records.text
    blank = np.ones(count, dtype=bool)
    for field in ("flowcode", "cmdcode", "primaryvalue", *sorted(records.fields)):
        if not blank.any():
            break
        blank &= records.among(field, {""})
    live = ~blank
    kinds = text("typecode").map(lambda kind: {"S": 1, "": 0, "C": 0}.get(kind.upper(), 2))
    kind = kinds.array(np.int8)  # (small codes: a million rows' arrays are the peak here)
    unsure = live & (kind == 2)
    goods = live & (kind == 0)
    codes = text("flowcode").map(str.upper)
    flows = codes.map(FLOWS.get)
    other = codes.map(lambda code: _OTHER_FLOW.get(code, -1)).array(np.int16)
    known = flows.map(lambda flow: flow is not None).array(bool)
    unsure |= goods & ~known & (other < 0)
    main = goods & known
    reason = np.full(count, -1, dtype=np.int16)
    reason[blank] = 0
    reason[live & (kind == 1)] = 1
    reason[goods & ~known] = other[goods & ~known]
    broken = np.zeros(count, dtype=bool)
    for index, (field, (aggregate, _)) in enumerate(BREAKDOWNS.items()):
        if field not in records.fields:
            continue  # absent: the aggregate row
        out = main & ~broken & ~text(field).map(lambda v, a=aggregate: v.upper() in a).array(bool)
        reason[out] = _BREAKDOWN + index
        broken |= out
    kept = main & ~broken

    joints: dict[tuple, Coded] = {}

    def judged(fields: list[str], rule) -> Coded:
        if tuple(fields) not in joints:
            joints[tuple(fields)] = joint_codes([text(field) for field in fields])
        return joints[tuple(fields)].map(rule)

    periods = judged(["freqcode", "period", "refyear", "refmonth"], _period_of)
    reporters = judged(["reportercode", "reporteriso"], lambda pair: _country_of("reporter", pair))
    partners = judged(["partnercode", "partneriso"], lambda pair: _country_of("partner", pair))
    products = judged(["cmdcode", "classificationcode", "aggrlevel"], _product_of)
    values, sure = records.figures("primaryvalue")
    for column in (periods, reporters, partners, products):
        sure &= column.map(lambda found: found is not None).array(bool)
    unsure |= kept & ~sure
    cache: dict = {}
    for row in np.flatnonzero(unsure):
        # Raises the row's error, or reads what the columns could not vouch for (a
        # figure in other digits than ASCII).
        found = _row(records, int(row), name, accounting.line_word, cache)
        if len(found) == 1:  # never: the columns set no such row aside
            raise AssertionError(f"{name}: row {row} set aside by its rules, not its columns")
        values[row] = found[-1]
    cif, fob = records.among("cifvalue", MISSING), records.among("fobvalue", MISSING)
    records.release()  # (every row is read: its cells are let go before the frame is made)

    aside = np.flatnonzero(reason >= 0)
    found, first, counts = np.unique(reason[aside], return_index=True, return_counts=True)
    for at in np.argsort(first, kind="stable"):
        accounting.set_aside_rows(REASONS[found[at]], int(counts[at]))
    at = np.flatnonzero(kept)
    accounting.rows_kept = len(at)
    _refuse_services_only(accounting, name)
    restored = products.map(lambda found: bool(found and found[2])).array(bool)
    padded = int(np.count_nonzero(restored[at]))
    if padded:
        accounting.notes.append(
            f"{padded} product codes had lost their leading zero (a spreadsheet?); restored "
            "from the aggregation level (1 -> 01)"
        )
    imports = flows.map(lambda flow: flow in ("import", "re-import")).array(bool, at=at)
    cif, fob = cif[at], fob[at]
    basis_doubts = {
        "import": int(np.count_nonzero(imports & cif & ~fob)),
        "export": int(np.count_nonzero(~imports & fob & ~cif)),
    }
    for side, doubts in basis_doubts.items():
        if doubts:
            documented, said = ("CIF", "FOB") if side == "import" else ("FOB", "CIF")
            accounting.notes.append(
                f"{doubts} {side} rows give only a {said.lower()}value: the reporter may have "
                f"valued them {said}; kept as {documented}, Comtrade's definition of "
                "primaryValue"
            )
    if len(at):
        month = periods.map(lambda found: found[1] or 0 if found else 0).array(np.int64, at=at)
        frame = pd.DataFrame(
            {
                "line": records.positions[at],
                "origin": judged(["partnercode", "partneriso"], lambda p: p[0] or p[1]).strings(at),
                "year": periods.map(lambda found: found[0] if found else 0).array(np.int64, at=at),
                "month": pd.arrays.IntegerArray(month.astype(np.int8), month == 0),
                "reporter": reporters.strings(at),
                "partner": partners.strings(at),
                "flow": flows.strings(at),
                "product": products.map(lambda found: found and found[0]).strings(at),
                "classification": products.map(lambda found: found and found[1]).strings(at),
                "value_usd": values[at],
                "basis": flows.map(lambda flow: BASIS.get(flow)).strings(at),
            },
            copy=False,  # (arrays of its own, made here: not copied into blocks)
        )
    else:
        frame = pd.DataFrame([], columns=FRAME_COLUMNS)
        frame["month"] = frame["month"].astype("Int8")
        frame["basis"] = frame["flow"].map(BASIS)
    # (the vintage says a fetch's record where the file was fetched)
    put_same(frame, source=SOURCE, vintage=sidecar.vintage(name, release or NO_RELEASE))
    accounting.origin_label = "Comtrade partner codes"
    accounting.contradiction_hint = CONTRADICTION_HINT
    comtrade_legacy.note_caveats(frame, accounting)
    return Reading(frame, [accounting])
