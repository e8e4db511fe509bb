"""Rows numbered by their groups: each column told apart once (its distinct values), then
a group is one integer per row, numbered in the sorted order of the groups' values, as
pandas numbers them (``groupby(columns, dropna=False).ngroup()``). The trust layer's
rules and the whole years of the metrics group a million rows so, not by their text
(``arrow_text``: a column's Arrow text where it is such, measured and told apart by
Arrow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class Codes:
    """A frame's columns as codes of their distinct values (``pd.factorize(column,
    use_na_sentinel=False)``: a missing value is one of the values), each worked out once
    for the rules that read the same frame."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.known: dict = {}

    def __call__(self, name: str):
        import numpy as np
        import pandas as pd

        from korus.readers.same import _constant

        if name not in self.known:
            column = self.frame[name]
            if _constant(column):  # (one text in every row, a reporter's: told at once)
                codes, values = pd.factorize(column.iloc[:1], use_na_sentinel=False)
                # (one zero seen from every row: no array of a million zeros)
                zeros = np.broadcast_to(np.zeros(1, dtype=codes.dtype), (len(column),))
                self.known[name] = zeros, values
            else:
                self.known[name] = pd.factorize(column, use_na_sentinel=False)
        return self.known[name]

    def sorted(self, name: str):
        """The column's codes numbered in the sorted order of its values (missing last),
        as ``pd.factorize(column, sort=True, use_na_sentinel=False)`` numbers them."""
        import pandas as pd

        codes, values = self(name)
        if len(values) <= 1:
            return codes, values  # (one value: its own order)
        rank, ordered = pd.factorize(values, sort=True, use_na_sentinel=False)
        return rank[codes], ordered


def numbered(frame: pd.DataFrame, columns: list[str], codes: Codes | None = None):
    """Return each row's group of ``columns``, numbered as ``frame.groupby(columns,
    dropna=False).ngroup()`` numbers them (in the sorted order of the groups' values,
    missing last), from each column's codes: a third of the time on a million rows."""
    import numpy as np
    import pandas as pd

    coded = codes or Codes(frame)
    key = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for name in columns:
        numbers, distinct = coded.sorted(name)
        if len(distinct) <= 1:
            continue  # one value (a source, a vintage): one group, whatever it holds
        if span * max(len(distinct), 1) >= 2**62:  # (numbered again first: no overflow)
            key = pd.factorize(key, sort=True)[0].astype(np.int64)
            span = int(key.max()) + 1 if len(key) else 1
        key = key * len(distinct) + numbers
        span *= max(len(distinct), 1)
    if span > 4 * len(frame) + 1024:
        return pd.factorize(key, sort=True)[0]
    # Few possible keys: each numbered by how many smaller ones occur (no sort of rows).
    present = np.zeros(span, dtype=np.int64)
    present[key] = 1
    return (np.cumsum(present) - 1)[key]


def arrow_text(values):
    """Return ``values`` as Arrow text where they are (an Arrow array, a frame's column of
    Arrow text: no copy of its strings), else None."""
    import pyarrow as pa

    arrow = values if isinstance(values, pa.Array | pa.ChunkedArray) else None
    dtype = getattr(values, "dtype", None)
    if arrow is None and dtype is not None:  # (pandas is loaded where its arrays are)
        import pandas as pd

        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
            arrow = pa.array(values)
    if arrow is not None and pa.types.is_dictionary(arrow.type):
        arrow = arrow.cast(arrow.type.value_type)
    if arrow is None or arrow.type not in (pa.string(), pa.large_string(), pa.string_view()):
        return None
    return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
