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

The reporter is the United States. The answer says nothing of its release: the vintage is
the last month it covers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, KorusError
from korus.readers.common import number, open_text, read_csv, read_json
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
_TIME = re.compile(r"^(\d{4})-(\d{2})$")
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

    records = []  # (line, partner's Census code, year, month, partner, product, class, value)
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
        key = (census_code, census_name)
        if key not in partner_cache:
            partner_cache[key] = _partner(census_code, census_name, "CTY_CODE" in position)
        partner, reason = partner_cache[key]
        if partner is None:
            accounting.set_aside_rows(reason, 1)
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
        origin = census_code or census_name
        kept = False
        if month_field:
            amount = number(value(row, month_field), file=name, where=where(line, month_field))
            records.append((line, origin, year, month, partner, product, product_class, amount))
            kept = True
        if year_field and month == 12:
            # December's year-to-date is the whole year; the trust layer holds it to the
            # sum of the twelve months where the answer has them.
            amount = number(value(row, year_field), file=name, where=where(line, year_field))
            records.append((line, origin, year, None, partner, product, product_class, amount))
            kept = True
        if kept:
            accounting.rows_kept += 1
        else:
            accounting.set_aside_rows(
                f"{year_field} of a month before December: year-to-date, not a whole year", 1
            )
    if not records:
        raise DataFileError(f"{name}: the answer has a header but no rows korus can use")

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
    frame["month"] = frame["month"].astype("Int8")
    frame["reporter"] = "USA"
    frame["flow"] = flow
    frame["source"] = SOURCE
    frame["basis"] = basis
    frame["vintage"] = vintage
    accounting.line_word = "row" if layout == LAYOUT_JSON else "line"
    accounting.origin_label = "Census codes"
    reading = trust.settle(Reading(frame, [accounting]))
    accounting.notes.extend(_parts_notes(reading.frame))
    frame = reading.frame.sort_values(["partner", "product", "year", "month"], na_position="last")
    return Reading(frame.reset_index(drop=True), reading.accounting, unique=True)


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
        if not (year.isdigit() and len(year) == 4 and month.isdigit() and 1 <= int(month) <= 12):
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


def _parts_notes(frame) -> list[str]:
    """Check that the coarsest product level adds up to the TOTAL row, where both exist."""
    import pandas as pd

    totals = frame[frame["product"] == TOTAL]
    parts = frame[frame["product"] != TOTAL]
    if totals.empty or parts.empty:
        return []
    parts = parts[parts["product"].str.len() == parts["product"].str.len().min()]
    keys = ["year", "month", "partner"]
    summed = parts.groupby(keys, dropna=False)["value_usd"].sum()
    gaps = []
    for row in totals.itertuples(index=False):
        key = (row.year, row.month, row.partner)
        if key not in summed.index:
            continue
        part = float(summed.loc[key])
        if abs(part - row.value_usd) > max(1.0, abs(row.value_usd) * TOLERANCE):
            period = f"{row.year}" if pd.isna(row.month) else f"{row.year}-{int(row.month):02d}"
            gaps.append(f"{row.partner} {period}: total {row.value_usd:,.0f}, parts {part:,.0f}")
    if not gaps:
        return ["the products add up to the TOTAL rows"]
    more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
    return [
        f"the products do not add up to TOTAL in {len(gaps)} periods ({'; '.join(gaps[:3])}"
        f"{more} USD); both kept as published"
    ]
