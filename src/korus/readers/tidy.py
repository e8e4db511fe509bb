"""korus's own tidy files: the canonical frame written as CSV or Parquet.

The CSV header is exactly the canonical columns; ``month`` is blank for annual rows. The
Parquet file carries the schema version in its metadata. Both read back to the very frame
that was written.

In the CSV, UTF-8 with LF line ends, a field holding a comma, a quote, a CR or a LF is
quoted. Text a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a CR) is written with a leading apostrophe, as in korus's other CSV
output; text that already starts with apostrophes and then one of those characters gets
one apostrophe more. The reader takes off one apostrophe from text that starts with
apostrophes and then a formula character: it removes exactly the guard the writer added,
and text such as ``'s-Hertogenbosch`` is read as it is. A NUL character cannot be carried
by a text file korus reads: such text is refused, and Parquet keeps it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TextIO

from korus.errors import DataFileError
from korus.readers.common import columns_once, numbers_in, said, take_sample
from korus.readers.common import read_csv as read_text_csv
from korus.render import FORMULA_STARTS, delimited_field
from korus.schema import COLUMNS, SCHEMA_VERSION, TEXT_COLUMNS, Accounting, Reading, canonical

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
    name = str(path)
    table = read_text_csv(path)
    # pandas renames a name given twice ("year.1"): the header itself is looked at.
    columns_once(take_sample(path).cells(0), list(COLUMNS), name)
    missing = [column for column in COLUMNS if column not in table.columns]
    if missing:
        raise DataFileError(
            f"{name}: not a valid korus tidy CSV: it lacks the columns {missing} "
            f"(its header: {', '.join(map(str, table.columns[:8]))}...)"
        )
    frame = table[list(COLUMNS)].copy()
    # Numbers as written; whether a year or a month is one (a whole number in range) is
    # the trust layer's rule, for every layout.
    for column in ("year", "month", "value_usd"):
        frame[column] = numbers_in(frame[column], name, column, 2, blank=column == "month")
    for column in TEXT_COLUMNS:
        frame[column] = _unguarded(frame[column])
    return _checked(frame, name, LAYOUT_CSV)


def read_parquet(path: Path) -> Reading:
    """Return the canonical frame of a korus tidy Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = str(path)
    try:
        # A page that carries a checksum is held to it: a damaged page is an error, never
        # other figures.
        with pq.ParquetFile(path, page_checksum_verification=True) as parquet:
            schema = parquet.schema_arrow
            _check_schema(schema, name)
            table = parquet.read(columns=list(COLUMNS), use_threads=False)
            _all_rows(parquet.metadata, table.num_rows, name)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:  # (a name's bytes)
        raise DataFileError(
            f"{name}: not a readable Parquet file ({said(exc)}); it may be damaged or cut "
            "short: write or download it again"
        ) from None
    return _checked(_parquet_frame(table, name), name, LAYOUT_PARQUET)


def _all_rows(metadata, read: int, name: str) -> None:
    """Raise DataFileError where the rows read are not the rows the file's footer counts,
    in all and in its row groups: a damaged footer (no checksum covers it) can say a row
    group holds none, and its rows would be left out without a word."""
    groups = [metadata.row_group(at).num_rows for at in range(metadata.num_row_groups)]
    if read == metadata.num_rows == sum(groups):
        return
    raise DataFileError(
        f"{name}: not a readable Parquet file (its footer counts {metadata.num_rows:,} rows, "
        f"its row groups {sum(groups):,}, and {read:,} were read); it may be damaged or cut "
        "short: write or download it again"
    )


def _check_schema(schema, name: str) -> None:
    """Raise DataFileError for a tidy Parquet schema korus cannot read: another korus
    schema version (or one that is not a number), a canonical column missing or given
    twice."""
    version = (schema.metadata or {}).get(METADATA_KEY)
    if version is not None:
        text = version.decode("utf-8", "replace").strip()
        if not (text.isascii() and text.isdigit()):
            raise DataFileError(
                f"{name}: its korus schema version is {text!r}, not a version number; this "
                f"korus reads version {SCHEMA_VERSION}: rebuild the file with 'korus convert'"
            )
        if int(text) != SCHEMA_VERSION:
            raise DataFileError(
                f"{name}: written with korus schema version {int(text)}, this korus reads "
                f"version {SCHEMA_VERSION}; rebuild it with 'korus convert'"
            )
    columns_once(schema.names, list(COLUMNS), name)
    missing = [column for column in COLUMNS if column not in schema.names]
    if missing:
        raise DataFileError(f"{name}: Parquet file lacks the korus columns {missing}")


def _parquet_frame(table, name: str):
    """Return the canonical columns of a tidy Parquet table as pandas columns, each value
    converted exactly: numbers of any width (decimals to the nearest float, as their text
    would be read), numbers written as text read as in a tidy CSV; booleans or other types
    in a number column are refused, naming the column."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.types as types

    columns = {}
    for column in COLUMNS:
        values = table[column]
        if types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        kind = values.type
        if column in TEXT_COLUMNS:
            columns[column] = values.to_pandas()
        elif types.is_string(kind) or types.is_large_string(kind) or types.is_string_view(kind):
            columns[column] = numbers_in(
                values.to_pandas(), name, column, 1, word="row", blank=column == "month"
            )
        elif types.is_integer(kind) or types.is_floating(kind) or types.is_decimal(kind):
            if not types.is_integer(kind):
                values = values.cast(pa.float64())
            columns[column] = values.to_pandas()
        elif types.is_null(kind):  # a column of nulls only (all months blank: whole years)
            columns[column] = pd.Series([float("nan")] * len(values), dtype="float64")
        else:
            found = "true/false values" if types.is_boolean(kind) else f"values of type {kind}"
            raise DataFileError(
                f"{name}: the column {column!r} holds {found}, not numbers; korus reads "
                f"{column} as a number: write the file again with 'korus convert'"
            )
    return pd.DataFrame(columns)


def _checked(frame, name: str, layout: str) -> Reading:
    from korus import trust

    accounting = Accounting(file=name, layout=layout, rows_read=len(frame), rows_kept=len(frame))
    # A CSV's lines count from its header (line 1); a Parquet file's rows from 1.
    first = 2 if layout == LAYOUT_CSV else 1
    frame = frame.assign(line=range(first, first + len(frame)))
    accounting.line_word = "line" if layout == LAYOUT_CSV else "row"
    try:
        # Periods and values first, so that a broken cell is named by its line.
        trust.check_periods(frame, accounting)
        trust.check_values(frame, accounting)
        canonical(frame)
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{name}: not a valid korus tidy file ({exc})") from None
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
        # Each page with its checksum, which read_parquet holds it to: a damaged page is an
        # error, never other figures.
        lambda target: pq.write_table(
            table,
            target,
            compression="zstd",
            row_group_size=row_group_size,
            write_page_checksum=True,
        ),
    )


def write_csv(frame, path: Path) -> None:
    """Write a canonical frame as tidy CSV, atomically."""
    table = canonical(frame)
    texts = _text_fields(table, Path(path))

    def write(target) -> None:
        with open(target, "w", encoding="utf-8", newline="") as out:
            _write_rows(table, texts, out)

    _atomic(path, write)


def write_csv_stream(frame, out: TextIO) -> None:
    """Write a canonical frame as tidy CSV to an open text stream (standard output)."""
    table = canonical(frame)
    _write_rows(table, _text_fields(table, "standard output"), out)


# Rows are turned into text a slice at a time: a whole BACI year at once would hold the
# file's text in memory twice.
CHUNK_ROWS = 100_000


def _text_fields(table, target) -> dict:
    """Return, for each text column, each row's code and the CSV field of each distinct
    text (a column of a million rows holds a few hundred texts). A NUL character is refused
    here, before anything is written."""
    import numpy as np
    import pandas as pd

    fields = {}
    for column in TEXT_COLUMNS:
        codes, distinct = pd.factorize(table[column])
        for index, text in enumerate(distinct):
            if "\x00" in text:
                row = int(np.argmax(codes == index)) + 1
                raise DataFileError(
                    f"{target}: row {row} of the table, column {column!r}, holds a NUL "
                    f"character ({text[:60]!r}), which a CSV file cannot carry; write "
                    "Parquet instead (-o FILE.parquet)"
                )
        fields[column] = (codes, np.array([_csv_field(text) for text in distinct], dtype=object))
    return fields


def _write_rows(table, texts: dict, out: TextIO) -> None:
    out.write(",".join(COLUMNS) + "\n")
    for start in range(0, len(table), CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        fields = []
        for name in COLUMNS:
            if name in texts:
                codes, shown = texts[name]
                fields.append(shown[codes[start:stop]])
            elif name == "value_usd":
                # repr is the shortest text that reads back as the same float.
                fields.append([repr(value) for value in table[name].iloc[start:stop].tolist()])
            else:
                fields.append(table[name].iloc[start:stop].astype("string").fillna("").tolist())
        out.write("".join(",".join(row) + "\n" for row in zip(*fields, strict=True)))


def _formula_like(text: str) -> bool:
    """Return whether text starts with apostrophes (or none) and then a formula character."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def _csv_field(text: str) -> str:
    """Return a text cell as a tidy CSV field: formula text guarded, quoted where needed."""
    return delimited_field("'" + text if _formula_like(text) else text, ",")


def _unguarded(column):
    """Return a text column read from a tidy CSV without the guards the writer added."""
    import numpy as np
    import pandas as pd

    if not column.str.startswith("'").any():  # the usual case: nothing to take off
        return column
    codes, distinct = pd.factorize(column)
    plain = np.array(
        [text[1:] if text.startswith("'") and _formula_like(text) else text for text in distinct],
        dtype=object,
    )
    return pd.Series(plain[codes], index=column.index, dtype="str")


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
