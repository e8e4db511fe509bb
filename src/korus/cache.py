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

The cache never answers for a file it was not made from. Its trust pieces (``fingerprint``,
``seal``, ``Folder``, ``owned``) are small functions any store of korus can use; they live
in ``cache_files``. An entry's key, files, Parquet writing and listing live in
``cache_entries``; this module keeps the switches (on, off, deferred), finding an entry
for a reader, the entries of a folder's files kept together, clearing, and the
background build.

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
import hashlib
import json
import os
import stat
import sys
import threading
from pathlib import Path
from typing import NamedTuple

from korus.cache_entries import (
    ENV_DIR,
    FORMAT_VERSION,
    SUFFIX,
    Companions,
    Hit,
    _bare,
    _companion_prints,
    _excluded,
    _part_path,
    _read_sealed,
    _stamp_of,
    _target,
    _verified,
    cache_dir,
    discard,
    source_key,
    unwritable,
    write,
)
from korus.cache_entries import entries as entries  # for the command line
from korus.cache_entries import exclude as exclude  # for the readers
from korus.cache_files import Folder, _is_fingerprint, _unchanged, fingerprint, seal
from korus.errors import CacheWriteError
from korus.schema import SCHEMA_VERSION

# A file smaller than this reads fast enough without a cache (tests lower it).
MIN_BYTES = 20 * 1024 * 1024
ENV_OFF = "KORUS_NO_CACHE"
LOCK = ".build.lock"  # held by the process writing entries (one at a time)
# A source that could not be cached: a small file beside the entries holding its key then.
UNBUILDABLE = ".unbuildable"

_enabled: bool | None = None
_pending: list[threading.Thread] = []
_failures: list[str] = []  # write failures of entries written in a thread, for ``wait``
_deferred = False  # entries asked for are written after the command, in the background
_requested: list[tuple] = []  # (real path, layout, build, companions, option) asked for
_requested_groups: list[tuple] = []  # (real paths, layout, build, companions) asked for


class Cleared(NamedTuple):
    """What ``clear`` did: how many files it removed, and the names it left alone (files,
    folders and links korus did not write)."""

    removed: int
    left: list[str]


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


# ------------------------------------------------------------------------- clearing


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


def find(
    path: Path, layout: str, companions: Companions | None = None, read_dictionary=None
) -> Hit | None:
    """Return the valid cache entry of a source, or None; ``read_dictionary``: the columns
    its files give as Arrow dictionaries (as ``pyarrow.parquet.ParquetFile`` takes it).

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
                    pq.ParquetFile(
                        target,
                        metadata=footer,
                        page_checksum_verification=True,
                        read_dictionary=read_dictionary,
                    )
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
                    pq.ParquetFile(
                        other,
                        metadata=found[3],
                        page_checksum_verification=True,
                        read_dictionary=read_dictionary,
                    )
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


_GROUPS: dict[str, tuple[tuple, object]] = {}  # a group entry's path -> (its stat, what it holds)


def _group_known(target: Path):
    """Return ``_group_stored(target)``, read once a process while the entry file is the
    same writing (its inode, size and time): every year of a folder asks it, twice."""
    try:
        status = os.stat(target)
    except OSError:
        _GROUPS.pop(str(target), None)
        return None
    stamp = (status.st_ino, status.st_size, status.st_mtime_ns)
    known = _GROUPS.get(str(target))
    if known is None or known[0] != stamp:
        known = (stamp, _group_stored(target))
        _GROUPS[str(target)] = known
    return known[1]


def member_known(path: Path, layout: str) -> bool:
    """Return whether a file is, as it is now, a member of its folder's group entry (then
    its layout is known without reading it, as ``known`` tells from its own entry)."""
    if not is_enabled():
        return False
    real = os.path.realpath(path)
    found = _group_known(_group_target(os.path.dirname(real), layout))
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


def defer(on: bool = True) -> None:
    """Have readers that keep only a pair's rows of a large file ask for its entry
    (``request``), written after the command by ``launch`` (the command line turns this on;
    otherwise such a file is read whole and its entry written from what was read)."""
    global _deferred
    _deferred = bool(on)


def deferred() -> bool:
    """Return whether entries are written after the command (``defer``)."""
    return _deferred


def request(
    path: Path,
    layout: str,
    build,
    companions: Companions | None = None,
    option: str | None = None,
) -> str | None:
    """Ask for the cache entry of a file read without keeping its rows; return a note, or
    None when korus found before that the file cannot be cached (``unbuildable``).

    ``build(path)`` reads the file again and writes the entry; ``launch`` runs it after the
    command's answer. An entry of another kind than the file's own (a second copy in
    another order) is asked of ``korus cache build`` by its ``option``.
    """
    if _unbuildable_now(path, layout, companions):
        return None
    _requested.append((os.path.realpath(path), layout, build, companions, option))
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
        for path, layout, build, companions, _ in asked:
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
    command += list(dict.fromkeys([path for path, *_, option in asked if not option] + members))
    for path, *_, option in asked:
        if option:  # another kind of entry: its option names the file
            command += [option, path]
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


def write_apart(work) -> bool:
    """Run ``work`` (writing entries) in a copy of this process, made by ``fork`` once the
    answer is out, so that the command ends with its answer and the copy, which holds the
    rows already, writes them on its own; return False, having done nothing, where that
    cannot be (not Linux, the folder's writing lock held by another writer, no fork).

    The copy holds the writing lock (``build_lock``) until it has written, so a writer
    that comes after waits for it. It reads and writes nothing of the terminal or of a
    pipe (its standard streams are ``/dev/null``: a pipeline ends with the command), runs
    in a session of its own (Ctrl-C at the prompt never reaches it), and leaves without
    the exit functions of the command it was copied from.
    """
    if not sys.platform.startswith("linux") or not is_enabled():
        return False
    import fcntl

    try:
        with Folder.open(cache_dir(), create=True) as folder:
            handle = folder._open(LOCK, os.O_RDWR | os.O_CREAT)
    except (OSError, CacheWriteError):
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        child = os.fork()
    except OSError:
        os.close(handle)
        return False
    if child:
        os.close(handle)  # the lock is the copy's now: its own handle holds it
        return True
    try:
        os.setsid()
        quiet = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(quiet, stream)
        work()
    finally:
        os._exit(0)


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
