"""korus mirror --gaps: a reporter's figures with every partner beside each partner's own,
summed where the data is, equal to the sums of the rows to the cent, ranked by the size of
the gap; whole years only, groups never compared, a missing side never taken for zero."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest

from generated_panel import HEADER, write_panel
from korus.cli import cli

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}
MIRRORED = {"export": "import", "import": "export"}


def ask(runner, *args):
    return runner.invoke(cli, [str(arg) for arg in args], env=ENV)


def gaps(runner, *args) -> list[dict]:
    result = ask(runner, "mirror", "--gaps", *args, "--format", "csv", "--unit", "usd")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


@pytest.fixture(scope="module")
def panel(tmp_path_factory) -> tuple[list[Path], Path]:
    """The generated panel's files and a store of them."""
    from click.testing import CliRunner

    root = tmp_path_factory.mktemp("gaps")
    paths = write_panel(root / "files")
    made = CliRunner().invoke(cli, ["ingest", *map(str, paths), "--into", str(root / "store")])
    assert made.exit_code == 0, made.output
    return paths, root / "store"


def expected_cents(paths, year: int, reporter: str, flow: str) -> dict[str, tuple[int, int]]:
    """Each partner's (reporter's figure, partner's figure) in cents, added up from the
    files' lines by hand: the reporter's rows of the flow with the partner, and the
    partner's rows of the other flow with the reporter, every month of the year."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for path in paths:
        for line in path.read_text().splitlines()[1:]:
            fields = line.split(",")
            if int(fields[0]) != year:
                continue
            units, cents = fields[7].split(".")
            value = int(units) * 100 + int(cents)
            if fields[2] == reporter and fields[4] == flow:
                sums[("reporter", fields[3])] += value
            elif fields[3] == reporter and fields[4] == MIRRORED[flow]:
                sums[("partner", fields[2])] += value
    partners = {code for _, code in sums} - {"WLD"}
    return {code: (sums[("reporter", code)], sums[("partner", code)]) for code in partners}


def cents(text: str) -> int:
    return round(float(text) * 100)


@pytest.mark.parametrize("flow", ["exports", "imports"])
@pytest.mark.parametrize("year", [2016, 2018], ids=["stated years", "twelve months"])
@pytest.mark.parametrize("source", ["files", "store"])
def test_the_gaps_are_the_sums_of_the_rows_to_the_cent(runner, panel, source, year, flow):
    paths, store = panel
    data = store if source == "store" else paths[0].parent
    rows = gaps(runner, "--data", data, "--reporter", "KOR", "--year", year, "--flow", flow)
    expected = expected_cents(paths, year, "KOR", flow[:-1])
    assert {row["partner"] for row in rows} == set(expected) == {"USA", "CHN", "DEU"}
    for row in rows:
        mine, theirs = expected[row["partner"]]
        assert cents(row["reporter_value_usd"]) == mine
        assert cents(row["partner_value_usd"]) == theirs
        assert cents(row["gap_usd"]) == mine - theirs
        assert float(row["gap_pct"]) == pytest.approx((mine - theirs) / theirs * 100)
        assert (row["year"], row["reporter"], row["flow"]) == (str(year), "KOR", flow)
    assert [row["rank"] for row in rows] == ["1", "2", "3"]
    sizes = [abs(cents(row["gap_usd"])) for row in rows]
    assert sizes == sorted(sizes, reverse=True)


def test_each_partner_s_gap_is_the_one_mirror_gives_for_the_pair(runner, panel):
    _, store = panel
    rows = gaps(runner, "--data", store, "--reporter", "DEU", "--year", 2017, "--flow", "imports")
    for row in rows:
        result = ask(
            runner,
            *("mirror", "--reporter", "DEU", "--partner", row["partner"], "--years", 2017),
            *("--data", store, "--format", "csv", "--unit", "usd"),
        )
        pair = next(
            line
            for line in csv.DictReader(io.StringIO(result.stdout))
            if line["measure"] == f"{row['partner']} to DEU"
        )
        for column in ("reporter_value_usd", "partner_value_usd", "gap_usd"):
            assert cents(row[column]) == cents(pair[column])
        for side in ("reporter", "partner"):
            for what in ("products", "source", "vintage"):
                assert row[f"{side}_{what}"] == pair[f"{side}_{what}"]
        assert row["reporter_basis"] == "imports: CIF"
        assert row["partner_basis"] == "exports: FOB"


def test_the_same_question_of_the_files_and_of_the_store_prints_the_same(runner, panel):
    paths, store = panel
    asked = ("mirror", "--gaps", "--reporter", "CHN", "--year", 2018, "--format", "csv")
    of_store = ask(runner, *asked, "--data", store)
    of_files = ask(runner, *asked, "--data", paths[0].parent)
    assert of_store.exit_code == of_files.exit_code == 0
    assert of_store.stdout == of_files.stdout


def test_groups_are_never_compared(runner, tmp_path):
    path = write(
        tmp_path / "groups.csv",
        "2016,,KOR,CHN,export,TOTAL,none,100,Test,FOB,v1",
        "2016,,CHN,KOR,import,TOTAL,none,90,Test,CIF,v1",
        "2016,,KOR,WLD,export,TOTAL,none,5000,Test,FOB,v1",
        "2016,,KOR,EUN,export,TOTAL,none,800,Test,FOB,v1",
        "2016,,EUN,KOR,import,TOTAL,none,700,Test,CIF,v1",
    )
    rows = gaps(runner, "--data", path, "--reporter", "KOR", "--year", 2016)
    assert [(row["partner"], row["gap_usd"]) for row in rows] == [("CHN", "10.0")]


def test_partners_are_ranked_by_the_size_of_the_gap_whatever_its_sign(runner, tmp_path):
    path = write(
        tmp_path / "signs.csv",
        "2016,,KOR,USA,export,TOTAL,none,500,Test,FOB,v1",
        "2016,,USA,KOR,import,TOTAL,none,400,Test,CIF,v1",
        "2016,,KOR,CHN,export,TOTAL,none,100,Test,FOB,v1",
        "2016,,CHN,KOR,import,TOTAL,none,300,Test,CIF,v1",
        "2016,,KOR,DEU,export,TOTAL,none,50,Test,FOB,v1",
        "2016,,DEU,KOR,import,TOTAL,none,40,Test,CIF,v1",
    )
    rows = gaps(runner, "--data", path, "--reporter", "KOR", "--year", 2016)
    assert [(row["rank"], row["partner"], row["gap_usd"]) for row in rows] == [
        ("1", "CHN", "-200.0"),
        ("2", "USA", "100.0"),
        ("3", "DEU", "10.0"),
    ]
    assert [float(row["gap_pct"]) for row in rows] == pytest.approx([-200 / 3, 25.0, 25.0])
    top = gaps(runner, "--data", path, "--reporter", "KOR", "--year", 2016, "--top", 1)
    assert [row["partner"] for row in top] == ["CHN"]


def test_a_partner_one_side_has_no_figure_for_is_listed_last_unranked(runner, tmp_path):
    path = write(
        tmp_path / "sides.csv",
        "2016,,KOR,CHN,export,TOTAL,none,100,Test,FOB,v1",
        "2016,,CHN,KOR,import,TOTAL,none,90,Test,CIF,v1",
        # Japan reports nothing at all; Viet Nam reports imports Korea gives no figure of.
        "2016,,KOR,JPN,export,TOTAL,none,70,Test,FOB,v1",
        "2016,,VNM,KOR,import,TOTAL,none,60,Test,CIF,v1",
    )
    rows = gaps(runner, "--data", path, "--reporter", "KOR", "--year", 2016)
    shown = [
        (row["rank"], row["partner"], row["reporter_value_usd"], row["partner_value_usd"])
        for row in rows
    ]
    assert shown == [
        ("1", "CHN", "100.0", "90.0"),
        ("", "JPN", "70.0", ""),
        ("", "VNM", "", "60.0"),
    ]
    assert [row["gap_usd"] for row in rows] == ["10.0", "", ""]
    assert rows[1]["partner_source"] == rows[2]["reporter_source"] == ""
    table = ask(
        runner,
        *("mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path),
        *("--format", "table"),
    )
    text = " ".join(table.stdout.split())
    assert "No figure in the data for JPN (as JPN reports), VNM (as KOR reports): shown n/a" in text
    # Under the rank-less rows: a figure, a gap and a gap % each, never a 0.
    assert text.split("Values in")[0].count("n/a") == 6
    # The machine formats carry the rows alone: stderr says that two are not ranked.
    listed = ask(runner, *("mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path))
    assert "Note: 2 of the 3 partners listed have no figure in the data to rank by" in (
        listed.stderr
    )
    first = ask(
        runner,
        *("mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path, "--top", 1),
    )
    assert "rank by" not in first.stderr


@pytest.mark.parametrize("source", ["files", "store"])
def test_a_series_with_only_some_months_is_left_out_and_named(runner, tmp_path, source):
    lines = []
    for month in range(1, 13):
        lines.append(f"2019,{month},KOR,CHN,export,87,HS2012,100.25,Test,FOB,v1")
        lines.append(f"2019,{month},KOR,USA,export,87,HS2012,10,Test,FOB,v1")
        lines.append(f"2019,{month},USA,KOR,import,87,HS2012,9.5,Test,CIF,v1")
    for month in range(1, 7):
        lines.append(f"2019,{month},CHN,KOR,import,87,HS2012,1000,Test,CIF,v1")
    path = write(tmp_path / "months.csv", *lines)
    if source == "store":
        assert ask(runner, "ingest", path, "--into", tmp_path / "store").exit_code == 0
        path = tmp_path / "store"
    result = ask(
        runner,
        *("mirror", "--gaps", "--reporter", "KOR", "--year", 2019, "--data", path),
        *("--format", "csv", "--unit", "usd"),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [
        (row["partner"], row["reporter_value_usd"], row["partner_value_usd"]) for row in rows
    ] == [
        ("USA", "120.0", "114.0"),
        ("CHN", "1203.0", ""),  # China's six months are never a year, nor a zero
    ]
    assert result.stderr == (
        "Note: (mirror gaps): left out, holding only some months of 2019 (a partial year is "
        "never a year): CHN imports from KOR\n"
        "Note: 1 of the 2 partners listed has no figure in the data to rank by: shown without "
        "a rank, listed last (a missing figure is never taken for 0)\n"
    )


def test_a_partner_whose_both_sides_hold_only_some_months_lacks_a_figure_on_either(
    runner, tmp_path
):
    """Korea's exports to China and China's imports from Korea are six months each: both
    sides are left out, and China is said to lack a figure as either reports it (not as
    Korea reports only)."""
    lines = []
    for month in range(1, 13):
        lines.append(f"2019,{month},KOR,USA,export,87,HS2012,10,Test,FOB,v1")
        lines.append(f"2019,{month},USA,KOR,import,87,HS2012,9.5,Test,CIF,v1")
    for month in range(1, 7):
        lines.append(f"2019,{month},KOR,CHN,export,87,HS2012,100,Test,FOB,v1")
        lines.append(f"2019,{month},CHN,KOR,import,87,HS2012,1000,Test,CIF,v1")
    path = write(tmp_path / "months.csv", *lines)
    rows = gaps(runner, "--data", path, "--reporter", "KOR", "--year", 2019)
    assert [
        (row["partner"], row["reporter_value_usd"], row["partner_value_usd"]) for row in rows
    ] == [
        ("USA", "120.0", "114.0"),
        ("CHN", "", ""),
    ]
    table = ask(
        runner,
        *("mirror", "--gaps", "--reporter", "KOR", "--year", 2019, "--data", path),
        *("--format", "table"),
    )
    text = " ".join(table.stdout.split())
    assert "No figure in the data for CHN (as either reports): shown n/a" in text
    assert "left out, holding only some months of 2019" in table.stderr
    assert "CHN imports from KOR, KOR exports to CHN" in table.stderr


def test_a_side_counts_its_total_rows_else_its_coarsest_codes_never_both(runner, tmp_path):
    path = write(
        tmp_path / "levels.csv",
        "2016,,KOR,CHN,export,TOTAL,none,1000,Test,FOB,v1",
        "2016,,KOR,CHN,export,87,HS2012,600,Test,FOB,v1",
        "2016,,CHN,KOR,import,87,HS2012,500,Test,CIF,v1",
        "2016,,CHN,KOR,import,85,HS2012,300,Test,CIF,v1",
        "2016,,CHN,KOR,import,8703,HS2012,450,Test,CIF,v1",
    )
    (row,) = gaps(runner, "--data", path, "--reporter", "KOR", "--year", 2016)
    assert (row["reporter_value_usd"], row["partner_value_usd"], row["gap_usd"]) == (
        "1000.0",
        "800.0",
        "200.0",
    )
    assert (row["reporter_products"], row["partner_products"]) == ("all goods", "HS 85, 87")


def test_data_of_one_side_only_is_one_error_line_not_a_list_of_n_a(runner, tmp_path):
    path = write(
        tmp_path / "kosis-like.csv",
        "2016,,KOR,CHN,export,TOTAL,none,100,Test,FOB,v1",
        "2016,,KOR,JPN,export,TOTAL,none,70,Test,FOB,v1",
    )
    result = ask(runner, "mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no country gives both sides of its trade with KOR in 2016 (whole years only): "
        "the data holds KOR's exports to 2 countries and 0 countries' own imports from KOR; "
        "mirror gaps compare the two: give both sides' figures with --data\n"
    )


def test_a_group_as_reporter_is_refused(runner, panel):
    _, store = panel
    result = ask(runner, "mirror", "--gaps", "--reporter", "WLD", "--year", 2016, "--data", store)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: WLD is a group (World), not a country: mirror gaps compare a country's figures "
        "with its partners'; give a country\n"
    )


def test_year_without_gaps_is_one_year_of_the_pair(runner):
    one = ask(runner, "mirror", "--year", 2016, "--format", "csv")
    assert one.exit_code == 0, one.output
    assert one.stdout == ask(runner, "mirror", "--years", 2016, "--format", "csv").stdout


def test_a_side_of_two_sources_is_refused(runner, tmp_path):
    path = write(
        tmp_path / "sources.csv",
        "2016,,KOR,CHN,export,TOTAL,none,100,Alpha,FOB,v1",
        "2016,,KOR,USA,export,TOTAL,none,100,Beta,FOB,v1",
        "2016,,CHN,KOR,import,TOTAL,none,90,Alpha,CIF,v1",
    )
    result = ask(runner, "mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: KOR's exports to its partners would mix sources (Alpha; Beta); give one "
        "source's file with --data\n"
    )


def test_two_parts_of_a_store_giving_one_series_are_refused(runner, tmp_path):
    first = write(tmp_path / "a.csv", "2016,,KOR,CHN,export,87,HS2012,10,Test,FOB,v1")
    second = write(
        tmp_path / "b.csv",
        "2016,,KOR,CHN,export,85,HS2012,7,Test,FOB,v1",
        "2016,,CHN,KOR,import,85,HS2012,6,Test,CIF,v1",
    )
    store = tmp_path / "store"
    assert ask(runner, "ingest", first, second, "--into", store).exit_code == 0
    result = ask(runner, "mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", store)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {first} and {second} both give KOR exports to CHN in 2016 (Test): over a "
        "store, mirror gaps are added up from sources that give each series once; give the "
        "files themselves with --data\n"
    )
    # The files themselves: each figure once, read row by row.
    (row,) = gaps(runner, "--data", first, "--data", second, "--reporter", "KOR", "--year", 2016)
    assert (row["reporter_value_usd"], row["partner_value_usd"]) == ("17.0", "6.0")


def test_csv_and_json_carry_raw_numbers_with_the_unit_in_the_column_names(runner, panel):
    paths, store = panel
    asked = ("mirror", "--gaps", "--reporter", "USA", "--year", 2015, "--data", store)
    table = list(csv.DictReader(io.StringIO(ask(runner, *asked, "--format", "csv").stdout)))
    records = json.loads(ask(runner, *asked, "--format", "json", "--unit", "bn").stdout)
    expected = expected_cents(paths, 2015, "USA", "export")
    assert list(records[0]) == [
        "rank",
        "year",
        "reporter",
        "partner",
        "partner_name",
        "flow",
        "reporter_value_usd_billions",
        "partner_value_usd_billions",
        "gap_usd_billions",
        "gap_pct",
        "reporter_products",
        "reporter_source",
        "reporter_basis",
        "partner_products",
        "partner_source",
        "partner_basis",
        "reporter_vintage",
        "partner_vintage",
    ]
    for row, record in zip(table, records, strict=True):
        mine, theirs = expected[row["partner"]]
        assert float(row["reporter_value_usd_millions"]) == pytest.approx(mine / 1e8)
        assert record["partner_value_usd_billions"] == pytest.approx(theirs / 1e11)
        assert isinstance(record["rank"], int) and isinstance(record["gap_pct"], float)
        assert record["partner_source"] == "Generated panel"


def test_a_missing_figure_is_null_in_json(runner, tmp_path):
    path = write(
        tmp_path / "one.csv",
        "2016,,KOR,CHN,export,TOTAL,none,100,Test,FOB,v1",
        "2016,,CHN,KOR,import,TOTAL,none,90,Test,CIF,v1",
        "2016,,KOR,JPN,export,TOTAL,none,70,Test,FOB,v1",
    )
    result = ask(
        runner,
        *("mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path),
        *("--format", "json"),
    )
    _, record = json.loads(result.stdout)
    assert record["partner"] == "JPN"
    assert record["rank"] is None
    assert record["partner_value_usd_millions"] is None
    assert record["gap_usd_millions"] is None
    assert record["reporter_value_usd_millions"] == 0.00007


def test_the_api_gives_the_gaps_and_the_series_left_out(panel):
    from korus import api

    paths, store = panel
    table = api.mirror_gaps(2016, "Korea", data=str(store))
    expected = expected_cents(paths, 2016, "KOR", "export")
    assert {row.partner: round(row.gap * 100) for row in table.itertuples()} == {
        code: mine - theirs for code, (mine, theirs) in expected.items()
    }
    assert table.attrs["partial"] == []
    assert table.attrs["accounting"]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--gaps", "--reporter", "KOR", "--year", 2016],
            "Error: mirror gaps with every partner need each partner's own figures of its trade "
            "with KOR, and the shipped data holds both sides only for USA and KOR (korus mirror "
            "--reporter USA --partner KOR): give a panel of every reporter's figures (a UN "
            "Comtrade download of all reporters, or a store of one) with --data\n",
        ),
        (
            ["--gaps", "--reporter", "KOR", "--year", 2012, "--data", "STORE"],
            "Error: the data holds no KOR exports to a country in 2012, nor any country's imports "
            "from KOR (whole years only: a year of some months is never a year)\n",
        ),
    ],
    ids=["shipped data", "a year the data does not hold"],
)
def test_a_question_the_data_cannot_answer_is_one_error_line(runner, panel, args, message):
    args = [panel[1] if arg == "STORE" else arg for arg in args]
    result = ask(runner, "mirror", *args)
    assert result.exit_code == 1
    assert result.stderr == message
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--gaps", "--partner", "CHN", "--year", 2016],
            "--gaps compares the reporter with every partner: leave out --partner",
        ),
        (["--partner", "CHN", "--gaps", "--year", 2016], "leave out --partner"),
        (["--gaps"], "--gaps answers for one year: give --year YEAR"),
        (["--gaps", "--years", "2015-2016"], "--gaps answers for one year: give --year YEAR"),
        (["--flow", "imports"], "--flow goes with --gaps (the reporter with every partner)"),
        (["--top", "3"], "--top goes with --gaps"),
        (["--year", "2015", "--years", "2016"], "give --year or --years, not both"),
    ],
)
def test_options_that_do_not_go_together_are_a_usage_error(runner, args, message):
    result = ask(runner, "mirror", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_config_file_s_partner_does_not_stop_the_gaps(runner, panel, tmp_path):
    config = tmp_path / "korus.toml"
    config.write_text('partner = "KOR"\n')
    result = runner.invoke(
        cli,
        ["mirror", "--gaps", "--reporter", "KOR", "--year", "2016", "--data", str(panel[1])],
        env={**ENV, "KORUS_CONFIG": str(config)},
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4  # the header and three partners


def test_gaps_of_zero_from_one_reconciled_source_are_said_to_say_nothing(runner, tmp_path):
    path = write(
        tmp_path / "reconciled.csv",
        "2016,,KOR,CHN,export,87,HS1992,100,CEPII BACI,FOB,v1",
        "2016,,CHN,KOR,import,87,HS1992,100,CEPII BACI,FOB,v1",
    )
    result = ask(
        runner,
        *("mirror", "--gaps", "--reporter", "KOR", "--year", 2016, "--data", path),
        *("--format", "csv"),
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Note: both sides come from one source (CEPII BACI) that gives each flow once, "
        "reconciled (as CEPII BACI does): the gaps are 0 by construction and say nothing of "
        "what each country recorded\n"
    )
