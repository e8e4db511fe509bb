"""A cache entry: its key, where it is, its files, how it is written and read back sealed,
and the list of entries (``korus cache list``).

An entry's name is a hash of its source's real path (``_target``), its key the source's
fingerprint and its companions' (``source_key``); a large source's entry has part files
beside the main one (``_parts``), written at once by as many threads (``write``). korus's
own metadata in each file is sealed (``cache_files.seal``) and checked when read
(``_read_sealed``); an entry that fails a check is removed (``discard``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from korus.cache_files import (
    KEY,
    SEAL,
    Folder,
    _is_fingerprint,
    _is_temporary_name,
    _Sink,
    _unchanged,
    fingerprint,
    owned,
    seal,
    unsealed,
)
from korus.errors import CacheWriteError
from korus.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# Bump when what a cache file holds or how it is laid out changes: old files are rebuilt.
FORMAT_VERSION = 2
ENV_DIR = "KORUS_CACHE_DIR"
PART = b"korus.part"  # which writing and which part a file is
RANGES = b"korus.ranges"  # each row group's [min, max] of the index column, and its rows
COLUMNS = b"korus.columns"  # each column's name and type
SUFFIX = ".parquet"
PART_MARK = ".part"
STALE_TEMP_SECONDS = 3600  # a temporary file this old is left over from an interrupted run
_excluded: set[str] = set()

# A reader's companion files: ``companions(data file)`` gives the files beside it that shape
# its figures (their fingerprints are part of the entry's key).
Companions = Callable[[Path], Iterable[Path]]


@dataclass(frozen=True)
class Entry:
    """One cache entry, as ``korus cache list`` shows it."""

    path: Path  # the entry's main cache file
    size: int  # bytes of the entry's files (the main file and its parts)
    source: Path | None  # the data file it was made from (None: the entry is unreadable);
    # for a folder's files kept together, the folder
    source_size: int | None  # the data file's (files') size in bytes when it was written
    written: datetime | None  # when the entry was written (UTC)
    layout: str | None  # the reader that wrote it ("baci")
    current: bool  # the data file still exists, unchanged, and korus still reads this entry
    files: int = 1  # data files kept in it: more than one for a folder's files together


@dataclass
class Hit:
    """A cache entry found valid for a source: its open Parquet files, in order, and what
    the reader kept with them."""

    path: Path  # the main file
    files: list[pq.ParquetFile]
    info: dict
    ranges: list[list | None] = field(default_factory=list)  # per file: [min, max, rows] a group
    what: str = "the file"  # what the entry holds, for notes: "the file", "the folder's years"

    def close(self) -> None:
        """Close the Parquet files (so that they can be removed, on Windows too)."""
        for parquet in self.files:
            with contextlib.suppress(Exception):
                parquet.close()


def cache_dir() -> Path:
    """Return the folder of korus's cache (it may not exist yet)."""
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "korus"
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "korus" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base / "korus"


def exclude(path: Path) -> None:
    """Never cache this file (a temporary copy of standard input, say)."""
    _excluded.add(os.path.realpath(path))


def unwritable() -> str | None:
    """Return why korus's cache folder cannot be written now (a ``CacheWriteError``'s
    message), or None when a file can be made in it."""
    try:
        with Folder.open(cache_dir(), create=True) as folder:
            name, sink = folder.create()
            try:
                with contextlib.suppress(OSError):
                    sink.write(b"korus")
                sink.close()
            finally:
                with contextlib.suppress(OSError):
                    folder.unlink(name)
            if sink.failure is not None:
                raise folder.error(sink.failure)
    except CacheWriteError as exc:
        return str(exc)
    return None


def entries() -> list[Entry]:
    """Return every cache entry, newest first, with the source it was made from."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if not path.name.endswith(SUFFIX) or _is_part(path) or _stamp_of(path) is None:
            continue
        if not owned(path):
            continue  # a file korus did not write: not an entry
        size = sum(_size(part) for part in [path, *_parts(path)] if owned(part))
        unreadable = Entry(path, size, None, None, None, None, False)
        sealed = _read_sealed(path)
        key = sealed[0] if sealed is not None else {}
        members, source = key.get("members"), key.get("source")
        companions = key.get("companions")
        prints = [source] if members is None else members
        if not (
            isinstance(prints, list)
            and isinstance(companions, list)
            and all(map(_is_fingerprint, prints + companions))
        ):
            found.append(unreadable)
            continue
        current = (key.get("format"), key.get("schema")) == (FORMAT_VERSION, SCHEMA_VERSION)
        current = current and all(map(_unchanged, prints + companions))
        try:
            written = datetime.fromisoformat(key["written"]) if key.get("written") else None
        except (TypeError, ValueError):
            written = None
        found.append(
            Entry(
                path,
                size,
                Path(source if members is not None else source["path"]),
                sum(member["size"] for member in prints),
                written,
                key.get("layout"),
                current,
                len(members) if members is not None else 1,
            )
        )
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda entry: entry.written or oldest, reverse=True)


def source_key(path: Path, layout: str, companions: Companions | None = None) -> dict | None:
    """Return what a cache entry of ``path`` must hold to be valid for it now: the file's
    ``fingerprint``, those of its companion files (``companions(path)``: the files beside
    it that shape its figures), the layout, schema and format versions; None when a file
    cannot be looked at."""
    source = fingerprint(path)
    shaping = _companion_prints([path], companions)
    if source is None or shaping is None:
        return None
    return {
        "format": FORMAT_VERSION,
        "schema": SCHEMA_VERSION,
        "layout": layout,
        "source": source,
        "companions": shaping,
    }


def _companion_prints(paths: Iterable[Path], companions: Companions | None) -> list | None:
    """Return the fingerprints of the companion files of ``paths``, by real path; None when
    one cannot be read."""
    if companions is None:
        return []
    files = sorted({os.path.realpath(other) for path in paths for other in companions(Path(path))})
    prints = [fingerprint(other) for other in files]
    return None if None in prints else prints


def discard(target: Path) -> None:
    """Remove a cache entry that cannot be used: its main file and its parts, each only if
    korus wrote it (``owned``)."""
    target = Path(target)
    for path in [target, *_parts(target)]:
        _verified.pop(path, None)
    try:
        folder = Folder.open(target.parent, create=False)
    except CacheWriteError:
        return
    if folder is None:
        return
    with folder:
        for path in [target, *_parts(target)]:
            with contextlib.suppress(OSError):  # a read-only folder: read the source then
                folder.remove(path.name)


def write(
    path: Path,
    layout: str,
    build,
    *,
    key: dict | None = None,
    companions: Companions | None = None,
    index: str | None = None,
    target: Path | None = None,
    **options,
) -> Path | None:
    """Write the cache entry of a source; return its main file, or None when ``build``
    keeps nothing.

    ``build()`` returns ``(schema, parts, info)``: the ``pyarrow.Schema`` of the table to
    keep; the table itself as a list of parts, each an iterable of ``pyarrow.Table``
    pieces written as they come (so that the reader can free memory as it goes), each part
    to its own file by its own thread; and a dict (JSON) the reader wants back with it
    (``Hit.info``), or a callable that returns it, called once the main file's pieces are
    written (it may wait for the other parts', and raise to keep nothing). Or None, to
    keep nothing. ``options`` go to
    ``pyarrow.parquet.ParquetWriter`` (compression, encodings: per column where the table
    has the column) and ``row_group_size`` to its ``write_table``. With ``index`` (a column
    name) each piece is one row group, and the [min, max] of that column in each (with its
    number of rows) is also kept in the file's metadata (``Hit.ranges``): the Parquet
    statistics of the groups, read in one go to choose row groups rather than group by
    group.

    ``key`` is the source's key as it was when it was read (``source_key(path, layout,
    companions)`` before reading): a file changed since then gets an entry that does not
    match it, rebuilt on the next read. Each file is written under a temporary name in the
    cache folder, synced and renamed into place, the main file last; on any failure the
    temporary files are removed. A failure to write (the folder, the disk) raises
    ``CacheWriteError``; an error of ``build`` or of its pieces is raised as it is. Ctrl-C
    still interrupts (and leaves nothing behind). ``target`` and ``key`` together write
    another kind of entry (``write_group``).
    """
    key = key or source_key(path, layout, companions)
    target = target or _target(path, layout)
    if key is None or target is None:
        return None
    built = build()
    if built is None:
        return None
    schema, parts, info = built
    folder = Folder.open(target.parent, create=True)
    temps: list[str] = []
    sinks: list[_Sink] = []
    try:
        _remove_stale_temps(folder)
        for _ in parts:
            name, sink = folder.create()
            temps.append(name)
            sinks.append(sink)
        writing = os.urandom(8).hex()
        stamp = dict(key, written=datetime.now(UTC).isoformat(timespec="seconds"))
        jobs = [
            (sink, pieces, {"build": writing, "part": number, "parts": len(parts)})
            for number, (sink, pieces) in enumerate(zip(sinks, parts, strict=True))
        ]
        failures: list[BaseException] = []

        def run(sink, pieces, part, stamped) -> None:
            try:
                _write_parquet(sink, schema, pieces, stamped, part, index, dict(options))
            except BaseException as exc:  # reported to the writing thread below
                failures.append(exc)
            finally:
                sink.close()

        threads = [threading.Thread(target=run, args=(*job, stamp)) for job in jobs[1:]]
        for thread in threads:
            thread.start()
        # The main file carries the reader's info; a callable gives it once every part's
        # pieces are written (a reader that learns it while it writes).
        run(
            *jobs[0],
            (lambda: dict(stamp, info=_from_source(info)))
            if callable(info)
            else dict(stamp, info=info),
        )
        for thread in threads:
            thread.join()
        _raise_first(failures, sinks, folder)
        for number in reversed(range(len(temps))):  # the main file last: it makes the entry
            folder.commit(temps[number], _part_path(target, number).name)
            temps.pop()
        folder.sync()
        for extra in _parts(target)[len(parts) - 1 :]:  # parts of an older, larger entry
            with contextlib.suppress(OSError):
                folder.remove(extra.name)
        return target
    finally:
        for sink in sinks:
            sink.close()
        for name in temps:
            with contextlib.suppress(OSError):
                folder.unlink(name)
        folder.close()


class _SourceFailure(Exception):
    """An error of the reader (its pieces, its info) while an entry was written: raised as
    the reader's own, never taken for a failure to write."""

    def __init__(self, original: BaseException):
        super().__init__(str(original))
        self.original = original


def _from_source(produce):
    """Return what a reader's callable gives, its errors marked as the reader's."""
    try:
        return produce()
    except Exception as exc:
        raise _SourceFailure(exc) from exc


def _pieces_from_source(pieces):
    """Yield a reader's pieces, their errors marked as the reader's."""
    iterator = iter(pieces)
    while True:
        try:
            piece = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise _SourceFailure(exc) from exc
        yield piece


def _raise_first(failures: list[BaseException], sinks: list[_Sink], folder: Folder) -> None:
    """Raise what stopped a writing: Ctrl-C first, then the disk's error (``CacheWriteError``),
    then the reader's own error."""
    for failure in failures:
        if not isinstance(failure, Exception):
            raise failure
    disk = next((sink.failure for sink in sinks if sink.failure is not None), None)
    if disk is not None:
        raise folder.error(disk)
    for failure in failures:
        if isinstance(failure, _SourceFailure):
            raise failure.original
    for failure in failures:
        if isinstance(failure, OSError):  # the writer's own file operations
            raise folder.error(failure)
    if failures:
        raise failures[0]


def _write_parquet(sink: _Sink, schema, pieces, stamp, part: dict, index, options: dict):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    row_group_size = options.pop("row_group_size", None)
    for name, value in list(options.items()):  # per-column settings of the columns it has
        if isinstance(value, dict):
            options[name] = {column: v for column, v in value.items() if column in schema.names}
        elif isinstance(value, list):
            options[name] = [column for column in value if column in schema.names]
    ranges = []
    with pq.ParquetWriter(sink, schema, write_page_checksum=True, **options) as writer:
        for piece in _pieces_from_source(pieces):
            if index is not None:
                low, high = pc.min_max(piece[index]).values()
                ranges.append([low.as_py(), high.as_py(), piece.num_rows])
                writer.write_table(piece, max(piece.num_rows, 1))  # one row group
            else:
                writer.write_table(piece, row_group_size)
        own = {
            KEY: json.dumps(stamp() if callable(stamp) else stamp).encode(),
            PART: json.dumps(part).encode(),
            COLUMNS: json.dumps([[column.name, str(column.type)] for column in schema]).encode(),
        }
        if index is not None:
            own[RANGES] = json.dumps(ranges).encode()
        writer.add_key_value_metadata({**own, SEAL: seal(own)})


class _Untrusted(Exception):
    """A cache file whose metadata korus cannot vouch for."""


def _korus_metadata(footer) -> tuple[dict, dict, list | None]:
    """Return a cache file's (key, part, ranges) from its footer, once its seal, columns and
    row groups agree with them; raise ``_Untrusted`` otherwise."""
    own = unsealed(footer.metadata or {})
    if own is None or KEY not in own or PART not in own or COLUMNS not in own:
        raise _Untrusted("korus's metadata does not match its seal")
    stored, part = json.loads(own[KEY]), json.loads(own[PART])
    ranges = json.loads(own[RANGES]) if RANGES in own else None
    columns = [[column.name, str(column.type)] for column in footer.schema.to_arrow_schema()]
    if json.loads(own[COLUMNS]) != columns:
        raise _Untrusted("the columns are not those korus wrote")
    if not isinstance(stored, dict) or not isinstance(part, dict):
        raise _Untrusted("not korus's metadata")
    if ranges is not None:
        groups = footer.num_row_groups
        if not isinstance(ranges, list) or len(ranges) != groups:
            raise _Untrusted("the ranges do not match the row groups")
        for number, extent in enumerate(ranges):
            if not (
                isinstance(extent, list)
                and len(extent) == 3
                and extent[2] == footer.row_group(number).num_rows
            ):
                raise _Untrusted("the ranges do not match the row groups")
        if footer.num_rows != sum(extent[2] for extent in ranges):
            raise _Untrusted("the rows do not match the row groups")
    return stored, part, ranges


# A cache file's verified metadata, while the file is that same writing (a file asked
# about twice in one command, a folder's data files told from its code lists by their
# entries first, is read once): path -> (stamp, (key, part, ranges, footer)).
_verified: dict[Path, tuple[tuple, tuple]] = {}


def _read_sealed(path: Path) -> tuple[dict, dict, list | None, object] | None:
    """Return a cache file's verified (key, part, ranges, footer); None when it is missing,
    not a regular file, or its metadata cannot be trusted (``_korus_metadata``)."""
    stamp = _stamp_of(path)
    if stamp is None:
        return None
    memo = _verified.get(path)
    if memo is not None and memo[0] == stamp:
        return memo[1]
    import pyarrow.parquet as pq

    try:
        footer = pq.read_metadata(path)
        found = (*_korus_metadata(footer), footer)
    except Exception:
        return None
    _verified[path] = (stamp, found)
    return found


def _bare(stored: dict) -> dict:
    """Return a stored key without what is not compared (the reader's info, the time)."""
    return {name: value for name, value in stored.items() if name not in ("info", "written")}


def _stamp_of(path: Path) -> tuple | None:
    """Return what tells one writing of a cache file from another (None: missing, or not a
    regular file: a link is not followed)."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _target(path: Path, layout: str) -> Path | None:
    real = os.path.realpath(path)
    if real in _excluded:
        return None
    digest = hashlib.sha256(f"{layout}\0{real}".encode()).hexdigest()[:24]
    return cache_dir() / f"{layout}-{digest}{SUFFIX}"


def _part_path(target: Path, number: int) -> Path:
    if number == 0:
        return target
    return target.with_name(f"{target.stem}{PART_MARK}{number}{SUFFIX}")


def _parts(target: Path) -> list[Path]:
    """Return the part files beside a main file, in order."""
    found = target.parent.glob(f"{target.stem}{PART_MARK}*{SUFFIX}")
    numbered = []
    for path in found:
        number = path.name[len(target.stem) + len(PART_MARK) : -len(SUFFIX)]
        if number.isascii() and number.isdigit():
            numbered.append((int(number), path))
    return [path for _, path in sorted(numbered)]


def _is_part(path: Path) -> bool:
    stem = path.name[: -len(SUFFIX)]
    head, mark, number = stem.rpartition(PART_MARK)
    return bool(head and mark and number.isascii() and number.isdigit())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove_stale_temps(folder: Folder) -> None:
    now = time.time()
    for name in folder.names():
        if not _is_temporary_name(name):
            continue
        with contextlib.suppress(OSError):
            there = folder.lstat(name)
            if there is not None and now - there.st_mtime > STALE_TEMP_SECONDS:
                folder.remove(name)
