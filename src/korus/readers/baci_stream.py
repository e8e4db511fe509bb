"""A large BACI file streamed for a country pair, and the cache built from a stream.

Streamed (a plain CSV of 64 MiB or more, read for a pair): the file is cut into one part
per core at line ends, each part parsed by its own thread in pieces of a few MiB (t, i, j
and v; k only for the pieces that hold a row of the pair), each piece checked and dropped
but for the pair's rows, so memory stays small whatever the file's size. Anything unusual
(a cell that does not parse, a value out of range, a gzipped file) sends the file to the
whole reading (``baci_parse``), whose errors name the line: the same frame, or the same error.

``build_cache`` (``korus cache build``) writes a file's cache the same way, part by part,
when the file is in BACI's order; else from the whole reading (``baci_parse``).
"""

from __future__ import annotations

from pathlib import Path

from korus import __version__
from korus.errors import DataFileError
from korus.readers.baci_companions import (
    _companion,
    _country_map,
    _country_of,
    _country_rows,
    _version,
    cache_companions,
)
from korus.readers.baci_parse import (
    BLOCK_BYTES,
    CACHE_OPTIONS,
    _codes_as_numbers,
    _convert,
    _header,
    _hs6,
    _hs6_fast,
    _parse,
    _parse_types,
    _plain,
    _row_group,
    _types,
)
from korus.readers.baci_rows import (
    LARGEST_V,
    LAYOUT,
    MAX_CODE,
    NEEDED,
    PAIR_KEY,
    _indices,
    _numbers,
    _Rows,
    _Wanted,
)
from korus.schema import Accounting


def build_cache(path: Path) -> bool:
    """Write korus's cache of a BACI file (``korus cache build``); return whether written.

    The file is read in full and checked as a first read would (a file korus cannot read
    raises its error); a file whose product codes are not all HS6 is not cached.
    """
    from korus import cache

    path = Path(path)
    name = str(path)
    key = cache.source_key(path, LAYOUT, cache_companions)  # before it is read
    streamed = _build_streamed(path, name, key)
    if streamed is not None:
        return streamed
    source = _parse(path, name)
    if source.rows == 0:
        raise DataFileError(f"{name}: the file has a BACI header but no data rows")
    country_file = _companion(path, "country_codes_V*.csv")
    accounting = Accounting(file=name, layout=LAYOUT)
    mapping = _country_map(source.codes, source.first_line, country_file, name, accounting)
    known = {
        "file": _version(country_file),
        "korus": __version__,
        "mapping": mapping,
        "notes": accounting.notes,
    }
    return source.write_cache(path, key, {"countries": known}, background=False) is not None


class _OutOfOrder(Exception):
    """Rows not in exporter, importer order: the cache is written from a whole, sorted read."""


class _NotHS6(Exception):
    """A product code that is not 5 or 6 digits: such a file is not cached."""


def _build_streamed(path: Path, name: str, key: dict | None) -> bool | None:
    """Write the cache of a large plain BACI CSV in BACI's own order while it is parsed:
    one part per core, each parsed piece by piece and written by its own thread, so that
    memory stays small. Return True (written), False (product codes not all HS6: not
    cached), or None when the whole reading must do it (a small, gzipped or unsorted file,
    or anything it must look at more closely; it raises the errors)."""
    import threading

    import numpy as np
    import pyarrow as pa

    from korus import cache
    from korus.errors import CacheWriteError

    split = _split(path, name)
    if split is None or key is None:
        return None
    header, bounds = split
    parts = len(bounds) - 1
    schema = pa.schema(
        [("t", pa.int16()), ("ij", pa.int32()), ("k", pa.int32())]
        + [("lost_zero", pa.bool_()), ("v", pa.float64())]
    )
    size = _row_group(path.stat().st_size // 32)  # a BACI row is some 32 bytes
    rows, first, last = [0] * parts, [None] * parts, [None] * parts
    present = [np.zeros(MAX_CODE + 1, dtype=bool) for _ in range(parts)]
    years, lost_any = [[] for _ in range(parts)], [False] * parts
    done = [threading.Event() for _ in range(parts)]
    failures: list[BaseException] = []

    def pieces(number: int):
        pending = None
        try:
            for chunk in _chunks(path, bounds[number], bounds[number + 1]):
                if failures:
                    raise _Anomaly  # another part has failed: stop
                table = _piece(chunk, header, NEEDED)
                if not table.num_rows:
                    continue
                t, i, j, v = _plain_numbers(table)
                ij = i.astype(np.int32) * PAIR_KEY + j
                if (np.diff(ij) < 0).any() or (last[number] is not None and ij[0] < last[number]):
                    raise _OutOfOrder
                first[number] = ij[0] if first[number] is None else first[number]
                last[number] = ij[-1]
                checked = _hs6_fast(table.column("k"))
                if checked is None:
                    raise _NotHS6
                k, lost = checked
                rows[number] += table.num_rows
                present[number][i] = True
                present[number][j] = True
                years[number] += [int(t.min()), int(t.max())]
                lost_any[number] = lost_any[number] or bool(lost.any())
                piece = pa.table({"t": t, "ij": ij, "k": k, "lost_zero": lost, "v": v}, schema)
                pending = piece if pending is None else pa.concat_tables([pending, piece])
                while pending.num_rows >= size:  # a row group each
                    yield pending.slice(0, size)
                    pending = pending.slice(size)
            if pending is not None and pending.num_rows:
                yield pending
        except BaseException as exc:
            failures.append(exc)
            raise
        finally:
            done[number].set()

    def info() -> dict:
        for event in done:
            event.wait()
        if failures:
            raise failures[0]
        ends = [(low, high) for low, high in zip(first, last, strict=True) if low is not None]
        if any(ends[at][1] > ends[at + 1][0] for at in range(len(ends) - 1)):
            raise _OutOfOrder
        if not sum(rows):
            raise _Anomaly  # no data rows: the whole reading says so
        codes = [int(code) for code in np.flatnonzero(np.logical_or.reduce(present))]
        country_file = _companion(path, "country_codes_V*.csv")
        accounting = Accounting(file=name, layout=LAYOUT)
        mapping = _country_map(
            codes, lambda code: _parse(path, name).first_line(code), country_file, name, accounting
        )
        known = {
            "file": _version(country_file),
            "korus": __version__,
            "mapping": mapping,
            "notes": accounting.notes,
        }
        out = {"rows": sum(rows), "codes": codes, "in_file_order": True, "countries": known}
        seen = [year for part in years for year in part]
        if min(seen) == max(seen):
            out["year"] = seen[0]
        if not any(lost_any):
            out["lost_zero"] = False
        return out

    build = lambda: (schema, [pieces(number) for number in range(parts)], info)  # noqa: E731
    try:
        written = cache.write(
            path, LAYOUT, build, key=key, index="ij", **CACHE_OPTIONS, row_group_size=size
        )
    except CacheWriteError:
        raise
    except Exception:  # the whole reading decides, and names the line of an error
        written = None
    if written is not None:
        return True
    if any(isinstance(failure, _NotHS6) for failure in failures):
        return False
    return None


# Streamed push-down: a year file is parsed in parts, one thread each, chunk by chunk; only
# the asked pair's rows are kept, so memory stays small whatever the file's size.
STREAM_CHUNK = 4 << 20  # bytes parsed at a time by one thread
STREAM_FROM = 64 << 20  # smaller files are parsed whole (``_parse``): as fast, simpler


class _Anomaly(Exception):
    """Something the streamed scan leaves to the full reading, whose errors name the line."""


class _Streamed:
    """A BACI CSV scanned for one country pair's rows: every row parsed, in parallel parts,
    and checked for its year, country codes and value; only the pair's rows kept.

    Anything unusual (a cell that does not parse, a year, code or value out of range, a
    gzipped file) makes ``_stream`` return None, and the file is read by ``_parse``, whose
    errors name the line: the streamed scan gives the same frame, or stands aside.
    """

    def __init__(self, name: str, rows: int, codes: list[int], table, positions, reparse):
        self.name = name
        self.rows = rows
        self.codes = codes
        self.table = table  # the kept rows: t, i, j, k (text), v
        self.positions = positions  # their data rows in the file
        self._reparse = reparse

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a code (an error's words): the
        file is parsed again, in full (an error path)."""
        return self._reparse().first_line(code)

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the kept rows ``wanted`` chooses (all: None)."""
        import numpy as np

        i, j = _numbers(self.table["i"]), _numbers(self.table["j"])
        chosen = wanted.positions(i, j) if wanted is not None else np.arange(len(i))
        if len(chosen) == len(i):  # (every kept row, in order: the usual, as kept for it)
            table, positions = self.table, self.positions
        else:
            table, positions = self.table.take(_indices(chosen)), self.positions[chosen]
        k, lost = _hs6(table["k"], positions, self.name)
        t, i, j, v = (_numbers(table[column]) for column in ("t", "i", "j", "v"))
        return _Rows(t, i, j, k, lost, v, positions)


def _stream(path: Path, name: str, pair, country_file: Path | None) -> _Streamed | None:
    """Scan a large plain BACI CSV for ``pair``'s rows; None when the file is small, gzipped
    or anything in it needs the full reading (``_parse``)."""
    import threading

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401  (whole before the threads take rows with it)

    from korus import progress

    split = _split(path, name)
    if split is None:
        return None
    header, bounds = split
    parts = len(bounds) - 1
    size = path.stat().st_size
    start = bounds[0]
    listed = _country_rows(country_file, name) if country_file is not None else {}
    asked = {str(code) for code in pair if code is not None}
    either = pair[1] is None  # one reporter's trade with every partner
    member = np.zeros(MAX_CODE + 1, dtype=bool)
    decided = np.zeros(MAX_CODE + 1, dtype=bool)
    lock = threading.Lock()
    # k (text, the costliest column to convert) is parsed only for the pieces that hold a
    # row of the pair (a few: BACI's rows are in exporter, importer order); in a file of
    # another order, where most pieces would need a second parse, once a few have, it is
    # parsed with the rest.
    second_parses = [0] * parts
    done = [0] * parts
    results: list[list | None] = [None] * parts
    failures: list[BaseException] = []

    def learn(present) -> None:
        """Decide, once per code, whether a code seen in the file is one of the pair's."""
        new = np.flatnonzero(present & ~decided)
        if not len(new):
            return
        with lock:
            for code in new:
                if not decided[code]:
                    country = _country_of(int(code), listed)[0]
                    member[code] = country is not None and country.code in asked
                    decided[code] = True

    def scan(number: int) -> None:
        found = []
        try:
            for chunk in _chunks(path, bounds[number], bounds[number + 1]):
                if failures:
                    return
                with_k = second_parses[number] >= 4
                table = _piece(chunk, header, NEEDED if with_k else ["t", "i", "j", "v"])
                done[number] += len(chunk)
                if not table.num_rows:
                    continue
                t, i, j, v = _plain_numbers(table)
                present = np.zeros(MAX_CODE + 1, dtype=bool)
                present[i] = True
                present[j] = True
                learn(present)
                mine = np.flatnonzero(
                    (member[i] | member[j]) if either else (member[i] & member[j])
                )
                kept = table.take(_indices(mine))
                if len(mine) and not with_k:
                    second_parses[number] += 1
                    texts = _piece(chunk, header, ["k"])
                    if texts.num_rows != table.num_rows:
                        raise _Anomaly
                    kept = kept.add_column(3, "k", texts.column("k").take(_indices(mine)))
                elif not with_k:
                    kept = kept.add_column(3, "k", pa.nulls(0, pa.string()))
                found.append((table.num_rows, present, kept.select(NEEDED), mine))
            results[number] = found
        except BaseException as exc:  # looked at by the calling thread
            failures.append(exc)

    with progress.task(f"reading {path.name}", total=size) as bar:
        bar.follow(lambda: start + sum(done))
        threads = [threading.Thread(target=scan, args=(n,)) for n in range(parts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for failure in failures:
        if not isinstance(failure, pa.ArrowInvalid | _Anomaly | OSError):
            raise failure
    if failures:
        return None
    rows, present = 0, np.zeros(MAX_CODE + 1, dtype=bool)
    tables, positions = [], []
    for found in results:
        for count, seen, kept, mine in found:
            present |= seen
            tables.append(kept)
            positions.append(mine + rows)
            rows += count
    schema = pa.schema([(column, _types()[column]) for column in NEEDED])
    table = pa.Table.from_batches(
        [batch for kept in tables for batch in kept.to_batches()], schema=schema
    )
    kept_rows = np.concatenate(positions) if positions else np.array([], np.int64)
    return _Streamed(
        name,
        rows,
        [int(code) for code in np.flatnonzero(present)],
        table,
        kept_rows.astype(np.int64),
        lambda: _parse(path, name),
    )


def _split(path: Path, name: str) -> tuple[list[str], list[int]] | None:
    """Return (header, part bounds) of a large plain BACI CSV cut into one part per core at
    line ends; None when it is small, gzipped or has no line end in its first 64 KiB."""
    import os

    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if size < STREAM_FROM or head[:2] == b"\x1f\x8b" or b"\n" not in head:
        return None
    header = _header(path, name)
    start = head.index(b"\n") + 1
    parts = max(1, min(4, os.cpu_count() or 1))
    bounds = [start]
    with open(path, "rb") as handle:
        for number in range(1, parts):
            handle.seek(start + (size - start) * number // parts)
            handle.readline()  # to the start of the next line
            bounds.append(max(bounds[-1], handle.tell()))
    bounds.append(size)
    return header, bounds


def _piece(chunk, header: list[str], names: list[str]):
    """Return one piece of a streamed file parsed (``names`` of its columns), after checking
    that it is text as the whole reading requires; raise ``_Anomaly`` when it is not."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not chunk.obj.isascii():  # BACI is ASCII; else it must be UTF-8 text, as the
        try:  # whole reading checks (in every column it parses)
            str(chunk, "utf-8")
        except UnicodeDecodeError:
            raise _Anomaly from None
    # Codes read as Arrow's integers, where no byte could make them differ from plain
    # codes (``_plain``); else as text, each distinct code then judged (``_codes_as_numbers``).
    plain = _plain(chunk.obj)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(chunk),
            read_options=pacsv.ReadOptions(
                column_names=header, use_threads=False, block_size=BLOCK_BYTES
            ),
            convert_options=_convert(_types() if plain else _parse_types(), names),
        )
    except pa.ArrowInvalid:
        raise _Anomaly from None
    if plain:
        return table
    table = _codes_as_numbers(table)
    if table is None:
        raise _Anomaly
    return table


def _plain_numbers(table):
    """Return t, i, j, v of a parsed piece as numpy arrays; raise ``_Anomaly`` for a year,
    country code or value that the whole reading would look at more closely."""
    import numpy as np

    t, i, j, v = (_numbers(table.column(name)) for name in "tijv")
    if t.min() < 1000 or t.max() > 9999 or min(i.min(), j.min()) < 0:
        raise _Anomaly
    if max(i.max(), j.max()) > MAX_CODE or not (
        np.isfinite(v).all() and v.min() >= 0 and v.max() < LARGEST_V
    ):
        raise _Anomaly
    return t, i, j, v


def _chunks(path: Path, start: int, end: int):
    """Yield the bytes from ``start`` to ``end`` of a file in pieces of about
    ``STREAM_CHUNK``, each ending at the end of a line, as memoryviews (each piece is read
    into a buffer of its own, once: no copy of it is made)."""
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        at, pending = start, b""
        while True:
            want = max(0, min(STREAM_CHUNK, end - at))
            block = bytearray(len(pending) + want)
            block[: len(pending)] = pending
            got = handle.readinto(memoryview(block)[len(pending) :]) if want else 0
            at += got
            filled = len(pending) + got
            last = got == 0 or at >= end
            cut = filled if last else block.rfind(b"\n", 0, filled) + 1
            if cut:
                yield memoryview(block)[:cut]
            pending = bytes(block[cut:filled])
            if last:
                return
