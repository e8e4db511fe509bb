"""korus.render: the one place results become text, checked on small hand-made reports."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from korus.render import Report, format_money, format_percent, render


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch):
    # rich obeys these even when writing to a StringIO; the tests read plain text.
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


def korea_report(**changes) -> Report:
    """Return a two-year deficit-like report in US dollars, with provenance columns."""
    frame = pd.DataFrame(
        {
            "year": [2011, 2016],
            "partner": ["KOR", "KOR"],
            "exports": [43_461_636_035.0, 42_262_186_687.0],
            "imports": [56_661_359_461.0, 69_886_778_026.0],
            "balance": [-13_199_723_426.0, -27_624_591_339.0],
            "source": ["Test bureau", "Test bureau"],
            "basis": ["exports FOB; imports CIF", "exports FOB; imports CIF"],
            "vintage": ["data through 2026-01", "data through 2026-01"],
        }
    )
    fields = {
        "title": "United States trade with South Korea",
        "frame": frame,
        "money": ["exports", "imports", "balance"],
        "labels": {"year": "Year", "exports": "Exports", "imports": "Imports"},
        "table_hidden": ["partner"],
    }
    return Report(**{**fields, **changes})


def text_report(values: list[object]) -> Report:
    """Return a report with one text column ``name`` and one money column ``value``."""
    frame = pd.DataFrame({"name": values, "value": [-5_000_000.0] * len(values)})
    return Report(title="Text", frame=frame, money=["value"])


def rendered(report: Report, fmt: str, unit: str = "millions") -> str:
    out = io.StringIO()
    render(report, fmt, unit, out, width=100)
    return out.getvalue()


def csv_records(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


# --- CSV and TSV ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
@pytest.mark.parametrize("text", ["=SUM(A1:A9)", "+1 555 0100", "-cmd", "@SUM(A1)"])
def test_a_text_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(text, fmt, delimiter):
    record = csv_records(rendered(text_report([text]), fmt), delimiter)[0]
    assert record["name"] == "'" + text


def test_ordinary_text_cells_are_written_as_they_are():
    records = csv_records(rendered(text_report(["Korea, South", "a=b", "x-y"]), "csv"))
    assert [record["name"] for record in records] == ["Korea, South", "a=b", "x-y"]


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_negative_numbers_stay_plain_numbers(fmt, delimiter):
    text = rendered(korea_report(), fmt)
    record = csv_records(text, delimiter)[0]
    assert record["balance_usd_millions"] == "-13199.723426"
    assert float(record["balance_usd_millions"]) == -13199.723426


def test_csv_prints_missing_values_as_empty_cells():
    frame = pd.DataFrame(
        {
            "year": [2011],
            "pct_change": [np.nan],
            "years_between": pd.array([pd.NA], dtype="Int64"),
            "note": [None],
        }
    )
    text = rendered(Report(title="Missing", frame=frame), "csv")
    assert text == "year,pct_change,years_between,note\n2011,,,\n"


def test_csv_keeps_text_codes_with_a_leading_zero():
    frame = pd.DataFrame({"product": ["01", "87"], "value": [1e6, 2e6]})
    text = rendered(Report(title="Chapters", frame=frame, money=["value"]), "csv")
    assert text == "product,value_usd_millions\n01,1.0\n87,2.0\n"


def test_csv_prints_the_frame_alone_without_title_summary_or_notes():
    report = korea_report(summary=[("Deficit", "13,199.7")], notes=["A note."])
    text = rendered(report, "csv")
    assert text.splitlines()[0] == (
        "year,partner,exports_usd_millions,imports_usd_millions,balance_usd_millions,"
        "source,basis,vintage"
    )
    assert len(text.splitlines()) == 3
    assert "A note." not in text and "Deficit" not in text


# --- JSON ----------------------------------------------------------------------------------


def test_json_turns_nan_none_and_pd_na_into_null():
    frame = pd.DataFrame(
        {
            "year": [2011],
            "pct_change": [np.nan],
            "note": [None],
            "years_between": pd.array([pd.NA], dtype="Int64"),
            "infinite": [np.inf],
        }
    )
    text = rendered(Report(title="Missing", frame=frame), "json")

    def refuse(name):
        raise AssertionError(f"{name} in JSON output")

    assert json.loads(text, parse_constant=refuse) == [
        {"year": 2011, "pct_change": None, "note": None, "years_between": None, "infinite": None}
    ]


def test_json_keeps_every_digit_of_a_float_that_is_not_money():
    frame = pd.DataFrame({"year": [2016], "share_pct": [43461.636034999996]})
    report = Report(title="Precision", frame=frame, percent=["share_pct"])
    record = json.loads(rendered(report, "json"))[0]
    assert record["share_pct"] == 43461.636034999996


@pytest.mark.parametrize(
    "unit, column, value",
    [
        ("usd", "value_usd", 43461636034.99),
        ("thousands", "value_usd_thousands", 43461636.03499),
        ("millions", "value_usd_millions", 43461.63603499),
        ("billions", "value_usd_billions", 43.46163603499),
    ],
)
def test_json_keeps_money_to_the_cent_in_every_unit(unit, column, value):
    frame = pd.DataFrame({"year": [2016], "value": [43_461_636_034.99]})
    report = Report(title="Precision", frame=frame, money=["value"])
    assert json.loads(rendered(report, "json", unit))[0][column] == value


def test_machine_formats_drop_the_float_noise_below_a_cent():
    frame = pd.DataFrame({"year": [2016], "value": [115_594_784_476.99998]})
    report = Report(title="Noise", frame=frame, money=["value"])
    assert rendered(report, "csv") == "year,value_usd_millions\n2016,115594.784477\n"
    assert json.loads(rendered(report, "json"))[0]["value_usd_millions"] == 115594.784477


def test_json_gives_numpy_integers_as_json_integers():
    frame = pd.DataFrame({"year": np.array([2016], dtype="int16"), "count": pd.array([3], "Int64")})
    assert rendered(Report(title="Ints", frame=frame), "json") == (
        '[\n  {\n    "year": 2016,\n    "count": 3\n  }\n]\n'
    )


def test_json_writes_text_as_is_without_spreadsheet_apostrophes():
    records = json.loads(rendered(text_report(["=SUM(A1)", "Côte d'Ivoire"]), "json"))
    assert [record["name"] for record in records] == ["=SUM(A1)", "Côte d'Ivoire"]


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit, column, value",
    [
        ("usd", "value_usd", 1_234_567_890.0),
        ("thousands", "value_usd_thousands", 1_234_567.89),
        ("millions", "value_usd_millions", 1_234.56789),
        ("billions", "value_usd_billions", 1.23456789),
    ],
)
def test_money_columns_are_scaled_by_the_unit_and_named_after_it(unit, column, value):
    frame = pd.DataFrame({"year": [2016], "value": [1_234_567_890.0], "pct": [12.5]})
    report = Report(title="Units", frame=frame, money=["value"], percent=["pct"])
    record = csv_records(rendered(report, "csv", unit))[0]
    assert list(record) == ["year", column, "pct"]
    assert float(record[column]) == value
    assert record["pct"] == "12.5"  # percentages are not money: never scaled


# --- table ---------------------------------------------------------------------------------


def test_table_groups_thousands_and_rounds_to_a_tenth_of_the_unit():
    table = lines(rendered(korea_report(), "table"))
    rows = {cells(line)[0]: cells(line) for line in table if line.strip()}
    assert rows["2011"] == ["2011", "43,461.6", "56,661.4", "-13,199.7"]
    assert rows["2016"] == ["2016", "42,262.2", "69,886.8", "-27,624.6"]


def test_table_in_billions_says_billions_and_scales_the_cells():
    table = lines(rendered(korea_report(), "table", unit="billions"))
    rows = {cells(line)[0]: cells(line) for line in table if line.strip()}
    assert rows["2016"] == ["2016", "42.3", "69.9", "-27.6"]
    assert "Values in billions of US dollars." in table


def test_table_uses_labels_for_headers_and_hides_hidden_and_provenance_columns():
    table = lines(rendered(korea_report(), "table"))
    header = next(line for line in table if line.strip().startswith("Year"))
    assert cells(header) == ["Year", "Exports", "Imports", "balance"]
    body = "\n".join(table[: table.index("Values in millions of US dollars.")])
    assert "KOR" not in body
    assert "Test bureau" not in body


def test_table_ends_with_the_unit_source_basis_and_vintage():
    table = lines(rendered(korea_report(notes=["A note for readers."]), "table"))
    assert table[-5:] == [
        "Values in millions of US dollars.",
        "Source: Test bureau.",
        "Basis: exports FOB; imports CIF.",
        "Vintage: data through 2026-01.",
        "A note for readers.",
    ]


def test_table_starts_with_the_title():
    table = lines(rendered(korea_report(), "table"))
    assert table[0].strip() == "United States trade with South Korea"


def test_table_prints_rich_markup_in_the_data_literally():
    frame = pd.DataFrame({"name": ["[bold]x[/bold]", "[red]alarm"], "value": [1e6, 2e6]})
    report = Report(title="[italic]Title[/italic]", frame=frame, money=["value"])
    text = rendered(report, "table")
    assert "[bold]x[/bold]" in text
    assert "[red]alarm" in text
    assert "[italic]Title[/italic]" in text
    assert "\x1b[" not in text


def test_table_prints_the_summary_under_its_header():
    report = korea_report(
        summary=[("Deficit", "13,199.7", "27,624.6", "+109.3%")],
        summary_header=("2011 to 2016", "2011", "2016", "% change"),
    )
    table = lines(rendered(report, "table"))
    position = next(i for i, line in enumerate(table) if line.strip().startswith("2011 to 2016"))
    assert cells(table[position]) == ["2011 to 2016", "2011", "2016", "% change"]
    assert cells(table[position + 2]) == ["Deficit", "13,199.7", "27,624.6", "+109.3%"]


def test_table_shows_missing_money_and_percent_as_n_a():
    frame = pd.DataFrame({"year": [2011], "value": [np.nan], "pct_change": [None]})
    report = Report(title="Gaps", frame=frame, money=["value"], percent=["pct_change"])
    table = lines(rendered(report, "table"))
    assert ["2011", "n/a", "n/a"] in [cells(line) for line in table]


# --- markdown ------------------------------------------------------------------------------


def test_markdown_is_a_pipe_table_with_numbers_right_aligned_and_a_caption():
    report = korea_report()
    assert rendered(report, "markdown") == (
        "**United States trade with South Korea**\n"
        "\n"
        "| Year | Exports | Imports | balance |\n"
        "|---|---:|---:|---:|\n"
        "| 2011 | 43,461.6 | 56,661.4 | -13,199.7 |\n"
        "| 2016 | 42,262.2 | 69,886.8 | -27,624.6 |\n"
        "\n"
        "Values in millions of US dollars.  \n"
        "Source: Test bureau.  \n"
        "Basis: exports FOB; imports CIF.  \n"
        "Vintage: data through 2026-01.  \n"
    )


def test_markdown_escapes_a_pipe_in_the_data():
    text = rendered(text_report(["a|b"]), "markdown")
    assert "| a\\|b | -5.0 |" in text.splitlines()


def test_an_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        rendered(korea_report(), "xml")


# --- number formats ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, signed, expected",
    [
        (-2.7553, True, "-2.76%"),
        (109.2816, True, "+109.3%"),
        (29.9314, False, "29.9%"),
        (3.3601, False, "3.36%"),
        (-70.8256, True, "-70.8%"),
        (4.2789, True, "+4.28%"),
    ],
)
def test_format_percent_keeps_about_three_significant_digits(value, signed, expected):
    assert format_percent(value, signed=signed) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_format_percent_of_a_missing_value_is_n_a(missing):
    assert format_percent(missing, signed=True) == "n/a"


@pytest.mark.parametrize(
    "unit, expected",
    [
        ("usd", "-13,199,723,426"),
        ("thousands", "-13,199,723.4"),
        ("millions", "-13,199.7"),
        ("billions", "-13.2"),
    ],
)
def test_format_money_groups_thousands_in_the_unit(unit, expected):
    assert format_money(-13_199_723_426.0, unit) == expected


def test_format_money_accepts_numpy_floats():
    assert format_money(np.float64(43_461_636_035.0), "millions") == "43,461.6"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_format_money_of_a_missing_value_is_n_a(missing):
    assert format_money(missing, "millions") == "n/a"
