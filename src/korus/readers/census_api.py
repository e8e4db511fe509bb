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
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from korus import countries, trust
from korus.errors import DataFileError, KorusError
from korus.fetch import sidecar
from korus.readers.columns import (
    Coded,
    equal_cells,
    figures,
    first_text,
    first_true,
    object_columns,
    ordered_counts,
    pair_codes,
    sorted_rows,
    text_columns,
)
from korus.readers.common import is_digits, number, read_json
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
ALL_GOODS = {"", "-", "TOTAL"}
WORLD_CODES = {"-"}
# Parts against their total and months against December's year-to-date: 0.1%.
TOLERANCE = 1e-3

_HEADER = re.compile(r"^\s*\[\s*(\[[^\[\]]*\])", re.S)
_TIME = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_PRODUCT = re.compile(r"^[0-9A-Z]+$")


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
    """Return (header, the columns of the rows as text, number of rows) of a JSON answer."""
    name = str(path)
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
    return header, object_columns(rows), len(rows)


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


def _read(name: str, layout: str, header: list[str], columns: list, count: int, where) -> Reading:
    import numpy as np

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
        for reason, n in ordered_counts(reasons.array()[aside]):
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
    frame = _records(rows, usable, has_monthly, has_annual)
    months = frame["month"].to_numpy(dtype="float64", na_value=np.nan)
    if not np.isnan(months).all():
        last = int(np.nanmax(frame["year"].to_numpy() * 13 + months))
        vintage = f"data through {last // 13}-{last % 13:02d}"
    else:
        vintage = f"data through {int(frame['year'].max())}-12"
    frame = _with_absent_months_as_zero(frame, accounting, bool(product_field))
    frame["month"] = frame["month"].astype("Int8")
    frame["reporter"] = "USA"
    frame["flow"] = flow
    frame["source"] = SOURCE
    frame["basis"] = basis
    frame["vintage"] = sidecar.vintage(name, vintage)  # "retrieved ... from ..." if fetched
    accounting.line_word = "row" if layout == LAYOUT_JSON else "line"
    accounting.origin_label = "Census codes"
    reading = trust.settle(Reading(frame, [accounting]))
    frame = _years_from_months_where_december_is_short(reading.frame, accounting, year_field)
    frame = sorted_rows(frame, ["partner", "product", "year", "month"])
    return replace(reading, frame=frame.reset_index(drop=True))


class _Row(NamedTuple):
    """One row of the answer as read: where it is, whom and what it gives."""

    line: int
    origin: str  # the partner's Census code (or name)
    partner: str | None  # korus code; None: set aside for ``reason``
    reason: str
    summary: str  # SUMMARY_LVL: DET (a country) or CGP (a grouping); "" without the field
    year: int
    month: int
    product: str = TOTAL
    product_class: str = "none"
    monthly: float | None = None
    annual: float | None = None  # December's year-to-date


DETAIL = "DET"


class _Columnar:
    """The rows of an answer read a column at a time: what each row says (its period,
    partner, product and figures), each distinct cell worked out once."""

    def __init__(self, count, position, columns, repeated, product_field, classification):
        import numpy as np

        self.count = count
        self.blank = np.zeros(count, dtype=bool)

        def coded(field: str) -> Coded:
            if field not in position:
                return Coded.constant("", count)
            return Coded.of(columns[position[field]])

        self._cells = {field: columns[position[field]] for field in position}
        self.year = np.zeros(count, dtype=np.int64)
        self.month = np.zeros(count, dtype=np.int64)
        self.well = np.ones(count, dtype=bool)  # the cells vouched for
        if "time" in position:
            times = coded("time").map(_time_of)
            self.year = times.map(lambda found: found[0] if found else 0).array(np.int64)
            self.month = times.map(lambda found: found[1] if found else 0).array(np.int64)
            self.well &= times.map(bool).array(bool)
        if {"YEAR", "MONTH"} <= set(position):
            years = coded("YEAR").map(_year_of)
            months = coded("MONTH").map(_month_of)
            year = years.map(lambda found: found or 0).array(np.int64)
            month = months.map(lambda found: found or 0).array(np.int64)
            self.well &= (year > 0) & (month > 0)
            if "time" in position:
                self.well &= (year == self.year) & (month == self.month)
            self.year, self.month = year, month
        for indexes in repeated.values():
            for index in indexes[1:]:
                same = equal_cells(columns[indexes[0]], columns[index])
                self.well &= same
        codes = coded("CTY_CODE").map(str.strip)
        names = coded("CTY_NAME").map(str.strip)
        pairs = pair_codes(codes, names)
        has_code = "CTY_CODE" in position
        self.partner = pairs.map(lambda pair: _partner(pair[0], pair[1], has_code))
        self.origin = pairs.map(lambda pair: pair[0] or pair[1])
        self.summary = coded("SUMMARY_LVL").map(str.strip)
        if product_field:
            self.product = coded(product_field).map(lambda code: _product_of(code, classification))
        else:
            self.product = Coded.constant((TOTAL, "none"), count)
        self.monthly = np.zeros(count)
        self.annual = np.zeros(count)
        self._ok_partner = None

    def numbers(self, month_field: str | None, year_field: str | None) -> None:
        """Read the figure columns; a cell that is not plainly a figure is left unsure."""
        import numpy as np

        self.sure_monthly = np.ones(self.count, dtype=bool)
        self.sure_annual = np.ones(self.count, dtype=bool)
        if month_field:
            self.monthly, self.sure_monthly = figures(self._cells[month_field])
        if year_field:
            self.annual, self.sure_annual = figures(self._cells[year_field])
            self.sure_annual |= self.month != 12

    def unsure(self):
        """Return the rows to read by the exact rules: any cell not vouched for."""
        partner = self.partner_ok()
        product = self.product.map(lambda found: found is not None).array(bool)
        figures_well = self.sure_monthly & self.sure_annual
        return ~self.well | (partner & ~(product & figures_well))

    def partner_ok(self):
        if self._ok_partner is None:
            self._ok_partner = self.partner.map(lambda found: found[0] is not None).array(bool)
        return self._ok_partner

    def put(self, offset: int, row: _Row | None) -> None:
        """Set a row to what the exact rules read of it."""
        self._ok_partner = None
        if row is None:
            self.blank[offset] = True
            return
        self.year[offset], self.month[offset] = row.year, row.month
        self.partner.put(offset, (row.partner, row.reason))
        self.origin.put(offset, row.origin)
        self.summary.put(offset, row.summary)
        self.product.put(offset, (row.product, row.product_class))
        if row.monthly is not None:
            self.monthly[offset] = row.monthly
        if row.annual is not None:
            self.annual[offset] = row.annual


def _time_of(text: str) -> tuple[int, int] | None:
    """Return (year, month) of a ``time`` cell, or None where it is not YYYY-MM."""
    try:
        match = _TIME.match(text.strip())
        if match and 1 <= int(match.group(2)) <= 12:
            return int(match.group(1)), int(match.group(2))
    except ValueError:
        pass
    return None


def _year_of(text: str) -> int | None:
    year = text.strip()
    try:
        return int(year) if year.isdigit() and len(year) == 4 else None
    except ValueError:
        return None


def _month_of(text: str) -> int | None:
    month = text.strip()
    try:
        return int(month) if month.isdigit() and 1 <= int(month) <= 12 else None
    except ValueError:
        return None


def _product_of(cell: str, classification: str) -> tuple[str, str] | None:
    """Return (product, classification) of a product cell, None where it is not a code."""
    code = cell.strip()
    if code.upper() in ALL_GOODS:
        return TOTAL, "none"
    if not _PRODUCT.match(code):
        return None
    return code, classification


def _countries_not_groupings(rows: _Columnar, accounting: Accounting, name: str):
    """Return which rows are the answer's countries: where it holds several SUMMARY_LVL
    (DET, countries; CGP, their groupings), the groupings are sums of countries and are set
    aside and counted, never read beside them."""
    import numpy as np

    seen = ~rows.blank
    levels = {rows.summary.values[code] for code in np.unique(rows.summary.codes[seen])}
    if len(levels) <= 1:
        return seen
    if DETAIL not in levels:
        raise DataFileError(
            f"{name}: the answer holds several country groupings (SUMMARY_LVL "
            f"{', '.join(sorted(levels))}) and no countries (DET); korus cannot tell which "
            "rows add up to which: ask the API for one (SUMMARY_LVL=DET for countries)"
        )
    summaries = rows.summary.array()
    for level in sorted(levels - {DETAIL}):
        count = np.count_nonzero(seen & (summaries == level))
        accounting.set_aside_rows(
            f"country grouping (SUMMARY_LVL {level or 'empty'}) beside the countries (DET): "
            "their sum, not read beside them",
            count,
        )
    return seen & (summaries == DETAIL)


def _level_name(width: int, classification: str) -> str:
    if width == 0:
        return "TOTAL"
    if classification == "HS":
        return f"HS{width}"
    return f"{width}-digit {classification}"


def _one_commodity_level(
    rows: _Columnar, usable, has, accounting, name, classification, field, where
):
    """Return the rows (of ``usable``) of the finest commodity level of the answer.

    An answer may hold several levels (COMM_LVL HS2 and HS4, or the TOTAL beside its
    products): the coarser rows are sums of the finer ones and are set aside, counted,
    never added to them. Each is first held to its parts (the finer codes that start with
    its code, for the same partner and period): an answer whose finer level lacks parts
    is refused, as the finer rows alone would pass for the whole.
    """
    import numpy as np
    import pandas as pd

    widths_of = rows.product.map(lambda found: 0 if found[0] == TOTAL else len(found[0]))
    width = widths_of.array(np.int64)[usable]
    widths = {int(w) for w in np.unique(width)}
    if len(widths) <= 1:
        return usable
    finest = max(widths)
    detail, coarser = usable[width == finest], usable[width < finest]
    coarse_width = width[width < finest]
    # Each row's key (origin, year, month) as one number; the codes as numbers too.
    origin = pd.factorize(rows.origin.array())[0].astype(np.int64)
    period = origin * 200_000 + rows.year * 13 + rows.month
    summed = np.zeros(len(coarser))
    summed_annual = np.zeros(len(coarser))
    parts = np.zeros(len(coarser), dtype=np.int64)
    for level in sorted(widths - {finest}):
        at = np.flatnonzero(coarse_width == level)
        prefixes = rows.product.map(lambda found, w=level: found[0][:w] if w else "")
        own = rows.product.map(lambda found: "" if found[0] == TOTAL else found[0])
        keys = pd.MultiIndex.from_arrays(
            [
                np.concatenate([period[detail], period[coarser[at]]]),
                np.concatenate([prefixes.array()[detail], own.array()[coarser[at]]]),
            ]
        )
        group, _ = pd.factorize(keys)
        groups = int(group.max()) + 1
        of_detail, of_coarser = group[: len(detail)], group[len(detail) :]
        # Added in the rows' order, as the parts of each figure were added one by one.
        month_sums = np.bincount(
            of_detail, weights=_or_zero(rows.monthly, detail, has[0]), minlength=groups
        )
        annual_sums = np.bincount(
            of_detail, weights=_or_zero(rows.annual, detail, has[1]), minlength=groups
        )
        counts = np.bincount(of_detail, minlength=groups)
        summed[at] = month_sums[of_coarser]
        summed_annual[at] = annual_sums[of_coarser]
        parts[at] = counts[of_coarser]
    # Each figure is in whole US dollars: the parts may differ from their sum by their
    # rounding, never by a part that is not there. The month's value is compared where
    # there is one: a part without trade in December has no row, so no year-to-date.
    slack = 0.5 * (parts + 1)
    monthly = has[0][coarser]
    stated = np.where(monthly, rows.monthly[coarser], rows.annual[coarser])
    added = np.where(monthly, summed, summed_annual)
    wrong = first_true(np.abs(stated - added) > slack)
    if wrong is not None:
        offset = int(coarser[wrong])
        level = int(coarse_width[wrong])
        code = rows.product.values[rows.product.codes[offset]][0]
        year, month = int(rows.year[offset]), int(rows.month[offset])
        period_text = (
            f"{year}-{month:02d}" if monthly[wrong] else f"{year} (December's year-to-date)"
        )
        what = "all goods (TOTAL)" if level == 0 else f"{_level_name(level, classification)} {code}"
        detail_name = _level_name(finest, classification)
        raise DataFileError(
            f"{name}: {where(offset + 2, field)}: {what}, partner "
            f"{rows.partner.values[rows.partner.codes[offset]][0]}, "
            f"{period_text}, is {_usd(float(stated[wrong]))} US dollars but its {detail_name} "
            f"codes in the answer add up to {_usd(float(added[wrong]))}: the answer holds "
            "several commodity levels and korus reads the finest alone, so it must hold all "
            f"the parts; ask the API for one level (COMM_LVL={detail_name}) or keep one level "
            "in the file"
        )
    detail_name = _level_name(finest, classification)
    for level in sorted(widths - {finest}):
        accounting.set_aside_rows(
            f"{_level_name(level, classification)} rows beside the {detail_name} rows they "
            f"add up to: one commodity level is read, the finest",
            np.count_nonzero(coarse_width == level),
        )
    return detail


def _or_zero(values, at, present):
    """Return ``values`` at ``at``, 0.0 where a row has no such figure."""
    import numpy as np

    return np.where(present[at], values[at], 0.0)


def _records(rows: _Columnar, usable, has_monthly, has_annual):
    """Return the frame of the figures of the rows ``usable``: each row's month, then its
    year (December's year-to-date), in the rows' order."""
    import numpy as np
    import pandas as pd

    months, years = usable[has_monthly[usable]], usable[has_annual[usable]]
    order = np.argsort(np.concatenate([months * 2, years * 2 + 1]), kind="stable")
    at = np.concatenate([months, years])[order]
    annual = np.concatenate([np.zeros(len(months), bool), np.ones(len(years), bool)])[order]
    month = rows.month[at]
    if annual.any():
        month = np.where(annual, np.nan, month.astype("float64"))
    return pd.DataFrame(
        {
            "line": at + 2,
            "origin": rows.origin.strings(at),
            "year": rows.year[at],
            "month": month,
            "partner": rows.partner.map(lambda found: found[0]).strings(at),
            "product": rows.product.map(lambda found: found[0]).strings(at),
            "classification": rows.product.map(lambda found: found[1]).strings(at),
            "value_usd": np.where(annual, rows.annual[at], rows.monthly[at]),
        }
    )


def _usd(value: float) -> str:
    return f"{value:,.2f}".removesuffix(".00")


def _with_absent_months_as_zero(frame, accounting: Accounting, has_products: bool):
    """Return ``frame`` with a 0.0 row for each month the API left out of a complete year.

    The API answers only the partner-months (and products) that had trade. Where the answer
    holds all twelve months of a year (for any partner), its question covered that year:
    a partner, or a product of a partner, of the answer that is absent in one of those
    months had no trade then. Such months are written as 0.0 (line unknown) and counted in
    a note; a year the answer does not cover whole is left as it is (a partial year).
    """
    import numpy as np
    import pandas as pd

    month = frame["month"].to_numpy(dtype="float64", na_value=np.nan)
    dated = np.flatnonzero(~np.isnan(month))
    if not len(dated):
        return frame
    year = frame["year"].to_numpy()[dated].astype(np.int64)
    month = month[dated].astype(np.int64)
    held = np.unique(year * 13 + month)
    found_years, months_found = np.unique(held // 13, return_counts=True)
    complete = [int(y) for y, n in zip(found_years, months_found, strict=True) if n == 12]
    if not complete:
        return frame
    # Each partner (and product) of the answer, numbered in order of first appearance;
    # the periods of the complete years numbered 0..P-1, and -1 for the others.
    partner, partners = pd.factorize(frame["partner"].take(dated))
    product, products = pd.factorize(frame["product"].take(dated))
    series, _ = pd.factorize(partner.astype(np.int64) * len(products) + product)
    count = int(series.max()) + 1
    first = np.full(count, len(series), dtype=np.int64)
    np.minimum.at(first, series, np.arange(len(series)))
    period = np.searchsorted(complete, year) * 12 + month - 1
    period = np.where(np.isin(year, complete), period, -1)
    width = 12 * len(complete)
    inside = period >= 0
    present = np.zeros(count * width, dtype=bool)
    present[series[inside] * width + period[inside]] = True
    absent = np.flatnonzero(~present)
    if not len(absent):
        return frame
    absent_series, absent_period = absent // width, absent % width
    # A partner-month with no row at all, or a product's month where the partner traded
    # other products: told apart by whether the partner has any row in that month.
    traded = np.zeros(len(partners) * width, dtype=bool)
    traded[partner[inside] * width + period[inside]] = True
    of_partner = partner[first[absent_series]]
    silent = ~traded[of_partner * width + absent_period]
    years = _years_text(complete)
    why = (
        f"the API leaves out months without trade, and the answer holds all twelve months "
        f"of {years}"
    )

    def when(at: int) -> str:
        return f"{complete[at // 12]}-{at % 12 + 1:02d}"

    rank = _ranks(partners)
    quiet = np.unique(absent_period[silent] * len(partners) + of_partner[silent])
    if len(quiet):
        shown_periods, shown_partners = quiet // len(partners), quiet % len(partners)
        order = np.lexsort((rank[shown_partners], shown_periods))[:3]
        shown = [f"{partners[shown_partners[i]]} {when(shown_periods[i])}" for i in order]
        accounting.notes.append(
            f"{len(quiet):,} partner-months absent from the answer taken as zero trade "
            f"({_listed(shown, len(quiet))}): {why}"
        )
    if has_products:
        others = np.flatnonzero(~silent)
        if len(others):
            of_product = product[first[absent_series[others]]]
            order = np.lexsort(
                (_ranks(products)[of_product], rank[of_partner[others]], absent_period[others])
            )[:3]
            shown = [
                f"{partners[of_partner[others[i]]]} {products[of_product[i]]} "
                f"{when(absent_period[others[i]])}"
                for i in order
            ]
            accounting.notes.append(
                f"{len(others):,} product-months absent from the answer taken as zero trade, "
                f"where the partner traded other products ({_listed(shown, len(others))}): "
                f"{why}"
            )
    rows = frame.iloc[dated[first[absent_series]]]
    added = pd.DataFrame(
        {
            "line": np.full(len(absent), np.nan),
            "origin": rows["origin"].array,
            "year": np.asarray(complete, dtype=np.int64)[absent_period // 12],
            "month": absent_period % 12 + 1,
            "partner": rows["partner"].array,
            "product": rows["product"].array,
            "classification": rows["classification"].array,
            "value_usd": np.zeros(len(absent)),
        }
    )
    return pd.concat([frame, added[frame.columns]], ignore_index=True)


def _ranks(values):
    """Return each value's place among ``values`` in sorted order."""
    import numpy as np

    order = sorted(range(len(values)), key=lambda index: values[index])
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank


def _listed(shown: list[str], count: int) -> str:
    more = f" and {count - len(shown):,} more" if count > len(shown) else ""
    return ", ".join(shown) + more


def _years_text(years: list[int]) -> str:
    """Return years as runs: [2013, 2014, 2015, 2019] -> "2013-2015, 2019"."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


def _years_from_months_where_december_is_short(frame, accounting: Accounting, year_field):
    """Return ``frame`` without the annual rows of a partner's year in which some product
    has months but no December year-to-date.

    Metrics take a partner's year from its annual rows where it has any; a product the API
    gave no December row for (no trade in December) has none, and would be left out of the
    year. Such a year is its months added up instead (the annual rows were held to them).
    """
    annual = frame["month"].isna()
    if not annual.any() or annual.all():
        return frame
    stated = set(
        zip(
            frame.loc[annual, "partner"],
            frame.loc[annual, "year"],
            frame.loc[annual, "product"],
            strict=True,
        )
    )
    products = frame.loc[~annual, ["partner", "year", "product"]].drop_duplicates()
    short = {
        (partner, year)
        for partner, year, product in products.itertuples(index=False)
        if (partner, year, product) not in stated
    }
    with_annual = {(partner, year) for partner, year, _ in stated}
    short &= with_annual
    if not short:
        return frame
    import numpy as np

    pairs = zip(frame["partner"], frame["year"], strict=True)
    dropped = annual.to_numpy() & np.array([pair in short for pair in pairs], dtype=bool)
    shown = [f"{partner} {year}" for partner, year in sorted(short, key=lambda p: (p[1], p[0]))]
    accounting.notes.append(
        f"December's {year_field} not used as the whole year for {len(short):,} partner-years "
        f"({_listed(shown[:3], len(short))}): some of their products have no December row, so "
        "each of those years is its twelve months added up"
    )
    return frame[~dropped]


def _period(row, value, position, name: str, line: int, where) -> tuple[int, int]:
    """Return (year, month) of a row from ``time`` and/or YEAR and MONTH."""
    found = None
    if "time" in position:
        text = value(row, "time")
        match = _TIME.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise DataFileError(
                f"{name}: {where(line, 'time')}: period {text!r} is not YYYY-MM "
                "(ask the API for monthly time values)"
            )
        found = (int(match.group(1)), int(match.group(2)))
    if {"YEAR", "MONTH"} <= set(position):
        year, month = value(row, "YEAR"), value(row, "MONTH")
        if not (is_digits(year, 4) and is_digits(month) and 1 <= int(month) <= 12):
            raise DataFileError(
                f"{name}: {where(line, 'MONTH')}: YEAR {year!r} and MONTH {month!r} are not "
                "a year and a month 01-12"
            )
        pair = (int(year), int(month))
        if found is not None and found != pair:
            raise DataFileError(
                f"{name}: {where(line, 'time')}: time {found[0]}-{found[1]:02d} disagrees with "
                f"YEAR {year} and MONTH {month}"
            )
        found = pair
    return found


def _partner(code: str, census_name: str, has_code: bool) -> tuple[str | None, str]:
    """Return (korus code or None, reason for setting the rows aside)."""
    shown = f"{code} {census_name}".strip()
    if not has_code:
        try:
            return countries.resolve(census_name).code, ""
        except KorusError:
            return None, f"partner name not known to korus ({census_name})"
    if code in WORLD_CODES:
        return "WLD", ""
    if not (code.isascii() and code.isdigit() and len(code) <= 4):
        return None, f"Census regional or group code korus has no code for ({shown})"
    if countries.is_census_series(code):
        return None, (
            "special series, not a partner (World seasonally adjusted, NAFTA/USMCA "
            "consumption basis, Advanced Technology Products)"
        )
    country = countries.from_census(code)
    if country is None:
        return None, f"Census code not in korus's table ({shown})"
    if code.zfill(4).startswith("0") and census_name:
        try:
            named = countries.resolve(census_name).code
        except KorusError:
            named = None
        if named != country.code:
            return None, (
                f"Census group code whose name is not korus's group {country.code} ({shown})"
            )
    return country.code, ""
