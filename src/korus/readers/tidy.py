"""korus's own tidy files: the canonical frame written as CSV or Parquet.

The CSV header is exactly the canonical columns; ``month`` is blank for annual rows. The
Parquet file carries the schema version in its metadata.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from korus.errors import DataFileError
from korus.readers.common import read_csv as read_text_csv
from korus.schema import COLUMNS, SCHEMA_VERSION, Accounting, Reading, canonical

LAYOUT_CSV = "korus-csv"
LAYOUT_PARQUET = "korus-parquet"
LAYOUT = LAYOUT_CSV
LAYOUTS = (LAYOUT_CSV, LAYOUT_PARQUET)
DESCRIPTION = "korus tidy CSV or Parquet (the canonical columns)"
METADATA_KEY = b"korus.schema_version"


def sniff(sample) -> str | None:
    """Return the tidy layout a file is in, or None."""
    if sample.kind == "parquet":
        return LAYOUT_PARQUET
    if sample.kind == "text" and sample.cells(0) == list(COLUMNS):
        return LAYOUT_CSV
    return None


def read_layout(path: Path, layout: str) -> Reading:
    """Return the canonical frame of a tidy file in the given layout."""
    return read_parquet(path) if layout == LAYOUT_PARQUET else read_csv(path)


def read_csv(path: Path) -> Reading:
    """Return the canonical frame of a korus tidy CSV."""
    import pandas as pd

    name = str(path)
    table = read_text_csv(path)
    missing = [column for column in COLUMNS if column not in table.columns]
    if missing:
        raise DataFileError(
            f"{name}: not a valid korus tidy CSV: it lacks the columns {missing} "
            f"(its header: {', '.join(map(str, table.columns[:8]))}...)"
        )
    frame = table[list(COLUMNS)].copy()
    for column, kind in (("year", "int"), ("month", "month"), ("value_usd", "float")):
        text = frame[column].str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna() & ~((text == "") & (kind == "month"))
        if kind == "int":
            bad |= numbers.notna() & (numbers % 1 != 0)
        if bad.any():
            line = int(bad.to_numpy().argmax()) + 2
            shown = text[bad].iloc[0]
            found = repr(shown) if shown else "an empty cell"
            raise DataFileError(
                f"{name}: line {line}, column {column!r}: expected a number, found {found}"
            )
        frame[column] = numbers
    frame["year"] = frame["year"].astype("int64")
    frame["month"] = frame["month"].astype("Int64")
    return _checked(frame, name, LAYOUT_CSV)


def read_parquet(path: Path) -> Reading:
    """Return the canonical frame of a korus tidy Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = str(path)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataFileError(f"{name}: not a readable Parquet file ({exc})") from None
    version = (table.schema.metadata or {}).get(METADATA_KEY)
    if version is not None and int(version) != SCHEMA_VERSION:
        raise DataFileError(
            f"{name}: written with korus schema version {int(version)}, this korus reads "
            f"version {SCHEMA_VERSION}; rebuild it with 'korus convert'"
        )
    missing = [column for column in COLUMNS if column not in table.column_names]
    if missing:
        raise DataFileError(f"{name}: Parquet file lacks the korus columns {missing}")
    return _checked(table.to_pandas(), name, LAYOUT_PARQUET)


def _checked(frame, name: str, layout: str) -> Reading:
    from korus import trust

    try:
        canonical(frame)
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{name}: not a valid korus tidy file ({exc})") from None
    accounting = Accounting(file=name, layout=layout, rows_read=len(frame), rows_kept=len(frame))
    # A CSV's lines count from its header (line 1); a Parquet file's rows from 1.
    first = 2 if layout == LAYOUT_CSV else 1
    frame = frame.assign(line=range(first, first + len(frame)))
    accounting.line_word = "line" if layout == LAYOUT_CSV else "row"
    return trust.settle(Reading(frame, [accounting]))


def write_parquet(frame, path: Path, row_group_size: int | None = None) -> None:
    """Write a canonical frame as Parquet, atomically (temporary file, then rename).

    Small row groups over a sorted frame let a reader skip most of the file by the groups'
    min/max statistics.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(canonical(frame), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = str(SCHEMA_VERSION).encode()
    table = table.replace_schema_metadata(metadata)
    _atomic(
        path,
        lambda target: pq.write_table(
            table, target, compression="zstd", row_group_size=row_group_size
        ),
    )


def write_csv(frame, path: Path) -> None:
    """Write a canonical frame as tidy CSV, atomically."""
    _atomic(
        path,
        lambda target: canonical(frame).to_csv(target, index=False),
    )


def _atomic(path: Path, write) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; give it the usual mode
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
