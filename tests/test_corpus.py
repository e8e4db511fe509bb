"""The corpus of bad and messy inputs: each file gives its exact outcome, and every row read
is accounted for (kept + set aside = read)."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest

from korus import readers
from korus.cli import cli

CORPUS = Path(__file__).resolve().parent / "corpus"


def _cases() -> dict:
    """Return every case of the corpus: cases.toml and the cases-*.toml files beside it
    (one per theme), each name given once."""
    found: dict = {}
    for path in sorted(CORPUS.glob("cases*.toml")):
        for name, case in tomllib.loads(path.read_text(encoding="utf-8")).items():
            assert name not in found, f"corpus case {name} is given twice ({path.name})"
            found[name] = case
    return found


CASES = _cases()


def _names(outcome: str | None = None, field: str | None = None) -> list:
    """Return the cases of one outcome (or with one field) as test parameters; a case that
    korus gets wrong today says so in ``xfail`` (the wrong behaviour) and is expected to
    fail until it is fixed."""
    return [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else [],
        )
        for name, case in CASES.items()
        if (outcome is None or case["outcome"] == outcome) and (field is None or field in case)
    ]


def test_the_corpus_holds_at_least_thirty_cases_each_with_its_file():
    assert len(CASES) >= 30
    for case in CASES.values():
        assert (CORPUS / case["file"]).is_file()


@pytest.fixture
def in_corpus(monkeypatch):
    monkeypatch.chdir(CORPUS)


def inspect(runner, case):
    files = [case["file"], *case.get("more_files", [])]
    return runner.invoke(cli, ["inspect", *files, *case.get("args", []), "--format", "json"])


@pytest.mark.parametrize("name", _names(outcome="error"))
def test_a_bad_file_ends_with_one_error_line_and_exit_1(runner, in_corpus, name):
    case = CASES[name]
    result = inspect(runner, case)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "unexpected failure" not in result.stderr
    line = result.stderr.rstrip("\n")
    if "error" in case:
        assert line == "Error: " + case["error"]
    else:
        assert line.startswith("Error: " + case["error_start"])


@pytest.mark.parametrize("name", _names(outcome="read"))
def test_a_messy_file_reads_correctly_and_accounts_for_every_row(runner, in_corpus, name):
    case = CASES[name]
    result = inspect(runner, case)
    assert result.exit_code == 0, result.output
    fields = {}
    for row in json.loads(result.stdout):
        fields.setdefault(row["field"], row["value"])
    read, kept, aside = case["rows"]
    assert (fields["rows read"], fields["rows kept"], fields["rows set aside"]) == (
        str(read),
        str(kept),
        str(aside),
    )
    notes = [row["value"] for row in json.loads(result.stdout) if row["field"] == "note"]
    if "note" in case:
        assert case["note"] in notes
    reading = _read(case)
    for account in reading.accounting:
        assert account.rows_read == account.rows_kept + account.rows_set_aside
    if "total_usd" in case:
        assert reading.frame["value_usd"].sum() == pytest.approx(case["total_usd"])
    if "partners" in case:
        assert sorted(reading.frame["partner"].unique()) == case["partners"]


def _read(case):
    from korus.readers.common import ENCODING, SHEET

    args = case.get("args", [])
    token = ENCODING.set(args[args.index("--encoding") + 1] if "--encoding" in args else None)
    sheet = SHEET.set(args[args.index("--sheet") + 1] if "--sheet" in args else None)
    try:
        return readers.load([case["file"], *case.get("more_files", [])], dedupe="--dedupe" in args)
    finally:
        SHEET.reset(sheet)
        ENCODING.reset(token)


@pytest.mark.parametrize("name", _names(field="command"))
def test_a_question_on_a_messy_file_gets_the_right_answer_or_a_clear_refusal(
    runner, in_corpus, name
):
    case = CASES[name]
    data = [arg for f in [case["file"], *case.get("more_files", [])] for arg in ("--data", f)]
    result = runner.invoke(cli, [*case["command"], *data, "--format", "csv"])
    if "command_error" in case:
        assert result.exit_code == 1, result.output
        assert result.stderr == f"Error: {case['command_error']}\n"
    else:
        assert result.exit_code == 0, result.output
        row = next(csv.DictReader(io.StringIO(result.stdout)))
        assert {key: row[key] for key in case["command_csv"]} == case["command_csv"]
