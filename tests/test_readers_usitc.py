"""USITC DataWeb downloads: workbooks with their Query Parameters, and CSVs, in every shape."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_file
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import usitc, usitc_terms
from korus.readers.common import ENCODING, SHEET, take_sample
from korus.schema import COLUMNS

openpyxl = pytest.importorskip("openpyxl")

REAL = "usitc/dataweb_general_imports_hts330499_monthly.csv"
MONTHS = [name.title() for name in usitc_terms.MONTH_NAMES]
MONTHLY_HEADER = ["Data Type", "Country", "Year", *MONTHS]
TOTAL_ROW = "Total: row (the sum of the rows above, not a country)"
QUANTITY = "a quantity, not a value"


def write_csv(path: Path, rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]], hidden=()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def months(value: float, count: int = 12) -> list[str]:
    """Twelve month cells: ``count`` figures, then blanks (a partial year)."""
    return [f"{value:.2f}"] * count + [""] * (12 - count)


def query(
    *,
    flow="Domestic Exports",
    data="FAS Value",
    year_type="Full Years",
    years="2023",
    timeframe="Annual",
    countries="China",
    country_select="Select Individual Countries",
    country_aggregation="Aggregate Countries",
    commodities="",
    commodity_select="Use All Commodities",
    level="2",
    commodity_aggregation="Break Out Commodities",
    programs="Use All Programs",
    district_aggregation="Aggregate District",
    classification="HTS Items",
    extra=(),
) -> list[list]:
    """Return the rows of a Query Parameters sheet as DataWeb writes it."""
    return [
        ["Download Date", datetime.datetime(2025, 4, 5, 1, 54, 23)],
        ["Step 1: Trade Flow and Classification System", ""],
        ["Trade Flow", flow],
        ["Classification System", classification],
        ["Step 2: Data and Years", ""],
        ["Data To Report", data],
        ["Data Format", "1"],
        ["Select Type", year_type],
        ["Years", years],
        ["Timeframe Aggregation", timeframe],
        *extra,
        ["Step 3: Countries", ""],
        ["Select Type", country_select],
        ["Country List", countries],
        ["Country Aggregation", country_aggregation],
        ["Step 4: Commodities", ""],
        ["Select Type", commodity_select],
        ["Commodity List", commodities],
        ["Commodity Aggregation Level", level],
        ["Commodity Aggregation", commodity_aggregation],
        ["Description Display", "YES"],
        ["Step 5: Programs", ""],
        ["Select Type", programs],
        ["Import Program Aggregation", "Aggregate CSC"],
        ["Step 6: Rate Provision Codes", ""],
        ["Select Type", "Use All Provision Codes"],
        ["Provision Code Aggregation", "Aggregate RPCODE"],
        ["Step 7: Districts", ""],
        ["Select Type", "Use All Districts"],
        ["District List", ""],
        ["District Aggregation", district_aggregation],
    ]


def data_sheet(title: str, header: list, rows: list[list], total=None) -> list[list]:
    """Return a data sheet: its title, its Data Row Count, the header, rows, a Total: row."""
    return [[title], ["Data Row Count", len(rows)], header, *rows, *([total] if total else [])]


CHAPTERS = ["Data Type", "HTS Number", "Description", "2023"]


def chapters_sheet(rows=None, title="Domestic Exports|Annual Data") -> list[list]:
    rows = rows or [
        ["FAS Value", "01", "LIVE ANIMALS", 31289669.0],
        ["FAS Value", "87", "VEHICLES", 7830337096.0],
    ]
    return data_sheet(title, CHAPTERS, rows)


def download(tmp_path, sheets=None, name="DataWeb-Query-Export.xlsx", hidden=(), **said) -> Path:
    """A DataWeb workbook: Query Parameters (``said`` changes them) and data sheets."""
    book = {"Query Parameters": query(**said)}
    book.update(sheets or {"FAS Value": chapters_sheet()})
    return write_xlsx(tmp_path / name, book, hidden)


def error_of(path: Path) -> str:
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    return str(error.value)


# --------------------------------------------------------------------------- real CSV


def test_real_dataweb_csv_that_names_its_product_only_in_its_file_name_is_refused():
    path = shared_file(REAL)
    assert error_of(path) == (
        f"{path}: the file does not say which product its figures are for: no HTS Number "
        "column, no Query Parameters and no HTS code above the table (a file's name is never "
        "taken for its content); download the query with its Query Parameters sheet, or "
        "broken out by HTS number"
    )


def test_real_dataweb_csv_is_still_recognised_by_its_content():
    assert readers.detect(shared_file(REAL)) == "usitc-dataweb"


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
        "downloads/comtradeplus_download_tha_imports_hs8542_2014_2024.csv",
        "baci/country_codes_V202301.csv",
        "baci/product_codes_HS92_V202301.csv",
        "kosis/korea_trade_by_partner_annual.csv",
        "kosis/korea_china_monthly_2001_2019.csv",
    ]
    for name in others:
        assert not usitc.sniff(take_sample(shared_file(name))), name


# --------------------------------------------------------------------------- CSV, monthly


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


def test_hts_code_in_the_lines_above_the_table_keeps_its_leading_zero(beef):
    frame = usitc.read(beef).frame
    assert set(frame["product"]) == {"020110"}
    assert set(frame["classification"]) == {"HTS"}


def test_monthly_dataweb_csv_is_detected_by_content(beef):
    assert readers.detect(beef) == "usitc-dataweb"


def test_monthly_rows_are_months_and_a_partial_year_has_no_annual_row(beef):
    frame = usitc.read(beef).frame
    korea = frame[frame["partner"] == "KOR"]
    assert korea["month"].notna().all()
    assert sorted(korea.loc[korea["year"] == 2017, "month"]) == [1, 2, 3]
    assert korea.loc[korea["year"] == 2016, "value_usd"].sum() == 12_000.0


def test_korea_south_and_germany_are_resolved_by_name(beef):
    assert set(usitc.read(beef).frame["partner"]) == {"KOR", "DEU"}


def test_total_row_equal_to_the_rows_is_set_aside_and_noted(beef):
    account = usitc.read(beef).accounting[0]
    assert (account.rows_read, account.rows_kept) == (4, 3)
    assert account.set_aside == {TOTAL_ROW: 1}
    assert "line 8: the Total: row equals the sum of the rows above it" in account.notes


def test_csv_variant_names_its_shape_product_and_partner_columns(beef):
    assert usitc.read(beef).accounting[0].variant == (
        "CSV: Year, January..December; no product column, HTS 020110 from the lines above "
        "the table; by country"
    )


def test_total_row_that_does_not_add_up_is_noted(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "Japan", "2016", *months(10.0)]],
        preamble=[["General Imports"], ["All Commodities"]],
        footer=["Total:", "", "", "15", *["10"] * 11],
    )
    assert usitc.read(path).accounting[0].notes == [
        "coverage: all goods, one total (the lines above the table)",
        "line 5: the Total: row differs from the sum of the rows above it (January 15 vs 10.00)",
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


def test_all_countries_row_is_kept_as_the_world_and_never_added_to_the_countries(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [
            ["General Customs Value", "All Countries", "2016", *months(100.0)],
            ["General Customs Value", "Korea", "2016", *months(40.0)],
        ],
        preamble=[["General Imports"], ["HTS Number 3304.99"]],
    )
    frame = usitc.read(path).frame
    assert frame.groupby("partner")["value_usd"].sum().to_dict() == {"KOR": 480.0, "WLD": 1200.0}


def test_countries_are_compared_with_the_all_countries_row_in_a_note(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [
            ["General Customs Value", "All Countries", "2016", *months(100.0)],
            ["General Customs Value", "Korea", "2016", *months(40.0)],
        ],
        preamble=[["General Imports"], ["HTS Number 3304.99"]],
    )
    assert (
        "the countries in the file add up to 40.0% of the all-countries row (the rest is "
        "trade with partners not in the file)"
    ) in usitc.read(path).accounting[0].notes


def test_thousands_of_dollars_in_the_lines_above_the_table_are_converted(tmp_path):
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
        "the file says 'Data Row Count 2' but the table has 1 data rows: the file may be cut short"
    ) in usitc.read(path).accounting[0].notes


def test_csv_that_does_not_name_its_product_is_refused_whatever_its_file_name(tmp_path):
    path = monthly_file(
        tmp_path / "dataweb_general_imports_hts330499_monthly.csv",
        [["General Customs Value", "France", "2016", *months(1.0)]],
    )
    assert error_of(path) == (
        f"{path}: the file does not say which product its figures are for: no HTS Number "
        "column, no Query Parameters and no HTS code above the table (a file's name is never "
        "taken for its content); download the query with its Query Parameters sheet, or "
        "broken out by HTS number"
    )


def test_text_in_a_month_cell_is_an_error_naming_the_line_and_column(tmp_path):
    cells = months(1.0)
    cells[4] = "n/a"
    path = monthly_file(
        tmp_path / "export.csv",
        [["General Customs Value", "France", "2016", *cells]],
        preamble=[["General Imports"], ["All Commodities"]],
    )
    assert error_of(path) == (
        f"{path}: line 4, column 'May': expected a number or a blank cell, found 'n/a' "
        '(DataWeb writes figures as 1234.00 or "1,234")'
    )


def test_unknown_data_type_is_an_error_naming_the_cell(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["Special Import Value", "France", "2016", *months(1.0)]],
        preamble=[["All Commodities"]],
    )
    assert error_of(path) == (
        f"{path}: line 3, column 'Data Type': unknown DataWeb data type 'Special Import "
        "Value'; korus reads customs values of imports and F.A.S. values of exports, and sets "
        "aside duties, CIF and landed duty-paid values and quantities"
    )


def test_a_country_year_given_twice_is_an_error(tmp_path):
    row = ["General Customs Value", "France", "2016", *months(1.0)]
    path = monthly_file(
        tmp_path / "export.csv", [row, row], preamble=[["General Imports"], ["All Commodities"]]
    )
    assert error_of(path) == (
        f"{path}: 1 row repeats another row exactly, e.g. line 5 repeats line 4 (USA imports, "
        "partner FRA, product TOTAL, 2016-01); remove the repeats, or pass --dedupe to drop "
        "them (they are counted); a query broken out by district or port gives a row per "
        "part: export it without breakdowns (one row per country and period)"
    )


def test_customs_value_takes_its_trade_flow_from_the_title(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["Customs Value", "Japan", "2016", *months(7.0)]],
        preamble=[["Imports for Consumption|Monthly data for 2016"], ["All Commodities"]],
    )
    frame = usitc.read(path).frame
    assert set(zip(frame["flow"], frame["basis"], strict=True)) == {
        ("import", "imports for consumption, customs value")
    }


def test_customs_value_without_a_trade_flow_anywhere_is_an_error(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [["Customs Value", "Japan", "2016", *months(7.0)]],
        preamble=[["All Commodities"]],
    )
    assert error_of(path) == (
        f"{path}: line 3, column 'Data Type': data type 'Customs Value' does not say which "
        "trade flow it is (general imports or imports for consumption) and nothing else in "
        "the file does; download the query with its Query Parameters sheet, or add the trade "
        "flow (e.g. 'General Imports') above the header"
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
    assert error_of(path) == (
        f"{path}: line 2: the table is quarterly; korus reads DataWeb monthly or annual "
        "data: export the query with monthly or annual periods"
    )


def test_a_country_korus_does_not_know_is_set_aside_and_named_on_one_line(tmp_path):
    path = monthly_file(
        tmp_path / "export.csv",
        [
            ["General Customs Value", "Japan", "2016", *months(1.0)],
            ["General Customs Value", "Atlantis\nIsland", "2016", *months(1.0)],
        ],
        preamble=[["General Imports"], ["All Commodities"]],
    )
    assert usitc.read(path).accounting[0].set_aside == {
        "country not known to korus (Atlantis Island)": 1
    }


def test_a_table_broken_out_by_district_is_refused(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["General Imports|Annual Data"],
            ["Data Type", "District", "Country", "HTS Number", "2023"],
            ["Customs Value", "Los Angeles, CA", "Japan", "8703", "1000.00"],
        ],
    )
    assert error_of(path) == (
        f"{path}: line 2: the table is broken out by 'District': each row is a part of a "
        "country's figure; korus reads one figure per country, product and period: download "
        "the query with it aggregated"
    )


# --------------------------------------------------------------------------- CSV, annual


def annual_file(path: Path, rows: list[list], years=(2016, 2017), preamble=None) -> Path:
    preamble = preamble if preamble is not None else [["Annual data for 2016,2017"]]
    header = ["Data Type", "HTS Number", "Description", "Country", *map(str, years)]
    return write_csv(path, [*preamble, header, *rows])


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


def test_each_data_type_gets_its_flow_and_basis(annual):
    frame = usitc.read(annual).frame
    assert frame.drop_duplicates("flow").set_index("flow")["basis"].to_dict() == {
        "export": "total exports, F.A.S.",
        "import": "general imports, customs value",
    }


def test_measures_that_are_not_kept_are_set_aside_with_their_reasons(annual):
    account = usitc.read(annual).accounting[0]
    assert account.set_aside == {
        "landed duty-paid value: customs value plus freight, insurance and duties, not the "
        "customs value korus reads for US imports": 1,
        "calculated duties: duties, not trade": 1,
        QUANTITY: 1,
        "CIF value: customs value plus freight and insurance, not the customs value korus "
        "reads for US imports": 1,
        "imports for consumption (the file also has general imports, the basis korus keeps "
        "for US imports)": 1,
        "domestic exports (a part of total exports, which the file also has)": 1,
    }
    assert (account.rows_read, account.rows_kept) == (9, 3)


def test_domestic_exports_are_kept_under_their_own_basis_when_they_are_the_only_exports(
    tmp_path,
):
    path = annual_file(
        tmp_path / "annual.csv", [["Domestic Exports", "8703", "Cars", "Korea", "30", "33"]]
    )
    reading = usitc.read(path)
    assert set(reading.frame["basis"]) == {"domestic exports, F.A.S."}
    assert (
        "exports are domestic exports only (US goods, without re-exports of foreign goods): "
        "lower than the Census's total exports, and kept under their own basis"
    ) in reading.accounting[0].notes


def test_year_to_date_annual_figures_are_set_aside(tmp_path):
    path = annual_file(
        tmp_path / "annual.csv",
        [
            ["General Customs Value", "8703", "Cars", "Korea", "30", "33"],
            ["General Customs Value", "8703", "Cars", "Japan", "3", "3"],
        ],
        preamble=[["General Imports|Year-to-date data through September"]],
    )
    assert error_of(path) == (
        f"{path}: the file holds no figure korus reads (set aside: 2 year-to-date figures (a "
        "part of each year: not a whole year, not a month))"
    )


def test_year_to_date_columns_beside_whole_years_are_not_read(tmp_path):
    path = write_csv(
        tmp_path / "annual.csv",
        [
            ["General Imports|Annual + Year-To-Date data"],
            ["All Commodities"],
            ["Data Type", "Country", "2023", "January_to_june_year_2024"],
            ["General Customs Value", "Korea", "50", "40"],
        ],
    )
    reading = usitc.read(path)
    assert reading.frame[["year", "value_usd"]].values.tolist() == [[2023, 50.0]]
    assert (
        "columns ['January_to_june_year_2024'] hold part-year (year-to-date) figures: not read "
        "(a part of a year is never a year)"
    ) in reading.accounting[0].notes


def test_hts_number_that_lost_a_zero_is_an_error(tmp_path):
    path = annual_file(
        tmp_path / "annual.csv", [["General Customs Value", "201.1", "Beef", "Korea", "1", "2"]]
    )
    assert error_of(path) == (
        f"{path}: line 3, column 'HTS Number': HTS number '201.1' is not an HTS code such as "
        "3304.99 or 330499 (a spreadsheet may have dropped a leading or trailing zero: keep "
        "the column as text)"
    )


def test_a_data_type_of_another_trade_flow_than_the_title_is_an_error(tmp_path):
    path = annual_file(
        tmp_path / "annual.csv",
        [["Total Exports", "8703", "Cars", "Korea", "30", "33"]],
        preamble=[["General Imports|Annual data for 2016,2017"]],
    )
    assert error_of(path) == (
        f"{path}: line 3, column 'Data Type': data type 'Total Exports' is Total Exports but "
        "the file's trade flow is General Imports: the file contradicts itself; download it "
        "again"
    )


def test_cli_deficit_reads_a_dataweb_csv_with_both_flows(runner, tmp_path):
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
    assert float(row["balance_usd_millions"]) == -27_670.0  # 42,262 - 69,932
    assert row["basis"] == "exports: total exports, F.A.S.; imports: general imports, customs value"


# --------------------------------------------------------------------------- other shapes


def test_a_column_per_month_gives_monthly_rows(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["General Imports|Monthly Data"],
            ["Data Type", "Country", "HTS Number", "January 2024", "February 2024", "2024-03"],
            ["Customs Value", "Mexico", "8703", "10.00", "20.00", "30.00"],
        ],
    )
    frame = usitc.read(path).frame
    assert frame[["year", "month", "value_usd"]].values.tolist() == [
        [2024, 1, 10.0],
        [2024, 2, 20.0],
        [2024, 3, 30.0],
    ]


def test_a_row_per_month_reads_month_numbers(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["General Imports|Monthly Data"],
            ["Data Type", "Country", "HTS Number", "Year", "Month", "Customs Value"],
            ["Customs Value", "Mexico", "8703", "2024", "2", "20.00"],
            ["Customs Value", "Mexico", "8703", "2024", "11", "110.00"],
        ],
    )
    frame = usitc.read(path).frame
    assert frame[["month", "value_usd"]].values.tolist() == [[2, 20.0], [11, 110.0]]


def test_a_row_per_month_with_a_month_that_is_not_one_is_an_error(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["General Imports|Monthly Data"],
            ["Data Type", "Country", "HTS Number", "Year", "Month", "Customs Value"],
            ["Customs Value", "Mexico", "8703", "2024", "13", "20.00"],
        ],
    )
    assert error_of(path) == (
        f"{path}: line 3, column 'Month': month '13' is not a month (January..December or 1..12)"
    )


def test_a_row_per_year_takes_its_measure_from_the_value_column_and_the_query(tmp_path):
    sheet = data_sheet(
        "Foreign Exports|Annual Data",
        ["HTS Number", "Description", "Year", "FAS Value"],
        [["8703", "CARS", 2022, 412000000.0], ["8703", "CARS", 2023, 398750000.0]],
    )
    path = download(
        tmp_path,
        {"FAS Value": sheet},
        flow="Foreign Exports",
        countries="Canada",
        commodity_select="Select Individual Commodities",
        commodities="8703",
        level="4",
    )
    frame = usitc.read(path).frame
    assert frame[["year", "flow", "partner", "product", "value_usd"]].values.tolist() == [
        [2022, "re-export", "CAN", "8703", 412000000.0],
        [2023, "re-export", "CAN", "8703", 398750000.0],
    ]


# --------------------------------------------------------------------------- Query Parameters


def test_partner_without_a_country_column_comes_from_the_query_parameters(tmp_path):
    frame = usitc.read(download(tmp_path, countries="Korea, South")).frame
    assert set(frame["partner"]) == {"KOR"}


def test_all_countries_without_a_country_column_is_the_world_total(tmp_path):
    path = download(tmp_path, country_select="Use All Countries", countries="")
    assert set(usitc.read(path).frame["partner"]) == {"WLD"}


def test_several_countries_added_together_are_refused(tmp_path):
    path = download(tmp_path, countries="Japan, Korea, South")
    assert error_of(path) == (
        f"{path}: the figures are the sum of several countries (Japan, Korea, South) and "
        "sheet 'FAS Value' has no Country column: no one partner korus can name; download "
        "the query with the countries broken out"
    )


def test_countries_broken_out_without_a_country_column_are_a_contradiction(tmp_path):
    path = download(tmp_path, country_aggregation="Break Out Countries")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters' breaks the countries out but sheet 'FAS Value' has "
        "no Country column: the file contradicts itself; download it again"
    )


def test_query_lines_above_a_csv_table_give_what_the_table_leaves_out(tmp_path):
    path = write_csv(
        tmp_path / "DataWeb-Query-Export.csv",
        [
            ["Trade Flow", "Total Exports"],
            ["Country List", "Vietnam"],
            ["Commodity List", "5201"],
            ["Commodity Aggregation", "Aggregate Commodities"],
            ["Data Type", "2023"],
            ["FAS Value", "1,250,000"],
        ],
    )
    frame = usitc.read(path).frame
    assert frame[["partner", "flow", "product", "value_usd"]].values.tolist() == [
        ["VNM", "export", "5201", 1250000.0]
    ]


def test_a_workbook_without_query_parameters_or_country_column_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "DataWeb-Query-Export.xlsx", {"FAS Value": chapters_sheet()})
    assert error_of(path) == (
        f"{path}: the file does not say which country its figures are for: no Country column "
        "and no Query Parameters naming the countries; download the query with its Query "
        "Parameters sheet, or with the countries broken out"
    )


def test_product_without_a_product_column_comes_from_the_query_parameters(tmp_path):
    sheet = data_sheet(
        "General Imports|Annual Data",
        ["Data Type", "Country", "2023"],
        [["Customs Value", "Japan", 100.0]],
    )
    path = download(
        tmp_path,
        {"Customs Value": sheet},
        flow="General Imports",
        data="Customs Value",
        commodity_select="Select Individual Commodities",
        commodities="870323",
        commodity_aggregation="Aggregate Commodities",
        level="6",
        country_aggregation="Break Out Countries",
    )
    frame = usitc.read(path).frame
    assert frame[["partner", "product", "classification"]].values.tolist() == [
        ["JPN", "870323", "HTS"]
    ]


def test_all_commodities_aggregated_are_all_goods(tmp_path):
    sheet = data_sheet("Domestic Exports|Annual Data", ["Data Type", "2023"], [["FAS Value", 9.0]])
    path = download(tmp_path, {"FAS Value": sheet}, commodity_aggregation="Aggregate Commodities")
    frame = usitc.read(path).frame
    assert frame[["product", "classification"]].values.tolist() == [["TOTAL", "none"]]


def test_several_commodities_added_together_are_refused(tmp_path):
    sheet = data_sheet("Domestic Exports|Annual Data", ["Data Type", "2023"], [["FAS Value", 9.0]])
    path = download(
        tmp_path,
        {"FAS Value": sheet},
        commodity_select="Select Individual Commodities",
        commodities="8703, 8704",
        commodity_aggregation="Aggregate Commodities",
    )
    assert error_of(path) == (
        f"{path}: the figures are the sum of several commodities (8703, 8704) and sheet "
        "'FAS Value' has no product column: no one product korus can name; download the query "
        "with the commodities broken out"
    )


def test_a_file_of_some_commodities_says_on_every_command_that_it_is_not_all_goods(tmp_path):
    path = download(
        tmp_path,
        commodity_select="Select Individual Commodities",
        commodities="01, 87",
    )
    assert usitc.read(path).accounting[0].warnings == [
        "the file covers HTS 01, 87 only, not all goods: any total korus gives from it is a "
        "total of those goods"
    ]


def test_a_file_of_all_commodities_by_chapter_is_all_goods_by_chapter(tmp_path):
    account = usitc.read(download(tmp_path)).accounting[0]
    assert "coverage: all goods, by chapter (sheet 'Query Parameters')" in account.notes
    assert account.warnings == []


def test_the_query_parameters_trade_flow_gives_the_basis_of_fas_value(tmp_path):
    sheet = chapters_sheet(title="Total Exports|Annual Data")
    frame = usitc.read(download(tmp_path, {"FAS Value": sheet}, flow="Total Exports")).frame
    assert set(zip(frame["flow"], frame["basis"], strict=True)) == {
        ("export", "total exports, F.A.S.")
    }


def test_the_query_parameters_trade_flow_is_the_flow_of_a_sheet_whose_title_names_none(
    tmp_path,
):
    path = download(tmp_path, {"FAS Value": chapters_sheet(title="")}, flow="Total Exports")
    assert set(usitc.read(path).frame["basis"]) == {"total exports, F.A.S."}


def test_a_title_that_contradicts_the_query_parameters_trade_flow_is_an_error(tmp_path):
    path = download(tmp_path, flow="Total Exports")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters' gives trade flow 'Total Exports' but sheet 'FAS "
        "Value' says 'Domestic Exports': the file contradicts itself; download it again"
    )


def test_fas_value_in_an_imports_query_is_an_error(tmp_path):
    sheet = chapters_sheet(title="General Imports|Annual Data")
    path = download(tmp_path, {"FAS Value": sheet}, flow="General Imports")
    assert error_of(path) == (
        f"{path}: sheet 'FAS Value', cell A4 (Data Type): data type 'FAS Value' is not a "
        "measure of General Imports: the file contradicts itself; download it again"
    )


def test_a_trade_flow_korus_does_not_read_is_named(tmp_path):
    path = download(tmp_path, {"FAS Value": chapters_sheet(title="")}, flow="Trade Balance")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters': trade flow 'Trade Balance' is not one korus reads "
        "(General Imports, Imports for Consumption, Total Exports, Domestic Exports, Foreign "
        "Exports)"
    )


def test_a_query_of_some_import_programs_is_refused(tmp_path):
    path = download(tmp_path, programs="Select Individual Programs")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters' selects import programs ('Select Individual "
        "Programs'): the figures are only the part of US trade under them, not the trade "
        "korus compares; download the query with all import programs"
    )


def test_a_query_broken_out_by_district_is_refused(tmp_path):
    path = download(tmp_path, district_aggregation="Break Out District")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters': 'Break Out District': each figure is split into "
        "parts by districts; korus reads one figure per country, product and period: "
        "download the query with districts aggregated"
    )


def test_a_unit_in_the_query_parameters_is_converted_and_noted(tmp_path):
    path = download(tmp_path, extra=[["Unit Conversion", "Thousands of Dollars"]])
    reading = usitc.read(path)
    assert reading.frame["value_usd"].tolist() == [31289669000.0, 7830337096000.0]
    assert (
        "figures in thousands of US dollars (as sheet 'Query Parameters' ('Thousands of "
        "Dollars') says)"
    ) in reading.accounting[0].notes


def test_a_conversion_of_quantities_leaves_the_values_in_dollars(tmp_path):
    path = download(tmp_path, extra=[["Unit Conversion", "Convert to Kilograms"]])
    assert usitc.read(path).frame["value_usd"].tolist() == [31289669.0, 7830337096.0]


def test_two_units_that_disagree_are_an_error(tmp_path):
    sheet = chapters_sheet(title="Domestic Exports|Annual Data, In Millions of Dollars")
    path = download(tmp_path, {"FAS Value": sheet}, extra=[["Unit Conversion", "No Conversion"]])
    assert error_of(path) == (
        f"{path}: the file gives two units for its figures (sheet 'Query Parameters' ('No "
        "Conversion'): dollars; the lines above the table: millions); korus cannot know which "
        "is right"
    )


def test_a_monthly_query_with_year_columns_is_a_contradiction(tmp_path):
    path = download(tmp_path, timeframe="Monthly")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters' says the timeframe is 'Monthly' but sheet 'FAS "
        "Value' has a column per year: the file contradicts itself; download it again"
    )


def test_year_to_date_in_the_query_parameters_sets_the_year_columns_aside(tmp_path):
    path = download(tmp_path, year_type="Year-To-Date")
    assert error_of(path) == (
        f"{path}: the file holds no figure korus reads (set aside: 2 year-to-date figures (a "
        "part of each year: not a whole year, not a month))"
    )


def test_a_custom_time_period_with_year_columns_is_refused(tmp_path):
    path = download(tmp_path, year_type="Custom Time Period and Years")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters' selects the years as 'Custom Time Period and "
        "Years': its year figures may be parts of years; download full years, or monthly data"
    )


def test_the_download_date_is_the_vintage(tmp_path):
    frame = usitc.read(download(tmp_path)).frame
    assert set(frame["vintage"]) == {"data through 2023; downloaded from DataWeb 2025-04-05"}


def test_a_chapter_stored_as_a_number_gets_its_zero_back_from_the_query_level(tmp_path):
    sheet = chapters_sheet([["FAS Value", 1.0, "LIVE ANIMALS", 5.0]])
    frame = usitc.read(download(tmp_path, {"FAS Value": sheet})).frame
    assert frame["product"].tolist() == ["01"]


def test_a_code_stored_as_a_number_without_a_level_is_an_error(tmp_path):
    sheet = chapters_sheet([["FAS Value", 1.0, "LIVE ANIMALS", 5.0]])
    path = download(tmp_path, {"FAS Value": sheet}, level="")
    assert error_of(path) == (
        f"{path}: sheet 'FAS Value', cell B4 (HTS Number): HTS number '1' is stored as a "
        "number: a leading or trailing zero may be lost and korus does not guess it; keep the "
        "column as text"
    )


def test_a_code_of_another_level_than_the_query_says_is_an_error(tmp_path):
    sheet = chapters_sheet([["FAS Value", "8703", "CARS", 5.0]])
    path = download(tmp_path, {"FAS Value": sheet})
    assert error_of(path) == (
        f"{path}: sheet 'FAS Value', cell B4 (HTS Number): HTS number '8703' has 4 digits but "
        "sheet 'Query Parameters' says the commodities are broken out at 2: the file "
        "contradicts itself"
    )


def test_sitc_numbers_keep_their_classification(tmp_path):
    sheet = data_sheet(
        "Domestic Exports|Annual Data",
        ["Data Type", "SITC Number", "Description", "2023"],
        [["FAS Value", "01", "MEAT", 5.0]],
    )
    path = download(tmp_path, {"FAS Value": sheet}, classification="SITC")
    frame = usitc.read(path).frame
    assert frame[["product", "classification"]].values.tolist() == [["01", "SITC"]]


def test_an_hts_column_under_an_sitc_query_is_a_contradiction(tmp_path):
    path = download(tmp_path, classification="SITC")
    assert error_of(path) == (
        f"{path}: sheet 'Query Parameters' gives classification 'SITC' but sheet 'FAS Value' "
        "has a 'HTS Number' column: the file contradicts itself"
    )


def test_the_query_parameters_are_described_in_a_note(tmp_path):
    assert (
        "sheet 'Query Parameters' read as the file's description of its query: Domestic "
        "Exports; HTS Items; FAS Value; years 2023, Annual; countries: China; commodities: "
        "Use All Commodities, broken out at 2 digits"
    ) in usitc.read(download(tmp_path)).accounting[0].notes


def test_a_workbook_with_query_parameters_is_detected_by_content(tmp_path):
    assert readers.detect(download(tmp_path, name="anything.xlsx")) == "usitc-dataweb"


def test_a_country_and_year_table_is_dataweb_only_beside_query_parameters(tmp_path):
    table = [["Country", "2023"], ["Japan", 5.0]]
    alone = write_xlsx(tmp_path / "alone.xlsx", {"Data": table})
    beside = download(tmp_path, {"Data": table})
    assert (usitc.sniff(take_sample(alone)), usitc.sniff(take_sample(beside))) == (False, True)


# --------------------------------------------------------------------------- sheets


def measure_sheets() -> dict[str, list[list]]:
    header = ["Data Type", "HTS Number", "Description", "Country", "2023"]
    title = "General Imports|Annual Data"
    return {
        "Customs Value": data_sheet(
            title,
            header,
            [
                ["Customs Value", "8542", "CHIPS", "Korea, South", 2600.0],
                ["Customs Value", "8542", "CHIPS", "Japan", 1100.0],
            ],
            ["Total: ", "", "", "", "3,700"],
        ),
        "First Unit of Quantity": data_sheet(
            title, header, [["First Unit of Quantity", "8542", "CHIPS", "Japan", 12.0]]
        ),
        "Calculated Duties": data_sheet(
            title, header, [["Calculated Duties", "8542", "CHIPS", "Japan", 0.0]]
        ),
    }


@pytest.fixture
def measures(tmp_path) -> Path:
    return download(
        tmp_path,
        measure_sheets(),
        flow="General Imports",
        data="Customs Value, First Unit of Quantity, Calculated Duties",
        countries="Japan, Korea, South",
        country_aggregation="Break Out Countries",
        commodity_select="Select Individual Commodities",
        commodities="8542",
        level="4",
    )


def test_sheets_of_other_measures_are_left_aside_and_named(measures):
    account = usitc.read(measures).accounting[0]
    assert (account.sheets_read, account.sheets_left) == (
        ["Query Parameters", "Customs Value"],
        ["First Unit of Quantity", "Calculated Duties"],
    )


def test_why_each_sheet_is_left_aside_is_noted(measures):
    notes = usitc.read(measures).accounting[0].notes
    assert [note for note in notes if "left aside" in note] == [
        "sheet 'First Unit of Quantity' left aside: a quantity, not a value",
        "sheet 'Calculated Duties' left aside: calculated duties: duties, not trade",
    ]


def test_every_row_of_every_measure_sheet_is_accounted_for(measures):
    account = usitc.read(measures).accounting[0]
    assert (account.rows_read, account.rows_kept) == (5, 2)
    assert account.set_aside == {
        TOTAL_ROW: 1,
        QUANTITY: 1,
        "calculated duties: duties, not trade": 1,
    }


def test_a_sheet_of_imports_for_consumption_beside_general_imports_is_left_aside(tmp_path):
    header = ["Data Type", "HTS Number", "Description", "Country", "2023"]
    sheets = {
        "General": data_sheet(
            "General Imports|Annual Data",
            header,
            [["Customs Value", "8703", "CARS", "Japan", 40.0]],
        ),
        "Consumption": data_sheet(
            "Imports for Consumption|Annual Data",
            header,
            [["Customs Value", "8703", "CARS", "Japan", 39.0]],
        ),
    }
    notes = usitc.read(write_xlsx(tmp_path / "DataWeb-Query-Export.xlsx", sheets)).accounting[0]
    assert (
        "sheet 'Consumption' left aside: imports for consumption (the file also has general "
        "imports, the basis korus keeps for US imports)"
    ) in notes.notes


def test_two_sheets_of_one_money_measure_are_refused(tmp_path):
    sheets = measure_sheets()
    sheets["Customs Value (2)"] = sheets["Customs Value"]
    path = download(
        tmp_path,
        sheets,
        flow="General Imports",
        country_aggregation="Break Out Countries",
        level="4",
    )
    assert error_of(path) == (
        f"{path}: several sheets hold general imports, customs value: 'Customs Value', "
        "'Customs Value (2)'; korus does not guess which is meant: choose one with --sheet NAME"
    )


def test_a_hidden_data_sheet_is_refused_and_named(tmp_path):
    path = download(
        tmp_path,
        measure_sheets(),
        hidden={"First Unit of Quantity"},
        flow="General Imports",
        country_aggregation="Break Out Countries",
        level="4",
    )
    assert error_of(path) == (
        f"{path}: several sheets hold a DataWeb table: 'Customs Value', 'First Unit of "
        "Quantity' (hidden), 'Calculated Duties'; korus does not guess which is meant: choose "
        "one with --sheet NAME"
    )


def test_the_sheet_chosen_with_sheet_is_the_only_data_sheet_read(tmp_path):
    sheets = measure_sheets()
    sheets["Customs Value (2)"] = sheets["Customs Value"]
    path = download(
        tmp_path,
        sheets,
        flow="General Imports",
        country_aggregation="Break Out Countries",
        level="4",
    )
    token = SHEET.set("Customs Value (2)")
    try:
        account = usitc.read(path).accounting[0]
    finally:
        SHEET.reset(token)
    assert account.sheets_read == ["Query Parameters", "Customs Value (2)"]


def test_a_sheet_chosen_that_holds_no_table_is_an_error(tmp_path):
    path = download(tmp_path)
    token = SHEET.set("Query Parameters")
    try:
        message = error_of(path)
    finally:
        SHEET.reset(token)
    assert message == f"{path}: sheet 'Query Parameters' does not hold a DataWeb table"


def test_sheets_of_two_flows_are_both_read_each_with_its_own_rows_named(tmp_path):
    header = ["Data Type", "HTS Number", "Description", "Country", "2023"]
    sheets = {
        "Exports": data_sheet(
            "Total Exports|Annual Data",
            header,
            [["FAS Value", "8703", "CARS", "Japan", 10.0]],
        ),
        "Imports": data_sheet(
            "General Imports|Annual Data",
            header,
            [
                ["Customs Value", "8703", "CARS", "Japan", 40.0],
                ["Customs Value", "8703", "CARS", "Japan", 41.0],
            ],
        ),
    }
    path = write_xlsx(tmp_path / "DataWeb-Query-Export.xlsx", sheets)
    assert error_of(path) == (
        f"{path}: sheet 'Imports', row 5 and sheet 'Imports', row 4 give USA imports, partner "
        "JPN, product 8703, 2023 twice with different values (41 and 40 US dollars); korus "
        "cannot know which is right: keep one version of each figure; a query broken out by "
        "district or port gives a row per part: export it without breakdowns (one row per "
        "country and period)"
    )


def test_a_workbook_variant_names_the_query_parameters_and_where_the_partner_comes_from(
    tmp_path,
):
    assert usitc.read(download(tmp_path)).accounting[0].variant == (
        "workbook with Query Parameters: a column per year; by HTS number; no country column, "
        "China from sheet 'Query Parameters'"
    )


def test_the_same_workbook_under_any_name_reads_the_same(tmp_path):
    first = usitc.read(download(tmp_path, name="DataWeb-Query-Export.xlsx")).frame
    second = usitc.read(download(tmp_path, name="imports_hts8703_japan.xlsx")).frame
    pd.testing.assert_frame_equal(first, second)


def test_a_workbook_reading_is_canonical(tmp_path):
    assert list(usitc.read(download(tmp_path)).frame.columns) == list(COLUMNS)


# --------------------------------------------------------------------------- a large CSV


def large_annual(path: Path, rows: int, newline="\n", bom=False, tail=b"", breaks=False) -> Path:
    """An annual DataWeb CSV of more than ``usitc_sheets.HEAD_BYTES``: products with
    descriptions in non-ASCII text (with ``breaks``, every 1,000th with a line break)."""
    lines = [["General Imports|Annual data for 2016,2017"], ["Data Row Count", str(rows)]]
    lines.append(["Data Type", "HTS Number", "Description", "Country", "2016", "2017"])
    for n in range(rows):
        text = f"Préparations n° {n} « beauté »" + ("\nsuite" if breaks and n % 1000 == 999 else "")
        code = f"{n // 100:04d}.{n % 100:02d}"
        lines.append(["General Customs Value", code, text, "Korea, South", str(n + 1), "7.5"])
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle, lineterminator=newline).writerows(lines)
    with open(path, "ab") as handle:
        handle.write(tail)
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("breaks", [False, True])
def test_a_large_csv_read_from_its_head_gives_what_the_whole_text_gives(
    tmp_path, monkeypatch, newline, bom, breaks
):
    """Only the head is decoded, unless a cell holds a line break (Arrow cannot vouch for
    the rows: csv.reader reads the whole text), or the head is too short for the rows the
    header is looked for in."""
    from korus.readers import usitc_sheets

    path = large_annual(tmp_path / "large.csv", 14_000, newline, bom, breaks=breaks)
    assert path.stat().st_size > usitc_sheets.HEAD_BYTES
    decoded = []
    real = usitc_sheets.decode
    monkeypatch.setattr(usitc_sheets, "decode", lambda *a: decoded.append(1) or real(*a))
    # The cut of the head falls at every place of a line, a line break in a cell too.
    for head_bytes in (1 << 20, (1 << 20) + 37, 70_001, 70_002, 2_000):
        monkeypatch.setattr(usitc_sheets, "HEAD_BYTES", head_bytes)
        read = usitc.read(path)
        assert bool(decoded) == (breaks or head_bytes == 2_000)
        decoded.clear()
        token = ENCODING.set("utf-8")  # as --encoding utf-8: the whole text decoded
        try:
            whole = usitc.read(path)
        finally:
            ENCODING.reset(token)
        assert decoded
        decoded.clear()
        assert read.frame.equals(whole.frame)
        assert read.accounting == whole.accounting
    assert len(read.frame) == 2 * 14_000
    assert read.frame["value_usd"].sum() == sum(range(1, 14_001)) + 7.5 * 14_000


def test_a_large_csv_with_a_bad_byte_after_its_head_is_the_error_naming_it(tmp_path):
    from korus.readers import usitc_sheets

    path = large_annual(tmp_path / "large.csv", 14_000, tail=b"Total: ,,,\xff\n")
    assert path.stat().st_size > usitc_sheets.HEAD_BYTES
    lines = path.read_bytes().count(b"\n") + 1 - 1
    with pytest.raises(DataFileError) as caught:
        usitc.read(path)
    assert str(caught.value).startswith(
        f"{path}: line {lines}, column 11: byte 0xFF is not utf-8 text"
    )
