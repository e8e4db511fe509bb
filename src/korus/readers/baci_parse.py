"""A BACI year file parsed whole, and the cache written from it.

Reading a year fast: a year file has 10 million rows or more. The five needed columns
are parsed by Arrow's multithreaded CSV reader with explicit types: ``t``, ``i`` and ``j``
as integers (Arrow also takes spaces around them and extra leading zeros; anything else,
or a value out of range, sends the file to the exact reading of every code as text, whose
errors name the line), ``v`` as a float, ``k`` as text, so its leading zero is kept. The
frame is built by array operations, never row by row.

The cache's rows are written from the parsed table (``_Parsed.write_cache``): see
``baci_index`` for what an entry holds.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from korus.errors import DataFileError
from korus.readers.baci_rows import (
    LARGEST_V,
    LAYOUT,
    MAX_CODE,
    NEEDED,
    PAIR_KEY,
    _numbers,
    _Rows,
    _Wanted,
)
from korus.readers.common import said, take_sample

BLOCK_BYTES = 1 << 20  # Arrow parses blocks of this size in parallel (smaller: less memory)
# The cache: the needed columns sorted by exporter and importer, in row groups small enough
# that a country pair's rows are in a few of them (their statistics of ij tell which).
CACHE_ROW_GROUP: int | None = None  # rows per row group; None: by the file's size (_row_group)
CACHE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["t", "lost_zero"],
    "column_encoding": {
        "ij": "DELTA_BINARY_PACKED",
        "k": "DELTA_BINARY_PACKED",
        "v": "BYTE_STREAM_SPLIT",
        "row": "DELTA_BINARY_PACKED",
    },
    "write_statistics": ["ij"],  # row groups are chosen by its min and max
}
PARTS_FROM = 4_000_000  # rows from which a cache is written in parts, in parallel


class _Unparsed(Exception):
    """A cell did not convert to its column's type."""


def _parse(path: Path, name: str) -> _Parsed:
    """Return the five needed columns of a BACI CSV, parsed and checked on every row.

    Arrow's multithreaded CSV reader parses t, i and j as integers and v as a float, and
    keeps k as text (its leading zero). Years must have 4 digits, country codes at most 4
    and values be 0 or more: a cell that does not parse as a number, or is out of range,
    sends the file to the exact reading of every code as text (``_parse_text``), whose
    error names the line and column.
    """

    header = _header(path, name)
    watch = _Watch()
    try:
        table = _csv(path, name, header, _types(), watch)
        if watch.found:  # a cell Arrow's integers may have read unlike a plain code
            table = _codes_as_numbers(_csv(path, name, header, _parse_types()))
    except _Unparsed:
        return _parse_text(path, name, header)
    if table is None:  # a code that is not plain digits (0x34A, other scripts' digits)
        return _parse_text(path, name, header)
    if table.num_rows:
        years = _range(table["t"])
        codes = _range(table["i"]), _range(table["j"])
        if years[0] < 1000 or years[1] > 9999 or min(low for low, _ in codes) < 0:
            return _parse_text(path, name, header)
        if max(high for _, high in codes) > MAX_CODE:
            return _parse_text(path, name, header)
    _check_values(table["v"], name)
    return _Parsed(name, table)


def _range(column) -> tuple[int, int]:
    import pyarrow.compute as pc

    low, high = pc.min_max(column).values()
    return low.as_py(), high.as_py()


def _parse_text(path: Path, name: str, header: list[str]) -> _Parsed:
    """Return the needed columns read as text and checked code by code (the exact reading).

    Slower than ``_parse``: used when a cell of t, i or j is not a plain integer (a code
    with spaces around it is still read) or Arrow's cast refuses a value (read then as
    every layout reads a figure, else an error naming it).
    """
    import numpy as np
    import pyarrow as pa

    types = {column: pa.string() for column in NEEDED}
    types["v"] = pa.float64()
    try:
        table = _csv(path, name, header, types)
    except _Unparsed:
        try:
            texts = _csv(path, name, header, {column: pa.string() for column in NEEDED})
        except _Unparsed as inner:  # not even text: bytes that are not UTF-8
            found = re.search(r"column #(\d+)", str(inner))
            at = int(found.group(1)) if found else len(header)
            where = f"column {header[at]!r}" if at < len(header) else "a column"
            raise DataFileError(
                f"{name}: {where} holds bytes that are not UTF-8 text ({said(inner)}); BACI files "
                "are UTF-8"
            ) from None
        # A value Arrow's cast refuses may still be a figure by the rule of every layout
        # (``common.number``: "1881.19" with a vertical tab after it, "+5"); else it is
        # the error naming its line.
        values = _exact_values(texts["v"], name)
        table = texts.set_column(texts.schema.get_field_index("v"), "v", values)
    country = "expected a BACI country code (a number)"
    year = "expected a year of 4 digits"
    t = _Codes(table["t"], "t", name, r"\d{4}", year, None, CODE_HINT)
    i = _Codes(table["i"], "i", name, r"\d{1,4}", country, None, CODE_HINT)
    j = _Codes(table["j"], "j", name, r"\d{1,4}", country, None, CODE_HINT)
    _check_values(table["v"], name)
    columns = {"t": t, "i": i, "j": j}
    columns = {column: pa.array(codes.rows().astype(np.int16)) for column, codes in columns.items()}
    return _Parsed(name, pa.table({**columns, "k": table["k"], "v": table["v"]}))


def _csv(path: Path, name: str, header: list[str], types: dict, watch: _Watch | None = None):
    """Return the needed columns of a BACI CSV read by Arrow as ``types``; with ``watch``,
    every byte read is shown to it on the way (``_Watch.found``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from korus import progress

    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    try:
        with (
            pa.OSFile(str(path)) as raw,
            progress.task(f"reading {path.name}", total=size) as bar,
        ):
            bar.follow(raw.tell)  # the bytes Arrow's reader has taken so far
            stream = pa.CompressedInputStream(raw, "gzip") if gzipped else raw
            if watch is not None:
                stream = pa.PythonFile(watch.on(stream), mode="r")
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=header, skip_rows=1, encoding="utf8", block_size=BLOCK_BYTES
                ),
                convert_options=_convert(types, NEEDED),
            )
    except pa.ArrowInvalid as exc:
        if "conversion error" in str(exc):
            raise _Unparsed(_arrow_message(exc)) from None
        raise DataFileError(f"{name}: not readable as a BACI CSV ({_arrow_message(exc)})") from None
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{name}: cannot be read ({said(exc)})") from None


# Bytes of a cell that Arrow's integer conversion reads as a number and a plain code
# (``_PLAIN_CODE``) is not: "0x34A" (hexadecimal, 842), "-0" (a sign), a quoted cell. Where
# none is in a file, reading t, i and j as Arrow's integers gives exactly the numbers that
# reading them as text and then as plain codes gives, and is faster: 33 million cells of a
# 11M-row year are not hashed into dictionaries first (a 64 MiB piece on one thread, 3 runs:
# 0.29-0.32 s against 0.41-0.63 s).
_NOT_PLAIN = (b"x", b"X", b"-", b'"')


def _plain(data) -> bool:
    """Return whether no byte of ``data`` (a file's, or a piece's) is in ``_NOT_PLAIN``."""
    return not any(data.find(byte) >= 0 for byte in _NOT_PLAIN)


class _Watch:
    """What Arrow's reader takes from a stream, looked at on the way (``on``): ``found``
    turns true at the first byte a plain code cannot hold (``_plain``)."""

    def __init__(self):
        self.found = False
        self.closed = False
        self._stream = None

    def on(self, stream) -> _Watch:
        self._stream = stream
        return self

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if not self.found and not _plain(data):
            self.found = True
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        self.closed = True


def _types() -> dict:
    """Return the Arrow types the needed columns are parsed as: t, i and j integers, k text
    (its leading zero kept), v a float."""
    import pyarrow as pa

    return {"t": pa.int16(), "i": pa.int16(), "j": pa.int16(), "k": pa.string(), "v": pa.float64()}


def _parse_types() -> dict:
    """Return the Arrow types the needed columns are read as: t, i and j as text,
    dictionary-encoded (a file holds a few hundred distinct codes, each then read once by
    ``_codes_as_numbers``: Arrow's own integer parsing takes 0x34A for 842), k text, v a
    float."""
    import pyarrow as pa

    codes = pa.dictionary(pa.int32(), pa.string())
    return {**_types(), "t": codes, "i": codes, "j": codes}


# A code as BACI writes it: ASCII digits, perhaps with spaces around (Arrow's reading took
# those too); anything else goes to the exact reading, which names the cell.
_PLAIN_CODE = re.compile(r"[ \t]*[0-9]{1,8}[ \t]*", re.ASCII)


def _codes_as_numbers(table):
    """Return a table read with ``_parse_types`` with t, i and j as int16 numbers; None when
    a code is not plain ASCII digits of a 16-bit number."""
    import numpy as np
    import pyarrow as pa

    columns = {}
    for name in table.column_names:
        column = table[name]
        if not pa.types.is_dictionary(column.type):
            columns[name] = column
            continue
        chunks = []
        for chunk in column.chunks:
            texts = chunk.dictionary.to_pylist()
            if not all(_PLAIN_CODE.fullmatch(text) for text in texts):
                return None
            numbers = np.array([int(text) for text in texts] or [0], dtype=np.int32)
            if numbers.max() > np.iinfo(np.int16).max:
                return None
            indices = chunk.indices.to_numpy(zero_copy_only=False)
            chunks.append(pa.array(numbers.astype(np.int16)[indices], pa.int16()))
        columns[name] = pa.chunked_array(chunks, pa.int16())
    return pa.table(columns)


def _convert(types: dict, names: list[str]):
    """Return Arrow's options for converting ``names`` of a BACI CSV to ``types``: no cell
    is taken for a missing value (an empty or "NA" cell is an error, not a null)."""
    import pyarrow.csv as pacsv

    return pacsv.ConvertOptions(
        column_types=types,
        include_columns=names,
        null_values=[],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


class _Parsed:
    """A BACI CSV parsed in full: an Arrow table of t, i, j (int16), k (text) and v.

    Its batches are worked on one at a time as numpy views: no copy of a whole column.
    """

    def __init__(self, name: str, table):
        import pyarrow.compute as pc

        self.name = name
        self.table = table
        self.rows = table.num_rows
        found = {code for column in ("i", "j") for code in pc.unique(table[column]).to_pylist()}
        self.codes = sorted(found)

    def _batches(self):
        """Yield (first row, batch) of the table's record batches."""
        start = 0
        for batch in self.table.to_batches():
            yield start, batch
            start += batch.num_rows

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code, exporter first."""
        import numpy as np

        for column in ("i", "j"):
            for start, batch in self._batches():
                found = np.flatnonzero(_numbers(batch[column]) == code)
                if len(found):
                    return column, start + int(found[0]) + 2
        return None

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the rows ``wanted`` chooses (all: None).

        The filter runs on the parsed numbers, batch by batch, before any row becomes a
        Python object or pandas; k is checked and converted on the chosen rows only.
        """
        import numpy as np
        import pyarrow as pa

        if wanted is None:
            chosen, table = None, self.table
        else:
            positions, parts = [], []
            for start, batch in self._batches():
                mine = wanted.mask(_numbers(batch["i"]), _numbers(batch["j"]))
                if mine.any():
                    found = np.flatnonzero(mine)
                    positions.append(start + found)
                    parts.append(batch.take(pa.array(found)))  # batch by batch: no big copy
            chosen = np.concatenate(positions) if positions else np.array([], np.int64)
            table = pa.Table.from_batches(parts, schema=self.table.schema)
        k, lost = _hs6(table["k"], chosen, self.name)
        t, i, j, v = (_numbers(table[column]) for column in ("t", "i", "j", "v"))
        return _Rows(t, i, j, k, lost, v, chosen)

    def write_cache(self, path: Path, key: dict, info: dict, background: bool):
        """Keep the parsed columns as korus's cache of ``path`` for the next read, with
        ``info`` (JSON) beside them; ``key`` is the file as it was before it was read.
        Return the entry's main file (None: not written), or None when written in the
        background."""
        from korus import cache

        write = cache.write_in_background if background else cache.write
        size = _row_group(self.rows)
        build = lambda: self._cache_table(size, info)  # noqa: E731
        return write(path, LAYOUT, build, key=key, index="ij", **CACHE_OPTIONS, row_group_size=size)

    def _cache_table(self, size: int, info: dict):
        """Return (schema, pieces, info) for the cache: every row, in the order of exporter
        and importer, as tables of ``size`` rows (a row group each); None when a product
        code is not HS6 (such a file is read from its CSV each time).

        A year that is the same on every row (a BACI file is one year) and a lost-zero flag
        that no row has are kept in ``info``, not as columns. When the file is in BACI's
        own order, each parsed batch is converted, written and freed in turn, so the cache
        costs little memory; otherwise the rows are sorted first (a copy of every column).
        """
        import numpy as np
        import pyarrow as pa

        table, self.table = self.table, None
        lost_any = _hs6_scan(table["k"])
        if lost_any is None:
            return None
        years = _range(table["t"]) if table.num_rows else (0, 0)
        in_order = _in_order(table)
        info = {"rows": table.num_rows, "codes": self.codes, "in_file_order": in_order, **info}
        names = ["t", "ij", "k", "lost_zero", "v"]
        if years[0] == years[1]:
            info["year"] = years[0]
            names.remove("t")
        if not lost_any:
            info["lost_zero"] = False
            names.remove("lost_zero")
        types = {"t": pa.int16(), "ij": pa.int32(), "k": pa.int32()}
        types |= {"lost_zero": pa.bool_(), "v": pa.float64(), "row": pa.int32()}

        def convert(batch) -> dict:
            k, lost = _hs6_fast(batch["k"])
            i, j = _numbers(batch["i"]), _numbers(batch["j"])
            columns = {"ij": i.astype(np.int32) * PAIR_KEY + j, "k": k, "lost_zero": lost}
            columns |= {name: batch[name] for name in ("t", "v")}
            return {name: columns[name] for name in names}

        parts = _parts(table.num_rows, size)
        if not in_order:  # sorted here: a copy of every column, one at a time
            i, j = _numbers(table["i"]), _numbers(table["j"])
            order = np.argsort(j, kind="stable").astype(np.int32)  # radix sorts of int16
            del j
            order = order[np.argsort(i[order], kind="stable")]
            del i
            columns = convert(table)
            del table  # the text codes go
            for name in list(columns):
                columns[name] = _take(columns[name], order)
            columns["row"] = order
            names.append("row")
            schema = pa.schema([(name, types[name]) for name in names])
            whole = pa.table(columns, schema=schema)
            slices = [whole.slice(at, size) for at in range(0, whole.num_rows, size)]
            share = -(-len(slices) // parts)
            return schema, [slices[at : at + share] for at in range(0, len(slices), share)], info

        schema = pa.schema([(name, types[name]) for name in names])
        batches = table.to_batches()
        del table
        # The batches in as many runs of about equal rows as there are parts, each part
        # written by its own thread.
        runs, share, room = [[]], -(-info["rows"] // parts), -(-info["rows"] // parts)
        while batches:
            batch = batches.pop(0)
            while batch.num_rows:
                if not room:
                    runs.append([])
                    room = share
                runs[-1].append(batch.slice(0, room))
                taken = min(room, batch.num_rows)
                batch, room = batch.slice(taken), room - taken

        def pieces(run):
            pending = None
            while run:
                piece = pa.table(convert(run.pop(0)), schema=schema)  # frees the batch
                pending = piece if pending is None else pa.concat_tables([pending, piece])
                while pending.num_rows >= size:
                    yield pending.slice(0, size)
                    pending = pending.slice(size)
            if pending is not None and pending.num_rows:
                yield pending

        return schema, [pieces(run) for run in runs], info


def _row_group(rows: int) -> int:
    """Return the rows of a cache row group: about a 128th of the file, 8,192 to 32,768.

    Small groups waste little of what a pair reads (a pair's rows are in one or two); many
    groups cost time to look through: a year of 11 million rows gets 336 of 32,768.
    """
    if CACHE_ROW_GROUP:
        return CACHE_ROW_GROUP
    return min(32_768, max(8_192, 1 << (rows // 128).bit_length()))


def _parts(rows: int, size: int) -> int:
    """Return how many files (and threads) write a cache: one per core, up to 4, for a file
    of 4 million rows or more (a year of BACI); else one (each file costs a little to read,
    which a folder of small years would pay many times)."""
    import os

    return max(1, min(4, os.cpu_count() or 1)) if rows >= PARTS_FROM else 1


def _take(values, order):
    """Return the values (an Arrow column or a numpy array) at the positions ``order``."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        return values.take(pa.array(order))
    return values[order]


def _in_order(table) -> bool:
    """Return whether the rows are sorted by exporter, then importer (BACI's own order)."""
    import numpy as np

    previous = None
    for batch in table.to_batches():
        if not batch.num_rows:
            continue
        i, j = _numbers(batch["i"]), _numbers(batch["j"])
        if previous is not None and (i[0], j[0]) < previous:
            return False
        step = np.diff(i)
        if not ((step > 0) | ((step == 0) & (np.diff(j) >= 0))).all():
            return False
        previous = (i[-1], j[-1])
    return True


def _hs6(texts, rows, name: str):
    """Return (codes as int32, lost leading zero) of k texts; an error names a bad code.

    ``rows`` are the texts' data rows in the file (None: 0, 1, 2...). Fast when every code
    is 5 or 6 ASCII digits; otherwise each distinct text is checked (spaces around a code
    are allowed), exactly as ``\\d{5,6}``.
    """
    checked = _hs6_fast(texts)
    if checked is not None:
        return checked
    codes = _Codes(
        texts,
        "k",
        name,
        r"\d{5,6}",
        "expected an HS6 product code of 6 digits (or 5 that lost their leading zero)",
        rows,
    )
    return codes.rows(), codes.flags(lambda text: len(text) == 5)


def _hs6_chunks(texts):
    """Return, per non-empty chunk, (chunk, code lengths, digit bytes) when every k text is
    5 or 6 ASCII digits; else None. Looks at the bytes of the Arrow buffers only."""
    import numpy as np
    import pyarrow as pa

    found = []
    for chunk in texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]:
        if not len(chunk):
            continue
        if chunk.null_count or chunk.type != pa.string():
            return None
        _, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        lengths = np.diff(offsets)
        if lengths.min() < 5 or lengths.max() > 6:
            return None
        digits = np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]
        if digits.min() < 48 or digits.max() > 57:  # not all of "0" to "9"
            return None
        found.append((chunk, lengths, digits))
    return found


def _hs6_scan(texts) -> bool | None:
    """Return whether any k text has 5 digits, when every one is 5 or 6 ASCII digits; else
    None."""
    chunks = _hs6_chunks(texts)
    if chunks is None:
        return None
    return any(lengths.min() == 5 for _, lengths, _ in chunks)


def _hs6_fast(texts):
    """Return (codes as int32, lost leading zero) when every text is 5 or 6 ASCII digits,
    else None; worked out from the bytes of the Arrow buffers (no Python string per row)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = _hs6_chunks(texts)
    if chunks is None:
        return None
    codes, lost = [], []
    for chunk, lengths, digits in chunks:
        shortest = lengths.min()
        if shortest == 6:  # the usual case: six digits a code, summed column by column
            table = digits.reshape(-1, 6)
            number = table[:, 0].astype(np.int32)
            for column in range(1, 6):
                number *= 10
                number += table[:, column]
            number -= 48 * 111_111  # the byte of "0" (48) in each of the six places
            codes.append(number)
        else:
            codes.append(_numbers(pc.cast(chunk, pa.int32())))
        lost.append(lengths == 5)
    if not codes:
        return np.array([], np.int32), np.array([], bool)
    if len(codes) == 1:
        return codes[0], lost[0]
    return np.concatenate(codes), np.concatenate(lost)


def _header(path: Path, name: str) -> list[str]:
    head = take_sample(path).head  # the first bytes, gunzipped
    try:
        # The first line, whatever its end: LF, CRLF or a CR alone (old Mac files).
        first = re.split(rb"\r\n|\r|\n", head, maxsplit=1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(f"{name}: the header is not UTF-8 text; not a BACI file") from None
    cells = [cell.strip().lower() for cell in next(csv.reader([first]), [])]
    missing = [column for column in NEEDED if column not in cells]
    if missing:
        raise DataFileError(
            f"{name}: missing BACI columns {missing} (the header is {first.strip()!r}; "
            "expected t,i,j,k,v,q)"
        )
    return cells


# What to do about a year or country code that is not one (0x19A, ٤١٠, 8 42).
CODE_HINT = (
    "BACI writes its codes in ASCII digits: a broken cell, fix it or download the file again"
)


def _arrow_message(exc: Exception) -> str:
    return said(str(exc).strip().splitlines()[0])


class _Codes:
    """A text column of codes: its distinct values, parsed once, and each row's position."""

    def __init__(self, column, name_column: str, name: str, pattern: str, what: str, rows, hint=""):
        import numpy as np
        import pyarrow.compute as pc

        distinct = pc.unique(column)
        self.positions = _numbers(pc.index_in(column, value_set=distinct))
        self.texts = [text.strip() for text in distinct.to_pylist()]
        for index, text in enumerate(self.texts):
            if not re.fullmatch(pattern, text, re.ASCII):  # BACI's digits are ASCII's
                at = int(np.argmax(self.positions == index))
                line = (at if rows is None else int(rows[at])) + 2
                raise DataFileError(
                    f"{name}: line {line}, column {name_column!r}: {what}, "
                    f"found {distinct[index].as_py()!r}" + (f"; {hint}" if hint else "")
                )
        self.numbers = [int(text) for text in self.texts]

    def rows(self):
        """Return each row's number as a numpy int32 array."""
        import numpy as np

        return np.asarray(self.numbers, dtype=np.int32)[self.positions]

    def flags(self, test):
        """Return, for each row, whether ``test(text)`` holds for its text."""
        import numpy as np

        return np.array([test(text) for text in self.texts], dtype=bool)[self.positions]


def _exact_values(column, name: str):
    """Return the ``v`` of a file read as text as numbers, each cell read as every layout
    reads a figure (``figure_text.figures``, and ``common.number`` for the cells it leaves);
    raise the error naming the first cell that is no number."""
    import numpy as np
    import pyarrow as pa

    from korus.readers.common import number
    from korus.readers.figure_text import figures

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    values, sure = figures(column)
    for index in np.flatnonzero(~sure):
        cell = column[int(index)].as_py()
        try:
            values[index] = number(cell, file=name, where="v")
        except DataFileError:
            raise DataFileError(
                f"{name}: line {int(index) + 2}, column 'v': expected a value in thousands of "
                f"US dollars, found {cell!r}"
            ) from None
    return pa.array(values, pa.float64())


def _check_values(values, name: str) -> None:
    """Raise for the first value that is not a finite number of 0 or more, or that is more
    than a year of world trade (``trust.VALUE_LIMIT_USD``)."""
    import numpy as np
    import pyarrow.compute as pc

    if not len(values):
        return
    low, high = pc.min_max(values).values()
    if pc.all(pc.is_finite(values)).as_py() and low.as_py() >= 0 and high.as_py() < LARGEST_V:
        return
    numbers = _numbers(values)
    index = int(np.argmax(~np.isfinite(numbers) | (numbers < 0) | (numbers >= LARGEST_V)))
    if np.isfinite(numbers[index]) and numbers[index] >= LARGEST_V:
        raise DataFileError(
            f"{name}: line {index + 2}, column 'v': {values[index].as_py()!r} thousands of US "
            "dollars is more than a year of world trade: a wrong unit or a broken cell; fix "
            "the file or download it again"
        )
    raise DataFileError(
        f"{name}: line {index + 2}, column 'v': expected a value of 0 or more (thousands "
        f"of US dollars), found {values[index].as_py()!r}"
    )
