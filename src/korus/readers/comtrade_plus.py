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

Field names and codes: UN Comtrade+ API documentation (comtradeplus.un.org, "Data items"
and the reference lists of flows and customs/transport codes); snake_case names as written
by ropensci/comtradr (``ct_pretty_cols``).
"""

from __future__ import annotations

import csv
import functools
import math
import re
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, UnknownCountryError
from korus.fetch import sidecar
from korus.readers import comtrade_legacy
from korus.readers.common import ENCODING, decode, is_digits, number, raw_bytes, read_json
from korus.schema import TOTAL, Accounting, Reading

LAYOUT_CSV = "comtrade-plus-csv"
LAYOUT_JSON = "comtrade-plus-json"
LAYOUT = LAYOUT_JSON
LAYOUTS = (LAYOUT_CSV, LAYOUT_JSON)
DESCRIPTION = (
    "UN Comtrade+ (API v1) answer, JSON or CSV, or the website's CSV download "
    "(refYear,reporterCode,...,primaryValue)"
)
SOURCE = "UN Comtrade (Comtrade+)"
NO_RELEASE = "release not stated in the file"

FLOWS = {
    "X": "export",
    "M": "import",
    "RX": "re-export",
    "RM": "re-import",
    "2": "export",
    "1": "import",
    "3": "re-export",
    "4": "re-import",
}
# Comtrade+ flows that are parts or variants of the four above: never added to them.
OTHER_FLOWS = {
    "DX": "domestic exports",
    "FM": "foreign imports",
    "MIP": "imports for inward processing",
    "XIP": "exports after inward processing",
    "MOP": "imports after outward processing",
    "XOP": "exports for outward processing",
}
SERVICES = "services (typeCode S): korus reads trade in goods"
# Comtrade's valuation of each flow and its classification codes, as in the legacy files.
BASIS = comtrade_legacy.BASIS
CONTRADICTION_HINT = comtrade_legacy.CONTRADICTION_HINT
CLASSIFICATIONS = comtrade_legacy.CLASSIFICATIONS
# Breakdown fields (normalised names) and the values that mean "all": the aggregate row.
# None of these fields has a code "NA": there it is R's missing value (comtradr's CSV).
BREAKDOWNS = {
    "partner2code": ({"", "NA", "0"}, "second partner"),
    "customscode": ({"", "NA", "C00"}, "customs procedure"),
    "motcode": ({"", "NA", "0"}, "mode of transport"),
    "moscode": ({"", "NA", "0"}, "mode of supply"),
}
MISSING = {"", "NA"}  # in value fields (cifvalue, fobvalue): no value
WORLD_ISO = {"W00", "WLD"}
# Fields that would say when the figures were released (normalised names).
RELEASE_FIELDS = ("lastreleased", "releasedate", "lastupdated", "lastupdate", "publicationdate")
# Answer sizes at which the API stops (free key, subscription): the answer is cut short.
API_LIMITS = {100_000, 250_000}
# The comtradeplus.un.org website writes its CSV downloads in Windows-1252 and ends every
# data row with one more delimiter than the header has (an empty last field): the
# download's own shape, which korus reads as such (see ``read_csv_answer``).
WEBSITE_ENCODING = "cp1252"
WEBSITE_VARIANT = "website download: trailing delimiter"

# The fields korus reads (normalised names); the others (quantities, descriptions of
# breakdowns, flags) are left in the file.
USED = frozenset(
    {
        "typecode",
        "freqcode",
        "refyear",
        "refmonth",
        "period",
        "reportercode",
        "reporteriso",
        "reporterdesc",
        "flowcode",
        "partnercode",
        "partneriso",
        "partnerdesc",
        "classificationcode",
        "cmdcode",
        "aggrlevel",
        "primaryvalue",
        "cifvalue",
        "fobvalue",
        *BREAKDOWNS,
        *RELEASE_FIELDS,
    }
)

# The fields korus only quotes (in an error naming a country code it does not know): given
# twice with different values, neither changes a figure.
DESCRIBED = frozenset({"reporterdesc", "partnerdesc"})

_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:')
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_PRODUCT = re.compile(r"^(\d{2}|\d{4}|\d{6})$", re.ASCII)
_VALUE_FIELDS = {"flowcode", "cmdcode", "primaryvalue"}


@functools.lru_cache(maxsize=1024)
def normalise(name: object) -> str:
    """Return a field name without case, underscores, spaces or a BOM: refYear == ref_year."""
    return re.sub(r"[\s_]", "", str(name).lstrip("\ufeff")).lower()


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
    data = raw_bytes(path)
    # Judged on the bytes: a CSV download need not be UTF-8 (the website's is cp1252).
    start = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return read_json_answer(path) if start in (b"{", b"[") else read_csv_answer(path, data)


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
    records = []
    for index, record in enumerate(data):
        if not isinstance(record, dict):
            raise DataFileError(
                f"{name}: record {index + 1} of 'data' is a JSON {type(record).__name__}, "
                "expected an object of fields"
            )
        records.append(_picked(record, name, index + 1))
    count = top.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count != len(records):
        accounting.notes.append(f"the answer says count {count} but holds {len(records)} records")
    if len(records) in API_LIMITS:
        accounting.notes.append(
            f"exactly {len(records):,} records: the API's limit per answer; the answer is "
            "probably cut short (ask for fewer years or partners at a time)"
        )
    release = _release([top, *records])
    lines = list(range(1, len(records) + 1))
    return _frame(records, name, LAYOUT_JSON, accounting, release, lines)


def read_csv_answer(path: Path, data: bytes | None = None) -> Reading:
    """Return the canonical frame of a Comtrade+ CSV and its row accounting.

    The website's download is read as it is written: every data row with one empty field
    more than the header (a row whose extra field holds something, or a row of another
    width, is an error naming its line), in cp1252 where its bytes are not UTF-8. The
    accounting's variant says so; ``--encoding`` wins when given.
    """
    name = str(path)
    data = raw_bytes(path) if data is None else data
    text, encoding = _csv_text(data, Path(path))
    records, lines, trailing = _csv_records(text, name)
    accounting = Accounting(file=name, layout=LAYOUT_CSV)
    if trailing:
        accounting.variant = f"{WEBSITE_VARIANT}, {encoding}"
    release = _release(records)
    return _frame(records, name, LAYOUT_CSV, accounting, release, lines)


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


def _records(text: str, name: str):
    """Yield (first line, fields) of each non-blank record of a CSV text; text that is not
    CSV is an error naming the line."""
    csv.field_size_limit(2**31 - 1)  # a long description is still one field
    # Lines cut as a file opened with newline="" cuts them, one at a time: a StringIO
    # would hold the whole text again, four bytes a character, while the records grow.
    reader = csv.reader(match.group() for match in _LINE.finditer(text))
    start = 1
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1
            if fields:
                yield line, fields
    except csv.Error as exc:
        raise DataFileError(
            f"{name}: line {reader.line_num}: not valid CSV ({exc}); a stray quote or line "
            "break inside a cell?"
        ) from None


def _trailing_delimiter(text: str) -> bool:
    """Return whether the first data row of a CSV has one field more than its header, an
    empty one at the end: the website download's shape."""
    records = _records(text, "")
    try:
        header, row = next(records, (0, None))[1], next(records, (0, None))[1]
    except DataFileError:
        return False
    if header is None or row is None:
        return False
    return len(row) == len(header) + 1 and not row[-1].strip()


def _csv_records(text: str, name: str) -> tuple[list[dict], list[int], bool]:
    """Return a CSV's rows as records of the fields korus reads (normalised names), the
    first line of each, and whether the rows carry the website's empty last field.

    The first data row says which shape the file has; every other row must have it: a
    ragged row is an error naming its line, never filled with blanks or cut short.
    """
    rows = _records(text, name)
    _, header = next(rows, (0, None))
    if header is None:
        raise DataFileError(f"{name}: the file holds no rows")
    # A field named twice (refYear and ref_year) is one field: its columns must agree.
    used: dict[str, list[int]] = {}
    for position, column in enumerate(normalise(cell) for cell in header):
        if column in USED:
            used.setdefault(column, []).append(position)
    twice = {column: at for column, at in used.items() if len(at) > 1}
    records: list[dict] = []
    lines: list[int] = []
    trailing = False
    for line, fields in rows:
        if not lines:
            trailing = len(fields) == len(header) + 1 and not fields[-1].strip()
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
                f"{name}: line {line} has {len(fields)} fields where {expected}; fix or "
                "remove the row"
            )
        if trailing and fields[-1].strip():
            raise DataFileError(
                f"{name}: line {line}: the field after the {len(header)} of the header holds "
                f"{fields[-1]!r}, where the website's download leaves it empty (text added "
                "after the row, or a row shifted by a stray delimiter?); fix or remove the row"
            )
        record = {column: fields[at[0]] for column, at in used.items()}
        for column, at in twice.items():
            given = [(header[position], fields[position]) for position in at]
            record[column] = _one_value(column, given, name, f"line {line}")
        records.append(record)
        lines.append(line)
    return records, lines, trailing


# ----------------------------------------------------------------------------- rows


def _frame(records, name, layout, accounting, release, lines: list[int]) -> Reading:
    """Return the settled reading of a file's records; ``lines`` are their places in the
    file (a CSV's lines, a JSON answer's record numbers)."""
    import pandas as pd

    accounting.line_word = "line" if layout == LAYOUT_CSV else "record"

    def locate(index: int) -> str:
        return f"{accounting.line_word} {lines[index]}"

    accounting.rows_read = len(records)
    fields = set().union(*records) if records else set()
    if records:
        _require(fields, name)
    rows = []  # (index, year, month, reporter, partner, flow, product, classification, value)
    padded = 0
    basis_doubts = {"import": 0, "export": 0}
    country_cache: dict[tuple[str, str, str], str] = {}
    for index, record in enumerate(records):

        def where(field: str, index=index) -> str:
            return f"{locate(index)}, field {_SPELLING.get(field, field)!r}"

        def text(field: str, record=record) -> str:
            return _text(record.get(field))

        if all(not _text(value) for value in record.values()):
            accounting.set_aside_rows("blank row", 1)
            continue
        kind = text("typecode").upper()
        if kind == "S":
            accounting.set_aside_rows(SERVICES, 1)
            continue
        if kind not in ("", "C"):
            raise DataFileError(
                f"{name}: {where('typecode')}: unknown trade type {kind!r} (expected C, goods)"
            )
        code = text("flowcode").upper()
        flow = FLOWS.get(code)
        if flow is None:
            if code in OTHER_FLOWS:
                accounting.set_aside_rows(
                    f"flow {code} ({OTHER_FLOWS[code]}): part of the main flows, never added "
                    "to them",
                    1,
                )
                continue
            raise DataFileError(
                f"{name}: {where('flowcode')}: unknown flow code {code!r} "
                "(expected X, M, RX, RM or 1, 2, 3, 4)"
            )
        breakdown = next(
            (
                label
                for field, (aggregate, label) in BREAKDOWNS.items()
                if text(field).upper() not in aggregate
            ),
            None,
        )
        if breakdown is not None:
            accounting.set_aside_rows(f"breakdown by {breakdown} (the aggregate row is kept)", 1)
            continue
        year, month = _period(record, name, where)
        reporter = _country(record, "reporter", name, where, country_cache)
        partner = _country(record, "partner", name, where, country_cache)
        product = text("cmdcode")
        scheme = text("classificationcode").upper()
        if product.upper() == TOTAL:
            product, classification = TOTAL, "none"
        else:
            if scheme and scheme not in CLASSIFICATIONS:
                raise DataFileError(
                    f"{name}: {where('classificationcode')}: product {product!r} is in "
                    f"classification {scheme!r}; korus reads HS products (H0-H6, HS) or TOTAL: "
                    "ask Comtrade for HS"
                )
            restored = _restore_zero(product, text("aggrlevel"))
            if restored != product:
                padded += 1
                product = restored
            if not _PRODUCT.match(product):
                raise DataFileError(
                    f"{name}: {where('cmdcode')}: product code {product!r} is not TOTAL or a "
                    "2, 4 or 6 digit HS code (leading zeros lost in a spreadsheet?)"
                )
            classification = CLASSIFICATIONS.get(scheme or "HS")
        value = number(record.get("primaryvalue"), file=name, where=where("primaryvalue"))
        side = "import" if flow in ("import", "re-import") else "export"
        own, other = ("cifvalue", "fobvalue") if side == "import" else ("fobvalue", "cifvalue")
        if text(own) in MISSING and text(other) not in MISSING:
            basis_doubts[side] += 1
        origin = text("partnercode") or text("partneriso")
        rows.append(
            (index, origin, year, month, reporter, partner, flow, product, classification, value)
        )

    accounting.rows_kept = len(rows)
    _refuse_services_only(accounting, name)
    if padded:
        accounting.notes.append(
            f"{padded} product codes had lost their leading zero (a spreadsheet?); restored "
            "from the aggregation level (1 -> 01)"
        )
    for side, count in basis_doubts.items():
        if count:
            documented, found = ("CIF", "FOB") if side == "import" else ("FOB", "CIF")
            accounting.notes.append(
                f"{count} {side} rows give only a {found.lower()}value: the reporter may have "
                f"valued them {found}; kept as {documented}, Comtrade's definition of "
                "primaryValue"
            )
    frame = pd.DataFrame(
        [(lines[row[0]], *row[1:]) for row in rows],
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
        ],
    )
    frame["month"] = frame["month"].astype("Int8")
    frame["basis"] = frame["flow"].map(BASIS)
    frame["source"] = SOURCE
    frame["vintage"] = sidecar.vintage(name, release or NO_RELEASE)  # with a fetch's record
    accounting.origin_label = "Comtrade partner codes"
    accounting.contradiction_hint = CONTRADICTION_HINT
    comtrade_legacy.note_caveats(frame, accounting)
    return trust.settle(Reading(frame, [accounting]))


def _refuse_services_only(accounting: Accounting, name: str) -> None:
    """Raise DataFileError for a file whose figures are all trade in services: it would
    otherwise read as a file of no trade at all."""
    services = accounting.set_aside.get(SERVICES, 0)
    if accounting.rows_kept or not services:
        return
    others = accounting.rows_set_aside - services
    besides = f" (and {_rows(others)} set aside for other reasons)" if others else ""
    verb = "is" if services == 1 else "are"
    raise DataFileError(
        f"{name}: no goods rows: {_rows(services)} {verb} trade in services (typeCode S)"
        f"{besides}; korus reads trade in goods: download the goods figures (typeCode C)"
    )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


# Canonical spellings of normalised field names, for messages.
_SPELLING = {
    normalise(field): field
    for field in (
        "typeCode",
        "freqCode",
        "refYear",
        "refMonth",
        "period",
        "reporterCode",
        "reporterISO",
        "partnerCode",
        "partnerISO",
        "flowCode",
        "classificationCode",
        "cmdCode",
        "aggrLevel",
        "primaryValue",
        "cifvalue",
        "fobvalue",
    )
}


def _require(fields: set[str], name: str) -> None:
    missing = [
        _SPELLING[field] for field in ("flowcode", "cmdcode", "primaryvalue") if field not in fields
    ]
    for one, other in (
        ("reportercode", "reporteriso"),
        ("partnercode", "partneriso"),
        ("refyear", "period"),
    ):
        if one not in fields and other not in fields:
            missing.append(f"{_SPELLING[one]} or {_SPELLING[other]}")
    if missing:
        raise DataFileError(f"{name}: missing Comtrade+ fields {missing}")


@functools.lru_cache(maxsize=64)
def _fields(keys: tuple) -> tuple[tuple[tuple[str, object], ...], bool]:
    """Return (normalised name, key) for the keys of a record that korus reads, and
    whether a field is among them twice (two spellings: refYear and ref_year)."""
    found = tuple((normalise(key), key) for key in keys if normalise(key) in USED)
    return found, len({field for field, _ in found}) < len(found)


def _picked(record: dict, name: str, number: int) -> dict:
    """Return the fields of a JSON record that korus reads, under normalised names; a field
    given twice must be given one value (``_one_value``)."""
    fields, twice = _fields(tuple(record))
    if not twice:
        return {field: record[key] for field, key in fields}
    given: dict[str, list] = {}
    for field, key in fields:
        given.setdefault(field, []).append((key, record[key]))
    return {
        field: _one_value(field, spellings, name, f"record {number}")
        for field, spellings in given.items()
    }


def _one_value(field: str, spellings: list[tuple[object, object]], name: str, where: str):
    """Return the value of a field a record gives under several spellings ((spelling,
    value) pairs): the one value they give (blank ones aside); two different values are
    an error naming both, as korus never chooses between them. A description (``DESCRIBED``,
    only ever quoted in a message) is the first one given."""
    filled = [(spelling, value) for spelling, value in spellings if _text(value)]
    if field in DESCRIBED:
        return filled[0][1] if filled else spellings[0][1]
    for spelling, value in filled[1:]:
        first, kept = filled[0]
        if _text(value) != _text(kept):
            raise DataFileError(
                f"{name}: {where}: the field is given twice with different values, "
                f"{first!s} {_text(kept)!r} and {spelling!s} {_text(value)!r}; korus cannot "
                "know which is right: keep one of them"
            )
    return filled[0][1] if filled else spellings[0][1]


def _text(value: object) -> str:
    """Return a field as text: null is "", 32.0 is "32", a string is stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


PERIOD_HINT = "years and months are ASCII digits: fix the cell, or download the data again"


def _period(record: dict, name: str, where) -> tuple[int, int | None]:
    freq = _text(record.get("freqcode")).upper()
    period = _text(record.get("period"))
    ref_year = _text(record.get("refyear"))
    if not freq:
        freq = {4: "A", 6: "M"}.get(len(period), "")
    if freq == "A":
        year_text = ref_year or period
        if not is_digits(year_text, 4):
            raise DataFileError(
                f"{name}: {where('refyear')}: year {year_text!r} is not YYYY; {PERIOD_HINT}"
            )
        if period and period != year_text:
            raise DataFileError(
                f"{name}: {where('period')}: annual period {period!r} is not its year "
                f"{year_text!r}; {PERIOD_HINT}"
            )
        return int(year_text), None
    if freq == "M":
        if is_digits(period, 6) and 1 <= int(period[4:]) <= 12:
            return int(period[:4]), int(period[4:])
        ref_month = _text(record.get("refmonth"))
        if (
            not period
            and is_digits(ref_year, 4)
            and is_digits(ref_month)
            and 1 <= int(ref_month) <= 12
        ):
            return int(ref_year), int(ref_month)
        raise DataFileError(
            f"{name}: {where('period')}: monthly period {period!r} is not YYYYMM "
            f"(refYear {ref_year!r}, refMonth {ref_month!r}); {PERIOD_HINT}"
        )
    raise DataFileError(
        f"{name}: {where('freqcode')}: frequency {freq!r} is not A (annual) or M (monthly)"
    )


def _country(record: dict, role: str, name: str, where, cache: dict) -> str:
    code = _text(record.get(f"{role}code"))
    iso = _text(record.get(f"{role}iso")).upper()
    key = (role, code, iso)
    if key in cache:
        return cache[key]
    country = countries.from_comtrade(code) if code else None
    if country is None and iso:
        if iso in WORLD_ISO:
            country = countries.lookup("WLD")
        else:
            try:
                country = countries.lookup(iso)
            except UnknownCountryError:
                country = None
    if country is None:
        described = _text(record.get(f"{role}desc"))
        raise DataFileError(
            f"{name}: {where(f'{role}code')}: {role} code {code!r} (ISO {iso!r}"
            + (f", {described}" if described else "")
            + ") is not a Comtrade area korus knows"
        )
    cache[key] = country.code
    return country.code


def _restore_zero(product: str, level: str) -> str:
    """Return an HS code with the leading zero a spreadsheet took off (1 -> 01), if it did."""
    if is_digits(product) and is_digits(level) and len(product) == int(level) - 1:
        return product.zfill(int(level))
    return product


def _release(records: list[dict]) -> str | None:
    """Return a vintage from a release or update date field, if the answer has one."""
    dates = {
        _text(record.get(field))
        for record in records
        for field in RELEASE_FIELDS
        if _text(record.get(field))
    }
    return f"released {max(dates)}" if dates else None
