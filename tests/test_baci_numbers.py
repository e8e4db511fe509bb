"""BACI's readings turn Arrow columns into numpy arrays, and numpy positions into Arrow
indices, without pyarrow's conversions: those import pandas first, and so stand still
while another thread imports it (the command line imports pandas beside its reading)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from held_import import beside_held_pandas
from korus.readers.baci_rows import _indices, _numbers

TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint16(), pa.float32(), pa.float64()]


@given(
    st.sampled_from(TYPES),
    st.lists(st.lists(st.integers(-100, 100), max_size=20), min_size=0, max_size=4),
    st.integers(0, 5),
    st.integers(0, 5),
)
def test_numbers_are_pyarrows_conversion(kind, pieces, start, stop):
    if pa.types.is_unsigned_integer(kind):
        pieces = [[abs(value) for value in piece] for piece in pieces]
    chunks = [pa.array(piece, kind) for piece in pieces]
    column = pa.chunked_array(chunks, kind)
    # A slice: chunks that start inside their buffers (an offset), as a row group's do.
    column = column.slice(min(start, len(column)), max(0, len(column) - start - stop))
    for given_column in [column, *column.chunks]:
        got = _numbers(given_column)
        expected = given_column.to_numpy()
        assert got.dtype == expected.dtype
        assert got.tolist() == expected.tolist()


def test_missing_values_and_other_types_are_pyarrows_conversion():
    with_null = pa.array([1, None, 3], pa.int32())
    assert np.isnan(_numbers(with_null)[1])  # (as pyarrow: floats with NaN)
    flags = pa.array([True, False, True])
    assert _numbers(flags).tolist() == [True, False, True]
    assert _numbers(pa.chunked_array([], pa.int16())).tolist() == []
    assert _numbers(pa.array([], pa.float64())).dtype == np.float64


def test_indices_take_the_rows_pyarrow_would():
    table = pa.table({"v": pa.array(np.arange(10, 20), pa.int32())})
    at = np.array([0, 3, 9, 3], dtype=np.int64)
    assert table.take(_indices(at)).equals(table.take(pa.array(at)))
    assert table.take(_indices(at[::2])).equals(table.take(pa.array(at[::2])))  # a strided view
    assert table.take(_indices(np.flatnonzero([]))).num_rows == 0


def test_no_conversion_waits_for_pandas_being_imported():
    # Another thread imports "pandas" (a stand-in that holds its import until released):
    # pyarrow's conversions would wait for it to end; korus's must not.
    body = """
def int16(values):  # (made from a buffer: pa.array itself asks for pandas)
    data = pa.py_buffer(np.array(values, np.int16))
    return pa.Array.from_buffers(pa.int16(), len(values), [None, data])
column = pa.chunked_array([int16([5, 6, 7]), int16([8])])
numbers = _numbers(column).tolist() + _numbers(column.chunk(0)).tolist()
taken = pa.table({"v": column}).take(_indices(np.array([3, 0])))["v"].to_pylist()
print(numbers, taken, time.monotonic() - began < 15)
"""
    imports = "from korus.readers.baci_rows import _indices, _numbers\n"
    printed = beside_held_pandas(imports, body)
    assert printed == "[5, 6, 7, 8, 5, 6, 7] [8, 5] True"


@pytest.mark.parametrize("kind", [pa.float16(), pa.string(), pa.bool_()])
def test_what_has_no_plain_buffer_goes_pyarrows_way(kind):
    values = {"halffloat": [np.float16(1.5)], "string": ["a"], "bool": [True]}[str(kind)]
    column = pa.array(values, kind)
    assert _numbers(column).tolist() == column.to_numpy(zero_copy_only=False).tolist()
