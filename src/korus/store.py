"""The canonical store: any file's settled reading, kept as Parquet for the next question.

A reader parses its layout and the trust layer settles the rows (``korus.trust``); the
result, the canonical frame with its accounting, is the same every time the same file is
read the same way. The store keeps it in korus's cache folder (``korus.cache``: the same
fingerprints of the source, the same sealed metadata, the same atomic writes, the same
``cache list`` and ``cache clear``), so that a later question reads a few row groups of a
Parquet file instead of parsing the file again: every layout gets the speed that only
BACI had.

An entry is valid only for the file as it is now (its fingerprint), read with the same
rules (encoding, sheet, --dedupe) by the same korus (a digest of the code that shapes a
reading: the readers, the trust layer, the schema and the code tables). Its rows are
sorted by reporter and partner in row groups whose ranges of the two, kept in its sealed
metadata (never the footer's statistics, which no seal covers), let a question about one
country pair read only its own; its accounting (rows read, kept and set aside and why,
the notes and warnings) comes back with it, so the answer and everything said about the
file are the same as from the source. Errors are never kept: a file that cannot be read
is read, and refused, again.

BACI keeps its own entries (``readers/baci.py``); standard input is never kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Iterable
from functools import cache as once
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING

from korus import cache
from korus.errors import CacheWriteError, DataFileError
from korus.schema import COLUMNS, Accounting, Reading

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from korus import engine

# A file read faster than this is not worth keeping: the store's own read and the
# writing cost more than they save.
WORTH_SECONDS = 0.3
ROW_GROUP = 32_768  # rows: a country pair's rows are a few groups of a large file
# Sort order of a store's part: a question names a reporter and often a partner.
ORDER = ["reporter", "partner", "year", "month", "flow", "product"]
# A file's kept reading is put in order by reporter and partner only (what its row groups'
# ranges prune by), keeping the reader's own order within them: it is read back in the
# order the file's first reading gave, and a reader's rows, often in that order already,
# are not reordered at all.
KEPT_ORDER = ["reporter", "partner"]

_pending: list[tuple] = []


@once
def code_digest() -> str:
    """Return a digest of korus's code and tables that shape a reading, so that a new
    korus never answers from an entry an older one wrote."""
    import korus

    root = Path(korus.__file__).resolve().parent
    digest = hashlib.sha256(korus.__version__.encode())
    shaping = sorted((root / "readers").glob("*.py")) + sorted((root / "tables").glob("*"))
    shaping += [
        root / name for name in ("trust.py", "groups.py", "schema.py", "countries.py", "store.py")
    ]
    for path in shaping:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class Rules:
    """The rules a file was read with: the same file read otherwise is another entry.
    ``layout`` is the one the user named (--input-format), None when detected."""

    layout: str | None
    encoding: str | None
    sheet: str | None
    dedupe: bool

    @classmethod
    def in_force(cls, layout: str | None) -> Rules:
        """Return the rules the readers are applying now."""
        from korus import trust
        from korus.readers.common import ENCODING, SHEET

        return cls(
            layout,
            ENCODING.get(),
            SHEET.get(),
            trust.RULES.get() is not None and trust.RULES.get().dedupe,
        )


def entry_layout(rules: Rules) -> str:
    """Return the name an entry of a file read with ``rules`` is kept under: one per way
    of reading it (the layout it was found to be is in the entry)."""
    text = f"{rules.layout}\0{rules.encoding}\0{rules.sheet}\0{rules.dedupe}\0{code_digest()}"
    return "reading-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def find(path: Path, rules: Rules, equal: dict[str, str] | None = None) -> Reading | None:
    """Return the reading of a file kept in the store, valid for it as it is now and read
    with ``rules``; with ``equal`` (column -> value), only the rows that hold them. None
    when there is none (or it is not valid: then it is removed)."""
    # Made a frame inside ``find_table``'s guard: an entry that cannot become one is
    # removed and the file read again, as a damaged page is.
    found = find_table(path, rules, equal, convert=lambda table: _frame(table, equal or {}))
    if found is None:
        return None
    frame, accounting, tolerance = found
    return Reading(frame, accounting, unique=True, tolerance=tolerance, settled=True)


def find_table(
    path: Path,
    rules: Rules,
    equal: dict[str, str] | None = None,
    dictionary: bool = False,
    convert=None,
) -> tuple[pa.Table, list[Accounting], float] | None:
    """Return a file's kept reading as it is stored, before it becomes pandas: the Arrow
    table of the row groups that may hold ``equal`` (their other rows too), with its text
    as dictionaries if ``dictionary`` (a column's few distinct values, not a million
    strings), the file's accounting and its tolerance of years against months; None as
    ``find``. ``convert`` (of the table) runs under the same guard: what it cannot make of
    the rows is a damaged entry."""
    from korus.schema import TEXT_COLUMNS

    if not cache.is_enabled():
        return None
    hit = cache.find(
        path, entry_layout(rules), read_dictionary=TEXT_COLUMNS if dictionary else None
    )
    if hit is None:
        return None
    try:
        info = hit.info
        parquet = hit.files[0]
        groups = sealed_groups(parquet, info["groups"], equal or {})
        table = parquet.read_row_groups(groups) if groups is not None else parquet.read()
        if dictionary:
            table = table.unify_dictionaries()  # one dictionary a column, across row groups
        if convert is not None:  # what the caller makes of the rows (``find``: a frame)
            table = convert(table)
        accounting = [_accounting(fields) for fields in info["accounting"]]
        tolerance = info.get("tolerance", 6.5)
    except Exception:  # a damaged entry: never trusted, read from the source again
        hit.close()
        cache.discard(hit.path)
        return None
    hit.close()
    return table, accounting, tolerance


def keep_later(path: Path, layout: str, rules: Rules, reading: Reading, seconds: float) -> None:
    """Have a reading kept in the store once the question is answered (``write_pending``),
    if it took long enough to be worth it."""
    if seconds < WORTH_SECONDS or not cache.kept_at_all(path):
        return
    _pending.append((Path(path), layout, rules, reading))
    if not cache.deferred():  # a program, not the command line: keep it now
        write_pending()


def write_pending() -> list[str]:
    """Write the readings asked to be kept; return the failures to write (the answer is
    given anyway)."""
    failures = []
    while _pending:
        path, layout, rules, reading = _pending.pop(0)
        try:
            _write(path, layout, rules, reading)
        except CacheWriteError as exc:
            failures.append(str(exc))
    return failures


def write_pending_apart() -> bool:
    """Have the readings asked to be kept written by a copy of this process (``cache.
    write_apart``), so that the command ends with its answer; return False where that
    cannot be, the readings then still pending (``write_pending`` writes them here).

    The command line does this once its answer is out. The first read of a 1M-row Census
    API answer ends about half a second sooner: the time to write its entry.
    """
    if not _pending:
        return False
    cache.wait()  # no other writer's thread left running when the process is copied
    if not cache.write_apart(write_pending):
        return False
    _pending.clear()
    return True


def _write(path: Path, layout: str, rules: Rules, reading: Reading) -> None:
    import pyarrow as pa

    frame = _in_order(reading.frame, KEPT_ORDER)
    table = pa.Table.from_pandas(frame[list(COLUMNS)], preserve_index=False)
    info = {
        "layout": layout,
        "accounting": [dataclasses.asdict(account) for account in reading.accounting],
        "tolerance": reading.tolerance,
        "groups": _ranges(frame),
    }
    cache.write(
        path,
        entry_layout(rules),
        lambda: (table.schema, [[table]], info),
        compression="zstd",
        row_group_size=ROW_GROUP,
        use_dictionary=True,
    )


# The columns a question picks its rows by (``find``'s ``equal``), whose range in each row
# group an entry keeps in its sealed metadata.
PICKED = ("reporter", "partner")


def _in_order(frame, keys: list[str]):
    """Return ``frame`` as ``frame.sort_values(keys, na_position="last", kind="stable")``
    orders it, without reordering a frame already in that order (a reader's rows often are).
    Each key becomes ranks (text by its sorted distinct values, missing last), and one
    stable sort of the ranks gives the order."""
    import numpy as np
    import pandas as pd

    ranks = []
    for key in reversed(keys):
        column = frame[key]
        if pd.api.types.is_numeric_dtype(column.dtype):
            ranks.append(column.to_numpy(dtype="float64", na_value=np.inf))
        else:
            codes, uniques = pd.factorize(column, sort=True)
            ranks.append(np.where(codes < 0, len(uniques), codes))
    if not len(frame):
        return frame
    order = np.lexsort(ranks)  # stable: rows of equal keys keep their order
    if (order == np.arange(len(order))).all():
        return frame
    from korus.readers.same import taken

    return taken(frame, order)


def _ranges(frame) -> list[list]:
    """Return, for each row group of an entry written from the sorted ``frame`` (groups of
    ``ROW_GROUP`` rows), its rows and the [min, max] of each ``PICKED`` column (Arrow's
    min and max of text: the same order as Python's, by code point)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = {}
    for column in PICKED:
        values = frame[column]
        if values.isna().any():  # as text, the way a missing value is kept: "nan"
            texts[column] = pa.array(values.astype(str).to_numpy(), pa.string())
        else:
            texts[column] = pa.array(values.array, pa.string())
    ranges = []
    for start in range(0, len(frame), ROW_GROUP):
        stop = min(start + ROW_GROUP, len(frame))
        extent: list = [stop - start]
        for column in PICKED:
            ends = pc.min_max(texts[column].slice(start, stop - start))
            extent += [ends["min"].as_py(), ends["max"].as_py()]
        ranges.append(extent)
    return ranges


def sealed_groups(parquet, ranges, equal: dict[str, str]) -> list[int] | None:
    """Return the row groups of an entry that may hold the rows asked for (None: all), by
    the ranges kept in its sealed metadata, never by the footer's statistics, which no
    seal or checksum covers (a flipped bit there would skip a group that holds them).
    Raise ValueError where the ranges are not those of the file's row groups."""
    metadata = parquet.metadata
    if not isinstance(ranges, list) or len(ranges) != metadata.num_row_groups:
        raise ValueError("the kept ranges are not the entry's row groups")
    for index, extent in enumerate(ranges):
        if not isinstance(extent, list) or extent[:1] != [metadata.row_group(index).num_rows]:
            raise ValueError("the kept ranges are not the entry's row groups")
    return _holding(ranges, equal) if equal else None


def share_a_year(folders: list, equal: dict[str, str]) -> bool:
    """Return whether two parts of the stores (``folders``) that may hold the rows asked
    for (by their sealed ranges) hold a year in common: only then can two sources give the
    same figure, or a year and its months, which the trust layer judges over the rows."""
    seen: set[int] = set()
    for folder in folders:
        for _, entry in sources(folder):
            groups = entry.get("groups")
            if groups is not None and not _holding(groups, equal):
                continue
            years = set(entry["years"])
            if years & seen:
                return True
            seen |= years
    return False


def _holding(ranges: list, equal: dict[str, str]) -> list[int]:
    """Return the row groups whose kept ranges allow the rows asked for."""
    chosen = []
    for index, extent in enumerate(ranges):
        bounds = dict(zip(PICKED, zip(extent[1::2], extent[2::2], strict=True), strict=True))
        if all(
            column not in bounds or bounds[column][0] <= value <= bounds[column][1]
            for column, value in equal.items()
        ):
            chosen.append(index)
    return chosen


def _frame(table, equal: dict[str, str]) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    from korus.schema import canonical

    frame = table.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get)
    for column, value in equal.items():
        frame = frame[frame[column] == value]
    return canonical(frame)


def _accounting(fields: dict) -> Accounting:
    import copy

    known = {field.name for field in dataclasses.fields(Accounting)}
    # Lists and counts of its own: what a question adds to them never reaches the manifest.
    return Accounting(
        **{name: copy.deepcopy(value) for name, value in fields.items() if name in known}
    )


class Timer:
    """How long a reading took (to decide whether it is worth keeping)."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start


# --------------------------------------------------------------------- a store of one's own
#
# ``korus ingest FILES... --into STORE`` keeps the settled readings of files in a folder a
# team can share: one Parquet part per source file (canonical columns, sorted by reporter,
# partner and year, row groups whose ranges, kept in the sealed manifest, let a question
# read only its rows, pages with checksums), and a manifest, ``korus-store.json``, that
# names each source (its fingerprint when ingested, its layout, its accounting, its row
# groups' ranges) and is sealed: a store edited by
# hand, or damaged, is refused, never half trusted. ``--data STORE`` reads it as the files
# it was made from would be read: the same figures, the same accounting.

MANIFEST = "korus-store.json"
STORE_FORMAT = 1


def is_store(folder: Path) -> bool:
    """Return whether a folder is a korus store (it holds korus's manifest)."""
    return (Path(folder) / MANIFEST).is_file()


def ingest(paths: list[str], folder: Path, settings, tell=None) -> list[str]:
    """Read files (any layout korus reads, through the trust layer) into the store at
    ``folder`` (made if need be); return one line per file: added, replaced (the file
    changed since it was ingested) or unchanged. A file whose figures another source of
    the store already gives is refused, as two files given together would be.

    Each file is in the store once its line is said (``tell``, called with each line as
    its file is done): a file that fails leaves the files before it in the store, and the
    lines said before the error tell which they are."""
    from korus import readers, trust

    said = []

    def say(line: str) -> None:
        said.append(line)
        if tell is not None:
            tell(line)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(folder) if is_store(folder) else {"format": STORE_FORMAT, "sources": {}}
    with settings.applied():
        for path in readers.expand(list(paths)):
            if path.name == MANIFEST:
                raise DataFileError(f"{path}: a korus store cannot be ingested into another")
            source = _source_id(path, settings)
            printed = cache.fingerprint(path)
            known = manifest["sources"].get(source)
            if known is not None and printed is not None and known["fingerprint"] == printed:
                say(f"{path}: unchanged")
                continue
            reading = readers.load([path], settings.layout, settings.dedupe)
            others = [
                _part_reading(folder, other, entry)
                for other, entry in manifest["sources"].items()
                if other != source and set(entry["years"]) & _years(reading)
            ]
            trust.stack([*others, reading])  # refuses figures another source gives
            groups = _write_part(folder, source, reading)
            manifest["sources"][source] = {
                "file": str(path),
                "fingerprint": printed,
                "layout": reading.accounting[0].layout,
                "accounting": [dataclasses.asdict(account) for account in reading.accounting],
                "tolerance": reading.tolerance,
                "years": sorted(_years(reading)),
                "rows": len(reading.frame),
                "groups": groups,
            }
            _write_manifest(folder, manifest)
            say(f"{path}: {'replaced' if known else 'added'} ({len(reading.frame):,} rows)")
    return said


def read_store(folder: Path, equal: dict[str, str] | None = None) -> list[Reading]:
    """Return the readings of a store's sources (only the rows that hold ``equal``), each
    with the accounting of its file as it was ingested. The parts are read by the engine
    in force (``korus.engine``: here, or on a Dask cluster)."""
    from korus import engine

    folder = Path(folder)
    entries = sources(folder)
    tables = engine.run([_scan(folder, source, entry, equal or {}) for source, entry in entries])
    return [
        _reading(folder, entry, table) for (_, entry), table in zip(entries, tables, strict=True)
    ]


def _source_id(path: Path, settings) -> str:
    text = f"{Path(path).resolve()}\0{settings.layout}\0{settings.encoding}\0{settings.sheet}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _years(reading: Reading) -> set[int]:
    return {int(year) for year in reading.frame["year"].unique()}


def _part_name(source: str) -> str:
    return f"part-{source}.parquet"


def _write_part(folder: Path, source: str, reading: Reading) -> list[list]:
    """Write a source's part; return its row groups' ranges (``_ranges``), which the sealed
    manifest keeps."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = _in_order(reading.frame, KEPT_ORDER)
    table = pa.Table.from_pandas(frame[list(COLUMNS)], preserve_index=False)
    table = table.replace_schema_metadata({b"korus.store": source.encode()})
    temporary = folder / f".{_part_name(source)}.{os.getpid()}.tmp"
    try:
        pq.write_table(
            table,
            temporary,
            compression="zstd",
            row_group_size=ROW_GROUP,
            use_dictionary=True,
            write_page_checksum=True,
        )
        os.replace(temporary, folder / _part_name(source))
    except OSError as exc:
        raise CacheWriteError(f"cannot write the store {folder}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return _ranges(frame)


def _scan(folder: Path, source: str, entry: dict, equal: dict) -> engine.PartScan:
    from korus import engine

    return engine.PartScan(
        folder=str(folder),
        file=entry["file"],
        # Absolute: a worker of a cluster may run in another folder than this process.
        path=os.path.abspath(folder / _part_name(source)),
        source=source,
        # A store ingested before its manifest kept the ranges: every group is read.
        ranges=entry.get("groups"),
        equal=tuple(sorted(equal.items())),
    )


def _part_reading(folder: Path, source: str, entry: dict, equal: dict | None = None) -> Reading:
    """Return one source's reading from the store, read here (``ingest`` checks a new file
    against the sources already kept)."""
    from korus import engine

    kind, value = engine.scan_part(_scan(folder, source, entry, equal or {}))
    if kind == "error":
        raise DataFileError(value)
    return _reading(folder, entry, value)


def damaged(folder, file: str, exc: Exception) -> str:
    """Return the message of a store's part that is missing or damaged, and what to do."""
    said = " ".join(str(exc).split())  # Arrow's messages run over several lines
    return (
        f"{folder}: the store's part for {file} is missing or damaged ({said}); "
        f"ingest the file again (korus ingest {file} --into {folder})"
    )


def _reading(folder: Path, entry: dict, table) -> Reading:
    """Return a source's reading from the rows of its part read for a question."""
    try:
        frame = _frame(table, {})
    except (ValueError, KeyError) as exc:  # a part that is not korus's canonical rows
        raise DataFileError(damaged(folder, entry["file"], exc)) from None
    accounting = accounting_of(folder, entry)
    return Reading(frame, accounting, unique=True, tolerance=entry["tolerance"], settled=True)


def accounting_of(folder: Path, entry: dict) -> list[Accounting]:
    """Return a source's accounting as it was ingested, saying it was read from the store."""
    accounting = [_accounting(fields) for fields in entry["accounting"]]
    for account in accounting:
        # A list of its own: the manifest's is never changed (it may be written again).
        account.notes = [
            *account.notes,
            f"read from the store {folder} (ingested from {entry['file']})",
        ]
    return accounting


def sources(folder: Path) -> list[tuple[str, dict]]:
    """Return a store's sources (id, manifest entry), in the order of their files."""
    return sorted(_manifest(Path(folder))["sources"].items(), key=lambda item: item[1]["file"])


def scans(
    folder: Path,
    equal: dict[str, str] | None = None,
    year: int | Iterable[int] | None = None,
    chunk: int | None = None,
) -> list[engine.PartScan]:
    """Return the scans of a store's parts for a question (``korus.engine``), in the order
    of their files; with ``year`` (or years), only of the parts that hold it (by the sealed
    manifest);
    with ``chunk``, a scan for every ``chunk`` row groups of a part (of a part that kept
    its groups' ranges)."""
    wanted = None if year is None else {int(year)} if isinstance(year, Integral) else set(year)
    found = []
    for source, entry in sources(folder):
        if wanted is not None and not wanted & set(entry["years"]):
            continue
        scan = _scan(Path(folder), source, entry, equal or {})
        groups = entry.get("groups")
        if chunk is None or groups is None or len(groups) <= chunk:
            found.append(scan)
            continue
        # Only the chunks with a group that may hold the rows asked for (by the sealed
        # ranges; the worker checks them against the part again): a reporter's rows are a
        # few chunks of a year's part, and a chunk opens the part.
        holding = {group // chunk for group in _holding(groups, equal or {})}
        found += [
            dataclasses.replace(scan, chunk=(first, first + chunk))
            for first in range(0, len(groups), chunk)
            if first // chunk in holding
        ]
    return found


def _manifest(folder: Path) -> dict:
    import json

    path = folder / MANIFEST
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        body = json.dumps(stored["body"], sort_keys=True).encode()
        if (
            not isinstance(stored, dict)
            or stored.get("seal") != cache.seal({b"store": body}).decode()
        ):
            raise ValueError("its seal does not match")
        manifest = stored["body"]
        if manifest.get("format") != STORE_FORMAT or not isinstance(manifest.get("sources"), dict):
            raise ValueError("not a store this korus reads")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(
            f"{path}: not a korus store korus can trust ({exc}); build it again with korus ingest"
        ) from None
    return manifest


def _write_manifest(folder: Path, manifest: dict) -> None:
    import json

    body = json.dumps(manifest, sort_keys=True).encode()
    stored = {"body": manifest, "seal": cache.seal({b"store": body}).decode()}
    temporary = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    try:
        temporary.write_text(json.dumps(stored, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, folder / MANIFEST)
    except OSError as exc:
        raise CacheWriteError(f"cannot write the store {folder}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
