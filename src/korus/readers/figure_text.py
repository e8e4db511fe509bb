"""A column of text read as figures: each cell's figure, and whether the reading vouches
for it (``figures``). A column whose cells are plain numbers (digits, a point, a minus) is
read at once, its bytes judged together and cast by Arrow (``plain_numbers``); the other
cells are held one by one to the pattern of a figure (``figures_by_pattern``), as every
cell once was. The Census API, Comtrade+ and BACI readers read their figures so, and the
DataWeb reader by its own pattern (``by_plain_numbers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# A figure Python's float() reads exactly as Arrow's cast does: ASCII digits, one sign, a
# point, an exponent; spaces and tabs around it are what str.strip() would remove.
_FIGURE = r"^[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$"


def figures(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, sure) of a column of figures: ``sure`` where the cell is a figure
    that Python's ``float`` of the stripped text reads to the same finite value; the other
    cells (blanks, words, infinities, other digits) are for the reader's exact rule."""
    return by_plain_numbers(column, b"0123456789.-", True, figures_by_pattern, 2)


def figures_by_pattern(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return ``figures(column)``, each cell held to the pattern of a figure."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    shaped = pc.match_substring_regex(column, _FIGURE)
    cleaned = pc.utf8_trim(pc.if_else(shaped, column, "0"), " \t")
    values = np.array(pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False))
    sure = np.asarray(shaped.to_numpy(zero_copy_only=False), dtype=bool) & np.isfinite(values)
    return values, sure


def by_plain_numbers(column, alphabet: bytes, point_last: bool, by_pattern, arrays: int) -> tuple:
    """Return ``by_pattern(column)``: ``arrays`` arrays of a value for each cell, the
    first its figure, the others True for a plain number. The plain numbers are read at
    once (``plain_numbers``), the other cells alone by ``by_pattern``, which must read each
    cell on its own, whatever its neighbours."""
    import numpy as np

    found = plain_numbers(column, alphabet, point_last)
    if found is None:
        return by_pattern(column)
    values, plain = found
    rest = np.flatnonzero(~plain)
    read = [values] + [np.ones(len(values), dtype=bool) for _ in range(arrays - 1)]
    if len(rest):
        import pyarrow as pa

        for whole, part in zip(read, by_pattern(column.take(pa.array(rest))), strict=True):
            whole[rest] = part
    return tuple(read)


# The share of a column's cells that must be plain numbers for it to be read at once (the
# others are then held to the pattern one by one): a column of words is not worth it.
PLAIN_AT_LEAST = 0.75


def plain_numbers(column, alphabet: bytes, point_last: bool = True):
    """Return (figures, plain) of a text column: ``plain`` where a cell is a plain number
    of the bytes ``alphabet`` (digits, a point, a minus) and, without ``point_last``, does
    not end with its point; its figure as Arrow reads it (0.0 in the other cells). None
    where few cells are plain, or where a cell so made is not a number Arrow reads to a
    finite value ("-", "1.2.3", 400 digits): the caller then holds each cell to its pattern.

    Every number of digits, one point and a leading minus fits the figures the readers'
    patterns accept (Arrow refuses the others), so the column's bytes are judged at once,
    not each cell by a pattern: a million figures, 0.04 s against 0.13 s."""
    import numpy as np
    import pyarrow as pa

    from korus.readers.columns import cell_bytes

    chunks = cell_bytes(column)
    if chunks is None:
        return None
    allowed = np.zeros(256, dtype=bool)
    allowed[list(alphabet)] = True
    odd = []
    for ends, text in chunks:  # (each cell's start, then the last's end; the bytes)
        odd_cells = ends[1:] == ends[:-1]  # (blank)
        if not ends[-1]:
            odd.append(odd_cells)
            continue
        other = ~allowed[text]
        if np.count_nonzero(other) > 2 * len(odd_cells):
            return None  # (a column of words)
        odd_cells[np.searchsorted(ends, np.flatnonzero(other), side="right") - 1] = True
        if not point_last:
            odd_cells |= (text[np.maximum(ends[1:] - 1, 0)] == ord(".")) & ~odd_cells
        odd.append(odd_cells)
    plain = ~np.concatenate(odd) if odd else np.ones(0, dtype=bool)
    if plain.sum() < PLAIN_AT_LEAST * len(plain):
        return None
    cells = column
    if not plain.all():
        import pyarrow.compute as pc

        cells = pc.if_else(pa.array(plain), column, pa.scalar("0", column.type))
    try:
        values = np.array(cells.cast(pa.float64()).to_numpy(zero_copy_only=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not np.isfinite(values).all():
        return None
    return values, plain
