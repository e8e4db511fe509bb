"""Helpers every reader shares: cell parsing that never guesses, and workbook access."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import math
import re
import zlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from korus.errors import DataFileError

SAMPLE_BYTES = 64 * 1024
SAMPLE_ROWS = 60
# The first bytes of a workbook: a zip (.xlsx) or an OLE2 compound file (.xls, Excel 97-2003).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
WORKBOOK_MAGIC = (ZIP_MAGIC, OLE_MAGIC)


class Unsettled(Exception):  # noqa: N818 (a signal, not an error a user sees)
    """Files read a part at a time for a plan of sums cannot be answered so (a year in two
    files, a rule of the trust layer that would say something): ``load`` reads them and
    says what it finds."""


_INTEGER_TEXT = re.compile(r"^\d+(\.0+)?$", re.ASCII)


def is_digits(text: str, *widths: int) -> bool:
    """Return whether ``text`` is ASCII digits (of one of ``widths`` digits, when given).

    Every source writes its codes, years and months in ASCII digits: others (Arabic-Indic
    ٢٠١٦, a superscript ², full-width ２) are never read as a number, in any layout.
    """
    return text.isascii() and text.isdigit() and (not widths or len(text) in widths)


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
        try:
            result = float(value)
        except OverflowError:  # a JSON integer of hundreds of digits: beyond any float
            raise DataFileError(
                f"{file}: {where}: expected a number, found an integer of "
                f"{len(str(abs(value))):,} digits, beyond any figure; fix the value, or "
                "download the data again"
            ) from None
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


def numbers_in(texts, file: str, column: str, first: int, *, word: str = "line", blank=False):
    """Return a column of cells written as text as numbers (a blank cell missing where
    ``blank``): digits with a sign, a point and an exponent, nothing else ("1,234",
    "0x1F", "1_000" or other scripts' digits are not numbers korus reads). A cell that is
    not one is an error naming its place: ``word`` and number (``first`` is the first
    cell's) and the column."""
    import pandas as pd

    text = pd.Series(texts).astype("str").fillna("").str.strip()  # a null is blank
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & ~((text == "") & blank)
    if bad.any():
        at = int(bad.to_numpy().argmax())
        shown = text.iloc[at]
        found = repr(shown) if shown else "an empty cell"
        raise DataFileError(
            f"{file}: {word} {first + at}, column {column!r}: expected a number, found {found}"
        )
    return numbers


def columns_once(header: list[str], read: list[str], file: str) -> None:
    """Raise DataFileError where a column korus reads (``read``) is named twice in a header
    (``header``: its names, without spaces around them), in any layout: korus cannot know
    which of the two to read, and never chooses."""
    for column in read:
        places = [str(index + 1) for index, given in enumerate(header) if given == column]
        if len(places) > 1:
            raise DataFileError(
                f"{file}: the header names the column {column!r} twice (columns "
                f"{' and '.join(places[:2])}); korus cannot know which to read: keep one"
            )


def excel_column(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@lru_cache(maxsize=2)
def _workbook(path: str, identity: tuple) -> tuple[dict[str, list[list[object]]], frozenset]:
    if _first_bytes(path) == OLE_MAGIC and _can_start_a_child():
        return _xls_workbook(path)
    try:
        return _read_book(path)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 -- calamine's Rust panics are BaseExceptions
        raise DataFileError(f"{path}: cannot be opened as a spreadsheet ({said(exc)})") from None


def _read_book(path: str) -> tuple[dict[str, list[list[object]]], frozenset]:
    """Return (sheets, hidden sheet names) of a workbook as calamine reads it."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    book = CalamineWorkbook.from_path(path)
    sheets = {
        name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in book.sheet_names
    }
    # Compared as the enum: its text is "SheetVisibleEnum.Hidden", which holds "Visible".
    hidden = frozenset(
        sheet.name for sheet in book.sheets_metadata if sheet.visible != SheetVisibleEnum.Visible
    )
    return sheets, hidden


# An .xls is read in a child process: on a damaged one calamine's BIFF reader can ask for
# terabytes and abort the whole process, or panic and write a Rust backtrace on stderr.
# The child takes either with it, and korus says one line about the file instead.
_XLS_CHILD = """
import pickle, sys
from korus.readers.common import _read_book
try:
    answer = ("ok", _read_book(sys.argv[1]))
except BaseException as exc:
    answer = ("error", " ".join(str(exc).split()) or type(exc).__name__)
sys.stdout.buffer.write(pickle.dumps(answer))
"""
XLS_SECONDS = 300  # far beyond the largest .xls (65,536 rows of 256 cells)


def _xls_workbook(path: str) -> tuple[dict[str, list[list[object]]], frozenset]:
    """Return (sheets, hidden sheet names) of an old binary Excel file, read by calamine in
    a child process; a file it cannot read is a DataFileError saying why."""
    import os
    import pickle
    import subprocess
    import sys

    # The child finds korus and calamine where this process found them.
    paths = os.pathsep.join(entry for entry in sys.path if entry)
    environment = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONPATH": paths}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _XLS_CHILD, path],
            capture_output=True,
            env=environment,
            timeout=XLS_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DataFileError(_unreadable_xls(path, f"no answer in {XLS_SECONDS} s")) from None
    except OSError as exc:
        raise DataFileError(_unreadable_xls(path, exc.strerror or str(exc))) from None
    if done.returncode != 0:
        # The last line says why: Rust's own ("memory allocation of ... failed"), or a
        # Python error's.
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[-1] if said else f"the reader stopped with status {done.returncode}"
        raise DataFileError(_unreadable_xls(path, reason))
    status, answer = pickle.loads(done.stdout)  # our own child's answer, never the file's
    if status != "ok":
        raise DataFileError(_unreadable_xls(path, answer))
    return answer


def _unreadable_xls(path: str, reason: str) -> str:
    # Excel can often still open what calamine cannot (an encrypted file, BIFF5 and older).
    return (
        f"{path}: an old binary Office file (.xls) that korus cannot read as a workbook "
        f"({reason}): it may be damaged, encrypted or not a workbook; open it in Excel and "
        "save it as .xlsx or CSV"
    )


def said(exc: BaseException | str) -> str:
    """Return a library's message on one line (its line breaks and runs of spaces folded),
    to be quoted in korus's one-line errors."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _can_start_a_child() -> bool:
    import sys

    # An embedded or frozen Python may have no interpreter to start: read in this process.
    return bool(sys.executable)


def _first_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(4)
    except OSError:
        return b""


def _identity(path: Path) -> tuple:
    """Return what tells one state of a file from another: a file rewritten in place with
    its size and time put back still has a new change time, a file moved over it a new
    inode."""
    stat = Path(path).stat()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def workbook(path: Path) -> dict[str, list[list[object]]]:
    """Return every sheet of a spreadsheet as rows of cells (read once, then cached).

    Empty cells are ``""``; numbers are floats (or ints), text is str, dates are dates.
    """
    return _workbook(str(path), _identity(path))[0]


def hidden_sheets(path: Path) -> frozenset:
    """Return the names of a spreadsheet's hidden sheets."""
    return _workbook(str(path), _identity(path))[1]


# The sheet the user chose with --sheet, for a workbook with several candidates.
SHEET: ContextVar[str | None] = ContextVar("korus_sheet", default=None)


def choose_sheet(path: Path, fits, what: str) -> tuple[str, list[list[object]]]:
    """Return (name, rows) of the one sheet of a workbook that ``fits`` (a test of a sheet's
    rows), never a guess: a hidden sheet that fits, or two that fit, are refused with the
    candidates named, unless the user chose one (--sheet)."""
    sheets = workbook(path)
    hidden = hidden_sheets(path)
    chosen = SHEET.get()
    if chosen is not None:
        if chosen not in sheets:
            raise DataFileError(
                f"{path}: no sheet is named {chosen!r} (sheets: {_sheet_list(sheets, hidden)})"
            )
        if not fits(sheets[chosen]):
            raise DataFileError(f"{path}: sheet {chosen!r} does not hold {what}")
        return chosen, sheets[chosen]
    candidates = [name for name, rows in sheets.items() if rows and fits(rows)]
    if not candidates:
        raise DataFileError(
            f"{path}: no sheet holds {what} (sheets: {_sheet_list(sheets, hidden)})"
        )
    if len(candidates) == 1 and candidates[0] not in hidden:
        return candidates[0], sheets[candidates[0]]
    raise DataFileError(sheet_refusal(path, candidates, hidden, what))


def sheet_refusal(path: Path, candidates: list[str], hidden: frozenset, what: str) -> str:
    """Return the message that refuses to guess among ``candidates``, the sheets that hold
    ``what`` (several, or one hidden), naming them and the way to choose."""
    shown = ", ".join(repr(name) + (" (hidden)" if name in hidden else "") for name in candidates)
    why = "several sheets hold" if len(candidates) > 1 else "only a hidden sheet holds"
    return (
        f"{path}: {why} {what}: {shown}; korus does not guess which is meant: "
        "choose one with --sheet NAME"
    )


def note_sheets(accounting, path: Path, chosen: str) -> None:
    """Record in ``accounting`` the sheet read and the sheets left aside."""
    accounting.sheets_read = [chosen]
    accounting.sheets_left = [name for name in workbook(path) if name != chosen]


def _sheet_list(sheets: dict, hidden: frozenset) -> str:
    return ", ".join(repr(name) + (" (hidden)" if name in hidden else "") for name in sheets)


def sheet_rows(path: Path, wanted_header: set[str]) -> tuple[str, list[list[object]]]:
    """Return (sheet name, rows) of the one sheet whose first row holds ``wanted_header``."""
    return choose_sheet(
        path,
        lambda rows: wanted_header <= {str(cell).strip() for cell in rows[0]},
        f"the columns {', '.join(sorted(wanted_header))}",
    )


def is_blank_row(row: list[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


@dataclass
class Sample:
    """The first bytes and rows of a file: what layout detection looks at."""

    path: Path
    head: bytes
    kind: str  # "parquet", "xlsx" (any workbook, .xls too), "json", "text", "html", "binary"
    compressed: bool = False  # gzip
    utf8: bool = True  # False when the sample is not UTF-8 (decoded as cp1252 to look at)
    text: str = ""
    lines: list[str] = field(default_factory=list)  # first text lines, no line ends
    sheets: dict[str, list[list[object]]] = field(default_factory=dict)  # first rows

    def cells(self, line: int = 0, delimiter: str = ",") -> list[str]:
        """Return the cells of a text line, split as CSV, stripped."""
        if line >= len(self.lines):
            return []
        row = next(csv.reader([self.lines[line]], delimiter=delimiter), [])
        return [cell.strip() for cell in row]

    def describe(self) -> str:
        """Return what the file starts with, for an error message."""
        if self.kind == "xlsx":
            firsts = [
                f"{name!r}: {[str(c) for c in rows[0] if str(c).strip()][:8]}"
                for name, rows in self.sheets.items()
                if rows
            ]
            return "a spreadsheet whose sheets start " + ("; ".join(firsts) or "empty")
        if self.kind == "html":
            return "an HTML page, not a data file"
        if self.kind == "binary":
            return "binary content that is not a spreadsheet or Parquet file"
        first = next((line for line in self.lines if line.strip()), "")
        shown = first if len(first) <= 120 else first[:117] + "..."
        return f"header {shown!r}"


def take_sample(path: Path) -> Sample:
    """Return the sample of a file that sniffing looks at; errors name the file."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a folder; give a data file") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror})") from None
    compressed = head.startswith(b"\x1f\x8b")
    if compressed:
        whole = len(head) < SAMPLE_BYTES
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            head = inflater.decompress(head, SAMPLE_BYTES)
        except zlib.error as exc:
            raise DataFileError(f"{path}: a damaged gzip file ({exc}); download it again") from None
        if whole and not inflater.eof and not inflater.unconsumed_tail:
            raise DataFileError(
                f"{path}: a truncated gzip file (it ends before its data does); download it again"
            )
    if not head.strip():
        raise DataFileError(f"{path}: the file is empty")
    if head.startswith(b"PAR1"):
        return Sample(path, head, "parquet")
    if head.startswith(WORKBOOK_MAGIC):
        # An .xls is read by calamine as an .xlsx is, so by the same layouts ("xlsx" is the
        # kind of every workbook); one it cannot open is refused with the reason.
        sheets = {name: rows[:SAMPLE_ROWS] for name, rows in workbook(path).items()}
        return Sample(path, head, "xlsx", sheets=sheets)
    utf8 = True
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # the sample cut a character in two
            text = head[: exc.start].decode("utf-8-sig")
        else:
            utf8 = False
            text = head.decode("cp1252", errors="replace")
    if "\x00" in text:
        return Sample(path, head, "binary", compressed)
    stripped = text.lstrip()
    lines = text.splitlines()[:SAMPLE_ROWS]
    if stripped[:1] in ("[", "{"):
        kind = "json"
    elif stripped[:1] == "<" and re.match(r"<(!doctype|html|\?xml|head|body)", stripped, re.I):
        kind = "html"
    else:
        kind = "text"
    return Sample(path, head, kind, compressed, utf8, text, lines)


# The text encoding of the files being read, as the user gave it (--encoding); None when
# not given: UTF-8, unless a layout's files are known to come in another (the Comtrade+
# website's downloads are cp1252). A context variable, so the readers' signatures stay
# read(path).
ENCODING: ContextVar[str | None] = ContextVar("korus_encoding", default=None)


def raw_bytes(path: Path) -> bytes:
    """Return a file's bytes, gunzipped when it is gzip; a damaged gzip is an error."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise DataFileError(
                f"{path}: a damaged or truncated gzip file ({exc}); download it again"
            ) from None
    return data


def decode(data: bytes, path: Path) -> str:
    """Return the text of a file's bytes in the chosen encoding, strictly.

    A byte that is not valid text is an error naming the line, column and byte, never a
    silent replacement; a UTF-8 byte-order mark is dropped.
    """
    encoding = ENCODING.get() or "utf-8"
    if data.startswith((b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:4096]:
        raise DataFileError(
            f"{path}: a binary file (a spreadsheet or Parquet?), not text; read it without "
            "--input-format, or with the layout that fits it"
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(data, exc.start)
        raise DataFileError(
            f"{path}: line {line}, column {column}: byte 0x{data[exc.start]:02X} is not "
            f"{encoding} text; if the file is in another encoding, say which with --encoding "
            "(e.g. --encoding cp1252 for a Windows export)"
        ) from None
    except LookupError:
        raise DataFileError(f"unknown text encoding {encoding!r}") from None
    return text.removeprefix("\ufeff")


# Encodings in which every ASCII byte is its own character: a file of ASCII bytes only is
# the same text in any of them, and its UTF-8 bytes are the file's own.
_ASCII_SAME = {"utf-8", "ascii", "iso8859-1", "iso8859-15", "cp1252", "cp1250"}


def utf8_bytes(data: bytes, path: Path) -> bytes:
    """Return ``decode(data, path).encode("utf-8")``: the file's text as UTF-8 bytes, with
    its errors. A file of ASCII bytes only (most downloads) is returned as it is, never
    made a Python string and encoded back (on 100 MB: two copies and 0.1-0.2 s)."""
    binary = data.startswith((b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0"))
    if _ascii_is_itself() and not binary and b"\x00" not in data[:4096] and data.isascii():
        return data
    return decode(data, path).encode("utf-8")


def utf8_tail(data: bytes, text: str, start: int) -> bytes:
    """Return ``text[start:].encode("utf-8")``, where ``text`` is ``decode(data, ...)``: of
    a file of ASCII bytes, the same bytes sliced from the file's own (no copy of the text
    made and encoded again)."""
    if len(data) == len(text) and _ascii_is_itself() and data.isascii():
        return data[start:]
    return text[start:].encode("utf-8")


def utf8_head(data: bytes, limit: int) -> str | None:
    """Return the text of the first ``limit`` bytes of a file that is UTF-8 text as
    ``decode`` reads it in UTF-8 (its last character whole, a byte-order mark dropped);
    None where ``decode`` would refuse it (it then says why). The whole is checked by
    Arrow, not decoded: a Python string of a 230 MB download costs 0.2-0.9 s and its size
    in memory again."""
    import codecs

    import pyarrow as pa

    from korus.readers.filetext import FileText

    if isinstance(data, FileText):  # (checked as it was read: its head is all there is)
        if not data.utf8:
            return None
        if limit > len(data.head) and len(data.head) < data.size:
            data = data.load()
        else:
            head = data.head[:limit]
            decoded = codecs.getincrementaldecoder("utf-8")().decode(head, final=data.size <= limit)
            return decoded.removeprefix("\ufeff")
    if data.startswith((b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:4096]:
        return None
    if not data.isascii():
        ends = pa.array([0, len(data)], pa.int64()).buffers()[1]
        whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, ends, pa.py_buffer(data)])
        try:
            whole.cast(pa.large_string())  # (Arrow refuses what Python's strict UTF-8 does)
        except pa.ArrowInvalid:
            return None
    head = codecs.getincrementaldecoder("utf-8")().decode(data[:limit], final=len(data) <= limit)
    return head.removeprefix("\ufeff")


def _ascii_is_itself() -> bool:
    """Whether the encoding in force reads every ASCII byte as that character."""
    import codecs

    try:
        return codecs.lookup(ENCODING.get() or "utf-8").name in _ASCII_SAME
    except LookupError:
        return False  # (``decode`` says so)


# A line as a file opened with newline="" cuts it: up to LF, CR LF or a lone CR.
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of a byte, lines ending in CRLF, LF or a lone CR
    (Excel for Mac writes CSV with CR alone)."""
    before = data[:offset]
    breaks = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
    start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    return breaks + 1, offset - start + 1


def open_text(path: Path) -> io.TextIOBase:
    """Return the text of a file as a stream: gunzipped, strictly decoded (see ``decode``)."""
    return io.StringIO(decode(raw_bytes(path), Path(path)), newline="")


def read_csv(path: Path, **options):
    """Return ``pandas.read_csv`` of a file as all-text cells, with errors that name the file.

    Defaults: every column as str, and no token taken for a missing value (``NA`` is
    Namibia's code); strict UTF-8 or the --encoding given (a BOM is skipped); gzip
    recognised by its content.
    """
    import pandas as pd

    settings = {"dtype": str, "keep_default_na": False, "na_values": []}
    settings.update(options)
    text = decode(raw_bytes(path), Path(path))
    if isinstance(settings.get("skiprows", 0), int):
        check_field_counts(
            text, Path(path), settings.get("sep", ","), settings.get("skiprows") or 0
        )
    handle = io.StringIO(text, newline="")
    try:
        table = pd.read_csv(handle, **settings)
    except pd.errors.EmptyDataError:
        raise DataFileError(f"{path}: the file holds no rows") from None
    except pd.errors.ParserError as exc:
        message = " ".join(str(exc).split())
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if match:
            expected, line, saw = match.groups()
            raise DataFileError(
                f"{path}: line {line} has {saw} fields where the header has {expected}; "
                "fix or remove the row"
            ) from None
        raise DataFileError(f"{path}: not readable as CSV ({message})") from None
    return table


def check_field_counts(text: str, path: Path, delimiter: str = ",", skip: int = 0) -> None:
    """Raise DataFileError at the first record whose number of fields differs from the header's.

    pandas fills a short row with empty cells, which would pass for blanks in the data:
    a ragged row is an error, never guessed at. ``skip`` lines come before the header.
    """
    csv.field_size_limit(2**31 - 1)  # a long description is still one field
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        _check_widths(records, path, skip)
    except csv.Error as exc:
        raise DataFileError(
            f"{path}: line {records.line_num}: not valid CSV ({exc}); a stray quote or line "
            "break inside a cell?"
        ) from None


def _check_widths(records, path: Path, skip: int) -> None:
    width = None
    for number, row in enumerate(records, start=1):
        if number <= skip or not row:
            continue
        if width is None:
            width = len(row)
        elif len(row) != width:
            line = records.line_num
            raise DataFileError(
                f"{path}: line {line} has {len(row)} fields where the header has {width}; "
                "fix or remove the row"
            )


def read_json(path: Path):
    """Return a JSON file's content; bad text or bad JSON is an error naming line and column."""
    import json

    text = decode(raw_bytes(path), Path(path))  # (``open_text``'s text, not copied again)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); "
            "save the answer whole and unchanged"
        ) from None
    except ValueError:  # the one other: an integer of more digits than Python converts
        raise DataFileError(
            f"{path}: a number of thousands of digits, beyond any figure: not an answer "
            "korus can read; save the answer whole and unchanged"
        ) from None
    except RecursionError:
        raise DataFileError(
            f"{path}: not JSON korus can read (arrays or objects nested too deeply); save "
            "the answer whole and unchanged"
        ) from None


def import_pandas_meanwhile() -> None:
    """Import pandas in a thread, unless it is imported (or being imported), while the
    caller goes on to read a file: Arrow's parsing and reading release the lock Python's
    threads share, so the half second pandas takes to import is spent beside the read, not
    before it. Whoever needs pandas first then waits only for the rest of its import."""
    import sys
    import threading

    if "pandas" not in sys.modules:
        threading.Thread(target=__import__, args=("pandas",), daemon=True).start()


@contextlib.contextmanager
def collector_paused():
    """Pause Python's collector of reference cycles for the time of a reading (as it was
    before, after it). A reading makes millions of objects that live on (a workbook's
    cells, a JSON answer's values), and the collector, set off again and again by their
    number, goes through all of them each time to find cycles a reading does not make:
    300,000 DataWeb rows from a workbook, 3.55 s with it and 2.71 s without; 250,000
    Comtrade+ records in JSON, 3.77 s and 3.34 s. Objects are still freed as soon as no
    one holds them."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
