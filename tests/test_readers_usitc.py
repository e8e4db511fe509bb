"""USITC DataWeb exports: US trade by partner for one HTS code or all goods, CSV or XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_file
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import usitc
from korus.readers.common import take_sample
from korus.schema import COLUMNS

openpyxl = pytest.importorskip("openpyxl")

REAL = "usitc/dataweb_general_imports_hts330499_monthly.csv"
MONTHS = [name.title() for name in usitc.MONTH_NAMES]
MONTHLY_HEADER = ["Data Type", "Country", "Year", *MONTHS]
FOOTER_REASON = "Total: footer (the sum of the rows above, not a country)"
WORLD_REASON = "all-countries total (the total of all partners, not a country)"


def write_csv(path: Path, rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def months(value: float, count: int = 12) -> list[str]:
    """Twelve month cells: ``count`` figures, then blanks (a partial year)."""
    return [f"{value:.2f}"] * count + [""] * (12 - count)


def monthly_file(path: Path, rows: list[list], preamble=None, footer=None) -> Path:
    preamble = preamble if preamble is not None else [["General Imports|Monthly data for 2016"]]
    return write_csv(path, [*preamble, MONTHLY_HEADER, *rows, *([footer] if footer else [])])


@pytest.fixture
def beef(tmp_path) -> Path:
    """A monthly DataWeb CSV for HTS 0201.10 (a code with a leading zero), 2016 and 2017."""
    rows = [
        ["General Customs Value", "Korea, South", "2016", *months(1000.0)],
        ["General Customs Value", "Germany", "2016", *months(500.0)],
        ["General Customs Value", "Korea, South", "2017", *months(2000.0, 3)],
    ]
    footer = ["Total: ", "", "", *(f"{v:,.0f}" for v in [3500] * 3 + [1500] * 9)]
    return monthly_file(
        tmp_path / "DataWeb-Query-Export.csv",
        rows,
        preamble=[
            ["General Imports|Monthly data for 2016,2017"],
            ["HTS Number: 0201.10"],
            ["Data Row Count", "3"],
        ],
        footer=footer,
    )


def annual_file(path: Path, rows: list[list], years=(2016, 2017), preamble=None) -> Path:
    preamble = preamble if preamble is not None else [["Annual data for 2016,2017"]]
    header = ["Data Type", "HTS Number", "Description", "Country", *map(str, years)]
    return write_csv(path, [*preamble, header, *rows])


# --------------------------------------------------------------------------- real file


def test_real_dataweb_file_gives_korea_2016_imports_of_hts_330499():
    path = shared_file(REAL)
    frame = usitc.read(path).frame
    korea = frame[(frame["partner"] == "KOR") & (frame["year"] == 2016)]
    assert sorted(korea["month"]) == list(range(1, 13))
    assert korea["value_usd"].sum() == 197_168_481
    assert korea.loc[korea["month"] == 1, "value_usd"].item() == 12_298_925
    assert set(korea["flow"]) == {"import"}
    assert set(korea["product"]) == {"330499"}
    assert set(korea["classification"]) == {"HTS"}


def test_real_dataweb_file_is_detected_and_read_file_gives_the_same_frame():
    path = shared_file(REAL)
    assert readers.detect(path) == "usitc-dataweb"
    pd.testing.assert_frame_equal(readers.read_file(path).frame, usitc.read(path).frame)


def test_real_dataweb_footer_is_set_aside_and_never_a_country():
    path = shared_file(REAL)
    reading = usitc.read(path)
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (51, 50)
    assert account.set_aside == {FOOTER_REASON: 1}
    assert account.balanced()
    assert "line 54: the Total: footer equals the sum of the rows above it" in account.notes
    assert set(reading.frame["partner"]) == {"AUS", "FRA", "GBR", "JPN", "KOR"}


def test_real_dataweb_provenance_says_general_imports_and_the_last_month():
    frame = usitc.read(shared_file(REAL)).frame
    assert set(frame["reporter"]) == {"USA"}
    assert set(frame["source"]) == {"USITC DataWeb (US Census Bureau trade data)"}
    assert set(frame["basis"]) == {"general imports, customs value"}
    assert set(frame["vintage"]) == {"data through 2024-11; release not stated in the file"}
    assert list(frame.columns) == list(COLUMNS)


def test_real_dataweb_blank_december_2024_gives_no_month_and_no_year():
    frame = usitc.read(shared_file(REAL)).frame
    korea_2024 = frame[(frame["partner"] == "KOR") & (frame["year"] == 2024)]
    assert sorted(korea_2024["month"]) == list(range(1, 12))
    assert frame["month"].notna().all()


def test_real_dataweb_product_comes_from_the_file_name_with_a_note():
    account = usitc.read(shared_file(REAL)).accounting[0]
    assert (
        "the file does not say which product it holds (no HTS Number column, no HTS code "
        "above the table): product 330499 taken from the file name"
    ) in account.notes


def test_dataweb_sniff_claims_no_other_shared_file():
    others = [
        "census/country.xlsx",
        "census/country_vintage-2020.xlsx",
        "census/enduse_exports_2013_2022.csv",
        "census/enduse_imports_2016_2025.xlsx",
        "census/enduse_imports_2014_2023_extra-columns.xlsx",
        "census/api_imports_hs2_korea_monthly_2013_2021.csv",
        "census/balance_page_c5700_china_monthly_2001_2019.csv",
        "comtrade/legacy_usa_kor_hs2_2010_2019.csv",
        "comtrade/plus_api_response_chn_2010.json",
        "baci/country_codes_V202301.csv",
        "baci/product_codes_HS92_V202301.csv",
        "kosis/korea_trade_by_partner_annual.csv",
        "kosis/korea_china_monthly_2001_2019.csv",
    ]
    for name in others:
        assert not usitc.sniff(take_sample(shared_file(name))), name


# --------------------------------------------------------------------------- monthly CSV


def test_hts_code_in_the_preamble_keeps_its_leading_zero(beef):
    frame = usitc.read(beef).frame
    assert set(frame["product"]) == {"020110"}
    assert set(frame["classification"]) == {"HTS"}


def test_monthly_dataweb_file_is_detected_by_content(beef):
    assert readers.detect(beef) == "usitc-dataweb"


def test_monthly_rows_are_months_and_a_partial_year_has_no_annual_row(beef):
    frame = usitc.read(beef).frame
    korea = frame[frame["partner"] == "KOR"]
    assert korea["month"].notna().all()
    assert sorted(korea.loc[korea["year"] == 2017, "month"]) == [1, 2, 3]
    assert korea.loc[korea["year"] == 2016, "value_usd"].sum() == 12_000.0


def test_korea_south_and_germany_are_resolved_by_name(beef):
    frame = usitc.read(beef).frame
    assert set(frame["partner"]) == {"KOR", "DEU"}


def test_footer_equal_to_the_rows_is_set_aside_and_noted(beef):
    account = usitc.read(beef).accounting[0]
    assert account.rows_read == 4
    assert account.rows_kept == 3
    assert account.set_aside == {FOOTER_REASON: 1}
    assert "line 8: the Total: footer equals the sum of the rows above it" in account.notes


def test_footer_that_does_not_add_up_is_noted(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "Japan", "2016", *months(10.0)]],
        preamble=[["General Imports"], ["All Commodities"]],
        footer=["Total:", "", "", "15", *["10"] * 11],
    )
    account = usitc.read(path).accounting[0]
    assert account.notes == [
        "line 5: the Total: footer differs from the sum of the rows above it (January 15 vs 10.00)"
    ]


def test_blank_month_in_the_middle_of_a_year_is_missing_not_zero(tmp_path):
    cells = months(10.0)
    cells[2] = ""
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "China", "2016", *cells]],
        preamble=[["General Imports"], ["HTS 8703"]],
    )
    frame = usitc.read(path).frame
    assert sorted(frame["month"]) == [1, 2, *range(4, 13)]
    assert set(frame["product"]) == {"8703"}


def test_all_countries_row_is_set_aside_and_the_countries_are_checked_against_it(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [
            ["General Customs Value", "All Countries", "2016", *months(100.0)],
            ["General Customs Value", "Korea", "2016", *months(40.0)],
        ],
        preamble=[["General Imports"], ["HTS Number 3304.99"]],
    )
    reading = usitc.read(path)
    account = reading.accounting[0]
    assert set(reading.frame["partner"]) == {"KOR"}
    assert account.set_aside == {WORLD_REASON: 1}
    assert (
        "the countries in the file add up to 40.0% of the all-countries total (the rest is "
        "trade with partners not in the file)"
    ) in account.notes


def test_thousands_of_dollars_in_the_preamble_are_converted(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "France", "2016", *months(1.5)]],
        preamble=[["U.S. General Imports, In 1,000 Dollars"], ["All Commodities"]],
    )
    frame = usitc.read(path).frame
    assert set(frame["value_usd"]) == {1500.0}
    assert set(frame["product"]) == {"TOTAL"}
    assert set(frame["classification"]) == {"none"}


def test_data_row_count_that_differs_from_the_table_is_noted(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "France", "2016", *months(1.0)]],
        preamble=[["General Imports"], ["All Commodities"], ["Data Row Count", "2"]],
    )
    assert (
        "the file says 'Data Row Count 2' but its table has 1 data rows: the file may be cut short"
    ) in usitc.read(path).accounting[0].notes


def test_file_that_does_not_name_its_product_is_an_error(tmp_path):
    path = monthly_file(
        tmp_path / "DataWeb-Query-Export.csv",
        [["General Customs Value", "France", "2016", *months(1.0)]],
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: the file does not say which product its figures are for: no HTS Number "
        "column and no HTS code above the table; add a line such as 'HTS Number: 3304.99' "
        "(or 'All Commodities' for all goods) above the header, or export the data broken "
        "out by HTS number"
    )


def test_text_in_a_month_cell_is_an_error_naming_the_line_and_column(tmp_path):
    cells = months(1.0)
    cells[4] = "n/a"
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "France", "2016", *cells]],
        preamble=[["General Imports"], ["All Commodities"]],
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: line 4, column 'May': expected a number or a blank cell, found 'n/a' "
        '(DataWeb writes figures as 1234.00 or "1,234")'
    )


def test_unknown_data_type_is_an_error_naming_the_cell(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["Special Import Value", "France", "2016", *months(1.0)]],
        preamble=[["All Commodities"]],
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: line 3, column 'Data Type': unknown DataWeb data type 'Special Import "
        "Value'; korus reads General Customs Value, Imports for Consumption, Total Exports "
        "and Domestic Exports (customs or F.A.S. values) and sets aside duties, CIF and "
        "landed duty-paid values and quantities"
    )


def test_a_country_year_given_twice_is_an_error(tmp_path):
    row = ["General Customs Value", "France", "2016", *months(1.0)]
    path = monthly_file(
        tmp_path / "export.csv", [row, row], preamble=[["General Imports"], ["All Commodities"]]
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: 1 row repeats another row exactly, e.g. line 5 repeats line 4 (USA imports, "
        "partner FRA, product TOTAL, 2016-01); remove the repeats, or pass --dedupe to drop "
        "them (they are counted); a query broken out by district or port gives a row per "
        "part: export it without breakdowns (one row per country and period)"
    )


def test_customs_value_takes_its_trade_flow_from_the_preamble(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["Customs Value", "Japan", "2016", *months(7.0)]],
        preamble=[["Imports for Consumption|Monthly data for 2016"], ["All Commodities"]],
    )
    frame = usitc.read(path).frame
    assert set(frame["basis"]) == {"imports for consumption, customs value"}
    assert set(frame["flow"]) == {"import"}


def test_customs_value_without_a_trade_flow_is_an_error(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["Customs Value", "Japan", "2016", *months(7.0)]],
        preamble=[["All Commodities"]],
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: line 3, column 'Data Type': data type 'Customs Value' does not say which "
        "trade flow it is (general imports or imports for consumption) and the lines above "
        "the table do not say either; add the trade flow (e.g. 'General Imports') above the "
        "header"
    )


def test_quarterly_table_is_recognised_and_refused_with_the_reason(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["All Commodities"],
            ["Data Type", "Country", "Year", "Q1", "Q2", "Q3", "Q4"],
            ["General Customs Value", "Japan", "2016", "1", "2", "3", "4"],
        ],
    )
    assert readers.detect(path) == "usitc-dataweb"
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: line 2: the table is quarterly; korus reads DataWeb monthly or annual "
        "data: export the query with monthly or annual periods"
    )


# --------------------------------------------------------------------------- annual CSV


@pytest.fixture
def annual(tmp_path) -> Path:
    rows = [
        ["General Customs Value", "3304.99", "Beauty preparations", "Korea, South", "100", "110"],
        ["General Customs Value", "0201.10", "Beef carcasses", "Korea, South", "5", ""],
        ["Total Exports", "3304.99", "Beauty preparations", "Korea, South", "30", "33"],
        ["Domestic Exports", "3304.99", "Beauty preparations", "Korea, South", "25", "27"],
        ["Landed Duty-Paid Value", "3304.99", "Beauty preparations", "Korea, South", "1", "1"],
        ["Calculated Duties", "3304.99", "Beauty preparations", "Korea, South", "1", "1"],
        ["First Unit of Quantity", "3304.99", "Beauty preparations", "Korea, South", "9", "9"],
        ["CIF Import Value", "3304.99", "Beauty preparations", "Korea, South", "2", "2"],
        ["Imports for Consumption", "3304.99", "Beauty preparations", "Korea, South", "99", "9"],
    ]
    return annual_file(tmp_path / "annual.csv", rows)


def test_annual_columns_give_whole_year_rows_with_hts_codes_as_text(annual):
    frame = usitc.read(annual).frame
    assert frame["month"].isna().all()
    imports = frame[frame["flow"] == "import"].set_index(["product", "year"])["value_usd"]
    assert imports.to_dict() == {
        ("020110", 2016): 5.0,
        ("330499", 2016): 100.0,
        ("330499", 2017): 110.0,
    }
    assert set(frame["vintage"]) == {"data through 2017; release not stated in the file"}


def test_annual_dataweb_file_is_detected_by_content(annual):
    assert readers.detect(annual) == "usitc-dataweb"


def test_each_data_type_gets_its_flow_and_basis(annual):
    frame = usitc.read(annual).frame
    assert frame.drop_duplicates("flow").set_index("flow")["basis"].to_dict() == {
        "export": "total exports, F.A.S.",
        "import": "general imports, customs value",
    }


def test_measures_that_are_not_kept_are_set_aside_with_their_reasons(annual):
    account = usitc.read(annual).accounting[0]
    assert account.set_aside == {
        "landed duty-paid value (customs value plus freight, insurance and duties): korus "
        "reads customs value for US imports": 1,
        "calculated duties (tariff revenue, not a value of trade)": 1,
        "quantities (not values)": 1,
        "CIF value or import charges (freight and insurance): korus reads customs value for "
        "US imports": 1,
        "imports for consumption (the file also has general imports, the basis korus keeps "
        "for US imports)": 1,
        "domestic exports (a part of total exports, which the file also has)": 1,
    }
    assert (account.rows_read, account.rows_kept) == (9, 3)
    assert account.balanced()


def test_domestic_exports_are_kept_under_their_own_basis_when_they_are_the_only_exports(
    tmp_path,
):
    path = annual_file(
        tmp_path / "annual.csv",
        [["Domestic Exports", "8703", "Cars", "Korea", "30", "33"]],
    )
    reading = usitc.read(path)
    assert set(reading.frame["basis"]) == {"domestic exports, F.A.S."}
    assert set(reading.frame["flow"]) == {"export"}
    assert (
        "exports are domestic exports only (US goods, without re-exports of foreign goods): "
        "lower than the Census's total exports, and kept under their own basis"
    ) in reading.accounting[0].notes


def test_year_to_date_annual_figures_are_set_aside(tmp_path):
    path = annual_file(
        tmp_path / "annual.csv",
        [
            ["General Customs Value", "8703", "Cars", "Korea", "30", "33"],
            ["Total Exports", "8703", "Cars", "Korea", "3", "3"],
        ],
        preamble=[["General Imports|Year-to-date data through September"]],
    )
    with pytest.raises(DataFileError, match="holds no figure korus reads") as error:
        usitc.read(path)
    assert "2 year-to-date figures (a part of each year: not a whole year, not a month)" in str(
        error.value
    )


def test_year_to_date_columns_beside_whole_years_are_not_read(tmp_path):
    path = write_csv(
        tmp_path / "annual.csv",
        [
            ["General Imports|Annual + Year-To-Date data"],
            ["All Commodities"],
            ["Data Type", "Country", "2023", "2024 YTD"],
            ["General Customs Value", "Korea", "50", "40"],
        ],
    )
    reading = usitc.read(path)
    assert reading.frame[["year", "value_usd"]].values.tolist() == [[2023, 50.0]]
    assert reading.accounting[0].notes == [
        "columns ['2024 YTD'] hold part-year (year-to-date) figures: not read (a part of a "
        "year is never a year)"
    ]


def test_hts_number_that_lost_a_zero_is_an_error(tmp_path):
    path = annual_file(
        tmp_path / "annual.csv", [["General Customs Value", "201.1", "Beef", "Korea", "1", "2"]]
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: line 3, column 'HTS Number': HTS number '201.1' is not an HTS code such as "
        "3304.99 or 330499 (a spreadsheet may have dropped a leading or trailing zero: keep "
        "the column as text)"
    )


def test_cli_deficit_reads_a_dataweb_file_with_both_flows(runner, tmp_path):
    path = write_csv(
        tmp_path / "DataWeb-Query-Export.csv",
        [
            ["Annual data for 2015,2016"],
            ["All Commodities"],
            ["Data Type", "Country", "2015", "2016"],
            ["General Customs Value", "Korea, South", "71,826,000,000", "69,932,000,000"],
            ["Total Exports", "Korea, South", "43,446,000,000", "42,262,000,000"],
            ["Total:", "", "115,272,000,000", "112,194,000,000"],
        ],
    )
    result = runner.invoke(
        cli, ["deficit", "--data", str(path), "--years", "2016", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(result.output.splitlines()))
    assert (row["reporter"], row["partner"]) == ("USA", "KOR")
    assert float(row["balance_usd_millions"]) == -27_670.0
    assert row["basis"] == "exports: total exports, F.A.S.; imports: general imports, customs value"


# --------------------------------------------------------------------------- XLSX


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def workbook_file(tmp_path) -> Path:
    return write_xlsx(
        tmp_path / "DataWeb-Query-Export.xlsx",
        {
            "Query Parameters": [
                ["Trade Flow", "General Imports"],
                ["Classification System", "HTS Items"],
                ["Commodities", "8703.23"],
                ["Countries", "Korea, South; Mexico"],
            ],
            "General Customs Value": [
                ["U.S. General Imports"],
                MONTHLY_HEADER,
                ["General Customs Value", "Korea, South", 2016, *[1_000_000.0] * 12],
                ["General Customs Value", "Mexico", 2016, *[2_000_000.0] * 11, None],
                ["Total:", None, None, *[3_000_000.0] * 11, 1_000_000.0],
            ],
            "First Unit of Quantity": [
                MONTHLY_HEADER,
                ["First Unit of Quantity", "Korea, South", 2016, *[10.0] * 12],
            ],
        },
    )


def test_xlsx_table_after_a_query_parameters_sheet_is_detected(workbook_file):
    assert readers.detect(workbook_file) == "usitc-dataweb"


def test_xlsx_product_comes_from_the_query_parameters_sheet(workbook_file):
    frame = usitc.read(workbook_file).frame
    assert set(frame["product"]) == {"870323"}
    korea = frame[frame["partner"] == "KOR"]
    assert korea["value_usd"].sum() == 12_000_000.0
    mexico = frame[frame["partner"] == "MEX"]
    assert sorted(mexico["month"]) == list(range(1, 12))


def test_xlsx_every_sheet_row_is_accounted_for(workbook_file):
    account = usitc.read(workbook_file).accounting[0]
    assert account.rows_read == 4
    assert account.rows_kept == 2
    assert account.set_aside == {FOOTER_REASON: 1, "quantities (not values)": 1}
    assert (
        "sheet 'General Customs Value', row 5: the Total: footer equals the sum of the rows "
        "above it"
    ) in account.notes


def test_xlsx_hts_number_stored_as_a_number_that_lost_a_zero_is_an_error(tmp_path):
    path = write_xlsx(
        tmp_path / "export.xlsx",
        {
            "Data": [
                ["Data Type", "HTS Number", "Country", "2016"],
                ["General Customs Value", 201.1, "Korea", 5.0],
            ]
        },
    )
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: sheet 'Data', cell B2 (HTS Number): HTS number '201.1' is not an HTS code "
        "such as 3304.99 or 330499 (a spreadsheet may have dropped a leading or trailing "
        "zero: keep the column as text)"
    )
