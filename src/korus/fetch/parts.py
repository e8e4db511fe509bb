"""A long fetch in parts: each part's answer kept in a folder beside the output, written
atomically, so that running the same command again fetches only the parts still missing.

A part is known by its URL (never a key): the same command plans the same URLs, and finds
the answers it already has. The folder is removed once the output is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from korus.fetch.sidecar import write_atomically

PREFIX = "part-"


@dataclass
class Assembled:
    """The output of a fetch, made from its parts: its text, its rows, and the rows set aside
    (reason -> count) and what must be noted."""

    text: str
    rows: int
    set_aside: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def folder_for(output: str, urls: list[str]) -> Path:
    """Return the parts folder of an output: ``FILE.parts`` beside it; for standard output,
    a folder in the system's temporary folder named by the requests."""
    if output != "-":
        return Path(f"{output}.parts")
    hashed = hashlib.sha256("\n".join(urls).encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"korus-fetch-{hashed}.parts"


class Store:
    """The parts of one fetch: a JSON file each, named by its URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, url: str) -> Path:
        return self.folder / f"{PREFIX}{hashlib.sha256(url.encode('utf-8')).hexdigest()[:24]}.json"

    def get(self, url: str) -> dict | None:
        """Return the record kept for a part's URL, or None (never fetched, or damaged)."""
        try:
            record = json.loads(self._path(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("url") != url:
            return None
        return record

    def put(self, url: str, record: dict) -> None:
        """Keep a part's record, written whole or not at all."""
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"url": url, **record}, separators=(",", ":"))
        write_atomically(self._path(url), text.encode("utf-8"))

    def clear(self) -> None:
        """Remove the parts korus wrote, and the folder once it is empty (a file of
        someone else's in it is left alone, and so is the folder)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"{PREFIX}*.json"):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()
