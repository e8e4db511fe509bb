"""The trust layer's rules hold for every layout korus reads.

One suite, parametrized over the file writers of ``tests/fixtures`` (one per layout): each
test writes a small file of one layout in its real shape, breaks it the way files are
broken (a row pasted twice, a month's digit changed, a hidden sheet), and asserts what korus
does with it, through the command line (the exact ``Error:`` line) or through the frame it
reads. Every read is checked to account for its rows (read = kept + set aside).

Where a rule cannot apply to a layout, the layout is skipped with the reason written beside
the test; where korus breaks a rule for a layout, the test is written as it should be and
marked ``xfail(strict=True)`` naming the wrong behaviour.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from fixtures import (
    LAYOUTS,
    USUAL_YEAR,
    Figure,
    InUnit,
    Layout,
    Row,
    Sheet,
    partners_of,
    repeated,
    reporter_of,
    trade,
    write_workbook,
    year_of_trade,
)
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers.common import SHEET


def layouts(skip: dict[str, str] | None = None, xfail: dict[str, str] | None = None) -> list:
    """Return one pytest parameter per layout; those a rule cannot apply to skipped with the
    reason, those where korus breaks the rule marked xfail (strict) with the wrong
    behaviour."""
    skip, xfail = skip or {}, xfail or {}
    unknown = (set(skip) | set(xfail)) - set(LAYOUTS)
    assert not unknown, f"no such layouts: {unknown}"
    params = []
    for name, layout in LAYOUTS.items():
        marks = []
        if name in skip:
            marks.append(pytest.mark.skip(reason=f"{name}: {skip[name]}"))
        if name in xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=f"{name}: {xfail[name]}"))
        params.append(pytest.param(layout, id=name, marks=marks))
    return params


def what(figure: Figure) -> str:
    """A figure in korus's words: "USA exports, partner KOR, product TOTAL, 2016-01"."""
    period = str(figure.year) + ("" if figure.month is None else f"-{figure.month:02d}")
    return (
        f"{figure.reporter} {figure.flow}s, partner {figure.partner}, product {figure.product}, "
        f"{period}"
    )


def usd(amount: float) -> str:
    """A whole number of dollars as korus writes it in messages: 1,200,000,000."""
    assert amount == int(amount)
    return f"{int(amount):,}"


def error_line(result) -> str:
    """Return the one line a refusal prints, after checking that it is all it does."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.rstrip("\n")


def inspect(runner, paths: list[Path], *options: str):
    return runner.invoke(cli, ["inspect", *map(str, paths), "--format", "json", *options])


def fields(result) -> dict[str, str]:
    """Return the first value of each field of ``korus inspect --format json``."""
    assert result.exit_code == 0, result.output
    found: dict[str, str] = {}
    for row in json.loads(result.stdout):
        found.setdefault(row["field"], row["value"])
    return found


def load(paths: list[Path], dedupe: bool = False):
    """Return the reading of files, after checking that every file accounts for its rows."""
    reading = readers.load(list(paths), dedupe=dedupe)
    for account in reading.accounting:
        assert account.rows_read == account.rows_kept + account.rows_set_aside, account
    return reading


def folder(tmp_path: Path, name: str) -> Path:
    """Return a new folder for one file of a test (files of one layout share names)."""
    path = tmp_path / name
    path.mkdir()
    return path


# =============================================================================== rule 1
# The same figure twice inside one file is never added.


@pytest.mark.parametrize("layout", layouts())
def test_an_exact_repeat_of_a_row_is_refused_naming_both_lines(runner, tmp_path, layout):
    rows = layout.rows(trade(layout))
    path = layout.save(tmp_path, repeated(rows))
    hint = f"; {layout.repeat_hint}" if layout.repeat_hint else ""
    assert error_line(inspect(runner, [path])) == (
        f"Error: {path}: 1 row repeats another row exactly, e.g. {layout.where(rows, 1)} "
        f"repeats {layout.where(rows, 0)} ({what(rows[0].figures[0])}); remove the repeats, "
        f"or pass --dedupe to drop them (they are counted){hint}"
    )


@pytest.mark.parametrize("layout", layouts())
def test_with_dedupe_an_exact_repeat_is_dropped_counted_and_said(runner, tmp_path, layout):
    rows = layout.rows(trade(layout))
    path = layout.save(tmp_path, repeated(rows))
    result = inspect(runner, [path], "--dedupe")
    assert result.stderr == (
        f"Note: {path}: 1 row repeats another row exactly (e.g. {layout.where(rows, 1)} "
        f"repeats {layout.where(rows, 0)}): each kept once (--dedupe)\n"
    )
    found = fields(result)
    counted = (found["rows read"], found["rows kept"], found["rows set aside"])
    assert counted == (str(len(rows) + 1), str(len(rows)), "1")


@pytest.mark.parametrize("layout", layouts())
def test_with_dedupe_a_file_with_a_repeat_gives_the_figures_of_the_file_without_it(
    tmp_path, layout
):
    rows = layout.rows(trade(layout))
    clean = layout.save(folder(tmp_path, "clean"), rows)
    twice = layout.save(folder(tmp_path, "twice"), repeated(rows))
    expected = load([clean]).frame
    pd.testing.assert_frame_equal(load([twice], dedupe=True).frame, expected)


@pytest.mark.parametrize("options", [[], ["--dedupe"]], ids=["plain", "dedupe"])
@pytest.mark.parametrize("layout", layouts())
def test_the_same_figure_with_two_values_is_refused_naming_both_lines(
    runner, tmp_path, layout, options
):
    rows = layout.rows(trade(layout))
    first = rows[0].figures[0]
    other = layout.changed(rows[0], 0, 2 * first.value)
    path = layout.save(tmp_path, [rows[0], other, *rows[1:]])
    hint = f"; {layout.repeat_hint}" if layout.repeat_hint else ""
    assert error_line(inspect(runner, [path], *options)) == (
        f"Error: {path}: {layout.where(rows, 1)} and {layout.where(rows, 0)} give "
        f"{what(first)} twice with different values ({usd(2 * first.value)} and "
        f"{usd(first.value)} US dollars); korus cannot know which is right: keep one version "
        f"of each figure{hint}"
    )


# A source's several codes for one country: (partner, its two codes, the note korus adds).
SUDAN_CENSUS = (
    "SDN",
    "7320",
    "7321",
    "Census codes 7320, 7321 are all SDN: their values are added",
)
SUDAN_COMTRADE = (
    "SDN",
    "729",
    "736",
    "Comtrade partner codes 729, 736 are all SDN: their values are added",
)
SEVERAL_CODES = {
    "census-country": SUDAN_CENSUS,
    "census-enduse": SUDAN_CENSUS,
    "census-enduse-xlsx": SUDAN_CENSUS,
    "census-api-json": SUDAN_CENSUS,
    "census-api-csv": SUDAN_CENSUS,
    "comtrade-legacy": SUDAN_COMTRADE,
    "comtrade-plus-csv": SUDAN_COMTRADE,
    "comtrade-plus-json": SUDAN_COMTRADE,
    "baci": (
        "DEU",
        "276",
        "280",
        "flows of BACI codes that map to one korus country were added together (276 -> "
        "DEU, 280 -> DEU)",
    ),
    "kosis-annual": (
        "NAM",
        "NAM",
        "NA",
        "partner codes NA, NAM are all NAM: their values are added",
    ),
}
NO_SOURCE_CODES = {
    "korus-csv": "korus's own files hold korus codes, not a source's",
    "korus-parquet": "korus's own files hold korus codes, not a source's",
    "census-balance-page": "a balance page is one partner's and gives no code on its rows",
    "usitc-dataweb": "DataWeb names its partners; it gives no codes",
    "usitc-dataweb-xlsx": "DataWeb names its partners; it gives no codes",
    "kosis-monthly": "KOSIS monthly tables name their partners; they give no codes",
}


@pytest.mark.parametrize("layout", layouts(NO_SOURCE_CODES))
def test_a_countrys_several_source_codes_are_added_with_a_note(runner, tmp_path, layout):
    partner, code, other, note = SEVERAL_CODES[layout.key]
    reporter = reporter_of(layout)
    one = year_of_trade(layout, {(partner, "export"): 1200e6})
    two = year_of_trade(layout, {(partner, "export"): 600e6})
    figures = [f.but(code=code) for f in one] + [f.but(code=other) for f in two]
    paths = layout.write(folder(tmp_path, "two codes"), figures)
    once = layout.write(
        folder(tmp_path, "one code"), year_of_trade(layout, {(partner, "export"): 1800e6})
    )

    def exports(frame):
        mine = frame[(frame["reporter"] == reporter) & (frame["partner"] == partner)]
        mine = mine[mine["flow"] == "export"][["year", "month", "value_usd"]]
        return mine.sort_values(["year", "month"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(exports(load(paths).frame), exports(load(once).frame))
    notes = [r["value"] for r in json.loads(inspect(runner, paths).stdout) if r["field"] == "note"]
    assert note in notes


# =============================================================================== rule 2
# A workbook with a hidden sheet that fits, or two visible sheets that fit, is refused
# naming the candidates; --sheet NAME picks one; inspect shows the sheets read and left.

NOT_A_WORKBOOK = {
    name: "not a workbook: it has no sheets"
    for name, layout in LAYOUTS.items()
    if not layout.workbook
}
# What a fitting sheet holds, in korus's refusal (the layout's columns).
SHEET_HOLDS = {
    "census-country": "the columns " + ", ".join(sorted(LAYOUTS["census-country"].header)),
    "census-enduse-xlsx": "the Census end-use columns CTY_CODE, CTY_DESC, END_USE, COMM_DESC, "
    "value_YY",
}
NOTES = Sheet("Notes", [["Source: U.S. Census Bureau, Foreign Trade Division"]])
OLD = "Old copy"


def save_book(layout: Layout, folder: Path, *sheets: Sheet) -> Path:
    """Save a workbook of these sheets, in this order, under the layout's file name."""
    return write_workbook(folder / layout.file_name("data", (None, None)), list(sheets))


def data_sheet(layout: Layout, name: str | None = None, hidden: bool = False, scale: float = 1):
    """Return the layout's sheet of a year of trade (its usual figures times ``scale``)."""
    rows = layout.rows(trade(layout, {key: v * scale for key, v in USUAL_YEAR.items()}))
    sheet = layout.sheets(rows)[0]
    return Sheet(name or sheet.name, sheet.rows, hidden)


def refused_sheets(line: str, layout: Layout, path: Path, why: str, candidates: str) -> None:
    """Check a refusal of a workbook's sheets, naming the candidates."""
    end = f": {candidates}; korus does not guess which is meant: choose one with --sheet NAME"
    if layout.key in SHEET_HOLDS:
        assert line == f"Error: {path}: {why} {SHEET_HOLDS[layout.key]}{end}"
    else:  # the words for what a sheet holds are the layout's own
        assert line.startswith(f"Error: {path}: {why} ") and line.endswith(end), line


@pytest.mark.parametrize(
    "layout",
    layouts(
        NOT_A_WORKBOOK,
    ),
)
def test_a_workbook_whose_only_fitting_sheet_is_hidden_is_refused_naming_it(
    runner, tmp_path, layout
):
    data = data_sheet(layout, hidden=True)
    path = save_book(layout, tmp_path, NOTES, data)
    line = error_line(inspect(runner, [path]))
    refused_sheets(line, layout, path, "only a hidden sheet holds", f"{data.name!r} (hidden)")


@pytest.mark.parametrize("layout", layouts(NOT_A_WORKBOOK))
def test_a_workbook_with_two_visible_fitting_sheets_is_refused_naming_both(
    runner, tmp_path, layout
):
    data = data_sheet(layout)
    path = save_book(layout, tmp_path, data, data_sheet(layout, OLD, scale=2))
    line = error_line(inspect(runner, [path]))
    refused_sheets(line, layout, path, "several sheets hold", f"{data.name!r}, {OLD!r}")


@pytest.mark.parametrize(
    "layout",
    layouts(
        NOT_A_WORKBOOK,
    ),
)
def test_a_hidden_fitting_sheet_beside_the_visible_one_is_refused_and_said_hidden(
    runner, tmp_path, layout
):
    data = data_sheet(layout)
    path = save_book(layout, tmp_path, data, data_sheet(layout, OLD, hidden=True, scale=2))
    line = error_line(inspect(runner, [path]))
    refused_sheets(line, layout, path, "several sheets hold", f"{data.name!r}, {OLD!r} (hidden)")


@pytest.mark.parametrize("layout", layouts(NOT_A_WORKBOOK))
def test_a_second_fitting_sheet_of_other_partners_is_refused_not_added(runner, tmp_path, layout):
    data = data_sheet(layout)
    canada = {("CAN", "export"): 50e6}
    if not layout.one_flow_per_file:
        canada[("CAN", "import")] = 70e6
    other = Sheet(OLD, layout.sheets(layout.rows(year_of_trade(layout, canada)))[0].rows)
    path = save_book(layout, tmp_path, data, other)
    line = error_line(inspect(runner, [path]))
    refused_sheets(line, layout, path, "several sheets hold", f"{data.name!r}, {OLD!r}")


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize(
    "layout",
    layouts(
        NOT_A_WORKBOOK,
    ),
)
def test_sheet_reads_the_sheet_named_and_only_it(tmp_path, layout, hidden):
    both = save_book(
        layout, folder(tmp_path, "both"), data_sheet(layout), data_sheet(layout, OLD, hidden, 2)
    )
    alone = save_book(layout, folder(tmp_path, "alone"), data_sheet(layout, OLD, scale=2))
    expected = load([alone]).frame
    token = SHEET.set(OLD)
    try:
        frame = load([both]).frame
    finally:
        SHEET.reset(token)
    pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.parametrize("layout", layouts(NOT_A_WORKBOOK))
def test_inspect_shows_the_sheet_read_and_the_sheets_left_aside(runner, tmp_path, layout):
    data = data_sheet(layout)
    found = fields(inspect(runner, [save_book(layout, tmp_path, NOTES, data)]))
    assert (found["sheets read"], found["sheets left aside"]) == (repr(data.name), "'Notes'")


@pytest.mark.parametrize("layout", layouts(NOT_A_WORKBOOK))
def test_inspect_with_sheet_shows_the_sheet_chosen_read_and_the_other_left_aside(
    runner, tmp_path, layout
):
    data = data_sheet(layout)
    path = save_book(layout, tmp_path, data, data_sheet(layout, OLD, scale=2))
    found = fields(inspect(runner, [path], "--sheet", OLD))
    assert (found["sheets read"], found["sheets left aside"]) == (repr(OLD), repr(data.name))


# =============================================================================== rule 3
# A stated whole year and the sum of its twelve months agree within the source's rounding,
# else an error naming the lines.

NO_YEAR_AND_MONTHS = {
    "census-enduse": "states whole years only",
    "census-enduse-xlsx": "states whole years only",
    "baci": "states whole years only",
    "kosis-annual": "states whole years only",
    "kosis-monthly": "states months only",
    "usitc-dataweb": "a DataWeb table is monthly or annual, never both",
    "usitc-dataweb-xlsx": "a DataWeb table is monthly or annual, never both",
}
# How far a stated year may be from its months by the source's rounding alone: Census
# country files write tenths of a million, balance pages round thirteen figures to 0.1
# million; the others are in whole dollars.
WITHIN_ROUNDING = {"census-country": 0.04e6, "census-balance-page": 0.5e6}
CONTRADICTION_HINT = {
    name: "Comtrade's annual and monthly figures are separate releases that need not agree: "
    "keep one of them (a file of annual or of monthly figures)"
    for name in ("comtrade-legacy", "comtrade-plus-csv", "comtrade-plus-json")
}
CHANGED_DIGIT_HINT = "check the file for a changed digit or swapped columns, or download it again"


def holding(rows: list[Row], test) -> list[int]:
    """Return the indexes of the rows holding a figure that passes ``test``."""
    return [i for i, row in enumerate(rows) if any(test(f) for f in row.figures)]


def position(rows: list[Row], test) -> tuple[int, int]:
    """Return (row, index in the row) of the first figure that passes ``test``."""
    for i, row in enumerate(rows):
        for k, figure in enumerate(row.figures):
            if test(figure):
                return i, k
    raise LookupError("no such figure")


def contradiction(layout: Layout, path: Path, rows: list[Row], stated, months, series) -> str:
    """Return korus's refusal of a stated year (of ``series``: reporter, partner, flow) that
    its months contradict, naming the lines of the year and of its months."""
    reporter, partner, flow = series

    def mine(f):
        return (f.reporter, f.partner, f.flow) == series

    year_rows = holding(rows, lambda f: mine(f) and f.month is None)
    month_rows = holding(rows, lambda f: mine(f) and f.month is not None)
    where = total_at = months_at = ""
    if year_rows == month_rows:  # one row holds the months and the year
        where = f": {layout.where(rows, year_rows[0])}"
    else:
        word = layout.where(rows, month_rows[0]).rsplit(" ", 1)[0]
        first, last = (
            layout.where(rows, i).rsplit(" ", 1)[1] for i in (month_rows[0], month_rows[-1])
        )
        total_at = f" ({layout.where(rows, year_rows[0])})"
        months_at = f" ({word}s {first}-{last})"
    hint = CONTRADICTION_HINT.get(layout.key, CHANGED_DIGIT_HINT)
    return (
        f"Error: {path}{where}: the 2016 total of {reporter} {flow}s, partner {partner}, is "
        f"{usd(stated)} US dollars{total_at} but its twelve months{months_at} add up to "
        f"{usd(months)}: the data contradicts itself and korus cannot know which is right; "
        f"{hint}"
    )


@pytest.mark.parametrize("layout", layouts(NO_YEAR_AND_MONTHS))
def test_a_stated_year_within_the_sources_rounding_of_its_months_is_read(tmp_path, layout):
    gap = WITHIN_ROUNDING.get(layout.key, 5.0)
    a = partners_of(layout)[0]

    def stated(f):
        return f.partner == a and f.flow == "export" and f.month is None

    figures = [f.but(value=f.value + gap) if stated(f) else f for f in trade(layout, annual=True)]
    frame = load(layout.write(tmp_path, figures)).frame
    mine = frame[(frame["partner"] == a) & (frame["flow"] == "export")]
    assert mine.loc[mine["month"].isna(), "value_usd"].tolist() == [1200e6 + gap]
    assert mine.loc[mine["month"].notna(), "value_usd"].tolist() == [100e6] * 12


@pytest.mark.parametrize("layout", layouts(NO_YEAR_AND_MONTHS))
def test_a_stated_year_its_twelve_months_contradict_is_refused_naming_the_lines(
    runner, tmp_path, layout
):
    reporter, a = reporter_of(layout), partners_of(layout)[0]
    rows = layout.rows(trade(layout, annual=True))
    i, k = position(rows, lambda f: (f.partner, f.flow, f.month) == (a, "export", 1))
    rows[i] = layout.changed(rows[i], k, 190e6)  # a digit of January changed: 100 -> 190
    path = layout.save(tmp_path, rows)
    assert error_line(inspect(runner, [path])) == contradiction(
        layout, path, rows, 1200e6, 1290e6, (reporter, a, "export")
    )


def test_a_country_file_with_a_months_last_digit_changed_is_refused(runner, tmp_path):
    layout = LAYOUTS["census-country"]
    rows = layout.rows(trade(layout))
    i, k = position(rows, lambda f: (f.partner, f.flow, f.month) == ("KOR", "export", 1))
    rows[i] = layout.changed(rows[i], k, 100.1e6)  # 100.0 -> 100.1 (millions)
    path = layout.save(tmp_path, rows)
    assert error_line(inspect(runner, [path])) == contradiction(
        layout, path, rows, 1200e6, 1200.1e6, ("USA", "KOR", "export")
    )


def test_a_country_file_with_its_years_imports_and_exports_swapped_is_refused(runner, tmp_path):
    layout = LAYOUTS["census-country"]
    rows = layout.rows(trade(layout))
    _, year_of_exports = position(rows, lambda f: (f.flow, f.month) == ("export", None))
    _, year_of_imports = position(rows, lambda f: (f.flow, f.month) == ("import", None))
    rows[0] = layout.changed(rows[0], year_of_exports, 2400e6)  # EYR holds IYR's figure
    rows[0] = layout.changed(rows[0], year_of_imports, 1200e6)  # and IYR EYR's
    path = layout.save(tmp_path, rows)
    assert error_line(inspect(runner, [path])) == contradiction(
        layout, path, rows, 2400e6, 1200e6, ("USA", "KOR", "export")
    ).replace(": the data contradicts", " (2 such totals in all): the data contradicts")


def test_a_balance_pages_bare_total_row_its_months_contradict_is_refused(runner, tmp_path):
    layout = LAYOUTS["census-balance-page"]
    rows = layout.rows(trade(layout, annual=True))
    total = holding(rows, lambda f: f.month is None)[0]
    rows[total] = layout.changed(rows[total], 0, 1250e6)
    rows[total].cells[0] = "TOTAL"  # the page's own row closing a year's months
    path = layout.save(tmp_path, rows)
    assert error_line(inspect(runner, [path])) == contradiction(
        layout, path, rows, 1250e6, 1200e6, ("USA", "KOR", "export")
    )


# =============================================================================== rule 4
# NaN, inf or a blank where a number belongs, a negative export or import, a figure above
# a year of world trade, and a reporter's flow over its partners above world trade that
# year are errors naming the file and the line.


def cases(values: dict[str, object], skip=None, xfail=None) -> list:
    """Return one pytest parameter per layout and value (ids "layout-value"); ``skip`` and
    ``xfail`` give reasons by layout or by "layout-value"."""
    skip, xfail = skip or {}, xfail or {}
    params = []
    for name, layout in LAYOUTS.items():
        for label, value in values.items():
            key = f"{name}-{label}"
            marks = []
            if key in skip or name in skip:
                marks.append(pytest.mark.skip(reason=f"{key}: {skip.get(key) or skip[name]}"))
            if key in xfail or name in xfail:
                why = xfail.get(key) or xfail[name]
                marks.append(pytest.mark.xfail(strict=True, reason=f"{key}: {why}"))
            params.append(pytest.param(layout, value, id=key, marks=marks))
    return params


def broken(layout: Layout, tmp_path: Path, value) -> tuple[Path, list[Row]]:
    """Write a year of trade whose first figure (the first partner's January exports, or
    its year) has this value; return the file and its rows as they were before."""
    rows = layout.rows(trade(layout))
    damaged = [layout.changed(rows[0], 0, value), *rows[1:]]
    return layout.save(tmp_path, damaged), rows


# How each layout's reader names the cell of its first figure when the cell is not a number
# (``{found}``: what it found, as it quotes it).
NOT_A_NUMBER = {
    "korus-csv": "line 2, column 'value_usd': expected a number, found {found}",
    "census-country": "sheet 'country', cell Q2 (EJAN): expected a number, found {found}",
    "census-enduse": "line 2, column 'value_16': expected a number, found {found}",
    "census-enduse-xlsx": "sheet 'EnduseExp', cell E2 (value_16): expected a number, found {found}",
    "census-api-json": "row 2 of the JSON array (row 1 is the header), field 'ALL_VAL_MO': "
    "expected a number, found {found}",
    "census-api-csv": "line 2, column 'ALL_VAL_MO': expected a number, found {found}",
    "census-balance-page": "line 2, column 'Exports': expected a figure in millions such as "
    "1,187.5, found {found}",
    "comtrade-legacy": "line 2, column 'Trade Value (US$)': expected a number, found {found}",
    "comtrade-plus-csv": "line 2, field 'primaryValue': expected a number, found {found}",
    "comtrade-plus-json": "record 1, field 'primaryValue': expected a number, found {found}",
    "baci": "line 2, column 'v': expected a value of 0 or more (thousands of US dollars), "
    "found {found}",
    "usitc-dataweb": "line 4, column 'January': expected a number or a blank cell, found "
    '{found} (DataWeb writes figures as 1234.00 or "1,234")',
    "usitc-dataweb-xlsx": "sheet 'Trade Value', cell D4 (January): expected a number or a "
    'blank cell, found {found} (DataWeb writes figures as 1234.00 or "1,234")',
    "kosis-annual": "line 2, column 'export_kosis': expected a number (or '', 'NA' for no "
    "figure), found {found}",
    "kosis-monthly": "line 2, column 'Exports': expected a number (or '', '-' for no figure), "
    "found {found}",
}
BLANK_IS_NO_FIGURE = {
    f"{name}-blank": "a blank cell is the layout's mark of a period without a figure (shown "
    "missing: rule 5)"
    for name in ("usitc-dataweb", "usitc-dataweb-xlsx", "kosis-annual", "kosis-monthly")
}
NOT_NUMBERS = {"nan": "nan", "inf": "inf", "minus-inf": "-inf", "blank": ""}


def not_a_figure(layout: Layout, path: Path, rows: list[Row], text: str) -> str:
    """Return the trust layer's refusal of a first figure that is not a finite number."""
    return (
        f"Error: {path}: {layout.where(rows, 0)}: {what(rows[0].figures[0])} is "
        f"{text or 'nan'}, not a figure: a broken cell; fix the file or download it again"
    )


def refusal_of_not_a_number(layout: Layout, path: Path, rows: list[Row], text: str) -> str:
    """Return korus's refusal of a file whose first figure's cell holds ``text``."""
    if layout.key == "korus-parquet" or (layout.key == "korus-csv" and "inf" in text):
        return not_a_figure(layout, path, rows, text)  # read as a number: the trust layer's
    if layout.key == "baci":  # Arrow's reading of the cell
        if not text:
            return (
                f"Error: {path}: line 2, column 'v': expected a value in thousands of US "
                "dollars, found ''"
            )
        found = text
    elif layout.key == "korus-csv":
        found = repr(text) if text else "an empty cell"
    else:
        found = repr(text) if text else "'an empty cell'"
    return f"Error: {path}: " + NOT_A_NUMBER[layout.key].format(found=found)


@pytest.mark.parametrize(
    ("layout", "text"),
    cases(
        NOT_NUMBERS,
        skip=BLANK_IS_NO_FIGURE,
    ),
)
def test_a_value_that_is_not_a_number_is_refused_naming_the_file_and_the_cell(
    runner, tmp_path, layout, text
):
    path, rows = broken(layout, tmp_path, text)
    line = error_line(inspect(runner, [path]))
    assert line == refusal_of_not_a_number(layout, path, rows, text)


def negative(layout: Layout, path: Path, rows: list[Row], index: int, figure: Figure) -> str:
    """Return korus's refusal of a negative figure (-100,000,000 US dollars) on row ``index``."""
    if layout.key == "baci":  # BACI's values are checked as the file is parsed
        return (
            f"Error: {path}: line {index + 2}, column 'v': expected a value of 0 or more "
            "(thousands of US dollars), found -100000.0"
        )
    return (
        f"Error: {path}: {layout.where(rows, index)}: {what(figure)} is negative "
        f"(-100,000,000 US dollars): a {figure.flow} is never below zero; a sign slip or an "
        "adjustment row: fix or remove the row"
    )


@pytest.mark.parametrize("flow", ["export", "import"])
@pytest.mark.parametrize("layout", layouts())
def test_a_negative_flow_is_refused_naming_the_file_and_the_line(runner, tmp_path, layout, flow):
    a = partners_of(layout)[0]
    amounts = {(a, flow): 1200e6}
    if not layout.one_flow_per_file:  # a balance page has both flows on every row
        amounts[(a, "import" if flow == "export" else "export")] = 2400e6
    rows = layout.rows(year_of_trade(layout, amounts))
    i, k = position(rows, lambda f: f.flow == flow)
    damaged = list(rows)
    damaged[i] = layout.changed(rows[i], k, -100e6)
    path = layout.save(tmp_path, damaged)
    expected = negative(layout, path, rows, i, rows[i].figures[k])
    assert error_line(inspect(runner, [path])) == expected


ABOVE_WORLD_TRADE = {"1e20": InUnit(1e20), "1e308": InUnit(1e308)}


def above_world_trade(layout: Layout, path: Path, rows: list[Row], amount: float) -> str:
    """Return korus's refusal of a first figure of ``amount`` in the file's unit."""
    if layout.key == "baci":  # BACI's values are checked as the file is parsed
        return (
            f"Error: {path}: line 2, column 'v': {amount!r} thousands of US dollars is more "
            "than a year of world trade: a wrong unit or a broken cell; fix the file or "
            "download it again"
        )
    dollars = amount * layout.unit
    if dollars == float("inf"):  # beyond what a number can hold once in dollars
        return not_a_figure(layout, path, rows, "inf")
    return (
        f"Error: {path}: {layout.where(rows, 0)}: {what(rows[0].figures[0])} is "
        f"{dollars:.6g} US dollars, more than a year of world trade: a wrong unit (thousands "
        "read as dollars?) or a broken cell; fix the file or say its unit"
    )


@pytest.mark.parametrize(
    ("layout", "value"),
    cases(ABOVE_WORLD_TRADE),
)
def test_a_figure_above_a_year_of_world_trade_is_refused_naming_the_file_and_the_line(
    runner, tmp_path, layout, value
):
    path, rows = broken(layout, tmp_path, value)
    expected = above_world_trade(layout, path, rows, value.amount)
    assert error_line(inspect(runner, [path])) == expected


@pytest.mark.parametrize("layout", layouts())
def test_a_reporters_flow_over_its_partners_above_world_trade_is_refused_naming_the_line(
    runner, tmp_path, layout
):
    # Each partner below world trade in 2016 (18 trillion at most), the two together above.
    amounts = {"a export": 1.2e13, "b export": 1.2e13, "a import": 1e9, "b import": 1e9}
    if layout.one_partner_per_file:
        amounts = {"a export": 2.4e13, "a import": 1e9}
    figures = trade(layout, amounts)
    paths = layout.write(tmp_path, figures)
    rows = layout.rows([f for f in figures if f.flow == "export" or not layout.one_flow_per_file])
    a = partners_of(layout)[0]
    first = holding(rows, lambda f: f.partner == a and f.flow == "export")[0]
    # BACI's rows become korus's frame as whole columns, without their lines: the file is
    # named (its values were checked line by line as it was parsed).
    where = "" if layout.key == "baci" else f": {layout.where(rows, first)}"
    assert error_line(inspect(runner, paths)) == (
        f"Error: {paths[0]}{where}: {reporter_of(layout)} exports in "
        "2016 add up to 24,000,000,000,000 US dollars over its partners, more than world "
        "trade that year (at most 18,000,000,000,000): a wrong unit (thousands or millions "
        "read as dollars?); korus refuses figures no country can have"
    )


# =============================================================================== rule 5
# A flow the file does not hold is missing: n/a in a table, blank in CSV, null in JSON, in
# partners and sectors, never 0.0 and never ranked as 0.

BOTH_FLOWS_ALWAYS = {
    "census-country": "a row holds both flows of a partner: a flow cannot be absent",
    "census-balance-page": "a page is one partner's, both flows on every row",
}
NO_PRODUCTS = {
    "census-country": "states all goods only",
    "census-balance-page": "states all goods only",
    "kosis-annual": "states all goods only",
    "kosis-monthly": "states all goods only",
}
MISSING = {"csv": "", "json": None, "table": "n/a"}


def data_options(paths: list[Path]) -> list[str]:
    return [option for path in paths for option in ("--data", str(path))]


def partner_rows(result, fmt: str, codes: list[str]) -> list[tuple]:
    """Return (rank, partner, exports, imports, balance, total) of each row, as printed."""
    assert result.exit_code == 0, result.output
    keys = [
        "rank",
        "partner",
        *(f"{m}_usd_millions" for m in ("exports", "imports", "balance", "total")),
    ]
    if fmt == "csv":
        return [tuple(row[k] for k in keys) for row in csv.DictReader(io.StringIO(result.stdout))]
    if fmt == "json":
        return [tuple(row[k] for k in keys) for row in json.loads(result.stdout)]
    rows = []  # a table's rows: "#  Code  Partner  Exports  Imports  Balance  Total  Share"
    for line in result.stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in codes:
            rows.append(("", cells[0], *cells[-5:-1]))
        elif len(cells) > 1 and cells[1] in codes:
            rows.append((cells[0], cells[1], *cells[-5:-1]))
    return rows


def two_partners(layout: Layout) -> list[Figure]:
    """The first partner with both flows, the second with exports only: exports larger than
    the first's total, so that a missing import taken for 0 would rank it first."""
    a, b = partners_of(layout)
    return year_of_trade(
        layout, {(a, "export"): 1200e6, (a, "import"): 2400e6, (b, "export"): 4800e6}
    )


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
@pytest.mark.parametrize("layout", layouts(BOTH_FLOWS_ALWAYS))
def test_a_partner_without_a_flow_is_shown_missing_and_listed_last_in_partners(
    runner, tmp_path, layout, fmt
):
    a, b = partners_of(layout)
    paths = layout.write(tmp_path, two_partners(layout))
    load(paths)  # every row accounted for
    result = runner.invoke(
        cli,
        ["partners", "--year", "2016", "--reporter", reporter_of(layout), *data_options(paths)]
        + ["--format", fmt],
    )
    n = MISSING[fmt]
    expected = {
        "csv": [("1", a, "1200.0", "2400.0", "-1200.0", "3600.0"), ("", b, "4800.0", n, n, n)],
        "json": [(1, a, 1200.0, 2400.0, -1200.0, 3600.0), (None, b, 4800.0, n, n, n)],
        "table": [
            ("1", a, "1,200.0", "2,400.0", "-1,200.0", "3,600.0"),
            ("", b, "4,800.0", n, n, n),
        ],
    }[fmt]
    assert partner_rows(result, fmt, [a, b]) == expected


@pytest.mark.parametrize("layout", layouts(BOTH_FLOWS_ALWAYS))
def test_a_table_of_partners_says_which_figure_is_missing(runner, tmp_path, layout):
    b = partners_of(layout)[1]
    paths = layout.write(tmp_path, two_partners(layout))
    result = runner.invoke(
        cli,
        ["partners", "--year", "2016", "--reporter", reporter_of(layout), *data_options(paths)]
        + ["--format", "table"],
    )
    said = " ".join(result.stdout.split())
    assert (
        f"No figure in the data for {b} (imports): shown n/a, listed last and not ranked (a "
        "missing figure is never taken for 0)." in said
    )


MONTHS_NOT_APART = {
    "census-country": "a month a Census country file lacks is written 0, and only at the end "
    "of its newest year",
    "census-balance-page": "a page is one partner's, both flows on every row",
    "census-enduse": "states whole years only",
    "census-enduse-xlsx": "states whole years only",
    "baci": "states whole years only",
    "kosis-annual": "states whole years only",
    "census-api-json": "the API leaves out months without trade: a month absent from an "
    "answer that holds all twelve is zero trade, by the layout's own convention",
    "census-api-csv": "the API leaves out months without trade: a month absent from an "
    "answer that holds all twelve is zero trade, by the layout's own convention",
}


@pytest.mark.parametrize("layout", layouts(MONTHS_NOT_APART))
def test_a_flow_with_a_month_missing_is_missing_for_its_year_in_partners(runner, tmp_path, layout):
    a, b = partners_of(layout)
    figures = year_of_trade(
        layout,
        {
            (a, "export"): 1200e6,
            (a, "import"): 2400e6,
            (b, "export"): 4800e6,
            (b, "import"): 1200e6,
        },
    )
    figures = [f for f in figures if (f.partner, f.flow, f.month) != (b, "import", 7)]
    paths = layout.write(tmp_path, figures)
    load(paths)  # every row accounted for
    result = runner.invoke(
        cli,
        ["partners", "--year", "2016", "--reporter", reporter_of(layout), *data_options(paths)]
        + ["--format", "csv"],
    )
    assert partner_rows(result, "csv", [a, b]) == [
        ("1", a, "1200.0", "2400.0", "-1200.0", "3600.0"),
        ("", b, "4800.0", "", "", ""),
    ]


def two_products(layout: Layout) -> tuple[list[Figure], list[str], list[tuple]]:
    """Return the first partner's trade in two products, the first with both flows (a
    surplus), the second with exports only (larger: taken for a surplus, a missing import
    would come first); the options of ``sectors`` that show them, and the rows (product,
    exports, imports, balance) it must print in CSV."""
    a = partners_of(layout)[0]
    if layout.name == "census-enduse":
        # Each file needs codes only its own list names (00000: wheat exported, green
        # coffee imported, shown together as "0 other"); 30000 and 21100 are in both.
        figures = year_of_trade(
            layout, {(a, "export"): 1200e6, (a, "import"): 600e6}, product="30000"
        )
        figures += year_of_trade(layout, {(a, "export"): 3600e6}, product="21100")
        figures += year_of_trade(
            layout, {(a, "export"): 500e6, (a, "import"): 250e6}, product="00000"
        )
        rows = [
            ("30000", "1200.0", "600.0", "600.0"),
            ("0 other", "500.0", "250.0", "250.0"),
            ("21100", "3600.0", "", ""),
        ]
        return figures, ["--by", "enduse", "--level", "5"], rows
    cars, drugs = ("870323", "300490") if layout.name in ("baci", "usitc-dataweb") else ("87", "30")
    figures = year_of_trade(layout, {(a, "export"): 1200e6, (a, "import"): 600e6}, product=cars)
    figures += year_of_trade(layout, {(a, "export"): 3600e6}, product=drugs)
    return (
        figures,
        ["--by", "chapter"],
        [("87", "1200.0", "600.0", "600.0"), ("30", "3600.0", "", "")],
    )


def sector_rows(result, fmt: str, codes: list[str]) -> list[tuple]:
    """Return (product, exports, imports, balance) of each row of ``sectors``, as printed."""
    assert result.exit_code == 0, result.output
    keys = ["product", "exports_usd_millions", "imports_usd_millions", "value_usd_millions"]
    if fmt == "csv":
        return [tuple(row[k] for k in keys) for row in csv.DictReader(io.StringIO(result.stdout))]
    if fmt == "json":
        return [tuple(row[k] for k in keys) for row in json.loads(result.stdout)]
    rows = []  # a table's rows: "Code  Name  Exports  Imports  Balance  Share"
    for line in result.stdout.splitlines():
        for code in codes:
            if line.strip().startswith(code + "  "):
                rows.append((code, *line.split()[-4:-1]))
    return rows


def as_printed(row: tuple, fmt: str) -> tuple:
    """Return a row of CSV cells (product, then figures) as ``fmt`` prints it."""
    code, *figures = row
    if fmt == "json":
        return (code, *(float(x) if x else None for x in figures))
    if fmt == "table":
        return (code, *(f"{float(x):,.1f}" if x else "n/a" for x in figures))
    return row


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
@pytest.mark.parametrize("layout", layouts(NO_PRODUCTS))
def test_a_product_without_a_flow_is_shown_missing_and_listed_last_in_sectors(
    runner, tmp_path, layout, fmt
):
    figures, options, printed = two_products(layout)
    paths = layout.write(tmp_path, figures)
    load(paths)  # every row accounted for
    result = runner.invoke(
        cli,
        ["sectors", "--year", "2016", "--reporter", reporter_of(layout), "--partner"]
        + [partners_of(layout)[0], *options, *data_options(paths), "--format", fmt],
    )
    expected = [as_printed(row, fmt) for row in printed]
    assert sector_rows(result, fmt, [row[0] for row in printed]) == expected


@pytest.mark.parametrize("layout", layouts(NO_PRODUCTS))
def test_shares_of_a_balance_are_of_the_whole_balance_the_data_gives(runner, tmp_path, layout):
    # The whole is every product's exports less every product's imports, as the data has
    # them: the balance `deficit` gives on the same data. A group missing a flow has no
    # share (n/a); the others' shares are of that whole, so they need not add to 100%.
    figures, options, printed = two_products(layout)
    paths = layout.write(tmp_path, figures)
    result = runner.invoke(
        cli,
        ["sectors", "--year", "2016", "--reporter", reporter_of(layout), "--partner"]
        + [partners_of(layout)[0], *options, *data_options(paths), "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    shares = {
        row["product"]: row["share_pct"] for row in csv.DictReader(io.StringIO(result.stdout))
    }
    whole = sum(float(row[1]) for row in printed if row[1])
    whole -= sum(float(row[2]) for row in printed if row[2])
    expected = {row[0]: float(row[3]) / whole * 100 if row[3] else None for row in printed}
    assert {k: float(v) if v else None for k, v in shares.items()} == pytest.approx(expected)


# =============================================================================== properties
# Any file of any layout: the rules hold whatever the figures and wherever the damage.
# A few examples per layout (each writes and reads files: a tenth of a second a read), not
# shrunk: they are small already, and shrinking one writes files for minutes.
SMALL = settings(max_examples=4, phases=[Phase.explicit, Phase.reuse, Phase.generate])

# A year of a flow: whole tenths of a million a month (the coarsest precision of any
# layout: the balance page's), up to 12 billion dollars a year.
YEARS_OF_TRADE = st.integers(1, 10_000).map(lambda k: k * 1.2e6)


@st.composite
def years_of_trade(draw) -> dict[str, float]:
    keys = ["a export", "a import", "b export", "b import"]
    return {key: draw(YEARS_OF_TRADE) for key in keys}


@pytest.mark.parametrize("layout", layouts())
@SMALL
@given(amounts=years_of_trade(), data=st.data())
def test_any_file_with_a_row_repeated_is_refused_or_with_dedupe_read_as_without_it(
    layout, amounts, data
):
    rows = layout.rows(trade(layout, amounts))
    index = data.draw(st.integers(0, len(rows) - 1), label="row repeated")
    with tempfile.TemporaryDirectory() as temporary:
        clean = layout.save(folder(Path(temporary), "clean"), rows)
        twice = layout.save(folder(Path(temporary), "twice"), repeated(rows, index))
        with pytest.raises(DataFileError) as refused:
            readers.load([twice])
        assert f"{layout.where(rows, index + 1)} repeats {layout.where(rows, index)}" in str(
            refused.value
        )
        deduped = load([twice], dedupe=True)
        assert deduped.accounting[0].rows_set_aside == 1
        pd.testing.assert_frame_equal(deduped.frame, load([clean]).frame)


# How far from its months a stated year is refused: beyond the source's rounding, in the
# file's precision (tenths of a million for Census country files and balance pages).
BEYOND_ROUNDING = {
    "census-country": st.integers(1, 10_000).map(lambda k: k * 1e5),
    "census-balance-page": st.integers(7, 10_000).map(lambda k: k * 1e5),
}


@pytest.mark.parametrize("layout", layouts(NO_YEAR_AND_MONTHS))
@SMALL
@given(amounts=years_of_trade(), data=st.data())
def test_any_stated_year_off_its_months_beyond_rounding_is_refused(layout, amounts, data):
    gap = data.draw(BEYOND_ROUNDING.get(layout.key, st.integers(20, 10**6).map(float)))
    gap *= data.draw(st.sampled_from([1, -1]), label="sign")
    assume(amounts["a export"] + gap > 0)
    reporter, a = reporter_of(layout), partners_of(layout)[0]

    def stated(f):
        return (f.partner, f.flow, f.month) == (a, "export", None)

    rows = layout.rows(trade(layout, amounts, annual=True))
    i, k = position(rows, stated)
    rows[i] = layout.changed(rows[i], k, amounts["a export"] + gap)  # that cell only
    with tempfile.TemporaryDirectory() as temporary:
        path = layout.save(Path(temporary), rows)
        with pytest.raises(DataFileError) as refused:
            readers.load([path])
    expected = contradiction(
        layout, path, rows, amounts["a export"] + gap, amounts["a export"], (reporter, a, "export")
    )
    assert str(refused.value) == expected.removeprefix("Error: ")


@pytest.mark.parametrize("layout", layouts(NO_YEAR_AND_MONTHS))
@SMALL
@given(amounts=years_of_trade())
def test_any_stated_year_equal_to_its_months_is_read_as_stated(layout, amounts):
    a = partners_of(layout)[0]
    with tempfile.TemporaryDirectory() as temporary:
        frame = load(layout.write(Path(temporary), trade(layout, amounts, annual=True))).frame
    mine = frame[(frame["partner"] == a) & (frame["flow"] == "export")]
    assert mine.loc[mine["month"].isna(), "value_usd"].tolist() == [amounts["a export"]]


@pytest.mark.parametrize(
    ("partners", "said"),
    [(["KOR"], "the one partner read"), (["KOR", "JPN"], "the 2 partners read")],
)
def test_a_sum_far_above_the_reporters_own_world_total_is_said_with_the_partners_read(
    runner, tmp_path, partners, said
):
    # USA exports of 2016 as korus ships them are about 1.45 trillion: 5 trillion a partner
    # is within world trade (so not refused) but far above the US's own total.
    path = tmp_path / "slip.csv"
    header = (
        "year,month,reporter,partner,flow,product,classification,value_usd,source,basis,vintage"
    )
    rows = [f"2016,,USA,{code},export,TOTAL,none,5000000000000,t,FOB,v" for code in partners]
    rows += [f"2016,,USA,{code},import,TOTAL,none,1000000,t,customs value,v" for code in partners]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["deficit", "--data", str(path), "--years", "2016"])
    assert result.exit_code == 0, result.output
    total = f"{5_000_000_000_000 * len(partners):,}"
    assert (
        f"slip.csv: USA exports in 2016 add up to {total} US dollars over {said}, "
    ) in result.stderr
    assert "USA's own world total for that year (1,451,459,683,815, as korus ships it)" in (
        result.stderr
    )
