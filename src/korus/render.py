"""The one place that turns results into text: rich tables, CSV, TSV, JSON and Markdown.

A :class:`Report` is one tidy frame plus what a person needs around it. Machine formats
(CSV, TSV, JSON) print the frame alone, raw numbers at full precision, the unit in each
money column's name, provenance as columns. People's formats (table, Markdown) group and
round numbers and put source, unit and basis in a caption, with the summary underneath.
"""

from __future__ import annotations

import csv
import json
import math
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
FORMATS = ("auto", "table", "csv", "tsv", "json", "markdown")
PROVENANCE = ("products", "source", "basis", "vintage")
# A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    series: tuple[list[str], str] | None = None  # (label columns, value column) to draw
    notes: list[str] = field(default_factory=list)
    # Notes a pipeline must hear too: printed on stderr with the machine formats.
    warnings: list[str] = field(default_factory=list)


def scale(unit: str) -> float:
    return UNITS[unit][0]


def machine_frame(report: Report, unit: str) -> pd.DataFrame:
    """Return the frame as machine formats print it: scaled money, unit in column names."""
    factor, _, suffix = UNITS[unit]
    out = report.frame.copy()
    # Cents are the finest figure any source publishes; rounding there removes the float
    # noise of unit conversion (115594.78447699998 -> 115594.784477) and loses nothing.
    decimals = 2 + round(math.log10(factor))
    for column in report.money:
        out[column] = (out[column] / factor).round(decimals)
    return out.rename(columns={column: f"{column}_{suffix}" for column in report.money})


def render(report: Report, fmt: str, unit: str, out: TextIO, *, width: int | None = None) -> None:
    """Write ``report`` to ``out`` in format ``fmt`` (auto is resolved by the caller)."""
    if fmt == "csv":
        _write_delimited(machine_frame(report, unit), out, ",")
    elif fmt == "tsv":
        _write_delimited(machine_frame(report, unit), out, "\t")
    elif fmt == "json":
        _write_json(machine_frame(report, unit), out)
    elif fmt == "markdown":
        _write_markdown(report, unit, out)
    elif fmt == "table":
        _write_table(report, unit, out, width)
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


def _safe_text(value: str) -> str:
    """Return text that a spreadsheet will show rather than run (a leading apostrophe)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _write_delimited(frame: pd.DataFrame, out: TextIO, delimiter: str) -> None:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([_safe_text(str(column)) for column in frame.columns])
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            value = _plain(value)
            if value is None:
                cells.append("")
            elif isinstance(value, str):
                cells.append(_safe_text(value))
            else:
                cells.append(repr(value) if isinstance(value, float) else str(value))
        writer.writerow(cells)


def _write_json(frame: pd.DataFrame, out: TextIO) -> None:
    records = [
        {column: _plain(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]
    json.dump(records, out, indent=2, ensure_ascii=False, allow_nan=False)
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
        if column in report.frame.columns:
            values = sorted({str(v) for v in report.frame[column].dropna().unique() if str(v)})
            if column == "products" and values == [ALL_GOODS]:
                continue  # the title says "goods": all of them
            if values:
                text = "; ".join(values)
                lines.append(f"{column.capitalize()}: {text}{'' if text.endswith('.') else '.'}")
    return lines + report.notes


def _grid(report: Report, headers, rows, numeric, columns, width: int):
    """Return the rich table with every column's width fixed: numbers and codes as wide as
    their longest cell (a header wraps at its words instead), long names taking the room
    that is left (at most 44 characters, cut with an ellipsis)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    flexible = [c in report.long_text or c in report.wrap for c in columns]

    def sizes_for(header_width) -> tuple[list[int], int]:
        sizes = [
            max([len(row[index]) for row in rows] + [header_width(header)])
            for index, header in enumerate(headers)
        ]
        # Each column has one space of padding either side and a one-space divider; the
        # table has one more space at each edge.
        used = sum(size for size, loose in zip(sizes, flexible, strict=True) if not loose)
        return sizes, width - used - 3 * len(columns) - 1

    # Headers on one line where the names keep at least 24 characters; else they wrap.
    sizes, spare = sizes_for(len)
    if spare < 24 * sum(flexible):
        sizes, spare = sizes_for(lambda header: max(map(len, header.split()), default=1))
    # The spare room goes to the flexible columns narrowest first: a short one gets all it
    # needs, the widest share what is left.
    rooms: dict[int, int] = {}
    loose = sorted((sizes[i], i) for i, flag in enumerate(flexible) if flag)
    left = spare
    for position, (size, index) in enumerate(loose):
        cap = 44 if columns[index] in report.long_text else size
        rooms[index] = max(6, min(cap, size, left // (len(loose) - position)))
        left -= rooms[index]
    table = Table(box=box.SIMPLE_HEAD)
    for index, (header, is_number, column) in enumerate(
        zip(headers, numeric, columns, strict=True)
    ):
        if column in report.long_text:
            table.add_column(Text(header), width=rooms[index], no_wrap=True, overflow="ellipsis")
        elif column in report.wrap:
            table.add_column(Text(header), width=rooms[index], overflow="fold")
        else:
            table.add_column(
                Text(header), justify="right" if is_number else "left", width=sizes[index]
            )
    for cells in rows:
        table.add_row(*(Text(cell) for cell in cells))
    return table


def _write_table(report: Report, unit: str, out: TextIO, width: int | None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, width=width, highlight=False, soft_wrap=False)
    headers, rows, numeric, columns = _display_cells(report, unit)
    console.print(Text(report.title, style="bold"))
    table = _grid(report, headers, rows, numeric, columns, console.width)
    console.print(table)
    if report.summary:
        summary = Table(box=box.SIMPLE_HEAD, show_header=bool(report.summary_header))
        for index, header in enumerate(report.summary_header or report.summary[0]):
            summary.add_column(
                Text(header if report.summary_header else ""),
                justify="left" if index == 0 else "right",
            )
        for row in report.summary:
            summary.add_row(*(Text(cell) for cell in row))
        console.print(summary)
    for line in caption_lines(report, unit):
        console.print(Text(line, style="dim"))


def _markdown_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _write_markdown(report: Report, unit: str, out: TextIO) -> None:
    headers, rows, numeric, _ = _display_cells(report, unit)
    out.write(f"**{_markdown_escape(report.title)}**\n\n")
    out.write("| " + " | ".join(_markdown_escape(h) for h in headers) + " |\n")
    out.write("|" + "|".join("---:" if n else "---" for n in numeric) + "|\n")
    for cells in rows:
        out.write("| " + " | ".join(_markdown_escape(c) for c in cells) + " |\n")
    if report.summary:
        out.write("\n")
        header = report.summary_header or ("",) * len(report.summary[0])
        out.write("| " + " | ".join(_markdown_escape(h) for h in header) + " |\n")
        out.write("|---" + "|---:" * (len(header) - 1) + "|\n")
        for row in report.summary:
            out.write("| " + " | ".join(_markdown_escape(c) for c in row) + " |\n")
    out.write("\n")
    for line in caption_lines(report, unit):
        out.write(f"{_markdown_escape(line)}  \n")
