"""Column-wise helpers the readers share: a text file parsed into columns of text once, and
the cells of a column judged a whole column at a time, never row by row in Python.

Every helper gives exactly what the row-by-row rules it stands for give (a cell's text as
Python strips it, a number as Python's ``float`` reads it): a value that a fast rule
cannot vouch for is left to the reader's exact rule for that one cell or row, so a fast
path never decides anything a slow one would have decided otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from korus.readers.common import ENCODING, decode, open_text, raw_bytes, read_csv

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# A figure Python's float() reads exactly as Arrow's cast does: ASCII digits, one sign, a
# point, an exponent; spaces and tabs around it are what str.strip() would remove.
_FIGURE = r"^[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$"


def text_columns(path: Path) -> tuple[list[str], list[pa.Array]]:
    """Return (first record, the columns of the records after it) of a CSV file, every cell
    as text, exactly as ``common.read_csv(path, header=None)`` reads it: blank lines
    skipped, a record of another width than the first an error naming its line.

    Arrow parses the file; anything Arrow refuses, and any file whose quotes could be read
    two ways (an unclosed quote, a quote inside a cell), is read by ``read_csv`` instead,
    which gives the same cells or the error the user would have seen.
    """
    import pyarrow as pa

    text = decode(raw_bytes(path), Path(path))
    table = None
    if text.count('"') % 2 == 0:
        table = _arrow_table(text)
    if table is not None and any(_holds(column, '"') for column in table.columns):
        table = None  # a quote inside a cell: an unclosed quote may hide behind it
    if table is None or table.num_rows == 0:
        frame = read_csv(path, header=None)
        columns = [
            pa.array(frame[name].fillna("").astype(object).to_numpy(), type=pa.string())
            for name in frame.columns
        ]
    else:
        columns = list(table.columns)
    header = [cell.as_py() for cell in (column[0] for column in columns)]
    return header, [column.slice(1) for column in columns]


def first_text(path: Path, chars: int) -> str:
    """Return the first characters of a text file (gunzipped, in the chosen encoding,
    without a byte-order mark) without reading it all; where the file cannot be read so,
    ``common.open_text`` reads it and says why."""
    import gzip

    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as handle:
            data = handle.read(chars * 4 + 4)
        text = data.decode(ENCODING.get() or "utf-8", errors="ignore")
    except (OSError, EOFError, LookupError):
        with open_text(path) as handle:
            return handle.read(chars)
    return text.removeprefix("\ufeff")[:chars]


def _arrow_table(text: str):
    """Return Arrow's reading of CSV text as a table of text columns, or None if it refuses
    the text (a record of another width, a stray quote...)."""
    import pyarrow as pa
    from pyarrow import csv

    # Column names f0, f1...: as many as the first lines could hold (a column beyond them
    # would be typed by Arrow, and the file is then read the exact way).
    widest = text.count(",", 0, 1 << 16) + 1
    try:
        table = csv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=csv.ReadOptions(autogenerate_column_names=True, block_size=1 << 22),
            parse_options=csv.ParseOptions(newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                column_types={f"f{index}": pa.string() for index in range(widest)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException:
        return None
    if any(column.type != pa.string() for column in table.columns):
        return None
    return table


def _holds(column, text: str) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.match_substring(column, text)).as_py())


def object_columns(rows: list[list]) -> list[pa.Array]:
    """Return the columns of rows of JSON values (str, int, float, bool or None, each row
    as long as the header) as text: None is "", anything else ``str(value)``."""
    import pyarrow as pa

    if not rows:
        return []
    columns = []
    for cells in zip(*rows, strict=True):
        if not all(type(cell) is str for cell in cells):
            cells = ["" if cell is None else str(cell) for cell in cells]
        columns.append(pa.array(cells, type=pa.string()))
    return columns


@dataclass
class Coded:
    """A column as codes into its distinct values (a few hundred where a column holds a
    few hundred partners, however many rows): whatever is worked out from a value is
    worked out once per distinct value."""

    codes: np.ndarray  # int64, one per row
    values: list  # the distinct values, in order of first appearance

    @classmethod
    def of(cls, column: pa.Array) -> Coded:
        import numpy as np
        import pyarrow as pa

        encoded = column.dictionary_encode()
        if isinstance(encoded, pa.ChunkedArray):
            chunks = encoded.chunks
            if not chunks:
                return cls(np.zeros(0, dtype=np.int64), [])
            # The chunks are encoded with one table of values, each chunk's dictionary the
            # values seen up to it: the last holds them all.
            dictionary = chunks[-1].dictionary
            if any(len(chunk.dictionary) != len(dictionary) for chunk in chunks):
                return cls.of(column.combine_chunks())
            indices = pa.chunked_array(
                [chunk.indices for chunk in chunks], type=chunks[0].indices.type
            )
        else:
            dictionary, indices = encoded.dictionary, encoded.indices
        codes = np.array(indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        return cls(codes, dictionary.to_pylist())

    @classmethod
    def constant(cls, value, rows: int) -> Coded:
        import numpy as np

        return cls(np.zeros(rows, dtype=np.int64), [value])

    def map(self, function) -> Coded:
        """Return the column of ``function`` of each value (computed once per value)."""
        return Coded(self.codes.copy(), [function(value) for value in self.values])

    def array(self, dtype=object) -> np.ndarray:
        """Return the values of every row as a numpy array."""
        import numpy as np

        if dtype is object:
            table = np.empty(len(self.values), dtype=object)
            for index, value in enumerate(self.values):
                table[index] = value
        else:
            table = np.asarray(self.values, dtype=dtype)
        return table[self.codes]

    def strings(self, at: np.ndarray):
        """Return the values (text) of the rows ``at`` as a pandas text array."""
        import pandas as pd
        import pyarrow as pa

        values = pa.array(self.values, type=pa.large_string())
        return pd.array(values.take(pa.array(self.codes[at])), dtype="str")

    def put(self, row: int, value) -> None:
        """Set one row's value (a row a reader's exact rule read)."""
        try:
            code = self.values.index(value)
        except ValueError:
            code = len(self.values)
            self.values.append(value)
        self.codes[row] = code


def pair_codes(first: Coded, second: Coded) -> Coded:
    """Return the column of (first, second) value pairs, coded."""
    import numpy as np
    import pandas as pd

    width = max(len(second.values), 1)
    codes, distinct = pd.factorize(first.codes * width + second.codes)
    values = [(first.values[int(c) // width], second.values[int(c) % width]) for c in distinct]
    return Coded(codes.astype(np.int64), values)


def figures(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, sure) of a column of figures: ``sure`` where the cell is a figure
    that Python's ``float`` of the stripped text reads to the same finite value; the other
    cells (blanks, words, infinities, other digits) are for the reader's exact rule."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    shaped = pc.match_substring_regex(column, _FIGURE)
    cleaned = pc.utf8_trim(pc.if_else(shaped, column, "0"), " \t")
    values = np.array(pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False))
    sure = np.asarray(shaped.to_numpy(zero_copy_only=False), dtype=bool) & np.isfinite(values)
    return values, sure


def first_true(mask: np.ndarray) -> int | None:
    """Return the index of the first True of a boolean array, or None."""
    import numpy as np

    if not len(mask):
        return None
    index = int(np.argmax(mask))
    return index if mask[index] else None


def ordered_counts(labels: np.ndarray) -> list[tuple[object, int]]:
    """Return (label, count) of an object array of labels, in order of first appearance."""
    import numpy as np

    if not len(labels):
        return []
    distinct, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return [(distinct[i], int(counts[i])) for i in order]
