"""Pictures of a report's series: bars in the terminal, and PNG/SVG files via matplotlib.

Like render.py, this module only draws what a Report already holds; it computes nothing.
matplotlib is an optional extra (``pip install '.[plot]'`` in a clone, the distribution
korus-trade's ``plot`` extra), imported only for --plot.

Years and months are drawn as columns, left to right; product groups and partners as
horizontal bars, largest first, each with a short label. A money chart says its unit; a
chart of percentages says percent. A missing figure draws no bar (n/a), never a zero.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TextIO

from korus.errors import KorusError
from korus.render import UNITS, Report, caption_lines, format_money, format_percent, printable

EIGHTHS = " ▏▎▍▌▋▊▉"
# Columns that make a series a time series: drawn left to right, not as ranked bars.
TIME_LABELS = (["year"], ["year", "month"])
LABEL_CHARACTERS = 30  # a bar's label in a chart file, at most
MOST_BARS = 20  # a chart file shows at most this many groups or partners (the first ones)


def _label(frame, columns: list[str], row: int) -> str:
    """Return a row's label: "2016", "2016-09", "87 Vehicles...", "China"."""
    if columns == ["year", "month"]:
        return f"{frame['year'].iloc[row]}-{int(frame['month'].iloc[row]):02d}"
    return " ".join(str(frame[column].iloc[row]) for column in columns)


def _series(report: Report) -> tuple[list[str], list[float], str]:
    if report.series is None:
        raise KorusError("this command has no series to draw; use a table or CSV")
    labels, values = report.series
    frame = report.frame
    names = [_label(frame, labels, i) for i in range(len(frame))]
    numbers = [float(v) if v is not None and v == v else math.nan for v in frame[values]]
    return names, numbers, values


def _bar(length: float) -> str:
    """Return a bar growing rightwards: whole blocks and an eighth block at its end."""
    whole = int(length)
    part = int(round((length - whole) * 8))
    if part == 8:
        whole, part = whole + 1, 0
    return "█" * whole + (EIGHTHS[part] if part else "")


def _bar_leftwards(length: float) -> str:
    """Return a bar growing leftwards: whole blocks and, at its start, a right half block.
    Unicode has no right-aligned eighths, and a left-aligned one there would stand apart
    from the bar like a stray block."""
    halves = int(round(length * 2))
    return ("▐" if halves % 2 else "") + "█" * (halves // 2)


def _unit_words(report: Report, column: str, unit: str) -> str:
    """Return what the drawn figures are in: the money unit, percent or percentage points."""
    if column in report.money:
        return UNITS[unit][1]
    if column in report.points:
        return "percentage points"
    return "percent"


def _caption(report: Report, column: str, unit: str) -> list[str]:
    """Return the caption of a chart: a chart of percentages never says "Values in US
    dollars", whatever the other columns of its table are in."""
    lines = caption_lines(report, unit)
    if column not in report.money:
        lines = [line for line in lines if not line.startswith("Values in ")]
    return lines


def terminal_chart(report: Report, unit: str, out: TextIO, width: int = 80) -> None:
    """Write horizontal bars of the report's series, in plain characters (no colour)."""
    names, numbers, column = _series(report)
    names = [printable(name) for name in names]  # text from files never acts on the terminal
    money = column in report.money

    def shown(value: float) -> str:
        if math.isnan(value):
            return "n/a"
        return format_money(value * UNITS[unit][0], unit) if money else format_percent(value)

    scale = UNITS[unit][0] if money else 1.0
    numbers = [n / scale for n in numbers]
    texts = [shown(n) for n in numbers]
    numbers = [0.0 if math.isnan(n) else n for n in numbers]  # no figure: no bar
    label_width = min(28, max(len(n) for n in names))
    value_width = max(len(t) for t in texts)
    room = max(10, width - label_width - value_width - 4)
    biggest = max((abs(n) for n in numbers), default=0.0) or 1.0
    both = any(n < 0 for n in numbers) and any(n > 0 for n in numbers)
    half = room // 2
    what = printable(report.labels.get(column, column))
    words = _unit_words(report, column, unit)
    heading = what if words == "percent" and "%" in what else f"{what}, {words}"
    out.write(f"{printable(report.title)}\n{heading}\n\n")
    for name, number, text in zip(names, numbers, texts, strict=True):
        label = name if len(name) <= label_width else name[: label_width - 1] + "…"
        if both:
            size = abs(number) / biggest * (half - 1)
            left = _bar_leftwards(size) if number < 0 else ""
            right = _bar(size) if number > 0 else ""
            bar = f"{left:>{half - 1}}│{right:<{half - 1}}"
        else:
            bar = f"{_bar(abs(number) / biggest * room):<{room}}"
        out.write(f"{label:<{label_width}}  {bar}  {text:>{value_width}}\n")
    out.write("\n")
    for line in _caption(report, column, unit):
        out.write(printable(line) + "\n")


def _short(text: str, size: int = LABEL_CHARACTERS) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip(" ,;") + "…"


def _wrapped(figure, renderer, text: str, share: float = 0.96, **style) -> str:
    """Return ``text`` wrapped at words so that each line fits ``share`` of the figure's
    width in ``style`` (fontsize, fontweight: measured, not guessed)."""
    room = figure.bbox.width * share
    width = max(20, len(text))
    while True:
        lines = textwrap.wrap(text, width) or [""]
        probe = figure.text(0, 0, "\n".join(lines), **style)
        wide = probe.get_window_extent(renderer).width
        probe.remove()
        if wide <= room or width <= 20:
            return "\n".join(lines)
        width = max(20, int(width * room / wide) - 1)


def plot_file(report: Report, unit: str, path: Path) -> None:
    """Write the report's series as a labelled bar chart to a PNG or SVG file."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise KorusError(f"{path}: --plot writes .png or .svg files")
    if not Path(path).resolve().parent.is_dir():
        raise KorusError(f"{path}: cannot write the chart there: no such folder")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise KorusError(
            "--plot needs matplotlib, an optional extra: pip install '.[plot]' in a clone of "
            "korus, or pip install 'korus-trade[plot]'"
        ) from None
    figure = draw(report, unit)
    # Written beside the target and renamed, so an interrupted run leaves no broken file.
    temporary = Path(path).with_name(f".{Path(path).name}.part")
    try:
        figure.savefig(temporary, format=suffix[1:])
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
        plt.close(figure)


def draw(report: Report, unit: str):
    """Return a matplotlib figure of the report's series (the Agg backend is the caller's
    choice): columns for years and months, horizontal bars for groups and partners."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    names, numbers, column = _series(report)
    names = [printable(name) for name in names]
    money = column in report.money
    factor = UNITS[unit][0] if money else 1.0
    values = [n / factor for n in numbers]
    over_time = report.series[0] in TIME_LABELS
    title = printable(report.title)
    if not over_time and len(values) > MOST_BARS:
        title += f" (the first {MOST_BARS} of {len(values)} shown)"
        names, values = names[:MOST_BARS], values[:MOST_BARS]
    height = 4.5 if over_time else max(4.5, 1.8 + 0.3 * len(values))
    figure, axes = plt.subplots(figsize=(8, height), dpi=100)
    drawn = [0.0 if math.isnan(v) else v for v in values]
    colours = ["#b2182b" if v < 0 else "#2166ac" for v in drawn]
    positions = list(range(len(values)))
    if over_time:
        axes.bar(positions, drawn, color=colours)
        every = max(1, math.ceil(len(names) / 12))  # at most 12 labels: none overlap
        axes.set_xticks(positions, [n if i % every == 0 else "" for i, n in enumerate(names)])
        axes.axhline(0, color="black", linewidth=0.8)
        value_axis = axes.yaxis
    else:
        axes.barh(positions, drawn, color=colours)
        axes.set_yticks(positions, [_short(name) for name in names], fontsize=8)
        axes.invert_yaxis()  # the first (largest) at the top
        axes.axvline(0, color="black", linewidth=0.8)
        value_axis = axes.xaxis
        axes.xaxis.set_major_locator(MaxNLocator(6))
    for position, value in zip(positions, values, strict=True):
        if math.isnan(value):  # no figure: no bar, and said so where the bar would be
            x, y = (position, 0) if over_time else (0, position)
            axes.text(x, y, " n/a", fontsize=7, va="center", ha="left", color="#555555")
    if money:
        value_axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    else:
        signed = column in report.points or column == "pct_change"
        suffix = " pp" if column in report.points else "%"
        value_axis.set_major_formatter(
            FuncFormatter(lambda x, _: f"{x:+.0f}{suffix}" if signed and x else f"{x:.0f}{suffix}")
        )
    what = printable(report.labels.get(column, column))
    words = _unit_words(report, column, unit)
    value_axis.set_label_text(what if "%" in what else f"{what} ({words})", fontsize=9)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    renderer = figure.canvas.get_renderer()
    bold = {"fontsize": 11, "fontweight": "bold"}
    heading = figure.text(
        0.5, 0.98, _wrapped(figure, renderer, title, **bold), ha="center", va="top", **bold
    )
    notes = [
        line
        for line in _caption(report, column, unit)
        if line.startswith(("Values", "Source:", "Basis:"))
    ]
    small = {"fontsize": 7}
    footnote = figure.text(
        0.01, 0.01, _wrapped(figure, renderer, " ".join(notes), **small), va="bottom", **small
    )
    top = heading.get_window_extent(renderer).height / figure.bbox.height
    bottom = footnote.get_window_extent(renderer).height / figure.bbox.height
    figure.tight_layout(rect=(0, bottom + 0.02, 1, 0.97 - top))
    return figure
