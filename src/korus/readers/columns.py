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

from korus.readers.common import ENCODING, open_text, raw_bytes, read_csv, utf8_bytes

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

PIECE = 1 << 22  # bytes judged at once by a scan of a file's bytes


def text_columns(path: Path) -> tuple[list[str], list[pa.Array]]:
    """Return (first record, the columns of the records after it) of a CSV file, every cell
    as text, exactly as ``common.read_csv(path, header=None)`` reads it: blank lines
    skipped, a record of another width than the first an error naming its line.

    Arrow parses the file; anything Arrow refuses, and any file whose quotes could be read
    two ways (an unclosed quote, a quote inside a cell), is read by ``read_csv`` instead,
    which gives the same cells or the error the user would have seen.
    """
    import pyarrow as pa

    data = utf8_bytes(raw_bytes(path), Path(path))
    table = None
    quotes, plainly_quoted = quoted_whole_fields(data)
    if quotes % 2 == 0:
        table = _arrow_table(data)
    del data
    unsure = quotes and table is not None and not plainly_quoted
    if unsure and any(_holds(column, '"') for column in table.columns):
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


def quoted_whole_fields(data: bytes, step: int = PIECE) -> tuple[int, bool]:
    """Return (how many quotes CSV bytes hold, whether every quote opens or closes a whole
    field) in one pass over pieces of ``step`` bytes (``pieces``): no array as large as
    the file. Whole fields: quotes in pairs, each pair's first at a field's start (the
    text's start, or after a comma or a line break), its second at a field's end (before a
    comma, a line break or the end). No cell then holds a quote, and no quote is left open:
    found from the quotes' places, not by searching every cell (a million cells: 0.3 s)."""
    import numpy as np

    codes = np.frombuffer(data, dtype=np.uint8)
    edges = np.zeros(256, dtype=bool)
    edges[[ord(","), ord("\n"), ord("\r")]] = True
    last, seen, whole = len(codes) - 1, 0, True
    for at, quote in pieces(codes, ord('"'), step):
        if not whole:
            seen += int(np.count_nonzero(quote))  # (only counted from here on)
            continue
        found = np.flatnonzero(quote) + at
        # The quotes alternate, opening then closing, from the file's first quote.
        start = seen % 2
        opening, closing = found[start::2], found[1 - start :: 2]
        before = edges[codes[np.maximum(opening - 1, 0)]] | (opening == 0)
        after = edges[codes[np.minimum(closing + 1, last)]] | (closing == last)
        whole = bool(before.all() and after.all())
        seen += len(found)
    return seen, whole and seen % 2 == 0


def pieces(codes: np.ndarray, byte: int, step: int = PIECE):
    """Yield (offset, a mask of where ``codes[offset:offset + step]`` is ``byte``) for
    each piece of ``step`` bytes, the mask in one buffer reused from piece to piece (valid
    until the next is yielded): a scan of a 200 MB file never asks the system for fresh
    memory of its size, whose every page it must hand over (the first scan of the
    file: 0.11 s in pieces of 16 MiB, each a new array; 0.03 s so)."""
    import numpy as np

    buffer = np.empty(min(step, len(codes)), dtype=bool)
    for at in range(0, len(codes), step):
        piece = codes[at : at + step]
        mask = buffer[: len(piece)]
        np.equal(piece, byte, out=mask)
        yield at, mask


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


# Bytes Arrow parses at a time, on every core (it splits the text where a line break is
# outside quotes: the blocks parse as one pass would; 1M Comtrade+ rows: 1.33 s on one
# thread, 0.95 s on two cores). A record longer than the first is parsed in blocks of the
# second. Small blocks hold less text in flight: the whole first read of those rows, 5 runs
# each, peaked at 531 MiB in blocks of 4 MiB, 416 MiB in 512 KiB (2.08 s, 2.05 s).
BLOCKS = (1 << 19, 1 << 22)


def _arrow_table(text: str | bytes, keep: list[int] | None = None, width: int = 0, start: int = 0):
    """Return Arrow's reading of CSV text (bytes: from ``start`` on) as a table of text
    columns, or None if it refuses the text (a record of another width, a stray quote...).
    With ``keep``, only those columns (indexes) are in the table, and every row must have
    ``width`` fields."""
    import pyarrow as pa
    from pyarrow import csv

    from korus.readers.filetext import FileText

    # Column names f0, f1...: as many as the first lines could hold (a column beyond them
    # would be typed by Arrow, and the file is then read the exact way).
    data = text.encode("utf-8") if isinstance(text, str) else text
    del text
    if isinstance(data, FileText):
        widest = data.window(start, 1 << 16).count(b",") + 1
    else:
        widest = data.count(b",", start, start + (1 << 16)) + 1
    chosen: dict = {"autogenerate_column_names": True}
    included = {}
    if keep is not None:
        widest = width
        chosen = {"column_names": [f"f{index}" for index in range(width)]}
        included = {"include_columns": [f"f{index}" for index in keep]}
    options = {
        "parse_options": csv.ParseOptions(newlines_in_values=True),
        "convert_options": csv.ConvertOptions(
            column_types={f"f{index}": pa.string() for index in range(widest)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            **included,
        ),
    }
    for block in BLOCKS:
        if isinstance(data, FileText):
            source = data.arrow_source(start)  # (the file itself, read a block at a time)
        else:
            source = pa.py_buffer(data).slice(start)  # (a view: the bytes are not copied)
        try:
            read = csv.ReadOptions(block_size=block, use_threads=True, **chosen)
            table = csv.read_csv(source, read_options=read, **options)
            break
        except pa.ArrowException as exc:
            if block == BLOCKS[-1] or "straddl" not in str(exc):
                return None
        finally:
            if isinstance(data, FileText):
                source.close()
    if any(column.type != pa.string() for column in table.columns):
        return None
    return table


def _holds(column, text: str) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.match_substring(column, text)).as_py())


def object_columns(rows: list[list], width: int = 0) -> list[pa.Array]:
    """Return the columns of rows of JSON values (str, int, float, bool or None, each row
    as long as the header) as text: None is "", anything else ``str(value)``; without
    rows, ``width`` columns of none."""
    import pyarrow as pa

    if not rows:
        return [pa.array([], type=pa.string()) for _ in range(width)]
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

    codes: np.ndarray  # integers (int32 where Arrow coded them, else int64), one per row
    values: list  # the distinct values, in order of first appearance
    owned: bool = False  # whether ``codes`` is this column's own (else shared: copied on put)

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
        # (Arrow's own int32 codes: half the memory of int64, a column of a million rows)
        codes = np.asarray(indices.to_numpy(zero_copy_only=False))
        return cls(codes, dictionary.to_pylist())

    @classmethod
    def constant(cls, value, rows: int) -> Coded:
        import numpy as np

        return cls(np.zeros(rows, dtype=np.int64), [value])

    def map(self, function) -> Coded:
        """Return the column of ``function`` of each value (computed once per value)."""
        return Coded(self.codes, [function(value) for value in self.values])

    def array(self, dtype=object, at=None) -> np.ndarray:
        """Return the values of every row (or of the rows ``at``) as a numpy array."""
        import numpy as np

        if dtype is object:
            table = np.empty(len(self.values), dtype=object)
            for index, value in enumerate(self.values):
                table[index] = value
        else:
            table = np.asarray(self.values, dtype=dtype)
        return table[self.codes if at is None else self.codes[at]]

    def strings(self, at: np.ndarray):
        """Return the values (text) of the rows ``at`` as a pandas text array; one text in
        every row is held once (``same_strings``: a file's one reporter, classification or
        measure, not a copy of it in each of a million rows)."""
        import pandas as pd
        import pyarrow as pa

        from korus.readers.same import same_strings

        codes = self.codes[at]
        if len(codes):
            first = self.values[int(codes[0])]
            if type(first) is str and not (codes != codes[0]).any():
                held = same_strings(first, len(codes))
                if held is not None:
                    return held
        values = pa.array(self.values, type=pa.large_string())
        return pd.array(values.take(pa.array(codes)), dtype="str")

    def put(self, row: int, value) -> None:
        """Set one row's value (a row a reader's exact rule read)."""
        try:
            code = self.values.index(value)
        except ValueError:
            code = len(self.values)
            self.values.append(value)
        if not self.owned:  # codes are shared with the columns mapped from this one
            self.codes, self.owned = self.codes.copy(), True
        self.codes[row] = code


def pair_codes(first: Coded, second: Coded) -> Coded:
    """Return the column of (first, second) value pairs, coded."""
    import numpy as np

    width = max(len(second.values), 1)
    key = first.codes.astype(np.int64) * width + second.codes
    codes, firsts = numbered_as_met(key, max(len(first.values), 1) * width)
    values = [(first.values[int(c) // width], second.values[int(c) % width]) for c in key[firsts]]
    return Coded(codes, values)


def numbered_as_met(key, span: int):
    """Return (each row's code, each code's first row) of integer keys from 0 to ``span``,
    the codes numbered in the order the keys first appear (as ``pd.factorize`` numbers
    them). Keys of a span not much above the rows are numbered through a table of the
    span (a few milliseconds on a million rows); others as pandas numbers them."""
    import numpy as np
    import pandas as pd

    rows = len(key)
    if span <= 4 * rows + 1024:
        first_at = np.full(span, rows, dtype=np.int64)
        np.minimum.at(first_at, key, np.arange(rows))
        present = np.flatnonzero(first_at < rows)
        firsts = first_at[present]
        order = np.argsort(firsts)
        table = np.zeros(span, dtype=np.int32)
        table[present[order]] = np.arange(len(present), dtype=np.int32)
        return table[key], firsts[order]
    codes = pd.factorize(key)[0].astype(np.int32)
    if not rows:
        return codes, np.zeros(0, dtype=np.int64)
    # A row is a code's first where the code is above every code before it.
    highest = np.maximum.accumulate(codes)
    return codes, np.flatnonzero(np.concatenate([[True], codes[1:] > highest[:-1]]))


def joint_codes(columns: list[Coded]) -> Coded:
    """Return the column of the tuples of several coded columns' values, coded: whatever is
    worked out from several cells of a row together is worked out once per distinct
    tuple."""
    import numpy as np
    import pandas as pd

    rows = len(columns[0].codes)
    # A column of one value (a file's one reporter) tells no rows apart: left out of the
    # key, which for one column left is its own codes (no 8 bytes a row beside them).
    varying = [column for column in columns if len(column.values) > 1]
    key = varying[0].codes if len(varying) == 1 else np.zeros(rows, dtype=np.int64)
    span = len(varying[0].values) if len(varying) == 1 else 1  # (the keys are below it)
    for column in varying if len(varying) > 1 else []:
        width = len(column.values)
        if span * width >= 1 << 62:
            key = pd.factorize(key)[0].astype(np.int64)
            span = int(key.max()) + 1 if rows else 1
        key = key * width + column.codes
        span *= width
    key, first = numbered_as_met(key, span)  # (fewer codes than rows: int32)
    values = [tuple(column.values[int(column.codes[row])] for column in columns) for row in first]
    return Coded(key, values)


_ASCII_SPACE = "".join(chr(code) for code in range(128) if chr(code).isspace())


def cell_bytes(column) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Return, for each chunk of a text column, (where each cell starts and the last ends,
    as places in its bytes; its cells' bytes), read off its buffers (slices of them, no
    copy); None where a cell is missing or the column is not text."""
    import numpy as np
    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    found = []
    for chunk in chunks:
        if chunk.null_count or chunk.type not in (pa.string(), pa.large_string()):
            return None
        if not len(chunk):
            continue
        _, offsets, data = chunk.buffers()
        wide = np.int64 if chunk.type == pa.large_string() else np.int32
        bounds = np.frombuffer(offsets, dtype=wide)[chunk.offset : chunk.offset + len(chunk) + 1]
        start = int(bounds[0])
        bounds = bounds.astype(np.int64) - start
        size = int(bounds[-1])
        text = np.frombuffer(data, dtype=np.uint8)[start : start + size] if size else None
        found.append((bounds, np.zeros(0, np.uint8) if text is None else text))
    return found


def first_bytes(column) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (length in bytes, first byte) of each cell of a text column, read off its
    buffers (``cell_bytes``; -1 for the first byte of an empty cell); None where a cell is
    missing or the column is not text."""
    import numpy as np

    chunks = cell_bytes(column)
    if chunks is None:
        return None
    lengths, firsts = [np.zeros(0, np.int64)], [np.zeros(0, np.int16)]
    for bounds, text in chunks:
        length = np.diff(bounds)
        first = np.full(len(length), -1, np.int16)
        filled = np.flatnonzero(length)
        first[filled] = text[bounds[:-1][filled]]
        lengths.append(length)
        firsts.append(first)
    return np.concatenate(lengths), np.concatenate(firsts)


def stripped_among(column, texts: set[str]) -> np.ndarray:
    """Return where a text column's cell, stripped as Python's ``str.strip`` strips it, is
    one of ``texts``: ASCII cells are judged by Arrow, the others (other scripts, other
    whitespace) once per distinct cell in Python."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = np.asarray(pc.string_is_ascii(column).to_numpy(zero_copy_only=False), dtype=bool)
    # An ASCII cell is stripped of exactly these characters by str.strip.
    trimmed = pc.utf8_trim(column, _ASCII_SPACE)
    found = np.asarray(
        pc.is_in(trimmed, value_set=pa.array(sorted(texts), type=pa.string())).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    found &= plain
    others = np.flatnonzero(~plain)
    if len(others):
        rest = Coded.of(column.take(pa.array(others))).map(lambda cell: cell.strip() in texts)
        found[others] = rest.array(bool)
    return found


def equal_cells(left, right) -> np.ndarray:
    """Return where two text columns hold the same cell."""
    import numpy as np
    import pyarrow.compute as pc

    return np.asarray(pc.equal(left, right).to_numpy(zero_copy_only=False), dtype=bool)


def first_true(mask: np.ndarray) -> int | None:
    """Return the index of the first True of a boolean array, or None."""
    import numpy as np

    if not len(mask):
        return None
    index = int(np.argmax(mask))
    return index if mask[index] else None


def counts_in_order(column: Coded, rows: np.ndarray) -> list[tuple[object, int]]:
    """Return (value, count) of a coded column over ``rows``, in order of first appearance."""
    import numpy as np
    import pandas as pd

    codes = column.codes[rows]
    counts = np.bincount(codes, minlength=len(column.values))
    found: dict = {}
    for code in pd.unique(codes):
        value = column.values[int(code)]
        found[value] = found.get(value, 0) + int(counts[code])
    return list(found.items())


def ordered_counts(labels: np.ndarray) -> list[tuple[object, int]]:
    """Return (label, count) of an object array of labels, in order of first appearance."""
    import numpy as np

    if not len(labels):
        return []
    distinct, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return [(distinct[i], int(counts[i])) for i in order]


# ------------------------------------------------------------------ tables of typed cells


@dataclass
class Grid:
    """The data rows of a table a column at a time: each row's place (its line, or its row
    on a sheet) and its cells, a column of Arrow text (a CSV) or of a workbook's typed cells
    (a numpy object array). A row shorter than the widest reads as blank cells past its
    end, as a cell past the end of a row reads everywhere."""

    positions: np.ndarray
    columns: list

    def __len__(self) -> int:
        return len(self.positions)

    def column(self, index: int | None):
        """Return the cells of column ``index``, or None past the widest row."""
        if index is None or index >= len(self.columns):
            return None
        return self.columns[index]

    def row(self, at: int) -> list:
        """Return the cells of one row, as a reader reads a row."""
        return [_cell(column, at) for column in self.columns]

    @classmethod
    def of_rows(cls, rows: list[tuple[int, list]], text: bool = False) -> Grid:
        """Return the grid of (position, cells) rows; ``text``: every cell is text (a CSV),
        kept as Arrow text columns."""
        import itertools

        import numpy as np
        import pyarrow as pa

        if not rows:
            return cls(np.zeros(0, dtype=np.int64), [])
        positions, cells = zip(*rows, strict=True)
        columns = []
        for values in itertools.zip_longest(*cells, fillvalue=""):
            if text:
                columns.append(pa.chunked_array([pa.array(values, type=pa.string())]))
                continue
            column = np.empty(len(values), dtype=object)
            column[:] = values
            columns.append(column)
        return cls(np.asarray(positions, dtype=np.int64), columns)

    def joined(self, other: Grid) -> Grid:
        """Return this grid's rows followed by ``other``'s (both of text columns)."""
        import numpy as np
        import pyarrow as pa

        def padded(grid: Grid, index: int):
            if index < len(grid.columns):
                return list(grid.columns[index].chunks)
            return [pa.array([""] * len(grid), type=pa.string())]

        width = max(len(self.columns), len(other.columns))
        columns = [
            pa.chunked_array(padded(self, index) + padded(other, index), type=pa.string())
            for index in range(width)
        ]
        return Grid(np.concatenate([self.positions, other.positions]), columns)

    def tail_blank(self, is_blank) -> int:
        """Return how many rows at the end are blank (``is_blank`` of a row's cells)."""
        count = 0
        while count < len(self) and is_blank(self.row(len(self) - 1 - count)):
            count += 1
        return count

    def head(self, count: int) -> Grid:
        """Return the first ``count`` rows."""
        return Grid(self.positions[:count], [column[:count] for column in self.columns])


def _cell(column, at: int):
    import numpy as np

    if isinstance(column, np.ndarray):
        return column[at]
    return column[at].as_py()


def is_text(column) -> bool:
    """Return whether a grid column is Arrow text (else a numpy array of typed cells)."""
    import numpy as np

    return column is not None and not isinstance(column, np.ndarray)


def coded_cells(column, rows: int) -> Coded:
    """Return a grid column as codes into its distinct cells ("" for a missing column).

    A workbook's cells are told apart by their type too where two types could pass for
    one value (True and 1, 1 and 1.0 are equal in Python)."""
    import numpy as np
    import pandas as pd

    if column is None:
        return Coded.constant("", rows)
    if is_text(column):
        return Coded.of(column)
    types = set(map(type, column))
    if len(types & {bool, int, float, type(None)}) > 1 or (types & {type(None)}):
        keys = np.empty(len(column), dtype=object)
        keys[:] = list(zip(map(type, column), column, strict=True))
        codes, _ = pd.factorize(keys, use_na_sentinel=False)
        first = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
        return Coded(codes.astype(np.int64), [column[i] for i in first])
    codes, values = pd.factorize(column, use_na_sentinel=False)
    return Coded(codes.astype(np.int64), list(values))


def text_grid(
    text: str | bytes,
    first_line: int,
    longest: int,
    blank_lines: bool = True,
    keep: list[int] | None = None,
    width: int = 0,
    start: int = 0,
) -> Grid | None:
    """Return the grid of CSV text (or its UTF-8 bytes, from ``start`` on: the rows after a
    header, read where they are rather than copied) whose first line is line
    ``first_line`` of its file,
    each row placed at its line as ``csv.reader`` counts lines (a blank line is a row of
    blank cells; without ``blank_lines``, a blank line is no row, as ``csv.reader``'s
    empty record is skipped by a reader that skips them), or None where Arrow cannot
    vouch for reading it as ``csv.reader`` does: rows of different widths, a line break or
    a quote inside a cell, a cell longer than ``longest`` characters (which ``csv.reader``
    refuses).

    With ``keep`` (column indexes below ``width``), only those columns are read (Arrow's
    conversion of the others is skipped), every other column of the grid None (and not
    held to ``longest``); every row must have ``width`` fields."""
    import re

    import numpy as np

    from korus.readers.filetext import FileText

    if isinstance(text, FileText):
        lines = text.lines_after(start)
        if lines is not None:
            return _file_grid(text, first_line, longest, blank_lines, keep, width, start, lines)
        text = text.load()  # (carriage returns or blank lines: the exact rules, over the bytes)
    data = text.encode("utf-8") if isinstance(text, str) else text
    del text
    if not re.compile(rb"[^\r\n]").search(data, start):
        return None
    table = _parsed(data, keep, width, start, longest)
    if table is None:
        return None
    # Lines end in LF or CR LF alone, none blank: each line is the next row.
    if data.find(b"\r", start) < 0:
        ends, (count, doubled) = b"\n", _line_feeds(data, start)
        single = not doubled
    else:
        ends, pairs = b"\r\n", data.count(b"\r\n", start)
        single = data.count(b"\r", start) == pairs == data.count(b"\n", start)
        single = single and data.find(ends + ends, start) < 0
        count = pairs
    if single and not data.startswith((b"\n", b"\r"), start):
        # As many lines as rows: no cell holds a line break, so each line is the next row.
        lines = count + (0 if data.endswith(ends, start) else 1)
        if lines == table.num_rows:
            rows = np.arange(first_line, first_line + lines, dtype=np.int64)
            return Grid(rows, list(table.columns))
    codes = np.frombuffer(data, dtype=np.uint8, offset=start)
    newline, carriage = codes == 10, codes == 13
    pair = carriage[:-1] & newline[1:]  # a CR LF is one line break, at its CR
    ends = newline.copy()
    ends[1:] &= ~pair
    ends |= carriage
    breaks = np.flatnonzero(ends)
    starts = np.concatenate([[0], breaks + 1 + np.isin(breaks, np.flatnonzero(pair))])
    lines = len(breaks) + (1 if starts[-1] < len(codes) else 0)
    starts = starts[:lines]
    stops = np.concatenate([breaks, [len(codes)]])[:lines]
    empty = stops == starts
    if int(np.count_nonzero(~empty)) != table.num_rows:
        return None
    filled = np.flatnonzero(~empty)
    if not blank_lines:
        return Grid(first_line + filled.astype(np.int64), list(table.columns))
    columns = []
    for column in table.columns:
        if not empty.any() or column is None:
            columns.append(column)
            continue
        # Blank lines are rows of blank cells, in their places among the others.
        import pyarrow as pa

        order = np.full(lines, -1, dtype=np.int64)
        order[filled] = np.arange(len(filled))
        cells = pa.chunked_array(list(column.chunks) + [pa.array([""], type=pa.string())])
        order[empty] = table.num_rows
        columns.append(cells.take(pa.array(order)))
    return Grid(np.arange(first_line, first_line + lines, dtype=np.int64), columns)


def _file_grid(
    source,
    first_line: int,
    longest: int,
    blank_lines: bool,
    keep,
    width: int,
    start: int,
    lines: int,
):
    """``text_grid`` of a file read by Arrow where it lies (a ``FileText``), whose bytes
    from ``start`` are ``lines`` lines ending in LF: the grid where Arrow reads as many
    rows, else the grid of its bytes (read now)."""
    import numpy as np

    table = _parsed(source, keep, width, start, longest)
    if table is None:
        return None
    if lines != table.num_rows:  # (blank lines, or a line break inside a cell)
        del table
        return text_grid(source.load(), first_line, longest, blank_lines, keep, width, start)
    return Grid(np.arange(first_line, first_line + lines, dtype=np.int64), list(table.columns))


def _parsed(data, keep, width: int, start: int, longest: int):
    """Return Arrow's table of CSV rows from ``start`` (the columns not in ``keep`` None),
    or None where Arrow refuses them or a cell has more than ``longest`` characters. Of a
    file read where it lies, the rows must be those of the bytes scanned."""
    from korus.readers.filetext import FileText

    table = _arrow_table(data, keep, width, start)
    if isinstance(data, FileText):
        data.check()
    if table is None:
        return None
    if keep is not None:
        read = dict(zip(keep, table.columns, strict=True))
        table = _Columns([read.get(index) for index in range(width)], table.num_rows)
    if any(_longer_than(column, longest) for column in table.columns):
        return None
    return table


def _line_feeds(data: bytes, start: int, step: int = PIECE) -> tuple[int, bool]:
    """Return how many line feeds ``data[start:]`` holds and whether two are side by side
    (``data.count(b"\\n", start)``, ``data.find(b"\\n\\n", start) >= 0``), in one pass
    over pieces of the bytes (``pieces``): on 233 MB, 0.03-0.07 s where the two take
    0.35 s."""
    import numpy as np

    codes = np.frombuffer(data, dtype=np.uint8, offset=start)  # (a view: no copy)
    count, doubled, before = 0, False, False
    pair = np.empty(max(min(step, len(codes)) - 1, 0), dtype=bool)
    for _, feeds in pieces(codes, 10, step):
        count += int(np.count_nonzero(feeds))
        if not doubled:
            side = pair[: len(feeds) - 1]
            np.logical_and(feeds[1:], feeds[:-1], out=side)
            doubled = (before and bool(feeds[0])) or bool(side.any())
        before = bool(feeds[-1])
    return count, doubled


@dataclass
class _Columns:
    """Columns of a table some of which were not read (None)."""

    columns: list
    num_rows: int


def _longer_than(column, limit: int) -> bool:
    """Return whether a cell of a text column has more than ``limit`` characters."""
    import pyarrow.compute as pc

    if column is None:
        return False
    if (pc.max(pc.binary_length(column)).as_py() or 0) <= limit:
        return False  # a character is a byte at least
    return (pc.max(pc.utf8_length(column)).as_py() or 0) > limit
