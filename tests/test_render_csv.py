"""CSV that never breaks: report CSV and TSV, and the tidy CSV of `korus convert`, quote what
a reader would take apart, and korus reads back exactly the tidy files it wrote."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import make_frame
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import tidy
from korus.render import Report, render
from korus.schema import TEXT_COLUMNS, canonical

HEADER = "year,month,reporter,partner,flow,product,classification,value_usd,source,basis,vintage"


def text_report(values: list[str]) -> Report:
    frame = pd.DataFrame({"name": values, "value": [-5_000_000.0] * len(values)})
    return Report(title="Text", frame=frame, money=["value"])


def rendered(report: Report, fmt: str) -> str:
    out = io.StringIO()
    render(report, fmt, "millions", out)
    return out.getvalue()


def one_row(**text) -> pd.DataFrame:
    """Return a canonical frame of one 2016 export row with the given text columns."""
    return make_frame([(2016, None, "export", "TOTAL", 5.0)], **text)


def tidy_lines(path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


# --- report CSV and TSV ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
@pytest.mark.parametrize("breaker", ["\r", "\n", "\r\n"])
def test_a_line_break_inside_a_report_text_cell_is_quoted(fmt, delimiter, breaker):
    text = rendered(text_report([f"Bureau{breaker}of trade"]), fmt)
    assert text == f'name{delimiter}value_usd_millions\n"Bureau{breaker}of trade"{delimiter}-5.0\n'


def test_a_report_csv_with_a_carriage_return_in_a_cell_reads_back_as_one_row():
    text = rendered(text_report(["a\rb", "c"]), "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["name", "value_usd_millions"], ["a\rb", "-5.0"], ["c", "-5.0"]]


def test_a_tab_inside_a_tsv_text_cell_is_quoted():
    assert rendered(text_report(["a\tb"]), "tsv").splitlines()[1] == '"a\tb"\t-5.0'


def test_a_quote_inside_a_csv_text_cell_is_doubled_inside_quotes():
    assert rendered(text_report(['the "big" one']), "csv").splitlines()[1] == (
        '"the ""big"" one",-5.0'
    )


def test_a_formula_with_a_line_break_keeps_its_apostrophe_inside_the_quotes():
    assert rendered(text_report(["=1+1\r"]), "csv").split("\n")[1] == '"\'=1+1\r",-5.0'


def test_report_csv_keeps_control_characters_of_the_data_as_they_are():
    # Machine output is the data: only people's formats show escapes.
    assert rendered(text_report(["\x1b[31mred"]), "csv").splitlines()[1] == "\x1b[31mred,-5.0"


# --- the tidy CSV of convert ---------------------------------------------------------------


def test_a_carriage_return_in_a_source_name_is_quoted_in_the_tidy_csv(tmp_path):
    tidy.write_csv(one_row(source="Bureau\rof trade"), tmp_path / "t.csv")
    assert tidy_lines(tmp_path / "t.csv")[1] == (
        b'2016,,USA,KOR,export,TOTAL,none,5.0,"Bureau\rof trade",FOB,test vintage'
    )


def test_a_tidy_csv_with_a_carriage_return_in_a_source_name_reads_back_the_same(tmp_path):
    frame = one_row(source="Bureau\rof trade")
    tidy.write_csv(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(readers.load([tmp_path / "t.csv"]).frame, frame)


def test_the_tidy_csv_of_ordinary_data_is_plain_csv_with_lf_line_ends(tmp_path):
    frame = make_frame([(2016, None, "export", "TOTAL", 5.25), (2016, 3, "import", "87", 1e9)])
    tidy.write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes().decode() == (
        f"{HEADER}\n"
        "2016,,USA,KOR,export,TOTAL,none,5.25,test source,FOB,test vintage\n"
        "2016,3,USA,KOR,import,87,HS2012,1000000000.0,test source,CIF,test vintage\n"
    )


def test_formula_text_in_the_tidy_csv_gets_a_leading_apostrophe(tmp_path):
    tidy.write_csv(one_row(vintage="=HYPERLINK(1)"), tmp_path / "t.csv")
    assert tidy_lines(tmp_path / "t.csv")[1].endswith(b",FOB,'=HYPERLINK(1)")


def test_formula_text_reads_back_from_the_tidy_csv_without_its_apostrophe(tmp_path):
    tidy.write_csv(one_row(vintage="=HYPERLINK(1)"), tmp_path / "t.csv")
    assert readers.load([tmp_path / "t.csv"]).frame["vintage"].tolist() == ["=HYPERLINK(1)"]


def test_text_already_starting_with_an_apostrophe_and_a_formula_gets_one_more(tmp_path):
    tidy.write_csv(one_row(source="'=x"), tmp_path / "t.csv")
    assert b",''=x," in tidy_lines(tmp_path / "t.csv")[1]
    assert readers.load([tmp_path / "t.csv"]).frame["source"].tolist() == ["'=x"]


def test_an_apostrophe_before_ordinary_text_is_written_and_read_as_it_is(tmp_path):
    tidy.write_csv(one_row(source="'s-Hertogenbosch"), tmp_path / "t.csv")
    assert b",'s-Hertogenbosch," in tidy_lines(tmp_path / "t.csv")[1]
    assert readers.load([tmp_path / "t.csv"]).frame["source"].tolist() == ["'s-Hertogenbosch"]


def test_a_nul_character_is_refused_by_the_tidy_csv_writer_naming_row_and_column(tmp_path):
    frame = make_frame([(2016, None, "export", "TOTAL", 5.0), (2016, None, "import", "TOTAL", 6.0)])
    frame.loc[1, "vintage"] = "data\x00through 2026"
    with pytest.raises(DataFileError) as caught:
        tidy.write_csv(frame, tmp_path / "t.csv")
    assert str(caught.value) == (
        f"{tmp_path / 't.csv'}: row 2 of the table, column 'vintage', holds a NUL character "
        "('data\\x00through 2026'), which a CSV file cannot carry; write Parquet instead "
        "(-o FILE.parquet)"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_tidy_csv_stream_writer_quotes_a_carriage_return():
    out = io.StringIO()
    tidy.write_csv_stream(one_row(basis="FOB\r"), out)
    assert (
        out.getvalue()
        == f'{HEADER}\n2016,,USA,KOR,export,TOTAL,none,5.0,test source,"FOB\r",test vintage\n'
    )


# --- round trips with hostile text ---------------------------------------------------------

PIECES = [
    "\r",
    "\n",
    "\r\n",
    '"',
    ",",
    "\t",
    "'",
    "=",
    "+",
    "-",
    "@",
    "\x1b[2J",
    "\x1b]0;title\x07",
    "\x85",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u2028",
    "\ufeff",
    "\x7f",
    "Côte d'Ivoire",
    "대한민국",
    " ",
    "\\",
    "NA",
]


def hostile_text(nul: bool) -> st.SearchStrategy[str]:
    """Return text made of pieces that break CSV, spreadsheets or terminals, and any
    character UTF-8 can carry; NUL only where ``nul``."""
    characters = st.characters(codec="utf-8", exclude_characters="" if nul else "\x00")
    piece = st.one_of(st.sampled_from(PIECES), st.text(characters, max_size=6))
    short = st.lists(piece, max_size=8).map("".join)
    long = st.builds(
        lambda text, times: text * times, st.text(characters, min_size=1), st.integers(500, 3000)
    )
    return st.one_of(short, short, long)


def hostile_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    """Return a canonical frame of one row per year from 2000, with the given text columns."""
    records = []
    for index, text in enumerate(rows):
        record = {
            "year": 2000 + index,
            "month": None if index % 2 else (index % 12) + 1,
            "flow": ("export", "import", "re-export", "balance")[index % 4],
            # Flows are never negative (the trust layer refuses them); a balance may be.
            "value_usd": 1234.56 * index * (-1 if index % 4 == 3 else 1),
        }
        records.append(record | text)
    frame = pd.DataFrame(records)
    frame["month"] = frame["month"].astype("Int8")
    return canonical(frame)


TEXT = [column for column in TEXT_COLUMNS if column != "flow"]  # a flow is one of five words


def hostile_frames(nul: bool) -> st.SearchStrategy[pd.DataFrame]:
    row = st.fixed_dictionaries({column: hostile_text(nul) for column in TEXT})
    return st.lists(row, min_size=1, max_size=4).map(hostile_frame)


AUDITED = hostile_frame(
    [
        {
            "reporter": "USA",
            "partner": "=cmd|' /C calc'!A0",
            "product": "'=87",
            "classification": "HS\r2012",
            "source": "Bureau\rof trade",
            "basis": 'FOB, "free on board"\n',
            "vintage": "\x1b[2J\x1b]0;pwned\x07-2026",
        }
    ]
)


@given(hostile_frames(nul=False))
@example(AUDITED)
@settings(max_examples=80)
def test_a_tidy_csv_with_hostile_text_in_every_text_column_reads_back_the_same(
    tmp_path_factory, frame
):
    path = tmp_path_factory.mktemp("hostile") / "t.csv"
    tidy.write_csv(frame, path)
    pd.testing.assert_frame_equal(readers.load([path]).frame, frame)


@given(hostile_frames(nul=True))
@example(AUDITED)
@settings(max_examples=40)
def test_a_tidy_parquet_with_hostile_text_in_every_text_column_reads_back_the_same(
    tmp_path_factory, frame
):
    path = tmp_path_factory.mktemp("hostile") / "t.parquet"
    tidy.write_parquet(frame, path)
    pd.testing.assert_frame_equal(readers.load([path]).frame, frame)


def test_convert_output_csv_is_read_back_by_korus_as_its_own_data(runner, tmp_path):
    frame = make_frame(
        [(2016, None, "export", "TOTAL", 42e9), (2016, None, "import", "TOTAL", 70e9)],
        source="Bureau\rof trade",
        vintage="=1+1",
    )
    tidy.write_parquet(frame, tmp_path / "in.parquet")
    converted = runner.invoke(
        cli, ["convert", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.csv")]
    )
    assert converted.exit_code == 0, converted.output
    result = runner.invoke(
        cli, ["deficit", "--data", str(tmp_path / "out.csv"), "--years", "2016", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[1:] == [
        '2016,USA,KOR,42000.0,70000.0,-28000.0,all goods,"Bureau\rof trade",'
        "exports: FOB; imports: CIF,'=1+1",
        "",
    ]
