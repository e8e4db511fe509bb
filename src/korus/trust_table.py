"""The trust layer's rules read off an Arrow table of canonical rows, for a plan of sums
that answers without a pandas frame of rows (``korus.trust`` keeps the rules and their
words; this only tells whether they would say anything)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from korus.schema import MONTHS, YEARS
from korus.trust import (
    FLOWS_NEVER_NEGATIVE,
    OUT_OF_SCALE,
    VALUE_LIMIT_USD,
    _known_world_total,
    world_bound,
)

if TYPE_CHECKING:
    import pyarrow as pa


def quiet_table(table: pa.Table) -> bool:
    """Return whether the rules ``stack`` applies to a reading it has not settled (1:
    periods and values, 5: magnitudes) hold on an Arrow table of canonical rows (text
    plain or as dictionaries) without a word: no error, no warning. A plan of sums may
    then answer from the table; where they do not, the rows are read and the rule says
    what it finds, naming the line. Types a reader may leave to the rules (a year as a
    float, a month as text) are left to them too."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from korus import countries
    from korus.engine.plans import by_value, grouped_by, holds_for_all, product_levels

    if not table.num_rows:
        return True
    year, month, value = table["year"], table["month"], table["value_usd"]
    if not pa.types.is_integer(year.type) or year.null_count:
        return False
    low, high = pc.min_max(year).values()
    if low.as_py() < YEARS[0] or high.as_py() > YEARS[1]:
        return False
    if month.null_count < len(month):
        if not pa.types.is_integer(month.type):
            return False
        low, high = pc.min_max(month).values()
        if low.as_py() < MONTHS[0] or high.as_py() > MONTHS[1]:
            return False
    if not pa.types.is_floating(value.type) or value.null_count:
        return False
    if not pc.all(pc.is_finite(value)).as_py():
        return False
    low, high = pc.min_max(value).values()
    if max(-low.as_py(), high.as_py()) >= VALUE_LIMIT_USD:
        return False
    if low.as_py() < 0:  # a negative flow (a balance may be below zero)
        never = pa.array(FLOWS_NEVER_NEGATIVE)
        negative = pc.and_(pc.less(value, 0), pc.is_in(table["flow"], value_set=never))
        if pc.any(negative).as_py():
            return False
    # Rule 5 as ``check_magnitudes`` adds up: each reporter's flow of a year over its
    # countries, at its coarsest product level, stated years before their months.
    level = by_value(table["product"], product_levels)
    if level.null_count:
        return False

    def groups(codes):
        kinds = [isinstance(code, str) and countries.is_group(code) for code in codes.to_pylist()]
        return pa.array(kinds, pa.bool_())

    grouped = by_value(table["partner"], groups)
    flows = pa.table(
        {
            "reporter": table["reporter"],
            "year": year,
            "flow": table["flow"],
            "level": level,
            "annual": pc.is_null(month),
            "value_usd": value,
        }
    )
    added = pa.array(["export", "import"])
    tests = [pc.invert(pc.fill_null(grouped, False))]
    if not holds_for_all(table["flow"], lambda values: pc.is_in(values, value_set=added)):
        tests.append(pc.is_in(table["flow"], value_set=added))
    if table["reporter"].null_count:
        tests.append(pc.is_valid(table["reporter"]))
    chosen = functools.reduce(pc.and_, tests)
    if pc.all(chosen).as_py() is False:
        flows = flows.filter(chosen)
    keys = ["reporter", "year", "flow", "level", "annual"]
    sums = grouped_by(flows, keys, [("value_usd", "sum")])
    series: dict = {}
    for row in sums.to_pylist():
        series.setdefault((row["reporter"], row["year"], row["flow"]), []).append(row)
    for (reporter, year_, flow), rows in series.items():
        finest = min(row["level"] for row in rows)
        rows = [row for row in rows if row["level"] == finest]
        stated = any(row["annual"] for row in rows)
        total = sum(row["value_usd_sum"] for row in rows if row["annual"] or not stated)
        if total > world_bound(int(year_)):
            return False
        known = _known_world_total(reporter, int(year_), flow)
        if known and total > OUT_OF_SCALE * known:
            return False
    return True
