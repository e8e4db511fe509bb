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

A reporter's imports are in every row group of that order. After a question about one
reporter's trade with every partner, the command line also has a copy written in the
order of importer, then exporter (``build_by_importer``: key ``ji``, and each row's data
row in the file), another entry of the same file (``BY_IMPORTER``); later such questions
read the reporter's exports from the entry and its imports from the copy.
"""

from __future__ import annotations

from pathlib import Path

from korus.readers.baci_rows import (
    BY_IMPORTER,
    LAYOUT,
    MAX_CODE,
    PAIR_KEY,
    _BrokenCache,
    _indices,
    _numbers,
    _Rows,
    _Side,
    _Wanted,
)


class _RowGroups:
    """Every row group of every file of a cache entry, in order: its file, its number in the
    file, its min and max of the key (ij; ji in the copy by importer), its rows, and its
    first row in the entry."""

    def __init__(self, hit, key: str = "ij"):
        import numpy as np

        self.hit = hit
        self.key = key
        groups = []
        for number, (parquet, ranges) in enumerate(zip(hit.files, hit.ranges, strict=True)):
            if ranges is None:  # no ranges kept: the groups' own statistics
                metadata = parquet.metadata
                column = parquet.schema_arrow.names.index(key)
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

    def leading(self, codes):
        """Return the row groups whose range of the key holds a key that starts with a code
        of ``codes`` (an exporter's rows; in the copy by importer, an importer's)."""
        import numpy as np

        chosen = np.zeros(len(self.group), dtype=bool)
        for code in codes:
            low = code * PAIR_KEY
            chosen |= (self.low <= low + MAX_CODE) & (self.high >= low)
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
                        at = _positions(block[self.key], wanted, self.key == "ji")
                        block = block.take(_indices(at))
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
        key = arrays.pop(self.key)
        first, second = ("j", "i") if self.key == "ji" else ("i", "j")
        arrays[first] = (key // PAIR_KEY).astype(np.int16)
        arrays[second] = (key % PAIR_KEY).astype(np.int16)
        if "lost_zero" not in arrays:
            arrays["lost_zero"] = np.zeros(len(key), dtype=bool)
        return arrays, positions


READ_BLOCK = 8  # row groups read at once (on every core) when a question keeps some rows


def _positions(key, wanted: _Wanted | _Side, swapped: bool = False):
    """Return the positions of the rows ``wanted`` chooses, by their key ij (``swapped``:
    ji), judged a chunk (a row group) at a time: small arrays, reused, rather than a few of
    the whole year's size (each a fresh allocation whose pages the system must hand
    over)."""
    import numpy as np

    found, offset = [], 0
    for chunk in key.chunks:
        values = _numbers(chunk)
        first, second = values // PAIR_KEY, values % PAIR_KEY
        i, j = (second, first) if swapped else (first, second)
        found.append(wanted.positions(i, j) + offset)
        offset += len(values)
    return np.concatenate(found) if found else np.array([], np.int64)


class _Cached:
    """A BACI file read from korus's cache: the pair's row groups only, by their statistics.
    With the file's ``path``, one reporter's trade with every partner is read from the
    entry's rows of it as exporter and from the copy by importer's rows of it as importer
    (``BY_IMPORTER``), where there is that copy; ``wants_copy`` says a read missed it."""

    def __init__(self, hit, name: str, path: Path | None = None):
        self.hit = hit
        self.name = name
        self.path = path
        self.rows = int(hit.info["rows"])
        self.codes = [int(code) for code in hit.info["codes"]]
        self.in_file_order = bool(hit.info["in_file_order"])
        self.groups = _RowGroups(hit)
        self.wants_copy = False

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the rows ``wanted`` chooses (all: None), in the file's order, reading only
        the row groups whose statistics allow them."""
        import numpy as np

        if wanted is not None and wanted.either and self.path is not None:
            importing = self._importing(wanted.codes)
            if importing is not None:
                chosen = self.groups.leading(wanted.codes)
                exporting = self._read(self.groups, chosen, _Side(wanted.codes, exporter=True))
                both = _merged(exporting, importing)
                if both is None:
                    both = {
                        name: np.concatenate([exporting[name], importing[name]])
                        for name in exporting
                    }
                return _in_file_order(both)
        return _in_file_order(self._read(self.groups, self.groups.chosen(wanted), wanted))

    def _read(self, groups: _RowGroups, chosen, wanted: _Wanted | _Side | None) -> dict:
        """Return the arrays of the rows ``wanted`` chooses in the row groups ``chosen`` of
        this entry (of the copy by importer: ``groups.key`` is ji), with their data rows
        (None for every row of an entry in the file's order)."""
        import numpy as np

        info = groups.hit.info
        copy = groups.key == "ji"
        names = [groups.key, "k", "v"]  # and what info does not stand in for:
        names += [] if "year" in info else ["t"]
        names += [] if info.get("lost_zero") is False else ["lost_zero"]
        names += ["row"] if copy or not self.in_file_order else []
        arrays, positions = groups.read(chosen, names, wanted)
        count = len(arrays["i"])
        if wanted is None and count != self.rows:
            raise _BrokenCache("rows missing")
        if "t" not in arrays:
            arrays["t"] = np.full(count, info["year"], dtype=np.int16)
        if "row" not in arrays:
            if wanted is None:
                arrays["row"] = None
            else:
                # A chosen row's data row: its group's first row in the file plus its
                # place in the group (positions count the chosen groups' rows in order).
                size = groups.size[chosen]
                ends = np.cumsum(size)
                group = np.searchsorted(ends, positions, side="right")
                offset = groups.start[chosen] - (ends - size)
                arrays["row"] = (positions + offset[group]).astype(np.int64)
        return arrays

    def _importing(self, codes) -> dict | None:
        """Return the arrays of the rows in which a country of ``codes`` imports from a
        country not of them, from the copy by importer; None where there is no such copy
        (``wants_copy``), or it does not match the entry (it is removed)."""
        from korus import cache
        from korus.readers.baci_companions import cache_companions

        copy = cache.find(self.path, BY_IMPORTER, cache_companions)
        if copy is None:
            self.wants_copy = True
            return None
        try:
            info = copy.info
            if info.get("rows") != self.rows or info.get("codes") != self.codes:
                raise _BrokenCache("another reading's copy")
            groups = _RowGroups(copy, key="ji")
            return self._read(groups, groups.leading(codes), _Side(tuple(codes), exporter=False))
        except _BrokenCache:
            copy.close()
            cache.discard(copy.path)
            self.wants_copy = True
            return None
        finally:
            copy.close()

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code (an error's words)."""
        import numpy as np

        rows = self.rows_of(None)
        for column, values in (("i", rows.i), ("j", rows.j)):
            found = np.flatnonzero(values == code)
            if len(found):
                return column, rows.line(int(found[0]))
        return None


def _merged(first: dict, second: dict, most: int = 64) -> dict | None:
    """Return the rows of two reads, each in the file's order, as one read in the file's
    order, where the first is one run of rows between two of the second's (a reporter's
    rows as exporter, in a year of BACI's order) or the second comes in at most ``most``
    runs; None where they are not so.

    The same arrays as a stable sort of the two reads put one after the other by their
    data rows, without moving each row through an index."""
    import numpy as np

    one, two = first["row"], second["row"]
    if one is None or two is None or not len(one) or not len(two):
        return None
    if not ((one[1:] > one[:-1]).all() and (two[1:] > two[:-1]).all()):
        return None
    at = np.searchsorted(two, one[[0, -1]])
    if at[0] == at[1]:  # (the first all between two of the second's rows: one run)
        place = int(at[0])
        return {
            name: np.concatenate([second[name][:place], first[name], second[name][place:]])
            for name in first
        }
    before = np.searchsorted(one, two, side="right")  # first's rows before each of second's
    cuts = np.flatnonzero(before[1:] != before[:-1]) + 1
    if len(cuts) >= most:
        return None
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(two)]
    merged = {}
    for name in first:
        pieces, taken = [], 0
        for start, end in zip(starts, ends, strict=True):
            upto = int(before[start])
            pieces += [first[name][taken:upto], second[name][start:end]]
            taken = upto
        pieces.append(first[name][taken:])
        merged[name] = np.concatenate(pieces)
    return merged


def _in_file_order(arrays: dict) -> _Rows:
    """Return the rows of arrays that hold each row's data row, in the file's order."""
    import numpy as np

    row = arrays["row"]
    if row is not None and len(row) > 1 and not (row[1:] > row[:-1]).all():
        order = np.argsort(row, kind="stable")
        arrays = {name: values[order] for name, values in arrays.items()}
    return _Rows(
        arrays["t"],
        arrays["i"],
        arrays["j"],
        arrays["k"],
        arrays["lost_zero"],
        arrays["v"],
        None if row is None else arrays["row"].astype(np.int64, copy=False),
    )


def _minmax(statistics) -> list[int]:
    """Return a row group's [min, max] from its statistics; the widest range without them."""
    if statistics is None or not statistics.has_min_max:
        return [0, PAIR_KEY * PAIR_KEY]
    return [statistics.min, statistics.max]


def build_by_importer(path: Path) -> bool:
    """Write the cache's copy of a BACI file's rows in the order of importer, then exporter
    (``BY_IMPORTER``: key ji, each row with its data row in the file), from the file's own
    entry (written first when missing); return whether written (not: a file korus does not
    cache). One reporter's trade with every partner then reads its rows as importer from a
    few row groups of the copy instead of every row group of the entry."""
    import numpy as np
    import pyarrow as pa

    from korus import cache
    from korus.readers.baci_companions import cache_companions
    from korus.readers.baci_parse import CACHE_OPTIONS, _parts, _row_group
    from korus.readers.baci_stream import build_cache

    path = Path(path)
    key = cache.source_key(path, BY_IMPORTER, cache_companions)  # before it is read
    rows, info = None, None
    for _ in range(2):  # a damaged entry is written again, once
        hit = cache.find(path, LAYOUT, cache_companions)
        if hit is None:
            if not build_cache(path):
                return False
            hit = cache.find(path, LAYOUT, cache_companions)
            if hit is None:
                return False
        try:
            entry = _Cached(hit, str(path))
            rows, info = entry.rows_of(None), hit.info
            break
        except _BrokenCache:
            hit.close()
            cache.discard(hit.path)
        finally:
            hit.close()
    if rows is None:
        raise _BrokenCache(f"{path}: korus's cache of the file could not be read")
    count = len(rows)
    order = np.argsort(rows.i, kind="stable")  # radix sorts of int16: by importer, then
    order = order[np.argsort(rows.j[order], kind="stable")]  # exporter, then the file's order
    columns = {"ji": rows.j[order].astype(np.int32) * PAIR_KEY + rows.i[order]}
    columns |= {"k": rows.k[order], "v": rows.v[order]}
    columns["row"] = (order if rows.row is None else rows.row[order]).astype(np.int32)
    kept = {"rows": count, "codes": info["codes"]}
    if "year" in info:
        kept["year"] = info["year"]
    else:
        columns["t"] = rows.t[order]
    if info.get("lost_zero") is False:
        kept["lost_zero"] = False
    else:
        columns["lost_zero"] = rows.lost_zero[order]
    del rows, order
    types = {"ji": pa.int32(), "k": pa.int32(), "v": pa.float64(), "row": pa.int32()}
    types |= {"t": pa.int16(), "lost_zero": pa.bool_()}
    schema = pa.schema([(name, types[name]) for name in columns])
    whole = pa.table(columns, schema=schema)
    del columns
    size = _row_group(count)
    slices = [whole.slice(at, size) for at in range(0, count, size)] or [whole]
    share = -(-len(slices) // _parts(count, size))
    options = dict(CACHE_OPTIONS, write_statistics=["ji"])
    options["column_encoding"] = dict(CACHE_OPTIONS["column_encoding"], ji="DELTA_BINARY_PACKED")
    written = cache.write(
        path,
        BY_IMPORTER,
        lambda: (schema, [slices[at : at + share] for at in range(0, len(slices), share)], kept),
        key=key,
        index="ji",
        **options,
        row_group_size=size,
    )
    return written is not None
