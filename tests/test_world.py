"""korus world: a year's world totals by product, summed where the data is, equal to the
sums of the rows to the cent, from whole years only, never adding groups."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest

from generated_panel import HEADER, write_panel
from korus.cli import cli

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}


def ask(runner, *args):
    return runner.invoke(cli, [str(arg) for arg in args], env=ENV)


def answer(runner, *args) -> list[dict]:
    result = ask(runner, "world", *args, "--format", "csv", "--unit", "usd")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture(scope="module")
def panel(tmp_path_factory) -> tuple[list[Path], Path]:
    """The generated panel's files and a store of them."""
    from click.testing import CliRunner

    root = tmp_path_factory.mktemp("world")
    paths = write_panel(root / "files")
    made = CliRunner().invoke(cli, ["ingest", *map(str, paths), "--into", str(root / "store")])
    assert made.exit_code == 0, made.output
    return paths, root / "store"


def expected_cents(paths, year: int, flow: str, digits: int = 2, reporter=None) -> dict:
    """Each product group's sum in cents, added up from the files' lines by hand: the
    year's rows of the flow between countries (the World left out)."""
    sums: dict[str, int] = defaultdict(int)
    for path in paths:
        for line in path.read_text().splitlines()[1:]:
            fields = line.split(",")
            if int(fields[0]) != year or fields[4] != flow or fields[3] == "WLD":
                continue
            if reporter is not None and fields[2] != reporter:
                continue
            units, cents = fields[7].split(".")
            sums[fields[5][:digits]] += int(units) * 100 + int(cents)
    return dict(sums)


def cents(rows: list[dict]) -> dict:
    return {row["product"]: round(float(row["value_usd"]) * 100) for row in rows}


@pytest.mark.parametrize("year", [2016, 2018], ids=["stated years", "twelve months"])
@pytest.mark.parametrize("source", ["files", "store"])
def test_world_totals_are_the_sums_of_the_rows_to_the_cent(runner, panel, year, source):
    paths, store = panel
    data = store if source == "store" else paths[0].parent
    rows = answer(runner, "--data", data, "--year", year, "--flow", "imports")
    assert cents(rows) == expected_cents(paths, year, "import")
    assert [row["rank"] for row in rows] == [str(rank) for rank in range(1, 13)]
    values = [float(row["value_usd"]) for row in rows]
    assert values == sorted(values, reverse=True)
    assert sum(float(row["share_pct"]) for row in rows) == pytest.approx(100.0)
    assert {row["source"] for row in rows} == {"Generated panel"}


def test_the_world_is_never_added_to_the_countries(runner, panel):
    paths, store = panel
    rows = answer(runner, "--data", store, "--year", 2015)
    with_world = expected_cents(paths, 2015, "export")
    # The panel's World rows are twice the three partners: added, every figure would triple.
    assert cents(rows) == with_world


def test_one_reporter_s_world_totals(runner, panel):
    paths, store = panel
    rows = answer(runner, "--data", store, "--year", 2017, "--reporter", "Korea")
    assert cents(rows) == expected_cents(paths, 2017, "export", reporter="KOR")


def test_the_same_question_of_the_files_and_of_the_store_prints_the_same(runner, panel):
    paths, store = panel
    of_store = ask(runner, "world", "--data", store, "--year", 2018, "--format", "csv")
    of_files = ask(runner, "world", "--data", paths[0].parent, "--year", 2018, "--format", "csv")
    assert of_store.exit_code == of_files.exit_code == 0
    assert of_store.stdout == of_files.stdout


def test_a_series_with_only_some_months_is_left_out_and_named(runner, tmp_path):
    lines = [HEADER]
    for month in range(1, 13):
        lines.append(f"2019,{month},USA,KOR,export,87,HS2012,100.25,Test,FOB,v1")
    for month in range(1, 7):
        lines.append(f"2019,{month},USA,CHN,export,87,HS2012,1000,Test,FOB,v1")
    path = tmp_path / "months.csv"
    path.write_text("\n".join(lines) + "\n")
    result = ask(runner, "world", "--data", path, "--year", 2019, "--format", "csv")
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert row["value_usd_millions"] == "0.001203"  # 12 x 100.25, China's six months left out
    assert result.stderr == (
        "Note: (world totals): left out, holding only some months of 2019 (a partial year is "
        "never a year): USA exports to CHN\n"
    )
    imports = path.read_text().replace(",export,", ",import,").replace(",FOB,", ",CIF,")
    path.write_text(imports)
    result = ask(runner, "world", "--data", path, "--year", 2019, "--flow", "imports")
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("never a year): USA imports from CHN\n")


def test_product_codes_of_two_levels_are_refused(runner, tmp_path):
    path = tmp_path / "levels.csv"
    path.write_text(
        f"{HEADER}\n2016,,USA,KOR,export,87,HS2012,10,Test,FOB,v1\n"
        "2016,,USA,CHN,export,870323,HS2012,5,Test,FOB,v1\n"
    )
    result = ask(runner, "world", "--data", path, "--year", 2016)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the data gives exports of 2016 in several product lists or levels (HS, 2-digit "
        "and 6-digit codes): world totals add up one level of one list; give files of one\n"
    )


def test_a_year_the_data_does_not_hold_is_an_error(runner, panel):
    _, store = panel
    result = ask(runner, "world", "--data", store, "--year", 2009)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the data holds no exports by product between countries in 2009 (whole years "
        "only: a year of some months is never a year)\n"
    )


def test_headings_need_four_digit_codes(runner, panel):
    _, store = panel
    result = ask(runner, "world", "--data", store, "--year", 2016, "--by", "heading")
    assert result.exit_code == 1
    assert result.stderr == "Error: HS headings need product codes of 4 digits; the data has 2\n"


def test_world_totals_need_data_of_the_user(runner):
    result = ask(runner, "world", "--year", 2016)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: world totals by product need every reporter's")


def test_the_year_is_required(runner, panel):
    result = ask(runner, "world", "--data", panel[1])
    assert result.exit_code == 2
    assert "give the year: --year YEAR" in result.stderr


def test_two_sources_of_a_store_giving_one_series_are_refused_over_the_store(runner, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(f"{HEADER}\n2016,,USA,KOR,export,87,HS2012,10,Test,FOB,v1\n")
    second.write_text(f"{HEADER}\n2016,,USA,KOR,export,85,HS2012,7,Test,FOB,v1\n")
    store = tmp_path / "store"
    assert ask(runner, "ingest", first, second, "--into", store).exit_code == 0
    result = ask(runner, "world", "--data", store, "--year", 2016)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {first} and {second} both give USA exports to KOR in 2016 (Test): over a "
        "store, world totals are added up from sources that give each series once; give the "
        "files themselves with --data\n"
    )
    # The files themselves: each figure once, read row by row.
    rows = answer(runner, "--data", first, "--data", second, "--year", 2016)
    assert cents(rows) == {"87": 1000, "85": 700}


def test_a_part_summed_in_chunks_of_row_groups_gives_the_same_totals(runner, tmp_path, monkeypatch):
    from korus import store
    from korus.engine import plans

    paths = write_panel(tmp_path / "files")
    monkeypatch.setattr(store, "ROW_GROUP", 100)  # the 2018 part: 47 row groups
    assert ask(runner, "ingest", *paths, "--into", tmp_path / "store").exit_code == 0
    monkeypatch.setattr(plans, "CHUNK", 5)
    scans = store.scans(tmp_path / "store", year=2018, chunk=plans.CHUNK)
    assert [scan.chunk for scan in scans] == [(first, first + 5) for first in range(0, 47, 5)]
    rows = answer(runner, "--data", tmp_path / "store", "--year", 2018)
    assert cents(rows) == expected_cents(paths, 2018, "export")


def test_the_table_says_what_a_group_adds_up_in_one_note_not_row_by_row(runner, panel):
    _, store = panel
    result = ask(runner, "world", "--data", store, "--year", 2016, "--format", "table")
    assert result.exit_code == 0, result.output
    assert "Products:" not in result.stdout
    assert "the machine formats' products column says it for each." in " ".join(
        result.stdout.split()
    )
    machine = answer(runner, "--data", store, "--year", 2016)
    assert {row["products"] for row in machine} == {f"HS {row['product']}" for row in machine}


@pytest.mark.parametrize("rows", [1, 7, 100])
def test_files_summed_a_slice_of_rows_at_a_time_give_the_sums_of_the_rows(
    runner, tmp_path, monkeypatch, rows
):
    """Over files, each slice of rows is judged alone first, as a store's part is: a
    series whose months (or whose stated year and months) lie in several slices is
    summed again knowing them all, never left out, never added twice."""
    from korus.engine import plans

    paths = write_panel(tmp_path / "files")
    lines = [HEADER]
    for month in range(1, 13):  # twelve months, each its own slice where rows == 1
        lines.append(f"2019,{month},USA,KOR,export,87,HS2012,100.25,Test,FOB,v1")
    for month in range(1, 7):  # six months: left out however sliced
        lines.append(f"2019,{month},USA,CHN,export,87,HS2012,1000,Test,FOB,v1")
    lines.append("2019,,USA,JPN,export,87,HS2012,7,Test,FOB,v1")  # a stated year...
    for month in range(1, 13):  # ...and its months: the year counts, never both
        lines.append(f"2019,{month},USA,JPN,export,87,HS2012,1,Test,FOB,v1")
    extra = tmp_path / "months.csv"
    extra.write_text("\n".join(lines) + "\n")
    asked = [(paths[0].parent, 2018), (extra, 2019)]
    whole = [
        ask(runner, "world", "--data", data, "--year", year, "--verbose") for data, year in asked
    ]
    monkeypatch.setattr(plans, "SLICE", rows)
    for (data, year), expected in zip(asked, whole, strict=True):
        result = ask(runner, "world", "--data", data, "--year", year, "--verbose")
        assert (result.exit_code, result.stdout, result.stderr) == (
            expected.exit_code,
            expected.stdout,
            expected.stderr,
        )
    rows_2018 = answer(runner, "--data", paths[0].parent, "--year", 2018)
    assert cents(rows_2018) == expected_cents(paths, 2018, "export")
    result = ask(
        runner, "world", "--data", extra, "--year", 2019, "--format", "csv", "--unit", "usd"
    )
    assert next(csv.DictReader(io.StringIO(result.stdout)))["value_usd"] == "1210.0"  # 1203 + 7
