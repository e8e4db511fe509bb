"""korus fetch: the exact requests it makes, from korus's country codes, and the questions it
refuses before asking anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from korus.cli import cli
from korus.fetch import comtrade

pytestmark = pytest.mark.block_network

CENSUS = "https://api.census.gov/data/timeseries/intltrade"
COMTRADE = "https://comtradeapi.un.org"
TAIL = "&customsCode=C00&motCode=0&maxRecords=100000&format=JSON&breakdownMode=classic"
TAIL += "&includeDesc=true"


def dry_run(runner, *args: str) -> list[str]:
    result = runner.invoke(cli, ["fetch", *args, "--dry-run"])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_census_imports_of_hs_chapters_from_korea_are_one_request_a_year(runner, keys):
    urls = dry_run(
        runner, "census", "--flow", "imports", "--partner", "KOR", "--months", "2015-11..2016-12"
    )
    query = "get=CTY_NAME,I_COMMODITY,I_COMMODITY_SDESC,GEN_VAL_MO&CTY_CODE=5800&COMM_LVL=HS2"
    assert urls == [
        f"{CENSUS}/imports/hs?{query}&SUMMARY_LVL=DET&time=from+2015-11+to+2015-12"
        "&key=$CENSUS_API_KEY",
        f"{CENSUS}/imports/hs?{query}&SUMMARY_LVL=DET&time=from+2016-01+to+2016-12"
        "&key=$CENSUS_API_KEY",
    ]


def test_census_exports_of_one_chapter_at_hs4_ask_its_headings_with_a_wildcard(runner, keys):
    urls = dry_run(
        runner,
        "census",
        "--flow",
        "exports",
        "--level",
        "HS4",
        "--commodity",
        "87",
        "--partner",
        "China",
        "--months",
        "2017-09",
    )
    assert urls == [
        f"{CENSUS}/exports/hs?get=CTY_NAME,E_COMMODITY,E_COMMODITY_SDESC,ALL_VAL_MO"
        "&CTY_CODE=5700&E_COMMODITY=87*&COMM_LVL=HS4&SUMMARY_LVL=DET&time=2017-09"
        "&key=$CENSUS_API_KEY"
    ]


def test_census_imports_for_consumption_by_end_use_code_have_no_commodity_level(runner, keys):
    urls = dry_run(
        runner,
        "census",
        "--flow",
        "imports",
        "--by",
        "enduse",
        "--level",
        "5",
        "--basis",
        "consumption",
        "--partner",
        "KOR",
        "--months",
        "2017-01..2017-03",
    )
    assert urls == [
        f"{CENSUS}/imports/enduse?get=CTY_NAME,I_ENDUSE,I_ENDUSE_SDESC,CON_VAL_MO"
        "&CTY_CODE=5800&SUMMARY_LVL=DET&time=from+2017-01+to+2017-03&key=$CENSUS_API_KEY"
    ]


def test_census_naics_for_the_world_asks_the_total_of_all_countries(runner, keys):
    urls = dry_run(
        runner,
        "census",
        "--flow",
        "exports",
        "--by",
        "naics",
        "--partner",
        "WLD",
        "--months",
        "2016-12",
    )
    assert urls == [
        f"{CENSUS}/exports/naics?get=CTY_NAME,NAICS,NAICS_SDESC,ALL_VAL_MO&CTY_CODE=-"
        "&COMM_LVL=NA3&time=2016-12&key=$CENSUS_API_KEY"
    ]


def test_census_asks_each_code_of_a_country_the_census_names_twice(runner, keys):
    urls = dry_run(runner, "census", "--flow", "imports", "--partner", "ISR", "--months", "2016-01")
    assert [url.split("&CTY_CODE=")[1].split("&")[0] for url in urls] == ["5080", "5081"]


def test_census_partners_given_as_a_list_are_asked_in_turn(runner, keys):
    urls = dry_run(
        runner, "census", "--flow", "imports", "--partner", "KOR,JPN", "--months", "2016-01"
    )
    assert [url.split("&CTY_CODE=")[1].split("&")[0] for url in urls] == ["5800", "5880"]


def test_comtrade_usa_korea_for_a_year_asks_the_aggregate_rows_with_the_key(runner, keys):
    urls = dry_run(runner, "comtrade", "--reporter", "USA", "--partner", "KOR", "--years", "2016")
    assert urls == [
        f"{COMTRADE}/data/v1/get/C/A/HS?reporterCode=842&period=2016&partnerCode=410"
        f"&partner2Code=0&cmdCode=TOTAL&flowCode=M,X{TAIL}"
    ]


def test_comtrade_months_of_hs_headings_of_korea_with_the_world(runner, keys):
    urls = dry_run(
        runner,
        "comtrade",
        "--reporter",
        "Korea",
        "--partner",
        "WLD",
        "--months",
        "2017-08..2017-09",
        "--level",
        "HS4",
        "--flow",
        "exports",
    )
    assert urls == [
        f"{COMTRADE}/data/v1/get/C/M/HS?reporterCode=410&period=201708,201709&partnerCode=0"
        f"&partner2Code=0&cmdCode=AG4&flowCode=X{TAIL}"
    ]


def test_comtrade_splits_many_years_of_hs6_so_each_answer_stays_under_the_cap(runner, keys):
    urls = dry_run(
        runner,
        "comtrade",
        "--partner",
        "KOR",
        "--years",
        "2001-2016",
        "--level",
        "HS6",
        "--max-records",
        "50000",
    )
    periods = [url.split("period=")[1].split("&")[0] for url in urls]
    assert periods == ["2001,2002,2003,2004", "2005,2006,2007,2008", "2009,2010,2011,2012"] + [
        "2013,2014,2015,2016"
    ]
    assert all("maxRecords=50000&" in url for url in urls)


def test_comtrade_without_a_key_uses_the_keyless_preview_and_says_so(runner, keys, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY")
    result = runner.invoke(
        cli, ["fetch", "comtrade", "--partner", "KOR", "--years", "2016", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{COMTRADE}/public/v1/preview/C/A/HS?reporterCode=842&period=2016&partnerCode=410"
        "&partner2Code=0&cmdCode=TOTAL&flowCode=M,X&customsCode=C00&motCode=0&maxRecords=500"
        "&format=JSON&breakdownMode=classic&includeDesc=true\n"
    )
    assert result.stderr == (
        "Note: COMTRADE_API_KEY is not set: using Comtrade+'s keyless preview (at most 500 "
        "records an answer); a key lifts the limit\n"
    )


def test_base_addresses_come_from_the_environment_for_mirrors(runner, keys, monkeypatch):
    monkeypatch.setenv("KORUS_CENSUS_API", "http://127.0.0.1:8765/data/")
    monkeypatch.setenv("KORUS_COMTRADE_API", "http://127.0.0.1:8766")
    census = dry_run(
        runner, "census", "--flow", "imports", "--partner", "KOR", "--months", "2016-01"
    )
    trade = dry_run(runner, "comtrade", "--partner", "KOR", "--years", "2016")
    assert census[0].startswith("http://127.0.0.1:8765/data/timeseries/intltrade/imports/hs?get=")
    assert trade[0].startswith("http://127.0.0.1:8766/data/v1/get/C/A/HS?reporterCode=842&")


@pytest.mark.parametrize(
    ("code", "number"),
    [("USA", 842), ("KOR", 410), ("DEU", 276), ("FRA", 251), ("IND", 699), ("WLD", 0)]
    + [("CHE", 757), ("XOA", 490), ("CHN", 156)],
)
def test_comtrade_numerics_are_the_ones_comtrade_uses_today(code, number):
    assert comtrade.numeric(code) == number


def test_a_missing_census_key_names_the_variable_and_where_to_get_one(runner, keys, monkeypatch):
    monkeypatch.delenv("CENSUS_API_KEY")
    result = runner.invoke(
        cli,
        ["fetch", "census", "--flow", "imports", "--partner", "KOR", "--months", "2016-01"]
        + ["-o", "out.json"],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: CENSUS_API_KEY is not set: the Census API needs a key on every data request; "
        "get one free at https://api.census.gov/data/key_signup.html and set it (export "
        "CENSUS_API_KEY=...)\n"
    )


def test_a_comtrade_request_too_large_for_the_preview_needs_a_key(runner, keys, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY")
    result = runner.invoke(
        cli, ["fetch", "comtrade", "--partner", "KOR", "--years", "2016", "--level", "HS4"]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: COMTRADE_API_KEY is not set, and one period of one partner may take 2,600 "
        "records, more than the keyless preview gives (500): get a key at "
        "https://comtradedeveloper.un.org (subscribe to the free comtrade - v1 product) and "
        "set COMTRADE_API_KEY, or ask for a coarser --level"
    )


def test_a_census_level_of_another_classification_is_refused(runner, keys):
    result = runner.invoke(
        cli,
        ["fetch", "census", "--flow", "imports", "--by", "naics", "--level", "HS2"]
        + ["--partner", "KOR", "--months", "2016-01", "--dry-run"],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --level HS2 is not a level of --by naics: give one of NA3, NA4, NA6\n"
    )


def test_a_census_group_partner_other_than_the_world_is_refused(runner, keys):
    result = runner.invoke(
        cli,
        ["fetch", "census", "--flow", "imports", "--partner", "EUN", "--months", "2016-01"]
        + ["--dry-run"],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --partner EUN is a group: korus fetch census asks the Census API for countries "
        "(SUMMARY_LVL=DET); give its countries, or WLD for all countries\n"
    )


def test_a_base_address_that_is_not_http_is_refused(runner, keys, monkeypatch):
    monkeypatch.setenv("KORUS_COMTRADE_API", "comtradeapi.un.org")
    result = runner.invoke(
        cli, ["fetch", "comtrade", "--partner", "KOR", "--years", "2016", "--dry-run"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: KORUS_COMTRADE_API='comtradeapi.un.org' is not an http:// or https:// address: "
        "give the API's base address (by default https://comtradeapi.un.org), or unset it\n"
    )


def test_years_and_months_together_are_a_usage_error(runner, keys):
    result = runner.invoke(
        cli,
        ["fetch", "comtrade", "--partner", "KOR", "--years", "2016", "--months", "2016-01"],
    )
    assert result.exit_code == 2
    assert "give --years or --months (one of them)" in result.stderr


def test_a_fetch_without_an_output_is_a_usage_error(runner, keys):
    result = runner.invoke(cli, ["fetch", "comtrade", "--partner", "KOR", "--years", "2016"])
    assert result.exit_code == 2
    assert "give -o FILE (or -o - for standard output), or --dry-run" in result.stderr


def test_a_dry_run_shows_no_key_anywhere(runner, keys):
    census = runner.invoke(
        cli,
        ["fetch", "census", "--flow", "imports", "--partner", "KOR", "--months", "2016-01"]
        + ["--dry-run", "--verbose"],
    )
    trade = runner.invoke(
        cli, ["fetch", "comtrade", "--partner", "KOR", "--years", "2016", "--dry-run", "-v"]
    )
    shown = census.stdout + census.stderr + trade.stdout + trade.stderr
    assert census.exit_code == trade.exit_code == 0
    assert "key=$CENSUS_API_KEY" in census.stdout
    for key in keys.values():
        assert key not in shown


@pytest.mark.parametrize("args", [["fetch", "--help"], ["fetch", "census", "--help"]])
def test_fetch_help_imports_neither_the_fetch_code_nor_http_nor_pandas(args):
    code = (
        "import sys\n"
        "from korus.cli import cli\n"
        f"cli({args!r}, prog_name='korus', standalone_mode=False)\n"
        "names = ('pandas', 'korus.fetch', 'urllib.request')\n"
        "print(sorted(name for name in names if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
