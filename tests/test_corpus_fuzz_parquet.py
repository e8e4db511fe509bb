"""Tidy Parquet files the fuzzer (tests/fuzzing.py) found korus getting wrong, one per cause:
each now gives its right figures or one clean error line naming the file and what to do.
(The text files of the same hunt are corpus cases: tests/corpus/cases-fuzz.toml.)"""

from __future__ import annotations

import decimal
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from korus.cli import cli

ROWS = {
    "year": [2016, 2016],
    "month": [None, 3],
    "reporter": ["USA", "USA"],
    "partner": ["KOR", "KOR"],
    "flow": ["export", "import"],
    "product": ["TOTAL", "TOTAL"],
    "classification": ["none", "none"],
    "value_usd": [100.25, 7.5],
    "source": ["test", "test"],
    "basis": ["FOB", "CIF"],
    "vintage": ["test", "test"],
}
TYPES = {"year": pa.int16(), "month": pa.int8(), "value_usd": pa.float64()}


def _parquet(path, changes=None, types=None, metadata=b"1", checksums=False) -> bytes:
    columns = {**ROWS, **(changes or {})}
    kinds = {**TYPES, **(types or {})}
    table = pa.table(
        {name: pa.array(values, kinds.get(name, pa.string())) for name, values in columns.items()}
    )
    if metadata is not None:
        table = table.replace_schema_metadata({b"korus.schema_version": metadata})
    out = io.BytesIO()
    pq.write_table(table, out, compression="none", write_page_checksum=checksums)
    path.write_bytes(out.getvalue())
    return out.getvalue()


def _error(runner, path) -> str:
    """Return the one error line korus ends with on ``path`` (and check it is one line)."""
    result = runner.invoke(cli, ["inspect", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "unexpected failure" not in result.stderr
    return result.stderr.rstrip("\n")


def _figures(runner, path) -> list[str]:
    result = runner.invoke(cli, ["convert", str(path), "-o", "-"])
    assert result.exit_code == 0, result.output
    return [",".join(line.split(",")[:8]) for line in result.stdout.splitlines()[1:]]


RIGHT = ["2016,,USA,KOR,export,TOTAL,none,100.25", "2016,3,USA,KOR,import,TOTAL,none,7.5"]


def test_a_year_beyond_16_bits_is_refused_never_wrapped_into_another_year(runner, tmp_path):
    # 67552 - 65536 = 2016: the narrowing to int16 once read it as 2016.
    path = tmp_path / "tidy.parquet"
    _parquet(path, {"year": [2016, 67552]}, {"year": pa.int32()})
    assert _error(runner, path) == (
        f"Error: {path}: row 2: year 67552 is not a year korus reads (a whole number from "
        "1900 to 2100): a broken cell, or another column's value; fix the file"
    )


def test_a_year_that_is_not_whole_is_refused_never_rounded(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    _parquet(path, {"year": [2016.0, 2015.5]}, {"year": pa.float64()})
    assert "row 2: year 2015.5 is not a year korus reads" in _error(runner, path)


def test_true_and_false_in_the_value_column_are_refused_naming_the_column(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    _parquet(path, {"value_usd": [True, False]}, {"value_usd": pa.bool_()})
    assert _error(runner, path) == (
        f"Error: {path}: the column 'value_usd' holds true/false values, not numbers; korus "
        "reads value_usd as a number: write the file again with 'korus convert'"
    )


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([decimal.Decimal("100.25"), decimal.Decimal("7.50")], pa.decimal128(12, 2)),
        (["100.25", "7.5"], pa.string()),
        ([100.25, 7.5], pa.float32()),
    ],
    ids=["decimal", "text", "float32"],
)
def test_values_stored_as_decimals_text_or_narrow_floats_are_read_as_numbers(
    runner, tmp_path, values, kind
):
    path = tmp_path / "tidy.parquet"
    _parquet(path, {"value_usd": values}, {"value_usd": kind})
    assert _figures(runner, path) == RIGHT


def test_a_month_column_of_nulls_only_gives_whole_years(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    changes = {"month": [None, None], "flow": ["export", "import"]}
    _parquet(path, changes, {"month": pa.null()})
    assert _figures(runner, path) == [RIGHT[0], RIGHT[1].replace("2016,3,", "2016,,")]


def test_a_year_column_of_nulls_only_is_refused(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    _parquet(path, {"year": [None, None]}, {"year": pa.null()})
    assert _error(runner, path) == (
        f"Error: {path}: row 1: the year is missing, and every row needs one (a whole number "
        "from 1900 to 2100): a broken cell, or another column's value; fix the file"
    )


def test_a_schema_version_that_is_not_a_number_is_one_clean_error(runner, tmp_path):
    # Once "unexpected failure (ValueError: invalid literal for int() ...)".
    path = tmp_path / "tidy.parquet"
    _parquet(path, metadata=b"1.0")
    assert _error(runner, path) == (
        f"Error: {path}: its korus schema version is '1.0', not a version number; this korus "
        "reads version 1: rebuild the file with 'korus convert'"
    )


def test_a_damaged_page_with_a_checksum_is_refused_never_read_as_other_figures(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    data = bytearray(_parquet(path, checksums=True))
    # The first value_usd figure, 100.25 as a little-endian double, changed by one bit.
    at = bytes(data).index(pa.array([100.25]).buffers()[1].to_pybytes())
    data[at + 6] ^= 0x01
    path.write_bytes(bytes(data))
    line = _error(runner, path)
    assert line.startswith(f"Error: {path}: not a readable Parquet file (")
    assert "CRC checksum verification failed" in line
    assert line.endswith("it may be damaged or cut short: write or download it again")


def test_a_damaged_footer_is_one_error_line_with_arrow_s_message_folded(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    data = bytearray(_parquet(path))
    footer = int.from_bytes(data[-8:-4], "little")
    for at in range(len(data) - 8 - footer, len(data) - 8, 7):
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    line = _error(runner, path)
    assert line.startswith(f"Error: {path}: not a readable Parquet file (")
    assert "\\n" not in line  # Arrow's line breaks folded, never shown as escapes
    assert line.endswith("it may be damaged or cut short: write or download it again")


def test_a_column_name_in_the_footer_that_is_not_utf8_is_one_error_line(runner, tmp_path):
    # Once "unexpected failure (UnicodeDecodeError ...)": a flipped byte in a column's name.
    path = tmp_path / "tidy.parquet"
    data = bytearray(_parquet(path))
    footer = int.from_bytes(data[-8:-4], "little")
    at = data.index(b"vintage", len(data) - 8 - footer)
    data[at + 6] = 0xEE  # "vintag" and the first byte of a character cut short
    path.write_bytes(bytes(data))
    line = _error(runner, path)
    assert line.startswith(f"Error: {path}: not a readable Parquet file (")
    assert line.endswith("it may be damaged or cut short: write or download it again")


def test_a_footer_that_counts_a_row_group_as_empty_is_refused_never_read_short(runner):
    # Once read as 6 rows of 8, exit 0: the fuzzer flipped one bit of the footer (which no
    # checksum covers), and the second of its 4 row groups said it held no row.
    path = Path(__file__).parent / "corpus" / "fuzz_tidy_row_group_counted_as_none.parquet"
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_rows == 8
    assert [metadata.row_group(at).num_rows for at in range(4)] == [2, 0, 2, 2]
    assert _error(runner, path) == (
        f"Error: {path}: not a readable Parquet file (its footer counts 8 rows, its row groups "
        "6, and 6 were read); it may be damaged or cut short: write or download it again"
    )


def test_a_column_given_twice_is_refused_naming_it(runner, tmp_path):
    path = tmp_path / "tidy.parquet"
    table = pa.table({name: pa.array(v, TYPES.get(name, pa.string())) for name, v in ROWS.items()})
    table = table.append_column("year", pa.array([2017, 2017], pa.int16()))
    pq.write_table(table, path)
    assert _error(runner, path) == (
        f"Error: {path}: the header names the column 'year' twice (columns 1 and 12); korus "
        "cannot know which to read: keep one"
    )


def test_a_damaged_page_of_a_file_korus_wrote_is_refused(runner, tmp_path):
    # korus writes its pages with checksums, so that damage to one is always told.
    source = tmp_path / "tidy.csv"
    source.write_text(
        "year,month,reporter,partner,flow,product,classification,value_usd,source,basis,"
        "vintage\n2016,,USA,KOR,export,TOTAL,none,100.25,test,FOB,test\n"
        "2016,3,USA,KOR,import,TOTAL,none,7.5,test,CIF,test\n"
    )
    path = tmp_path / "tidy.parquet"
    result = runner.invoke(cli, ["convert", str(source), "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert _figures(runner, path) == RIGHT
    column = pq.ParquetFile(path).metadata.row_group(0).column(list(ROWS).index("value_usd"))
    data = bytearray(path.read_bytes())
    end = (column.dictionary_page_offset or column.data_page_offset) + column.total_compressed_size
    data[end - 2] ^= 0x10  # in the page's compressed values, past its header
    path.write_bytes(bytes(data))
    line = _error(runner, path)
    assert line.startswith(f"Error: {path}: not a readable Parquet file (")
    assert "CRC checksum verification failed" in line
