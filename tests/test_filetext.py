"""A large CSV read where it lies (``readers.filetext``): Arrow parses its rows from the
file, and the reading is the one its bytes in memory give, cell for cell and line for line,
whatever its line ends, blank lines, quotes and encoding."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from korus.errors import DataFileError
from korus.readers import columns, filetext
from korus.readers.common import decode, utf8_head

PIECES = [
    b"a",
    b"b1",
    b",",
    b"\n",
    b"\r\n",
    b"\r",
    b'"',
    b'"x\ny"',
    b" ",
    b"\xc3\xa7",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\x80",
    b"\xed\xa0\x80",
]


def _grid(found):
    if found is None:
        return None
    cells = [None if column is None else column.to_pylist() for column in found.columns]
    return found.positions.tolist(), cells


def _scanned(tmp_path: Path, data: bytes, piece: int, head: int) -> filetext.FileText:
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    found = filetext.scan(path, piece=piece, head=head)
    assert found is not None
    return found


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.integers(1, 9),
    st.integers(1, 24),
)
def test_a_scan_says_of_the_bytes_what_they_are(tmp_path_factory, pieces, piece, head):
    data = b"".join(pieces)
    found = _scanned(tmp_path_factory.mktemp("scan"), data, piece, head)
    assert len(found) == found.size == len(data)
    assert found.head == data[:head]
    assert found.feeds == data.count(b"\n")
    assert found.last_carriage == data.rfind(b"\r")
    assert found.last == (data[-1] if data else -1)
    try:
        decode(data, Path("data.csv"))
        decodes = True
    except DataFileError:
        decodes = False
    assert found.utf8 == decodes
    assert found.startswith(b"\xef\xbb\xbf") == data.startswith(b"\xef\xbb\xbf")
    assert found.load() == data
    for limit in (1, 3, head):
        assert utf8_head(found, limit) == utf8_head(data, limit)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"bb", b",", b"\n", b"\n", b"\r\n", b"\r", b'"q,"', b'"x\ny"']),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 30),
    st.booleans(),
    st.booleans(),
    st.integers(1, 9),
    st.integers(1, 40),
)
def test_a_grid_read_where_the_file_lies_is_the_grid_of_its_bytes(
    tmp_path_factory, pieces, start, blank_lines, kept, piece, head
):
    data = b"".join(pieces)
    start = min(start, len(data))
    found = _scanned(tmp_path_factory.mktemp("grid"), data, piece, head)
    width = data[start:].split(b"\n")[0].count(b",") + 1
    keep = [0, width - 1] if kept and width > 1 else None
    arguments = dict(blank_lines=blank_lines, keep=keep, width=width if keep else 0, start=start)
    expected = _grid(columns.text_grid(data, 5, 100, **arguments))
    assert _grid(columns.text_grid(found, 5, 100, **arguments)) == expected
    # (a cell longer than allowed: refused either way)
    assert _grid(columns.text_grid(found, 5, 1, **arguments)) == _grid(
        columns.text_grid(data, 5, 1, **arguments)
    )


def test_plain_lines_are_read_by_arrow_from_the_file_not_from_its_bytes(tmp_path, monkeypatch):
    """Lines that end in LF alone are parsed from the file: its bytes are never read whole
    (which a reading of the bytes would need)."""
    rows = [f"{i},x{i % 7},{i * 3}" for i in range(5000)]
    path = tmp_path / "data.csv"
    path.write_text("a,b,c\n" + "\n".join(rows) + "\n")
    found = filetext.scan(path, head=64)
    monkeypatch.setattr(filetext.FileText, "load", lambda self: pytest.fail("bytes read"))
    grid = columns.text_grid(found, 2, 100, start=6)
    assert grid.positions.tolist() == list(range(2, 5002))
    assert grid.columns[2].to_pylist()[-1] == str(4999 * 3)


def test_blank_lines_and_line_breaks_in_cells_are_read_from_the_bytes(tmp_path):
    for text, positions in (
        ("h\n1\n\n2\n", [2, 4]),  # a blank line (no row: blank_lines=False)
        ('h\n"a\nb"\n2\n', None),  # a line break inside a cell: left to csv.reader
        ("h\r\n1\r\n2\r\n", [2, 3]),  # CR LF: the exact rules
    ):
        path = tmp_path / "data.csv"
        path.write_bytes(text.encode())
        found = filetext.scan(path, head=4)
        start = 2 + text.startswith("h\r")
        grid = columns.text_grid(found, 2, 100, blank_lines=False, start=start)
        assert (grid and grid.positions.tolist()) == positions, text


def test_a_file_changed_while_it_is_read_is_an_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("h\n1\n2\n")
    found = filetext.scan(path)
    # Other figures, as many lines and bytes: only the file's time tells.
    path.write_text("h\n7\n8\n")
    os.utime(path, ns=(found.stamp[1] + 10**9, found.stamp[1] + 10**9))
    with pytest.raises(DataFileError, match="changed while korus read it"):
        columns.text_grid(found, 2, 100, start=2)
    path.write_text("h\n1\n2\n3\n")
    with pytest.raises(DataFileError, match="data.csv: the file changed while korus read it"):
        found.load()  # (the bytes the exact rules would read are not those scanned)


def test_only_a_large_plain_file_in_utf8_is_read_where_it_lies(tmp_path, monkeypatch):
    import gzip

    from korus.readers.common import ENCODING

    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 100)
    small = tmp_path / "small.csv"
    small.write_bytes(b"a,b\n1,2\n")
    packed = tmp_path / "big.csv.gz"
    packed.write_bytes(gzip.compress(big.read_bytes()))
    monkeypatch.setattr(filetext, "LEAST", 100)
    assert isinstance(filetext.text_of(big), filetext.FileText)
    assert filetext.text_of(small) == small.read_bytes()
    assert filetext.text_of(packed) == big.read_bytes()  # (unpacked)
    assert filetext.scan(packed, piece=1) is None  # (told by its head, however read)
    token = ENCODING.set("cp1252")
    try:
        assert filetext.text_of(big) == big.read_bytes()  # (--encoding: the bytes)
    finally:
        ENCODING.reset(token)
    assert np.array_equal(filetext.as_bytes(filetext.text_of(big)), big.read_bytes())


def _bench():
    import importlib
    import sys

    folder = str(Path(__file__).resolve().parent.parent / "bench")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("engine_bench")


def _variants(data: bytes, description: bytes, back: int) -> dict[str, bytes]:
    """The same file as people have it: other line ends, a blank line, a byte-order mark,
    accents, a line break in a cell, no last line end, a byte that is not UTF-8."""
    lines = data.split(b"\n")
    middle = len(lines) // 2
    fields = lines[middle].split(b",")
    fields[-back] = b"x" + fields[-back]  # (the figure of the middle line: none)
    return {
        "as written": data,
        "CR LF": data.replace(b"\n", b"\r\n"),
        "a blank line": b"\n".join(lines[:middle] + [b""] + lines[middle:]),
        "a byte-order mark": b"\xef\xbb\xbf" + data,
        "accents": data.replace(description, description.replace(b"o", b"\xc3\xb4"), 3),
        "a line break in a cell": data.replace(description, b'"two\nlines"', 1),
        "no last line end": data.rstrip(b"\n"),
        "a byte not UTF-8": data.replace(description, b"caf\xe9", 1),
        "a lone CR": data.replace(description, b"a\rb", 1),
        # (an error names its line: the lines read where the file lies are its own)
        "a figure that is none": b"\n".join(
            [*lines[:middle], b",".join(fields), *lines[middle + 1 :]]
        ),
    }


def _same_in_place(path: Path, monkeypatch, name: str) -> None:
    """Assert that a file read where it lies (its head and pieces cut short) gives the
    frame and accounting, or the error, that its bytes in memory give."""
    import pandas as pd

    monkeypatch.setattr(filetext, "LEAST", 1 << 40)
    expected = _reading(path)
    monkeypatch.setattr(filetext, "LEAST", 0)
    monkeypatch.setattr(filetext, "HEAD", 1 << 12)
    monkeypatch.setattr(filetext, "PIECE", 1 << 10)
    found = _reading(path)
    if isinstance(expected, str):
        assert found == expected, name
        return
    assert not isinstance(found, str), (name, found)
    pd.testing.assert_frame_equal(found[0], expected[0], obj=name)
    assert found[1] == expected[1], name


def _reading(path: Path):
    from korus import readers

    try:
        reading = readers.read_file(path)
    except DataFileError as exc:
        return str(exc)
    return reading.frame, reading.accounting


@pytest.mark.parametrize("layout", ["comtrade", "dataweb"])
def test_a_download_read_where_it_lies_reads_as_its_bytes_do(tmp_path, monkeypatch, layout):
    """Comtrade+ and DataWeb CSV downloads (written as the benchmark writes them) and
    their variants read where they lie (``filetext``, head and pieces cut short) give the
    frame and row accounting their bytes in memory give, or the same error."""

    bench = _bench()
    made = tmp_path / "made.csv"
    if layout == "comtrade":
        bench.generate_comtrade(made, 3000)
        description, back = b"Flat-rolled products", 4  # (primaryValue)
    else:
        bench.generate_dataweb(made, 15000)  # (above the 1 MiB head the reader decodes)
        description, back = made.read_bytes().split(b"\n")[3].split(b",")[3], 1
    assert description in made.read_bytes()
    for name, data in _variants(made.read_bytes(), description, back).items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        _same_in_place(path, monkeypatch, name)


def test_every_real_text_file_reads_where_it_lies_as_its_bytes_do(monkeypatch):
    """Every CSV and text file of the real agencies' downloads (``../shared/data``) read
    where it lies gives the frame, accounting or error its bytes in memory give."""

    from conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("the real agency files are not available (needs ../shared/data)")
    files = sorted(
        path
        for path in SHARED_DATA.rglob("*")
        if path.is_file() and path.suffix.lower() in (".csv", ".txt", ".tsv")
    )
    assert files
    for path in files:
        _same_in_place(path, monkeypatch, path.name)
