"""``metrics.whole_years`` works by the rows' group numbers: the same rows, in the same
order, each sum the same to the last bit, as the rule stated over the text keys (the
reference below: pandas grouping by the columns themselves)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_frame
from korus import metrics
from korus.groups import numbered


def _reference(frame: pd.DataFrame) -> pd.DataFrame:
    """The rule as it reads: a stated year, else the twelve months added, by text keys."""
    dated = frame["month"].notna()
    if not dated.any():
        return frame
    annual, monthly = frame[~dated], frame[dated]
    series = ["reporter", "partner", "flow", "source"]
    stated = set(annual[["year", *series]].drop_duplicates().itertuples(index=False, name=None))
    months = monthly.groupby(["year", *series], observed=True)["month"].nunique()
    whole = {key for key, count in months.items() if count == 12 and key not in stated}
    if not whole:
        return annual.reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(monthly[["year", *series]])
    chosen = monthly[keys.isin(list(whole))]
    summed = (
        chosen.groupby(
            ["year", *series, "product", "classification", "basis", "vintage"],
            observed=True,
            dropna=False,
        )["value_usd"]
        .sum()
        .reset_index()
    )
    summed["month"] = pd.array([pd.NA] * len(summed), dtype="Int8")
    return pd.concat([annual, summed[annual.columns]], ignore_index=True)


# A figure with cents and a long tail of digits: sums in another order differ in the last bits.
_values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def _frames(draw) -> pd.DataFrame:
    rows = []
    for partner in draw(st.lists(st.sampled_from(["KOR", "JPN", "CHN"]), max_size=3, unique=True)):
        for year in draw(st.lists(st.sampled_from([2015, 2016]), min_size=1, unique=True)):
            flows = draw(st.lists(st.sampled_from(["export", "import"]), min_size=1, unique=True))
            for flow in flows:
                stated = draw(st.booleans())
                months = draw(
                    st.one_of(
                        st.just(list(range(1, 13))),
                        st.just(list(range(1, 12))),  # a month short of a year
                        st.lists(st.integers(1, 12), min_size=1, max_size=12, unique=True),
                    )
                )
                products = draw(st.lists(st.sampled_from(["01", "02", "85", "TOTAL"]), min_size=1))
                for product in products:  # a product twice: two figures of it, both added
                    for month in [None] if stated and draw(st.booleans()) else months:
                        rows.append((year, month, flow, product, draw(_values), partner))
                if stated:
                    rows.append((year, None, flow, "TOTAL", draw(_values), partner))
    frame = make_frame(rows) if rows else make_frame([(2016, 1, "export", "01", 1.0)]).iloc[:0]
    order = draw(st.permutations(range(len(frame))))
    frame = frame.iloc[list(order)].reset_index(drop=True)
    if len(frame) and draw(st.booleans()):  # a key missing in some rows
        column = draw(st.sampled_from(["vintage", "basis", "classification", "source"]))
        frame.loc[frame.index[:: draw(st.integers(2, 5))], column] = None
    return frame


@given(_frames())
def test_whole_years_is_the_rule_over_the_text_keys(frame):
    expected = _reference(frame)
    got = metrics.whole_years(frame)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True
    )


def test_the_sums_are_pandas_sums_of_each_group_in_row_order():
    # 0.1 + 0.2 + 0.3 is not 0.3 + 0.2 + 0.1 in floating point without compensation: the
    # sums must be the ones the grouping by text gives, bit for bit.
    values = [0.1, 1e15, 0.2, -1e15, 0.3] + [0.0] * 7
    frame = make_frame([(2016, month + 1, "export", "01", v) for month, v in enumerate(values)])
    got = metrics.whole_years(frame)
    assert got["value_usd"].tolist() == _reference(frame)["value_usd"].tolist()
    assert len(got) == 1


def test_groups_are_numbered_as_pandas_numbers_them_a_missing_value_last():
    frame = pd.DataFrame(
        {"a": pd.array(["b", None, "a", "b"], dtype="str"), "n": np.array([2, 1, 1, 1], np.int16)}
    )
    # ("a", 1) < ("b", 1) < ("b", 2) < (missing, 1)
    assert numbered(frame, ["a", "n"]).tolist() == [2, 3, 0, 1]
    expected = frame.groupby(["a", "n"], dropna=False).ngroup()
    assert numbered(frame, ["a", "n"]).tolist() == expected.tolist()


def test_groups_of_many_wide_keys_are_numbered_without_overflow():
    # 12 keys of up to 1,000 values each: 10 ** 36 possible groups, past 64 bits.
    rows = 1000
    wide = pd.DataFrame({f"k{i}": (np.arange(rows) * (i + 7)) % (rows - i) for i in range(12)})
    wide["one"] = pd.array(["same"] * rows, dtype="str")
    expected = wide.groupby(list(wide.columns), sort=True).ngroup().to_numpy()
    assert numbered(wide, list(wide.columns)).tolist() == expected.tolist()


def test_many_distinct_series_leave_room_for_the_months():
    # 2,600 series with a month each, every key of them distinct (their group numbers
    # reach 2,601 ** 5, past 2 ** 56: a month's 256 more would not fit in 64 bits), and
    # one series of twelve months.
    count = 2600
    rows = make_frame([(2016, 1, "export", "01", 1.0)] * count)
    rows["year"] = (np.arange(count) + 100).astype(np.int16)
    for key in ("reporter", "partner", "source"):
        rows[key] = pd.array([f"{key}{index:05d}" for index in range(count)], dtype="str")
    rows["flow"] = pd.array([f"flow{index:05d}" for index in range(count)], dtype="str")
    year = make_frame([(2016, month, "export", "01", month * 1.5) for month in range(1, 13)])
    frame = pd.concat([rows, year], ignore_index=True)
    got = metrics.whole_years(frame)
    pd.testing.assert_frame_equal(got, _reference(frame), check_exact=True)
    assert got["value_usd"].tolist() == [117.0]
