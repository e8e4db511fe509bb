"""A Comtrade+ JSON answer's records read a field at a time: where every record gives
every field (the API's answers), by one ``itemgetter`` a record; the columns are the ones
``record.get`` gives, whatever fields the records give or leave out, and however they
spell them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from korus.readers import comtrade_plus
from korus.readers.comtrade_plus_terms import normalise

# Fields korus reads, some spelt two ways (as answers of several vintages spell them).
KEYS = ["refYear", "reporterCode", "flowCode", "primaryValue", "cmdCode", "REFYEAR", "period"]
VALUE = st.one_of(st.none(), st.integers(-3, 3), st.floats(-2, 2), st.text(max_size=3))


def by_get(records: list[dict]) -> dict[str, list]:
    """The columns of the fields spelt one way, each record read with ``get``."""
    spellings: dict[str, list] = {}
    for key in set().union(*records):
        if normalise(key) in comtrade_plus.USED:
            spellings.setdefault(normalise(key), []).append(key)
    return {
        field: [record.get(keys[0]) for record in records]
        for field, keys in spellings.items()
        if len(keys) == 1
    }


@settings(max_examples=300)
@given(
    st.lists(st.sets(st.sampled_from(KEYS), min_size=1), min_size=1, max_size=6),
    st.booleans(),
    st.data(),
)
def test_the_columns_are_the_ones_get_gives(shapes, whole, data):
    if whole:  # every record gives the same fields
        shapes = [shapes[0]] * len(shapes)
    records = [{key: data.draw(VALUE) for key in sorted(shape)} for shape in shapes]
    for record in records:
        if "REFYEAR" in record and "refYear" in record:
            record["REFYEAR"] = record["refYear"]  # (two values would be an error)
    read = comtrade_plus._json_records(records, "answer.json")
    expected = by_get(records)
    for field, column in expected.items():
        assert read.cells[field] == column, field
    asked = ["refYear", "flowCode", "cmdCode"]
    fast = comtrade_plus._every_record_whole(records, {normalise(k): [k] for k in asked})
    # The fast way answers where every record gives every field it is asked of, else not.
    given_all = all(set(asked) <= set(record) for record in records)
    assert bool(fast) == given_all
    if given_all:
        assert fast == {normalise(k): [record[k] for record in records] for k in asked}


def test_a_record_without_a_field_is_read_with_get():
    records = [{"refYear": 2016, "flowCode": "M"}, {"refYear": 2017}]
    spellings = {"refyear": ["refYear"], "flowcode": ["flowCode"]}
    assert comtrade_plus._every_record_whole(records, spellings) == {}
    read = comtrade_plus._json_records(records, "answer.json")
    assert read.cells["flowcode"] == ["M", None]
    assert read.cells["refyear"] == [2016, 2017]


def test_whole_records_are_read_field_by_field():
    records = [{"refYear": 2016, "flowCode": "M"}, {"refYear": 2017, "flowCode": "X"}]
    spellings = {"refyear": ["refYear"], "flowcode": ["flowCode"]}
    assert comtrade_plus._every_record_whole(records, spellings) == {
        "refyear": [2016, 2017],
        "flowcode": ["M", "X"],
    }
