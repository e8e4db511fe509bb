"""Helpers every reader shares: cell parsing that never guesses, and workbook access."""

from __future__ import annotations

import math
import re
from pathlib import Path

from korus.errors import DataFileError

_INTEGER_TEXT = re.compile(r"^\d+(\.0+)?$")


def code_text(value: object, width: int, *, file: str, where: str) -> str:
    """Return a numeric code as text of ``width`` digits, restoring leading zeros.

    A spreadsheet may hold Census code ``0003`` as the number 3; the code is still
    ``0003``. Anything that is not a whole number of at most ``width`` digits is an error.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if value is not None else ""
    if not _INTEGER_TEXT.match(text):
        raise DataFileError(f"{file}: {where}: code {text!r} is not a number of digits")
    text = text.split(".")[0]
    if len(text) > width:
        raise DataFileError(f"{file}: {where}: code {text!r} has more than {width} digits")
    return text.zfill(width)


def number(value: object, *, file: str, where: str) -> float:
    """Return a cell as a float; a blank or a non-number is an error naming the cell."""
    if isinstance(value, bool):
        raise DataFileError(f"{file}: {where}: expected a number, found {value!r}")
    if isinstance(value, int | float):
        result = float(value)
    else:
        text = str(value).strip() if value is not None else ""
        try:
            result = float(text)
        except ValueError:
            shown = text if text else "an empty cell"
            raise DataFileError(f"{file}: {where}: expected a number, found {shown!r}") from None
    if math.isnan(result) or math.isinf(result):
        raise DataFileError(f"{file}: {where}: expected a number, found {value!r}")
    return result


def excel_column(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_rows(path: Path, wanted_header: set[str]) -> tuple[str, list[list[object]]]:
    """Return (sheet name, rows) of the first sheet whose first row holds ``wanted_header``."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot be opened as a spreadsheet ({exc})") from None
    seen = []
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header = {str(cell).strip() for cell in rows[0]} if rows else set()
        if wanted_header <= header:
            return name, rows
        seen.append(name)
    raise DataFileError(
        f"{path}: no sheet has the columns {sorted(wanted_header)} (sheets: {', '.join(seen)})"
    )


def is_blank_row(row: list[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)
