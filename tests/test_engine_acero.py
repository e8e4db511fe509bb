"""The plans' grouped aggregates, joins and literal values (``korus.engine.acero``) are
pyarrow's own, made without waiting for pandas while another thread imports it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from held_import import beside_held_pandas
from korus.engine import acero, plans

PARTNERS = ["KOR", "CHN", "", "Côte d'Ivoire", None]


@st.composite
def tables(draw):
    size = draw(st.integers(0, 40))
    years = draw(st.lists(st.sampled_from([2015, 2016, None]), min_size=size, max_size=size))
    partners = draw(st.lists(st.sampled_from(PARTNERS), min_size=size, max_size=size))
    values = draw(
        st.lists(
            st.one_of(st.none(), st.floats(-1e12, 1e12, allow_nan=False)),
            min_size=size,
            max_size=size,
        )
    )
    table = pa.table(
        {
            "year": pa.array(years, pa.int16()),
            "partner": pa.array(partners, pa.string()),
            "value": pa.array(values, pa.float64()),
        }
    )
    if draw(st.booleans()):
        table = table.set_column(1, "partner", pc.dictionary_encode(table["partner"]))
    if draw(st.booleans()) and size > 1:  # several chunks
        table = pa.concat_tables([table.slice(0, size // 2), table.slice(size // 2)])
    return table


KEYS = st.sampled_from([["year"], ["partner"], ["year", "partner"], ["partner", "year"]])
AGGREGATES = st.sampled_from(
    [
        [],
        [("value", "sum")],
        [("value", "sum"), ("value", "count")],
        [("value", "min"), ("partner", "count_distinct")],
    ]
)


def ordered(table: pa.Table) -> pa.Table:
    """Return a table's rows sorted by every column (dictionaries read as their text)."""
    plain = [
        column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    table = pa.table(plain, names=table.column_names)
    return table.sort_by([(name, "ascending") for name in table.column_names])


@settings(max_examples=150, derandomize=True, deadline=None)
@given(tables(), KEYS, AGGREGATES)
def test_aggregate_is_pyarrows_group_by(table, keys, aggregates):
    if any(target in keys for target, _ in aggregates):
        aggregates = [(target, kind) for target, kind in aggregates if target not in keys]
    ours = acero.aggregate(table, keys, aggregates, use_threads=False)
    theirs = table.group_by(keys, use_threads=False).aggregate(aggregates)
    assert ours.equals(theirs)  # the same columns, rows and order, every sum to the bit
    # Threads may order the groups otherwise; the groups are the same.
    threaded = acero.aggregate(table, keys, [(t, k) for t, k in aggregates if k != "sum"])
    plain = table.group_by(keys).aggregate([(t, k) for t, k in aggregates if k != "sum"])
    assert ordered(threaded).equals(ordered(plain))


def test_aggregate_without_keys_and_a_hash_name():
    table = pa.table({"v": pa.array([1.5, None, 2.0])})
    assert acero.aggregate(table, [], [("v", "sum"), ("v", "count")]).to_pylist() == [
        {"v_sum": 3.5, "v_count": 2}
    ]
    keyed = pa.table({"k": ["a", "a", "b"], "v": [1, 2, 3]})
    named = acero.aggregate(keyed, ["k"], [("v", "hash_sum")], use_threads=False)
    assert named.equals(keyed.group_by("k", use_threads=False).aggregate([("v", "hash_sum")]))


@settings(max_examples=100, derandomize=True, deadline=None)
@given(tables(), tables(), st.sampled_from(["inner", "left anti", "left semi"]))
def test_join_is_pyarrows_join(left, right, kind):
    keys = ["year", "partner"]
    # A right side as the plans give it: distinct keys (grouped), with or without values.
    right = right.group_by(keys, use_threads=False).aggregate([("value", "sum")])
    if len(right) % 2:
        right = right.select(keys)
    if right["partner"].type != left["partner"].type:
        partner = right["partner"].cast(left["partner"].type)
        right = right.set_column(right.column_names.index("partner"), "partner", partner)
    ours = acero.join(left, right, keys, kind)
    theirs = left.join(right, keys=keys, join_type=kind)
    assert ours.column_names == theirs.column_names
    assert ordered(ours).equals(ordered(theirs))


@pytest.mark.parametrize(
    "values", [[], ["KOR"], ["", "Côte d'Ivoire", "export", "中国", "a" * 1000]]
)
def test_texts_are_pyarrows_strings(values):
    assert acero.texts(values).equals(pa.array(values, pa.string()))
    for value in values:
        assert acero.text(value).equals(pa.scalar(value, pa.string()))


def test_integers_are_pyarrows_integers():
    assert acero.integers([2015, -3, 1 << 40]).equals(pa.array([2015, -3, 1 << 40]))
    assert acero.integers([]).equals(pa.array([], pa.int64()))
    assert acero.integers((0, 99), pa.int32()).equals(pa.array([0, 99], pa.int32()))


def test_a_plans_sums_do_not_wait_for_pandas_being_imported():
    # A partners plan over a kept reading's rows, while pandas is being imported (held):
    # pyarrow's group_by, join, pa.array and compute with Python values would wait.
    body = """
from korus.engine import acero
from korus.engine.plan_partners import PartnerYears
text = lambda values: pc.dictionary_encode(acero.texts(values))
rows = 26
table = pa.table({
    "year": acero.integers([2016] * rows, pa.int16()),
    "month": acero.integers(list(range(1, 13)) * 2 + [1, 1], pa.int8()),
    "reporter": text(["USA"] * rows),
    "partner": text(["KOR"] * 12 + ["CAN"] * 12 + ["KOR", "CHN"]),
    "flow": text(["import"] * rows),
    "product": text(["TOTAL"] * 24 + ["01", "0101"]),
    "classification": text(["none"] * 24 + ["HS", "HS"]),
    "value_usd": pa.Array.from_buffers(pa.float64(), rows, [None, pa.py_buffer(
        np.arange(rows, dtype=np.float64) + 0.5)]),
    "source": text(["s"] * rows),
    "basis": text(["b"] * rows),
    "vintage": text(["v"] * rows),
})
plan = PartnerYears("USA", (2016,), ())
summed, codes = plan.sums(table)
per_partner = acero.aggregate(summed, ["partner"], [("value_usd", "sum"), ("rows", "sum")])
found = sorted(per_partner.to_pylist(), key=lambda row: row["partner"])
print(found, len(codes), time.monotonic() - began < 15)
"""
    printed = beside_held_pandas("import pyarrow.compute as pc\n", body)
    korea = sum(n + 0.5 for n in range(12)) + 24.5
    canada = sum(n + 0.5 for n in range(12, 24))
    expected = [
        {"partner": "CAN", "value_usd_sum": canada, "rows_sum": 12},
        {"partner": "CHN", "value_usd_sum": 25.5, "rows_sum": 1},
        {"partner": "KOR", "value_usd_sum": korea, "rows_sum": 13},
    ]
    assert printed == f"{expected} 3 True"


@pytest.mark.parametrize(
    "chunks",
    [
        [["01", "TOTAL", "0101"], ["0101", "01"]],
        [["", ""], [""]],  # a dictionary of "" only: its data buffer is empty
        [[None, None], [None]],  # an empty dictionary
        [["01"], [], ["TOTAL", None]],
    ],
)
@pytest.mark.parametrize("unified", [True, False])
def test_by_value_works_a_shared_dictionary_out_once_and_as_each_row(chunks, unified):
    table = pa.table({"product": pa.chunked_array([pa.array(c, pa.string()) for c in chunks])})
    table = table.set_column(0, "product", pc.dictionary_encode(table["product"]))
    if unified:
        table = table.unify_dictionaries()
    seen = []

    def levels(values):
        seen.append(len(values))
        return plans.product_levels(values)

    found = plans.by_value(table["product"], levels)
    assert found.to_pylist() == plans.product_levels(table["product"].cast(pa.string())).to_pylist()
    if unified:  # (one dictionary shared by every chunk: worked out once)
        assert len(seen) == 1


@given(
    st.lists(st.lists(st.sampled_from(["A", "B", "C"]), max_size=6), min_size=1, max_size=5),
    st.booleans(),
)
def test_a_columns_codes_tell_what_its_rows_hold_with_a_shared_dictionary_or_not(chunks, unified):
    """``holds_for_all`` and ``one_value`` give, from a column's codes, what its rows'
    text gives, whether its chunks share one dictionary (told at once) or not."""
    column = pc.dictionary_encode(pa.chunked_array([pa.array(c, pa.string()) for c in chunks]))
    table = pa.table({"partner": column})
    if unified:
        table = table.unify_dictionaries()
    rows = [value for chunk in chunks for value in chunk]
    for wanted in ("A", "B"):
        held = plans.holds_for_all(table["partner"], lambda values, w=wanted: pc.equal(values, w))
        assert held == all(value == wanted for value in rows)
    assert plans.one_value(table["partner"]) == (len(set(rows)) <= 1)
