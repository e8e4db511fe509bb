"""A JSON array of arrays read from its bytes' positions (``readers.jsontext``): where it
answers, it answers what ``json.loads`` and ``columns.object_columns`` give, cell for cell;
where it cannot vouch for the text (a number, an escape, a stray byte, a ragged row), it
leaves it to them; and the Census API reader's readings, notes and errors are the ones the
exact way gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from korus.errors import DataFileError
from korus.readers import census_api, jsontext
from korus.readers.columns import object_columns


def exact(data: bytes):
    """What the exact way reads: (header, columns as lists), or the exception's type."""
    try:
        rows = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return type(exc).__name__
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], list):
        return "not an answer"
    if any(not isinstance(row, list) or len(row) != len(rows[0]) for row in rows[1:]):
        return "ragged"
    return rows[0], [column.to_pylist() for column in object_columns(rows[1:], len(rows[0]))]


def fast(data: bytes, step: int = jsontext.PIECE):
    found = jsontext.text_rows(data, step)
    if found is None:
        return None
    header, columns = found
    return header, [column.to_pylist() for column in columns]


TEXT = st.text(alphabet=st.sampled_from(list("aZ09 ,[]{}:nul'\"\\\t\n\r\x01é€😀")), max_size=6)
VALUE = st.one_of(TEXT, st.none(), st.integers(-5, 5), st.booleans(), st.floats(-2, 2))


def write(rows: list, style: int) -> bytes:
    """The arrays as the Census API writes them (one a line, no spaces), as ``korus fetch``
    does (", " between values), all on one line, or indented."""
    if style == 0:
        text = (
            "["
            + ",\n".join(json.dumps(row, separators=(",", ":"), ensure_ascii=False) for row in rows)
            + "]"
        )
    elif style == 1:
        text = "[" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
        text += "]"
    elif style == 2:
        text = json.dumps(rows, ensure_ascii=False)
    else:
        text = " \r\n" + json.dumps(rows, indent="\t", ensure_ascii=False) + "\n "
    return text.encode("utf-8")


@st.composite
def answers(draw):
    width = draw(st.integers(1, 4))
    header = draw(st.lists(TEXT, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(VALUE, min_size=width, max_size=width), min_size=1, max_size=6))
    return [header, *rows], draw(st.integers(0, 3))


@settings(max_examples=400)
@given(answers(), st.sampled_from([1, 3, 7, jsontext.PIECE]))
def test_an_answer_is_read_as_json_reads_it_or_left_to_it(answer, step):
    rows, style = answer
    data = write(rows, style)
    found = fast(data, step)
    if found is not None:
        assert found == exact(data)
    plain = all(
        isinstance(cell, str | None) and not any(c in str(cell) for c in '"\\\t\n\r\x01')
        for row in rows
        for cell in row
    ) and all(isinstance(cell, str) for cell in rows[0])
    # Of the shape answers have, the fast way answers (one a line or indented: line
    # breaks outside strings only).
    assert (found is not None) == plain


@settings(max_examples=600)
@given(
    answers(),
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 2),
            st.sampled_from(list(b'[],"nul \n\x00a\\\xc3')),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_a_damaged_answer_is_never_read_otherwise_than_json_reads_it(answer, damage):
    rows, style = answer
    data = bytearray(write(rows, style))
    for at, how, byte in damage:
        at %= len(data) + 1
        if how == 0:
            data[at:at] = bytes([byte])  # a byte added
        elif how == 1 and at < len(data):
            del data[at]  # a byte taken away
        elif at < len(data):
            data[at] = byte  # a byte changed
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return  # (the reader hands on text it has decoded: ``common.utf8_bytes``)
    found = fast(bytes(data))
    if found is not None:
        assert found == exact(bytes(data))


def test_nulls_are_empty_cells_and_text_is_the_strings_own():
    data = b'[["A","B","C"],\n["x, [y]",null,""],\n[null,"nul","\xc3\xa9 \xe2\x82\xac"]]'
    assert fast(data) == (["A", "B", "C"], [["x, [y]", ""], ["", "nul"], ["", "é €"]])


@pytest.mark.parametrize(
    "data",
    [
        b'[["A","B"],["x",1]]',  # a number: json makes it text its own way
        b'[["A","B"],["x\\"y","z"]]',  # an escape
        b'[["A","B"],["x","y\tz"]]',  # a tab inside a string: JSON refuses it
        b'[["A","B"],["x"]]',  # ragged
        b'[["A","B"],["x","y"],]',  # a trailing comma
        b'[["A","B"],["x","y"]] x',  # text after the array
        b'[["A",null],["x","y"]]',  # a header field that is not a name
        b'[["A","B"],[nulll,"y"]]',
        b'[["A","B"]["x","y"]]',
        b'[["A"]]',  # a header and no rows: the exact way says so
        b"[]",
    ],
)
def test_what_the_fast_way_cannot_vouch_for_is_left_to_the_exact_way(data):
    assert fast(data) is None


ROWS = [
    ["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "I_COMMODITY", "time", "COMM_LVL"],
    *[
        [code, name, value, "01", f"2019-{month:02d}", "HS2"]
        for code, name in (("5800", "KOREA, SOUTH"), ("5700", "CHINA"))
        for month in range(1, 13)
        for value in [str(1000 + month * 7)]
    ],
]


def _both(path, monkeypatch):
    """The reading of ``path`` by the fast way, and by the exact way (the fast way off)."""
    read = census_api.read(path)
    with monkeypatch.context() as patch:
        patch.setattr(jsontext, "text_rows", lambda *_: None)
        slow = census_api.read(path)
    return read, slow


@pytest.mark.parametrize("style", [0, 1, 2, 3])
def test_the_census_reader_reads_an_answer_as_the_exact_way_does(tmp_path, monkeypatch, style):
    path = tmp_path / "answer.json"
    rows = [*ROWS, ["5800", None, "5", "02", "2019-01", "HS2"]]
    path.write_bytes(write(rows, style))
    assert jsontext.text_rows(path.read_bytes()) is not None
    read, slow = _both(path, monkeypatch)
    assert read.frame.equals(slow.frame)
    assert read.accounting == slow.accounting
    assert read.frame["value_usd"].sum() == sum(1000 + m * 7 for m in range(1, 13)) * 2 + 5


def test_bytes_that_are_not_utf8_are_the_error_they_were(tmp_path):
    path = tmp_path / "answer.json"
    path.write_bytes(b'[["CTY_CODE","GEN_VAL_MO","time"],\n["5800","1","2019-\xff"]]')
    with pytest.raises(DataFileError, match=r"line 2, column 19: byte 0xFF is not utf-8"):
        census_api.read(path)


def test_an_error_in_a_row_is_the_one_the_exact_way_gives(tmp_path, monkeypatch):
    path = tmp_path / "answer.json"
    rows = [*ROWS]
    rows[5] = [*rows[5][:2], "(D)", *rows[5][3:]]
    path.write_bytes(write(rows, 0))
    errors = []
    for off in (False, True):
        with monkeypatch.context() as patch:
            if off:
                patch.setattr(jsontext, "text_rows", lambda *_: None)
            with pytest.raises(DataFileError) as caught:
                census_api.read(path)
            errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "row 6 of the JSON array" in errors[0]


def test_the_answer_as_the_api_gives_it_reads_as_the_same_answer_saved_as_csv(tmp_path):
    """The benchmark's answer (one array a line, no spaces, as the API writes it) is read
    the fast way, and gives the frame and counts of the same rows saved as CSV."""
    import importlib
    import sys
    from pathlib import Path

    folder = str(Path(__file__).resolve().parent.parent / "bench")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    bench = importlib.import_module("engine_bench")
    answer = bench.generate_census_json(tmp_path / "answer.json", 3000)
    saved = bench.generate_census(tmp_path / "answer.csv", 3000)
    assert answer.read_bytes().startswith(b'[["CTY_NAME","GEN_VAL_MO",')
    assert jsontext.text_rows(answer.read_bytes()) is not None
    as_json, as_csv = census_api.read(answer), census_api.read(saved)
    assert len(as_json.frame) > 3000
    assert as_json.frame.equals(as_csv.frame)
    (json_account,), (csv_account,) = as_json.accounting, as_csv.accounting
    assert (json_account.rows_read, json_account.rows_kept) == (
        csv_account.rows_read,
        csv_account.rows_kept,
    )
    assert json_account.rows_read == saved.read_text(encoding="utf-8").count("\n") - 1
