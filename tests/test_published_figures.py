"""The agencies' published figures, through korus's commands, on the shipped data and on the
real files analysts download (those skip without ../shared/data)."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import shared_file
from korus import readers
from korus.cli import cli

# Every file of the shared folder that holds trade flows, and the layout korus must see.
TRADE_FILES = {
    "census/country.xlsx": "census-country",
    "census/country_vintage-2020.xlsx": "census-country",
    "census/enduse_exports_2013_2022.csv": "census-enduse",
    "census/enduse_imports_2016_2025.xlsx": "census-enduse",
    "census/enduse_imports_2014_2023_extra-columns.xlsx": "census-enduse",
    "census/api_imports_hs2_korea_monthly_2013_2021.csv": "census-api-csv",
    "census/balance_page_c5700_china_monthly_2001_2019.csv": "census-balance-page",
    "comtrade/legacy_usa_kor_hs2_2010_2019.csv": "comtrade-legacy",
    "comtrade/plus_api_response_chn_2010.json": "comtrade-plus-json",
    "kosis/korea_trade_by_partner_annual.csv": "kosis-annual",
    "kosis/korea_china_monthly_2001_2019.csv": "kosis-monthly",
    "downloads/DataWeb-Query-Export.xlsx": "usitc-dataweb",
}


def csv_rows(result):
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def millions(row, column):
    return round(float(row[column]), 1)


@pytest.mark.parametrize("relative", list(TRADE_FILES))
def test_every_real_trade_file_is_recognised_and_read_without_being_told_its_layout(relative):
    path = shared_file(relative)
    assert readers.detect(path) == TRADE_FILES[relative]
    reading = readers.read_file(path)
    assert len(reading.frame) > 0
    assert all(account.balanced() for account in reading.accounting)


def test_vehicles_are_65_percent_of_the_comtrade_basis_deficit(runner):
    rows = csv_rows(
        runner.invoke(cli, ["sectors", "--year", "2016", "--by", "sector", "--flow", "balance"])
    )
    vehicles = next(row for row in rows if row["product"] == "vehicles")
    assert millions(vehicles, "value_usd_millions") == -19321.1
    assert round(float(vehicles["share_pct"]), 1) == 65.2
    assert vehicles["source"] == "UN Comtrade (legacy CSV)"
    assert vehicles["product_name"] == "Vehicles and parts (HS 87)"


def test_automotive_end_use_is_82_percent_of_the_census_basis_deficit(runner):
    rows = csv_rows(
        runner.invoke(cli, ["sectors", "--year", "2016", "--by", "enduse", "--flow", "balance"])
    )
    autos = next(row for row in rows if row["product"] == "3")
    assert (
        millions(autos, "exports_usd_millions"),
        millions(autos, "imports_usd_millions"),
        millions(autos, "value_usd_millions"),
    ) == (2550.0, 25108.3, -22558.3)
    assert round(float(autos["share_pct"]), 1) == 81.7
    assert autos["product_name"] == "Automotive vehicles, parts, and engines"
    assert autos["source"] == "US Census Bureau, U.S. trade by end-use category and partner"


def test_passenger_cars_alone_at_the_five_digit_level(runner):
    rows = csv_rows(
        runner.invoke(
            cli,
            ["sectors", "--year", "2016", "--by", "enduse", "--level", "5", "--flow", "balance"],
        )
    )
    cars = next(row for row in rows if row["product"] == "30000")
    assert millions(cars, "value_usd_millions") == -14488.0
    assert cars["product_name"] == "Passenger cars, new and used"


def test_end_use_works_the_same_for_china_in_2022(runner):
    rows = csv_rows(
        runner.invoke(
            cli,
            [
                "sectors",
                "--year",
                "2022",
                "--by",
                "enduse",
                "--flow",
                "balance",
                "--partner",
                "CHN",
            ],
        )
    )
    assert {row["partner"] for row in rows} == {"CHN"}
    assert rows[0]["product"] == "4"  # consumer goods lead the deficit with China
    total = sum(float(row["value_usd_millions"]) for row in rows)
    # The end-use files' 2022 (an earlier release than country.xlsx's, which has since been
    # revised to -382,281.3) adds up to its own total.
    assert round(total, 1) == -382256.6


def test_mirror_prints_both_sides_of_2016_and_the_gap(runner):
    rows = csv_rows(runner.invoke(cli, ["mirror", "--partner", "KOR", "--years", "2016"]))
    balance = next(row for row in rows if row["measure"] == "USA balance")
    assert millions(balance, "reporter_value_usd_millions") == -27624.6
    assert millions(balance, "partner_value_usd_millions") == -23246.4  # Korea's surplus
    assert millions(balance, "gap_usd_millions") == -4378.2
    assert balance["partner_source"].startswith("KOSIS")


def test_comtrade_basis_deficit_from_the_users_file_says_imports_are_cif(runner):
    path = shared_file("comtrade/legacy_usa_kor_hs2_2010_2019.csv")
    rows = csv_rows(runner.invoke(cli, ["deficit", "--data", str(path), "--years", "2011-2016"]))
    assert [millions(row, "balance_usd_millions") for row in (rows[0], rows[-1])] == [
        -15144.4,
        -29626.7,
    ]
    assert rows[0]["basis"] == "exports: FOB; imports: CIF"


def test_census_api_file_gives_2016_imports_for_consumption_hs87_first(runner):
    path = shared_file("census/api_imports_hs2_korea_monthly_2013_2021.csv")
    rows = csv_rows(
        runner.invoke(cli, ["sectors", "--data", str(path), "--year", "2016", "--flow", "imports"])
    )
    assert rows[0]["product"] == "87"
    assert millions(rows[0], "value_usd_millions") == 23000.9
    assert {"98", "99"} <= {row["product"] for row in rows}
    assert "imports for consumption" in rows[0]["basis"]


def test_balance_page_gives_the_china_balance_and_states_the_pages_own(runner):
    path = shared_file("census/balance_page_c5700_china_monthly_2001_2019.csv")
    result = runner.invoke(
        cli, ["deficit", "--data", str(path), "--partner", "CHN", "--years", "2016", "-v"]
    )
    rows = csv_rows(result)
    assert millions(rows[0], "balance_usd_millions") == -346825.2  # the page's own
    assert "2016 -346,825.2 (korus: -346,824.9)" in result.stderr


def test_kosis_file_gives_koreas_2016_exports_to_the_us(runner):
    path = shared_file("kosis/korea_trade_by_partner_annual.csv")
    frame = readers.read_file(path).frame
    exports = frame[
        (frame["reporter"] == "KOR")
        & (frame["partner"] == "USA")
        & (frame["year"] == 2016)
        & (frame["flow"] == "export")
    ]
    assert exports["value_usd"].tolist() == [66_462_312_000.0]


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2016, [("CHN", -346825.2), ("JPN", -68753.4), ("DEU", -64523.8)]),
        (2025, [("CHN", -202071.3), ("MEX", -196913.4), ("VNM", -178183.4)]),
    ],
)
def test_partners_ranked_by_balance_are_countries_with_the_largest_deficits(runner, year, expected):
    rows = csv_rows(
        runner.invoke(cli, ["partners", "--year", str(year), "--by", "balance", "--top", "3"])
    )
    assert [(row["partner"], millions(row, "balance_usd_millions")) for row in rows] == expected


def test_partners_leave_groups_out_unless_asked(runner):
    countries = csv_rows(runner.invoke(cli, ["partners", "--year", "2016", "--by", "total"]))
    assert not {"WLD", "EUN", "XAS"} & {row["partner"] for row in countries}
    everything = csv_rows(
        runner.invoke(cli, ["partners", "--year", "2016", "--by", "total", "--groups"])
    )
    assert everything[0]["partner"] == "WLD"
    world = millions(everything[0], "total_usd_millions")
    summed = sum(float(row["total_usd_millions"]) for row in countries)
    assert round(summed, 1) == world  # the countries add up to the World row


def test_contributions_add_up_to_the_change_of_the_balance(runner):
    rows = csv_rows(
        runner.invoke(cli, ["sectors", "--year", "2016", "--since", "2011", "--flow", "balance"])
    )
    known = [row for row in rows if row["change_usd_millions"]]
    # Chapters 02 (no imports in 2016) and 14 (one flow missing in 2011) have no balance
    # for one of the years: n/a, never 0. Their part of the whole's change is what the
    # data holds of them.
    assert sorted(row["product"] for row in rows if row not in known) == ["02", "14"]
    from korus import dataset

    frame = dataset.load_shipped("comtrade", reporter="USA", partner="KOR").frame
    part = frame[
        frame["product"].isin(["02", "14"])
        & frame["year"].isin([2011, 2016])
        & frame["flow"].isin(["export", "import"])
    ]
    signed = part["value_usd"].where(part["flow"] == "export", -part["value_usd"])
    by_year = signed.groupby(part["year"]).sum() / 1e6
    missing_change = by_year[2016] - by_year[2011]
    change = sum(float(row["change_usd_millions"]) for row in known) + missing_change
    points = sum(float(row["contribution_pp"]) for row in known)
    points += missing_change / 15144.360714 * 100
    assert round(change, 1) == round(-29626.72413 - -15144.360714, 1)
    assert round(points, 2) == round((-29626.72413 + 15144.360714) / 15144.360714 * 100, 2)
    vehicles = rows[0]
    assert vehicles["product"] == "87" and millions(vehicles, "change_usd_millions") == -8010.7


def test_year_to_date_sets_nine_months_against_the_same_nine_a_year_earlier(runner):
    rows = csv_rows(
        runner.invoke(cli, ["deficit", "--partner", "KOR", "--months", "2017-01..2017-09", "--ytd"])
    )
    assert [row["period"] for row in rows] == ["2016-01..2016-09", "2017-01..2017-09"]
    assert [millions(row, "exports_usd_millions") for row in rows] == [30712.9, 36189.2]
    assert [millions(row, "balance_usd_millions") for row in rows] == [-22810.7, -16831.3]


def test_year_to_date_agrees_with_the_census_months(runner):
    import pandas as pd

    path = shared_file("census/country.xlsx")
    sheet = pd.read_excel(path, dtype={"year": str, "CTY_CODE": str}, engine="calamine")
    korea = sheet[(sheet["CTY_CODE"] == "5800") & (sheet["year"] == "2017")].iloc[0]
    nine = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP"]
    rows = csv_rows(
        runner.invoke(cli, ["deficit", "--months", "2017-01..2017-09", "--ytd", "--unit", "usd"])
    )
    assert float(rows[1]["exports_usd"]) == pytest.approx(
        sum(korea["E" + m] for m in nine) * 1e6, abs=0.01
    )


def test_each_month_against_the_same_month_a_year_earlier(runner):
    rows = csv_rows(runner.invoke(cli, ["growth", "--months", "2017-01..2017-09", "--yoy"]))
    assert len(rows) == 9
    april = rows[3]
    assert (april["year"], april["month"]) == ("2017", "4")
    assert millions(april, "value_usd_millions") == 4437.2
    assert millions(april, "value_year_earlier_usd_millions") == 2956.4
    assert round(float(april["pct_change"]), 1) == 50.1


def test_a_month_the_data_does_not_hold_is_an_error_not_a_zero(runner):
    result = runner.invoke(cli, ["deficit", "--months", "2025-11..2026-02"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the data holds no USA exports for 2026-02 (it has months 1985-01 to 2026-01); "
        "a missing month is never taken for zero\n"
    )


def test_a_rolling_year_ending_in_december_is_the_calendar_year(runner):
    rolling = csv_rows(runner.invoke(cli, ["deficit", "--months", "2016-12", "--rolling", "12"]))
    year = csv_rows(runner.invoke(cli, ["deficit", "--years", "2016"]))
    assert millions(rolling[0], "balance_usd_millions") == millions(year[0], "balance_usd_millions")


def test_a_breakdown_for_a_year_one_flow_lacks_is_an_error_not_a_zero(runner):
    result = runner.invoke(cli, ["sectors", "--year", "2023", "--by", "enduse"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the data holds no USA exports to KOR for 2023 (it has exports only for "
        "2013-2022); a missing flow is never taken for zero\n"
    )


def test_the_shipped_korean_figures_answer_for_korea_as_reporter(runner):
    rows = csv_rows(
        runner.invoke(cli, ["deficit", "--reporter", "KOR", "--partner", "USA", "--years", "2016"])
    )
    assert millions(rows[0], "balance_usd_millions") == 23246.4
    assert rows[0]["source"].startswith("KOSIS")


def test_mirror_by_default_shows_the_last_six_years_both_sides_report(runner):
    rows = csv_rows(runner.invoke(cli, ["mirror"]))
    assert sorted({row["year"] for row in rows}) == [str(y) for y in range(2018, 2024)]


def test_growth_of_imports_needs_no_exports(runner):
    path = shared_file("census/api_imports_hs2_korea_monthly_2013_2021.csv")
    rows = csv_rows(
        runner.invoke(
            cli, ["growth", "--data", str(path), "--years", "2014-2016", "--flow", "imports"]
        )
    )
    assert [row["year"] for row in rows] == ["2014", "2015", "2016"]
