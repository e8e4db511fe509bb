"""Readers: one module per source layout, each returning the canonical frame.

``read_file`` detects the layout from the file's content (its first bytes and header),
never from its name; ``load`` reads several files and stacks them, refusing overlaps.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from korus.errors import DataFileError
from korus.readers import census_country, comtrade_legacy, tidy
from korus.schema import KEY, Reading

# name -> (what it is, reader)
LAYOUTS = {
    census_country.LAYOUT: (
        "US Census country.xlsx (trade by partner, monthly)",
        census_country.read,
    ),
    comtrade_legacy.LAYOUT: ("UN Comtrade legacy CSV", comtrade_legacy.read),
    tidy.LAYOUT_CSV: ("korus tidy CSV", tidy.read_csv),
    tidy.LAYOUT_PARQUET: ("korus tidy Parquet", tidy.read_parquet),
}


def detect(path: Path) -> str:
    """Return the layout name of a file, judged by its content."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a folder; give a data file") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if not head.strip():
        raise DataFileError(f"{path}: the file is empty")
    if head.startswith(b"PAR1"):
        return tidy.LAYOUT_PARQUET
    if head.startswith(b"PK\x03\x04"):
        from korus.readers.common import sheet_rows

        try:
            sheet_rows(path, set(census_country.HEADER))
        except DataFileError:
            raise DataFileError(
                f"{path}: a spreadsheet korus does not recognise; it knows: {_known()}"
            ) from None
        return census_country.LAYOUT
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise DataFileError(
                f"{path}: byte {exc.start} of the file is not UTF-8 text; "
                "korus reads UTF-8 (re-save the file as UTF-8)"
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    first_line = text.splitlines()[0]
    header = next(csv.reader(io.StringIO(first_line)))
    if tidy.matches_csv(header):
        return tidy.LAYOUT_CSV
    if comtrade_legacy.matches(header):
        return comtrade_legacy.LAYOUT
    shown = first_line if len(first_line) <= 120 else first_line[:117] + "..."
    raise DataFileError(f"{path}: unknown layout, header {shown!r}; korus knows: {_known()}")


def _known() -> str:
    return "; ".join(f"{name} ({what})" for name, (what, _) in LAYOUTS.items())


def read_file(path: Path, layout: str | None = None) -> Reading:
    """Return the canonical frame of one file, detecting its layout unless one is given."""
    path = Path(path)
    layout = layout or detect(path)
    if layout not in LAYOUTS:
        raise DataFileError(f"unknown layout {layout!r}; korus knows: {_known()}")
    return LAYOUTS[layout][1](path)


def load(paths: list[str | Path], layout: str | None = None) -> Reading:
    """Return the stacked canonical frame of several files; overlapping keys are an error."""
    import pandas as pd

    readings = [read_file(Path(path), layout) for path in paths]
    if len(readings) == 1:
        return readings[0]
    frame = pd.concat([reading.frame for reading in readings], ignore_index=True)
    duplicated = frame.duplicated(subset=KEY, keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        sources = frame[duplicated & (frame[KEY] == first[KEY]).all(axis=1)]["source"].tolist()
        period = f"{first['year']}" + ("" if pd.isna(first["month"]) else f"-{first['month']:02d}")
        raise DataFileError(
            f"the files overlap: {first['reporter']} {first['flow']}s to {first['partner']}, "
            f"product {first['product']}, {period} appear more than once "
            f"({'; '.join(sources)}); give each figure once"
        )
    return Reading(frame, [acc for reading in readings for acc in reading.accounting])
