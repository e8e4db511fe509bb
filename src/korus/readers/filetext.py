"""A large text file read for its CSV rows where it lies, never held whole in memory.

``scan`` reads a plain (not gzipped) file once, a piece at a time into one buffer, and
keeps its head and what the readers ask of its bytes: whether it is UTF-8 as ``decode``
reads it, how many line feeds it holds and where its last carriage return is. Arrow then
parses the rows from the file itself (``arrow_source``): a reading's peak never holds the file's
bytes beside the columns parsed from them (the 233 MB of a million Comtrade+ rows).

A ``FileText`` stands for the file's bytes in the few places a reader hands bytes on: its
length, its head's ``startswith``; anything else asks for the bytes (``load``), and the
reading goes on exactly as it did with them. A file changed since it was scanned (its size
or modification time) is an error, in the parse and in ``load``: its head and counts would
not be its bytes'.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PIECE = 1 << 24  # bytes read at once
HEAD = 1 << 21  # bytes of the file's start kept in memory (the readers' heads fit in it)
LEAST = 1 << 22  # smaller files are read whole: their bytes cost little


@dataclass
class FileText:
    """A plain file's head and what one pass over its bytes found (see the module)."""

    path: Path
    size: int
    stamp: tuple  # (size, modification time): the file as scanned
    head: bytes  # its first ``HEAD`` bytes (all of a smaller file)
    utf8: bool  # whether ``decode`` reads the whole in UTF-8 (a binary file: False)
    feeds: int  # line feeds
    last_carriage: int  # where the last carriage return is (-1: none)
    last: int  # the last byte (-1: an empty file)
    _bytes: bytes | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.size

    def startswith(self, prefix) -> bool:
        prefixes = prefix if isinstance(prefix, tuple) else (prefix,)
        return any(self.window(0, len(p)) == p for p in prefixes)

    def load(self) -> bytes:
        """Return the file's bytes (read now: the exact rules need them)."""
        from korus.readers.common import raw_bytes

        if self._bytes is None:
            data = raw_bytes(self.path)
            self.check(len(data) == self.size)
            self._bytes = data
        return self._bytes

    def unchanged(self) -> bool:
        """Return whether the file is still as scanned (size and modification time)."""
        try:
            return _stamp(self.path) == self.stamp
        except OSError:
            return False

    def check(self, same: bool = True) -> None:
        """Raise the error of a file changed since it was scanned (its head and counts
        would not be its bytes')."""
        from korus.errors import DataFileError

        if not (same and self.unchanged()):
            raise DataFileError(
                f"{self.path}: the file changed while korus read it; run the command again "
                "once it is written whole"
            )

    def lines_after(self, start: int) -> int | None:
        """Return how many lines the bytes from ``start`` hold where they end in LF alone,
        else None (carriage returns are left to the exact rules, over the bytes). Where
        Arrow reads as many rows from them, each line is the next row: without a carriage
        return a row ends at a line feed, and a blank line or a line break inside a cell
        would leave fewer rows than lines."""
        if start >= self.size or self.last_carriage >= start:
            return None
        feeds = self.feeds - self.window(0, start).count(b"\n")
        return feeds + (0 if self.last == 10 else 1)

    def window(self, start: int, size: int) -> bytes:
        """Return the bytes from ``start``, ``size`` of them at most."""
        if start + size <= len(self.head) or len(self.head) == self.size:
            return self.head[start : start + size]
        with open(self.path, "rb") as handle:
            handle.seek(start)
            return handle.read(size)

    def arrow_source(self, start: int):
        """Return an Arrow stream of the file's bytes from ``start``."""
        import pyarrow as pa

        source = pa.OSFile(str(self.path))
        source.seek(start)
        return source


def text_of(path: Path) -> bytes | FileText:
    """Return a file's bytes (``raw_bytes``), or a ``FileText`` of it: a plain file larger
    than ``LEAST``, read in UTF-8 (no --encoding), whose bytes ``decode`` would take."""
    from korus.readers.common import ENCODING, raw_bytes

    path = Path(path)
    if ENCODING.get():
        return raw_bytes(path)
    try:
        if not path.is_file() or path.stat().st_size <= LEAST:
            return raw_bytes(path)
        found = scan(path)
    except OSError:
        return raw_bytes(path)  # (which says what is wrong)
    return found if found is not None else raw_bytes(path)


def scan(path: Path, piece: int | None = None, head: int | None = None) -> FileText | None:
    """Return the ``FileText`` of a plain file read a piece at a time (``PIECE`` bytes),
    keeping its first ``HEAD`` bytes, or None for a gzipped one (``raw_bytes`` unpacks
    it)."""
    import numpy as np

    piece, head = piece or PIECE, head or HEAD
    path = Path(path)
    stamp = _stamp(path)
    buffer = bytearray(max(piece, 1))
    view = memoryview(buffer)
    codes = np.frombuffer(buffer, dtype=np.uint8)
    feeds_mask = np.empty(len(buffer), dtype=bool)
    kept = bytearray()
    utf8 = _Utf8()
    feeds, last_carriage, last = 0, -1, -1
    offset = 0
    # Few calls a piece, most of them holding Python's lock: a thread importing pandas
    # beside this takes the lock from whoever lets it go, for up to 5 ms each time.
    with open(path, "rb", buffering=0) as handle:
        while True:
            n = handle.readinto(view)
            if not n:
                break
            if len(kept) < head:
                kept += view[: min(n, head - len(kept))]
            if offset == 0 and buffer.startswith(b"\x1f\x8b"):
                return None
            feeds += int(np.count_nonzero(np.equal(codes[:n], 10, out=feeds_mask[:n])))
            found = buffer.rfind(b"\r", 0, n)
            if found >= 0:
                last_carriage = offset + found
            last = buffer[n - 1]
            ascii = buffer.isascii() if n == len(buffer) else buffer[:n].isascii()
            utf8.feed(buffer, n, ascii)
            offset += n
    head_bytes = bytes(kept)
    if head_bytes.startswith(b"\x1f\x8b"):
        return None  # (a first piece too short to tell above)
    binary = head_bytes.startswith((b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0"))
    return FileText(
        path=path,
        size=offset,
        stamp=stamp,
        head=head_bytes,
        utf8=utf8.done() and not binary and b"\x00" not in head_bytes[:4096],
        feeds=feeds,
        last_carriage=last_carriage,
        last=last,
    )


class _Utf8:
    """Whether bytes fed a piece at a time are UTF-8 as Python's strict decoder reads it,
    checked by Arrow where they lie: each piece is cut before its last character's first
    byte, and the bytes from there go in front of the next piece's first bytes that
    continue a character (cut there, a text is UTF-8 exactly where each part is)."""

    def __init__(self):
        self.valid = True
        self.carry = b""

    def feed(self, buffer: bytearray, n: int, ascii: bool) -> None:
        if not self.valid:
            return
        start = 0
        if self.carry:
            while start < min(n, 3) and buffer[start] & 0xC0 == 0x80:
                start += 1  # (what continues the carried character)
            if start == n:  # (the piece goes on with it: so may the next)
                self.carry += bytes(buffer[:n])
                return
            self.valid = _arrow_utf8(self.carry + bytes(buffer[:start]))
            self.carry = b""
        if ascii or not self.valid:
            return
        cut = n
        for back in range(1, min(4, n - start) + 1):
            if buffer[n - back] & 0xC0 != 0x80:  # (a character's first byte)
                cut = n - back
                break
        self.carry = bytes(buffer[cut:n])
        self.valid = _arrow_utf8(buffer, start, cut)

    def done(self) -> bool:
        if self.valid and self.carry:
            self.valid = _arrow_utf8(self.carry)
            self.carry = b""
        return self.valid


def _arrow_utf8(data, start: int = 0, stop: int | None = None) -> bool:
    """Return whether Arrow (as Python's strict UTF-8 decoder) takes ``data[start:stop]``
    as UTF-8, read where it lies."""
    import pyarrow as pa

    stop = len(data) if stop is None else stop
    if stop <= start:
        return True
    ends = pa.array([0, stop - start], pa.int64()).buffers()[1]
    view = pa.py_buffer(data).slice(start, stop - start)
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, ends, view])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _stamp(path: Path) -> tuple:
    found = os.stat(path)
    return found.st_size, found.st_mtime_ns


def as_bytes(data) -> bytes:
    """Return the bytes ``data`` stands for (a ``FileText``'s, read now)."""
    return data.load() if isinstance(data, FileText) else data
