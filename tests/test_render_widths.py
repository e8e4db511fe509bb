"""Tables never hide digits: on a narrow terminal a table leaves out whole columns and says
which under the table, or wraps text; a figure, a code or a rank is never cut."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import make_frame
from korus import render as render_module
from korus.cli import cli
from korus.readers.tidy import write_csv
from korus.render import PROVENANCE, UNITS, Report, format_money, format_percent, render

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = [40, 60, 80, 120]


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


def table(report: Report, width: int, unit: str = "millions") -> str:
    out = io.StringIO()
    render(report, "table", unit, out, width=width)
    return out.getvalue()


def body(text: str) -> str:
    """Return the rows of the main table: from the rule under its header to its last row."""
    lines = [line.rstrip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("─"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i])
    return "\n".join(lines[start + 1 : end])


def left_out(text: str) -> list[str]:
    """Return the machine names of the columns the note under the table says are left out."""
    flat = " ".join(line.strip() for line in text.splitlines())
    match = re.search(r"Left out to fit \d+ columns: (.*?); --format csv has every column\.", flat)
    return re.findall(r"\(([a-z_]+)\)", match.group(1)) if match else []


def whole(figure: str, text: str) -> bool:
    """Return whether a figure appears in text whole: not cut, not wrapped, not part of
    another figure."""
    return re.search(rf"(?<![\w.,%+$-]){re.escape(figure)}(?![\w.,%])", text) is not None


def four_figures(**changes) -> Report:
    frame = pd.DataFrame(
        {
            "year": [2011, 2016],
            "exports": [43_461_636_035.0, 42_262_186_687.0],
            "imports": [56_661_359_461.0, 69_886_778_026.0],
            "balance": [-13_199_723_426.0, -27_624_591_339.0],
            "total": [100_122_995_496.0, 112_148_964_713.0],
        }
    )
    fields = {
        "title": "Trade",
        "frame": frame,
        "money": ["exports", "imports", "balance", "total"],
        "labels": {"year": "Year", "exports": "Exports", "imports": "Imports"},
    }
    return Report(**{**fields, **changes})


# --- leaving columns out -------------------------------------------------------------------


def test_a_table_too_wide_for_the_terminal_says_which_columns_it_left_out():
    text = table(four_figures(), 40, unit="usd")
    flat = " ".join(line.strip() for line in text.splitlines())
    assert (
        "Left out to fit 40 columns: total (total_usd), balance (balance_usd), Imports "
        "(imports_usd); --format csv has every column." in flat
    )


def test_a_table_too_wide_for_the_terminal_shows_the_columns_it_keeps_whole():
    rows = body(table(four_figures(), 40, unit="usd")).splitlines()
    assert [row.split() for row in rows] == [["2011", "43,461,636,035"], ["2016", "42,262,186,687"]]


def test_a_table_that_fits_has_no_note_about_columns_left_out():
    assert "Left out" not in table(four_figures(), 80)


def test_the_figure_a_report_is_about_is_the_last_left_out():
    text = table(four_figures(series=(["year"], "balance")), 40, unit="usd")
    assert left_out(text) == ["total_usd", "imports_usd", "exports_usd"]
    assert whole("-27,624,591,339", body(text))


def test_a_name_is_left_out_before_any_figure():
    frame = pd.DataFrame(
        {
            "rank": [1],
            "partner": ["KOR"],
            "partner_name": ["Korea, Republic of (South Korea)"],
            "exports": [42_262_186_687.0],
            "imports": [69_886_778_026.0],
        }
    )
    report = Report(title="Partners", frame=frame, money=["exports", "imports"])
    assert left_out(table(report, 40)) == ["partner_name"]


def test_the_first_column_a_rank_and_a_code_are_never_left_out():
    frame = pd.DataFrame(
        {
            "claim": ["a-long-claim-identifier"],
            "rank": [12],
            "product": ["870323"],
            "value": [1_234_567_890_123.0],
        }
    )
    report = Report(title="Codes", frame=frame, money=["value"])
    text = table(report, 30, unit="usd")
    assert left_out(text) == ["value_usd"]
    assert body(text).split() == ["a-long-claim-identifier", "12", "870323"]


def test_columns_that_must_stay_print_whole_even_past_the_terminal_width():
    frame = pd.DataFrame({"product": ["870323"], "partner": ["KOR"], "year": [2016]})
    lines = body(table(Report(title="Codes", frame=frame), 12)).splitlines()
    assert lines == ["  870323    KOR       2016"]


def test_a_column_the_report_keeps_is_left_out_after_the_others():
    frame = pd.DataFrame(
        {
            "claim": ["deficit-2016"],
            "definition": ["all goods"],
            "korus": ["$27.62 billion"],
            "verdict_text": ["matches"],
        }
    )
    report = Report(title="Claims", frame=frame, table_keep=["korus", "verdict_text"])
    assert left_out(table(report, 40)) == ["definition"]


# --- names and wrapped text ----------------------------------------------------------------


def test_a_long_name_is_shortened_before_a_figure_in_it_never_through_it():
    frame = pd.DataFrame(
        {"product": ["8703"], "product_name": ["Cars of heading 8703.23.01 for people"]}
    )
    report = Report(title="Names", frame=frame, long_text=["product_name"])
    assert body(table(report, 32)).split() == ["8703", "Cars", "of", "heading…"]


def test_wrapped_text_never_splits_a_figure_across_lines():
    frame = pd.DataFrame(
        {"claim": ["a"], "detail": ["off by -4,684,000,000.5 billion (-19.5% of the stated)"]}
    )
    report = Report(title="Detail", frame=frame, wrap=["detail"])
    text = table(report, 30)
    assert whole("-4,684,000,000.5", body(text))
    assert left_out(text) == []


def test_wrapped_text_too_narrow_for_a_figure_in_it_is_left_out_rather_than_split():
    frame = pd.DataFrame({"claim": ["a"], "detail": ["off by -4,684,000,000.5 billion"]})
    report = Report(title="Detail", frame=frame, wrap=["detail"])
    assert left_out(table(report, 27)) == ["detail"]


def test_a_summary_too_wide_for_the_terminal_lists_each_row_figure_by_figure():
    report = four_figures(
        summary=[("Deficit (imports - exports)", "13,199,723,426", "27,624,591,339", "+109.3%")],
        summary_header=("2011 to 2016", "2011", "2016", "% change"),
    )
    lines = [line.rstrip() for line in table(report, 40, unit="usd").splitlines()]
    below = [line.split() for line in lines[lines.index("  2011 to 2016") :]]
    assert below[:6] == [
        ["2011", "to", "2016"],
        ["Deficit", "(imports", "-"],
        ["exports)"],
        ["2011", "13,199,723,426"],
        ["2016", "27,624,591,339"],
        ["%", "change", "+109.3%"],
    ]


# --- every report the command line prints, at every width ----------------------------------


def two_files(folder: Path) -> list[str]:
    usa = make_frame(
        [(2016, None, "export", "TOTAL", 42_262_186_687.0), (2016, 3, "import", "87", 5.5e9)],
        source="US side",
    )
    kor = make_frame(
        [(2016, None, "export", "TOTAL", 66_462_310_000.0)],
        reporter="KOR",
        partner="USA",
        source="Korea side",
    )
    write_csv(usa, folder / "united-states-side-of-the-trade-2016.csv")
    write_csv(kor, folder / "korea-side-of-the-trade-2016.csv")
    return [
        str(folder / "united-states-side-of-the-trade-2016.csv"),
        str(folder / "korea-side-of-the-trade-2016.csv"),
    ]


KINDS = {
    "deficit": ["deficit", "--years", "2011-2016"],
    "deficit in dollars": ["deficit", "--years", "2011-2016", "--unit", "usd"],
    "growth": ["growth", "--years", "2011,2013,2016"],
    "sectors": ["sectors", "--year", "2016", "--flow", "imports", "--top", "5"],
    "sectors since": ["sectors", "--year", "2016", "--since", "2011", "--top", "5"],
    "partners": ["partners", "--year", "2016", "--top", "8"],
    "partners in dollars": ["partners", "--year", "2016", "--by", "balance", "--unit", "usd"],
    "mirror": ["mirror", "--years", "2014-2016"],
    "check": ["check", str(ROOT / "examples" / "korus-2017-article.toml"), "--exit-zero"],
    "inspect": ["inspect"],
}


def cli_report(runner: CliRunner, args: list[str], width: int) -> tuple[Report, str, str]:
    """Return the report a command prints, its unit, and its table at ``width`` columns."""
    printed = []
    real = render_module.render

    def spy(report, fmt, unit, out, **options):
        printed.append((report, unit))
        real(report, fmt, unit, out, **options)

    env = {"COLUMNS": str(width), "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render_module, "render", spy)
        result = runner.invoke(cli, [*args, "--format", "table"], env=env)
    assert result.exit_code == 0, result.output
    report, unit = printed[0]
    return report, unit, result.stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Return a function giving each kind's report, unit and table at a width, run once."""
    files = two_files(tmp_path_factory.mktemp("inspect"))
    runner = CliRunner()
    runs: dict[tuple[str, int], tuple[Report, str, str]] = {}

    def run(kind: str, width: int) -> tuple[Report, str, str]:
        if (kind, width) not in runs:
            args = KINDS[kind] + (files if kind == "inspect" else [])
            runs[kind, width] = cli_report(runner, args, width)
        return runs[kind, width]

    return run


def shown_figures(report: Report, unit: str) -> dict[str, list[str]]:
    """Return, for each column the machine output has and the table may show, the figures
    in it as a table prints them (a report's hidden columns are said elsewhere, in the
    title or the caption)."""
    out = io.StringIO()
    render(report, "csv", unit, out)
    machine = pd.read_csv(io.StringIO(out.getvalue()), dtype=str, keep_default_na=False)
    factor = UNITS[unit][0]
    figures = {}
    for column, name in zip(report.frame.columns, machine.columns, strict=True):
        if column in report.table_hidden or column in PROVENANCE or column in report.long_text:
            continue
        cells = [cell.removeprefix("'") for cell in machine[name] if cell]
        if column in report.money:
            shown = [format_money(float(cell) * factor, unit) for cell in cells]
        elif column in report.percent:
            signed = column != "share_pct"
            shown = [format_percent(float(cell), signed=signed) for cell in cells]
        elif column in report.points:
            shown = [format_percent(float(cell), signed=True)[:-1] + " pp" for cell in cells]
        else:
            # Text and whole numbers: every figure or code in it, as written.
            shown = [
                token
                for cell in cells
                for token in cell.split()
                if re.search(r"\d", token) and len(token) <= render_module.UNBREAKABLE
            ]
        figures[name] = shown
    return figures


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_figure_of_the_machine_output_is_in_the_table_whole_or_its_column_is_named(
    printed, kind, width
):
    report, unit, text = printed(kind, width)
    rows, named = body(text), left_out(text)
    missing = {
        name: [figure for figure in figures if not whole(figure, rows)]
        for name, figures in shown_figures(report, unit).items()
        if name not in named
    }
    assert {name: cut for name, cut in missing.items() if cut} == {}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_no_line_of_a_table_is_wider_than_the_terminal(printed, kind, width):
    _, _, text = printed(kind, width)
    assert max(len(line) for line in text.splitlines()) <= width
