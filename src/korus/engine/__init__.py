"""Where a question's reading of a korus store runs: here, or on a Dask cluster.

A store (``korus.store``) is a folder of Parquet parts, one per source file, and a sealed
manifest. A question is planned as one scan per part (``PartScan``): which row groups may
hold its rows, by the ranges the sealed manifest keeps (never the footer's statistics,
which no seal covers), and which rows of them hold its countries. ``scan_part`` carries a
scan out: it reads the part with its page checksums verified, checks that the part is the
one the manifest names, and gives back the rows asked for as an Arrow table.

The engine only decides where the scans run. ``local`` (the default) runs them one after
another in this process. ``dask`` (``korus.engine.cluster``; the optional extra
``korus-trade[dask]``) runs the very same ``scan_part`` on the workers of a Dask cluster,
one task per part, and gathers the tables; everything after the scans (the trust layer's
checks across sources, the metrics, the accounting, the notes and the provenance) is the
same code on both engines, so the answers are the same to the cent.

The engine in force for a question is set by ``Settings.applied()`` (``ENGINE``), as the
other reading rules are.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING

from korus.errors import DataFileError, KorusError
from korus.schema import TEXT_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

ENGINES = ("local", "dask")


@dataclass(frozen=True)
class Choice:
    """The engine a question runs on, and for ``dask`` the scheduler's address (None: the
    ``DASK_SCHEDULER_ADDRESS`` of Dask's own convention, else a local cluster)."""

    name: str = "local"
    scheduler: str | None = None


# None: the default, ``Choice()``.
ENGINE: contextvars.ContextVar[Choice | None] = contextvars.ContextVar("korus_engine", default=None)


def in_force() -> Choice:
    """Return the engine in force for the question being read."""
    return ENGINE.get() or Choice()


@dataclass(frozen=True)
class PartScan:
    """One part of a store to read for a question: everything a worker needs, and nothing
    of this process (it travels to the workers as it is)."""

    folder: str  # the store, as the user named it (for messages)
    file: str  # the source file the part was ingested from (for messages)
    path: str  # the part's Parquet file
    source: str  # the source id the part's own metadata must name
    ranges: list | None  # the sealed ranges of its row groups (None: a store of before)
    equal: tuple[tuple[str, str], ...] = ()  # column -> value the rows must hold
    columns: tuple[str, ...] | None = None  # the columns to read (None: all)
    # Only the row groups from .. to (a chunk of a large part, for bounded memory and for
    # several workers on one part); None: all of them.
    chunk: tuple[int, int] | None = None
    # Read text columns as dictionaries (codes and their values once): several times faster
    # to read, filter and group; for a plan's sums, which give back plain text.
    dictionary: bool = False


def scan_part(scan: PartScan) -> tuple[str, object]:
    """Return ``("rows", table)``: the rows of a part that a scan asks for, as an Arrow
    table of the canonical columns; or ``("error", message)`` where the part is missing,
    damaged or not the one the manifest names (a message, not an exception: it crosses
    process boundaries as it is)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from korus import store

    equal = dict(scan.equal)
    try:
        texts = [name for name in TEXT_COLUMNS if scan.columns is None or name in scan.columns]
        parquet = pq.ParquetFile(
            scan.path,
            page_checksum_verification=True,
            read_dictionary=texts if scan.dictionary else None,
        )
        if (parquet.schema_arrow.metadata or {}).get(b"korus.store") != scan.source.encode():
            raise ValueError("not this source's part")
        groups = None if scan.ranges is None else store.sealed_groups(parquet, scan.ranges, equal)
        if scan.chunk is not None:
            first, last = scan.chunk
            every = range(parquet.metadata.num_row_groups) if groups is None else groups
            groups = [group for group in every if first <= group < last]
        columns = None if scan.columns is None else sorted({*scan.columns, *equal})
        table = (
            parquet.read_row_groups(groups, columns=columns)
            if groups is not None
            else parquet.read(columns=columns)
        )
        if scan.dictionary:
            table = table.unify_dictionaries()  # one dictionary a column, across row groups
        for column, value in equal.items():
            table = table.filter(pc.equal(table[column], value))
    except (OSError, ValueError, KeyError) as exc:
        return ("error", store.damaged(scan.folder, scan.file, exc))
    return ("rows", table)


def scan_then(scan: PartScan, then=None) -> tuple[str, object]:
    """Return ``scan_part``'s result, its rows passed through ``then`` (a plan's grouped
    sums: ``korus.engine.plans``) where the part is read, so that only they travel."""
    kind, value = scan_part(scan)
    if kind == "rows" and then is not None:
        value = then(value)
    return kind, value


def run(scans: list[PartScan], then=None) -> list[pa.Table]:
    """Return the tables of the scans (each passed through ``then``, where given), in their
    order, from the engine in force; raise the first scan's error, if any, as a
    DataFileError."""
    choice = in_force()
    if choice.name == "dask":
        from korus.engine import cluster

        results = cluster.run(scans, choice.scheduler, then=then)
    else:
        # One after another: Arrow already reads a part's columns on its own threads (a pool
        # of threads over the parts measured no faster on two cores: 0.36 s against 0.34 s
        # for ten parts' row groups of one reporter). A part's rows are summed before the
        # next is read: a plan holds one part's rows at a time.
        results = [scan_then(scan, then) for scan in scans]
    tables = []
    for kind, value in results:
        if kind == "error":
            raise DataFileError(value)
        tables.append(value)
    return tables


def require_store(settings) -> None:
    """Refuse a question on the Dask engine about anything but korus stores: the cluster
    reads a store's parts, never a source file (which would first be read here)."""
    from pathlib import Path

    from korus import store

    if settings.engine != "dask":
        return
    if not settings.data:
        raise KorusError(
            "--engine dask reads a korus store, not the shipped data: build one with "
            "korus ingest FILES... --into STORE/ and give --data STORE/"
        )
    for text in settings.data:
        path = Path(text)
        folder = path.parent if path.name == store.MANIFEST else path
        if not store.is_store(folder):
            raise KorusError(
                f"{text}: not a korus store; --engine dask reads stores only: build one with "
                f"korus ingest {text} --into STORE/ and give --data STORE/"
            )
