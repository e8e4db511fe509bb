"""A DataWeb data table read row by row: each row's partner, product, measure and periods,
its figures parsed and checked (a blank cell is no figure, never a zero), and the table
held to its ``Total:`` row, its ``Data Row Count`` and the world total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from korus import countries
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.columns import (
    Coded,
    Grid,
    coded_cells,
    counts_in_order,
    first_bytes,
    is_text,
    ordered_counts,
)
from korus.readers.common import is_blank_row, is_digits
from korus.readers.figure_text import by_plain_numbers
from korus.readers.usitc_fields import (
    _check_timeframe,
    _measure,
    _row_partner,
    _row_product,
    _table_flow,
    _table_measure,
    _table_partner,
    _table_product,
    _unit,
    _year_to_date,
)
from korus.readers.usitc_sheets import Query, Table, TableReading
from korus.readers.usitc_terms import _MONTH, _TOTAL_LABEL, _YEAR, _norm, _not_read, _shown, _text
from korus.schema import Accounting


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
    grid.columns = []  # (every row is read: the cells are let go, their places kept)
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


def _empty_and_seen(cells):
    """Return (empty, holding a visible ASCII character) for each cell of a text column: a
    cell whose first byte is one is seen at once, and only the others are searched."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def searched(some):
        return np.asarray(pc.match_substring_regex(some, "[!-~]").to_numpy(False), bool)

    found = first_bytes(cells)
    if found is None:
        empty = np.asarray(pc.equal(pc.binary_length(cells), 0).to_numpy(False), bool)
        return empty, searched(cells)
    length, first = found
    empty = length == 0
    seen = (first >= 0x21) & (first <= 0x7E)
    rest = np.flatnonzero(~seen & ~empty)
    if len(rest):
        seen[rest] = searched(cells.take(pa.array(rest)))
    return empty, seen


def _blank_rows(grid: Grid):
    """Return (surely blank, surely not blank) for each row of a grid: a row is blank where
    every cell is; a cell with a visible ASCII character is not blank, an empty one is,
    and any other is left to the exact rules (Python's idea of white space)."""
    import numpy as np
    import pyarrow as pa

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
            empty, seen = _empty_and_seen(cells)
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

    if column is None:
        return np.zeros(count), np.zeros(count, dtype=bool), np.ones(count, dtype=bool)
    if is_text(column):
        return by_plain_numbers(column, b"0123456789.-", False, _figure_cells_by_pattern, 3)
    if set(map(type, column)) <= {float, int}:
        values = np.asarray(column, dtype="float64")
        return values, np.ones(count, dtype=bool), np.ones(count, dtype=bool)
    found = coded_cells(column, count).map(_figure)
    values = found.map(lambda value: value if isinstance(value, float) else 0.0).array("float64")
    there = found.map(lambda value: isinstance(value, float)).array(bool)
    sure = found.map(lambda value: value is not _BAD).array(bool)
    return values, there, sure


def _figure_cells_by_pattern(column):
    """Return ``_figure_cells`` of a text column, each cell held to the pattern of a
    figure as DataWeb writes one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = np.asarray(pc.equal(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False), bool)
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
        sub.append(order)
        years.append(year if np.ndim(year) else np.full(len(where), year, dtype=np.int64))
        months.append(month if np.ndim(month) else np.full(len(where), month, dtype=np.int64))
        values.append(value * context.unit)

    year_of = month_of = None  # (each row's year and month, coded: taken at the rows read)
    if rows.year is not None:
        year_of = rows.year.map(lambda found: found or 0)
    if columns.shape == "long months":
        month_of = rows.month.map(lambda found: found or 0)
    for order, index in enumerate(context.figure_columns):
        figures, there, _ = rows.figures[index]
        where = vector[there[vector]]
        if columns.shape in ("years", "month columns"):
            year, month = columns.periods[index]
        else:
            year = year_of.array(np.int64, at=where)
            month = columns.periods[index][1] if columns.shape == "months" else None
        if month_of is not None:
            month = month_of.array(np.int64, at=where)
        add(where, order, year, -1 if month is None else month, figures[where])
    for row, outcome in rows.exact.items():
        if outcome.stage != READ:
            continue
        for order, (year, month, value) in enumerate(outcome.entries):
            at.append(np.array([row]))
            sub.append(order)
            years.append(np.array([year]))
            months.append(np.array([-1 if month is None else month]))
            values.append(np.array([value], dtype="float64"))
    # (one column's figures, of rows in order: in order as they are, no sort and no copy)
    order = None
    if len(at) > 1:
        column = [np.full(len(part), s, dtype=np.int64) for part, s in zip(at, sub, strict=True)]
        order = np.lexsort((np.concatenate(column), np.concatenate(at)))
    row = _joined(at, order) if at else np.zeros(0, dtype=np.int64)
    month = _joined(months, order) if at else row
    partners = rows.partner.map(lambda found: found[0] if found else "")
    products = rows.product.map(lambda found: found or "")
    measures = rows.measure.map(lambda found: found[0] if found and found[0] else "")
    for where, outcome in rows.exact.items():
        if outcome.stage == READ:
            partners.put(where, outcome.partner)
            products.put(where, outcome.product)
            measures.put(where, outcome.measure)
    return {
        "year": _joined(years, order) if at else row,
        "month": pd.arrays.IntegerArray(np.where(month < 0, 0, month).astype("int8"), month < 0),
        "partner": partners.strings(row),
        "measure": measures.strings(row),
        "product": products.strings(row),
        "value": _joined(values, order) if at else np.zeros(0),
        "line": context.table.rows.positions[row],
    }


def _joined(parts: list, order):
    """Return the arrays ``parts`` one after another, in ``order`` where there are several;
    one is itself (each an array of its own, made for this: no copy)."""
    import numpy as np

    return parts[0] if order is None else np.concatenate(parts)[order]


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
