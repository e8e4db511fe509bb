"""A BACI cache entry read by its row groups: the pair's few groups, by their statistics.

The cache (``korus.cache``): the first read of a large file also keeps its needed columns
as Parquet in korus's cache folder: a whole read writes it in a thread while the answer is
computed (a large file in parts, one thread each, up to one per core); a streamed read has
kept too little, so the command line has ``korus cache build`` write it in the background
after the answer (``build_cache``). The rows are kept in BACI's own
order, exporter then importer (sorted that way first when the file is not), with exporter
and importer as one key ``ij = i * 10000 + j`` whose row-group statistics give each
group's exact key range, so that a pair's rows are read from one or two small row groups
of each part; ``k`` is kept as an integer (printed with 6 digits) with a lost-zero flag,
``v`` as a float, zstd throughout. A year that is the same on every row, a flag that no
row has, the file's country codes and their mapping (reused while the country file is
unchanged) go to the metadata. A later read of the file, of either kind, reads the cache
instead of the CSV: the same frame, the same accounting and notes, the same errors with
the lines of the CSV. The entry's key holds the fingerprints of the file and of the code
lists beside it (``cache_companions``): an edited or newly added code list has the file
read again. A file whose product codes are not all HS6 is not cached (a full
read must find the error each time).
"""

from __future__ import annotations

from korus.readers.baci_rows import PAIR_KEY, _BrokenCache, _numbers, _Rows, _Wanted


class _RowGroups:
    """Every row group of every file of a cache entry, in order: its file, its number in the
    file, its min and max of the key ij, its rows, and its first row in the entry."""

    def __init__(self, hit):
        import numpy as np

        self.hit = hit
        groups = []
        for number, (parquet, ranges) in enumerate(zip(hit.files, hit.ranges, strict=True)):
            if ranges is None:  # no ranges kept: the groups' own statistics
                metadata = parquet.metadata
                column = parquet.schema_arrow.names.index("ij")
                ranges = [
                    [
                        *_minmax(metadata.row_group(g).column(column).statistics),
                        metadata.row_group(g).num_rows,
                    ]
                    for g in range(metadata.num_row_groups)
                ]
            groups += [[number, g, *extent] for g, extent in enumerate(ranges)]
        table = np.asarray(groups, dtype=np.int64).reshape(-1, 5)
        self.file, self.group, self.low, self.high, self.size = table.T
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)

    def chosen(self, wanted: _Wanted | None):
        """Return the row groups (over all files) that may hold a row ``wanted`` chooses
        (all: None): those whose min-max range of ``ij`` holds a pair's key; every group
        for one reporter's trade with every partner (its imports are in all of them)."""
        import numpy as np

        if wanted is None or wanted.either:
            return np.arange(len(self.group))
        keys = np.unique([a * PAIR_KEY + b for a in wanted.codes for b in wanted.codes])
        at = np.searchsorted(keys, self.low)  # the first key at or above each group's min
        chosen = at < len(keys)
        chosen[chosen] = keys[at[chosen]] <= self.high[chosen]
        return np.flatnonzero(chosen)

    def read(self, chosen, names: list[str], wanted: _Wanted | None = None):
        """Return the columns ``names`` of the row groups ``chosen``, as numpy arrays, the
        key ij as exporter i and importer j, and a lost-zero flag (False where not kept);
        with ``wanted``, only the rows it chooses, and their positions among the groups'
        rows (else None). The groups are decoded on every core, and the rows chosen by the
        key before the other columns become numpy arrays (a reporter's trade is a tenth of
        a year's rows). A damaged or short entry raises ``_BrokenCache`` (it is removed,
        the source read)."""
        import numpy as np
        import pyarrow as pa

        count = int(self.size[chosen].sum())
        positions = None
        try:
            tables, found, offset = [], [], 0
            # A few row groups at a time: with ``wanted``, only its rows are kept of each
            # block, so a reporter's tenth of a year never costs the whole year's memory.
            for f, parquet in enumerate(self.hit.files):
                groups = [int(g) for g in self.group[chosen][self.file[chosen] == f]]
                for start in range(0, len(groups), READ_BLOCK):
                    block = parquet.read_row_groups(
                        groups[start : start + READ_BLOCK], columns=names, use_threads=True
                    )
                    read = block.num_rows  # counted as read, not as the footer says
                    if wanted is not None:
                        at = _positions(block["ij"], wanted)
                        block = block.take(pa.array(at))
                        found.append(at + offset)
                    offset += read
                    tables.append(block)
            if offset != count:
                raise _BrokenCache("rows missing")
            table = pa.concat_tables(tables) if tables else None
            if table is not None and wanted is not None:
                positions = np.concatenate(found)
            arrays = {name: _numbers(table[name]) for name in names} if tables else None
        except _BrokenCache:
            raise
        except Exception as exc:  # a damaged page: the cache is rebuilt from the source
            raise _BrokenCache(str(exc)) from None
        if arrays is None:
            arrays = {name: np.array([], np.int32) for name in names}
            arrays["v"] = np.array([], np.float64)
            positions = None if wanted is None else np.array([], np.int64)
        key = arrays.pop("ij")
        arrays["i"] = (key // PAIR_KEY).astype(np.int16)
        arrays["j"] = (key % PAIR_KEY).astype(np.int16)
        if "lost_zero" not in arrays:
            arrays["lost_zero"] = np.zeros(len(key), dtype=bool)
        return arrays, positions


READ_BLOCK = 8  # row groups read at once (on every core) when a question keeps some rows


def _positions(key, wanted: _Wanted):
    """Return the positions of the rows ``wanted`` chooses, by their key ij, judged a chunk
    (a row group) at a time: small arrays, reused, rather than a few of the whole year's
    size (each a fresh allocation whose pages the system must hand over)."""
    import numpy as np

    found, offset = [], 0
    for chunk in key.chunks:
        values = chunk.to_numpy(zero_copy_only=False)
        found.append(wanted.positions(values // PAIR_KEY, values % PAIR_KEY) + offset)
        offset += len(values)
    return np.concatenate(found) if found else np.array([], np.int64)


class _Cached:
    """A BACI file read from korus's cache: the pair's row groups only, by their statistics."""

    def __init__(self, hit, name: str):
        self.hit = hit
        self.name = name
        self.rows = int(hit.info["rows"])
        self.codes = [int(code) for code in hit.info["codes"]]
        self.in_file_order = bool(hit.info["in_file_order"])
        self.groups = _RowGroups(hit)

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the rows ``wanted`` chooses (all: None), reading only the row groups whose
        statistics allow them."""
        import numpy as np

        info = self.hit.info
        names = ["ij", "k", "v"]  # and what info does not stand in for:
        names += [] if "year" in info else ["t"]
        names += [] if info.get("lost_zero") is False else ["lost_zero"]
        names += [] if self.in_file_order else ["row"]
        chosen_groups = self.groups.chosen(wanted)
        arrays, positions = self.groups.read(chosen_groups, names, wanted)
        count = len(arrays["i"])
        if wanted is None and count != self.rows:
            raise _BrokenCache("rows missing")
        if "t" not in arrays:
            arrays["t"] = np.full(count, info["year"], dtype=np.int16)
        if self.in_file_order:
            if wanted is None:
                arrays["row"] = None
            else:
                # A chosen row's data row: its group's first row in the file plus its
                # place in the group (positions count the chosen groups' rows in order).
                size = self.groups.size[chosen_groups]
                ends = np.cumsum(size)
                group = np.searchsorted(ends, positions, side="right")
                offset = self.groups.start[chosen_groups] - (ends - size)
                arrays["row"] = (positions + offset[group]).astype(np.int64)
        if not self.in_file_order:
            order = np.argsort(arrays["row"], kind="stable")  # back to the file's order
            arrays = {name: values[order] for name, values in arrays.items()}
            arrays["row"] = arrays["row"].astype(np.int64)
        return _Rows(
            arrays["t"],
            arrays["i"],
            arrays["j"],
            arrays["k"],
            arrays["lost_zero"],
            arrays["v"],
            arrays["row"],
        )

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code (an error's words)."""
        import numpy as np

        rows = self.rows_of(None)
        for column, values in (("i", rows.i), ("j", rows.j)):
            found = np.flatnonzero(values == code)
            if len(found):
                return column, rows.line(int(found[0]))
        return None


def _minmax(statistics) -> list[int]:
    """Return a row group's [min, max] from its statistics; the widest range without them."""
    if statistics is None or not statistics.has_min_max:
        return [0, PAIR_KEY * PAIR_KEY]
    return [statistics.min, statistics.max]
