"""A Census API answer's rows, read a column at a time (``_Columnar``: each distinct cell
worked out once) or one by one by the exact rules (``_Row``, ``_period``, ``_partner``),
and the one level read of them: the countries, not their groupings, and the finest
commodity level, the coarser ones set aside (see ``census_api``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from korus import countries
from korus.errors import DataFileError, KorusError
from korus.readers.columns import Coded, equal_cells, first_true, pair_codes
from korus.readers.common import is_digits
from korus.readers.figure_text import figures
from korus.schema import TOTAL, Accounting

ALL_GOODS = {"", "-", "TOTAL"}
WORLD_CODES = {"-"}
_TIME = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_PRODUCT = re.compile(r"^[0-9A-Z]+$")


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

    def release(self) -> None:
        """Let the answer's cells go (its rows are read)."""
        self._cells = {}

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
    width = widths_of.array(np.int64, at=usable)
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
                np.concatenate([prefixes.array(at=detail), own.array(at=coarser[at])]),
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
    if len(years):
        order = np.argsort(np.concatenate([months * 2, years * 2 + 1]), kind="stable")
        at = np.concatenate([months, years])[order]
        annual = np.concatenate([np.zeros(len(months), bool), np.ones(len(years), bool)])
        annual = annual[order]
        month = np.where(annual, np.nan, rows.month[at].astype("float64"))
        value = np.where(annual, rows.annual[at], rows.monthly[at])
    else:  # (months only: the rows in their order, no merge)
        at, month, value = months, rows.month[months], rows.monthly[months]
    return pd.DataFrame(
        {
            "line": at + 2,
            "origin": rows.origin.strings(at),
            "year": rows.year[at],
            "month": month,
            "partner": rows.partner.map(lambda found: found[0]).strings(at),
            "product": rows.product.map(lambda found: found[0]).strings(at),
            "classification": rows.product.map(lambda found: found[1]).strings(at),
            "value_usd": value,
        },
        copy=False,  # (arrays of its own, made here: not copied into blocks)
    )


def _usd(value: float) -> str:
    return f"{value:,.2f}".removesuffix(".00")


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
