"""A reporter's partners over years, from sums: only sums come back from a store's parts.

``partners`` ranks a reporter's partners by their whole-year trade. Over a korus store the
rows it needs are a reporter's trade with every partner, by product: millions of rows of a
BACI or Comtrade panel. The plan sums them where each part is read (here, or on a Dask
worker: ``korus.engine.run``'s ``then``), so that what travels and what becomes pandas is
one row per partner, flow, year and product level, whatever the size of the panel.

It keeps every rule of the measure (``metrics_partners.partner_ranking``):

1. each part sends back its sums by year, month (<NA> for a stated year), partner, flow,
   source, classification, basis, vintage and product level (all goods, or the width of
   the codes), with the distinct product codes of each level; over all parts the client
   decides the whole-year rule (``metrics.whole_years``: a stated year, else twelve
   months) and the level rule (all goods where given, else the coarsest level), and says
   what the figures cover from the codes;
2. only where some months do not count (a partial year, or a year also stated), each
   part sends its sums again, of the rows that count only (their codes too).

The measure then runs on these sums as on rows. Where two parts of the stores that hold
the reporter hold a year in common (only then can two sources give the same figure, or a
year and its months), or the measure finds nothing to rank, the question is answered
from the rows instead: the trust layer then refuses or drops the repeats, and says what
is missing, as it does for files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from korus.engine import acero
from korus.engine.plans import (
    ALL_GOODS_LEVEL,
    SERIES,
    by_value,
    grouped_by,
    holds_for_all,
    plain,
    product_levels,
    store_folders,
    store_scans,
    whole_series,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FLOWS = ("export", "import", "balance")
KEYS = ["year", *SERIES]  # a series in a year
PERIODS = [*KEYS, "month"]
# What a sum keeps: a partner's flow in a year, from one source, at one product level.
SUMMED = ["year", *SERIES, "classification", "basis", "vintage", "level"]
# What the codes summed are kept by: enough to say what the chosen sums cover.
CODED = ["year", "flow", "level", "grouped", "classification", "product"]


@dataclass(frozen=True)
class PartnerYears:
    """The sums of ``reporter``'s trade with each partner in ``years`` (None: every year),
    with the partners in ``groups`` marked (never added to countries)."""

    reporter: str
    years: tuple[int, ...] | None
    groups: tuple[str, ...]

    def _rows(self, table: pa.Table) -> pa.Table:
        """Return the reporter's rows that may count: flows and stated balances (of all
        goods) in the years. A test that every row of a column passes (told from its
        dictionary: a reader's table of one reporter's side) is not asked row by row."""
        import pyarrow.compute as pc

        from korus.schema import TOTAL

        flows = acero.texts(FLOWS)
        reporter, balance, total = (acero.text(text) for text in (self.reporter, "balance", TOTAL))
        tests = []
        if not holds_for_all(table["reporter"], lambda values: pc.equal(values, reporter)):
            tests.append(pc.equal(table["reporter"], reporter))
        if not holds_for_all(table["flow"], lambda values: pc.is_in(values, value_set=flows)):
            tests.append(pc.is_in(table["flow"], value_set=flows))
        # A stated balance counts of all goods only (as the measure reads it).
        if not holds_for_all(table["flow"], lambda values: pc.not_equal(values, balance)):
            tests.append(
                pc.or_(pc.not_equal(table["flow"], balance), pc.equal(table["product"], total))
            )
        if self.years is not None:
            held = pc.unique(table["year"]).to_pylist()  # (a year or a few: not row by row)
            if not set(held) <= set(self.years):
                tests.append(pc.is_in(table["year"], value_set=acero.integers(self.years)))
        if not tests:
            return table
        keep = tests[0]
        for test in tests[1:]:
            keep = pc.and_(keep, test)
        return table.filter(keep)

    def sums(self, table: pa.Table, whole: pa.Table | None = None) -> tuple[pa.Table, pa.Table]:
        """A part's sums (``SUMMED``, value_usd and the rows added up) and the codes summed
        (``CODED``). Without ``whole``, the first pass: the sums of every row that may
        count, by month too (<NA> for a stated year). With ``whole`` (``KEYS`` of the
        series with twelve months and no stated year), the second: the sums of the stated
        years and of the months of those series only."""
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = [*SUMMED, "month"]
        if whole is None:
            rows = _coded(self._rows(table))
        else:
            rows = plain(self._rows(table))
            keys = SUMMED
            annual = rows.filter(pc.is_null(rows["month"]))
            monthly = rows.filter(pc.is_valid(rows["month"]))
            if len(monthly) and len(whole):
                monthly = acero.join(monthly, whole, KEYS)
                rows = pa.concat_tables([annual, monthly.select(annual.column_names)])
            else:
                rows = annual
        rows = rows.append_column("level", by_value(rows["product"], product_levels))
        groups = acero.texts(self.groups)
        grouped = by_value(rows["partner"], lambda values: pc.is_in(values, value_set=groups))
        rows = rows.append_column("grouped", grouped)
        summed = grouped_by(rows, keys, [("value_usd", "sum"), ("value_usd", "count")])
        summed = plain(summed.rename_columns([*keys, "value_usd", "rows"]))
        codes = plain(grouped_by(rows.select(CODED), CODED, []))
        return summed, codes


def _coded(table: pa.Table) -> pa.Table:
    """Return a part's rows with its text kept as dictionaries (one per column, shared by
    its chunks): the rows are grouped by codes, what is worked out of a partner or a
    product is worked out once per distinct value (``by_value``), and only the sums' text
    is made plain. Casting a kept reading's million rows to text cost more than the rest
    of the plan (1M DataWeb rows: 0.3-0.8 s cast, 0.02 s grouped by codes)."""
    import pyarrow as pa

    table = table.unify_dictionaries()

    def simple(field):
        kind = field.type
        return pa.string() if pa.types.is_large_string(kind) else kind

    return table.cast(pa.schema([pa.field(f.name, simple(f)) for f in table.schema]))


@dataclass
class PartnerSums:
    """The plan's answer: the sums as the measure reads rows (``frame``: one row per sum,
    month <NA>, product standing for its level), what each source gave (``accounting``),
    and the codes summed (``codes``), from which ``covered`` says what sums cover."""

    frame: pd.DataFrame
    accounting: list
    codes: pa.Table
    is_group: object

    def covered(self, rows: pd.DataFrame) -> str:
        """Return what the sums ``rows`` cover, as ``metrics.coverage`` says it of rows:
        from the codes of their years, flows, levels and kinds of partner."""
        import pyarrow as pa

        from korus import metrics

        kinds = rows[["year", "flow", "product", "partner"]].drop_duplicates()
        kind = ["year", "flow", "level", "grouped"]
        found = pa.table(
            {
                "year": pa.array(kinds["year"].astype("int64").to_list(), pa.int64()),
                "flow": pa.array(kinds["flow"].astype(str).to_list(), pa.string()),
                "level": pa.array([_level(code) for code in kinds["product"]], pa.int32()),
                "grouped": pa.array([bool(self.is_group(code)) for code in kinds["partner"]]),
            }
        )
        codes = self.codes.cast(self.codes.schema.set(0, pa.field("year", pa.int64())))
        chosen = acero.join(codes, acero.aggregate(found, kind, []), kind)
        return metrics.coverage_of(chosen["product"], chosen["classification"])


def _level(product: str) -> int:
    from korus.schema import TOTAL

    return ALL_GOODS_LEVEL if product == TOTAL else len(product)


def partner_sums(settings, reporter: str, years: list[int] | None) -> PartnerSums | None:
    """Return the plan's sums of ``reporter``'s trade in ``years`` (None: every year) over
    the settings' data where it is korus stores whose parts give each series once, else
    None (the question is then answered from the rows)."""
    from korus import countries

    plan = PartnerYears(reporter, None if years is None else tuple(years), countries.group_codes())
    folders = store_folders(settings)
    if folders is None:
        return _from_kept(settings, plan)
    return _from_stores(folders, plan)


def _from_kept(settings, plan: PartnerYears) -> PartnerSums | None:
    """The sums of one file whose reading the store keeps (``readers.kept_table``), or of
    files whose reader builds their rows as one table (``readers.flows_table``: BACI
    years): the plan's two steps run here on those rows, as on one part of a store."""
    from korus import readers

    if not settings.data:
        return None  # the shipped data: its rows are few
    paths, equal = list(settings.data), {"reporter": plan.reporter}
    kept = readers.kept_table(paths, settings.layout, settings.dedupe, equal)
    if kept is None:
        kept = readers.flows_table(paths, settings.layout, settings.dedupe, equal)
    if kept is None:
        return None
    table, accounting = kept
    return _summed(lambda then: [then(table)], plan, accounting)


def frame_sums(frame: pd.DataFrame, reporter: str, years, accounting: list) -> PartnerSums:
    """Return the plan's sums over a reading's rows (a frame of canonical rows, settled):
    the same two steps as over a store's part, so that the measure ranks sums, never a
    million rows, whatever the rows came from."""
    import pyarrow as pa

    from korus import countries
    from korus.schema import COLUMNS

    plan = PartnerYears(reporter, None if years is None else tuple(years), countries.group_codes())
    table = pa.Table.from_pandas(frame[list(COLUMNS)], preserve_index=False)
    # Text as dictionaries first, as a kept reading's is: the rows are filtered and grouped
    # by their codes, not copied as text (1M DataWeb rows: 0.37 s and 121 MiB of Arrow's
    # memory as text, 0.14 s and 54 MiB so; the same sums and codes).
    table = pa.table([_encoded(table[name]) for name in table.column_names], table.column_names)
    return _summed(lambda then: [then(table)], plan, accounting)


def _encoded(column):
    """Return a text column as dictionaries (others as they are), as
    ``pc.dictionary_encode`` does."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from korus.readers.same import _within

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    block = max(chunks, key=len, default=None)
    if len(chunks) > 1 and all(_within(chunk, block) for chunk in chunks):
        # Chunks that are each the start of one block (a column of one text,
        # ``same_text``): the block is encoded once, not a million rows of it.
        encoded = pc.dictionary_encode(block)
        return pa.chunked_array([encoded.slice(0, len(chunk)) for chunk in chunks], encoded.type)
    return pc.dictionary_encode(column)


def _from_stores(folders, plan: PartnerYears) -> PartnerSums | None:
    from korus import engine, store

    equal = {"reporter": plan.reporter}
    if store.share_a_year(folders, equal):
        # Two sources of one year: the trust layer judges their repeats (and a year against
        # its months) over the rows of every year of the reporter, as it does for files.
        return None
    scans, accounting = store_scans(folders, [equal], plan.years)
    if not scans:
        return None  # nothing to sum: the rows say what is missing
    return _summed(lambda then: engine.run(scans, then=then), plan, accounting)


def _summed(run, plan: PartnerYears, accounting: list) -> PartnerSums:
    """Return the plan's sums, ``run(then)`` giving ``then``'s answer for each part read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from korus import countries

    answers = run(plan.sums)
    monthly = pa.concat_tables([summed for summed, _ in answers])
    periods = acero.aggregate(monthly.select(PERIODS), PERIODS, [])
    whole, partial = whole_series(periods, KEYS)
    stated = periods.filter(pc.is_null(periods["month"])).select(KEYS)
    months = periods.filter(pc.is_valid(periods["month"])).select(KEYS)
    if len(partial) or len(acero.join(stated, months, KEYS)):
        # Months that do not count (a partial year, or a year also stated): their rows are
        # left out, and so their codes: summed again, of the rows that count only.
        answers = run(functools.partial(plan.sums, whole=whole))
        sums = pa.concat_tables([summed for summed, _ in answers])
    else:
        sums = monthly.drop_columns(["month"])  # every row counts: the months add up
    codes = acero.aggregate(pa.concat_tables([coded for _, coded in answers]), CODED, [])
    summed = acero.aggregate(sums, SUMMED, [("value_usd", "sum"), ("rows", "sum")])
    return PartnerSums(
        _frame(summed.rename_columns([*SUMMED, "value_usd", "rows"])),
        accounting,
        codes,
        countries.is_group,
    )


def _frame(table: pa.Table) -> pd.DataFrame:
    """Return the sums as canonical rows of whole years: month <NA>, the product standing
    for its level (all goods, or a code of the level's width), to the cent."""
    import pandas as pd

    from korus.schema import TOTAL

    frame = table.to_pandas()
    frame["value_usd"] = frame["value_usd"].round(2)
    frame["month"] = pd.array([pd.NA] * len(frame), dtype="Int8")
    frame["product"] = [
        TOTAL if level == ALL_GOODS_LEVEL else "0" * level for level in frame["level"]
    ]
    return (
        frame.drop(columns=["level", "rows"])
        .sort_values(["year", "partner", "flow", "source"], kind="stable")
        .reset_index(drop=True)
    )
