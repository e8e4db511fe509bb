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
