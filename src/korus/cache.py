"""The read cache: a large source file's needed columns, kept as Parquet for the next question.

Reading a year of CEPII BACI from CSV takes seconds; reading the few row groups of one
country pair from a Parquet copy takes milliseconds. A reader that can use the cache
(``readers/baci.py``) writes such a copy the first time it reads a large file (see
``MIN_BYTES``) and uses it on later reads of the same file.

Where: ``KORUS_CACHE_DIR`` if set; else ``$XDG_CACHE_HOME/korus`` or ``~/.cache/korus`` on
Linux and other Unix systems, ``~/Library/Caches/korus`` on macOS and
``%LOCALAPPDATA%\\korus\\Cache`` on Windows.

One cache entry per source file, named by a hash of the source's resolved real path: a
Parquet file, and for a large source more part files beside it (``NAME.part1.parquet``...)
written at the same time by as many threads. The entry's metadata holds its key: the
source's real path, size and modification time (nanoseconds), the reader's layout,
korus's schema version (``korus.schema.SCHEMA_VERSION``) and the cache format version
(``FORMAT_VERSION``). An entry whose key does not match the source as it is now (the file
was changed or touched, korus was upgraded), whose parts are not all of one writing, or
that cannot be read, is removed and rebuilt from the source: never trusted. Pages carry
checksums, so a damaged page is found when it is read, not taken for data.

Every file of an entry is written under a temporary name in the cache folder and renamed
into place, the main file last, so an interrupted run leaves no half-written entry (a
leftover temporary file is never read, and is removed by a later write or by ``clear``).

A reader that keeps only a country pair's rows of a large file (``readers/baci.py``,
streamed) cannot write the entry from them: it asks for it (``request``), and the command
line, once its answer is written, starts one detached background process, ``korus cache
build FILE...``, that reads the file again and writes the entry (``launch``); such writers
take turns through a lock file in the cache folder. A file that could not be cached (an
error, or product codes that are not all HS6) is remembered, for the file as it is, in a
small ``.unbuildable`` file beside the entries, so that later commands do not read it again
for nothing; ``clear`` removes those too. A program that uses korus as a library has a
large file read whole instead, and the entry written from what was read.

Several data files of one folder (a folder of BACI years) can also be kept together in
one more entry, a group entry (``write_group``, ``find_group``): named by the folder,
keyed on every member's real path, size and modification time, made from the members'
own entries after a question over them (``request_group``, written by the same
background process) and removed when a member changes.

Turn the cache off with ``KORUS_NO_CACHE=1`` or ``set_enabled(False)`` (the command
line's ``--no-cache``): then no cache file is read or written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from korus.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# Bump when what a cache file holds or how it is laid out changes: old files are rebuilt.
FORMAT_VERSION = 1
# A file smaller than this reads fast enough without a cache (tests lower it).
MIN_BYTES = 20 * 1024 * 1024
ENV_DIR = "KORUS_CACHE_DIR"
ENV_OFF = "KORUS_NO_CACHE"
KEY = b"korus.cache"  # the Parquet metadata entry that holds an entry's key
PART = b"korus.part"  # which writing and which part a file is
RANGES = b"korus.ranges"  # each row group's [min, max] of the index column
SUFFIX = ".parquet"
PART_MARK = ".part"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600  # a temporary file this old is left over from an interrupted run

_enabled: bool | None = None
_excluded: set[str] = set()
_pending: list[threading.Thread] = []
_deferred = False  # entries asked for are written after the command, in the background
_requested: list[tuple[str, str, object]] = []  # (real path, layout, build) asked for
_requested_groups: list[tuple[tuple[str, ...], str, object]] = []  # (paths, layout, build)
LOCK = ".build.lock"  # held by the process writing entries (one at a time)


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


# Entries found valid in this process: the source's key and the main file's stamp then.
# A file asked about twice in one command (a folder's data files are told from its code
# lists by their entries first) has its entry's key read once; no file is kept open.
_checked: dict[Path, tuple[dict, tuple, object]] = {}  # target -> (key, stamp, footer)


def _stamp_of(path: Path) -> tuple | None:
    """Return what tells one writing of a file from another (None: missing)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


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


def set_enabled(enabled: bool) -> None:
    """Turn the cache on or off for this process (the command line's ``--no-cache``)."""
    global _enabled
    _enabled = bool(enabled)


def is_enabled() -> bool:
    """Return whether cache files are read and written: not when turned off, by
    ``set_enabled(False)`` or the environment variable ``KORUS_NO_CACHE`` (1, true, yes)."""
    if _enabled is not None:
        return _enabled
    return os.environ.get(ENV_OFF, "").strip().lower() not in {"1", "true", "yes", "on"}


def exclude(path: Path) -> None:
    """Never cache this file (a temporary copy of standard input, say)."""
    _excluded.add(os.path.realpath(path))


def entries() -> list[Entry]:
    """Return every cache entry, newest first, with the source it was made from."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        if path.name.startswith(TEMP_PREFIX) or _is_part(path) or not path.is_file():
            continue
        size = sum(_size(part) for part in [path, *_parts(path)])
        key = _read_key(path)
        if key is None:
            found.append(Entry(path, size, None, None, None, None, False))
            continue
        source = Path(key["source"])
        current = key.get("format") == FORMAT_VERSION and key.get("schema") == SCHEMA_VERSION
        members = key.get("members")
        if members is not None and not all(_is_member(member) for member in members):
            found.append(Entry(path, size, None, None, None, None, False))
            continue
        if members is not None:  # a group entry: a folder's files together
            current = current and all(_member_now(member) for member in members)
            source_size = sum(member[1] for member in members)
        else:
            source_size = key.get("size")
            current = current and _member_now([source, key["size"], key["mtime_ns"]])
        written = datetime.fromisoformat(key["written"]) if key.get("written") else None
        found.append(
            Entry(
                path,
                size,
                source,
                source_size,
                written,
                key.get("layout"),
                current,
                len(members) if members is not None else 1,
            )
        )
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda entry: entry.written or oldest, reverse=True)


def clear() -> int:
    """Remove every cache entry (and leftover temporary files); return how many files were
    removed."""
    wait()
    _checked.clear()
    folder = cache_dir()
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and (
            path.suffix in (SUFFIX, UNBUILDABLE) or path.name.startswith(TEMP_PREFIX)
        ):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


# ------------------------------------------------------------------ for the readers


def wanted(path: Path) -> bool:
    """Return whether a file read from its source should be cached: the cache is on, the
    file is large (``MIN_BYTES``) and is not a temporary copy."""
    if not is_enabled() or os.path.realpath(path) in _excluded:
        return False
    try:
        return Path(path).stat().st_size >= MIN_BYTES
    except OSError:
        return False


def source_key(path: Path, layout: str) -> dict | None:
    """Return what a cache entry of ``path`` must hold to be valid for it now: the resolved
    real path, size, modification time (ns), layout, schema and format versions; None when
    the file cannot be looked at."""
    real = os.path.realpath(path)
    try:
        stat = os.stat(real)
    except OSError:
        return None
    return {
        "format": FORMAT_VERSION,
        "schema": SCHEMA_VERSION,
        "layout": layout,
        "source": real,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def find(path: Path, layout: str) -> Hit | None:
    """Return the valid cache entry of a source, or None.

    An entry that does not match the source as it is now, whose parts are not all there
    and of one writing, or that cannot be read, is removed (it will be rebuilt), never used.
    """
    if not is_enabled():
        return None
    target = _target(path, layout)
    if target is None or not target.exists():
        return None
    import pyarrow.parquet as pq

    wanted_key = source_key(path, layout)
    files, ranges, info = [], [], None
    stamp = _stamp_of(target)
    checked = _checked.get(target)
    # The footer as ``known`` read it, while the file is that same writing (not read twice).
    footer = checked[2] if checked and checked[:2] == (wanted_key, stamp) else None
    try:
        head = pq.ParquetFile(target, metadata=footer, page_checksum_verification=True)
        files.append(head)
        stored, part, head_ranges = _stamp(head)
        info = stored.pop("info")
        stored.pop("written", None)
        ranges.append(head_ranges)
        valid = stored == wanted_key and part["part"] == 0
        for number in range(1, part["parts"] if valid else 0):
            other = pq.ParquetFile(_part_path(target, number), page_checksum_verification=True)
            files.append(other)
            _, other_part, other_ranges = _stamp(other)
            ranges.append(other_ranges)
            valid = valid and other_part == dict(part, part=number)
    except Exception:  # a damaged, foreign or missing file: never trusted
        valid = False
    if not valid or wanted_key is None:
        Hit(target, files, {}).close()
        discard(target)
        return None
    _checked[target] = (wanted_key, stamp, head.metadata)
    return Hit(target, files, info, ranges)


def known(path: Path, layout: str) -> bool:
    """Return whether a source has a cache entry whose key matches it as it is now (its
    main file's key only, read once per process while unchanged: ``find`` checks the rest
    and opens the files)."""
    if not is_enabled():
        return False
    target = _target(path, layout)
    if target is None:
        return False
    stamp = _stamp_of(target)
    if stamp is None:
        return False
    wanted_key = source_key(path, layout)
    checked = _checked.get(target)
    if checked is not None and checked[:2] == (wanted_key, stamp):
        return True
    import pyarrow.parquet as pq

    try:
        footer = pq.read_metadata(target)
        stored = json.loads((footer.metadata or {})[KEY])
    except Exception:
        return False
    stored.pop("info", None)
    stored.pop("written", None)
    if wanted_key is None or stored != wanted_key:
        return False
    _checked[target] = (wanted_key, stamp, footer)
    return True


# ------------------------------------------------------- several files kept together

# A group entry keeps several data files of one folder (a folder of BACI years) in one
# Parquet file, in the order of its index (exporter and importer, then year), so that a
# question about one country pair over every year reads a few row groups of one file
# rather than a few of each year's entry. It is named by the folder; its key is every
# member file's real path, size and modification time. It is made from the members' own
# entries, which stay: a changed year makes the group stale (removed, then written again),
# while the other years still read from their own entries.
GROUP_MARK = "together"
# target -> (stamp, key, footer, each member by its real path)
_groups: dict[Path, tuple[tuple, dict, object, dict]] = {}


def group_key(paths: list[Path], layout: str) -> dict | None:
    """Return the key a group entry of ``paths`` holds: each file's real path, size and
    modification time (ns); None when they are fewer than two files, not all in one
    folder, or one cannot be looked at."""
    reals = sorted({os.path.realpath(path) for path in paths})
    folders = {os.path.dirname(real) for real in reals}
    if len(reals) < 2 or len(folders) != 1 or any(real in _excluded for real in reals):
        return None
    members = []
    for real in reals:
        try:
            stat = os.stat(real)
        except OSError:
            return None
        members.append([real, stat.st_size, stat.st_mtime_ns])
    return {
        "format": FORMAT_VERSION,
        "schema": SCHEMA_VERSION,
        "layout": layout,
        "source": folders.pop(),
        "members": members,
    }


def _group_target(folder: str, layout: str) -> Path:
    digest = hashlib.sha256(f"{layout}\0{GROUP_MARK}\0{folder}".encode()).hexdigest()[:24]
    return cache_dir() / f"{layout}-{GROUP_MARK}-{digest}{SUFFIX}"


def _group_stored(target: Path) -> tuple[dict, object, dict] | None:
    """Return a group entry's stored key (with its info), footer and members by real path
    (lists of path, size and modification time), read once per process
    while the file is that same writing; None when missing, unreadable or of another
    korus."""
    stamp = _stamp_of(target)
    if stamp is None:
        return None
    memo = _groups.get(target)
    if memo is not None and memo[0] == stamp:
        return memo[1:]
    import pyarrow.parquet as pq

    try:
        footer = pq.read_metadata(target)
        stored = json.loads((footer.metadata or {})[KEY])
        members = {member[0]: member for member in stored["members"]}
        valid = isinstance(stored.get("info"), dict) and len(members) == len(stored["members"])
        valid = valid and all(_is_member(member) for member in stored["members"])
    except Exception:
        return None
    if (stored.get("format"), stored.get("schema")) != (FORMAT_VERSION, SCHEMA_VERSION):
        return None
    if not valid:
        return None
    _groups[target] = (stamp, stored, footer, members)
    return stored, footer, members


def _is_member(member) -> bool:
    """Return whether a stored member is korus's: [real path, size, modification time]."""
    return (
        isinstance(member, list)
        and len(member) == 3
        and isinstance(member[0], str)
        and all(isinstance(number, int) for number in member[1:])
    )


def _member_now(member: list) -> bool:
    real, size, mtime_ns = member
    try:
        stat = os.stat(real)
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (size, mtime_ns)


def member_known(path: Path, layout: str) -> bool:
    """Return whether a file is, as it is now, a member of its folder's group entry (then
    its layout is known without reading it, as ``known`` tells from its own entry)."""
    if not is_enabled():
        return False
    real = os.path.realpath(path)
    found = _group_stored(_group_target(os.path.dirname(real), layout))
    if found is None or found[0].get("layout") != layout:
        return False
    member = found[2].get(real)
    return member is not None and _member_now(member)


def find_group(paths: list[Path], layout: str) -> Hit | None:
    """Return the valid group entry that holds every file of ``paths`` (files of one
    folder), or None. An entry one of whose members has changed or gone, or that cannot be
    read, is removed (it will be written again); one of other files of the folder is left."""
    if not is_enabled() or not paths:
        return None
    reals = {os.path.realpath(path) for path in paths}
    folders = {os.path.dirname(real) for real in reals}
    if len(folders) != 1:
        return None
    target = _group_target(folders.pop(), layout)
    stamp = _stamp_of(target)
    found = _group_stored(target)
    if found is None:
        if target.exists():
            discard(target)
        return None
    stored, footer, _ = found
    if not all(_member_now(member) for member in stored["members"]):
        discard(target)
        return None
    if stored.get("layout") != layout or not reals <= {m[0] for m in stored["members"]}:
        return None
    import pyarrow.parquet as pq

    files = []
    try:
        files.append(pq.ParquetFile(target, metadata=footer, page_checksum_verification=True))
        _, part, ranges = _stamp(files[0])
        valid = (part["part"], part["parts"]) == (0, 1)
    except Exception:
        valid = False
    if _stamp_of(target) != stamp:  # written again meanwhile: its footer is not this one
        Hit(target, files, {}).close()
        return None
    if not valid:
        Hit(target, files, {}).close()
        discard(target)
        return None
    return Hit(target, files, stored["info"], [ranges], what="the folder's files, kept together")


def write_group(paths: list[Path], layout: str, build, *, key: dict, **options) -> Path | None:
    """Write the group entry of ``paths`` (files of one folder), as ``write`` writes a
    file's; ``key`` is ``group_key(paths, layout)`` taken before the members were read."""
    target = _group_target(key["source"], layout)
    return write(Path(key["source"]), layout, build, key=key, target=target, **options)


def request_group(paths: list[Path], layout: str, build) -> str | None:
    """Ask for the group entry of several files of one folder (see ``request``): written
    after the command's answer, once the files' own entries are. Return a note, or None
    when there can be none (files of several folders, small files, or korus found before
    that these files cannot be kept together)."""
    if any(_unbuildable_now(path, layout) for path in paths):
        return None  # a file that cannot be cached: nor can the files together
    key = group_key(paths, layout)
    if key is None or not all(wanted(path) for path in paths):
        return None
    target = _group_target(key["source"], layout)
    found = _group_stored(target)
    if found is not None and all(_member_now(member) for member in found[0]["members"]):
        # The folder's entry holds other files too: it grows to hold these as well (a
        # question over some years and one over others do not undo each other's entry).
        key = group_key([*paths, *found[2]], layout) or key
    if _marked(target, key):
        return None
    members = tuple(real for real, _, _ in key["members"])
    _requested_groups.append((members, layout, build))
    return (
        f"korus's cache of these {len(members)} files together is written in the background, "
        "after this answer, for the next question over them"
    )


def build_group_entry(paths: list[Path], layout: str, build) -> str:
    """Write the group entry of ``paths`` with ``build(paths)`` (a reader's
    ``build_group``), unless one holds them; return what happened, as ``build_entry``.

    ``build`` returns True (written), False (these files can never be kept together: that
    is remembered while they are unchanged) or None (not now: asked for again later).
    """
    with build_lock():
        key = group_key(paths, layout)
        if key is None:
            return "not cached"
        hit = find_group(paths, layout)
        if hit is not None:
            hit.close()
            return "already cached"
        target = _group_target(key["source"], layout)
        try:
            written = build(paths)
        except Exception:
            _mark(target, key)
            raise
        if written is None:  # for now (a year's own entry missing, a failed write)
            return "not cached for now"
        if not written:  # these files cannot be kept together: not asked for again
            _mark(target, key)
            return "not cached"
        return "cached"


def discard(target: Path) -> None:
    """Remove a cache entry that cannot be used: its main file and its parts."""
    _checked.pop(Path(target), None)
    _groups.pop(Path(target), None)
    for path in [Path(target), *_parts(Path(target))]:
        with contextlib.suppress(OSError):
            path.unlink()


def write(
    path: Path,
    layout: str,
    build,
    *,
    key: dict | None = None,
    index: str | None = None,
    target: Path | None = None,
    **options,
) -> Path | None:
    """Write the cache entry of a source; return its main file, or None when it could not
    be written.

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

    ``key`` is the source's key as it was when it was read (``source_key(path, layout)``
    before reading): a file changed since then gets an entry that does not match it, rebuilt
    on the next read. Each file is written under a temporary name in the cache folder and
    renamed into place, the main file last; on any failure the temporary files are removed
    and the read goes on without a cache. Ctrl-C still interrupts (and leaves nothing behind).
    ``target`` and ``key`` together write another kind of entry (``write_group``).
    """
    key = key or source_key(path, layout)
    target = target or _target(path, layout)
    if key is None or target is None:
        return None
    temps: list[Path] = []
    try:
        built = build()
        if built is None:
            return None
        schema, parts, info = built
        folder = target.parent
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(folder)
        import tempfile

        for _ in parts:
            handle, name = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-")
            os.close(handle)
            temps.append(Path(name))
        writing = os.urandom(8).hex()
        stamp = dict(key, written=datetime.now(UTC).isoformat(timespec="seconds"))
        jobs = [
            (temp, pieces, {"build": writing, "part": number, "parts": len(parts)})
            for number, (temp, pieces) in enumerate(zip(temps, parts, strict=True))
        ]
        failures: list[BaseException] = []

        def run(temp, pieces, part, stamped) -> None:
            try:
                _write_parquet(temp, schema, pieces, stamped, part, index, dict(options))
            except BaseException as exc:  # reported to the writing thread below
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(*job, stamp)) for job in jobs[1:]]
        for thread in threads:
            thread.start()
        # The main file carries the reader's info; a callable gives it once every part's
        # pieces are written (a reader that learns it while it writes).
        run(
            *jobs[0],
            (lambda: dict(stamp, info=info())) if callable(info) else dict(stamp, info=info),
        )
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        for number in reversed(range(len(temps))):  # the main file last: it makes the entry
            os.replace(temps[number], _part_path(target, number))
        temps = []
        for extra in _parts(target)[len(parts) - 1 :]:  # parts of an older, larger entry
            with contextlib.suppress(OSError):
                extra.unlink()
        return target
    except Exception:
        return None  # a cache is a convenience: a failure to write one never fails a read
    finally:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()


def defer(on: bool = True) -> None:
    """Have readers that keep only a pair's rows of a large file ask for its entry
    (``request``), written after the command by ``launch`` (the command line turns this on;
    otherwise such a file is read whole and its entry written from what was read)."""
    global _deferred
    _deferred = bool(on)


def deferred() -> bool:
    """Return whether entries are written after the command (``defer``)."""
    return _deferred


def request(path: Path, layout: str, build) -> str | None:
    """Ask for the cache entry of a file read without keeping its rows; return a note, or
    None when korus found before that the file cannot be cached (``unbuildable``).

    ``build(path)`` reads the file again and writes the entry; ``launch`` runs it after the
    command's answer.
    """
    if _unbuildable_now(path, layout):
        return None
    _requested.append((os.path.realpath(path), layout, build))
    return (
        "korus's cache of the file is written in the background, after this answer, "
        "for the next read"
    )


def launch(background: bool = True) -> None:
    """Write the entries asked for (``request``, ``request_group``): in one background process,
    ``python -m korus cache build --quiet FILE...``, detached, its output discarded; or,
    with ``background=False``, here and now (each file's error is then its own, never the
    caller's: a cache is a convenience).

    Writers wait for one another (``build_lock``), so that many commands in a row never
    write many entries at once; each first looks whether the entry has been written since.
    """
    import subprocess

    asked = list(dict.fromkeys(_requested))
    groups = list(dict.fromkeys(_requested_groups))
    _requested.clear()
    _requested_groups.clear()
    if not (asked or groups) or not is_enabled():
        return
    if not background:
        for path, layout, build in asked:
            with contextlib.suppress(Exception):
                build_entry(Path(path), layout, build)
        for paths, layout, build in groups:
            with contextlib.suppress(Exception):
                build_group_entry([Path(path) for path in paths], layout, build)
        return
    # ``korus cache build`` writes each file's entry, then keeps the files of one folder
    # together (``build_group_entry``).
    command = [sys.executable, "-m", "korus", "cache", "build", "--quiet"]
    members = [path for paths, _, _ in groups for path in paths]
    command += list(dict.fromkeys([path for path, _, _ in asked] + members))
    options: dict = {"start_new_session": True}
    if sys.platform == "win32":
        options = {
            "creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
        }
    with contextlib.suppress(OSError):  # a cache is a convenience: never fail the command
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env={**os.environ, ENV_DIR: str(cache_dir())},
            **options,
        )


def build_entry(path: Path, layout: str, build) -> str:
    """Write the entry of one file with ``build(path)`` (a reader's ``build_cache``),
    unless it has one; return what happened: "cached", "already cached" or "not cached".

    A file that cannot be cached (an error, or ``build`` returns False) is remembered as
    such, for the file as it is now (``unbuildable``): later commands do not ask again.
    Errors are raised after that.
    """
    with build_lock():
        if known(path, layout):
            return "already cached"
        try:
            written = build(path)
        except Exception:
            _mark_unbuildable(path, layout)
            raise
        if not written:
            _mark_unbuildable(path, layout)
            return "not cached"
        return "cached"


# A source that could not be cached: a small file beside the entries holding its key then.
UNBUILDABLE = ".unbuildable"


def _mark_unbuildable(path: Path, layout: str) -> None:
    _mark(_target(path, layout), source_key(path, layout))


def _unbuildable_now(path: Path, layout: str) -> bool:
    return _marked(_target(path, layout), source_key(path, layout))


def _mark(target: Path | None, key: dict | None) -> None:
    """Remember that the entry ``target`` cannot be made from the sources as ``key`` says."""
    if target is None or key is None:
        return
    with contextlib.suppress(OSError):
        target.with_suffix(UNBUILDABLE).write_text(json.dumps(key), encoding="utf-8")


def _marked(target: Path | None, key: dict | None) -> bool:
    if target is None or key is None:
        return False
    try:
        marked = json.loads(target.with_suffix(UNBUILDABLE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marked == key


@contextlib.contextmanager
def build_lock():
    """Hold the cache folder's writing lock (waiting for another writer to finish)."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK, "a+b")  # noqa: SIM115 (held across the yield)
    except OSError:
        yield
        return
    try:
        try:
            import fcntl
        except ImportError:  # Windows: writers are not kept apart (each renames into place)
            fcntl = None
        if fcntl is not None:
            with contextlib.suppress(OSError):  # a file system without locks: go on unlocked
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


def write_in_background(path: Path, layout: str, build, **options) -> None:
    """Like ``write``, in a thread, so that the answer is computed meanwhile.

    The thread is not a daemon: the process ends only once the entry is in place (or has
    failed and been removed). ``wait()`` waits for it.
    """
    thread = threading.Thread(
        target=write, args=(path, layout, build), kwargs=options, name="korus-cache-writer"
    )
    _pending.append(thread)
    thread.start()


def wait() -> None:
    """Wait until every cache entry being written in the background is written."""
    while _pending:
        _pending.pop().join()


def _write_parquet(temp: Path, schema, pieces, stamp: dict, part: dict, index, options: dict):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not callable(stamp):
        schema = schema.with_metadata({KEY: json.dumps(stamp).encode()})
    row_group_size = options.pop("row_group_size", None)
    for name, value in list(options.items()):  # per-column settings of the columns it has
        if isinstance(value, dict):
            options[name] = {column: v for column, v in value.items() if column in schema.names}
        elif isinstance(value, list):
            options[name] = [column for column in value if column in schema.names]
    ranges = []
    with pq.ParquetWriter(temp, schema, write_page_checksum=True, **options) as writer:
        for piece in pieces:
            if index is not None:
                low, high = pc.min_max(piece[index]).values()
                ranges.append([low.as_py(), high.as_py(), piece.num_rows])
                writer.write_table(piece, max(piece.num_rows, 1))  # one row group
            else:
                writer.write_table(piece, row_group_size)
        extra = {PART: json.dumps(part)}
        if callable(stamp):  # worked out now that the pieces are written
            extra[KEY] = json.dumps(stamp())
        if index is not None:
            extra[RANGES] = json.dumps(ranges)
        writer.add_key_value_metadata(extra)


def _stamp(parquet) -> tuple[dict, dict, list | None]:
    """Return a cache file's (key, part, ranges) from its metadata."""
    metadata = parquet.metadata.metadata or {}
    stored = json.loads(metadata[KEY])
    part = json.loads(metadata[PART])
    ranges = json.loads(metadata[RANGES]) if RANGES in metadata else None
    if ranges is not None and len(ranges) != parquet.metadata.num_row_groups:
        raise ValueError("the ranges do not match the row groups")
    return stored, part, ranges


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
        if number.isdigit():
            numbered.append((int(number), path))
    return [path for _, path in sorted(numbered)]


def _is_part(path: Path) -> bool:
    stem = path.name[: -len(SUFFIX)]
    head, mark, number = stem.rpartition(PART_MARK)
    return bool(head and mark and number.isdigit())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_key(path: Path) -> dict | None:
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(path).metadata or {}
        return json.loads(metadata[KEY])
    except Exception:
        return None


def _remove_stale_temps(folder: Path) -> None:
    now = time.time()
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - temp.stat().st_mtime > STALE_TEMP_SECONDS:
                temp.unlink()
