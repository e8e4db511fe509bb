"""The command line at its edges: options that conflict, the operating system refusing a
write, a reader of the output that goes away, questions the data can only answer in part,
and what a figure covers."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_frame
from korus.cli import cli
from korus.readers.tidy import write_csv

ENV = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def invoke(runner, *args: str, **kwargs):
    return runner.invoke(cli, list(args), env=ENV, **kwargs)


def tidy_file(tmp_path: Path, rows: list[tuple], name: str = "data.csv", **defaults) -> Path:
    path = tmp_path / name
    write_csv(make_frame(rows, **defaults), path)
    return path


def rows_of(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


# --- options ------------------------------------------------------------------------------


def test_an_option_given_twice_is_a_usage_error_not_the_last_value(runner):
    result = invoke(runner, "deficit", "--partner", "CHN", "--partner", "MEX")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        "Error: --partner is given more than once; give it once (korus does not choose "
        "between values)"
    ) in result.stderr


def test_an_option_given_twice_with_the_same_value_is_still_refused(runner):
    result = invoke(runner, "sectors", "--year", "2016", "--year", "2016")
    assert result.exit_code == 2
    assert "--year is given more than once" in result.stderr


def test_a_flag_given_twice_is_harmless(runner):
    result = invoke(runner, "deficit", "--years", "2016", "--strict", "--strict")
    assert result.exit_code == 0, result.output


def test_ytd_and_rolling_together_are_a_usage_error(runner):
    result = invoke(runner, "deficit", "--months", "2017-01..2017-09", "--ytd", "--rolling", "3")
    assert result.exit_code == 2
    assert "Error: --ytd and --rolling ask two different questions: give one" in result.stderr


# --- the operating system -----------------------------------------------------------------


def test_a_plot_into_a_missing_folder_is_one_error_line(runner, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "no-such-folder" / "chart.png"
    result = invoke(runner, "deficit", "--years", "2016", "--plot", str(target))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ")
    assert "this is a bug" not in result.stderr and "Traceback" not in result.stderr


def test_convert_into_a_missing_folder_names_the_file_asked_for(runner, tmp_path):
    source = tidy_file(tmp_path, [(2016, None, "export", "TOTAL", 5.0)])
    target = tmp_path / "missing" / "out.csv"
    result = invoke(runner, "convert", str(source), "-o", str(target))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {target}: No such file or directory; check the path (does the folder exist?)\n"
    )
    assert not (tmp_path / "missing").exists()


def test_convert_onto_a_full_disk_is_one_error_line_and_leaves_no_temporary_file(
    runner, tmp_path, monkeypatch
):
    import errno

    from korus.readers import tidy

    source = tidy_file(tmp_path, [(2016, None, "export", "TOTAL", 5.0)])
    out = tmp_path / "out"
    out.mkdir()

    def full(frame, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tidy, "write_csv", full)
    result = invoke(runner, "convert", str(source), "-o", str(out / "o.csv"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {out / 'o.csv'}: No space left on device; the disk is full: free some space "
        "or write elsewhere\n"
    )
    assert list(out.iterdir()) == []


def korus(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "korus", *args],
        capture_output=True,
        env={**os.environ, "COLUMNS": "120"},
        **kwargs,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_output_to_a_full_device_is_an_error_never_exit_0():
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "korus", "deficit", "--years", "1985-2025"],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "120"},
        )
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "Error: cannot write the output: No space left on device; the disk is full: free some "
        "space or write elsewhere\n"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="pipes and SIGPIPE are POSIX")
def test_the_copy_of_standard_input_is_removed_when_the_reader_of_the_output_goes_away(
    tmp_path,
):
    import tempfile

    rows = [
        (year, month, flow, "TOTAL", 1000.0 + month)
        for year in range(1990, 2020)
        for month in range(1, 13)
        for flow in ("export", "import")
    ]
    data = tidy_file(tmp_path, rows).read_bytes()
    folder = tmp_path / "tmp"
    folder.mkdir()
    env = {**os.environ, "TMPDIR": str(folder)}
    pipeline = subprocess.run(
        f"{sys.executable} -m korus convert - -o - | head -1",
        shell=True,
        input=data,
        capture_output=True,
        env=env,
    )
    assert pipeline.stdout.decode().startswith("year,month,reporter")
    assert pipeline.stderr == b""
    assert list(folder.iterdir()) == []
    assert tempfile.gettempdir()  # the process's own temporary folder was not used


# --- questions the data answers in part ---------------------------------------------------


def imports_only(tmp_path: Path) -> Path:
    rows = [
        (year, month, "import", "TOTAL", 100.0 * month)
        for year in (2015, 2016)
        for month in range(1, 13)
    ]
    return tidy_file(tmp_path, rows)


def test_growth_of_imports_by_month_works_on_a_file_of_imports_only(runner, tmp_path):
    path = imports_only(tmp_path)
    rows = rows_of(
        invoke(
            runner,
            "growth",
            "--flow",
            "imports",
            "--months",
            "2016-03",
            "--data",
            str(path),
            "--unit",
            "usd",
        )
    )
    assert [(r["value_usd"], r["value_year_earlier_usd"]) for r in rows] == [("300.0", "300.0")]


def test_growth_of_exports_by_month_on_imports_only_says_which_flow_is_missing(runner, tmp_path):
    result = invoke(
        runner,
        "growth",
        "--flow",
        "exports",
        "--months",
        "2016-03",
        "--data",
        str(imports_only(tmp_path)),
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the data holds no USA exports for 2016-03")


def test_partners_of_a_reporter_whose_file_holds_only_the_world_says_so(runner, tmp_path):
    path = tidy_file(
        tmp_path,
        [(2016, None, "export", "TOTAL", 5e9, "WLD"), (2016, None, "import", "TOTAL", 4e9, "WLD")],
        reporter="KOR",
    )
    result = invoke(runner, "partners", "--reporter", "KOR", "--year", "2016", "--data", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the data holds no country among KOR's partners in 2016, only groups (WLD): "
        "there is no country to rank; --groups lists the groups\n"
    )


# Three partners of one year, Bermuda with exports only (no total to rank it by).
ONE_WITHOUT_IMPORTS = [
    (2016, None, "export", "TOTAL", 50.0, "CHN"),
    (2016, None, "import", "TOTAL", 30.0, "CHN"),
    (2016, None, "export", "TOTAL", 900.0, "BMU"),
    (2016, None, "export", "TOTAL", 10.0, "JPN"),
    (2016, None, "import", "TOTAL", 5.0, "JPN"),
]


def test_partners_lists_a_partner_with_a_missing_flow_last_and_unranked(runner, tmp_path):
    path = tidy_file(
        tmp_path,
        ONE_WITHOUT_IMPORTS,
    )
    rows = rows_of(
        invoke(runner, "partners", "--year", "2016", "--data", str(path), "--unit", "usd")
    )
    assert [(r["rank"], r["partner"], r["imports_usd"], r["total_usd"]) for r in rows] == [
        ("1", "CHN", "30.0", "80.0"),
        ("2", "JPN", "5.0", "15.0"),
        ("", "BMU", "", ""),
    ]


@pytest.mark.parametrize("fmt", ["csv", "json", "tsv", "jsonl"])
def test_a_machine_listing_of_unranked_partners_says_so_on_stderr(runner, tmp_path, fmt):
    """Machine formats carry the rows alone: where a listing shows a partner without a
    rank (--top 3 of a file where one has no imports), stderr says so; where --top leaves
    it out, nothing is said of it."""
    path = tidy_file(
        tmp_path,
        ONE_WITHOUT_IMPORTS,
    )
    question = ["partners", "--year", "2016", "--data", str(path), "--format", fmt]
    shown = invoke(runner, *question, "--top", "3")
    assert shown.exit_code == 0, shown.output
    assert shown.stderr == (
        "Note: 1 of the 3 partners listed has no figure in the data to rank by: shown without "
        "a rank, listed last (a missing figure is never taken for 0)\n"
    )
    left_out = invoke(runner, *question, "--top", "2")
    assert left_out.exit_code == 0, left_out.output
    assert "rank by" not in left_out.stderr
    alone = invoke(runner, *question, "--by", "imports", "--top", "3")
    assert "rank by" in alone.stderr  # (BMU, no imports: among the three listed)
    one_flow = [
        (2016, None, "export", "TOTAL", value, code) for value, code in ((5, "CHN"), (7, "JPN"))
    ]
    exports = tidy_file(tmp_path, one_flow, name="exports.csv")
    question = ["partners", "--year", "2016", "--data", str(exports), "--format", fmt]
    none = invoke(runner, *question, "--top", "2")  # (ranked by total: no imports at all)
    assert none.exit_code == 0, none.output
    assert "Note: all 2 partners listed have no figure in the data to rank by" in none.stderr


# --- what a figure covers -----------------------------------------------------------------


def test_a_file_of_one_product_never_says_goods_or_total(runner, tmp_path):
    rows = [(2016, None, flow, "330499", 1e6) for flow in ("export", "import")]
    path = tidy_file(tmp_path, rows)
    result = invoke(runner, "deficit", "--years", "2016", "--data", str(path), "--format", "table")
    assert result.exit_code == 0, result.output
    title = result.stdout.splitlines()[0]
    assert title == "United States trade in HS 330499 with South Korea, 2016"
    assert "Products: HS 330499." in result.stdout
    machine = rows_of(invoke(runner, "deficit", "--years", "2016", "--data", str(path)))
    assert machine[0]["products"] == "HS 330499"


def test_the_census_total_exports_basis_is_said_of_all_goods_only(runner, tmp_path):
    rows = [(2016, None, flow, "87", 1e6) for flow in ("export", "import")]
    path = tidy_file(tmp_path, rows, basis="total exports, F.A.S.")
    machine = rows_of(invoke(runner, "deficit", "--years", "2016", "--data", str(path)))
    assert "total" not in machine[0]["basis"]
    assert machine[0]["basis"].startswith("exports: exports (domestic and foreign goods), F.A.S.")


def test_the_shipped_deficit_covers_all_goods(runner):
    rows = rows_of(invoke(runner, "deficit", "--years", "2016"))
    assert rows[0]["products"] == "all goods"


def test_many_chapters_are_named_as_chapters_not_as_all_goods(runner, tmp_path):
    codes = [f"{n:02d}" for n in range(1, 11)]
    rows = [(2016, None, flow, code, 1e6) for code in codes for flow in ("export", "import")]
    machine = rows_of(
        invoke(runner, "deficit", "--years", "2016", "--data", str(tidy_file(tmp_path, rows)))
    )
    assert machine[0]["products"] == "10 HS chapters (01-10)"


# --- magnitudes ---------------------------------------------------------------------------


def test_a_reporters_flow_above_world_trade_is_refused_naming_the_line(runner, tmp_path):
    rows = [
        (2016, None, "export", "TOTAL", 9e12, "CHN"),
        (2016, None, "export", "TOTAL", 9.5e12, "JPN"),
        (2016, None, "import", "TOTAL", 1e9, "CHN"),
    ]
    path = tidy_file(tmp_path, rows)
    result = invoke(runner, "deficit", "--years", "2016", "--partner", "CHN", "--data", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: line 3: USA exports in 2016 add up to 18,500,000,000,000 US dollars "
        "over its partners, more than world trade that year (at most 18,000,000,000,000): a "
        "wrong unit (thousands or millions read as dollars?); korus refuses figures no country "
        "can have\n"
    )


def test_a_flow_far_above_the_reporters_own_world_total_is_said_on_stderr(runner, tmp_path):
    # Korea's exports in 2016 were about 495 billion dollars; four trillion is a unit slip.
    rows = [
        (2016, None, "export", "TOTAL", 4e12, "USA"),
        (2016, None, "import", "TOTAL", 4.3e10, "USA"),
    ]
    path = tidy_file(tmp_path, rows, reporter="KOR")
    result = invoke(
        runner,
        "deficit",
        "--reporter",
        "KOR",
        "--partner",
        "USA",
        "--years",
        "2016",
        "--data",
        str(path),
    )
    assert result.exit_code == 0, result.output
    assert (
        "KOR exports in 2016 add up to 4,000,000,000,000 US dollars over the one partner read"
    ) in result.stderr
    assert "a unit slip?" in result.stderr


# --- one definition per measure -----------------------------------------------------------


def test_growth_of_a_surplus_series_has_a_cagr_of_the_sign_of_its_change(runner):
    # The Netherlands: the US "deficit" with it is negative (a surplus) and fell further.
    result = invoke(
        runner,
        "growth",
        "--partner",
        "NLD",
        "--flow",
        "deficit",
        "--years",
        "2014-2016",
        "--format",
        "table",
    )
    assert result.exit_code == 0, result.output
    summary = [line for line in result.stdout.splitlines() if "2014 to 2016" in line][0]
    assert summary.split()[-2:] == ["-5.81%", "-2.87%"]


def test_growth_of_a_balance_gives_its_cagr_too(runner):
    result = invoke(
        runner, "growth", "--flow", "balance", "--years", "2011-2016", "--format", "table"
    )
    summary = [line for line in result.stdout.splitlines() if "2011 to 2016" in line][0]
    # The balance fell from -13,199.7 to -27,624.6: by 109.3%, at -15.9% a year.
    assert summary.split()[-2:] == ["-109.3%", "-15.9%"]


# --- mirror on reconciled data ------------------------------------------------------------


def test_mirror_of_one_reconciled_source_says_the_gaps_are_zero_by_construction(runner, tmp_path):
    rows = [
        (2016, None, "export", "TOTAL", 10.0, "KOR"),
        (2016, None, "import", "TOTAL", 30.0, "KOR"),
    ]
    usa = make_frame(rows, source="CEPII BACI")
    kor = make_frame(
        [
            (2016, None, "import", "TOTAL", 10.0, "USA"),
            (2016, None, "export", "TOTAL", 30.0, "USA"),
        ],
        reporter="KOR",
        source="CEPII BACI",
    )
    import pandas as pd

    path = tmp_path / "both.csv"
    write_csv(pd.concat([usa, kor], ignore_index=True), path)
    result = invoke(runner, "mirror", "--years", "2016", "--data", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Note: both sides come from one source (CEPII BACI) that gives each flow once, "
        "reconciled (as CEPII BACI does): the gaps are 0 by construction and say nothing of "
        "what each country recorded\n"
    )


# --- a source's own published figure on every path ----------------------------------------


def balance_page(tmp_path: Path) -> Path:
    """A Census balance page whose own balances differ from its rounded exports less its
    rounded imports in the last digit (as the real pages do)."""
    lines = ["Month;Exports;Imports;Balance"]
    names = "January February March April May June July August September October November"
    for year in (2015, 2016):
        for name in [*names.split(), "December"]:
            # exports - imports = -2,000.1, the page says -2,000.0 (from unrounded figures)
            lines.append(f"{name} {year};1,000.0;3,000.1;-2,000.0")
    path = tmp_path / "c5800.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_year_and_its_months_give_the_pages_own_balance_on_every_path(runner, tmp_path):
    path = str(balance_page(tmp_path))
    year = rows_of(invoke(runner, "deficit", "--years", "2016", "--data", path))[0]
    ytd = rows_of(
        invoke(runner, "deficit", "--months", "2016-01..2016-12", "--ytd", "--data", path)
    )[-1]
    months = rows_of(invoke(runner, "deficit", "--months", "2016-01..2016-12", "--data", path))
    assert year["balance_usd_millions"] == ytd["balance_usd_millions"] == "-24000.0"
    assert {row["balance_usd_millions"] for row in months} == {"-2000.0"}


# --- hostile text at the error edge -------------------------------------------------------


def test_an_escape_sequence_in_a_file_name_is_shown_escaped_in_the_error(runner, tmp_path):
    path = tmp_path / "bad\x1b[2Jname.csv"
    path.write_text("not,a,trade,file\n1,2,3,4\n", encoding="utf-8")
    result = invoke(runner, "inspect", str(path))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "bad\\x1b[2Jname.csv" in result.stderr


def test_an_escape_sequence_in_a_source_name_is_escaped_in_the_verbose_notes(runner, tmp_path):
    path = tidy_file(tmp_path, [(2016, None, "export", "TOTAL", 5.0)], source="x\x1b]0;owned\x07")
    result = invoke(runner, "inspect", str(path), "--verbose", "--format", "table")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout + result.stderr
    assert "\x07" not in result.stdout + result.stderr
