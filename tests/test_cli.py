"""The korus command line, end to end on the shipped data and on small files of our own.

Figures are millions of US dollars on the Census basis unless a test says otherwise; they
are the published US-Korea figures, so a change in any of them is a regression.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_frame, shared_file
from korus.cli import cli
from korus.readers.tidy import write_csv

SRC = Path(__file__).resolve().parents[1] / "src"

# Wide enough that no caption line wraps; no colour codes even where a CI forces them.
ENV = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}

CENSUS_SOURCE = "US Census Bureau, U.S. Trade in Goods by Country (country.xlsx)"
CENSUS_BASIS = "exports: total exports, F.A.S.; imports: general imports, customs value"
COMTRADE_SOURCE = "UN Comtrade (legacy CSV)"

# command -> (arguments, money columns)
COMMANDS = {
    "deficit": (["deficit", "--years", "2011-2016"], ["exports", "imports", "balance"]),
    "growth": (["growth", "--years", "2011-2016"], ["value", "change"]),
    "sectors": (["sectors", "--year", "2016", "--top", "5"], ["exports", "imports", "value"]),
}
SOURCES = {"deficit": CENSUS_SOURCE, "growth": CENSUS_SOURCE, "sectors": COMTRADE_SOURCE}


def invoke(runner, *args: str):
    return runner.invoke(cli, list(args), env=ENV)


def ok(result):
    """Return a successful result, showing what went wrong otherwise."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def rows_of(result, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(ok(result).stdout), delimiter=delimiter))


def header_of(result, delimiter: str = ",") -> list[str]:
    return next(csv.reader(io.StringIO(ok(result).stdout), delimiter=delimiter))


def by_year(rows: list[dict[str, str]]) -> dict[int, dict[str, str]]:
    return {int(row["year"]): row for row in rows}


def tenth(row: dict[str, str], column: str) -> float:
    return round(float(row[column]), 1)


def deficit_rows(runner, *args: str) -> dict[int, dict[str, str]]:
    return by_year(rows_of(invoke(runner, "deficit", *args, "--format", "csv")))


def lines_of(result) -> list[str]:
    return [line.rstrip() for line in ok(result).stdout.splitlines()]


def cells_of_row(result, label: str) -> list[str]:
    """Return the cells of the table line whose first cell is ``label``."""
    for line in lines_of(result):
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == label:
            return cells
    raise AssertionError(f"no line {label!r} in:\n{result.stdout}")


def subprocess_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("FORCE_COLOR", None)
    return env


def hand_made_file(tmp_path: Path, rows: list[tuple]) -> Path:
    path = tmp_path / "hand.csv"
    write_csv(make_frame(rows, source="Hand-made test figures"), path)
    return path


HAND_MADE = [
    (2014, None, "export", "TOTAL", 12_345_600_000),
    (2014, None, "import", "TOTAL", 20_000_000_000),
    (2015, None, "export", "TOTAL", 11_000_000_000),
    (2015, None, "import", "TOTAL", 25_500_000_000),
]


# --- deficit: the regression figures -------------------------------------------------------


def test_deficit_prints_the_2011_korea_exports_imports_and_balance_in_millions(runner):
    row = deficit_rows(runner, "--years", "2011-2016")[2011]
    assert (row["reporter"], row["partner"]) == ("USA", "KOR")
    assert tenth(row, "exports_usd_millions") == 43461.6
    assert tenth(row, "imports_usd_millions") == 56661.4
    assert tenth(row, "balance_usd_millions") == -13199.7


def test_deficit_prints_the_2016_korea_exports_imports_and_balance_in_millions(runner):
    row = deficit_rows(runner, "--years", "2011-2016")[2016]
    assert tenth(row, "exports_usd_millions") == 42262.2
    assert tenth(row, "imports_usd_millions") == 69886.8
    assert tenth(row, "balance_usd_millions") == -27624.6


def test_deficit_csv_has_one_row_per_year_and_no_summary_rows(runner):
    rows = rows_of(invoke(runner, "deficit", "--years", "2011-2016", "--format", "csv"))
    assert [row["year"] for row in rows] == ["2011", "2012", "2013", "2014", "2015", "2016"]


def test_deficit_csv_names_census_and_its_valuation_basis_in_every_row(runner):
    rows = rows_of(invoke(runner, "deficit", "--years", "2011-2016", "--format", "csv"))
    assert {(row["source"], row["basis"], row["vintage"]) for row in rows} == {
        (CENSUS_SOURCE, CENSUS_BASIS, "data through 2026-01")
    }


def test_deficit_table_is_the_readme_example_line_for_line(runner):
    result = invoke(runner, "deficit", "--years", "2011-2016", "--format", "table")
    rule = " " + "\u2500" * 40
    wide_rule = " " + "\u2500" * 82
    assert lines_of(result) == [
        "United States trade in goods with South Korea, 2011-2016",
        "",
        "  Year    Exports    Imports     Balance",
        rule,
        "  2011   43,461.6   56,661.4   -13,199.7",
        "  2012   42,282.6   58,898.9   -16,616.4",
        "  2013   41,648.7   62,370.5   -20,721.7",
        "  2014   44,649.6   69,676.9   -25,027.3",
        "  2015   43,484.0   71,775.3   -28,291.3",
        "  2016   42,262.2   69,886.8   -27,624.6",
        "",
        "",
        "  2011 to 2016                      2011       2016     Change   % change     CAGR",
        wide_rule,
        "  Exports                       43,461.6   42,262.2   -1,199.4     -2.76%   -0.56%",
        "  Imports                       56,661.4   69,886.8   13,225.4     +23.3%   +4.28%",
        "  Deficit (imports - exports)   13,199.7   27,624.6   14,424.9    +109.3%   +15.9%",
        "",
        "Values in millions of US dollars.",
        f"Source: {CENSUS_SOURCE}.",
        f"Basis: {CENSUS_BASIS}.",
        "Vintage: data through 2026-01.",
    ]


def test_deficit_csv_prints_money_to_the_cent_as_in_the_readme(runner):
    result = invoke(runner, "deficit", "--years", "2011-2013", "--format", "csv")
    assert ok(result).stdout.splitlines()[:2] == [
        "year,reporter,partner,exports_usd_millions,imports_usd_millions,balance_usd_millions,"
        "products,source,basis,vintage",
        f"2011,USA,KOR,43461.636035,56661.359461,-13199.723426,all goods,"
        f'"{CENSUS_SOURCE}","{CENSUS_BASIS}",data through 2026-01',
    ]


def test_deficit_table_summary_shows_the_deficit_doubling_by_14424_9_or_109_3_percent(runner):
    result = invoke(runner, "deficit", "--years", "2011-2016", "--format", "table")
    assert cells_of_row(result, "Deficit (imports - exports)") == [
        "Deficit (imports - exports)",
        "13,199.7",
        "27,624.6",
        "14,424.9",
        "+109.3%",
        "+15.9%",
    ]


def test_deficit_table_summary_shows_exports_falling_2_76_percent(runner):
    result = invoke(runner, "deficit", "--years", "2011-2016", "--format", "table")
    assert cells_of_row(result, "Exports") == [
        "Exports",
        "43,461.6",
        "42,262.2",
        "-1,199.4",
        "-2.76%",
        "-0.56%",
    ]


def test_deficit_table_rows_group_thousands_and_hide_reporter_and_partner(runner):
    result = invoke(runner, "deficit", "--years", "2011-2016", "--format", "table")
    assert cells_of_row(result, "Year") == ["Year", "Exports", "Imports", "Balance"]
    assert cells_of_row(result, "2011") == ["2011", "43,461.6", "56,661.4", "-13,199.7"]


def test_deficit_table_caption_names_census_the_unit_and_the_valuation_basis(runner):
    lines = lines_of(invoke(runner, "deficit", "--years", "2011-2016", "--format", "table"))
    assert lines[-4:] == [
        "Values in millions of US dollars.",
        f"Source: {CENSUS_SOURCE}.",
        f"Basis: {CENSUS_BASIS}.",
        "Vintage: data through 2026-01.",
    ]


def test_deficit_markdown_prints_the_table_the_summary_and_the_caption(runner):
    result = invoke(runner, "deficit", "--years", "2011-2016", "--format", "markdown")
    assert ok(result).stdout == (
        "**United States trade in goods with South Korea, 2011-2016**\n"
        "\n"
        "| Year | Exports | Imports | Balance |\n"
        "|---|---:|---:|---:|\n"
        "| 2011 | 43,461.6 | 56,661.4 | -13,199.7 |\n"
        "| 2012 | 42,282.6 | 58,898.9 | -16,616.4 |\n"
        "| 2013 | 41,648.7 | 62,370.5 | -20,721.7 |\n"
        "| 2014 | 44,649.6 | 69,676.9 | -25,027.3 |\n"
        "| 2015 | 43,484.0 | 71,775.3 | -28,291.3 |\n"
        "| 2016 | 42,262.2 | 69,886.8 | -27,624.6 |\n"
        "\n"
        "| 2011 to 2016 | 2011 | 2016 | Change | % change | CAGR |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        "| Exports | 43,461.6 | 42,262.2 | -1,199.4 | -2.76% | -0.56% |\n"
        "| Imports | 56,661.4 | 69,886.8 | 13,225.4 | +23.3% | +4.28% |\n"
        "| Deficit (imports - exports) | 13,199.7 | 27,624.6 | 14,424.9 | +109.3% | +15.9% |\n"
        "\n"
        "Values in millions of US dollars.  \n"
        f"Source: {CENSUS_SOURCE}.  \n"
        f"Basis: {CENSUS_BASIS}.  \n"
        "Vintage: data through 2026-01.  \n"
    )


def test_deficit_with_china_in_2016_is_346825_2_million(runner):
    row = deficit_rows(runner, "--partner", "CHN", "--years", "2016")[2016]
    assert row["partner"] == "CHN"
    assert tenth(row, "balance_usd_millions") == -346825.2


def test_deficit_with_japan_named_in_words_in_2016_is_68753_4_million(runner):
    row = deficit_rows(runner, "--partner", "Japan", "--years", "2016")[2016]
    assert row["partner"] == "JPN"
    assert tenth(row, "balance_usd_millions") == -68753.4


def test_deficit_with_korea_in_2024_and_2025(runner):
    rows = deficit_rows(runner, "--years", "2024-2025")
    assert sorted(rows) == [2024, 2025]
    assert tenth(rows[2024], "balance_usd_millions") == -65966.9
    assert tenth(rows[2025], "balance_usd_millions") == -56416.0


def test_unit_usd_prints_whole_us_dollars(runner):
    result = invoke(runner, "deficit", "--years", "2016", "--unit", "usd", "--format", "csv")
    row = rows_of(result)[0]
    assert round(float(row["balance_usd"])) == -27_624_591_339
    assert round(float(row["exports_usd"])) == 42_262_186_687


def test_default_years_are_the_last_six_whole_years(runner):
    rows = deficit_rows(runner)
    assert sorted(rows) == [2020, 2021, 2022, 2023, 2024, 2025]


@pytest.mark.parametrize("years", ["2026", "2025-2026"])
def test_a_year_holding_january_only_is_refused_in_one_error_line(runner, years):
    result = invoke(runner, "deficit", "--years", years, "--format", "csv")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 2026 holds January only (data through 2026-01): a partial year is not a "
        "year; choose years up to 2025\n"
    )


# --- partner names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Korea",
        "South Korea",
        "Korea, South",
        "Republic of Korea",
        "Rep. of Korea",
        "KR",
        "410",
        "5800",
    ],
)
def test_every_name_of_south_korea_gives_the_output_of_kor(runner, name):
    expected = ok(invoke(runner, "deficit", "--partner", "KOR", "--years", "2016")).stdout
    result = invoke(runner, "deficit", "--partner", name, "--years", "2016", "--format", "csv")
    assert ok(result).stdout == expected
    assert tenth(rows_of(result)[0], "balance_usd_millions") == -27624.6


def test_north_korea_is_not_taken_for_south_korea(runner):
    row = deficit_rows(runner, "--partner", "Korea, North", "--years", "2016")[2016]
    assert row["partner"] == "PRK"
    assert tenth(row, "balance_usd_millions") == 0.1


def test_an_unknown_partner_is_one_error_line_naming_the_nearest_names(runner):
    result = invoke(runner, "deficit", "--partner", "Koria", "--years", "2016")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: --partner: unknown country 'Koria'")
    assert "South Korea (KOR)" in lines[0]
    assert "Traceback" not in result.output


# --- growth --------------------------------------------------------------------------------


def test_growth_csv_has_value_change_and_percent_columns_with_provenance(runner):
    header = header_of(invoke(runner, "growth", "--years", "2011-2016", "--format", "csv"))
    assert header == [
        "year",
        "reporter",
        "partner",
        "measure",
        "value_usd_millions",
        "change_usd_millions",
        "pct_change",
        "years_between",
        "products",
        "source",
        "basis",
        "vintage",
    ]


def test_growth_of_exports_in_2016_is_minus_2_81_percent_on_2015(runner):
    rows = by_year(rows_of(invoke(runner, "growth", "--years", "2011-2016", "--format", "csv")))
    row = rows[2016]
    assert row["measure"] == "exports"
    assert tenth(row, "value_usd_millions") == 42262.2
    assert tenth(row, "change_usd_millions") == -1221.8
    assert round(float(row["pct_change"]), 2) == -2.81
    assert row["years_between"] == "1"


def test_growth_leaves_the_first_year_change_empty_in_csv(runner):
    rows = by_year(rows_of(invoke(runner, "growth", "--years", "2011-2016", "--format", "csv")))
    first = rows[2011]
    assert (first["change_usd_millions"], first["pct_change"], first["years_between"]) == (
        "",
        "",
        "",
    )


def test_growth_json_gives_null_for_the_first_year_change(runner):
    result = invoke(runner, "growth", "--years", "2011-2016", "--format", "json")
    first = json.loads(ok(result).stdout)[0]
    assert first["year"] == 2011
    assert first["pct_change"] is None
    assert first["change_usd_millions"] is None


def test_growth_of_the_deficit_is_the_deficit_report_balance_turned_positive(runner):
    balances = deficit_rows(runner, "--years", "2011-2016")
    result = invoke(
        runner, "growth", "--years", "2011-2016", "--flow", "deficit", "--format", "csv"
    )
    rows = by_year(rows_of(result))
    assert sorted(rows) == sorted(balances)
    for year, row in rows.items():
        assert row["measure"] == "deficit"
        assert float(row["value_usd_millions"]) == pytest.approx(
            -float(balances[year]["balance_usd_millions"]), rel=1e-12
        )
    assert round(float(rows[2012]["pct_change"]), 2) == 25.88
    assert round(float(rows[2016]["pct_change"]), 2) == -2.36  # the deficit narrowed


def test_growth_of_the_balance_is_the_deficit_report_balance(runner):
    balances = deficit_rows(runner, "--years", "2011-2016")
    result = invoke(
        runner, "growth", "--years", "2011-2016", "--flow", "balance", "--format", "csv"
    )
    rows = by_year(rows_of(result))
    for year, row in rows.items():
        assert row["measure"] == "balance"
        assert float(row["value_usd_millions"]) == pytest.approx(
            float(balances[year]["balance_usd_millions"]), rel=1e-12
        )
    assert tenth(rows[2016], "change_usd_millions") == 666.8
    assert round(float(rows[2016]["pct_change"]), 2) == 2.36  # the balance rose


def test_growth_table_summary_of_the_deficit_matches_the_deficit_report(runner):
    result = invoke(
        runner, "growth", "--years", "2011-2016", "--flow", "deficit", "--format", "table"
    )
    assert cells_of_row(result, "2011 to 2016") == ["2011 to 2016", "14,424.9", "+109.3%", "+15.9%"]


def test_growth_between_years_apart_says_how_many_years_the_change_spans(runner):
    result = invoke(runner, "growth", "--years", "2011,2016", "--format", "csv")
    rows = by_year(rows_of(result))
    assert rows[2016]["years_between"] == "5"
    assert round(float(rows[2016]["pct_change"]), 2) == -2.76


# --- sectors -------------------------------------------------------------------------------


def sector_rows(runner, *args: str) -> list[dict[str, str]]:
    return rows_of(invoke(runner, "sectors", "--year", "2016", *args, "--format", "csv"))


def test_sectors_puts_vehicles_first_among_2016_imports_from_korea(runner):
    first = sector_rows(runner, "--flow", "imports", "--top", "5")[0]
    assert first["product"] == "87"
    assert first["product_name"].startswith("Vehicles")
    assert tenth(first, "value_usd_millions") == 21517.0
    assert tenth(first, "share_pct") == 29.9


def test_sectors_table_is_the_readme_example_line_for_line(runner):
    result = invoke(
        runner, "sectors", "--year", "2016", "--flow", "imports", "--top", "5", "--format", "table"
    )
    assert lines_of(result) == [
        "United States imports from South Korea by HS chapter, 2016, top 5 of 97",
        "",
        "  HS   Chapter                                            2016   Share of imports",
        " " + "\u2500" * 81,
        "  87   Vehicles; other than railway or tramway rol\u2026   21,517.0              29.9%",
        "  85   Electrical machinery and equipment and part\u2026   16,112.4              22.4%",
        "  84   Machinery and mechanical appliances, boiler\u2026   10,363.4              14.4%",
        "  30   Pharmaceutical products                         2,415.5              3.36%",
        "  27   Mineral fuels, mineral oils and products of\u2026    2,347.2              3.27%",
        "",
        "",
        "  All 97 chapters, 2016   71,887.6",
        "",
        "Values in millions of US dollars.",
        f"Source: {COMTRADE_SOURCE}.",
        "Basis: imports: CIF.",
        "Vintage: legacy Comtrade extract; release date not stated in the file.",
        "No figure in the data for HS 02 (imports in 2016): shown n/a and listed last, never "
        "taken for 0; the whole includes what",
        "the data has.",
    ]


def test_sectors_top_5_lists_the_five_largest_chapters_largest_first(runner):
    rows = sector_rows(runner, "--flow", "imports", "--top", "5")
    assert [row["product"] for row in rows] == ["87", "85", "84", "30", "27"]
    values = [float(row["value_usd_millions"]) for row in rows]
    assert values == sorted(values, reverse=True)


def test_sectors_names_un_comtrade_and_the_cif_basis_of_imports(runner):
    rows = sector_rows(runner, "--flow", "imports", "--top", "5")
    assert {(row["source"], row["basis"]) for row in rows} == {(COMTRADE_SOURCE, "imports: CIF")}


def test_sectors_balance_puts_vehicles_first_with_65_2_percent_of_the_deficit(runner):
    rows = sector_rows(runner, "--flow", "balance", "--top", "3")
    first = rows[0]
    assert first["product"] == "87"
    assert tenth(first, "value_usd_millions") == -19321.1
    assert tenth(first, "share_pct") == 65.2
    assert first["basis"] == "exports: FOB; imports: CIF"


def test_sectors_table_summary_gives_the_all_chapter_total(runner):
    result = invoke(
        runner, "sectors", "--year", "2016", "--flow", "imports", "--top", "5", "--format", "table"
    )
    assert cells_of_row(result, "All 97 chapters, 2016") == ["All 97 chapters, 2016", "71,887.6"]


def test_sectors_since_adds_the_earlier_value_and_the_change(runner):
    result = invoke(
        runner, "sectors", "--year", "2016", "--since", "2011", "--top", "3", "--format", "csv"
    )
    header = header_of(result)
    assert header[6:13] == [
        "exports_usd_millions",
        "imports_usd_millions",
        "value_usd_millions",
        "share_pct",
        "value_since_usd_millions",
        "change_usd_millions",
        "pct_change",
    ]
    vehicles = rows_of(result)[0]
    assert vehicles["product"] == "87"
    assert tenth(vehicles, "value_since_usd_millions") == -11310.4
    assert tenth(vehicles, "change_usd_millions") == -8010.7
    assert tenth(vehicles, "pct_change") == -70.8


def test_sectors_csv_keeps_the_leading_zero_of_chapter_codes(runner):
    rows = sector_rows(runner, "--flow", "exports")
    products = [row["product"] for row in rows]
    assert "01" in products
    assert all(re.fullmatch(r"\d\d", code) for code in products)


def test_sectors_json_keeps_chapter_codes_as_text_with_their_leading_zero(runner):
    result = invoke(runner, "sectors", "--year", "2016", "--flow", "exports", "--format", "json")
    products = [record["product"] for record in json.loads(ok(result).stdout)]
    assert "01" in products
    assert all(isinstance(code, str) and len(code) == 2 for code in products)


# --- every command in every format ---------------------------------------------------------


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_delimited_output_names_the_unit_in_every_money_column(runner, command, fmt, delimiter):
    args, money = COMMANDS[command]
    result = invoke(runner, *args, "--format", fmt)
    header = header_of(result, delimiter)
    assert [c for c in header if "usd" in c] == [f"{m}_usd_millions" for m in money]
    assert not set(money) & set(header)
    rows = rows_of(result, delimiter)
    assert rows and all(len(row) == len(header) for row in rows)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_billions_are_the_millions_divided_by_a_thousand(runner, command):
    args, money = COMMANDS[command]
    in_millions = rows_of(invoke(runner, *args, "--format", "csv"))
    in_billions = rows_of(invoke(runner, *args, "--format", "csv", "--unit", "billions"))
    assert len(in_billions) == len(in_millions)
    for small, large in zip(in_billions, in_millions, strict=True):
        for column in money:
            if large[f"{column}_usd_millions"] == "":
                assert small[f"{column}_usd_billions"] == ""
            else:
                assert float(small[f"{column}_usd_billions"]) * 1000 == pytest.approx(
                    float(large[f"{column}_usd_millions"]), rel=1e-12
                )


def _no_constants(name: str):
    raise AssertionError(f"JSON holds {name}, which is not JSON")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_json_output_is_a_list_of_records_with_the_csv_columns_and_no_nan(runner, command):
    args, _ = COMMANDS[command]
    header = header_of(invoke(runner, *args, "--format", "csv"))
    result = invoke(runner, *args, "--format", "json")
    records = json.loads(ok(result).stdout, parse_constant=_no_constants)
    assert isinstance(records, list) and records
    assert all(list(record) == header for record in records)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_markdown_output_is_a_pipe_table_with_the_caption(runner, command):
    args, _ = COMMANDS[command]
    lines = ok(invoke(runner, *args, "--format", "markdown")).stdout.splitlines()
    assert lines[0].startswith("**") and lines[0].endswith("**")
    assert lines[2].startswith("| ") and lines[2].endswith(" |")
    assert re.fullmatch(r"\|(?:---:?\|)+", lines[3])
    assert lines[2].count("|") == lines[3].count("|") == lines[4].count("|")
    assert "Values in millions of US dollars.  " in lines
    assert f"Source: {SOURCES[command]}.  " in lines


@pytest.mark.parametrize("command", list(COMMANDS))
def test_table_output_ends_with_unit_source_and_basis_lines(runner, command):
    args, _ = COMMANDS[command]
    lines = lines_of(invoke(runner, *args, "--format", "table"))
    assert "Values in millions of US dollars." in lines
    assert f"Source: {SOURCES[command]}." in lines
    assert any(line.startswith("Basis: ") for line in lines)
    assert "\x1b[" not in "\n".join(lines)


def test_auto_format_in_a_pipe_is_csv(runner):
    auto = invoke(runner, "deficit", "--years", "2016")
    explicit = invoke(runner, "deficit", "--years", "2016", "--format", "csv")
    assert ok(auto).stdout == ok(explicit).stdout
    assert auto.stdout.startswith("year,reporter,partner,exports_usd_millions,")


# --- usage and data errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["deficit", "--years", "20x6"], "'20x6' is not a year"),
        (["deficit", "--years", "2016-2011"], "range '2016-2011' runs backwards"),
        (["growth", "--years", "2011-x"], "'2011-x' is not a year"),
        (["deficit", "--format", "xml"], "'xml' is not one of"),
        (["deficit", "--bogus"], "No such option '--bogus'"),
        (["sectors", "--year", "2016", "--top", "0"], "Invalid value for '--top'"),
    ],
)
def test_a_usage_error_exits_2_with_the_usage_and_the_reason(runner, args, message):
    result = invoke(runner, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: ")
    assert message in result.stderr.splitlines()[-1]


def test_a_missing_data_file_is_one_error_line_naming_it(runner, tmp_path):
    missing = tmp_path / "nowhere.csv"
    result = invoke(runner, "deficit", "--data", str(missing))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {missing}: no such file\n"


def test_a_file_of_unknown_layout_is_refused_showing_the_header_it_has(runner, tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = invoke(runner, "deficit", "--data", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {path}: unknown layout, header 'a,b,c'")


def test_a_year_outside_the_data_is_an_error_saying_what_it_covers(runner):
    result = invoke(runner, "deficit", "--years", "1900")
    assert result.exit_code == 1
    assert (
        result.stderr == "Error: the data holds no USA-KOR trade for 1900 (it covers 1985-2025)\n"
    )


def test_sectors_of_a_year_without_chapters_is_an_error_giving_the_years_held(runner):
    result = invoke(runner, "sectors", "--year", "2016", "--since", "2009")
    assert result.exit_code == 1
    assert result.stderr == "Error: the data holds no HS products for 2009 (it has 2010-2019)\n"


# --- files of one's own --------------------------------------------------------------------


def test_deficit_of_a_tidy_file_gives_its_own_figures(runner, tmp_path):
    path = hand_made_file(tmp_path, HAND_MADE)
    rows = deficit_rows(runner, "--data", str(path), "--years", "2014-2015")
    assert sorted(rows) == [2014, 2015]
    columns = ("exports_usd_millions", "imports_usd_millions", "balance_usd_millions")
    assert [float(rows[2014][c]) for c in columns] == [12345.6, 20000.0, -7654.4]
    assert [float(rows[2015][c]) for c in columns] == [11000.0, 25500.0, -14500.0]


def test_deficit_of_a_tidy_file_names_the_source_and_basis_of_that_file(runner, tmp_path):
    path = hand_made_file(tmp_path, HAND_MADE)
    rows = deficit_rows(runner, "--data", str(path), "--years", "2014-2015")
    assert {(row["source"], row["basis"], row["vintage"]) for row in rows.values()} == {
        ("Hand-made test figures", "exports: FOB; imports: CIF", "test vintage")
    }
    table = invoke(runner, "deficit", "--data", str(path), "--years", "2014", "--format", "table")
    assert "Source: Hand-made test figures." in lines_of(table)


def test_deficit_of_a_tidy_file_without_the_asked_year_says_what_it_covers(runner, tmp_path):
    path = hand_made_file(tmp_path, HAND_MADE)
    result = invoke(runner, "deficit", "--data", str(path), "--years", "2016")
    assert result.exit_code == 1
    assert (
        result.stderr == "Error: the data holds no USA-KOR trade for 2016 (it covers 2014-2015)\n"
    )


def test_deficit_prints_no_percent_change_for_a_balance_that_changes_sign(runner, tmp_path):
    path = hand_made_file(
        tmp_path,
        [
            (2014, None, "export", "TOTAL", 100_000_000),
            (2014, None, "import", "TOTAL", 80_000_000),
            (2015, None, "export", "TOTAL", 100_000_000),
            (2015, None, "import", "TOTAL", 150_000_000),
        ],
    )
    result = invoke(
        runner, "deficit", "--data", str(path), "--years", "2014-2015", "--format", "markdown"
    )
    lines = ok(result).stdout.splitlines()
    assert (
        "Balance: no % change or growth rate, as the value changes sign (no percentage across "
        "zero).  "
    ) in lines
    assert "| Balance | 20.0 | -50.0 | -70.0 | n/a | n/a |" in lines


def test_deficit_of_the_legacy_comtrade_file_gives_its_cif_based_balance(runner):
    path = shared_file("comtrade/legacy_usa_kor_hs2_2010_2019.csv")
    rows = deficit_rows(runner, "--data", str(path), "--years", "2011-2016")
    assert tenth(rows[2011], "balance_usd_millions") == -15144.4
    assert tenth(rows[2016], "balance_usd_millions") == -29626.7
    assert {(row["source"], row["basis"]) for row in rows.values()} == {
        (COMTRADE_SOURCE, "exports: FOB; imports: CIF")
    }


# --- --verbose -----------------------------------------------------------------------------


def test_verbose_gives_the_row_accounting_on_stderr_only(runner):
    quiet = invoke(runner, "deficit", "--years", "2016", "--format", "csv")
    loud = invoke(runner, "deficit", "--years", "2016", "--format", "csv", "--verbose")
    assert ok(loud).stdout == ok(quiet).stdout
    assert quiet.stderr == ""
    assert re.fullmatch(
        r"korus shipped data: census_country\.parquet: korus-parquet; "
        r"([\d,]+) rows read, \1 kept, 0 set aside\n",
        loud.stderr,
    )


def test_verbose_counts_the_rows_of_a_file_of_ones_own(runner, tmp_path):
    path = hand_made_file(tmp_path, HAND_MADE)
    result = invoke(runner, "deficit", "--data", str(path), "--years", "2014", "-v")
    assert ok(result).stderr == f"{path}: korus-csv; 4 rows read, 4 kept, 0 set aside\n"


# --- help ----------------------------------------------------------------------------------


def test_help_lists_every_command(runner):
    help_text = ok(invoke(runner, "--help")).stdout
    section = help_text.split("Commands:\n")[1].split("\n\n")[0]
    assert [line.split()[0] for line in section.splitlines()] == [
        "cache",
        "check",
        "completion",
        "config",
        "convert",
        "deficit",
        "fetch",
        "growth",
        "help",
        "ingest",
        "inspect",
        "mirror",
        "partners",
        "sectors",
        "world",
    ]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_help_has_examples_of_that_command(runner, command):
    help_text = ok(invoke(runner, command, "--help")).stdout
    examples = help_text.split("Examples:\n")[1].split("\n\n")[0].splitlines()
    assert examples
    assert all(line.strip().startswith(f"korus {command} ") for line in examples)


def test_python_dash_m_korus_help_works():
    result = subprocess.run(
        [sys.executable, "-m", "korus", "--help"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Usage: korus [OPTIONS] COMMAND [ARGS]..."
    assert result.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["deficit", "--help"], ["sectors", "--help"]])
def test_help_does_not_import_pandas(args):
    code = (
        "import sys\n"
        "from korus.cli import cli\n"
        f"cli({args!r}, prog_name='korus', standalone_mode=False)\n"
        "print('pandas' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: korus" in result.stdout
    assert result.stdout.splitlines()[-1] == "False"


# --- pipes ---------------------------------------------------------------------------------


def test_a_reader_closing_the_pipe_early_ends_korus_quietly():
    read_end, write_end = os.pipe()
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        fcntl = None
    small_pipe = hasattr(fcntl, "F_SETPIPE_SZ")
    if small_pipe:
        # A small pipe, so that korus's 9 kB of CSV cannot all fit before the reader leaves.
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        [sys.executable, "-m", "korus", "deficit", "--years", "1985-2025"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    os.close(write_end)
    first = b""
    while not first.endswith(b"\n"):
        byte = os.read(read_end, 1)
        if not byte:
            break
        first += byte
    os.close(read_end)
    _, stderr = process.communicate(timeout=120)
    assert first.startswith(b"year,reporter,partner,exports_usd_millions,")
    assert b"Traceback" not in stderr
    assert b"BrokenPipe" not in stderr
    assert stderr == b""
    # Killed by SIGPIPE like cat (status 141 in a shell), not exit 1 like a data error.
    expected = {-signal.SIGPIPE} if small_pipe else {0, -signal.SIGPIPE}
    assert process.returncode in expected


def test_each_years_figures_carry_that_years_own_release(runner):
    # The example's 2015 figures are of the 2016 release, its 2016 figures of the 2017 one:
    # a year's row names its own release, never every release of the file.
    example = Path(__file__).resolve().parents[1] / "examples" / "my-trade.csv"
    out = ok(invoke(runner, "deficit", "--data", str(example), "--years", "2015-2016"))
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(row["year"], row["vintage"]) for row in rows] == [
        ("2015", "2016 release"),
        ("2016", "2017 release"),
    ]
