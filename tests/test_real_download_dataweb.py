"""The real DataWeb download: US domestic exports to China by HTS chapter, 2023, FAS value.

Its figures, as DataWeb gives them (SOURCES.md): the Total: row 125,801,943,398 US dollars;
chapter 87 7,830,337,096.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import shared_file
from korus import readers
from korus.cli import cli
from korus.readers import usitc

DOWNLOAD = "downloads/DataWeb-Query-Export.xlsx"
TOTAL_USD = 125_801_943_398
CHAPTER_87_USD = 7_830_337_096


@pytest.fixture(scope="module")
def reading():
    return readers.load([shared_file(DOWNLOAD)])


def inspected(runner) -> dict[str, list[str]]:
    result = runner.invoke(cli, ["inspect", str(shared_file(DOWNLOAD)), "--format", "json"])
    assert result.exit_code == 0, result.output
    fields: dict[str, list[str]] = {}
    for row in json.loads(result.stdout):
        fields.setdefault(row["field"], []).append(row["value"])
    return fields


def test_the_download_is_recognised_by_its_content():
    assert readers.detect(shared_file(DOWNLOAD)) == "usitc-dataweb"


def test_the_download_adds_up_to_its_total_row(reading):
    assert reading.frame["value_usd"].sum() == TOTAL_USD


def test_chapter_87_is_the_figure_dataweb_gives(reading):
    frame = reading.frame
    assert frame.loc[frame["product"] == "87", "value_usd"].tolist() == [CHAPTER_87_USD]


def test_the_download_is_domestic_exports_to_china_in_2023_by_chapter(reading):
    frame = reading.frame
    assert set(zip(frame["reporter"], frame["partner"], frame["flow"], strict=True)) == {
        ("USA", "CHN", "export")
    }
    assert set(frame["year"]) == {2023} and frame["month"].isna().all()
    assert set(frame["product"].str.len()) == {2}


def test_chapter_01_keeps_its_leading_zero(reading):
    frame = reading.frame
    assert frame.loc[frame["product"] == "01", "value_usd"].tolist() == [31_289_669]


def test_the_basis_is_domestic_exports_and_says_so(reading):
    assert set(reading.frame["basis"]) == {"domestic exports, F.A.S."}
    assert (
        "exports are domestic exports only (US goods, without re-exports of foreign goods): "
        "lower than the Census's total exports, and kept under their own basis"
    ) in reading.accounting[0].notes


def test_every_row_is_accounted_for_and_the_total_row_is_no_country(reading):
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept, account.rows_set_aside) == (98, 97, 1)
    assert account.set_aside == {"Total: row (the sum of the rows above, not a country)": 1}


def test_the_vintage_is_the_download_date(reading):
    assert set(reading.frame["vintage"]) == {
        "data through 2023; downloaded from DataWeb 2025-04-05"
    }


def test_inspect_names_the_variant(runner):
    assert inspected(runner)["layout"] == [
        "usitc-dataweb (workbook with Query Parameters: a column per year; by HTS number; no "
        "country column, China from sheet 'Query Parameters')"
    ]


def test_inspect_names_the_sheets_read_and_left_aside(runner):
    fields = inspected(runner)
    assert (fields["sheets read"], fields["sheets left aside"]) == (
        ["'Query Parameters', 'FAS Value'"],
        ["none"],
    )


def test_inspect_says_the_coverage_is_all_goods_by_chapter(runner):
    assert "coverage: all goods, by chapter (sheet 'Query Parameters')" in inspected(runner)["note"]


def test_sectors_gives_chapter_87_through_the_cli(runner):
    result = runner.invoke(
        cli,
        [
            "sectors",
            "--reporter",
            "USA",
            "--partner",
            "CHN",
            "--year",
            "2023",
            "--flow",
            "exports",
            "--data",
            str(shared_file(DOWNLOAD)),
            "--unit",
            "usd",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {row["product"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert float(rows["87"]["value_usd"]) == CHAPTER_87_USD
    assert round(float(rows["87"]["share_pct"]), 4) == round(CHAPTER_87_USD / TOTAL_USD * 100, 4)
    assert rows["87"]["basis"] == "exports: domestic exports, F.A.S."


def test_sectors_in_millions_shows_chapter_87_to_the_dollar(runner):
    result = runner.invoke(
        cli,
        [
            "sectors",
            "--reporter",
            "USA",
            "--partner",
            "CHN",
            "--year",
            "2023",
            "--flow",
            "exports",
            "--data",
            str(shared_file(DOWNLOAD)),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {row["product"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["87"]["value_usd_millions"] == "7830.337096"


def test_the_reader_alone_gives_the_same_frame_as_a_load(reading):
    assert usitc.read(shared_file(DOWNLOAD)).frame.equals(reading.frame)
