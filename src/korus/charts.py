"""Pictures of a report's series: bars in the terminal, and PNG/SVG files via matplotlib.

Like render.py, this module only draws what a Report already holds; it computes nothing.
matplotlib is an optional extra (``pip install '.[plot]'`` in a clone, the distribution
korus-trade's ``plot`` extra), imported only for --plot.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TextIO

from korus.errors import KorusError
from korus.render import UNITS, Report, caption_lines, format_money, format_percent, printable

EIGHTHS = " ▏▎▍▌▋▊▉"


def _series(report: Report) -> tuple[list[str], list[float], str]:
    if report.series is None:
        raise KorusError("this command has no series to draw; use a table or CSV")
    labels, values = report.series
    frame = report.frame
    names = [" ".join(str(frame[c].iloc[i]) for c in labels) for i in range(len(frame))]
    numbers = [float(v) if v is not None and v == v else math.nan for v in frame[values]]
    return names, numbers, values


def _bar(length: float) -> str:
    whole = int(length)
    part = int(round((length - whole) * 8))
    if part == 8:
        whole, part = whole + 1, 0
    return "█" * whole + (EIGHTHS[part] if part else "")


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
    out.write(f"{printable(report.title)}\n{what}, {UNITS[unit][1] if money else 'percent'}\n\n")
    for name, number, text in zip(names, numbers, texts, strict=True):
        label = name if len(name) <= label_width else name[: label_width - 1] + "…"
        if both:
            size = abs(number) / biggest * (half - 1)
            left = _bar(size)[::-1] if number < 0 else ""
            right = _bar(size) if number > 0 else ""
            bar = f"{left:>{half - 1}}│{right:<{half - 1}}"
        else:
            bar = f"{_bar(abs(number) / biggest * room):<{room}}"
        out.write(f"{label:<{label_width}}  {bar}  {text:>{value_width}}\n")
    out.write("\n")
    for line in caption_lines(report, unit):
        out.write(printable(line) + "\n")


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
    names, numbers, column = _series(report)
    money = column in report.money
    factor = UNITS[unit][0] if money else 1.0
    values = [n / factor for n in numbers]
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    colours = ["#b2182b" if v < 0 else "#2166ac" for v in values]
    axes.bar(range(len(values)), values, color=colours)
    axes.set_xticks(
        range(len(values)),
        names,
        rotation=45 if len(names) > 8 else 0,
        ha="right" if len(names) > 8 else "center",
    )
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_ylabel(
        f"{report.labels.get(column, column)} ({UNITS[unit][1] if money else 'percent'})"
    )
    axes.set_title(report.title, fontsize=10)
    footnote = " ".join(
        line for line in caption_lines(report, unit) if line.startswith(("Source:", "Basis:"))
    )
    figure.text(0.01, 0.01, footnote, fontsize=6, wrap=True)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    # Written beside the target and renamed, so an interrupted run leaves no broken file.
    temporary = Path(path).with_name(f".{Path(path).name}.part")
    try:
        figure.savefig(temporary, format=suffix[1:])
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
        plt.close(figure)
