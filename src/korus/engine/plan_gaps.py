"""A plan of grouped sums for a reporter's mirror gaps with every partner, in one year.

``MirrorYear`` gives, for a reporter A and a year, both sides' figures of the same trade with
every partner P that is a country (groups such as the World or the EU are never compared):
A's exports to P beside P's own imports from A, or A's imports from P beside P's exports to
A. It is planned as ``plans.ProductYear`` is, in two steps that run where the rows are (on
each part of a store, here or on a Dask worker, or on the rows of files read here), so that
only sums travel; and it keeps the definitions of every korus measure:

1. ``periods``: each part's series (reporter, partner, flow, source), the months they hold
   (<NA> for a stated year) and their product levels (0 for the source's TOTAL rows, else
   the length of the codes). Over all parts this says which series count (a stated year,
   else all twelve months: ``plans.whole_series``) and at which level: the TOTAL rows where
   the rows that count have them, else their coarsest codes, never both
   (``metrics._product_rows``);
2. ``sums``: each part's sums by series and product of the rows that count, at the level
   chosen for their series.

Over a store each part holding the year is read twice, for A's own rows (reporter A) and for
the rows naming A as partner: the sealed ranges of its row groups pick the groups of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from korus.engine import acero
from korus.engine.plans import (
    PERIODS,
    SERIES,
    Sums,
    _listed,
    arrow_rows,
    grouped_by,
    holds,
    kept_parts,
    plain,
    slices,
    store_folders,
    store_scans,
    whole_series,
)

if TYPE_CHECKING:
    import pyarrow as pa

# The columns of a plan's sums: a series, what its figures are, and each product's sum.
SUMMED = [*SERIES, "basis", "vintage", "classification", "product"]
LEVELED = [*SERIES, "level"]


@dataclass(frozen=True)
class MirrorYear:
    """Both sides' figures of ``reporter``'s ``flow`` ("export" or "import") with each
    partner in ``year``: the reporter's own, and each partner's of the other flow with the
    reporter; the codes in ``groups`` are never compared."""

    year: int
    reporter: str
    flow: str
    groups: tuple[str, ...]

    #: The columns step 1 reads.
    PERIOD_COLUMNS = ("year", "month", "reporter", "partner", "flow", "product", "source")

    @property
    def mirrored(self) -> str:
        """The partners' flow: their imports beside the reporter's exports, and so on."""
        return "import" if self.flow == "export" else "export"

    def near(self, table: pa.Table) -> pa.Table:
        """Return the rows that may count, as they are (text as dictionaries stays so):
        the year's rows of the reporter's flow with countries, and of the countries'
        mirrored flow with it."""
        import pyarrow as pa
        import pyarrow.compute as pc

        groups = pa.array(self.groups, pa.string())

        def between(side: str, other: str, flow: str):
            # (each test on a column's distinct values where it holds dictionaries: a BACI
            # year's 22M records, 3.8 s tested row by row)
            def country(values):
                return pc.and_(
                    pc.not_equal(values, self.reporter),
                    pc.invert(pc.is_in(values, value_set=groups)),
                )

            return pc.and_(
                pc.and_(
                    holds(table[side], lambda values: pc.equal(values, self.reporter)),
                    holds(table["flow"], lambda values: pc.equal(values, flow)),
                ),
                holds(table[other], country),
            )

        keep = pc.or_(
            between("reporter", "partner", self.flow),
            between("partner", "reporter", self.mirrored),
        )
        return table.filter(pc.and_(pc.equal(table["year"], self.year), keep))

    def _rows(self, table: pa.Table) -> pa.Table:
        """Return the rows that may count (``near``), each with its product level."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from korus.schema import TOTAL

        rows = plain(self.near(table))
        level = pc.if_else(
            pc.equal(rows["product"], TOTAL),
            pa.scalar(0, pa.int32()),
            pc.cast(pc.utf8_length(rows["product"]), pa.int32()),
        )
        return rows.append_column("level", level)

    def periods(self, table: pa.Table) -> pa.Table:
        """Step 1: the series of a part's rows that may count, each with its months (<NA>
        for a stated year) and its product levels, once."""
        rows = self._rows(table).select([*PERIODS, "level"])
        return acero.aggregate(rows, [*PERIODS, "level"], [])

    def sums(self, table: pa.Table, annual: pa.Table, monthly: pa.Table) -> pa.Table:
        """Step 2: a part's sums by ``SUMMED`` (value_usd and the rows summed) of the rows
        that count: the stated years' rows of the series and levels in ``annual``, the
        months of those in ``monthly`` (``counted_levels``)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = self._rows(table)
        chosen = []
        for part, levels in (
            (rows.filter(pc.is_null(rows["month"])), annual),
            (rows.filter(pc.is_valid(rows["month"])), monthly),
        ):
            if len(part) and len(levels):
                part = acero.join(part, levels, LEVELED)
                chosen.append(sum_by_series(part.select([*SUMMED, "value_usd"])))
        if not chosen:
            return empty_sums(rows.schema)
        return sum_by_series(pa.concat_tables(chosen))


def counted_levels(periods: pa.Table, whole: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Return, from step 1's periods of all parts, the series that count by a stated year
    and those that count by their twelve months (``whole``), each with its product level:
    0 (TOTAL rows) where the rows that count have them, else their coarsest codes."""
    import pyarrow.compute as pc

    def lowest(rows: pa.Table) -> pa.Table:
        found = acero.aggregate(rows, SERIES, [("level", "min")])
        return found.rename_columns([*SERIES, "level"]).select(LEVELED)

    annual = lowest(periods.filter(pc.is_null(periods["month"])))
    months = periods.filter(pc.is_valid(periods["month"]))
    joined = len(months) and len(whole)
    months = acero.join(months, whole, SERIES) if joined else months.slice(0, 0)
    return annual, lowest(months)


def sum_by_series(table: pa.Table) -> pa.Table:
    """Return the sums of ``value_usd`` by ``SUMMED`` (and the rows added up, in ``rows``),
    of rows or of sums already made (then their ``rows`` are added up)."""
    # Grouped by the columns that vary only (a source, basis, vintage of one value is one
    # group): the sums of a BACI year's 2.4M records naming a reporter peaked 300 MB higher
    # grouped by all eight text keys.
    if "rows" in table.column_names:
        summed = grouped_by(table, SUMMED, [("value_usd", "sum"), ("rows", "sum")])
    else:
        summed = grouped_by(table, SUMMED, [("value_usd", "sum"), ("value_usd", "count")])
    return summed.rename_columns([*SUMMED, "value_usd", "rows"])


def empty_sums(schema: pa.Schema | None = None) -> pa.Table:
    """Return sums of nothing, their columns typed as ``schema``'s (else as text)."""
    import pyarrow as pa

    def kind(name: str):
        return schema.field(name).type if schema is not None else pa.string()

    return pa.table(
        {
            **{name: pa.array([], kind(name)) for name in SUMMED},
            "value_usd": pa.array([], pa.float64()),
            "rows": pa.array([], pa.int64()),
        }
    )


def mirror_year_sums(settings, plan: MirrorYear) -> Sums:
    """Return ``plan``'s sums over the settings' data: per part where the data is korus
    stores (on the engine in force), else over the rows of its files read here."""
    folders = store_folders(settings)
    return _from_rows(settings, plan) if folders is None else _from_stores(folders, plan)


def _from_rows(settings, plan: MirrorYear) -> Sums:
    import pyarrow as pa

    from korus import api
    from korus.readers.common import Unsettled

    # Every row is read: the trust layer's rules judge the whole file (a unit slip in
    # another country's rows is said), as for any question of every partner; as one Arrow
    # table where it can be (every record of BACI years: 11M rows read as a pandas frame
    # peaked at 3.65 GB), else as rows.
    table = None
    parts = kept_parts(settings, {})
    if parts is not None:
        # The rows that may count, kept a slice at a time (a reporter's share of them):
        # the steps then read those, not every record twice. Of a folder of BACI years,
        # one file's records are in memory at a time.
        try:
            near = [plan.near(piece) for found in parts for piece in slices(found)]
            table, accounting = pa.concat_tables(near), parts.accounting
        except Unsettled:
            pass  # (a rule would speak: the rows are read, and it does)
        del parts
    if table is None:
        reading = api.read(settings)
        frame = reading.frame
        near = frame[(frame["reporter"] == plan.reporter) | (frame["partner"] == plan.reporter)]
        table, accounting = arrow_rows(near), reading.accounting
        del reading, frame, near  # (the rows are the table's now)
    pieces = slices(table)  # (each step a slice at a time, as over a store's parts)
    periods = pa.concat_tables([plan.periods(piece) for piece in pieces])
    whole, partial = whole_series(periods)
    annual, monthly = counted_levels(periods, whole)
    sums = [plan.sums(piece, annual, monthly) for piece in pieces]
    return Sums(_frame(sum_by_series(pa.concat_tables(sums))), accounting, _listed(partial))


def _from_stores(folders, plan: MirrorYear) -> Sums:
    import dataclasses
    import functools

    import pyarrow as pa

    from korus import engine

    # The parts of the year, twice: the reporter's own rows, and those naming it as partner
    # (a scan picks its row groups by one column's value).
    equals = [{"reporter": plan.reporter}, {"partner": plan.reporter}]
    scans, accounting = store_scans(folders, equals, plan.year)
    if not scans:  # no part holds the year
        return Sums(_frame(empty_sums()), accounting, [])
    light = [dataclasses.replace(scan, columns=MirrorYear.PERIOD_COLUMNS) for scan in scans]
    periods = engine.run(light, then=plan.periods)
    _refuse_shared(scans, periods, plan)
    periods = pa.concat_tables(periods)
    whole, partial = whole_series(periods)
    annual, monthly = counted_levels(periods, whole)
    sums = engine.run(scans, then=functools.partial(plan.sums, annual=annual, monthly=monthly))
    return Sums(_frame(sum_by_series(pa.concat_tables(sums))), accounting, _listed(partial))


def _refuse_shared(scans, periods, plan: MirrorYear) -> None:
    """Refuse two parts of a store that give the same series and month: their sums would
    count it twice (a store refuses such files when they are ingested, unless they repeat
    each other exactly, --dedupe, which only a reading of their rows can drop). The scans
    of one part (its chunks, its two readings) are one part."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from korus.errors import DataFileError

    parts = {scan.path: index for index, scan in enumerate(scans)}
    owners = pa.concat_tables(
        [
            table.select(PERIODS).append_column(
                "part", pa.array([parts[scan.path]] * len(table), pa.int32())
            )
            for scan, table in zip(scans, periods, strict=True)
        ]
    )
    counts = [("part", "count_distinct"), ("part", "min"), ("part", "max")]
    shared = acero.aggregate(owners, PERIODS, counts)
    shared = shared.filter(pc.greater(shared["part_count_distinct"], 1))
    if len(shared):
        row = shared.slice(0, 1).to_pylist()[0]
        first, second = scans[row["part_min"]], scans[row["part_max"]]
        raise DataFileError(
            f"{first.file} and {second.file} both give {row['reporter']} {row['flow']}s "
            f"{'to' if row['flow'] == 'export' else 'from'} {row['partner']} in {plan.year} "
            f"({row['source']}): over a store, mirror gaps are added up from sources that "
            "give each series once; give the files themselves with --data"
        )


def _frame(table):
    """Return the sums as a pandas frame in a stable order."""
    frame = table.to_pandas()
    return frame.sort_values(SUMMED, kind="stable").reset_index(drop=True)
