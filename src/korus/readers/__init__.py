"""Readers: one module per source layout, each returning the canonical frame.

Every reader module defines:

- ``LAYOUT``: its name (``census-country``), used by ``--input-format``;
- ``DESCRIPTION``: one line saying what the layout is;
- ``sniff(sample: Sample) -> bool``: whether a file's first bytes and rows are this layout's;
- ``read(path: Path) -> Reading``: the canonical frame and the account of every row.

``detect`` asks each module in ``MODULES`` order (most specific first), judging by the
content, never by the file name; ``load`` reads many files and stacks them, refusing
figures given twice.
"""

from __future__ import annotations

import glob
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from korus.errors import DataFileError
from korus.readers.common import Sample, take_sample
from korus.schema import KEY, Reading

# Module names under korus.readers, in the order their sniff is asked.
MODULES = (
    "tidy",
    "census_country",
    "census_enduse",
    "census_api",
    "census_balance",
    "comtrade_legacy",
    "comtrade_plus",
    "baci",
    "usitc",
    "kosis",
)


def _modules() -> list:
    found = []
    for name in MODULES:
        try:
            found.append(importlib.import_module(f"korus.readers.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"korus.readers.{name}":
                raise
    return found


def layouts() -> dict[str, object]:
    """Return every layout korus reads: name -> reader module."""
    table = {}
    for module in _modules():
        for name in getattr(module, "LAYOUTS", (module.LAYOUT,)):
            table[name] = module
    return table


def known() -> str:
    """Return the layouts korus knows, for messages."""
    return ", ".join(layouts())


def detect(path: Path) -> str:
    """Return the layout name of a file, judged by its content."""
    sample = take_sample(path)
    for module in _modules():
        layout = module.sniff(sample)
        if layout:
            return layout if isinstance(layout, str) else module.LAYOUT
    raise DataFileError(f"{path}: unknown layout, {sample.describe()}; korus knows: {known()}")


def read_file(path: Path, layout: str | None = None) -> Reading:
    """Return the canonical frame of one file, detecting its layout unless one is given."""
    path = Path(path)
    if layout is None:
        layout = detect(path)
    table = layouts()
    if layout not in table:
        raise DataFileError(f"unknown input format {layout!r}; korus knows: {known()}")
    module = table[layout]
    reader = getattr(module, "read_layout", None)
    return reader(path, layout) if reader else module.read(path)


def expand(paths: list[str | Path]) -> list[Path]:
    """Return the files that paths name: files as given, folders' files, glob matches.

    ``-`` is standard input, copied to a temporary file first (readers need to seek).
    """
    files: list[Path] = []
    for given in paths:
        text = str(given)
        if text == "-":
            files.append(_stdin_copy())
        elif Path(text).is_dir():
            inside = sorted(
                p for p in Path(text).iterdir() if p.is_file() and not p.name.startswith(".")
            )
            if not inside:
                raise DataFileError(f"{text}: the folder holds no files")
            files.extend(inside)
        elif glob.has_magic(text) and not Path(text).exists():
            matches = sorted(Path(match) for match in glob.glob(text) if Path(match).is_file())
            if not matches:
                raise DataFileError(f"{text}: no file matches this pattern")
            files.extend(matches)
        else:
            files.append(Path(text))
    return files


_STDIN_COPY: Path | None = None


def _stdin_copy() -> Path:
    global _STDIN_COPY
    if _STDIN_COPY is None:
        handle, name = tempfile.mkstemp(prefix="korus-stdin-")
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        _STDIN_COPY = Path(name)
        import atexit

        atexit.register(_STDIN_COPY.unlink, missing_ok=True)
    return _STDIN_COPY


def load(paths: list[str | Path], layout: str | None = None) -> Reading:
    """Return the stacked canonical frame of several files; a figure given twice is an error."""
    import pandas as pd

    readings = [read_file(path, layout) for path in expand(paths)]
    if len(readings) == 1:
        return readings[0]
    frame = pd.concat([reading.frame for reading in readings], ignore_index=True)
    duplicated = frame.duplicated(subset=KEY, keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        same = duplicated & (frame[KEY] == first[KEY]).fillna(
            frame["month"].isna() & pd.isna(first["month"])
        ).all(axis=1)
        sources = sorted(set(frame.loc[same, "source"]))
        period = f"{first['year']}" + ("" if pd.isna(first["month"]) else f"-{first['month']:02d}")
        raise DataFileError(
            f"the files overlap: {first['reporter']} {first['flow']}s, partner "
            f"{first['partner']}, product {first['product']}, {period} appear more than once "
            f"({'; '.join(sources)}); give each figure once"
        )
    return Reading(frame, [account for reading in readings for account in reading.accounting])


__all__ = ["Sample", "detect", "expand", "known", "layouts", "load", "read_file"]
