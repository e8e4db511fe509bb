"""US Census Bureau international trade API answers (``api.census.gov/data/timeseries/intltrade``).

Two layouts of the same fields:

- ``census-api-json``: the API's own answer, a JSON array of arrays, the header row first
  and every value a string: ``[["E_COMMODITY","ALL_VAL_MO","CTY_CODE","time"],
  ["87","1234567","5800","2016-01"], ...]``;
- ``census-api-csv``: the same fields saved as CSV (one header line).

Values are in **US dollars** (no unit conversion). Fields read:

- values: exports ``ALL_VAL_MO``/``ALL_VAL_YR`` (total exports, F.A.S.); imports
  ``GEN_VAL_MO``/``GEN_VAL_YR`` (general imports, customs value) or ``CON_VAL_MO``/
  ``CON_VAL_YR`` (imports for consumption, customs value). An answer with both GEN and
  CON fields gives the same trade on two bases: general imports are kept and the
  consumption fields are set aside with a note (adding both would count the trade twice).
  ``_MO`` is the month's value; ``_YR`` is year-to-date, so only December's ``_YR`` is a
  whole year and gives an annual row (another month's ``_YR`` is never a year).
- product: ``E_COMMODITY``/``I_COMMODITY`` (classification "HS"), ``NAICS``/``E_NAICS``/
  ``I_NAICS`` ("NAICS"), ``E_ENDUSE``/``I_ENDUSE`` ("Census end-use"); the code is kept as
  text with its leading zeros. A code ``-``, ``TOTAL`` or empty is all goods (``TOTAL``).
  Without a product field every row is all goods.
- partner: ``CTY_CODE``, Census Schedule C (``-`` is the total for all countries, korus
  ``WLD``); a Census group code starting with 0 is kept only when ``CTY_NAME``, where
  given, names the same group. Regional totals such as ``1XXX`` are set aside (korus has
  no code for them). Without ``CTY_CODE``, ``CTY_NAME`` is resolved as a country name.
- period: ``time`` (``YYYY-MM``), or ``YEAR`` and ``MONTH``.

What the API leaves out and what it gives twice:

- **Months without trade.** The API answers only the partner-months (and products) that
  had trade. Where the answer holds all twelve months of a year (for any partner), its
  question covered that year, and a partner (or a partner's product) of the answer absent
  in one of its months had no trade then: the month is written as 0.0 and the count said
  in a note. A year the answer does not hold whole stays as it is (a partial year); a
  year with no month at all stays absent.
- **Several levels.** An answer may hold several commodity levels (COMM_LVL HS2 beside
  HS4, the TOTAL beside its products; told by the codes' length) or several country
  groupings (SUMMARY_LVL CGP beside DET). One level is read, the finest (the countries):
  the others are their sums, set aside and counted, never added to them. A coarser row
  whose finer parts in the answer do not add up to it is refused: the finer rows alone
  would pass for the whole.

The reporter is the United States. The answer says nothing of its release: the vintage is
the last month it covers.

The rows are read in ``census_api_rows`` (a column at a time, the levels kept) and the
months the answer leaves out are filled in ``census_api_months``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from korus import trust
from korus.errors import DataFileError
from korus.fetch import sidecar
from korus.readers import jsontext
from korus.readers.census_api_months import (
    _with_absent_months_as_zero,
    _years_from_months_where_december_is_short,
)
from korus.readers.census_api_rows import (
    _PRODUCT,
    ALL_GOODS,
    _Columnar,
    _countries_not_groupings,
    _one_commodity_level,
    _partner,
    _period,
    _records,
    _Row,
)
from korus.readers.columns import (
    first_text,
    object_columns,
    ordered_counts,
    text_columns,
)
from korus.readers.common import number, raw_bytes, read_json, utf8_bytes
from korus.readers.same import put_same, sorted_rows
from korus.schema import TOTAL, Accounting, Reading

LAYOUT_JSON = "census-api-json"
LAYOUT_CSV = "census-api-csv"
LAYOUT = LAYOUT_JSON
LAYOUTS = (LAYOUT_JSON, LAYOUT_CSV)
DESCRIPTION = "US Census international trade API answer (JSON array of arrays, or as CSV)"
SOURCE = "US Census Bureau, international trade API"

# product field -> (flow it implies or None, classification)
PRODUCT_FIELDS = {
    "E_COMMODITY": ("export", "HS"),
    "I_COMMODITY": ("import", "HS"),
    "NAICS": (None, "NAICS"),
    "E_NAICS": ("export", "NAICS"),
    "I_NAICS": ("import", "NAICS"),
    "E_ENDUSE": ("export", "Census end-use"),
    "I_ENDUSE": ("import", "Census end-use"),
}
# value series -> (flow, basis)
SERIES = {
    "ALL": ("export", "total exports, F.A.S."),
    "GEN": ("import", "general imports, customs value"),
    "CON": ("import", "imports for consumption, customs value"),
}
VALUE_FIELDS = {f"{series}_VAL_{part}" for series in SERIES for part in ("MO", "YR")}
TIME_FIELDS = {"time", "YEAR"}
# Parts against their total and months against December's year-to-date: 0.1%.
TOLERANCE = 1e-3

_HEADER = re.compile(r"^\s*\[\s*(\[[^\[\]]*\])", re.S)


def _is_header(fields: list[str]) -> bool:
    names = set(fields)
    return bool(names & VALUE_FIELDS) and bool(names & TIME_FIELDS)


def sniff(sample) -> str | None:
    """Return the API layout of a file: its header holds an API value field and a period."""
    if sample.kind == "json":
        match = _HEADER.match(sample.text)
        if not match:
            return None
        try:
            header = json.loads(match.group(1))
        except ValueError:
            return None
        if all(isinstance(field, str) for field in header) and _is_header(header):
            return LAYOUT_JSON
        return None
    if sample.kind == "text" and _is_header(sample.cells(0)):
        return LAYOUT_CSV
    return None


def companion(sample) -> str | None:
    """Return what a file is when it is the record ``korus fetch`` writes beside an answer."""
    return sidecar.companion(sample)


def read(path: Path) -> Reading:
    """Return the canonical frame of an API answer, JSON or CSV judged by its first byte."""
    start = first_text(path, 256).lstrip()
    return read_layout(path, LAYOUT_JSON if start.startswith("[") else LAYOUT_CSV)


def read_layout(path: Path, layout: str) -> Reading:
    """Return the canonical frame of an API answer in the given layout."""
    name = str(path)
    if layout == LAYOUT_JSON:
        header, columns, count = _json_columns(path)

        def where(line: int, field: str) -> str:
            return f"row {line} of the JSON array (row 1 is the header), field {field!r}"

    else:
        first, columns = text_columns(path)
        header = [str(cell).strip() for cell in first]
        count = len(columns[0]) if columns else 0

        def where(line: int, field: str) -> str:
            return f"line {line}, column {field!r}"

    return _read(name, layout, header, columns, count, where)


def _json_columns(path: Path) -> tuple[list[str], list, int]:
    """Return (header, the columns of the rows as text, number of rows) of a JSON answer:
    of the shape answers have, from its bytes' positions (``jsontext``); else as
    ``json.load`` reads it, whose errors name the line and column."""
    name = str(path)
    found = jsontext.text_rows(utf8_bytes(raw_bytes(path), Path(path)))
    if found is not None:
        header, columns = found
        return [field.strip() for field in header], columns, len(columns[0])
    data = read_json(path)
    if (
        not isinstance(data, list)
        or not data
        or not isinstance(data[0], list)
        or not all(isinstance(field, str) for field in data[0])
    ):
        raise DataFileError(
            f"{name}: not a Census API answer: expected a JSON array of arrays whose first "
            "array is the header (field names)"
        )
    header = [field.strip() for field in data[0]]
    rows = data[1:]
    if not (set(map(type, rows)) <= {list} and set(map(len, rows)) <= {len(header)}) or not all(
        set(map(type, cells)) <= _JSON_VALUES for cells in zip(*rows, strict=True)
    ):
        _check_json_rows(name, header, rows)
    return header, object_columns(rows, len(header)), len(rows)


_JSON_VALUES = {str, int, float, bool, type(None)}


def _check_json_rows(name: str, header: list[str], rows: list) -> None:
    """Raise DataFileError at the first row that is not an array of as many values as the
    header has fields, or that holds something else than a value."""
    for index, row in enumerate(rows, start=2):
        if not isinstance(row, list) or len(row) != len(header):
            shown = len(row) if isinstance(row, list) else type(row).__name__
            raise DataFileError(
                f"{name}: row {index} of the JSON array has {shown} values for the "
                f"{len(header)} fields of the header"
            )
        for field, value in zip(header, row, strict=True):
            if value is not None and not isinstance(value, str | int | float):
                raise DataFileError(
                    f"{name}: row {index} of the JSON array, field {field!r}: "
                    f"expected a value, found {json.dumps(value)[:40]}"
                )


def _read(
    name: str, layout: str, header: list[str], columns_given: list, count: int, where
) -> Reading:
    import numpy as np

    # The columns are this reading's own (the caller's list is emptied), so that they are
    # let go once the frame is made, before the trust layer's rules run.
    columns = columns_given.copy()
    columns_given.clear()
    accounting = Accounting(file=name, layout=layout)
    position: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for index, field in enumerate(header):
        if field in position:
            repeated.setdefault(field, [position[field]]).append(index)
        else:
            position[field] = index

    products = [field for field in PRODUCT_FIELDS if field in position]
    if len(products) > 1:
        raise DataFileError(
            f"{name}: the header has several product fields ({', '.join(products)}); "
            "give one classification per file"
        )
    product_field = products[0] if products else None
    present = {series for series in SERIES if f"{series}_VAL_MO" in position}
    present |= {series for series in SERIES if f"{series}_VAL_YR" in position}
    if not present:
        raise DataFileError(
            f"{name}: the header has no value field (ALL_VAL_MO/YR for exports, GEN_VAL_MO/YR "
            "or CON_VAL_MO/YR for imports)"
        )
    flows = {SERIES[series][0] for series in present}
    if len(flows) > 1:
        raise DataFileError(
            f"{name}: the header mixes export fields (ALL_VAL_*) and import fields "
            "(GEN_VAL_*, CON_VAL_*); give exports and imports in separate files"
        )
    flow = flows.pop()
    implied = PRODUCT_FIELDS[product_field][0] if product_field else None
    if implied is not None and implied != flow:
        raise DataFileError(
            f"{name}: the product field {product_field} is for {implied}s but the value "
            f"fields are for {flow}s; the answer is inconsistent"
        )
    classification = PRODUCT_FIELDS[product_field][1] if product_field else "none"
    if flow == "export":
        series = "ALL"
    elif "GEN" in present:
        series = "GEN"
        if "CON" in present:
            fields = [f for f in ("CON_VAL_MO", "CON_VAL_YR") if f in position]
            accounting.notes.append(
                f"{', '.join(fields)} (imports for consumption) set aside: general imports "
                "(GEN_VAL_*) are kept, as the same trade on two bases would count it twice"
            )
    else:
        series = "CON"
    basis = SERIES[series][1]
    month_field = f"{series}_VAL_MO" if f"{series}_VAL_MO" in position else None
    year_field = f"{series}_VAL_YR" if f"{series}_VAL_YR" in position else None
    if "time" not in position and not {"YEAR", "MONTH"} <= set(position):
        raise DataFileError(
            f"{name}: the header has no period: expected a 'time' field (YYYY-MM) or YEAR "
            "and MONTH fields"
        )
    if "CTY_CODE" not in position and "CTY_NAME" not in position:
        raise DataFileError(
            f"{name}: the answer names no partner: add CTY_CODE to the fields asked for "
            "(get=...,CTY_CODE)"
        )
    used = {product_field, month_field, year_field, "time", "YEAR", "MONTH", "CTY_CODE"}
    used.add("SUMMARY_LVL")  # countries (DET) or their groupings (CGP)
    used.add("CTY_NAME")  # the partner without CTY_CODE; else the check of group codes
    unread = [
        field
        for field in position
        if field not in used and not (series == "GEN" and field.startswith("CON_VAL_"))
    ]
    if unread:
        accounting.notes.append(f"fields not read: {', '.join(unread)}")

    def value(row: list, field: str) -> str:
        return row[position[field]].strip()

    has_code = "CTY_CODE" in position

    def exact(offset: int) -> _Row | None:
        """Return one row read by the rules a row at a time (None for a blank row), or raise
        its error: for the rows whose cells the column-wise reading cannot vouch for."""
        row = [column[offset].as_py() for column in columns]
        line = offset + 2
        if all(not cell.strip() for cell in row):
            return None
        for field, indexes in repeated.items():
            values = {row[i].strip() for i in indexes}
            if len(values) > 1:
                raise DataFileError(
                    f"{name}: {where(line, field)}: the field appears {len(indexes)} times "
                    f"with different values {sorted(values)}"
                )
        year, month = _period(row, value, position, name, line, where)
        census_code = value(row, "CTY_CODE") if has_code else ""
        census_name = value(row, "CTY_NAME") if "CTY_NAME" in position else ""
        summary = value(row, "SUMMARY_LVL") if "SUMMARY_LVL" in position else ""
        partner, reason = _partner(census_code, census_name, has_code)
        origin = census_code or census_name
        if partner is None:
            return _Row(line, origin, None, reason, summary, year, month)
        product, product_class = TOTAL, "none"
        if product_field:
            code = value(row, product_field)
            if code.upper() not in ALL_GOODS:
                if not _PRODUCT.match(code):
                    raise DataFileError(
                        f"{name}: {where(line, product_field)}: product code {code!r} is not "
                        "a code of digits, '-' or TOTAL"
                    )
                product, product_class = code, classification
        monthly = annual = None
        if month_field:
            monthly = number(value(row, month_field), file=name, where=where(line, month_field))
        if year_field and month == 12:
            # December's year-to-date is the whole year; the trust layer holds it to the
            # sum of the twelve months where the answer has them.
            annual = number(value(row, year_field), file=name, where=where(line, year_field))
        return _Row(
            line, origin, partner, "", summary, year, month, product, product_class, monthly, annual
        )

    rows = _Columnar(count, position, columns, repeated, product_field, classification)
    rows.numbers(month_field, year_field)
    for offset in np.flatnonzero(rows.unsure()):
        rows.put(int(offset), exact(int(offset)))
    # A code that is not one is left only on rows set aside for their partner.
    rows.product.values = [found or (TOTAL, "none") for found in rows.product.values]
    accounting.rows_read += count
    accounting.set_aside_rows("blank row", int(np.count_nonzero(rows.blank)))
    kept = _countries_not_groupings(rows, accounting, name)
    has_monthly = rows.partner_ok() if month_field else np.zeros(count, dtype=bool)
    has_annual = rows.partner_ok() & (rows.month == 12) & bool(year_field)
    without_value = rows.partner_ok() & ~has_monthly & ~has_annual
    aside = np.flatnonzero(kept & (~rows.partner_ok() | without_value))
    if len(aside):
        ytd = f"{year_field} of a month before December: year-to-date, not a whole year"
        reasons = rows.partner.map(lambda found: ytd if found[0] is not None else found[1])
        for reason, n in ordered_counts(reasons.array(at=aside)):
            accounting.set_aside_rows(reason, n)
    usable = np.flatnonzero(kept & rows.partner_ok() & ~without_value)
    usable = _one_commodity_level(
        rows,
        usable,
        (has_monthly, has_annual),
        accounting,
        name,
        classification,
        product_field,
        where,
    )
    accounting.rows_kept += len(usable)
    if not len(usable):
        raise DataFileError(f"{name}: the answer has a header but no rows korus can use")
    columns.clear()  # (every row is read: the cells are let go before the frame is made)
    rows.release()
    frame = _records(rows, usable, has_monthly, has_annual)
    del rows, exact, kept, has_monthly, has_annual, without_value, usable, aside
    months = frame["month"].to_numpy(dtype="float64", na_value=np.nan)
    if not np.isnan(months).all():
        last = int(np.nanmax(frame["year"].to_numpy() * 13 + months))
        vintage = f"data through {last // 13}-{last % 13:02d}"
    else:
        vintage = f"data through {int(frame['year'].max())}-12"
    frame = _with_absent_months_as_zero(frame, accounting, bool(product_field))
    frame["month"] = frame["month"].astype("Int8")
    put_same(
        frame,
        reporter="USA",
        flow=flow,
        source=SOURCE,
        basis=basis,
        vintage=sidecar.vintage(name, vintage),  # "retrieved ... from ..." if fetched
    )
    accounting.line_word = "row" if layout == LAYOUT_JSON else "line"
    accounting.origin_label = "Census codes"
    reading = trust.settle(Reading(frame, [accounting]))
    frame = _years_from_months_where_december_is_short(reading.frame, accounting, year_field)
    frame = sorted_rows(frame, ["partner", "product", "year", "month"])
    return replace(reading, frame=frame.reset_index(drop=True))
