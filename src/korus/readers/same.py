"""Columns of one text held once, and rows reordered keeping them so.

A file's source, basis, vintage, its one reporter or classification is the same text in
every row: held as one block of rows repeated (``same_text``, ``same_strings``,
``put_same``), not copied into each of a million rows. ``sorted_rows`` and ``taken``
reorder a frame's rows, such a column kept as it is (``_constant`` tells it, ``_within``
tells a block's own memory).
"""

from __future__ import annotations

SAME_BLOCK = 1 << 16  # rows of one block of a column of one value


def same_text(text: str, count: int):
    """Return a text column of one value, as an Arrow array of chunks that are one block,
    held once in memory however many rows share it (a year's millions of rows would
    otherwise each hold a copy of "FOB (CEPII BACI reconciled)")."""
    import pyarrow as pa

    block = pa.repeat(pa.scalar(text, pa.large_string()), min(count, SAME_BLOCK))
    whole, rest = divmod(count, SAME_BLOCK)
    chunks = [block] * whole + ([block.slice(0, rest)] if rest else [])
    return pa.chunked_array(chunks, pa.large_string())


def put_same(frame, **values) -> None:
    """Set columns of ``frame`` that hold one text each in every row (a file's source,
    basis, vintage...), as ``frame[name] = value`` would: the same ``str`` column, but
    its text held once (``same_text``), not once per row. On a million rows pandas's own
    fill copies the text a million times: 0.1-0.2 s and tens of megabytes a column."""
    for name, value in values.items():
        held = same_strings(value, len(frame))
        if held is None:
            frame[name] = value  # (a pandas that keeps text as Python objects)
            continue
        frame[name] = held


def same_strings(value, count: int):
    """Return a pandas ``str`` array of ``count`` rows of the text ``value``, held once
    (``same_text``), as ``pd.array([value] * count, dtype="str")`` holds it; None where
    ``value`` is not text or pandas keeps text as Python objects."""
    import pandas as pd

    dtype = pd.Series([value]).dtype  # the type pandas gives the text
    if type(value) is not str or getattr(dtype, "storage", None) != "pyarrow":
        return None
    return pd.arrays.ArrowStringArray(same_text(value, count), dtype=dtype)


def sorted_rows(frame, keys: list[str]):
    """Return ``frame`` sorted by ``keys`` (text, or numbers with missing values last), as
    ``frame.sort_values(keys, na_position="last")`` sorts it where no two rows share their
    keys; rows that do are left to ``sort_values`` itself."""
    import numpy as np
    import pandas as pd

    # Each key's rank (its sorted distinct values numbered, missing last), made one number
    # a row: one sort of integers, not a sort by several keys (1.25M rows: 0.06 s, not
    # 0.14 s).
    combined = np.zeros(len(frame), dtype=np.int64)
    room = 1
    for key in keys:
        column = frame[key]
        if pd.api.types.is_numeric_dtype(column.dtype):
            column = column.to_numpy(dtype="float64", na_value=np.inf)  # (missing: last)
        rank, distinct = pd.factorize(column, sort=True, use_na_sentinel=False)
        room *= max(len(distinct), 1)
        if room >= 1 << 62:
            return frame.sort_values(keys, na_position="last")  # (keys too many to number)
        combined = combined * len(distinct) + rank
    order = np.argsort(combined)  # (no two rows alike, or sorted by pandas: any sort)
    ordered = combined[order]
    if (ordered[1:] == ordered[:-1]).any():
        return frame.sort_values(keys, na_position="last")
    return taken(frame, order)


def taken(frame, order):
    """Return ``frame.take(order)`` (``order`` a permutation of its rows), a column of one
    text in every row kept as it is: the same in any order, and held once (``put_same``)
    where a take would copy its text into every row."""
    import pandas as pd

    columns = {
        name: frame[name].array.copy() if _constant(frame[name]) else frame[name].array.take(order)
        for name in frame.columns
    }
    # (the columns taken are new arrays, and the others are the frame's own, unchanged:
    # neither copied into blocks)
    return pd.DataFrame(columns, index=frame.index.take(order), copy=False)


def _constant(column) -> bool:
    """Return whether a text column holds one value only (and no missing one)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(column.dtype, pd.StringDtype) or not len(column):
        return False
    cells = pa.array(column.array)
    if cells.null_count:
        return False
    chunks = cells.chunks if isinstance(cells, pa.ChunkedArray) else [cells]
    first = max(chunks, key=len)
    if first[0] != first[len(first) // 2] or chunks[-1][-1] != first[0]:
        return False  # (two values seen: no need to look at every row)
    if all(_within(chunk, first) for chunk in chunks):
        cells = first  # one block, repeated (``same_text``): its rows are all the rows
    ends = pc.min_max(cells)
    return ends["min"].as_py() == ends["max"].as_py()


def _within(chunk, block) -> bool:
    """Return whether a chunk of a text column is the start of ``block``'s own memory."""
    if chunk.offset != block.offset or len(chunk) > len(block):
        return False
    ours, theirs = chunk.buffers(), block.buffers()
    return all(
        (a is None and b is None) or (a is not None and b is not None and a.address == b.address)
        for a, b in zip(ours, theirs, strict=True)
    )
