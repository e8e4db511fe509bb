"""The cache's trust pieces: what tells one writing of a file from another, korus's seal on
its own metadata, files written new and renamed into place, and the marks of korus's own
files.

The cache never answers for a file it was not made from. Its trust pieces are small
functions any store of korus can use (``korus.cache`` and ``korus.store`` do):

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
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import stat
from pathlib import Path

from korus.errors import CacheWriteError

KEY = b"korus.cache"  # the Parquet metadata entry that holds an entry's key (korus's marker)
SEAL = b"korus.seal"  # the SHA-256 of the entries above
TEMP_PREFIX = ".korus-tmp-"
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
