"""Text from files is shown, never obeyed: control characters in anything people read (a
table, a title, a note, Markdown, a chart, an error message) come out as visible escapes,
and Markdown shows markup in the data as text."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from korus.charts import terminal_chart
from korus.render import Report, markdown_text, printable, render


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


# Every character printable must escape, and what people see instead.
ESCAPES = [
    ("\x00", "\\x00"),
    ("\x07", "\\x07"),
    ("\t", "\\t"),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\x1b", "\\x1b"),
    ("\x1f", "\\x1f"),
    ("\x7f", "\\x7f"),
    ("\x80", "\\x80"),
    ("\x85", "\\x85"),
    ("\x9b", "\\x9b"),
    ("\x9f", "\\x9f"),
    ("\u061c", "\\u061c"),
    ("\u200e", "\\u200e"),
    ("\u200f", "\\u200f"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
    ("\u202a", "\\u202a"),
    ("\u202e", "\\u202e"),
    ("\u2066", "\\u2066"),
    ("\u2069", "\\u2069"),
]
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
HOSTILE = "\x1b[2J\x1b]0;owned\x07Bureau\rof\u202etrade\x9b31m"
SHOWN = "\\x1b[2J\\x1b]0;owned\\x07Bureau\\rof\\u202etrade\\x9b31m"


@pytest.mark.parametrize("character, escape", ESCAPES)
def test_printable_shows_a_control_character_as_a_visible_escape(character, escape):
    assert printable(f"a{character}b") == f"a{escape}b"


@pytest.mark.parametrize(
    "text", ["Côte d'Ivoire", "대한민국", "C:\\data\\trade.csv", "€ 5 — 6", "[bold]x", ""]
)
def test_printable_leaves_ordinary_text_as_it_is(text):
    assert printable(text) == text


def test_printable_of_an_error_message_is_one_line():
    message = "data/ev\x1bil\n.csv: line 3: expected a number"
    assert printable(message) == "data/ev\\x1bil\\n.csv: line 3: expected a number"


def hostile_report(place: str) -> Report:
    """Return a small report with the hostile text in one place people read."""
    text = {place: HOSTILE}
    frame = pd.DataFrame(
        {
            "name": [text.get("cell", "Korea")],
            "value": [1_000_000.0],
            "source": [text.get("source", "Test bureau")],
            "vintage": [text.get("vintage", "2026-01")],
        }
    )
    return Report(
        title=text.get("title", "Title"),
        frame=frame,
        money=["value"],
        labels={"name": text.get("header", "Name")},
        summary=[(text.get("summary", "Total"), "1.0")],
        notes=[text.get("note", "A note.")],
        series=(["name"], "value"),
    )


PLACES = ["title", "header", "cell", "summary", "source", "vintage", "note"]


def rendered(report: Report, fmt: str, width: int = 200) -> str:
    out = io.StringIO()
    render(report, fmt, "millions", out, width=width)
    return out.getvalue()


@pytest.mark.parametrize("place", PLACES)
def test_control_characters_in_a_table_are_shown_escaped(place):
    text = rendered(hostile_report(place), "table")
    assert RAW.search(text) is None
    assert SHOWN in text


@pytest.mark.parametrize("place", PLACES)
def test_control_characters_in_markdown_are_shown_escaped(place):
    text = rendered(hostile_report(place), "markdown")
    assert RAW.search(text) is None
    assert "\\x1b\\[2J\\x1b\\]0;owned\\x07Bureau\\rof\\u202etrade\\x9b31m" in text


@pytest.mark.parametrize("place", ["title", "cell", "source", "note"])
def test_control_characters_in_a_terminal_chart_are_shown_escaped(place):
    out = io.StringIO()
    terminal_chart(hostile_report(place), "millions", out, width=200)
    assert RAW.search(out.getvalue()) is None
    assert "\\x1b[2J\\x1b]0;owned" in out.getvalue()


def test_a_table_row_with_an_escape_sequence_keeps_its_columns_aligned():
    frame = pd.DataFrame({"name": ["\x1b[31mred", "plain"], "value": [1e6, 2e6]})
    text = rendered(Report(title="T", frame=frame, money=["value"]), "table", width=60)
    rows = [line for line in text.splitlines() if line.rstrip().endswith(("1.0", "2.0"))]
    assert [line.rstrip() for line in rows] == ["  \\x1b[31mred     1.0", "  plain           2.0"]


def test_json_escapes_c1_and_bidirectional_controls_and_reads_back_the_same_text():
    frame = pd.DataFrame({"name": ["a\x9b31m\u202eb\u2066c\x7f"]})
    text = rendered(Report(title="T", frame=frame), "json")
    assert '"a\\u009b31m\\u202eb\\u2066c\\u007f"' in text
    assert RAW.search(text) is None
    assert json.loads(text) == [{"name": "a\x9b31m\u202eb\u2066c\x7f"}]


@pytest.mark.parametrize(
    "text, shown",
    [
        ("a|b", "a\\|b"),
        ("`rm -rf`", "\\`rm -rf\\`"),
        ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
        ("**bold** _it_", "\\*\\*bold\\*\\* \\_it\\_"),
        ("[click](http://example.com)", "\\[click\\](http://example.com)"),
        ("&#x202e;", "\\&#x202e;"),
        ("$42.3 billion and $5", "\\$42.3 billion and \\$5"),
        ("~~gone~~", "\\~\\~gone\\~\\~"),
        ("back\\slash", "back\\\\slash"),
        ("-13,199.7 +109.3% n/a", "-13,199.7 +109.3% n/a"),
    ],
)
def test_markdown_shows_markup_in_the_data_as_text(text, shown):
    assert markdown_text(text) == shown


@pytest.mark.parametrize(
    "note, line",
    [
        ("# Not a heading", "\\# Not a heading  "),
        ("> not a quote", "\\> not a quote  "),
        ("- not a list", "\\- not a list  "),
        ("+ not a list", "\\+ not a list  "),
        ("1. not a list", "1\\. not a list  "),
        ("===", "\\===  "),
    ],
)
def test_a_markdown_note_cannot_start_a_heading_quote_or_list(note, line):
    frame = pd.DataFrame({"name": ["x"]})
    text = rendered(Report(title="T", frame=frame, notes=[note]), "markdown")
    assert text.splitlines()[-1] == line
