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
from korus.readers.common import is_digits, number, open_text, read_csv, read_json
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
    with open_text(path) as handle:
        start = handle.read(256).lstrip()
    return read_layout(path, LAYOUT_JSON if start.startswith("[") else LAYOUT_CSV)


def read_layout(path: Path, layout: str) -> Reading:
    """Return the canonical frame of an API answer in the given layout."""
    name = str(path)
    if layout == LAYOUT_JSON:
        header, rows = _json_rows(path)

        def where(line: int, field: str) -> str:
            return f"row {line} of the JSON array (row 1 is the header), field {field!r}"

    else:
        table = read_csv(path, header=None)
        records = table.fillna("").to_numpy().tolist()
        header, rows = [str(cell).strip() for cell in records[0]], records[1:]

        def where(line: int, field: str) -> str:
            return f"line {line}, column {field!r}"

    return _read(name, layout, header, rows, where)


def _json_rows(path: Path) -> tuple[list[str], list[list]]:
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
    return header, rows


def _read(name: str, layout: str, header: list[str], rows: list[list], where) -> Reading:
    import pandas as pd

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
        cell = row[position[field]]
        return "" if cell is None else str(cell).strip()

    rows_seen: list[_Row] = []
    partner_cache: dict[tuple[str, str], tuple[str | None, str]] = {}
    for offset, row in enumerate(rows):
        line = offset + 2
        accounting.rows_read += 1
        if all(cell is None or not str(cell).strip() for cell in row):
            accounting.set_aside_rows("blank row", 1)
            continue
        for field, indexes in repeated.items():
            values = {"" if row[i] is None else str(row[i]).strip() for i in indexes}
            if len(values) > 1:
                raise DataFileError(
                    f"{name}: {where(line, field)}: the field appears {len(indexes)} times "
                    f"with different values {sorted(values)}"
                )
        year, month = _period(row, value, position, name, line, where)
        census_code = value(row, "CTY_CODE") if "CTY_CODE" in position else ""
        census_name = value(row, "CTY_NAME") if "CTY_NAME" in position else ""
        summary = value(row, "SUMMARY_LVL") if "SUMMARY_LVL" in position else ""
        key = (census_code, census_name)
        if key not in partner_cache:
            partner_cache[key] = _partner(census_code, census_name, "CTY_CODE" in position)
        partner, reason = partner_cache[key]
        origin = census_code or census_name
        if partner is None:
            rows_seen.append(_Row(line, origin, None, reason, summary, year, month))
            continue
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
        rows_seen.append(
            _Row(
                line,
                origin,
                partner,
                "",
                summary,
                year,
                month,
                product,
                product_class,
                monthly,
                annual,
            )
        )

    kept = _countries_not_groupings(rows_seen, accounting, name)
    usable = []
    for item in kept:
        if item.partner is None:
            accounting.set_aside_rows(item.reason, 1)
        elif item.monthly is None and item.annual is None:
            accounting.set_aside_rows(
                f"{year_field} of a month before December: year-to-date, not a whole year", 1
            )
        else:
            usable.append(item)
    usable = _one_commodity_level(usable, accounting, name, classification, product_field, where)
    accounting.rows_kept += len(usable)
    if not usable:
        raise DataFileError(f"{name}: the answer has a header but no rows korus can use")

    records = []  # (line, partner's Census code, year, month, partner, product, class, value)
    for item in usable:
        head = (item.line, item.origin, item.year)
        tail = (item.partner, item.product, item.product_class)
        if item.monthly is not None:
            records.append((*head, item.month, *tail, item.monthly))
        if item.annual is not None:
            records.append((*head, None, *tail, item.annual))
    frame = pd.DataFrame(
        records,
        columns=[
            "line",
            "origin",
            "year",
            "month",
            "partner",
            "product",
            "classification",
            "value_usd",
        ],
    )
    dated = frame[frame["month"].notna()]
    if len(dated):
        last = dated.sort_values(["year", "month"]).iloc[-1]
        vintage = f"data through {int(last['year'])}-{int(last['month']):02d}"
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
    frame = frame.sort_values(["partner", "product", "year", "month"], na_position="last")
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


def _countries_not_groupings(rows: list[_Row], accounting: Accounting, name: str) -> list[_Row]:
    """Return the rows of the answer's countries: where it holds several SUMMARY_LVL (DET,
    countries; CGP, their groupings), the groupings are sums of countries and are set aside
    and counted, never read beside them."""
    levels = {row.summary for row in rows}
    if len(levels) <= 1:
        return rows
    if DETAIL not in levels:
        raise DataFileError(
            f"{name}: the answer holds several country groupings (SUMMARY_LVL "
            f"{', '.join(sorted(levels))}) and no countries (DET); korus cannot tell which "
            "rows add up to which: ask the API for one (SUMMARY_LVL=DET for countries)"
        )
    for level in sorted(levels - {DETAIL}):
        count = sum(row.summary == level for row in rows)
        accounting.set_aside_rows(
            f"country grouping (SUMMARY_LVL {level or 'empty'}) beside the countries (DET): "
            "their sum, not read beside them",
            count,
        )
    return [row for row in rows if row.summary == DETAIL]


def _level_name(width: int, classification: str) -> str:
    if width == 0:
        return "TOTAL"
    if classification == "HS":
        return f"HS{width}"
    return f"{width}-digit {classification}"


def _one_commodity_level(
    rows: list[_Row], accounting: Accounting, name: str, classification: str, field, where
) -> list[_Row]:
    """Return the rows of the finest commodity level of the answer.

    An answer may hold several levels (COMM_LVL HS2 and HS4, or the TOTAL beside its
    products): the coarser rows are sums of the finer ones and are set aside, counted,
    never added to them. Each is first held to its parts (the finer codes that start with
    its code, for the same partner and period): an answer whose finer level lacks parts
    is refused, as the finer rows alone would pass for the whole.
    """
    widths = {0 if row.product == TOTAL else len(row.product) for row in rows}
    if len(widths) <= 1:
        return rows
    finest = max(widths)
    detail = [row for row in rows if len(row.product) == finest and row.product != TOTAL]
    coarser = [row for row in rows if row.product == TOTAL or len(row.product) < finest]
    # (origin, year, month, width, code) -> [the parts' monthly sum, annual sum, count]
    parts: dict[tuple, list] = {}
    for row in detail:
        for width in widths - {finest}:
            key = (row.origin, row.year, row.month, width, row.product[:width])
            found = parts.setdefault(key, [0.0, 0.0, 0])
            found[0] += row.monthly or 0.0
            found[1] += row.annual or 0.0
            found[2] += 1
    detail_name = _level_name(finest, classification)
    for row in coarser:
        width = 0 if row.product == TOTAL else len(row.product)
        code = "" if row.product == TOTAL else row.product
        summed, summed_annual, count = parts.get(
            (row.origin, row.year, row.month, width, code), (0.0, 0.0, 0)
        )
        # Each figure is in whole US dollars: the parts may differ from their sum by their
        # rounding, never by a part that is not there. The month's value is compared where
        # there is one: a part without trade in December has no row, so no year-to-date.
        slack = 0.5 * (count + 1)
        if row.monthly is not None:
            stated, added, period = row.monthly, summed, f"{row.year}-{row.month:02d}"
        else:
            stated, added = row.annual, summed_annual
            period = f"{row.year} (December's year-to-date)"
        if abs(stated - added) > slack:
            what = (
                "all goods (TOTAL)"
                if width == 0
                else f"{_level_name(width, classification)} {code}"
            )
            raise DataFileError(
                f"{name}: {where(row.line, field)}: {what}, partner {row.partner}, "
                f"{period}, is {_usd(stated)} US dollars but its {detail_name} codes in the "
                f"answer add up to {_usd(added)}: the answer holds several commodity "
                f"levels and korus reads the finest alone, so it must hold all the parts; "
                f"ask the API for one level (COMM_LVL={detail_name}) or keep one level "
                "in the file"
            )
    for width in sorted(widths - {finest}):
        count = sum((0 if row.product == TOTAL else len(row.product)) == width for row in coarser)
        accounting.set_aside_rows(
            f"{_level_name(width, classification)} rows beside the {detail_name} rows they "
            f"add up to: one commodity level is read, the finest",
            count,
        )
    return detail


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
    import pandas as pd

    monthly = frame[frame["month"].notna()]
    if monthly.empty:
        return frame
    per_year = monthly.groupby("year")["month"].nunique()
    complete = sorted(int(year) for year in per_year[per_year == 12].index)
    if not complete:
        return frame
    series = monthly.drop_duplicates(["partner", "product"])[
        ["partner", "product", "classification", "origin"]
    ]
    periods = pd.DataFrame(
        [(year, month) for year in complete for month in range(1, 13)], columns=["year", "month"]
    )
    every = series.merge(periods, how="cross")
    held = monthly[["partner", "product", "year", "month"]].astype({"month": "int64"})
    every = every.merge(held.drop_duplicates(), how="left", indicator=True)
    absent = every[every["_merge"] == "left_only"].drop(columns="_merge")
    if absent.empty:
        return frame
    years = _years_text(complete)
    why = (
        f"the API leaves out months without trade, and the answer holds all twelve months "
        f"of {years}"
    )
    # A partner-month with no row at all, or a product's month where the partner traded
    # other products: told apart by whether the partner has any row in that month.
    traded = held[["partner", "year", "month"]].drop_duplicates().assign(traded=True)
    absent = absent.merge(traded, how="left", on=["partner", "year", "month"])
    silent = absent["traded"].isna().to_numpy()
    absent = absent.drop(columns="traded")
    whole = absent[silent]
    quiet = whole.drop_duplicates(["partner", "year", "month"]).sort_values(
        ["year", "month", "partner"]
    )
    if len(quiet):
        shown = [f"{r.partner} {r.year}-{r.month:02d}" for r in quiet.head(3).itertuples()]
        accounting.notes.append(
            f"{len(quiet):,} partner-months absent from the answer taken as zero trade "
            f"({_listed(shown, len(quiet))}): {why}"
        )
    if has_products:
        others = absent[~silent].sort_values(["year", "month", "partner", "product"])
        if len(others):
            shown = [
                f"{r.partner} {r.product} {r.year}-{r.month:02d}"
                for r in others.head(3).itertuples()
            ]
            accounting.notes.append(
                f"{len(others):,} product-months absent from the answer taken as zero trade, "
                f"where the partner traded other products ({_listed(shown, len(others))}): "
                f"{why}"
            )
    absent = absent.assign(value_usd=0.0, line=float("nan"))
    return pd.concat([frame, absent[frame.columns]], ignore_index=True)


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
