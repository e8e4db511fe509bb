"""The record ``korus fetch`` writes beside its output (``FILE.korus.json``), and the vintage
the readers take from it.

The record says where and when the answer was fetched and what was asked (the URLs, with
no key: a key is never written anywhere), what the API states of its release where it
states one, and the rows set aside. It holds the SHA-256 of the file it describes: a file
changed since is read with its own vintage alone, never with a record that is not its.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

SUFFIX = ".korus.json"
MARK = "korus_fetch"  # the record's first key: it tells the record from data
VERSION = 1


def path_of(output: Path | str) -> Path:
    """Return where the record of an output file is kept."""
    return Path(f"{output}{SUFFIX}")


def digest(path: Path) -> str:
    """Return the SHA-256 of a file, in hex."""
    hashed = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hashed.update(block)
    return hashed.hexdigest()


def write(output: Path, record: dict) -> Path:
    """Write the record of ``output`` beside it (atomically) and return its path."""
    path = path_of(output)
    text = json.dumps({MARK: VERSION, **record, "sha256": digest(output)}, indent=2)
    write_atomically(path, (text + "\n").encode("utf-8"))
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, synced, then renamed:
    an interrupted write leaves the old file or none, never half a file."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(data_file: Path | str) -> dict | None:
    """Return the record of a data file when there is one and it describes this very file
    (its SHA-256), else None."""
    path = path_of(data_file)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get(MARK) != VERSION:
        return None
    try:
        if record.get("sha256") != digest(Path(data_file)):
            return None
    except OSError:
        return None
    return record


def vintage(data_file: Path | str, stated: str) -> str:
    """Return a reader's vintage of a file with what its fetch record adds ("retrieved
    2026-12-06 from api.census.gov; data through 2016-12"), or ``stated`` alone."""
    record = read(data_file)
    fetched = record.get("vintage") if record else None
    if not isinstance(fetched, str) or not fetched:
        return stated
    return f"{fetched}; {stated}"


def companion(sample) -> str | None:
    """Return what a file is when it is a fetch record (read with the data it describes)."""
    if sample.kind == "json" and sample.text.lstrip().startswith("{"):
        start = sample.text.lstrip()[1:].lstrip()
        if start.startswith(f'"{MARK}"'):
            return "korus fetch record"
    return None
