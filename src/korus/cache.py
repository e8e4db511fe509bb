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
written at the same time by as many threads.

The cache never answers for a file it was not made from. Its trust pieces are small
functions any store of korus can use:

- ``fingerprint(path)``: what tells one writing of a file from any other: its real path,
  device and inode, size, modification and status-change times (nanoseconds), and a hash
  of its first and last 256 KiB and of 16 blocks of 16 KiB spread evenly between (the
  whole file when it is smaller): under a millisecond for a year of BACI (343 MiB) in
  memory, 8 ms from disk. A file edited in place with its modification time put back
  (``touch -r``) has a new status-change time; a file replaced by another (``mv``) has
  another inode; both, and an edit the sampled blocks hold, have another hash. An
  entry's key is the source's fingerprint and that of every companion file that shapes
  its figures (the reader names them: BACI's country and product code lists), with the
  reader's layout, korus's schema version (``korus.schema.SCHEMA_VERSION``) and the
  cache format version (``FORMAT_VERSION``). An entry whose key does not match the files
  as they are now is removed and rebuilt, never used; so is an entry whose parts are not
  all of one writing.
- ``seal(values)``: korus's own metadata in each file (the key, the part, each row
  group's range of the index, the columns) is kept with its SHA-256; a file whose
  metadata does not match its seal, or whose row groups or columns are not those the
  metadata states, is removed and the source read again. Pages carry checksums, so a
  damaged page is found when it is read, not taken for data.
- ``Folder``: every file korus writes is created new (``O_EXCL``, never through a
  symbolic link) under a temporary name in the cache folder, synced, and renamed into
  place, the main file last; every name is taken relative to the folder as it was opened,
  so a folder swapped for a symbolic link meanwhile does not move korus's writes. A
  symbolic link, or a file korus did not write, where an entry goes is left alone and the
  write refused.
- ``owned(path)``: korus removes only files it wrote, known by its own marker: the key
  ``korus.cache`` in a Parquet file's footer, the first bytes of an ``.unbuildable``
  file, the check in a temporary file's name. ``clear`` leaves everything else in the
  folder alone (and says what).

A write that fails (a read-only folder, a full disk, a file in the way) raises
``CacheWriteError``, which says so and names the folder; it is never taken for a file that
cannot be cached.

A reader that keeps only a country pair's rows of a large file (``readers/baci.py``,
streamed) cannot write the entry from them: it asks for it (``request``), and the command
line, once its answer is written, starts one detached background process, ``korus cache
build FILE...``, that reads the file again and writes the entry (``launch``); such writers
take turns through a lock file in the cache folder. A file that could not be cached (an
error, or product codes that are not all HS6) is remembered, for the files as they are,
in a small ``.unbuildable`` file beside the entries, so that later commands do not read
it again for nothing; ``clear`` removes those too. A program that uses korus as a library
has a large file read whole instead, and the entry written from what was read.

Several data files of one folder (a folder of BACI years) can also be kept together in
one more entry, a group entry (``write_group``, ``find_group``): named by the folder,
keyed on every member's fingerprint and their companions', made from the members' own
entries after a question over them (``request_group``, written by the same background
process) and removed when a member or a companion changes.

Turn the cache off with ``KORUS_NO_CACHE=1`` or ``set_enabled(False)`` (the command
line's ``--no-cache``): then no cache file is read or written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
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
from typing import TYPE_CHECKING, NamedTuple

from korus.errors import CacheWriteError
from korus.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# Bump when what a cache file holds or how it is laid out changes: old files are rebuilt.
FORMAT_VERSION = 2
# A file smaller than this reads fast enough without a cache (tests lower it).
MIN_BYTES = 20 * 1024 * 1024
ENV_DIR = "KORUS_CACHE_DIR"
ENV_OFF = "KORUS_NO_CACHE"
KEY = b"korus.cache"  # the Parquet metadata entry that holds an entry's key (korus's marker)
PART = b"korus.part"  # which writing and which part a file is
RANGES = b"korus.ranges"  # each row group's [min, max] of the index column, and its rows
COLUMNS = b"korus.columns"  # each column's name and type
SEAL = b"korus.seal"  # the SHA-256 of the entries above
SUFFIX = ".parquet"
PART_MARK = ".part"
TEMP_PREFIX = ".korus-tmp-"
STALE_TEMP_SECONDS = 3600  # a temporary file this old is left over from an interrupted run
LOCK = ".build.lock"  # held by the process writing entries (one at a time)
# A source that could not be cached: a small file beside the entries holding its key then.
UNBUILDABLE = ".unbuildable"
UNBUILDABLE_MARK = b'{"korus": "unbuildable"'
# What korus 1 wrote in its .unbuildable files (a bare key): removed by ``clear`` too.
OLD_UNBUILDABLE_MARK = b'{"format": 1, "schema": '
# The content fingerprint: a file's first and last 256 KiB and 16 blocks of 16 KiB between
# (a larger sample costs more than it finds: the inode and the status-change time tell an
# edit; the sample is for file systems whose times do not, Windows' creation time).
SAMPLE_EDGE = 256 << 10
SAMPLE_BLOCKS = 16
SAMPLE_BLOCK = 16 << 10
FOOTER_LIMIT = 64 << 20  # a Parquet footer longer than this is not korus's

_enabled: bool | None = None
_excluded: set[str] = set()
_pending: list[threading.Thread] = []
_failures: list[str] = []  # write failures of entries written in a thread, for ``wait``
_deferred = False  # entries asked for are written after the command, in the background
_requested: list[tuple] = []  # (real path, layout, build, companions) asked for
_requested_groups: list[tuple] = []  # (real paths, layout, build, companions) asked for

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


class Cleared(NamedTuple):
    """What ``clear`` did: how many files it removed, and the names it left alone (files,
    folders and links korus did not write)."""

    removed: int
    left: list[str]


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


# ------------------------------------------------------------------ the trust pieces

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# Names relative to an open folder (Linux, macOS, BSDs); elsewhere (Windows) full paths.
_RELATIVE = bool(_O_DIRECTORY) and all(
    function in os.supports_dir_fd for function in (os.open, os.rename, os.unlink, os.stat)
)

_sampled: dict[tuple, str] = {}  # (real path, stat) -> the content hash, while unchanged
_FINGERPRINT = {
    "path": str,
    "device": int,
    "inode": int,
    "size": int,
    "mtime_ns": int,
    "ctime_ns": int,
    "sample": str,
}


def fingerprint(path: Path | str) -> dict | None:
    """Return what tells this file, as it is now, from any other writing of it: its real
    path, device, inode, size, modification and status-change times (ns) and a SHA-256 of
    sampled blocks (``SAMPLE_*``; the whole file when small); None when it is not a
    regular file that can be read.

    The hash is worked out once per process while the file's status is unchanged.
    """
    real = os.path.realpath(path)
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):  # never open a pipe or a device
            return None
        handle = os.open(real, os.O_RDONLY | _O_CLOEXEC | _O_BINARY)
    except OSError:
        return None
    try:
        status = os.fstat(handle)
        memo = (real, status.st_dev, status.st_ino, status.st_size)
        memo += (status.st_mtime_ns, status.st_ctime_ns)
        sample = _sampled.get(memo)
        if sample is None:
            sample = _sample(handle, status.st_size)
            if len(_sampled) > 4096:
                _sampled.clear()
            _sampled[memo] = sample
    except OSError:
        return None
    finally:
        os.close(handle)
    return dict(zip(_FINGERPRINT, (*memo, sample), strict=True))


def _sample(handle: int, size: int) -> str:
    digest = hashlib.sha256(size.to_bytes(8, "big"))
    if size <= 2 * SAMPLE_EDGE + SAMPLE_BLOCKS * SAMPLE_BLOCK:
        spans = [(0, size)]
    else:
        room = size - 2 * SAMPLE_EDGE - SAMPLE_BLOCK
        spans = [(0, SAMPLE_EDGE), (size - SAMPLE_EDGE, SAMPLE_EDGE)]
        spans += [
            (SAMPLE_EDGE + room * number // (SAMPLE_BLOCKS - 1), SAMPLE_BLOCK)
            for number in range(SAMPLE_BLOCKS)
        ]
    for start, length in spans:
        digest.update(_read_at(handle, length, start))
    return digest.hexdigest()


def _read_at(handle: int, length: int, start: int) -> bytes:
    chunks, done = [], 0
    while done < length:
        if hasattr(os, "pread"):
            chunk = os.pread(handle, length - done, start + done)
        else:  # Windows
            os.lseek(handle, start + done, os.SEEK_SET)
            chunk = os.read(handle, length - done)
        if not chunk:
            break
        chunks.append(chunk)
        done += len(chunk)
    return b"".join(chunks)


def _is_fingerprint(value) -> bool:
    """Return whether a stored value has the shape of a ``fingerprint``."""
    return (
        isinstance(value, dict)
        and value.keys() == _FINGERPRINT.keys()
        and all(type(value[name]) is kind for name, kind in _FINGERPRINT.items())
    )


def _unchanged(stored: dict) -> bool:
    """Return whether the file of a stored fingerprint is still that writing."""
    return fingerprint(stored["path"]) == stored


def seal(values: dict[bytes, bytes]) -> bytes:
    """Return the SHA-256 (hex) of korus's own metadata ``values``, names and values."""
    digest = hashlib.sha256()
    for name in sorted(values):
        for part in (name, values[name]):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest().encode()


def unsealed(metadata: dict[bytes, bytes]) -> dict[bytes, bytes] | None:
    """Return korus's own entries of a file's metadata (``korus.*``) when they match their
    seal; None when they do not, or there is no seal (never trusted then)."""
    own = {
        name: value
        for name, value in metadata.items()
        if name.startswith(b"korus.") and name != SEAL
    }
    stored = metadata.get(SEAL)
    if stored is None or not hmac.compare_digest(stored, seal(own)):
        return None
    return own


def owned(path: Path) -> bool:
    """Return whether korus wrote this file, by its own marker (a Parquet footer holding
    korus's key, an ``.unbuildable`` file's first bytes, a temporary file's name); never
    for a symbolic link or a folder."""
    path = Path(path)
    try:
        folder = Folder.open(path.parent, create=False)
    except CacheWriteError:
        return False
    if folder is None:
        return False
    with folder:
        return folder.owns(path.name)


def _temporary_name() -> str:
    token = os.urandom(8).hex()
    return f"{TEMP_PREFIX}{token}{_temporary_check(token)}"


def _temporary_check(token: str) -> str:
    return hashlib.sha256(f"korus temporary file {token}".encode()).hexdigest()[:8]


def _is_temporary_name(name: str) -> bool:
    """Return whether a name is one korus gives its temporary files (its check holds)."""
    rest = name[len(TEMP_PREFIX) :]
    if not name.startswith(TEMP_PREFIX) or len(rest) != 24:
        return False
    return all(c in "0123456789abcdef" for c in rest) and _temporary_check(rest[:16]) == rest[16:]


def _write_error(folder: Path, cause: BaseException | str) -> CacheWriteError:
    if isinstance(cause, OSError):
        cause = cause.strerror or str(cause)
    return CacheWriteError(f"cannot write the cache in {folder}: {cause}")


class _Sink:
    """A new file korus writes, by its descriptor (pyarrow writes to it as to a file); it
    remembers the first error of the disk, so that a failure is told for what it is."""

    def __init__(self, handle: int):
        self.handle = handle
        self.written = 0
        self.failure: OSError | None = None
        self.closed = False

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        try:
            _write_all(self.handle, view)
        except OSError as exc:
            self.failure = self.failure or exc
            raise
        self.written += len(view)
        return len(view)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Sync the file to disk (so a crash never leaves a renamed file half written) and
        close it."""
        if self.closed:
            return
        self.closed = True
        try:
            os.fsync(self.handle)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP):  # a file system without sync
                self.failure = self.failure or exc
        finally:
            os.close(self.handle)


def _write_all(handle: int, view: memoryview) -> None:
    while view:
        view = view[os.write(handle, view) :]


class Folder:
    """A cache folder, opened once: the files korus creates, renames and removes in it are
    named relative to it, and none of them follows a symbolic link."""

    def __init__(self, path: Path, handle: int | None):
        self.path = path
        self.handle = handle

    @classmethod
    def open(cls, path: Path, *, create: bool) -> Folder | None:
        """Return the folder opened (made first with ``create``); None when it does not
        exist and ``create`` is false. A folder that cannot be made or opened raises
        ``CacheWriteError``."""
        path = Path(path)
        try:
            if create:
                os.makedirs(path, mode=0o700, exist_ok=True)
            elif not path.is_dir():
                return None
            handle = None
            if _RELATIVE:
                handle = os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        except OSError as exc:
            raise _write_error(path, exc) from None
        return cls(path, handle)

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None

    def error(self, cause: BaseException | str) -> CacheWriteError:
        """Return the error that says korus cannot write here, and why."""
        return _write_error(self.path, cause)

    def _at(self, name: str) -> tuple[str, dict]:
        if self.handle is None:
            return str(self.path / name), {}
        return name, {"dir_fd": self.handle}

    def names(self) -> list[str]:
        """Return the names in the folder."""
        return os.listdir(self.handle if self.handle is not None else self.path)

    def lstat(self, name: str) -> os.stat_result | None:
        """Return the status of a name itself (a link is not followed); None: no such name."""
        where, options = self._at(name)
        try:
            return os.stat(where, follow_symlinks=False, **options)
        except FileNotFoundError:
            return None

    def _open(self, name: str, flags: int, mode: int = 0o600) -> int:
        where, options = self._at(name)
        return os.open(where, flags | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY, mode, **options)

    def create(self) -> tuple[str, _Sink]:
        """Return a new temporary file's name and its sink: created here, never through a
        symbolic link (``O_EXCL``)."""
        while True:
            name = _temporary_name()
            try:
                handle = self._open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                continue
            except OSError as exc:
                raise self.error(exc) from None
            return name, _Sink(handle)

    def commit(self, temporary: str, name: str) -> None:
        """Rename a temporary file over ``name``; refused when a symbolic link or a file
        korus did not write is there."""
        there = self.lstat(name)
        if there is not None and stat.S_ISLNK(there.st_mode):
            raise self.error(
                f"{name} is a symbolic link (korus never writes through one); remove it"
            )
        if there is not None and not self.owns(name):
            raise self.error(f"{name} is in the way and korus did not write it; move it away")
        source, options = self._at(temporary)
        target, _ = self._at(name)
        if options:
            options = {"src_dir_fd": self.handle, "dst_dir_fd": self.handle}
        try:
            os.replace(source, target, **options)
        except OSError as exc:
            raise self.error(exc) from None

    def sync(self) -> None:
        """Sync the folder (the renames in it) to disk where the system allows it."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                os.fsync(self.handle)

    def unlink(self, name: str) -> None:
        where, options = self._at(name)
        os.unlink(where, **options)

    def remove(self, name: str) -> bool:
        """Remove a file korus wrote (``owns``); return whether it was removed. Anything
        else is left alone."""
        if not self.owns(name):
            return False
        try:
            self.unlink(name)
        except FileNotFoundError:
            return False
        return True

    def read(self, name: str, limit: int = 1 << 20) -> bytes | None:
        """Return the bytes of a small regular file (never through a link); None otherwise."""
        try:
            handle = self._open(name, os.O_RDONLY)
        except OSError:
            return None
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
                return None
            return _read_at(handle, status.st_size, 0)
        except OSError:
            return None
        finally:
            os.close(handle)

    def write(self, name: str, data: bytes) -> None:
        """Write a small file whole: under a temporary name, synced, then renamed."""
        temporary, sink = self.create()
        try:
            with contextlib.suppress(OSError):  # the sink keeps it: told below
                sink.write(data)
            sink.close()
            if sink.failure is not None:
                raise self.error(sink.failure)
            self.commit(temporary, name)
            temporary = None
        finally:
            sink.close()
            if temporary is not None:
                with contextlib.suppress(OSError):
                    self.unlink(temporary)

    def owns(self, name: str) -> bool:
        """Return whether korus wrote the regular file ``name``: by its marker (see
        ``owned``)."""
        try:
            handle = self._open(name, os.O_RDONLY)
        except OSError:  # missing, a link (O_NOFOLLOW), or not readable
            return False
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode):
                return False
            if _is_temporary_name(name):
                return True
            head = _read_at(handle, len(UNBUILDABLE_MARK), 0)
            if head.startswith((UNBUILDABLE_MARK, OLD_UNBUILDABLE_MARK)):
                return True
            return _footer_marked(handle, status.st_size)
        except OSError:
            return False
        finally:
            os.close(handle)


def _footer_marked(handle: int, size: int) -> bool:
    """Return whether a Parquet file's footer holds korus's key (read as bytes: a footer
    damaged elsewhere still shows it)."""
    if size < 12:
        return False
    tail = _read_at(handle, 8, size - 8)
    length = int.from_bytes(tail[:4], "little")
    if tail[4:] != b"PAR1" or length > min(size - 12, FOOTER_LIMIT):
        return False
    return KEY in _read_at(handle, length, size - 8 - length)


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


# ---------------------------------------------------------------- listing and clearing


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


def clear() -> Cleared:
    """Remove every file korus wrote in its cache folder (entries, ``.unbuildable`` files,
    leftover temporary files); return how many, and what was left alone.

    A file is korus's by its own marker (``owned``), never by its name's suffix: a user's
    own files, folders and links in the folder stay. A folder korus cannot write raises
    ``CacheWriteError``.
    """
    wait()
    _verified.clear()
    folder = Folder.open(cache_dir(), create=False)
    if folder is None:
        return Cleared(0, [])
    removed, left = 0, []
    with folder:
        for name in sorted(folder.names()):
            if name == LOCK:
                continue
            try:
                gone = folder.remove(name)
            except OSError as exc:
                raise folder.error(exc) from None
            if gone:
                removed += 1
            else:
                left.append(name)
    return Cleared(removed, left)


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


def kept_at_all(path: Path) -> bool:
    """Return whether anything read from ``path`` may be kept: the cache is on and the file
    is not a temporary copy (standard input)."""
    return is_enabled() and os.path.realpath(path) not in _excluded


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


def find(path: Path, layout: str, companions: Companions | None = None) -> Hit | None:
    """Return the valid cache entry of a source, or None.

    An entry that does not match the source and its ``companions`` as they are now, whose
    parts are not all there and of one writing, whose metadata does not match its seal,
    or that cannot be read, is removed (it will be rebuilt), never used.
    """
    if not is_enabled():
        return None
    target = _target(path, layout)
    if target is None or _stamp_of(target) is None:  # none, or a link korus leaves alone
        return None
    import pyarrow.parquet as pq

    wanted_key = source_key(path, layout, companions)
    sealed = _read_sealed(target)
    files, ranges, info, valid = [], [], None, False
    if sealed is not None and wanted_key is not None:
        stored, part, head_ranges, footer = sealed
        info = stored.get("info")
        valid = _bare(stored) == wanted_key and isinstance(info, dict)
        valid = valid and part.get("part") == 0 and isinstance(part.get("parts"), int)
        try:
            if valid:
                files.append(
                    pq.ParquetFile(target, metadata=footer, page_checksum_verification=True)
                )
                ranges.append(head_ranges)
            for number in range(1, part["parts"] if valid else 0):
                other = _part_path(target, number)
                found = _read_sealed(other)
                if found is None or _bare(found[0]) != wanted_key:
                    valid = False
                    break
                if found[1] != dict(part, part=number):  # another writing's part
                    valid = False
                    break
                files.append(
                    pq.ParquetFile(other, metadata=found[3], page_checksum_verification=True)
                )
                ranges.append(found[2])
        except Exception:  # a damaged file: never trusted
            valid = False
    if not valid:
        Hit(target, files, {}).close()
        discard(target)
        return None
    return Hit(target, files, info, ranges)


def known(path: Path, layout: str, companions: Companions | None = None) -> bool:
    """Return whether a source has a cache entry whose key matches it as it is now (its
    main file's sealed key only: ``find`` checks the rest and opens the files). Without
    ``companions``, the source alone is looked at (what tells a file's layout)."""
    if not is_enabled():
        return False
    target = _target(path, layout)
    if target is None:
        return False
    sealed = _read_sealed(target)
    wanted_key = source_key(path, layout, companions)
    if sealed is None or wanted_key is None or sealed[1].get("part") != 0:
        return False
    stored = _bare(sealed[0])
    if companions is None:
        stored.pop("companions", None)
        wanted_key.pop("companions")
    return stored == wanted_key


# ------------------------------------------------------- several files kept together

# A group entry keeps several data files of one folder (a folder of BACI years) in one
# Parquet file, in the order of its index (exporter and importer, then year), so that a
# question about one country pair over every year reads a few row groups of one file
# rather than a few of each year's entry. It is named by the folder; its key is every
# member file's fingerprint and its companions'. It is made from the members' own entries,
# which stay: a changed year makes the group stale (removed, then written again), while
# the other years still read from their own entries.
GROUP_MARK = "together"


def group_key(paths: list[Path], layout: str, companions: Companions | None = None) -> dict | None:
    """Return the key a group entry of ``paths`` holds: each file's ``fingerprint`` and
    those of their companion files; None when they are fewer than two files, not all in
    one folder, or one cannot be looked at."""
    reals = sorted({os.path.realpath(path) for path in paths})
    folders = {os.path.dirname(real) for real in reals}
    if len(reals) < 2 or len(folders) != 1 or any(real in _excluded for real in reals):
        return None
    members = [fingerprint(real) for real in reals]
    shaping = _companion_prints(reals, companions)
    if None in members or shaping is None:
        return None
    return {
        "format": FORMAT_VERSION,
        "schema": SCHEMA_VERSION,
        "layout": layout,
        "source": folders.pop(),
        "members": members,
        "companions": shaping,
    }


def _group_target(folder: str, layout: str) -> Path:
    digest = hashlib.sha256(f"{layout}\0{GROUP_MARK}\0{folder}".encode()).hexdigest()[:24]
    return cache_dir() / f"{layout}-{GROUP_MARK}-{digest}{SUFFIX}"


def _group_stored(target: Path) -> tuple[dict, object, dict, dict, list | None] | None:
    """Return a group entry's stored key (with its info), footer, members by real path,
    part and ranges; None when missing, unreadable, not sealed, or of another korus."""
    sealed = _read_sealed(target)
    if sealed is None:
        return None
    stored, part, ranges, footer = sealed
    if (stored.get("format"), stored.get("schema")) != (FORMAT_VERSION, SCHEMA_VERSION):
        return None
    members, companions = stored.get("members"), stored.get("companions")
    if not (
        isinstance(stored.get("info"), dict)
        and isinstance(members, list)
        and isinstance(companions, list)
        and all(map(_is_fingerprint, members + companions))
    ):
        return None
    by_path = {member["path"]: member for member in members}
    if len(by_path) != len(members):
        return None
    return stored, footer, by_path, part, ranges


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
    return member is not None and _unchanged(member)


def find_group(paths: list[Path], layout: str, companions: Companions | None = None) -> Hit | None:
    """Return the valid group entry that holds every file of ``paths`` (files of one
    folder), or None. An entry one of whose members or companion files has changed or
    gone, or that cannot be read, is removed (it will be written again); one of other
    files of the folder is left."""
    if not is_enabled() or not paths:
        return None
    reals = {os.path.realpath(path) for path in paths}
    folders = {os.path.dirname(real) for real in reals}
    if len(folders) != 1:
        return None
    target = _group_target(folders.pop(), layout)
    stamp = _stamp_of(target)
    if stamp is None:
        return None
    found = _group_stored(target)
    if found is None:
        discard(target)
        return None
    stored, footer, members, part, ranges = found
    if _bare(stored) != group_key(list(members), layout, companions):
        discard(target)  # a member or a companion changed, or the entry is not korus's
        return None
    if not reals <= set(members):
        return None
    import pyarrow.parquet as pq

    files = []
    try:
        files.append(pq.ParquetFile(target, metadata=footer, page_checksum_verification=True))
        valid = (part.get("part"), part.get("parts")) == (0, 1)
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
    file's; ``key`` is ``group_key(paths, layout, companions)`` taken before the members
    were read."""
    target = _group_target(key["source"], layout)
    return write(Path(key["source"]), layout, build, key=key, target=target, **options)


def request_group(
    paths: list[Path], layout: str, build, companions: Companions | None = None
) -> str | None:
    """Ask for the group entry of several files of one folder (see ``request``): written
    after the command's answer, once the files' own entries are. Return a note, or None
    when there can be none (files of several folders, small files, a cache folder that
    cannot be written, or korus found before that these files cannot be kept together)."""
    if any(_unbuildable_now(path, layout, companions) for path in paths):
        return None  # a file that cannot be cached: nor can the files together
    key = group_key(paths, layout, companions)
    if key is None or not all(wanted(path) for path in paths) or unwritable():
        return None
    target = _group_target(key["source"], layout)
    found = _group_stored(target)
    if found is not None and _bare(found[0]) == group_key(list(found[2]), layout, companions):
        # The folder's entry holds other files too: it grows to hold these as well (a
        # question over some years and one over others do not undo each other's entry).
        key = group_key([*paths, *found[2]], layout, companions) or key
    if _marked(target, key):
        return None
    members = tuple(member["path"] for member in key["members"])
    _requested_groups.append((members, layout, build, companions))
    return (
        f"korus's cache of these {len(members)} files together is written in the background, "
        "after this answer, for the next question over them"
    )


def build_group_entry(
    paths: list[Path], layout: str, build, companions: Companions | None = None
) -> str:
    """Write the group entry of ``paths`` with ``build(paths)`` (a reader's
    ``build_group``), unless one holds them; return what happened, as ``build_entry``.

    ``build`` returns True (written), False (these files can never be kept together: that
    is remembered while they are unchanged) or None (not now: asked for again later). A
    failure to write raises ``CacheWriteError`` and is not remembered.
    """
    with build_lock():
        key = group_key(paths, layout, companions)
        if key is None:
            return "not cached"
        hit = find_group(paths, layout, companions)
        if hit is not None:
            hit.close()
            return "already cached"
        target = _group_target(key["source"], layout)
        try:
            written = build(paths)
        except CacheWriteError:
            raise
        except Exception:
            _mark_if_possible(target, key)
            raise
        if written is None:  # for now (a year's own entry missing)
            return "not cached for now"
        if not written:  # these files cannot be kept together: not asked for again
            _mark(target, key)
            return "not cached"
        return "cached"


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


def defer(on: bool = True) -> None:
    """Have readers that keep only a pair's rows of a large file ask for its entry
    (``request``), written after the command by ``launch`` (the command line turns this on;
    otherwise such a file is read whole and its entry written from what was read)."""
    global _deferred
    _deferred = bool(on)


def deferred() -> bool:
    """Return whether entries are written after the command (``defer``)."""
    return _deferred


def request(path: Path, layout: str, build, companions: Companions | None = None) -> str | None:
    """Ask for the cache entry of a file read without keeping its rows; return a note, or
    None when korus found before that the file cannot be cached (``unbuildable``).

    ``build(path)`` reads the file again and writes the entry; ``launch`` runs it after the
    command's answer.
    """
    if _unbuildable_now(path, layout, companions):
        return None
    _requested.append((os.path.realpath(path), layout, build, companions))
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
        for path, layout, build, companions in asked:
            with contextlib.suppress(Exception):
                build_entry(Path(path), layout, build, companions)
        for paths, layout, build, companions in groups:
            with contextlib.suppress(Exception):
                build_group_entry([Path(path) for path in paths], layout, build, companions)
        return
    # ``korus cache build`` writes each file's entry, then keeps the files of one folder
    # together (``build_group_entry``).
    command = [sys.executable, "-m", "korus", "cache", "build", "--quiet"]
    members = [path for paths, *_ in groups for path in paths]
    command += list(dict.fromkeys([path for path, *_ in asked] + members))
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


def build_entry(path: Path, layout: str, build, companions: Companions | None = None) -> str:
    """Write the entry of one file with ``build(path)`` (a reader's ``build_cache``),
    unless it has one; return what happened: "cached", "already cached" or "not cached".

    A file that cannot be cached (an error, or ``build`` returns False) is remembered as
    such, for the file and its ``companions`` as they are now (``unbuildable``): later
    commands do not ask again. Errors are raised after that. A failure to write the cache
    (``CacheWriteError``) is raised and not remembered: it is the folder's, not the file's.
    """
    with build_lock():
        if known(path, layout, _none if companions is None else companions):
            return "already cached"
        try:
            written = build(path)
        except (CacheWriteError, MemoryError):
            raise
        except Exception:
            _mark_if_possible(_target(path, layout), source_key(path, layout, companions))
            raise
        if not written:
            _mark(_target(path, layout), source_key(path, layout, companions))
            return "not cached"
        return "cached"


def _none(path: Path) -> tuple:
    return ()


def _unbuildable_now(path: Path, layout: str, companions: Companions | None) -> bool:
    return _marked(_target(path, layout), source_key(path, layout, companions))


def _mark(target: Path | None, key: dict | None) -> None:
    """Remember that the entry ``target`` cannot be made from the sources as ``key`` says
    (a sealed ``.unbuildable`` file); a failure to write it raises ``CacheWriteError``."""
    if target is None or key is None:
        return
    text = json.dumps(key, sort_keys=True)
    body = {"korus": "unbuildable", "seal": seal({b"key": text.encode()}).decode(), "key": key}
    with Folder.open(target.parent, create=True) as folder:
        folder.write(target.with_suffix(UNBUILDABLE).name, json.dumps(body).encode())


def _mark_if_possible(target: Path | None, key: dict | None) -> None:
    """``_mark``, while another error is on its way (that one is the one to tell)."""
    with contextlib.suppress(CacheWriteError):
        _mark(target, key)


def _marked(target: Path | None, key: dict | None) -> bool:
    if target is None or key is None:
        return False
    try:
        folder = Folder.open(target.parent, create=False)
    except CacheWriteError:
        return False
    if folder is None:
        return False
    with folder:
        raw = folder.read(target.with_suffix(UNBUILDABLE).name)
    try:
        body = json.loads(raw) if raw is not None else None
        stored = body["key"]
        text = json.dumps(stored, sort_keys=True)
        sealed = seal({b"key": text.encode()}).decode() == body["seal"]
    except (ValueError, TypeError, KeyError):
        return False
    return sealed and body.get("korus") == "unbuildable" and stored == key


@contextlib.contextmanager
def build_lock():
    """Hold the cache folder's writing lock (waiting for another writer to finish); a
    folder that cannot be written, or a lock file that is a link, raises
    ``CacheWriteError``."""
    with Folder.open(cache_dir(), create=True) as folder:
        try:
            handle = folder._open(LOCK, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            there = folder.lstat(LOCK)
            if there is not None and stat.S_ISLNK(there.st_mode):
                raise folder.error(
                    f"{LOCK} is a symbolic link (korus never writes through one); remove it"
                ) from None
            raise folder.error(exc) from None
        try:
            try:
                import fcntl
            except ImportError:  # Windows: writers are not kept apart (each renames into place)
                fcntl = None
            if fcntl is not None:
                with contextlib.suppress(OSError):  # a file system without locks: go on unlocked
                    fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the lock


def write_in_background(path: Path, layout: str, build, **options) -> None:
    """Like ``write``, in a thread, so that the answer is computed meanwhile.

    The thread is not a daemon: the process ends only once the entry is in place (or has
    failed and been removed). ``wait()`` waits for it and tells a failure to write.
    """

    def run() -> None:
        try:
            write(path, layout, build, **options)
        except CacheWriteError as exc:
            _failures.append(str(exc))
        except Exception:  # a cache is a convenience: the read has found the file's errors
            pass

    thread = threading.Thread(target=run, name="korus-cache-writer")
    _pending.append(thread)
    thread.start()


def wait() -> list[str]:
    """Wait until every cache entry being written in the background is written; return the
    failures to write them (``CacheWriteError`` messages) since the last ``wait``."""
    while _pending:
        _pending.pop().join()
    failures = list(dict.fromkeys(_failures))
    _failures.clear()
    return failures


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
