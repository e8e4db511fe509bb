"""KOSIS tables: Korea's own exports and imports by partner (reporter KOR), annual and monthly."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_file
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import kosis
from korus.readers.common import take_sample
from korus.schema import COLUMNS

ANNUAL = "kosis/korea_trade_by_partner_annual.csv"
MONTHLY = "kosis/korea_china_monthly_2001_2019.csv"
ANNUAL_HEADER = [
    "iso3c",
    "country",
    "year",
    "export",
    "import",
    "total_export",
    "total_import",
    "export_kosis",
    "import_kosis",
    "export_cow",
    "import_cow",
    "export_cons_2015",
    "updated_at",
]
COW_REASON = (
    "no KOSIS figure: only a Correlates of War estimate that the file's compiler filled in "
    "(not Korea's statistics)"
)


def write_csv(path: Path, rows: list[list], quote_all: bool = False) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        quoting = csv.QUOTE_NONNUMERIC if quote_all else csv.QUOTE_MINIMAL
        csv.writer(handle, quoting=quoting).writerows(rows)
    return path


def annual_row(code, name, year, export, imp, totals=("1000", "900"), cow=("NA", "NA")):
    """A kdiplo trade_data row: KOSIS figures, their copy in export/import, the totals."""
    filled_export = export if export != "NA" else cow[0]
    filled_import = imp if imp != "NA" else cow[1]
    return [
        code,
        name,
        str(year),
        filled_export,
        filled_import,
        *totals,
        export,
        imp,
        *cow,
        "123.45",
        "2025-06-19",
    ]


@pytest.fixture
def annual(tmp_path) -> Path:
    rows = [
        annual_row("NA", "Namibia", 2016, "10", "NA"),
        annual_row("USA", "United States", 2016, "600", "400"),
        annual_row("CHN", "China", 2016, "380", "450"),
        annual_row("ZZZ", "Nowhere Land", 2016, "NA", "NA", cow=("5", "NA")),
        annual_row("ABW", "Aruba", 2016, "NA", "NA"),
        annual_row("USA", "United States", 1960, "NA", "NA", totals=("NA", "NA"), cow=("7", "8")),
    ]
    return write_csv(tmp_path / "trade_data.csv", [ANNUAL_HEADER, *rows])


def monthly_rows(dates: list[str], country="China, peoples' republic of") -> list[list]:
    return [
        ["Country", "Date", "Exports", "Imports"],
        *[[country, date, 1000 + i, 500 + i] for i, date in enumerate(dates)],
    ]


# --------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def real_annual():
    """The real annual file read once for the tests that only look at the result."""
    return kosis.read_annual(shared_file(ANNUAL))


def test_real_annual_file_gives_korea_2016_exports_to_the_us(real_annual):
    frame = real_annual.frame
    usa = frame[(frame["partner"] == "USA") & (frame["year"] == 2016)].set_index("flow")
    assert usa.loc["export", "value_usd"] == 66_462_312_000
    assert usa.loc["import", "value_usd"] == 43_215_929_000
    assert usa["basis"].to_dict() == {"export": "FOB", "import": "CIF"}
    assert usa["month"].isna().all()


def test_real_annual_file_is_detected_and_read_file_gives_the_same_frame(real_annual):
    path = shared_file(ANNUAL)
    assert readers.detect(path) == "kosis-annual"
    pd.testing.assert_frame_equal(readers.read_file(path).frame, real_annual.frame)


def test_real_annual_provenance_names_kosis_and_the_files_update(real_annual):
    frame = real_annual.frame
    assert set(frame["reporter"]) == {"KOR"}
    assert set(frame["source"]) == {
        "KOSIS (Korea Customs Service), exports and imports by country, annual"
    }
    assert set(frame["vintage"]) == {"file updated 2025-06-19; data through 2023"}
    assert list(frame.columns) == list(COLUMNS)


def test_real_annual_world_totals_are_read_once_a_year_as_wld(real_annual):
    frame = real_annual.frame
    world = frame[frame["partner"] == "WLD"]
    assert len(world) == 2 * (2023 - 1965 + 1)
    assert not world.duplicated(["year", "flow"]).any()
    in_2016 = world[world["year"] == 2016].set_index("flow")["value_usd"]
    assert in_2016.to_dict() == {"export": 495_425_940_000, "import": 406_192_887_000}


def test_real_annual_accounting_counts_every_row_of_the_file(real_annual):
    account = real_annual.accounting[0]
    assert account.rows_read == 16_511
    assert account.rows_kept == 11_474
    assert account.set_aside == {"no figures (export and import are NA)": 3_270, COW_REASON: 1_767}
    assert account.balanced()


def test_real_annual_correlates_of_war_estimates_are_not_read(real_annual):
    reading = real_annual
    assert reading.frame["year"].min() == 1965  # 1949-1964 hold only the estimates
    assert (
        "1831 export and 2454 import figures are Correlates of War estimates the file's "
        "compiler filled in where KOSIS has none: not read"
    ) in reading.accounting[0].notes


def test_real_annual_import_gap_to_the_world_total_is_noted(real_annual):
    notes = real_annual.accounting[0].notes
    gap = next(note for note in notes if note.startswith("the partners' imports differ"))
    assert "2016 -0.99%" in gap


def test_real_annual_former_territories_keep_their_own_codes(real_annual):
    frame = real_annual.frame
    france = frame[(frame["year"] == 1996) & frame["partner"].isin(["FRA", "FXX"])]
    assert france.set_index(["partner", "flow"])["value_usd"].to_dict() == {
        ("FRA", "export"): 1_196_983_000,
        ("FRA", "import"): 2_205_743_000,
        ("FXX", "export"): 288_000,
        ("FXX", "import"): 219_000,
    }


def test_cli_deficit_on_the_real_annual_file_gives_koreas_2016_surplus_with_the_us(runner):
    path = shared_file(ANNUAL)
    result = runner.invoke(
        cli,
        [
            "deficit",
            "--data",
            str(path),
            "--reporter",
            "KOR",
            "--partner",
            "USA",
            "--years",
            "2016",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(result.output.splitlines()))
    assert (row["reporter"], row["partner"]) == ("KOR", "USA")
    # 66,462,312,000 - 43,215,929,000 USD
    assert float(row["balance_usd_millions"]) == 23_246.383
    assert row["basis"] == "exports: FOB; imports: CIF"


def test_real_monthly_file_gives_korea_china_september_2017():
    path = shared_file(MONTHLY)
    frame = kosis.read_monthly(path).frame
    september = frame[(frame["year"] == 2017) & (frame["month"] == 9)].set_index("flow")
    # line 202: "China, peoples' republic of","2017.09",13540683,8443414 (thousands of USD)
    assert september["value_usd"].to_dict() == {"export": 13_540_683_000, "import": 8_443_414_000}
    assert set(frame["partner"]) == {"CHN"}


def test_real_monthly_file_is_detected_and_has_months_only():
    path = shared_file(MONTHLY)
    assert readers.detect(path) == "kosis-monthly"
    reading = readers.read_file(path)
    assert reading.frame["month"].notna().all()
    assert len(reading.frame) == 228 * 2
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept, account.set_aside) == (228, 228, {})
    assert set(reading.frame["vintage"]) == {"data through 2019-12; release not stated in the file"}
    assert set(reading.frame["source"]) == {
        "KOSIS (Korea Customs Service), exports and imports by country, monthly"
    }


def test_cli_deficit_on_the_real_monthly_file_adds_twelve_months(runner):
    path = shared_file(MONTHLY)
    result = runner.invoke(
        cli,
        [
            "deficit",
            "--data",
            str(path),
            "--reporter",
            "KOR",
            "--partner",
            "CHN",
            "--years",
            "2016",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(result.output.splitlines()))
    assert float(row["exports_usd_millions"]) == 124_432.941
    assert float(row["imports_usd_millions"]) == 86_980.136
    assert float(row["balance_usd_millions"]) == 37_452.805


def test_kosis_sniff_claims_no_other_shared_file():
    others = [
        "census/country.xlsx",
        "census/enduse_exports_2013_2022.csv",
        "census/enduse_imports_2016_2025.xlsx",
        "census/api_imports_hs2_korea_monthly_2013_2021.csv",
        "census/balance_page_c5700_china_monthly_2001_2019.csv",
        "comtrade/legacy_usa_kor_hs2_2010_2019.csv",
        "comtrade/plus_api_response_chn_2010.json",
        "baci/country_codes_V202301.csv",
        "baci/product_codes_HS92_V202301.csv",
        "usitc/dataweb_general_imports_hts330499_monthly.csv",
    ]
    for name in others:
        assert kosis.sniff(take_sample(shared_file(name))) is None, name


# --------------------------------------------------------------------------- annual, small


def test_annual_file_is_detected_by_content(annual):
    assert readers.detect(annual) == "kosis-annual"


def test_namibias_code_na_is_namibia_and_na_figures_are_missing(annual):
    frame = kosis.read_annual(annual).frame
    namibia = frame[frame["partner"] == "NAM"]
    assert namibia[["flow", "value_usd"]].values.tolist() == [["export", 10.0]]


def test_world_totals_repeated_on_every_row_become_one_wld_row_a_year(annual):
    frame = kosis.read_annual(annual).frame
    world = frame[frame["partner"] == "WLD"]
    assert world.set_index(["year", "flow"])["value_usd"].to_dict() == {
        (2016, "export"): 1000.0,
        (2016, "import"): 900.0,
    }


def test_small_annual_file_accounts_for_every_row(annual):
    account = kosis.read_annual(annual).accounting[0]
    assert account.rows_read == 6
    assert account.rows_kept == 3
    assert account.set_aside == {COW_REASON: 2, "no figures (export and import are NA)": 1}
    assert account.balanced()


def test_partners_that_do_not_add_up_to_the_world_total_are_noted(annual):
    notes = kosis.read_annual(annual).accounting[0].notes
    assert (
        "the partners' exports differ from Korea's world total by more than 0.1% in 1 years "
        "(partners minus total, as a share of the total): 2016 -1.00%"
    ) in notes
    assert (
        "the partners' imports differ from Korea's world total by more than 0.1% in 1 years "
        "(partners minus total, as a share of the total): 2016 -5.56%"
    ) in notes


def test_world_total_that_differs_within_a_year_is_an_error(tmp_path):
    path = write_csv(
        tmp_path / "trade.csv",
        [
            ANNUAL_HEADER,
            annual_row("USA", "United States", 2016, "600", "400"),
            annual_row("JPN", "Japan", 2016, "300", "400", totals=("1001", "900")),
        ],
    )
    with pytest.raises(DataFileError) as error:
        kosis.read_annual(path)
    assert str(error.value) == (
        f"{path}: total_export for 2016 is 1,000 on line 2 but 1,001 on line 3; Korea's "
        "world total must be the same on every row of a year"
    )


def test_text_in_a_figure_is_an_error_naming_the_line_and_column(tmp_path):
    path = write_csv(
        tmp_path / "trade.csv",
        [ANNUAL_HEADER, annual_row("USA", "United States", 2016, "6OO", "400")],
    )
    with pytest.raises(DataFileError) as error:
        kosis.read_annual(path)
    assert str(error.value) == (
        f"{path}: line 2, column 'export_kosis': expected a number (or '', 'NA' for no "
        "figure), found '6OO'"
    )


def test_a_partner_given_twice_in_a_year_is_an_error(tmp_path):
    row = annual_row("USA", "United States", 2016, "600", "400")
    path = write_csv(tmp_path / "trade.csv", [ANNUAL_HEADER, row, row])
    with pytest.raises(DataFileError) as error:
        kosis.read_annual(path)
    assert str(error.value) == (
        f"{path}: 1 row repeats another row exactly, e.g. line 3 repeats line 2 (KOR exports, "
        "partner USA, product TOTAL, 2016); remove the repeats, or pass --dedupe to drop them "
        "(they are counted)"
    )


def test_unknown_partner_code_with_figures_is_set_aside_by_name(tmp_path):
    path = write_csv(
        tmp_path / "trade.csv",
        [
            ANNUAL_HEADER,
            annual_row("ZZZ", "Nowhere Land", 2016, "5", "6"),
            annual_row("USA", "United States", 2016, "600", "400"),
        ],
    )
    account = kosis.read_annual(path).accounting[0]
    assert account.set_aside == {"partner code not known to korus (ZZZ Nowhere Land)": 1}


def test_annual_file_without_kosis_columns_reads_export_and_import_as_given(tmp_path):
    path = write_csv(
        tmp_path / "trade.csv",
        [
            ["iso3c", "country", "year", "export", "import"],
            ["KOR", "Korea", "2016", "NA", "NA"],
            ["NA", "Namibia", "2016", "1,500", "20"],
        ],
    )
    reading = kosis.read_annual(path)
    assert reading.frame.set_index("flow")["value_usd"].to_dict() == {
        "export": 1500.0,
        "import": 20.0,
    }
    assert set(reading.frame["vintage"]) == {"data through 2016; release not stated in the file"}
    assert (
        "the file has no export_kosis/import_kosis columns: export and import read as given "
        "(the file does not say which figures are KOSIS's own)"
    ) in reading.accounting[0].notes


# --------------------------------------------------------------------------- monthly, small


def test_monthly_figures_in_thousands_become_dollars(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2018.11", "2018.12"]), quote_all=True)
    assert readers.detect(path) == "kosis-monthly"
    frame = kosis.read_monthly(path).frame
    assert frame.set_index(["month", "flow"])["value_usd"].to_dict() == {
        (11, "export"): 1_000_000.0,
        (11, "import"): 500_000.0,
        (12, "export"): 1_001_000.0,
        (12, "import"): 501_000.0,
    }


def test_a_partial_year_of_months_has_no_annual_row(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2019.01", "2019.02", "2019.03"]))
    frame = kosis.read_monthly(path).frame
    assert frame["month"].notna().all()
    assert set(frame["vintage"]) == {"data through 2019-03; release not stated in the file"}


def test_a_date_mangled_from_2017_10_to_2017_1_after_september_is_read_as_october(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2017.08", "2017.09", "2017.1", "2017.11"]))
    reading = kosis.read_monthly(path)
    october = reading.frame[reading.frame["month"] == 10]
    assert october.set_index("flow")["value_usd"].to_dict() == {
        "export": 1_002_000.0,
        "import": 502_000.0,
    }
    assert sorted(reading.frame["month"].unique()) == [8, 9, 10, 11]
    assert reading.accounting[0].notes == [
        "1 dates written YYYY.1 follow September or precede November of their year: read as "
        "October (a spreadsheet wrote YYYY.10 as the number YYYY.1); lines 4"
    ]


def test_a_2017_1_after_december_in_an_unpadded_table_is_january(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2016.11", "2016.12", "2017.1", "2017.2"]))
    frame = kosis.read_monthly(path).frame
    assert sorted(frame.loc[frame["year"] == 2017, "month"].unique()) == [1, 2]


def test_a_2017_1_that_the_rows_around_it_cannot_place_is_an_error(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2017.1"]))
    with pytest.raises(DataFileError) as error:
        kosis.read_monthly(path)
    assert str(error.value) == (
        f"{path}: line 2: date '2017.1' could be January or October (a spreadsheet writes "
        "2017.10 as 2017.1) and the rows around it do not tell which; export the dates as "
        "text (2017.01, 2017.10)"
    )


def test_duplicate_2017_1_dates_are_an_error(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2017.09", "2017.1", "2017.1", "2017.11"]))
    with pytest.raises(DataFileError) as error:
        kosis.read_monthly(path)
    assert str(error.value) == (
        f"{path}: line 4 and line 3 give KOR exports, partner CHN, product TOTAL, 2017-10 "
        "twice with different values (1,002,000 and 1,001,000 US dollars) (2 figures in all); "
        "korus cannot know which is right: keep one version of each figure; if the dates went "
        "through a spreadsheet, export them as text (2017.10, not 2017.1)"
    )


def test_blank_and_dash_figures_are_months_without_a_figure(tmp_path):
    rows = monthly_rows(["2018.01", "2018.02"])
    rows[1][3] = ""
    rows[2][2], rows[2][3] = "-", "-"
    path = write_csv(tmp_path / "m.csv", rows)
    reading = kosis.read_monthly(path)
    assert reading.frame[["month", "flow"]].values.tolist() == [[1, "export"]]
    account = reading.accounting[0]
    assert account.set_aside == {"no figures (exports and imports blank)": 1}
    assert account.balanced()


def test_unknown_country_in_a_monthly_table_is_an_error(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2018.01"], country="Atlantis"))
    with pytest.raises(DataFileError, match=r"line 2, column 'Country': unknown country"):
        kosis.read_monthly(path)


def test_a_month_13_is_an_error(tmp_path):
    path = write_csv(tmp_path / "m.csv", monthly_rows(["2018.13"]))
    with pytest.raises(DataFileError) as error:
        kosis.read_monthly(path)
    assert str(error.value) == (
        f"{path}: line 2, column 'Date': date '2018.13' is not YYYY.MM (e.g. 2017.09)"
    )
