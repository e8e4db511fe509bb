"""What every part of BACI's reading shares: the needed columns, the code and value ranges,
the cache's key of exporter and importer, the rows a read keeps (``_Rows``) and the
countries a question wants (``_Wanted``).
"""

from __future__ import annotations

from dataclasses import dataclass

from korus.trust import VALUE_LIMIT_USD

LAYOUT = "baci"
NEEDED = ["t", "i", "j", "k", "v"]
UNIT = 1e3  # v is in thousands of US dollars
# The largest v that can be a trade figure: the trust layer's limit, in BACI's unit.
LARGEST_V = VALUE_LIMIT_USD / UNIT
MAX_CODE = 9999  # BACI country codes have at most 4 digits
PAIR_KEY = MAX_CODE + 1  # the cache keeps exporter and importer as one key: i * 10000 + j
# The cache's second copy of a file's rows, in the order of importer then exporter (key
# ji = j * 10000 + i), for a question about one country's trade with every partner.
BY_IMPORTER = "baci-by-importer"


@dataclass
class _Rows:
    """The rows a read materialises, as numpy arrays, in the file's order."""

    t: object  # int16 years
    i: object  # int16 exporter codes
    j: object  # int16 importer codes
    k: object  # int32 HS6 codes (printed with 6 digits: the leading zero comes back)
    lost_zero: object  # bool: k was written with 5 digits
    v: object  # float64 thousands of US dollars
    row: object  # int64 data row of each (0 is the row after the header); None: 0, 1, 2...

    def __len__(self) -> int:
        return len(self.t)

    def line(self, index: int) -> int:
        """Return the file line of a row (the header is line 1)."""
        return int(index if self.row is None else self.row[index]) + 2


class _BrokenCache(Exception):
    """A cache file that could not be read to the end: it is removed and the source read."""


def _numbers(column):
    """Return an Arrow column (chunked or not) as a numpy array, without a copy when it can.

    Numbers with no value missing are read from the column's buffer itself: pyarrow's own
    conversion imports pandas first, and so waits while another thread imports it (the
    command line imports pandas beside its reading: a read would stand still meanwhile)."""
    import numpy as np
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        if column.num_chunks != 1:
            views = [_view(chunk) for chunk in column.chunks]
            if views and all(view is not None for view in views):
                return np.concatenate(views)
            return column.to_numpy()
        column = column.chunk(0)
    view = _view(column)
    return view if view is not None else column.to_numpy(zero_copy_only=False)


def _view(array):
    """Return a numpy view of an Arrow array of integers or floats with no value missing
    (read-only, no copy), else None."""
    import numpy as np
    import pyarrow as pa

    kind = array.type
    if array.null_count or pa.types.is_float16(kind):
        return None
    if pa.types.is_floating(kind):
        letter = "f"
    elif pa.types.is_integer(kind):
        letter = "i" if pa.types.is_signed_integer(kind) else "u"
    else:
        return None
    width = kind.bit_width // 8
    data = array.buffers()[1]
    if data is None:  # (an empty array may have no buffer)
        return np.empty(0, dtype=f"{letter}{width}")
    return np.frombuffer(
        data, dtype=f"{letter}{width}", count=len(array), offset=array.offset * width
    )


def _indices(positions):
    """Return positions (a numpy array) as an Arrow array of int64 to take rows by, without
    pyarrow's conversion of numpy arrays (which imports pandas first: see ``_numbers``)."""
    from korus.engine import acero

    return acero.integers(positions)


@dataclass(frozen=True)
class _Wanted:
    """The rows a question needs: those between countries of ``codes`` (BACI codes of a
    pair, both ways), or with ``either``, those with a country of ``codes`` on either side
    (one reporter's trade with every partner)."""

    codes: tuple[int, ...]
    either: bool = False

    def mask(self, i, j):
        """Return a boolean array: which rows of exporters ``i`` and importers ``j`` it
        chooses."""
        import numpy as np

        member = np.zeros(MAX_CODE + 1, dtype=bool)
        member[list(self.codes)] = True
        return (member[i] | member[j]) if self.either else (member[i] & member[j])

    def positions(self, i, j):
        """Return the positions of the rows it chooses."""
        import numpy as np

        return np.flatnonzero(self.mask(i, j))


@dataclass(frozen=True)
class _Side:
    """Of one reporter's trade (a country of ``codes`` on either side), the rows of one
    side: with ``exporter``, those it exports; else those it imports from a country not of
    ``codes`` (a row of two of its codes is one of its exports, never counted twice)."""

    codes: tuple[int, ...]
    exporter: bool

    def positions(self, i, j):
        """Return the positions of the rows it chooses."""
        import numpy as np

        member = np.zeros(MAX_CODE + 1, dtype=bool)
        member[list(self.codes)] = True
        return np.flatnonzero(member[i] if self.exporter else member[j] & ~member[i])
