"""Metrics on small hand-made frames: balances, changes, growth rates, shares."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import make_frame
from korus import metrics
from korus.errors import DataCoverageError, MixedSourcesError

NA = None


def two_years():
    return make_frame(
        [
            (2011, NA, "export", "TOTAL", 100.0),
            (2011, NA, "import", "TOTAL", 150.0),
            (2016, NA, "export", "TOTAL", 90.0),
            (2016, NA, "import", "TOTAL", 200.0),
        ]
    )


def test_balance_is_exports_minus_imports():
    flows = metrics.bilateral_flows(two_years(), "USA", "KOR", [2011, 2016])
    balance = metrics.trade_balance(flows)
    assert balance["balance"].tolist() == [-50.0, -110.0]
    assert balance["exports"].tolist() == [100.0, 90.0]


def test_flows_name_the_source_and_both_bases():
    flows = metrics.bilateral_flows(two_years(), "USA", "KOR", [2011])
    assert flows.loc[0, "source"] == "test source"
    assert flows.loc[0, "basis"] == "exports: FOB; imports: CIF"


def test_pct_change_of_a_deficit_is_relative_to_its_size():
    assert metrics.pct_change(-13199.7, -27624.6) == pytest.approx(-109.28, abs=0.01)
    assert metrics.pct_change(43461.6, 42262.2) == pytest.approx(-2.76, abs=0.01)


def test_pct_change_from_zero_is_undefined():
    assert metrics.pct_change(0.0, 5.0) is None


def test_cagr_compounds_back_to_the_last_value():
    rate = metrics.cagr(100.0, 200.0, 5)
    assert 100.0 * (1 + rate / 100) ** 5 == pytest.approx(200.0)


def test_cagr_is_undefined_across_a_change_of_sign():
    assert metrics.cagr(-10.0, 5.0, 3) is None
    assert metrics.cagr(10.0, 20.0, 0) is None


def test_cagr_of_a_deepening_deficit_is_negative_like_its_percent_change():
    # A balance of -100 that becomes -121 fell: by 21% and at -10% a year.
    assert metrics.pct_change(-100.0, -121.0) == pytest.approx(-21.0)
    assert metrics.cagr(-100.0, -121.0, 2) == pytest.approx(-10.0)


def test_cagr_of_the_same_deficit_as_imports_minus_exports_is_positive():
    assert metrics.pct_change(100.0, 121.0) == pytest.approx(21.0)
    assert metrics.cagr(100.0, 121.0, 2) == pytest.approx(10.0)


def test_cagr_of_a_shrinking_deficit_is_positive_as_the_balance_rose():
    assert metrics.cagr(-121.0, -100.0, 2) == pytest.approx(100 / 11 * (1 - 0.0), rel=1e-9)


def test_percent_change_and_cagr_are_not_defined_across_zero_or_from_zero():
    assert metrics.pct_change(20.0, -50.0) is None
    assert metrics.cagr(20.0, -50.0, 1) is None
    assert metrics.pct_change(0.0, 5.0) is None
    assert metrics.undefined_because(20.0, -50.0) == (
        "the value changes sign (no percentage across zero)"
    )
    assert metrics.undefined_because(0.0, 5.0) == "the first value is 0 (no percentage of nothing)"


def test_change_between_reports_first_last_and_rates():
    change = metrics.change_between(pd.Series([100.0, 110.0, 121.0], index=[2014, 2015, 2016]))
    assert (change.first_year, change.last_year) == (2014, 2016)
    assert change.change == pytest.approx(21.0)
    assert change.pct_change == pytest.approx(21.0)
    assert change.cagr == pytest.approx(10.0)


def test_a_partial_year_is_an_error_naming_the_months_it_holds():
    frame = pd.concat(
        [
            two_years(),
            make_frame(
                [(2017, 1, "export", "TOTAL", 5.0), (2017, 1, "import", "TOTAL", 9.0)],
                vintage="data through 2017-01",
            ),
        ]
    )
    with pytest.raises(DataCoverageError, match="2017 holds January only"):
        metrics.bilateral_flows(frame, "USA", "KOR", [2016, 2017])


def test_a_year_outside_the_data_is_an_error_with_the_span():
    with pytest.raises(
        DataCoverageError, match=r"no USA-KOR trade for 1990 \(it covers 2011-2016\)"
    ):
        metrics.bilateral_flows(two_years(), "USA", "KOR", [1990])


def test_an_unknown_pair_is_an_error():
    with pytest.raises(DataCoverageError, match="no trade of USA with JPN"):
        metrics.bilateral_flows(two_years(), "USA", "JPN", [2011])


def test_totals_from_products_add_the_chapters_when_no_total_row_exists():
    frame = make_frame(
        [
            (2016, NA, "export", "01", 1.5),
            (2016, NA, "export", "87", 2.5),
            (2016, NA, "import", "87", 10.0),
            (2016, NA, "re-export", "87", 99.0),
        ]
    )
    flows = metrics.bilateral_flows(frame, "USA", "KOR", [2016])
    assert flows.loc[0, "exports"] == 4.0  # the re-export is never added
    assert flows.loc[0, "imports"] == 10.0


def test_monthly_rows_are_never_added_to_a_year():
    frame = pd.concat([two_years(), make_frame([(2016, 1, "export", "TOTAL", 1000.0)])])
    flows = metrics.bilateral_flows(frame, "USA", "KOR", [2016])
    assert flows.loc[0, "exports"] == 90.0


def test_two_sources_for_one_figure_are_refused():
    frame = pd.concat(
        [
            make_frame([(2016, NA, "export", "TOTAL", 90.0)], source="A"),
            make_frame([(2016, NA, "import", "TOTAL", 200.0)], source="B"),
        ]
    )
    with pytest.raises(MixedSourcesError, match="A; B"):
        metrics.bilateral_flows(frame, "USA", "KOR", [2016])


def test_year_on_year_compares_each_year_with_the_one_before():
    frame = make_frame(
        [
            (year, NA, flow, "TOTAL", value)
            for year, exports in ((2014, 100.0), (2015, 110.0), (2016, 99.0))
            for flow, value in (("export", exports), ("import", 1.0))
        ]
    )
    flows = metrics.bilateral_flows(frame, "USA", "KOR", [2014, 2015, 2016])
    yoy = metrics.year_on_year(flows, "exports")
    assert math.isnan(yoy.loc[0, "pct_change"])
    assert yoy["pct_change"].iloc[1:].tolist() == pytest.approx([10.0, -10.0])
    assert yoy["change"].iloc[1:].tolist() == pytest.approx([10.0, -11.0])


def sector_frame():
    return make_frame(
        [
            (2016, NA, "import", "87", 60.0),
            (2016, NA, "import", "85", 30.0),
            (2016, NA, "import", "01", 10.0),
            (2016, NA, "export", "87", 5.0),
            (2016, NA, "export", "01", 25.0),
            (2011, NA, "import", "87", 40.0),
            (2011, NA, "export", "87", 5.0),
        ]
    )


def test_sector_shares_of_imports_add_to_100_and_rank_largest_first():
    table, total = metrics.sector_values(sector_frame(), "USA", "KOR", 2016, "imports")
    assert table["product"].tolist() == ["87", "85", "01"]
    assert table["share_pct"].tolist() == pytest.approx([60.0, 30.0, 10.0])
    assert total == 100.0


def test_a_chapter_can_be_more_than_all_of_a_deficit():
    frame = pd.concat([sector_frame(), make_frame([(2016, NA, "export", "85", 0.0)])])
    table, total = metrics.sector_values(frame, "USA", "KOR", 2016, "balance")
    # balances: 87 -55, 85 -30, 01 +15; total -70
    assert total == -70.0
    assert table["product"].tolist() == ["87", "85", "01"]
    assert table.loc[0, "share_pct"] == pytest.approx(55 / 70 * 100)
    assert table.loc[2, "share_pct"] == pytest.approx(-15 / 70 * 100)


def test_sector_change_since_a_year_shows_a_chapter_absent_then_as_missing():
    table, _ = metrics.sector_values(sector_frame(), "USA", "KOR", 2016, "imports", since=2011)
    row = table.set_index("product").loc["87"]
    assert row["value_since"] == 40.0 and row["change"] == 20.0
    assert row["pct_change"] == pytest.approx(50.0)
    absent = table.set_index("product").loc["85"]
    assert pd.isna(absent["value_since"]) and pd.isna(absent["change"])
    assert pd.isna(absent["contribution_pp"])


def test_a_chapter_without_one_of_the_flows_has_no_balance_and_is_listed_last():
    table, total = metrics.sector_values(sector_frame(), "USA", "KOR", 2016, "balance")
    assert table["product"].tolist() == ["87", "01", "85"]
    last = table.iloc[-1]
    assert pd.isna(last["exports"]) and last["imports"] == 30.0
    assert pd.isna(last["value"]) and pd.isna(last["share_pct"])
    assert total == -70.0  # all exports less all imports: what the data has


def test_sectors_need_product_detail():
    with pytest.raises(DataCoverageError, match="no HS product detail"):
        metrics.sector_values(two_years(), "USA", "KOR", 2016, "imports")


def test_latest_whole_years_skips_a_partial_year():
    frame = pd.concat([two_years(), make_frame([(2017, 1, "export", "TOTAL", 5.0)])])
    assert metrics.latest_whole_years(frame, "USA", "KOR", 6) == [2011, 2016]


def monthly_frame(months, exports=10.0, imports=20.0):
    return make_frame(
        [(2016, m, "export", "TOTAL", exports) for m in months]
        + [(2016, m, "import", "TOTAL", imports) for m in months],
        vintage="data through 2016-12",
    )


def test_a_year_of_twelve_months_is_their_sum_when_no_annual_row_is_stated():
    flows = metrics.bilateral_flows(monthly_frame(range(1, 13)), "USA", "KOR", [2016])
    assert (flows.loc[0, "exports"], flows.loc[0, "imports"]) == (120.0, 240.0)


def test_eleven_months_are_not_a_year():
    with pytest.raises(DataCoverageError, match="2016 holds January to November only"):
        metrics.bilateral_flows(monthly_frame(range(1, 12)), "USA", "KOR", [2016])


def test_a_stated_annual_row_wins_over_its_months():
    frame = pd.concat(
        [monthly_frame(range(1, 13)), make_frame([(2016, NA, "export", "TOTAL", 125.0)])]
    )
    years = metrics.whole_years(frame)
    exports = years[years["flow"] == "export"]
    assert exports["value_usd"].tolist() == [125.0]
    imports = years[years["flow"] == "import"]
    assert imports["value_usd"].tolist() == [240.0]


def test_a_product_absent_in_a_published_month_counts_as_no_trade_that_month():
    rows = [(2016, m, "import", "87", 5.0) for m in range(1, 13)]
    rows += [(2016, m, "import", "01", 1.0) for m in range(1, 12)]  # none in December
    years = metrics.whole_years(make_frame(rows)).set_index("product")["value_usd"]
    assert years.to_dict() == {"87": 60.0, "01": 11.0}


def test_a_year_with_a_month_missing_names_the_month():
    months = [m for m in range(1, 13) if m != 5]
    frame = pd.concat([monthly_frame(months), monthly_frame(range(1, 13)).assign(year=2018)])
    with pytest.raises(DataCoverageError, match=r"^2016 lacks May \(data through 2016-12\)"):
        metrics.bilateral_flows(frame, "USA", "KOR", [2016, 2018])


def test_a_balance_the_source_publishes_is_reported_as_published():
    rows = [
        (2016, m, flow, "TOTAL", value)
        for m in range(1, 13)
        for flow, value in (("export", 10.04), ("import", 20.04), ("balance", -10.1))
    ]
    flows = metrics.bilateral_flows(make_frame(rows), "USA", "KOR", [2016])
    balance = metrics.trade_balance(flows)
    assert balance.loc[0, "balance"] == pytest.approx(-121.2)  # twelve published -10.1
    assert balance.loc[0, "exports"] - balance.loc[0, "imports"] == pytest.approx(-120.0)


def test_without_a_published_balance_it_is_exports_minus_imports():
    balance = metrics.trade_balance(metrics.bilateral_flows(two_years(), "USA", "KOR", [2016]))
    assert "balance_stated" not in balance.columns
    assert balance.loc[0, "balance"] == -110.0


def test_each_years_coverage_and_release_are_said_of_that_years_rows():
    """Over several years, the ``products`` and ``vintage`` of each year are those of its own
    rows (all goods in one year, chapters in another, a code list in a third; two releases
    in one year), as ``coverage`` says them of that year's rows alone."""
    rows = pd.DataFrame(
        {
            "year": [2014, 2014, 2015, 2015, 2015, 2016, 2016, 2016, 2016, 2016, 2016],
            "month": pd.array([None] * 11, dtype="Int8"),
            "reporter": "USA",
            "partner": "KOR",
            "flow": ["export", "import"] * 5 + ["export"],
            "product": [
                "TOTAL",
                "TOTAL",
                "01",
                "02",
                "99",
                "0101",
                "0102",
                "0103",
                "0104",
                "0105",
                "0101",
            ],
            "classification": ["none", "none"] + ["HS2012"] * 9,
            "value_usd": 1.0,
            "source": "S",
            "basis": "B",
            "vintage": ["v1", "v1", "v1", "v2", "v2", "v3", "v3", "v3", "v3", "v3", "v3"],
        }
    )
    out = pd.DataFrame({"year": [2014, 2015, 2016]})
    said = metrics._provenance(out, rows)
    for year in (2014, 2015, 2016):
        own = rows[rows["year"] == year]
        line = said[said["year"] == year].iloc[0]
        assert line["products"] == metrics.coverage(own)
        assert line["vintage"] == ", ".join(sorted(own["vintage"].unique()))
    assert list(said["products"]) == ["all goods", "HS 01, 02, 99", "5 HS headings (0101-0105)"]
    assert list(said["vintage"]) == ["v1", "v1, v2", "v3"]
