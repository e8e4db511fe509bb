"""A folder's BACI years kept together as one more cache entry, and read from it.

A folder's years kept together (``build_group``, ``read_many``): once each year of a
folder (files in BACI's order, one year each) has its entry, a pair question over them has
them merged into one more entry, sorted by ``ij`` then year, a slice of keys at a time
(memory holds one slice, never the folder). A later pair question over any of those files
reads the pair's few row groups of it once, cuts them by year and builds each file's
part as its own entry would: the same frame, accounting and notes (but the one that
says where the rows came from). It keeps no file lines: a repeated flow or an unknown
code (an error that names a line) sends the question to the years' own entries.
"""

from __future__ import annotations

from pathlib import Path

from korus.readers.baci_companions import cache_companions
from korus.readers.baci_index import _RowGroups
from korus.readers.baci_parse import CACHE_OPTIONS
from korus.readers.baci_rows import LAYOUT, PAIR_KEY, _BrokenCache, _Rows, _Wanted

# Keeping a folder's years together (``build_group``): rows merged this many at a time.
GROUP_BUCKET = 500_000
GROUP_ROW_GROUP: int | None = None  # rows per row group; None: by the rows (_group_row_group)


class _NoLines(Exception):
    """A file line was asked of rows read from a folder's years kept together, which do not
    keep them (an error's words): the years are read from their own entries instead."""


class _UnknownLines:
    def __getitem__(self, index):
        raise _NoLines


class _Together:
    """A folder's years kept together: the rows of the countries asked for, read once
    for all the years, then cut by year."""

    def __init__(self, hit):
        self.groups = _RowGroups(hit)
        self.names = list(hit.files[0].schema_arrow.names)  # ij, t, k, v (lost_zero)
        if not {"ij", "t", "k", "v"} <= set(self.names):
            raise _BrokenCache(f"columns {self.names}")
        self._read: dict[tuple, dict] = {}  # the wanted codes -> their rows, by year

    def rows(self, wanted: _Wanted, year: int) -> _Rows:
        import numpy as np

        if wanted not in self._read:
            arrays, _ = self.groups.read(self.groups.chosen(wanted), self.names, wanted)
            by_year = np.argsort(arrays["t"], kind="stable")
            self._read[wanted] = {name: values[by_year] for name, values in arrays.items()}
        arrays = self._read[wanted]
        start, end = np.searchsorted(arrays["t"], [year, year + 1])
        cut = {name: values[start:end] for name, values in arrays.items()}
        return _Rows(
            cut["t"], cut["i"], cut["j"], cut["k"], cut["lost_zero"], cut["v"], _UnknownLines()
        )


class _Member:
    """One year of a folder's years kept together, read as its own entry would be."""

    def __init__(self, together: _Together, info: dict):
        self.together = together
        self.info = info
        self.rows = int(info["rows"])
        self.codes = [int(code) for code in info["codes"]]
        self.year = int(info["year"])

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        if wanted is None:  # a whole read: each year's own entry
            raise _NoLines
        return self.together.rows(wanted, self.year)

    def first_line(self, code: int) -> tuple[str, int] | None:
        raise _NoLines


def build_group(paths: list[Path]) -> bool | None:
    """Keep several BACI years of one folder together, as one more cache entry
    (``cache.write_group``): every year's rows in the order of exporter and importer, then
    year, so that a question about one pair over all the years reads a few row groups of
    one file. Return True when it was written.

    It is made from the years' own entries, merged a slice of exporter-importer keys at a
    time (a real folder of thirty years is 300 million rows). Files that can never be kept
    together give False: one not in BACI's order, or of more than one year, or two files
    of one year, or not all of one folder. A file without a current entry of its own, or
    a write that failed, give None: not now.
    """
    import pyarrow as pa

    from korus import cache
    from korus.errors import CacheWriteError

    key = cache.group_key(paths, LAYOUT, cache_companions)  # before they are read
    if key is None:
        return False
    hits = []
    try:
        for real in (member["path"] for member in key["members"]):  # each file once
            hit = cache.find(Path(real), LAYOUT, cache_companions)
            if hit is None:
                return None
            hits.append((int(hit.info.get("year", -1)), real, hit))
            if not hit.info.get("in_file_order") or "year" not in hit.info:
                return False
        if len({year for year, _, _ in hits}) != len(hits):
            return False
        hits.sort(key=lambda held: held[0])
        lost = any(hit.info.get("lost_zero") is not False for _, _, hit in hits)
        types = {"ij": pa.int32(), "t": pa.int16(), "k": pa.int32(), "v": pa.float64()}
        types |= {"lost_zero": pa.bool_()} if lost else {}
        schema = pa.schema(list(types.items()))
        # Each year's info as its own entry has it, the country mapping (the same for most
        # years) kept once and named by its place.
        shared, members = [], []
        for _, real, hit in hits:
            own = dict(hit.info)
            countries = own.pop("countries", None)
            if countries not in shared:
                shared.append(countries)
            members.append({"source": real, "info": own, "countries": shared.index(countries)})
        info = {"countries": shared, "members": members}
        rows = sum(int(hit.info["rows"]) for _, _, hit in hits)
        size = _group_row_group(rows)
        pieces = _merged_years([hit for _, _, hit in hits], schema, size, rows)
        try:
            written = cache.write_group(
                paths,
                LAYOUT,
                lambda: (schema, [pieces], info),
                key=key,
                index="ij",
                **CACHE_OPTIONS,
                row_group_size=size,
            )
        except CacheWriteError:
            raise
        except Exception:  # a year's entry that turned out damaged: not now
            written = None
        return True if written is not None else None
    finally:
        for _, _, hit in hits:
            hit.close()


def _group_row_group(rows: int) -> int:
    """Return the rows of a row group of years kept together: 65,536 to a million, so that
    a footer holds about 2,000 groups at most (a pair's rows of every year are in a few)."""
    if GROUP_ROW_GROUP:
        return GROUP_ROW_GROUP
    return min(1 << 20, max(65_536, 1 << (rows // 2048).bit_length()))


def _merged_years(hits: list, schema, size: int, rows: int):
    """Yield every row of the years' entries (``hits``, by year), in the order of ij then
    year, as tables of ``size`` rows (the last may be shorter).

    Each entry is already in the order of ij: the keys are cut into slices of about
    ``GROUP_BUCKET`` rows (judged by the row groups' ranges), and each slice is taken
    from every year, sorted (stably: years stay in order) and handed on, so that memory
    holds one slice and a row group of each year, never the folder.
    """
    import numpy as np
    import pyarrow as pa

    sources = [_RowGroups(hit) for hit in hits]
    highs = np.concatenate([source.high for source in sources])
    counts = np.concatenate([source.size for source in sources])
    if not len(highs) or rows == 0:
        raise _BrokenCache("no rows to keep together")
    order = np.argsort(highs, kind="stable")
    seen = np.cumsum(counts[order])
    marks = np.searchsorted(seen, np.arange(GROUP_BUCKET, int(seen[-1]), GROUP_BUCKET))
    bounds = sorted(set(highs[order][marks].tolist())) + [PAIR_KEY * PAIR_KEY]
    state = [[0, None] for _ in sources]  # each year's next row group and rows left over
    carry, given = None, 0
    for bound in bounds:
        taken = []
        for number, (source, hit) in enumerate(zip(sources, hits, strict=True)):
            following, left = state[number]
            tables = [] if left is None else [left]
            while following < len(source.group) and source.low[following] <= bound:
                tables.append(_entry_rows(source, following, hit.info["year"], schema))
                following += 1
            left = None
            if tables:
                table = pa.concat_tables(tables)
                cut = int(np.searchsorted(table["ij"].to_numpy(), bound, side="right"))
                taken.append(table.slice(0, cut))
                left = table.slice(cut) if cut < table.num_rows else None
            state[number] = [following, left]
        if not taken and carry is None:
            continue
        bucket = carry  # rows carried over: sorted, and before every row taken now
        if taken:
            fresh = pa.concat_tables(taken)
            fresh = fresh.take(pa.array(np.argsort(fresh["ij"].to_numpy(), kind="stable")))
            bucket = fresh if carry is None else pa.concat_tables([carry, fresh])
        whole = bucket.num_rows // size * size
        for at in range(0, whole, size):
            given += size
            yield bucket.slice(at, size)
        carry = bucket.slice(whole).combine_chunks() if whole < bucket.num_rows else None
    if carry is not None:
        given += carry.num_rows
        yield carry
    if given != rows:
        raise _BrokenCache(f"{given} rows kept together of {rows}")


def _entry_rows(source: _RowGroups, number: int, year: int, schema):
    """Return a row group of a year's entry in the columns of years kept together."""
    import numpy as np
    import pyarrow as pa

    parquet = source.hit.files[int(source.file[number])]
    present = [name for name in schema.names if name in parquet.schema_arrow.names]
    table = parquet.read_row_group(int(source.group[number]), columns=present, use_threads=False)
    columns = {name: table[name] for name in present}
    columns["t"] = pa.array(np.full(table.num_rows, year, dtype=np.int16))
    if "lost_zero" in schema.names and "lost_zero" not in columns:
        columns["lost_zero"] = pa.array(np.zeros(table.num_rows, dtype=bool))
    return pa.table([columns[name] for name in schema.names], schema=schema)
