"""korus partners over rows read from files (no store, no kept reading) ranks the plan's
sums of those rows (``plan_partners.frame_sums``), never the rows themselves; it gives,
word for word on stdout and stderr, with the same exit status, what ranking the rows
gives: for every file of the corpus (its errors too) and the shipped data, by total,
imports, balance and exports with groups, one year and every year."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from korus import cache
from korus.cli import cli
from korus.engine import plan_partners
from korus.errors import DataCoverageError

ENV = {"COLUMNS": "120"}
CORPUS = Path(__file__).parent / "corpus"
VARIANTS = (
    ["--by", "total"],
    ["--by", "imports", "--year", "2016"],
    ["--by", "balance", "--reporter", "KOR"],
    ["--by", "exports", "--groups"],
)


def _cases() -> list:
    found = {}
    for path in sorted(CORPUS.glob("cases*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).values():
            if "xfail" not in case:
                found.setdefault(case["file"], case.get("args", []))
    return [pytest.param(["--data", str(CORPUS / f), *args], id=f) for f, args in found.items()]


def _both_ways(runner, monkeypatch, data: list[str]) -> int:
    """Ask each variant from the rows' sums and from the rows; return how many answers the
    sums gave (each the same as the rows', word for word)."""
    used = []
    frame_sums = plan_partners.frame_sums

    def counted(*args, **kwargs):
        used.append(True)
        return frame_sums(*args, **kwargs)

    def refused(*args, **kwargs):
        raise DataCoverageError("(the rows are ranked)")

    from_sums = 0
    for variant in VARIANTS:
        command = ["partners", *data, *variant, "--format", "csv", "--verbose"]
        used.clear()
        monkeypatch.setattr(plan_partners, "frame_sums", counted)
        summed = runner.invoke(cli, command, env=ENV)
        monkeypatch.setattr(plan_partners, "frame_sums", refused)
        rows = runner.invoke(cli, command, env=ENV)
        answers = [(r.exit_code, r.stdout, r.stderr) for r in (summed, rows)]
        assert answers[0] == answers[1], command
        assert "Traceback" not in summed.stderr
        from_sums += summed.exit_code == 0 and bool(used)
    return from_sums


@pytest.fixture(autouse=True)
def no_cache():
    cache.set_enabled(False)  # the rows read from the files, every time
    yield
    cache.set_enabled(None)


@pytest.mark.parametrize("data", _cases())
def test_partners_over_a_corpus_file_from_the_rows_sums_equal_the_rows(runner, monkeypatch, data):
    _both_ways(runner, monkeypatch, data)


def test_partners_over_the_shipped_data_from_the_rows_sums_equal_the_rows(runner, monkeypatch):
    assert _both_ways(runner, monkeypatch, []) == len(VARIANTS)


def test_the_corpus_has_files_partners_answers_from_the_rows_sums(runner, monkeypatch):
    # (so that the comparison above is not only of errors)
    answered = 0
    for param in _cases()[::4]:
        answered += _both_ways(runner, monkeypatch, param.values[0])
    assert answered >= 10


def test_the_rows_sums_group_text_as_dictionaries_and_give_the_plain_texts_sums(monkeypatch):
    """``frame_sums`` hands the plan the rows' text as dictionaries (filtered and grouped
    by codes, never copied as text), and the sums and codes are those of the plain text."""
    import pandas as pd
    import pyarrow as pa

    from conftest import make_frame
    from korus import countries

    rows = [(2016, None, "import", "TOTAL", 5.25, "KOR"), (2016, None, "export", "TOTAL", 2.5)]
    rows += [(2016, month, "import", "870323", 1.125 * month, "JPN") for month in range(1, 13)]
    rows += [(2015, None, "import", "TOTAL", 7.0, "CHN")]
    frame = make_frame(rows)
    frame.loc[frame.index[3::4], "vintage"] = None  # a text missing in some rows
    seen = []
    summed = plan_partners._summed

    def watched(run, plan, accounting):
        seen.extend(run(lambda table: table))
        return summed(run, plan, accounting)

    monkeypatch.setattr(plan_partners, "_summed", watched)
    got = plan_partners.frame_sums(frame, "USA", None, [])
    monkeypatch.undo()
    text = ["reporter", "partner", "flow", "product", "classification", "source", "vintage"]
    assert all(pa.types.is_dictionary(seen[0][name].type) for name in text)
    plain = pa.Table.from_pandas(frame[list(seen[0].column_names)], preserve_index=False)
    plan = plan_partners.PartnerYears("USA", None, countries.group_codes())
    expected = plan_partners._summed(lambda then: [then(plain)], plan, [])
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_exact=True)
    order = [(name, "ascending") for name in got.codes.column_names]
    assert got.codes.sort_by(order).equals(expected.codes.sort_by(order))
    assert set(got.frame["partner"]) == {"KOR", "JPN", "CHN"}
