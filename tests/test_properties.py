"""Properties that hold for any data (hypothesis): the arithmetic korus's figures rest on."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from conftest import make_frame
from korus import metrics, readers
from korus.readers import tidy
from korus.render import UNITS, Report, machine_frame

# Trade values in US dollars, to the cent, from nothing to ten trillion.
cents = st.integers(min_value=0, max_value=10**15).map(lambda c: c / 100)
years = st.lists(st.integers(1990, 2030), min_size=1, max_size=8, unique=True).map(sorted)
HS = st.sampled_from(["01", "03", "27", "72", "84", "85", "87", "99"])


@st.composite
def annual_frames(draw):
    chosen = draw(years)
    rows = [
        (year, None, flow, "TOTAL", draw(cents)) for year in chosen for flow in ("export", "import")
    ]
    return make_frame(rows), chosen


@given(annual_frames())
def test_the_balance_is_exports_minus_imports_for_any_frame(case):
    frame, chosen = case
    balance = metrics.trade_balance(metrics.bilateral_flows(frame, "USA", "KOR", chosen))
    assert (balance["balance"] == balance["exports"] - balance["imports"]).all()
    assert balance["year"].tolist() == chosen


@st.composite
def chapter_frames(draw):
    chapters = draw(st.lists(HS, min_size=1, max_size=8, unique=True))
    rows = [(2016, None, "import", code, draw(cents)) for code in chapters]
    rows += [(2016, None, "export", code, draw(cents)) for code in chapters]
    return make_frame(rows)


@given(chapter_frames(), st.sampled_from(["imports", "exports"]))
def test_shares_of_a_whole_add_up_to_100_percent(frame, flow):
    table, total = metrics.sector_values(frame, "USA", "KOR", 2016, flow)
    if total > 0:
        assert table["share_pct"].sum() == pytest.approx(100.0)
        assert table["value"].sum() == pytest.approx(total)


@given(
    st.floats(min_value=0.01, max_value=1e13),
    st.floats(min_value=0.01, max_value=1e13),
    st.integers(min_value=1, max_value=60),
    st.booleans(),
)
def test_compounding_the_cagr_over_the_years_gives_the_last_value_back(first, last, n, deficit):
    # Within a factor of a million: beyond it the rate is -99.9999...% and float rounding,
    # not korus, sets the precision.
    assume(1e-6 <= last / first <= 1e6)
    sign = -1 if deficit else 1
    rate = metrics.cagr(sign * first, sign * last, n)
    # The rate is that of the value: a negative balance that deepens falls, so its size
    # grows at the rate with its sign turned.
    assert first * (1 + sign * rate / 100) ** n == pytest.approx(last, rel=1e-6)


@given(
    st.floats(min_value=-1e13, max_value=1e13, allow_nan=False),
    st.floats(min_value=-1e13, max_value=1e13, allow_nan=False),
    st.integers(min_value=1, max_value=60),
)
@example(first=-2.225073858507e-311, last=1.5196761840674641e-80, n=1)
def test_the_cagr_has_the_sign_of_the_percent_change_and_equals_it_over_one_year(first, last, n):
    rate, change = metrics.cagr(first, last, n), metrics.pct_change(first, last)
    if first == 0 or (first < 0 < last) or (last < 0 < first):
        # (signs compared, not the product: a product of tiny values underflows to 0)
        assert rate is None and change is None
        return
    if last == 0:
        # All the way to zero: -100% of a positive value, +100% of a negative one.
        assert rate is None and change == pytest.approx(-100.0 if first > 0 else 100.0)
        return
    assert (rate > 0) == (change > 0) and (rate < 0) == (change < 0)
    if n == 1:
        assert rate == pytest.approx(change, rel=1e-9, abs=1e-9)


@given(st.lists(cents, min_size=1, max_size=20), st.sampled_from(list(UNITS)))
def test_converting_units_there_and_back_returns_the_same_numbers(values, unit):
    report = Report(title="t", frame=pd.DataFrame({"value": values}), money=["value"])
    scaled = machine_frame(report, unit).iloc[:, 0]
    back = scaled * UNITS[unit][0]
    assert back.tolist() == pytest.approx(values, abs=0.005, rel=1e-12)


text_cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s)


@st.composite
def tidy_frames(draw):
    count = draw(st.integers(1, 12))
    rows = []
    for index in range(count):
        month = draw(st.one_of(st.none(), st.integers(1, 12)))
        rows.append(
            (
                2000 + index,
                month,
                draw(st.sampled_from(["export", "import", "re-export"])),
                draw(st.sampled_from(["TOTAL", "01", "8703", "010121"])),
                draw(cents),
            )
        )
    return make_frame(
        rows, source=draw(text_cells), basis=draw(text_cells), vintage=draw(text_cells)
    )


@given(tidy_frames(), st.sampled_from(["csv", "parquet"]))
@settings(max_examples=60)
def test_reading_what_convert_wrote_returns_the_same_frame(tmp_path_factory, frame, kind):
    path = tmp_path_factory.mktemp("roundtrip") / f"t.{kind}"
    (tidy.write_csv if kind == "csv" else tidy.write_parquet)(frame, path)
    pd.testing.assert_frame_equal(readers.read_file(path).frame, frame)


@given(st.lists(st.tuples(cents, cents), min_size=2, max_size=4))
@settings(max_examples=25)
def test_stacking_files_in_any_order_gives_the_same_totals(tmp_path_factory, pairs):
    folder = tmp_path_factory.mktemp("stack")
    paths = []
    for index, (exports, imports) in enumerate(pairs):
        frame = make_frame(
            [
                (2000 + index, None, "export", "TOTAL", exports),
                (2000 + index, None, "import", "TOTAL", imports),
            ]
        )
        paths.append(folder / f"{index}.csv")
        tidy.write_csv(frame, paths[-1])
    years = [2000 + index for index in range(len(pairs))]
    results = set()
    for order in itertools.permutations(paths):
        flows = metrics.bilateral_flows(readers.load(list(order)).frame, "USA", "KOR", years)
        results.add(tuple(flows[["exports", "imports"]].sum().round(2)))
    assert len(results) == 1


@given(chapter_frames(), st.sampled_from(["imports", "exports", "balance"]))
def test_contributions_add_up_to_the_whole_change(frame, flow):
    earlier = frame.assign(year=2011, value_usd=frame["value_usd"][::-1].to_numpy())
    both = pd.concat([frame, earlier], ignore_index=True)
    table, total = metrics.sector_values(both, "USA", "KOR", 2016, flow, since=2011)
    sums = earlier.groupby("flow")["value_usd"].sum()
    then = {
        "imports": sums.get("import", 0.0),
        "exports": sums.get("export", 0.0),
        "balance": sums.get("export", 0.0) - sums.get("import", 0.0),
    }[flow]
    assert table["change"].sum() == pytest.approx(total - then, abs=0.01)
    if abs(then) > 1:
        # Floats carry about 16 digits of the largest term, not of a sum that nearly
        # cancels: the tolerance scales with the terms (a balance's can be far larger).
        scale = table["change"].abs().sum() / abs(then) * 100
        assert table["contribution_pp"].sum() == pytest.approx(
            (total - then) / abs(then) * 100, rel=1e-9, abs=1e-9 + 1e-12 * scale
        )
