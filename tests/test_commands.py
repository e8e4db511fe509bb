"""inspect, convert and mirror, and the options every command shares for the user's files."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_frame, shared_file
from korus.cli import cli
from korus.readers import read_file
from korus.readers.tidy import write_csv

NA = None
CORPUS = Path(__file__).resolve().parent / "corpus"


def two_sided_frame():
    """USA and KOR each reporting their trade with the other, 2016 (hand-made figures)."""
    usa = make_frame(
        [(2016, NA, "export", "TOTAL", 42e9), (2016, NA, "import", "TOTAL", 70e9)],
        reporter="USA",
        partner="KOR",
        source="US side",
    )
    kor = make_frame(
        [(2016, NA, "export", "TOTAL", 66e9), (2016, NA, "import", "TOTAL", 43e9)],
        reporter="KOR",
        partner="USA",
        source="Korea side",
    )
    return pd.concat([usa, kor], ignore_index=True)


def rows(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_mirror_sets_each_sides_figures_beside_the_others(runner, tmp_path):
    write_csv(two_sided_frame(), tmp_path / "both.csv")
    result = runner.invoke(
        cli,
        ["mirror", "--data", str(tmp_path / "both.csv"), "--years", "2016", "--unit", "billions"],
    )
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert [r["measure"] for r in table] == ["USA to KOR", "KOR to USA", "USA balance"]
    values = [
        (float(r["reporter_value_usd_billions"]), float(r["partner_value_usd_billions"]))
        for r in table
    ]
    assert values == [(42.0, 43.0), (70.0, 66.0), (-28.0, -23.0)]
    assert float(table[0]["gap_usd_billions"]) == -1.0
    assert round(float(table[0]["gap_pct"]), 4) == round(-1 / 43 * 100, 4)
    assert table[0]["reporter_source"] == "US side"
    assert table[0]["partner_source"] == "Korea side"


def test_mirror_without_the_partners_own_figures_is_an_error(runner, tmp_path):
    write_csv(two_sided_frame().query("reporter == 'USA'"), tmp_path / "us.csv")
    result = runner.invoke(cli, ["mirror", "--data", str(tmp_path / "us.csv"), "--years", "2016"])
    assert result.exit_code == 1
    assert result.stderr == "Error: the data holds no trade of KOR with USA\n"


def test_inspect_reports_layout_coverage_and_row_accounting(runner, tmp_path):
    write_csv(two_sided_frame(), tmp_path / "both.csv")
    result = runner.invoke(cli, ["inspect", str(tmp_path / "both.csv"), "--format", "json"])
    assert result.exit_code == 0, result.output
    fields = {(r["field"]): r["value"] for r in json.loads(result.stdout)}
    assert fields["layout"] == "korus-csv"
    assert (fields["rows read"], fields["rows kept"], fields["rows set aside"]) == ("4", "4", "0")
    assert fields["reporters"] == "KOR, USA"
    assert fields["periods"] == "years 2016-2016 (annual rows)"
    assert fields["source"] == "Korea side; US side"


def test_inspect_of_an_unknown_file_is_an_error_showing_its_header(runner, tmp_path):
    (tmp_path / "x.csv").write_text("when,what\n1,2\n")
    result = runner.invoke(cli, ["inspect", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "unknown layout, header 'when,what'" in result.stderr
    assert result.stdout == ""


def test_convert_writes_a_tidy_parquet_that_reads_back_to_the_same_frame(runner, tmp_path):
    frame = two_sided_frame()
    write_csv(frame, tmp_path / "in.csv")
    result = runner.invoke(
        cli, ["convert", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.parquet")]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote 4 rows to {tmp_path / 'o.parquet'}\n"
    pd.testing.assert_frame_equal(read_file(tmp_path / "o.parquet").frame, frame)


def test_convert_to_stdout_writes_tidy_csv(runner, tmp_path):
    write_csv(two_sided_frame(), tmp_path / "in.csv")
    result = runner.invoke(cli, ["convert", str(tmp_path / "in.csv"), "-o", "-"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "year,month,reporter,partner,flow,product,classification,value_usd,source,basis,vintage"
    )
    assert len(result.stdout.splitlines()) == 5


def test_convert_refuses_parquet_on_stdout(runner, tmp_path):
    write_csv(two_sided_frame(), tmp_path / "in.csv")
    result = runner.invoke(cli, ["convert", str(tmp_path / "in.csv"), "-o", "-", "--to", "parquet"])
    assert result.exit_code == 2


def test_data_from_standard_input_is_read_by_its_content(runner, tmp_path):
    write_csv(two_sided_frame(), tmp_path / "in.csv")
    text = (tmp_path / "in.csv").read_text()
    result = runner.invoke(cli, ["deficit", "--data", "-", "--years", "2016"], input=text)
    assert result.exit_code == 0, result.output
    assert float(rows(result)[0]["balance_usd_millions"]) == -28000.0


def test_a_folder_of_files_is_stacked(runner, tmp_path):
    frame = two_sided_frame()
    folder = tmp_path / "many"
    folder.mkdir()
    write_csv(frame.query("reporter == 'USA'"), folder / "a.csv")
    write_csv(frame.query("reporter == 'KOR'"), folder / "b.csv")
    result = runner.invoke(cli, ["mirror", "--data", str(folder), "--years", "2016"])
    assert result.exit_code == 0, result.output
    assert len(rows(result)) == 3


def test_a_glob_pattern_matching_nothing_is_an_error(runner, tmp_path):
    result = runner.invoke(cli, ["deficit", "--data", str(tmp_path / "*.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "no file matches" in result.stderr


def test_input_format_overrides_detection(runner, tmp_path):
    path = shared_file("comtrade/legacy_usa_kor_hs2_2010_2019.csv")
    result = runner.invoke(
        cli, ["deficit", "--data", str(path), "--input-format", "korus-csv", "--years", "2016"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "not a valid korus tidy" in result.stderr


def test_strict_refuses_a_file_with_rows_set_aside(runner):
    path = CORPUS / "comtrade_repeated_header.csv"
    result = runner.invoke(cli, ["deficit", "--data", str(path), "--years", "2016", "--strict"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: --strict: 1 rows set aside (1 repeated header line)\n"
    )


def test_without_strict_the_same_file_reads_and_says_what_it_set_aside(runner):
    path = CORPUS / "comtrade_repeated_header.csv"
    result = runner.invoke(cli, ["deficit", "--data", str(path), "--years", "2016", "-v"])
    assert result.exit_code == 0
    assert "set aside 1: repeated header line" in result.stderr


def test_ctrl_c_while_writing_exits_130_and_leaves_no_half_written_file(
    tmp_path, monkeypatch, capsys
):
    import pyarrow.parquet as pq

    from korus import cli as cli_module

    write_csv(two_sided_frame(), tmp_path / "in.csv")
    target = tmp_path / "out.parquet"

    def interrupted(table, where, **options):
        Path(where).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted)
    monkeypatch.setattr(
        sys, "argv", ["korus", "convert", str(tmp_path / "in.csv"), "-o", str(target)]
    )
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 130
    assert capsys.readouterr().err.strip() == "Interrupted."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_standard_input_is_named_as_such_in_errors_and_accounting(runner):
    result = runner.invoke(cli, ["inspect", "-"], input="\n")
    assert result.exit_code == 1
    assert result.stderr == "Error: standard input: the file is empty\n"
