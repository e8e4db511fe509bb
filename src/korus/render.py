"""The one place that turns results into text: rich tables, CSV, TSV, JSON and Markdown.

A :class:`Report` is one tidy frame plus what a person needs around it. Machine formats
(CSV, TSV, JSON) print the frame alone, raw numbers at full precision, the unit in each
money column's name, provenance as columns. People's formats (table, Markdown) group and
round numbers and put source, unit and basis in a caption, with the summary underneath.

Text from files (a source name, a vintage, a claim id, a partner name) is data, never
commands: people's formats show every control character escaped (``printable``), Markdown
escapes its markup, and CSV quotes any field a reader could take apart. A terminal table
never cuts a number or a code: when it is too narrow it leaves out whole columns and
names them under the table.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from korus.schema import ALL_GOODS

if TYPE_CHECKING:
    import pandas as pd

UNITS = {
    "usd": (1.0, "US dollars", "usd"),
    "thousands": (1e3, "thousands of US dollars", "usd_thousands"),
    "millions": (1e6, "millions of US dollars", "usd_millions"),
    "billions": (1e9, "billions of US dollars", "usd_billions"),
}
# Other spellings of the units, as people write them ("$27.6bn", "in thousands").
UNIT_SPELLINGS = {
    "dollars": "usd",
    "k": "thousands",
    "thousand": "thousands",
    "m": "millions",
    "mn": "millions",
    "mln": "millions",
    "million": "millions",
    "b": "billions",
    "bn": "billions",
    "billion": "billions",
}
FORMATS = ("auto", "table", "csv", "tsv", "json", "jsonl", "markdown")


def unit_named(text: str) -> str | None:
    """Return the unit a text names (``bn`` is billions), or None."""
    text = str(text).strip().lower()
    return text if text in UNITS else UNIT_SPELLINGS.get(text)


PROVENANCE = ("products", "source", "basis", "vintage")
# A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Besides the delimiter, a CSV or TSV field holding one of these is quoted: a reader (and
# a spreadsheet) takes a bare CR or LF for the end of a row, whatever the file's own line
# ends are.
QUOTED_CHARACTERS = '"\r\n'

# Characters a terminal acts on or that reorder the text around them instead of showing:
# C0 controls (ESC starts colour, clear-screen and window-title sequences; CR overwrites
# the line), DEL, C1 controls (U+009B is CSI to many terminals), the Arabic letter mark,
# the left-to-right and right-to-left marks, the line and paragraph separators, and the
# bidirectional embeddings, overrides and isolates (they can make "-1" read as "1-").
_UNPRINTABLE_CODES = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_SHORT_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_PRINTABLE = {
    code: _SHORT_ESCAPES.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in _UNPRINTABLE_CODES
}


def printable(text: object) -> str:
    """Return ``text`` with every control character shown as a visible escape.

    C0 and C1 controls and DEL, the bidirectional controls (U+202A-U+202E, U+2066-U+2069,
    U+200E, U+200F, U+061C) and the line separators U+2028/U+2029 become ``\\x1b``,
    ``\\r``, ``\\n``, ``\\t``, ``\\u202e``...; everything else is left as it is (a backslash
    in a Windows path too, so a file name stays readable). Apply it to any text from a file
    before it reaches a terminal: tables, titles, notes, error messages.
    """
    return str(text).translate(_PRINTABLE)


@dataclass
class Report:
    """A result ready to print: one tidy frame and what people need to read it."""

    title: str
    frame: pd.DataFrame
    money: list[str] = field(default_factory=list)  # columns in US dollars
    percent: list[str] = field(default_factory=list)  # columns in percent
    points: list[str] = field(default_factory=list)  # columns in percentage points
    labels: dict[str, str] = field(default_factory=dict)  # column -> table header
    summary: list[tuple[str, ...]] = field(default_factory=list)  # (label, cells...) rows
    summary_header: tuple[str, ...] = ()
    table_hidden: list[str] = field(default_factory=list)  # said in the title instead
    long_text: list[str] = field(default_factory=list)  # cut short in a terminal table
    wrap: list[str] = field(default_factory=list)  # wrapped in a terminal table
    # Columns a narrow terminal table keeps to the end, like the first column, ranks and
    # codes (a verdict, korus's figure): it leaves out every other column before them.
    table_keep: list[str] = field(default_factory=list)
    series: tuple[list[str], str] | None = None  # (label columns, value column) to draw
    notes: list[str] = field(default_factory=list)
    # Notes a pipeline must hear too: printed on stderr with the machine formats.
    warnings: list[str] = field(default_factory=list)
    # The summary as data for the machine formats (--summary): raw numbers, one row per
    # summary line, its money columns in US dollars like ``money``.
    summary_frame: pd.DataFrame | None = None
    summary_money: list[str] = field(default_factory=list)


def scale(unit: str) -> float:
    return UNITS[unit][0]


def machine_name(report: Report, column: str, unit: str) -> str:
    """Return a column's name in the machine formats: a money column carries its unit."""
    return f"{column}_{UNITS[unit][2]}" if column in report.money else column


def machine_frame(report: Report, unit: str, *, summary: bool = False) -> pd.DataFrame:
    """Return the frame (or, with ``summary``, the summary's) as machine formats print it:
    scaled money, the unit in the money columns' names."""
    import pandas as pd

    if summary:
        frame = report.summary_frame if report.summary_frame is not None else pd.DataFrame()
        money = report.summary_money
    else:
        frame, money = report.frame, report.money
    factor = UNITS[unit][0]
    out = frame.copy()
    # Cents are the finest figure any source publishes; rounding there removes the float
    # noise of unit conversion (115594.78447699998 -> 115594.784477) and loses nothing.
    decimals = 2 + round(math.log10(factor))
    for column in money:
        out[column] = (out[column].astype(float) / factor).round(decimals)
    return out.rename(columns={column: f"{column}_{UNITS[unit][2]}" for column in money})


class ColumnsError(ValueError):
    """Columns asked for (--columns) that the output does not have."""


def chosen_columns(frame: pd.DataFrame, columns: list[str] | None, *others) -> pd.DataFrame:
    """Return ``frame`` with only ``columns``, in that order (None: all of them). A name in
    neither ``frame`` nor one of ``others`` (frames written beside it) is an error naming
    the columns there are; a name only in another frame is simply not in this one."""
    if columns is None:
        return frame
    known = list(frame.columns) + [c for other in others for c in other.columns]
    unknown = [c for c in columns if c not in known]
    if unknown:
        there = ", ".join(dict.fromkeys(known))
        raise ColumnsError(
            f"no column {', '.join(map(repr, unknown))} in this output; its columns: {there}"
        )
    return frame[[c for c in columns if c in frame.columns]]


MACHINE_FORMATS = ("csv", "tsv", "json", "jsonl")


def render(
    report: Report,
    fmt: str,
    unit: str,
    out: TextIO,
    *,
    width: int | None = None,
    columns: list[str] | None = None,
    summary: bool = False,
    styled: bool | None = None,
) -> None:
    """Write ``report`` to ``out`` in format ``fmt`` (auto is resolved by the caller).

    In the machine formats ``columns`` chooses and orders the columns written, and
    ``summary`` writes the summary rows instead of the rows (JSON: an object holding both,
    ``{"rows": [...], "summary": [...]}``). ``styled`` says whether a table may carry
    escape sequences (None: ``escapes_wanted`` decides)."""
    if fmt in MACHINE_FORMATS:
        rows = machine_frame(report, unit)
        if fmt == "json" and summary:
            totals = machine_frame(report, unit, summary=True)
            _write_json_object(
                {
                    "rows": chosen_columns(rows, columns, totals),
                    "summary": chosen_columns(totals, columns, rows),
                },
                out,
            )
            return
        frame = chosen_columns(
            machine_frame(report, unit, summary=True) if summary else rows, columns
        )
        if fmt == "csv":
            _write_delimited(frame, out, ",")
        elif fmt == "tsv":
            _write_delimited(frame, out, "\t")
        elif fmt == "json":
            _write_json(frame, out)
        else:
            _write_json_lines(frame, out)
    elif fmt == "markdown":
        _write_markdown(report, unit, out)
    elif fmt == "table":
        _write_table(report, unit, out, width, styled)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _plain(value: object) -> object:
    """Return a cell as a JSON/CSV value: None for missing, int/float/str otherwise."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _formula_safe(text: str) -> str:
    """Return text that a spreadsheet will show rather than run (a leading apostrophe)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def delimited_field(text: str, delimiter: str) -> str:
    """Return a text cell as CSV or TSV writes it: in quotes, inner quotes doubled, when it
    holds the delimiter, a quote, a CR or a LF; as it is otherwise."""
    if delimiter in text or any(character in text for character in QUOTED_CHARACTERS):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_delimited(frame: pd.DataFrame, out: TextIO, delimiter: str) -> None:
    # Written by hand rather than with the csv module: with "\n" line ends, csv leaves a
    # lone CR unquoted, which a spreadsheet then shows as a new row.
    def line(cells: list[str]) -> str:
        return delimiter.join(cells) + "\n"

    out.write(line([delimited_field(_formula_safe(str(c)), delimiter) for c in frame.columns]))
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            value = _plain(value)
            if value is None:
                cells.append("")
            elif isinstance(value, str):
                cells.append(delimited_field(_formula_safe(value), delimiter))
            else:
                text = repr(value) if isinstance(value, float) else str(value)
                cells.append(delimited_field(text, delimiter))
        out.write(line(cells))


# JSON escapes C0 controls itself; these it would write raw, and a terminal showing the
# JSON would act on them. Inside a JSON string the escape reads back as the same text.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {column: _plain(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]


def _json_text(value: object, indent: int | None) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _write_json(frame: pd.DataFrame, out: TextIO) -> None:
    out.write(_json_text(_records(frame), 2))
    out.write("\n")


def _write_json_object(parts: dict[str, pd.DataFrame], out: TextIO) -> None:
    out.write(_json_text({name: _records(frame) for name, frame in parts.items()}, 2))
    out.write("\n")


def _write_json_lines(frame: pd.DataFrame, out: TextIO) -> None:
    # One object a line and nothing else (jq -c, sqlite-utils --nl): a line can be read,
    # filtered or counted on its own.
    for record in _records(frame):
        out.write(_json_text(record, None))
        out.write("\n")


def format_money(value: object, unit: str) -> str:
    """Return a money value grouped and rounded for people (0.1 of the unit, whole dollars)."""
    value = _plain(value)
    if value is None:
        return "n/a"
    scaled = value / scale(unit)
    text = f"{scaled:,.0f}" if unit == "usd" else f"{scaled:,.1f}"
    # A tiny negative rounds to "-0.0": show the zero it is.
    return text[1:] if text.lstrip("-").strip("0.,") == "" and text.startswith("-") else text


def format_percent(value: object, *, signed: bool = False) -> str:
    """Return a percentage with three significant digits or so: -2.76%, +109.3%, 29.9%."""
    value = _plain(value)
    if value is None:
        return "n/a"
    decimals = 1 if abs(value) >= 10 else 2
    return f"{value:+.{decimals}f}%" if signed else f"{value:.{decimals}f}%"


def _display_cells(
    report: Report, unit: str
) -> tuple[list[str], list[list[str]], list[bool], list[str]]:
    """Return the headers, the cells as people read them, which columns are figures, and
    the columns' names. Text is raw here: each format escapes it in its own way."""
    hidden = set(PROVENANCE) | set(report.table_hidden)
    columns = [c for c in report.frame.columns if c not in hidden]
    headers = [report.labels.get(c, c) for c in columns]
    numeric = [c in report.money or c in report.percent or c in report.points for c in columns]
    rows = []
    for record in report.frame[columns].itertuples(index=False):
        cells = []
        for column, value in zip(columns, record, strict=True):
            if column in report.money:
                cells.append(format_money(value, unit))
            elif column in report.percent:
                cells.append(format_percent(value, signed=column != "share_pct"))
            elif column in report.points:
                text = format_percent(value, signed=True)
                cells.append(text[:-1] + " pp" if text.endswith("%") else text)
            else:
                plain = _plain(value)
                cells.append("" if plain is None else str(plain))
        rows.append(cells)
    return headers, rows, numeric, columns


def caption_lines(report: Report, unit: str) -> list[str]:
    """Return the lines that say what the numbers are: unit, source, basis, vintage."""
    lines = [f"Values in {UNITS[unit][1]}."] if report.money else []
    for column in PROVENANCE:
        # A provenance column the report hides is one it says otherwise (world totals: what
        # each row adds up, said in a note, not listed row by row).
        if column in report.frame.columns and column not in report.table_hidden:
            values = sorted({str(v) for v in report.frame[column].dropna().unique() if str(v)})
            if column == "products" and values == [ALL_GOODS]:
                continue  # the title says "goods": all of them
            if values:
                text = "; ".join(values)
                lines.append(f"{column.capitalize()}: {text}{'' if text.endswith('.') else '.'}")
    return lines + report.notes


# --- terminal tables -----------------------------------------------------------------------

# Columns that say what a row is: a narrow table keeps them, with the first column and the
# report's own table_keep, and leaves out others.
ROW_LABELS = ("rank", "year", "month", "period", "reporter", "partner", "product", "measure")
NAME_CAP = 44  # a long name gets at most this many characters
NAME_FLOOR = 6  # ...and at least this many, or its column is left out
WRAP_FLOOR = 8  # wrapped text is at least this wide where it has that much to show
# Tokens a wrapped or shortened text never splits: figures, dates, codes ("-2.76%",
# "$42.3", "2010-2019", "HS2012", "exports-2016"): at most this long and holding a digit.
UNBREAKABLE = 16
_DIGIT = re.compile(r"\d")


def _unbreakable(token: str) -> bool:
    return len(token) <= UNBREAKABLE and bool(_DIGIT.search(token))


@dataclass
class _Column:
    """A column of a terminal table: its escaped header and cells, and how it may bend.

    ``kind`` is "figure" (never cut or wrapped), "text" (wrapped at its words, never inside
    one), "name" (one line, shortened at the end) or "wrap" (wrapped at its words; a word
    longer than the column is folded, unless it is a figure or a code)."""

    name: str
    header: str
    cells: list[str]
    kind: str
    right: bool = False

    def least(self) -> int:
        """Return the narrowest this column can be without cutting a figure or a code."""
        header_words = [_cells(word) for word in self.header.split()]
        if self.kind == "figure":
            return max([_cells(cell) for cell in self.cells] + header_words + [1])
        if self.kind == "text":
            words = [_cells(word) for cell in self.cells for word in cell.split()]
            return max(words + header_words + [1])
        if self.kind == "name":
            return min(self.natural(), NAME_FLOOR)
        tokens = [_cells(t) for cell in self.cells for t in cell.split() if _unbreakable(t)]
        return max([min(self.natural(), WRAP_FLOOR)] + tokens)

    def most(self) -> int:
        """Return the width this column takes when there is room: every cell and the header
        on one line (a name at most NAME_CAP characters)."""
        if self.kind == "name":
            return max(self.least(), min(self.natural(), NAME_CAP))
        return max(self.least(), self.natural())

    def natural(self) -> int:
        return max([_cells(cell) for cell in self.cells] + [_cells(self.header), 1])


def _cells(text: str) -> int:
    """Return how many terminal cells text takes (a Hangul syllable takes two)."""
    from rich.cells import cell_len

    return cell_len(text)


def _edges(count: int) -> int:
    # Each column has one space of padding either side and a one-space divider; the table
    # has one more space at each edge.
    return 3 * count + 1


def _widths(columns: list[_Column], width: int) -> list[int]:
    """Return each column's width within ``width``, none below its least.

    Where figures and plain text fit whole, with their headers on one line, and names and
    wrapped text keep at least 24 characters each (or all they need), they do, and names
    and wrapped text share the rest. Otherwise figures take their least (headers wrapped
    at their words) and the text columns share the rest. The room is shared narrowest
    column first: a short one gets all it needs, the widest share what is left.
    """
    flexible = [i for i, column in enumerate(columns) if column.kind in ("name", "wrap")]
    rigid = [i for i in range(len(columns)) if i not in flexible]
    room = width - _edges(len(columns))
    wanted = sum(max(columns[i].least(), min(24, columns[i].most())) for i in flexible)
    sizes = [0] * len(columns)
    if room - sum(columns[i].most() for i in rigid) >= wanted:
        for i in rigid:
            sizes[i] = columns[i].most()
        shared = flexible
    else:
        shared = [i for i, column in enumerate(columns) if column.kind != "figure"]
        for i in rigid:
            sizes[i] = 0 if i in shared else columns[i].least()
    left = room - sum(sizes)
    order = sorted(shared, key=lambda i: columns[i].most())
    for position, i in enumerate(order):
        later = sum(columns[j].least() for j in order[position + 1 :])
        share = min(left // (len(order) - position), left - later)
        sizes[i] = max(columns[i].least(), min(columns[i].most(), share))
        left -= sizes[i]
    return sizes


def _shortened(text: str, size: int) -> str:
    """Return ``text`` in at most ``size`` cells, ending with an ellipsis when cut; a cut
    that would fall inside a figure or a code falls before it instead."""
    if _cells(text) <= size:
        return text
    kept, used = [], 0
    for character in text:
        used += _cells(character)
        if used > size - 1:
            break
        kept.append(character)
    cut = "".join(kept)
    rest = text[len(cut) :]
    tail = cut.split()[-1] if cut.split() and not cut[-1].isspace() else ""
    if tail and not rest[:1].isspace() and _unbreakable(tail + rest.split()[0]):
        cut = cut[: len(cut) - len(tail)]
    return cut.rstrip() + "…"


def _table_columns(report: Report, unit: str) -> list[_Column]:
    headers, rows, numeric, names = _display_cells(report, unit)
    columns = []
    for index, (name, header, figure) in enumerate(zip(names, headers, numeric, strict=True)):
        cells = [printable(row[index]) for row in rows]
        if figure or _whole_numbers(report.frame[name]):
            kind = "figure"
        elif name in report.long_text:
            kind = "name"
        elif name in report.wrap:
            kind = "wrap"
        else:
            kind = "text"
        columns.append(_Column(name, printable(header), cells, kind, right=figure))
    return columns


def _whole_numbers(column) -> bool:
    import pandas as pd

    return pd.api.types.is_integer_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
        column.dtype
    )


def _leave_out_order(report: Report, columns: list[_Column]) -> list[int]:
    """Return the columns a narrow table may leave out, the least needed first: names, then
    other text, then figures, each from the right; the report's own figure (the one its
    chart draws) last. Never the first column, a rank, a code or a column to keep."""
    kept = set(ROW_LABELS) | set(report.table_keep)
    candidates = [i for i, column in enumerate(columns) if i > 0 and column.name not in kept]
    main = report.series[1] if report.series else None

    def rank(i: int) -> tuple[int, int]:
        column = columns[i]
        if column.kind == "name":
            group = 0
        elif column.kind != "figure":
            group = 1
        else:
            group = 3 if column.name == main else 2
        return (group, -i)

    return sorted(candidates, key=rank)


def _left_out_note(report: Report, left_out: list[_Column], unit: str, width: int) -> str:
    named = ", ".join(
        f"{column.header} ({machine_name(report, column.name, unit)})" for column in left_out
    )
    return f"Left out to fit {width} columns: {named}; --format csv has every column."


def _grid(columns: list[_Column], sizes: list[int]):
    """Return the rich table of columns at the given widths."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD)
    for column, size in zip(columns, sizes, strict=True):
        if column.kind == "name":
            table.add_column(Text(column.header), width=size, no_wrap=True, overflow="ellipsis")
        elif column.kind == "wrap" or column.kind == "text":
            table.add_column(Text(column.header), width=size, overflow="fold")
        else:
            table.add_column(
                Text(column.header), justify="right" if column.right else "left", width=size
            )
    rows = len(columns[0].cells) if columns else 0
    for row in range(rows):
        table.add_row(
            *(
                Text(_shortened(c.cells[row], size) if c.kind == "name" else c.cells[row])
                for c, size in zip(columns, sizes, strict=True)
            )
        )
    return table


def _fitted(report: Report, unit: str, width: int):
    """Return the main table's columns that fit ``width``, their widths, and those left out."""
    columns = _table_columns(report, unit)
    order = _leave_out_order(report, columns)
    left_out: list[_Column] = []
    shown = list(columns)
    while _edges(len(shown)) + sum(c.least() for c in shown) > width and order:
        dropped = columns[order.pop(0)]
        shown.remove(dropped)
        left_out.append(dropped)
    # What must stay may still be wider than the terminal: it is printed whole, and the
    # terminal wraps its lines, rather than a figure or a code being cut.
    room = max(width, _edges(len(shown)) + sum(c.least() for c in shown))
    return shown, _widths(shown, room), left_out, room


def _summary_columns(report: Report) -> list[_Column]:
    header = report.summary_header or ("",) * len(report.summary[0])
    columns = []
    for index, title in enumerate(header):
        cells = [printable(row[index]) if index < len(row) else "" for row in report.summary]
        kind = "wrap" if index == 0 else "figure"
        columns.append(_Column(str(index), printable(title), cells, kind, right=index > 0))
    return columns


def _summary(report: Report, width: int):
    """Return the summary as a table under the main one; where it would not fit, each row
    as a list of its figures under its label, so that no figure is cut."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    columns = _summary_columns(report)
    shown_header = bool(report.summary_header)
    if _edges(len(columns)) + sum(c.least() for c in columns) <= width:
        sizes = _widths(columns, width)
        table = Table(box=box.SIMPLE_HEAD, show_header=shown_header)
        for column, size in zip(columns, sizes, strict=True):
            header = Text(column.header if shown_header else "")
            if column.kind == "wrap":
                table.add_column(header, width=size, overflow="fold")
            else:
                table.add_column(header, justify="right", width=size)
        for row in range(len(report.summary)):
            table.add_row(*(Text(column.cells[row]) for column in columns))
        return table
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
    table.add_column(overflow="fold")
    table.add_column(justify="right", no_wrap=True)
    label, *figures = columns
    indent = ""
    if label.header and any(label.cells):  # a heading over labelled rows: "2011 to 2016"
        table.add_row(Text(label.header, style="bold"), Text(""))
        indent = "  "
    for row in range(len(report.summary)):
        table.add_row(Text(indent + (label.cells[row] or label.header), style="bold"), Text(""))
        for column in figures:
            table.add_row(Text(indent + "  " + column.header), Text(column.cells[row]))
    return table


def escapes_wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Return whether output to ``stream`` may carry escape sequences (bold, dim, colour).

    ``NO_COLOR`` (any non-empty value, as no-color.org says) and ``TERM=dumb`` mean none at
    all, not even bold; ``FORCE_COLOR`` (any non-empty value) means them even in a pipe or
    a file; otherwise they go to a terminal only.
    """
    import os

    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


def _console(out: TextIO, width: int | None, styled: bool | None):
    """Return a rich console on ``out`` that writes escape sequences only when ``styled``
    (None: as ``escapes_wanted`` decides from the environment and the stream)."""
    from rich.console import Console

    styled = escapes_wanted(out) if styled is None else styled
    # rich's own NO_COLOR handling keeps bold and dim; without a colour system it writes
    # no escape sequence at all.
    return Console(
        file=out,
        width=width,
        highlight=False,
        soft_wrap=False,
        color_system="auto" if styled else None,
        force_terminal=styled,
    )


def _write_table(
    report: Report, unit: str, out: TextIO, width: int | None, styled: bool | None = None
) -> None:
    from rich.text import Text

    console = _console(out, width, styled)
    console.print(Text(printable(report.title), style="bold"))
    columns, sizes, left_out, room = _fitted(report, unit, console.width)
    wide = console if room <= console.width else _wider(console, out, room)
    wide.print(_grid(columns, sizes))
    if left_out:
        note = _left_out_note(report, left_out, unit, console.width)
        console.print(Text(printable(note), style="dim"))
    if report.summary:
        console.print(_summary(report, console.width))
    for line in caption_lines(report, unit):
        console.print(Text(printable(line), style="dim"))


def _wider(console, out: TextIO, width: int):
    from rich.console import Console

    return Console(
        file=out,
        width=width,
        highlight=False,
        soft_wrap=False,
        color_system=console.color_system,
        force_terminal=console.is_terminal,
    )


# --- Markdown ------------------------------------------------------------------------------

# Inline markup (emphasis, code, links, HTML, entities, strikethrough, maths) and the table's
# own cell divider; a backslash first, so that an escape in the data stays text.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&|~$])")
# What makes a line a heading, a quote, a list item or a heading's underline.
_MARKDOWN_BLOCK = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([#>+=\-.)])")


def markdown_text(text: object, *, line: bool = False) -> str:
    """Return text as Markdown shows it literally: markup escaped with backslashes, control
    characters as visible escapes; ``line`` also escapes what would start a block (a
    heading's ``#``, a list's ``-``) at the start of a line of its own."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", str(text))
    if line:
        escaped = _MARKDOWN_BLOCK.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    # After the Markdown escapes: printable's escapes are a backslash and a letter, which
    # Markdown shows as they are.
    return printable(escaped)


def _markdown_row(cells) -> str:
    return "| " + " | ".join(markdown_text(cell) for cell in cells) + " |\n"


def _write_markdown(report: Report, unit: str, out: TextIO) -> None:
    headers, rows, numeric, _ = _display_cells(report, unit)
    out.write(f"**{markdown_text(report.title)}**\n\n")
    out.write(_markdown_row(headers))
    out.write("|" + "|".join("---:" if n else "---" for n in numeric) + "|\n")
    for cells in rows:
        out.write(_markdown_row(cells))
    if report.summary:
        out.write("\n")
        out.write(_markdown_row(report.summary_header or ("",) * len(report.summary[0])))
        out.write("|---" + "|---:" * (len(report.summary[0]) - 1) + "|\n")
        for row in report.summary:
            out.write(_markdown_row(row))
    out.write("\n")
    for line in caption_lines(report, unit):
        out.write(f"{markdown_text(line, line=True)}  \n")
