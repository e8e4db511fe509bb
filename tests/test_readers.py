"""Readers: each layout gives the canonical frame, with units converted and every row counted."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_file
from fixtures.layouts import COMTRADE_LEGACY_HEADER
from korus import readers
from korus.errors import DataFileError
from korus.readers import census_country, comtrade_legacy, tidy
from korus.schema import COLUMNS

openpyxl = pytest.importorskip("openpyxl")

MONTHS = census_country.MONTHS


def census_row(year, code, name, imports, exports):
    """A country.xlsx row from twelve monthly imports and exports (millions of USD)."""
    return [str(year), code, name, *imports, sum(imports), *exports, sum(exports)]


def write_census(path: Path, rows: list[list], header=None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "country"
    sheet.append(header or census_country.HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def monthly(value, months=12):
    return [float(value)] * months + [0.0] * (12 - months)


@pytest.fixture
def census_file(tmp_path):
    rows = [
        census_row(2024, "5800", "Korea, South", monthly(10.0), monthly(5.0)),
        census_row(2024, "5790", "Korea, North", monthly(0.0), monthly(0.1)),
        census_row(2024, "0015", "World, Not Seasonally Adjusted", monthly(100.0), monthly(80.0)),
        census_row(2024, "0004", "World, Seasonally Adjusted", monthly(101.0), monthly(81.0)),
        census_row(2025, "5800", "Korea, South", monthly(11.0, 2), monthly(6.0, 2)),
        census_row(
            2025, "0015", "World, Not Seasonally Adjusted", monthly(99.0, 2), monthly(79.0, 2)
        ),
    ]
    return write_census(tmp_path / "country.xlsx", rows)


def test_census_values_are_converted_from_millions_to_dollars(census_file):
    frame = census_country.read(census_file).frame
    korea = frame[(frame["partner"] == "KOR") & (frame["year"] == 2024) & frame["month"].isna()]
    assert korea.set_index("flow")["value_usd"].to_dict() == {"export": 60e6, "import": 120e6}


def test_census_frame_has_the_canonical_columns_and_dtypes(census_file):
    frame = census_country.read(census_file).frame
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["month"].dtype) == "Int8"
    assert set(frame["product"]) == {"TOTAL"}


def test_census_partial_year_has_months_but_no_annual_row(census_file):
    frame = census_country.read(census_file).frame
    korea_2025 = frame[(frame["partner"] == "KOR") & (frame["year"] == 2025)]
    assert sorted(korea_2025["month"].dropna().unique()) == [1, 2]
    assert korea_2025["month"].notna().all()
    assert set(frame["vintage"]) == {"data through 2025-02"}


def test_census_seasonally_adjusted_world_is_set_aside_and_counted(census_file):
    reading = census_country.read(census_file)
    account = reading.accounting[0]
    assert account.rows_read == 6
    assert account.rows_kept == 5
    assert sum(account.set_aside.values()) == 1
    assert account.balanced()
    assert "WLD" in set(reading.frame["partner"])


def test_census_north_korea_is_never_south_korea(census_file):
    frame = census_country.read(census_file).frame
    north = frame[(frame["partner"] == "PRK") & frame["month"].isna()]
    assert north.set_index("flow")["value_usd"].to_dict() == pytest.approx(
        {"export": 1.2e6, "import": 0.0}
    )


def test_census_codes_stored_as_numbers_keep_their_leading_zeros(tmp_path):
    path = write_census(
        tmp_path / "c.xlsx",
        [
            [2024, 15, "World, Not Seasonally Adjusted", *monthly(1.0), 12.0, *monthly(1.0), 12.0],
        ],
    )
    frame = census_country.read(path).frame
    assert set(frame["partner"]) == {"WLD"}


def test_census_codes_that_mean_one_country_are_added_and_said(tmp_path):
    path = write_census(
        tmp_path / "c.xlsx",
        [
            census_row(2011, "7320", "Sudan", monthly(1.0), monthly(2.0)),
            census_row(2011, "7321", "Sudan", monthly(0.5), monthly(0.25)),
        ],
    )
    reading = census_country.read(path)
    sudan = reading.frame[reading.frame["month"].isna()].set_index("flow")["value_usd"]
    assert sudan.to_dict() == {"export": 27e6, "import": 18e6}
    assert any("7320, 7321" in note for note in reading.accounting[0].notes)


def test_census_text_in_a_value_cell_is_an_error_naming_the_cell(tmp_path):
    row = census_row(2024, "5800", "Korea, South", monthly(1.0), monthly(1.0))
    row[5] = "(D)"  # IMAR
    path = write_census(tmp_path / "c.xlsx", [row])
    with pytest.raises(DataFileError, match=r"cell F2 \(IMAR\): expected a number, found '\(D\)'"):
        census_country.read(path)


def test_a_spreadsheet_of_another_layout_is_refused_with_the_layouts_korus_knows(tmp_path):
    path = write_census(tmp_path / "other.xlsx", [[1, 2]], header=["a", "b"])
    with pytest.raises(
        DataFileError,
        match=r"unknown layout, a spreadsheet whose sheets start .country.: \[.a., .b.\]; "
        r"korus knows: .*census-country",
    ):
        readers.read_file(path)


def write_comtrade(path: Path, rows: list[dict]) -> Path:
    header = COMTRADE_LEGACY_HEADER
    base = {column: "" for column in header}
    base.update(
        {
            "Classification": "H4",
            "Year": "2016",
            "Period": "2016",
            "Reporter Code": "842",
            "Reporter": "USA",
            "Reporter ISO": "USA",
            "Partner Code": "410",
            "Partner": "Rep. of Korea",
            "Partner ISO": "KOR",
        }
    )
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({**base, **row})
    return path


def test_comtrade_keeps_chapter_codes_as_text_and_reexports_apart(tmp_path):
    path = write_comtrade(
        tmp_path / "c.csv",
        [
            {"Trade Flow Code": "1", "Commodity Code": "01", "Trade Value (US$)": "1500"},
            {"Trade Flow Code": "2", "Commodity Code": "01", "Trade Value (US$)": "700"},
            {"Trade Flow Code": "3", "Commodity Code": "01", "Trade Value (US$)": "200"},
        ],
    )
    frame = comtrade_legacy.read(path).frame
    assert set(frame["product"]) == {"01"}
    assert frame.set_index("flow")["value_usd"].to_dict() == {
        "import": 1500.0,
        "export": 700.0,
        "re-export": 200.0,
    }
    assert frame.set_index("flow")["basis"].to_dict()["import"] == "CIF"
    assert set(frame["classification"]) == {"HS2012"}
    assert (frame["reporter"].unique().tolist(), frame["partner"].unique().tolist()) == (
        ["USA"],
        ["KOR"],
    )


def test_comtrade_breakdown_rows_are_set_aside_and_counted(tmp_path):
    path = write_comtrade(
        tmp_path / "c.csv",
        [
            {
                "Trade Flow Code": "1",
                "Commodity Code": "TOTAL",
                "Trade Value (US$)": "10",
                "Customs Proc. Code": "C00",
                "Mode of Transport Code": "0",
                "2nd Partner Code": "0",
            },
            {
                "Trade Flow Code": "1",
                "Commodity Code": "TOTAL",
                "Trade Value (US$)": "6",
                "Customs Proc. Code": "C01",
                "Mode of Transport Code": "0",
                "2nd Partner Code": "0",
            },
            {
                "Trade Flow Code": "1",
                "Commodity Code": "TOTAL",
                "Trade Value (US$)": "4",
                "Customs Proc. Code": "C00",
                "Mode of Transport Code": "1000",
                "2nd Partner Code": "0",
            },
        ],
    )
    reading = comtrade_legacy.read(path)
    assert reading.frame["value_usd"].tolist() == [10.0]
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept, account.rows_set_aside) == (3, 1, 2)


def test_comtrade_monthly_periods_become_months(tmp_path):
    path = write_comtrade(
        tmp_path / "c.csv",
        [
            {
                "Trade Flow Code": "2",
                "Period": "201609",
                "Commodity Code": "TOTAL",
                "Trade Value (US$)": "5",
            }
        ],
    )
    frame = comtrade_legacy.read(path).frame
    assert (frame.loc[0, "year"], frame.loc[0, "month"]) == (2016, 9)


def test_comtrade_code_that_lost_its_leading_zero_is_an_error(tmp_path):
    path = write_comtrade(
        tmp_path / "c.csv",
        [{"Trade Flow Code": "1", "Commodity Code": "101", "Trade Value (US$)": "5"}],
    )
    with pytest.raises(DataFileError, match=r"line 2, column 'Commodity Code'.*'101'"):
        comtrade_legacy.read(path)


def test_comtrade_unknown_flow_code_is_an_error(tmp_path):
    path = write_comtrade(
        tmp_path / "c.csv",
        [{"Trade Flow Code": "7", "Commodity Code": "01", "Trade Value (US$)": "5"}],
    )
    with pytest.raises(DataFileError, match="unknown flow code '7'"):
        comtrade_legacy.read(path)


def test_a_tidy_csv_reads_back_to_the_same_frame(tmp_path, census_file):
    frame = census_country.read(census_file).frame
    tidy.write_csv(frame, tmp_path / "t.csv")
    again = readers.read_file(tmp_path / "t.csv").frame
    pd.testing.assert_frame_equal(again, frame)


def test_a_tidy_parquet_reads_back_to_the_same_frame(tmp_path, census_file):
    frame = census_country.read(census_file).frame
    tidy.write_parquet(frame, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(readers.read_file(tmp_path / "t.parquet").frame, frame)


def test_layout_is_detected_by_content_not_by_name(tmp_path, census_file):
    renamed = tmp_path / "data.bin"
    renamed.write_bytes(census_file.read_bytes())
    assert readers.detect(renamed) == "census-country"
    comtrade = write_comtrade(
        tmp_path / "x.xlsx",
        [{"Trade Flow Code": "1", "Commodity Code": "01", "Trade Value (US$)": "1"}],
    )
    assert readers.detect(comtrade) == "comtrade-legacy"


def test_an_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataFileError, match="empty"):
        readers.read_file(path)


def test_an_unknown_header_is_shown_in_the_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataFileError, match=r"unknown layout, header 'a,b,c'; korus knows"):
        readers.read_file(path)


def test_stacked_files_that_repeat_each_other_are_an_error(tmp_path, census_file):
    frame = census_country.read(census_file).frame
    tidy.write_csv(frame, tmp_path / "a.csv")
    with pytest.raises(DataFileError, match=r"rows repeat another file's row exactly.*--dedupe"):
        readers.load([census_file, tmp_path / "a.csv"])


def test_dedupe_drops_exact_repeats_and_counts_them(tmp_path, census_file):
    frame = census_country.read(census_file).frame
    tidy.write_csv(frame, tmp_path / "a.csv")
    reading = readers.load([census_file, tmp_path / "a.csv"], dedupe=True)
    pd.testing.assert_frame_equal(reading.frame, frame)
    dedupe = reading.accounting[-1]
    assert dedupe.set_aside == {"exact repeat of another file's row (--dedupe)": len(frame)}
    assert dedupe.warnings == [
        f"{len(frame):,} rows repeat another file's row exactly: each kept once (--dedupe)"
    ]
    assert dedupe.balanced()


def test_stacked_files_that_disagree_on_a_figure_are_an_error_even_with_dedupe(
    tmp_path, census_file
):
    frame = census_country.read(census_file).frame
    changed = frame.copy()
    changed.loc[0, "value_usd"] += 1.0
    tidy.write_csv(changed, tmp_path / "a.csv")
    with pytest.raises(DataFileError, match="given more than once, with different values"):
        readers.load([census_file, tmp_path / "a.csv"], dedupe=True)


# The real agency files: skipped where ../shared/data is absent.


def test_real_census_file_gives_the_published_korea_figures():
    frame = census_country.read(shared_file("census/country.xlsx")).frame
    korea = frame[(frame["partner"] == "KOR") & frame["month"].isna()]
    values = korea.set_index(["year", "flow"])["value_usd"] / 1e6
    assert round(values[(2011, "export")], 1) == 43461.6
    assert round(values[(2016, "import")], 1) == 69886.8
    assert not (korea["year"] == 2026).any()


def test_real_census_file_accounts_for_every_row():
    reading = census_country.read(shared_file("census/country.xlsx"))
    account = reading.accounting[0]
    assert account.rows_read == 9217
    assert account.balanced()
    assert account.rows_set_aside == 144  # the six special series


def test_older_census_vintage_says_it_ends_in_august_2020():
    reading = census_country.read(shared_file("census/country_vintage-2020.xlsx"))
    assert set(reading.frame["vintage"]) == {"data through 2020-08"}
    korea_2020 = reading.frame[
        (reading.frame["partner"] == "KOR") & (reading.frame["year"] == 2020)
    ]
    assert sorted(korea_2020["month"].unique()) == list(range(1, 9))


def test_real_comtrade_legacy_file_gives_the_comtrade_balance():
    frame = comtrade_legacy.read(shared_file("comtrade/legacy_usa_kor_hs2_2010_2019.csv")).frame
    year = frame[frame["year"] == 2016]
    exports = year.loc[year["flow"] == "export", "value_usd"].sum()
    imports = year.loc[year["flow"] == "import", "value_usd"].sum()
    assert round((exports - imports) / 1e6, 1) == -29626.7


@pytest.mark.parametrize(
    ("text", "widths", "digits"),
    [
        ("2016", (4,), True),
        ("08", (), True),
        ("\u0662\u0660\u0661\u0666", (4,), False),  # Arabic-Indic: int() reads 2016
        ("\u00b2", (), False),  # superscript two: str.isdigit, yet int() fails
        ("\uff11\uff12", (), False),  # full-width 12
        ("", (), False),
        ("123", (1, 2), False),
        (" 12", (), False),
    ],
)
def test_codes_years_and_months_are_ascii_digits_only(text, widths, digits):
    from korus.readers.common import is_digits

    assert is_digits(text, *widths) is digits
