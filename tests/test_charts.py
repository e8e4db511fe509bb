"""Pictures: bars in the terminal and chart files."""

from __future__ import annotations

import struct

import pytest

from korus.cli import cli


def test_chart_draws_one_bar_a_year_scaled_to_the_largest(runner):
    result = runner.invoke(cli, ["deficit", "--years", "2011-2016", "--chart"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    bars = {line[:4]: line for line in lines if line[:4].isdigit()}
    assert sorted(bars) == ["2011", "2012", "2013", "2014", "2015", "2016"]
    assert bars["2016"].rstrip().endswith("-27,624.6")
    longest = max(line.count("█") for line in bars.values())
    assert bars["2015"].count("█") == longest  # the largest deficit, 2015
    assert bars["2011"].count("█") < bars["2016"].count("█")
    assert all(len(line) <= 80 for line in lines[:9])
    assert "\x1b[" not in result.stdout  # plain characters, no colour codes
    assert "Source: US Census Bureau" in result.stdout


def test_chart_of_mixed_signs_draws_both_sides_of_an_axis(runner):
    result = runner.invoke(cli, ["sectors", "--year", "2016", "--chart"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "│" in line]
    vehicles = next(line for line in lines if line.startswith("87"))
    aircraft = next(line for line in lines if line.startswith("88"))  # a US surplus
    assert vehicles.index("█") < vehicles.index("│")
    assert aircraft.index("█") > aircraft.index("│")


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_a_real_png_of_the_expected_size(runner, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "deficit.png"
    result = runner.invoke(cli, ["deficit", "--years", "2011-2016", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert png_size(target) == (800, 450)
    assert result.stderr == f"wrote the chart to {target}\n"
    assert result.stdout.startswith("year,reporter,partner")  # the data still goes to stdout
    assert [p.name for p in tmp_path.iterdir()] == ["deficit.png"]


def test_plot_writes_svg_too(runner, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "sectors.svg"
    result = runner.invoke(cli, ["sectors", "--year", "2016", "--top", "5", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_plot_to_another_kind_of_file_is_an_error(runner, tmp_path):
    result = runner.invoke(cli, ["deficit", "--years", "2016", "--plot", str(tmp_path / "x.gif")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'x.gif'}: --plot writes .png or .svg files\n"


def test_plot_without_matplotlib_says_how_to_install_it(runner, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = runner.invoke(cli, ["deficit", "--years", "2016", "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --plot needs matplotlib, an optional extra: pip install '.[plot]' in a clone "
        "of korus, or pip install 'korus-trade[plot]'\n"
    )


# --- pictures worth looking at -------------------------------------------------------------


def chart_reports() -> dict:
    """Return a report of each kind of chart, from the shipped data: the ones whose
    pictures scripts/build_docs.py writes into docs/charts."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "build_docs.py"
    spec = importlib.util.spec_from_file_location("build_docs", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chart_reports()


@pytest.fixture(scope="module")
def kinds():
    pytest.importorskip("matplotlib")
    return chart_reports()


def drawn(report):
    """Return the figure of a report drawn with the Agg backend, and its renderer."""
    import matplotlib

    matplotlib.use("Agg")
    from korus.charts import draw

    figure = draw(report, "millions")
    figure.canvas.draw()  # as when saved: labels take their places at drawing time
    return figure, figure.canvas.get_renderer()


def texts_of(figure):
    """Return every piece of text the figure shows (titles, labels, ticks, notes)."""
    found = list(figure.texts)
    for axes in figure.axes:
        found += [axes.title, axes.xaxis.label, axes.yaxis.label, *axes.texts]
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            # Ticks outside the axis's range are not drawn, though they have labels.
            found += [
                tick.label1
                for tick, where in zip(
                    axis.get_major_ticks(), axis.get_majorticklocs(), strict=True
                )
                if low - 1e-9 <= where <= high + 1e-9
            ]
    return [text for text in found if text.get_visible() and text.get_text().strip()]


def overlapping(figure, renderer) -> list[tuple[str, str]]:
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in texts_of(figure)]
    pairs = []
    for index, (first, one) in enumerate(boxes):
        for second, other in boxes[index + 1 :]:
            width = min(one.x1, other.x1) - max(one.x0, other.x0)
            height = min(one.y1, other.y1) - max(one.y0, other.y0)
            if width > 0.5 and height > 0.5:
                pairs.append((first, second))
    return pairs


def outside(figure, renderer) -> list[str]:
    frame = figure.bbox
    return [
        text.get_text()
        for text in texts_of(figure)
        if (box := text.get_window_extent(renderer)).x0 < frame.x0 - 0.5
        or box.x1 > frame.x1 + 0.5
        or box.y0 < frame.y0 - 0.5
        or box.y1 > frame.y1 + 0.5
    ]


SIZES = {
    "deficit": (800, 450),
    "growth": (800, 450),
    "sectors": (800, 780),
    "sectors-share": (800, 480),
    "partners": (800, 540),
    "months": (800, 450),
}


@pytest.mark.parametrize("kind", list(SIZES))
def test_each_kind_of_chart_has_its_size(kinds, kind):
    import io

    import matplotlib.pyplot as plt

    figure, _ = drawn(kinds[kind])
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    data = out.getvalue()
    assert struct.unpack(">II", data[16:24]) == SIZES[kind]


@pytest.mark.parametrize("kind", list(SIZES))
def test_no_text_of_a_chart_overlaps_another(kinds, kind):
    import matplotlib.pyplot as plt

    figure, renderer = drawn(kinds[kind])
    try:
        assert overlapping(figure, renderer) == []
    finally:
        plt.close(figure)


@pytest.mark.parametrize("kind", list(SIZES))
def test_no_text_of_a_chart_is_cut_at_its_edges(kinds, kind):
    import matplotlib.pyplot as plt

    figure, renderer = drawn(kinds[kind])
    try:
        assert outside(figure, renderer) == []
    finally:
        plt.close(figure)


def test_a_long_title_is_wrapped_not_cut(kinds):
    import copy

    import matplotlib.pyplot as plt

    report = copy.copy(kinds["deficit"])
    report.title = "United States trade in goods with South Korea " * 6
    figure, renderer = drawn(report)
    try:
        heading = figure.texts[0]
        assert heading.get_text().count("\n") >= 2
        assert outside(figure, renderer) == [] and overlapping(figure, renderer) == []
    finally:
        plt.close(figure)


def test_sectors_are_drawn_as_horizontal_bars_with_short_labels(kinds):
    import matplotlib.pyplot as plt

    figure, _ = drawn(kinds["sectors"])
    try:
        labels = [text.get_text() for text in figure.axes[0].get_yticklabels()]
        assert len(labels) == 20
        assert labels[0] == "87 Vehicles; other than railw…"
        assert all(len(label) <= 30 for label in labels)
        assert "(the first 20 of 97 shown)" in figure.texts[0].get_text()
    finally:
        plt.close(figure)


def test_a_chart_of_shares_says_percent_not_dollars(kinds):
    import matplotlib.pyplot as plt

    figure, _ = drawn(kinds["sectors-share"])
    try:
        axes = figure.axes[0]
        assert axes.xaxis.label.get_text() == "Share of imports (percent)"
        assert [t.get_text() for t in axes.get_xticklabels()][:2] == ["0%", "6%"]
        assert "dollars" not in figure.texts[1].get_text()
    finally:
        plt.close(figure)


def test_a_chart_of_money_says_its_unit(kinds):
    import matplotlib.pyplot as plt

    figure, _ = drawn(kinds["deficit"])
    try:
        assert figure.axes[0].yaxis.label.get_text() == "Balance (millions of US dollars)"
        assert figure.texts[1].get_text().startswith("Values in millions of US dollars.")
    finally:
        plt.close(figure)


def test_a_chart_of_months_labels_them_as_year_and_month(kinds):
    import matplotlib.pyplot as plt

    figure, _ = drawn(kinds["months"])
    try:
        labels = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
        assert labels == [
            f"{year}-{month:02d}" for year in (2016, 2017) for month in (1, 3, 5, 7, 9, 11)
        ]
    finally:
        plt.close(figure)


def terminal_lines(report, width=80) -> list[str]:
    import io

    from korus.charts import terminal_chart

    out = io.StringIO()
    terminal_chart(report, "millions", out, width)
    return out.getvalue().splitlines()


def growth_report(values):
    from conftest import make_frame
    from korus import metrics, reports

    rows = [(2010 + i, None, "export", "TOTAL", v) for i, v in enumerate(values)]
    flows = metrics.trade_balance(
        metrics.bilateral_flows(
            make_frame(rows), "USA", "KOR", list(range(2010, 2010 + len(values))), ("export",)
        )
    )
    return reports.growth(metrics.year_on_year(flows, "exports"), "millions")


def test_a_terminal_chart_draws_nothing_for_a_missing_or_zero_figure():
    lines = terminal_lines(growth_report([100e6, 100e6, 150e6, 120e6]))
    bars = {line[:4]: line for line in lines if line[:4].isdigit()}
    for year in ("2010", "2011"):  # missing (no year before), then zero change
        assert set(bars[year][6:-8]) <= {" ", "│"}, bars[year]


def test_a_terminal_chart_of_a_fall_has_no_stray_eighth_block():
    lines = terminal_lines(growth_report([100e6, 100e6, 150e6, 120e6, 101e6]))
    falls = [line for line in lines if line.startswith(("2013", "2014"))]
    for line in falls:
        bar = line[6 : line.index("│")].strip()
        assert bar and set(bar) <= {"█", "▐"} and "▐" not in bar[1:], line


def test_a_terminal_chart_of_percentages_says_nothing_of_dollars():
    lines = terminal_lines(growth_report([100e6, 110e6, 121e6]))
    assert lines[1] == "% change"
    assert not any("dollars" in line for line in lines)


def test_a_terminal_chart_of_months_labels_them_as_year_and_month(runner):
    result = runner.invoke(cli, ["deficit", "--months", "2016-11..2017-01", "--chart"])
    assert result.exit_code == 0, result.output
    assert [line[:7] for line in result.stdout.splitlines()[3:6]] == [
        "2016-11",
        "2016-12",
        "2017-01",
    ]
