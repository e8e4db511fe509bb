"""Plans of grouped sums: a question over a whole panel answered from sums, never rows.

A plan's steps run on Arrow tables of canonical rows, wherever they are: on each part of a
store where the part is read (here, or on a Dask worker: ``korus.engine.run``'s
``then``), or on the rows of files read here. Every step gives back a small table, and
combining the parts' tables is a sum again (the sums are associative), so what travels
from the workers is the size of the answer, never of the data.

``ProductYear`` gives a year's world totals by product: the sums, over every reporter (or
one) and every partner that is a country (groups such as the World or the EU are never
added), of each product's exports or imports. Its two steps keep the whole-year rule of
every korus measure (``metrics.whole_years``): a series (reporter, partner, flow, source)
counts with its stated annual row where it has one, else with its twelve months when it
has them all, else not at all:

1. ``periods``: each part's series and the months (or the year, as <NA>) they hold;
2. ``sums``: each part's sums by product of the annual rows and of the months of the
   series found whole in step 1 (over all parts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from korus.engine import acero

# Arrow's grouped sums (Acero) warn on stderr of a buffer it was handed unaligned (a frame
# from pandas can be): have it copy such a buffer instead, silently and safely.
os.environ.setdefault("ACERO_ALIGNMENT_HANDLING", "reallocate")

if TYPE_CHECKING:
    import pyarrow as pa

SERIES = ["reporter", "partner", "flow", "source"]
PERIODS = [*SERIES, "month"]
SUMMED = ["flow", "product", "classification", "source", "basis", "vintage"]
# Row groups a task sums at a time (of 32,768 rows: about a million rows): a part's rows
# are never all in memory at once, and the workers of a cluster share a large part.
CHUNK = 32
ALL_GOODS_LEVEL = 0  # the product level of the source's TOTAL rows


@dataclass(frozen=True)
class ProductYear:
    """World totals by product of ``flows`` in ``year``, over ``reporter``'s figures only
    (None: every reporter's), never adding the codes in ``groups``."""

    year: int
    flows: tuple[str, ...]
    groups: tuple[str, ...]
    reporter: str | None = None

    #: The columns each step reads.
    PERIOD_COLUMNS = ("year", "month", "reporter", "partner", "flow", "product", "source")

    def rows(self, table: pa.Table) -> pa.Table:
        """Return the rows that may count: the year's product rows of the flows, between
        countries."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from korus.schema import TOTAL

        groups = pa.array(self.groups, pa.string())
        flows = pa.array(self.flows, pa.string())
        keep = pc.and_(
            pc.equal(table["year"], self.year),
            holds(table["flow"], lambda values: pc.is_in(values, value_set=flows)),
        )
        keep = pc.and_(keep, holds(table["product"], lambda values: pc.not_equal(values, TOTAL)))
        for side in ("partner", "reporter"):
            country = holds(table[side], lambda values: pc.invert(pc.is_in(values, groups)))
            keep = pc.and_(keep, country)
        if self.reporter is not None:
            mine = holds(table["reporter"], lambda values: pc.equal(values, self.reporter))
            keep = pc.and_(keep, mine)
        return table.filter(keep)

    def periods(self, table: pa.Table) -> pa.Table:
        """Step 1: the series of a part's rows that may count, each with its months
        (<NA> for a stated year), once."""
        rows = self.rows(table).select(PERIODS)
        return plain(acero.aggregate(rows, PERIODS, []))

    def first(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Steps 1 and 2 at once, as far as a part can judge alone: its periods (step 1),
        and its sums (step 2) with the series whole in this part. Where no series with
        months is in another part too, that is the whole's judgement, and the sums are the
        answer with no second reading."""
        return self.first_of(self.rows(table))

    def first_of(self, rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        """``first`` of a part's rows that may count (``rows``)."""
        periods = plain(acero.aggregate(rows.select(PERIODS), PERIODS, []))
        whole, _ = whole_series(periods)
        return periods, self._summed(rows, whole)

    def sums(self, table: pa.Table, whole) -> pa.Table:
        """Step 2: a part's sums by product (``SUMMED``, value_usd and the rows summed) of
        its annual rows and of the months of the series in ``whole`` (an Arrow table of
        ``SERIES``: series with twelve months and no annual row)."""
        return self._summed(self.rows(table), whole)

    def _summed(self, rows: pa.Table, whole) -> pa.Table:
        import pyarrow as pa
        import pyarrow.compute as pc

        annual = rows.filter(pc.is_null(rows["month"]))
        monthly = rows.filter(pc.is_valid(rows["month"]))
        if len(monthly) and len(whole):
            monthly = acero.join(plain(monthly), whole, SERIES)
        else:
            monthly = monthly.slice(0, 0)
        sums = [
            plain(sum_by_product(part.select([*SUMMED, "value_usd"]))) for part in (annual, monthly)
        ]
        return sum_by_product(pa.concat_tables(sums))


def holds(column, test):
    """Return where a text column's values pass ``test`` (a function of an Arrow array of
    text giving booleans): of a column read as a dictionary, on its distinct values once,
    each row then taking its value's answer (millions of rows, a few hundred values). A
    null fails (canonical text columns hold none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        return pc.if_else(pc.is_null(column), False, test(column))
    chunks = []
    for chunk in column.chunks:
        answers = pc.fill_null(test(chunk.dictionary), False)
        chunks.append(pc.fill_null(pc.take(answers, chunk.indices), False))
    return pa.chunked_array(chunks, pa.bool_())


def sum_by_product(table: pa.Table) -> pa.Table:
    """Return the sums of ``value_usd`` by ``SUMMED`` (and the rows added up, in ``rows``),
    of rows or of sums already made (then their ``rows`` are added up)."""
    if "rows" in table.column_names:
        summed = acero.aggregate(table, SUMMED, [("value_usd", "sum"), ("rows", "sum")])
        return summed.rename_columns([*SUMMED, "value_usd", "rows"])
    summed = acero.aggregate(table, SUMMED, [("value_usd", "sum"), ("value_usd", "count")])
    return summed.rename_columns([*SUMMED, "value_usd", "rows"])


def by_value(column, work):
    """Return ``work`` of a column's values (an Arrow array as long as what it is given),
    worked out once per distinct value where the column holds dictionaries: a million
    rows of a few hundred partners are a few hundred tests, then a take."""
    import pyarrow as pa

    column = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    if not pa.types.is_dictionary(column.type):
        return work(column.combine_chunks())
    if not column.num_chunks:
        return work(pa.array([], column.type.value_type))
    shared = _shared_dictionary(column.chunks)
    if shared is not None:  # (unified: worked out once, and taken in one call)
        return work(shared).take(pa.chunked_array([c.indices for c in column.chunks]))
    done: dict = {}
    chunks = []
    for chunk in column.chunks:
        held = _held(chunk.dictionary)
        if held not in done:
            done[held] = work(chunk.dictionary)
        chunks.append(done[held].take(chunk.indices))
    return pa.chunked_array(chunks)


def _held(values) -> tuple:
    """Return what tells an Arrow array's memory from another's (its length, offset and
    buffers' addresses): the chunks of a column whose dictionaries were unified share one."""
    held = (len(values), values.offset)
    return held + tuple(None if part is None else part.address for part in values.buffers())


def _shared_dictionary(chunks):
    """Return the one dictionary every chunk holds (the same memory), or None."""
    if not chunks:
        return None
    first = _held(chunks[0].dictionary)
    if all(_held(chunk.dictionary) == first for chunk in chunks[1:]):
        return chunks[0].dictionary
    return None


def product_levels(products: pa.Array) -> pa.Array:
    """Return the level of each product code (int32): all goods (0), else the width of
    the code (2 for HS chapters, 6 for subheadings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from korus.schema import TOTAL

    total = pc.equal(products, acero.text(TOTAL))
    level = pc.if_else(total, acero.integers([ALL_GOODS_LEVEL])[0], pc.utf8_length(products))
    return pc.cast(level, pa.int32())


def holds_for_all(column, test) -> bool:
    """Return whether ``test`` (of an Arrow array, giving booleans) is true of every row of
    a column held as dictionaries, no row missing (told from its distinct values); False
    when not, or not known so cheaply (a column of plain values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type) or column.null_count:
        return False
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    chunks = [chunk for chunk in chunks if len(chunk)]
    shared = _shared_dictionary(chunks)
    if shared is not None:  # (unified: its values tested once)
        if pc.all(test(shared)).as_py() is not False:
            return True
        indices = pa.chunked_array([chunk.indices for chunk in chunks])
        return pc.all(test(shared.take(pc.unique(indices)))).as_py() is not False
    for chunk in chunks:
        if pc.all(test(chunk.dictionary)).as_py() is not False:
            continue
        present = chunk.dictionary.take(pc.unique(chunk.indices))  # the values of its rows
        if pc.all(test(present)).as_py() is False:
            return False
    return True


def one_value(column) -> bool:
    """Return whether every row of a column holds one and the same value (all missing, or
    one value of its dictionary, none missing), told without reading every row's text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count == len(column):
        return True
    if column.null_count:
        return False
    if pa.types.is_dictionary(column.type):
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        chunks = [chunk for chunk in chunks if len(chunk)]
        shared = _shared_dictionary(chunks)
        if shared is not None:  # (unified: one look at every row's code)
            if len(shared) == 1:
                return True
            low, high = pc.min_max(pa.chunked_array([c.indices for c in chunks])).values()
            return low.as_py() == high.as_py()
        seen = set()
        for chunk in chunks:
            if len(chunk.dictionary) == 1:
                seen.add(chunk.dictionary[0].as_py())
                continue
            low, high = pc.min_max(chunk.indices).values()
            if low.as_py() != high.as_py():
                return False  # (maybe one value written twice: then told as two)
            seen.add(chunk.dictionary[low.as_py()].as_py())
        return len(seen) <= 1
    if pa.types.is_integer(column.type) or pa.types.is_string(column.type):
        # (text: its least and greatest value, compared by Arrow, not a Python text a row)
        low, high = pc.min_max(column).values()
        return low.as_py() == high.as_py()
    return False


def grouped_by(rows: pa.Table, keys: list[str], aggregates: list) -> pa.Table:
    """Return ``rows.group_by(keys).aggregate(aggregates)`` (its columns: the keys, then
    the aggregates), grouped only by the keys whose column holds more than one value: a
    column of one value (one source, one vintage, no months) is one group whatever it
    holds, and put back beside the sums (a BACI year's side: ten keys grouped as four)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    constant = [key for key in keys if len(rows) and one_value(rows[key])]
    varying = [key for key in keys if key not in constant]
    if not constant:
        return acero.aggregate(rows, keys, aggregates)
    columns = {}
    if varying:
        found = acero.aggregate(rows, varying, aggregates)
        groups = len(found)
    else:  # one group: its aggregates as Acero gives them (a count of values, not nulls)
        work = {"sum": pc.sum, "count": pc.count}
        found = {
            f"{name}_{kind}": pa.repeat(work[kind](rows[name]), 1) for name, kind in aggregates
        }
        groups = 1
    for key in keys:
        if key in constant:
            value = rows[key].slice(0, 1)
            value = value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value
            columns[key] = pa.repeat(value[0], groups).cast(rows[key].type)
        else:
            columns[key] = found[key]
    for name, kind in aggregates:
        columns[f"{name}_{kind}"] = found[f"{name}_{kind}"]
    return pa.table(columns)


def plain(table: pa.Table) -> pa.Table:
    """Return ``table`` with its dictionary columns and its large text as plain text (a
    part read with dictionaries, or a file's kept reading written from pandas, gives back
    what every part gives back)."""
    import pyarrow as pa

    def simple(kind):
        kind = kind.value_type if pa.types.is_dictionary(kind) else kind
        return pa.string() if pa.types.is_large_string(kind) else kind

    return table.cast(pa.schema([pa.field(f.name, simple(f.type)) for f in table.schema]))


def whole_series(periods: pa.Table, series: list[str] = SERIES) -> tuple[pa.Table, pa.Table]:
    """Return, from step 1's periods of all parts (``series`` and month), the series that
    count by their twelve months (no stated year, all twelve months) and those left out
    (some months only)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = acero.aggregate(periods, [*series, "month"], [])
    stated = distinct.filter(pc.is_null(distinct["month"])).select(series)
    months = distinct.filter(pc.is_valid(distinct["month"]))
    counted = acero.aggregate(months, series, [("month", "count")])
    counted = acero.join(counted, stated, series, "left anti")
    full = pc.equal(counted["month_count"], 12)
    return (
        counted.filter(full).select(series),
        counted.filter(pc.invert(full)).select(series).combine_chunks()
        if len(counted)
        else pa.table({name: pa.array([], periods.schema.field(name).type) for name in series}),
    )


@dataclass
class Sums:
    """A plan's answer: the sums (a pandas frame), what each source gave (its accounting)
    and the series left out as partial years."""

    frame: object
    accounting: list
    partial: list[tuple[str, ...]]


def product_year_sums(settings, plan: ProductYear) -> Sums:
    """Return ``plan``'s sums over the settings' data: per part where the data is korus
    stores (on the engine in force), else over the rows of its files read here."""
    folders = store_folders(settings)
    return _from_rows(settings, plan) if folders is None else _from_stores(folders, plan)


def store_scans(folders: list, equals: list[dict], years) -> tuple[list, list]:
    """Return the scans of the stores' parts that hold ``years`` (a year, years, or None:
    all), one set for each of ``equals`` (column -> value the rows must hold), in chunks of
    ``CHUNK`` row groups, their text read as dictionaries; and every source's accounting."""
    import dataclasses

    from korus import store

    scans, accounting = [], []
    for folder in folders:
        for equal in equals:
            scans += store.scans(folder, equal, years, CHUNK)
        accounting += [
            account
            for _, entry in store.sources(folder)
            for account in store.accounting_of(folder, entry)
        ]
    return [dataclasses.replace(scan, dictionary=True) for scan in scans], accounting


def store_folders(settings) -> list | None:
    """Return the folders of the settings' data where they are all korus stores (a plan
    then runs on their parts), else None (it runs on the rows of the files)."""
    from pathlib import Path

    from korus import store

    folders = [Path(text) for text in settings.data]
    folders = [path.parent if path.name == store.MANIFEST else path for path in folders]
    if folders and all(store.is_store(folder) for folder in folders):
        return folders
    return None


def _from_rows(settings, plan: ProductYear) -> Sums:
    from korus import api
    from korus.readers import TableParts
    from korus.readers.common import Unsettled

    equal = {"reporter": plan.reporter} if plan.reporter else {}
    one_flow = {"flow": plan.flows[0]} if not equal and len(plan.flows) == 1 else None
    parts = kept_parts(settings, equal, one_flow)
    if parts is not None:  # the rows as Arrow tables: the plan's steps run on them
        try:
            return _from_parts(parts, plan)
        except Unsettled:
            parts = None  # (a rule would speak: the rows are read, and it does)
    reading = api.read(settings, **equal)
    parts = TableParts.of(arrow_rows(reading.frame), reading.accounting)
    del reading  # (the rows are the table's now)
    return _from_parts(parts, plan)


def _from_parts(parts, plan: ProductYear) -> Sums:
    """Return ``plan``'s sums over the tables of ``parts`` (``readers.TableParts``)."""
    # Each slice's periods and sums at once (``first``), as each part of a store's: only a
    # slice holding a series with months that another slice holds too is summed again. A
    # table held whole is read again where it lies; of tables read one at a time, a
    # slice's rows that count are kept (a folder's year), not the slice.
    answers, kept = [], []
    for table in parts:
        for piece in slices(table):
            rows = plan.rows(piece)
            answers.append(plan.first_of(rows))
            kept.append(piece if parts.held else rows)
        del table
    summed, partial = judged(answers, lambda at, whole: [plan.sums(kept[i], whole) for i in at])
    return Sums(_frame(summed), parts.accounting, _listed(partial))


SLICE = 1 << 20  # rows a plan's step reads at a time, of a table held whole


def slices(table: pa.Table, rows: int | None = None) -> list[pa.Table]:
    """Return ``table`` as slices of ``rows`` rows (views, not copies), for a plan's steps
    to run on each as on a part of a store: the rows a step filters and groups are copied
    a slice at a time, never all at once (a BACI year's 11M records of one flow: 1.45 GB
    at the peak read whole)."""
    rows = rows or SLICE
    return [table.slice(at, rows) for at in range(0, len(table), rows)] or [table]


def arrow_rows(frame) -> pa.Table:
    """Return a reading's rows (a pandas frame) as an Arrow table for a plan's steps."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def kept_parts(settings, equal: dict[str, str], instead: dict[str, str] | None = None):
    """Return the rows of the settings' files that hold ``equal`` as Arrow tables, text as
    dictionaries (``readers.TableParts``), never made pandas: a file's kept reading
    (``readers.kept_table``), or files whose reader builds their rows as tables
    (``readers.flows_table``: BACI years, read for a reporter, for every country's
    records of one flow, ``instead``, or every record, ``{}``; of several years, each
    file's table in turn, so that a plan's steps hold one file's rows at a time: thirty
    years read as one table peaked at 2.4 GB); else None (the files are read as rows). A
    BACI year of 11M rows read as a pandas frame, both records of each: 4.8 GB and 20 s."""
    from korus import readers

    if not settings.data:
        return None
    paths = list(settings.data)
    kept = readers.kept_table(paths, settings.layout, settings.dedupe, equal)
    if kept is not None:
        return readers.TableParts.of(*kept)
    wanted = instead or equal
    return readers.flows_table(paths, settings.layout, settings.dedupe, wanted, parts=True)


def _from_stores(folders, plan: ProductYear) -> Sums:
    import functools

    import pyarrow as pa
    import pyarrow.compute as pc

    from korus import engine
    from korus.errors import DataFileError

    equal = {"reporter": plan.reporter} if plan.reporter else {}
    scans, accounting = store_scans(folders, [equal], plan.year)  # the parts of the year
    if not scans:  # no part holds the year
        import pandas as pd

        empty = pd.DataFrame({name: pd.Series(dtype="str") for name in SUMMED})
        return Sums(empty.assign(value_usd=0.0, rows=0), accounting, [])
    answers = engine.run(scans, then=plan.first)
    periods = [found for found, _ in answers]
    # Sums of two sources that give the same series and month would count it twice: a store
    # refuses such files when they are ingested, unless they repeat each other exactly
    # (--dedupe), which only a reading of their rows can drop.
    # A source's chunks are one part: a series shared by chunks of it is no repeat.
    parts = {scan.path: index for index, scan in enumerate(scans)}
    owners = pa.concat_tables(
        [
            table.append_column("part", pa.array([parts[scan.path]] * len(table), pa.int32()))
            for scan, table in zip(scans, periods, strict=True)
        ]
    )
    counts = [("part", "count_distinct"), ("part", "min"), ("part", "max")]
    shared = acero.aggregate(owners, PERIODS, counts)
    shared = shared.filter(pc.greater(shared["part_count_distinct"], 1))
    if len(shared):
        row = shared.slice(0, 1).to_pylist()[0]
        first, second = scans[row["part_min"]], scans[row["part_max"]]
        word = "to" if row["flow"] == "export" else "from"
        raise DataFileError(
            f"{first.file} and {second.file} both give {row['reporter']} {row['flow']}s {word} "
            f"{row['partner']} in {plan.year} ({row['source']}): over a store, world totals "
            "are added up from sources that give each series once; give the files themselves "
            "with --data"
        )
    summed, partial = judged(
        answers,
        lambda at, whole: engine.run(
            [scans[index] for index in at], then=functools.partial(plan.sums, whole=whole)
        ),
    )
    return Sums(_frame(summed), accounting, _listed(partial))


def judged(answers: list, again) -> tuple[pa.Table, pa.Table]:
    """Return the sums by product of all parts (or slices) and the series left out as
    partial, from each one's ``ProductYear.first`` (its periods, and its sums judged by
    itself alone); ``again(places, whole)`` gives the sums of the parts at ``places``
    judged by the whole's series."""
    import pyarrow as pa
    import pyarrow.compute as pc

    periods = [found for found, _ in answers]
    whole, partial = whole_series(pa.concat_tables(periods))
    # A series with months in a scan and any of its rows in another (a chunk's edge, a
    # year split across files) was judged by each scan alone: sum again, knowing the whole.
    scanned = pa.concat_tables(
        [
            table.append_column("scan", pa.array([index] * len(table), pa.int32()))
            for index, table in enumerate(periods)
        ]
    )
    dated = scanned.filter(pc.is_valid(scanned["month"])).select(SERIES)
    held = acero.join(scanned, acero.aggregate(dated, SERIES, []), SERIES)
    counted = acero.aggregate(held, SERIES, [("scan", "count_distinct")])
    spread = counted.filter(pc.greater(counted["scan_count_distinct"], 1)).select(SERIES)
    # Only the scans holding such a series are read again; every other scan's series lie
    # in it alone, so its own judgement was the whole's.
    places = sorted(set(acero.join(held, spread, SERIES)["scan"].to_pylist()))
    sums = [summed for _, summed in answers]
    if places:
        for index, summed in zip(places, again(places, whole), strict=True):
            sums[index] = summed
    return sum_by_product(pa.concat_tables(sums)), partial


def _frame(table):
    """Return the sums as a pandas frame, to the cent, in a stable order."""
    frame = table.to_pandas().sort_values(SUMMED, kind="stable").reset_index(drop=True)
    frame["value_usd"] = frame["value_usd"].round(2)
    return frame


def _listed(partial) -> list[tuple[str, ...]]:
    return sorted(tuple(row[name] for name in SERIES) for row in partial.to_pylist())
