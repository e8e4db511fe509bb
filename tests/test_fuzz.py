"""A bounded fuzz run: mutated inputs of every kind end in their right figures or one clear
error (tests/fuzzing.py; tests/fuzz_long.py runs thousands more), and the fuzzer's own
reference and judge are right where the answers are known."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import fuzz_reference as ref
import fuzzing
from fuzzing import KNOWN_CAUSES, KNOWN_FAILURES, cause_of, run_case

# Seeds are fixed so that a failure replays: python tests/fuzz_long.py --seed N tells it.
CASES = range(200)


def _bounded():
    for seed in CASES:
        if seed in KNOWN_FAILURES:
            cause = KNOWN_CAUSES[KNOWN_FAILURES[seed]]
            reason = f"known failure (held by a strict xfail below): korus {cause.does}"
            yield pytest.param(seed, marks=pytest.mark.skip(reason=reason))
        else:
            yield seed


def _known():
    for seed, name in sorted(KNOWN_FAILURES.items()):
        reason = (
            f"{name}: korus {KNOWN_CAUSES[name].does}; it should give {KNOWN_CAUSES[name].should}"
        )
        mark = pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)
        yield pytest.param(seed, marks=mark)


@pytest.mark.parametrize("seed", list(_bounded()))
def test_a_mutated_input_gives_its_right_figures_or_one_clear_error(tmp_path, seed):
    result = run_case(seed, tmp_path)
    assert result.problem is None, result.problem


@pytest.mark.parametrize("seed", list(_known()))
def test_a_known_failure_fails_as_known_until_korus_is_fixed(tmp_path, seed):
    # Fixed in korus: this passes, and the strict xfail fails the run: take the seed off
    # fuzzing.KNOWN_FAILURES (and the cause off KNOWN_CAUSES when it has no seed left).
    result = run_case(seed, tmp_path)
    if result.problem is not None and cause_of(result.problem) != KNOWN_FAILURES[seed]:
        raise RuntimeError(
            f"seed {seed} fails otherwise than {KNOWN_FAILURES[seed]}:\n{result.problem}"
        )
    assert result.problem is None, result.problem


def test_every_known_failure_has_a_cause_and_every_cause_a_seed():
    assert set(KNOWN_FAILURES.values()) == set(KNOWN_CAUSES)


def test_the_bounded_run_holds_every_kind_of_input():
    kinds = {fuzzing.make_case(seed).kind for seed in CASES}
    assert kinds == set(fuzzing.KINDS)


def test_a_case_is_the_same_on_every_run_of_its_seed():
    for seed in range(0, 60, 7):
        first, again = fuzzing.make_case(seed), fuzzing.make_case(seed)
        assert (first.kind, first.steps, first.question) == (
            again.kind,
            again.steps,
            again.question,
        )
        # A case of a layout no reference reads (expected None) is unjudged on every run.
        assert (first.expected is None) == (again.expected is None)
        if first.expected is not None:
            assert first.expected.figures == again.expected.figures
        if first.kind in ("csv", "json"):
            assert first.data == again.data


# ---------------------------------------------------------------- the reference itself

CORPUS = Path(__file__).resolve().parent / "corpus"
READERS = {
    "korus-csv": ref.read_tidy_csv,
    "comtrade-legacy": ref.read_comtrade_legacy,
    "comtrade-plus-csv": ref.read_comtrade_plus_csv,
}


def _corpus_cases():
    cases = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))
    for name, case in cases.items():
        data = (CORPUS / case["file"]).read_bytes()
        if case.get("more_files") or "--encoding" in case.get("args", []):
            continue
        try:
            layout = ref.layout_of_text(ref.text_of(data, ref.Leniency()))
        except ref.Refused:
            layout = None
        if layout in READERS:
            yield pytest.param(name, case, layout, id=name)


@pytest.mark.parametrize(("name", "case", "layout"), list(_corpus_cases()))
def test_the_reference_reads_the_corpus_as_its_cases_say(name, case, layout):
    data = (CORPUS / case["file"]).read_bytes()
    try:
        reading = READERS[layout](data, "--dedupe" in case.get("args", []))
    except ref.Refused:
        reading = None
    if case["outcome"] == "error":
        assert reading is None
        return
    assert reading is not None
    assert reading.rows == tuple(case["rows"])
    if "total_usd" in case:
        assert sum(reading.figures.values()) == pytest.approx(case["total_usd"])
    if "partners" in case:
        assert sorted({key[3] for key in reading.figures}) == case["partners"]


def test_the_reference_adds_a_year_from_its_months_and_prefers_the_total_to_products():
    figures = {(2016, m, "USA", "KOR", "export", "87"): 10.0 for m in range(1, 13)}
    figures |= {(2016, None, "USA", "KOR", "import", "TOTAL"): 500.0}
    figures |= {(2016, None, "USA", "KOR", "import", "87"): 400.0}
    reading = ref.Reading(figures, {key: "s" for key in figures})
    assert ref.deficit(reading, "USA", "KOR", 2016) == (120.0, 500.0)
    with pytest.raises(ref.Refused):
        ref.deficit(reading, "USA", "KOR", 2017)


# ---------------------------------------------------------------- the judge

CONVERTED = """\
year,month,reporter,partner,flow,product,classification,value_usd,source,basis,vintage
2016,,USA,KOR,export,TOTAL,none,100.25,s,FOB,v
2016,3,USA,KOR,import,87,HS2012,7.0,s,CIF,v
"""


def _expected(**changes) -> ref.Reading:
    figures = {
        (2016, None, "USA", "KOR", "export", "TOTAL"): 100.25,
        (2016, 3, "USA", "KOR", "import", "87"): 7.0,
    }
    figures.update(changes.get("figures", {}))
    return ref.Reading(figures, {key: "s" for key in figures}, (2, 2, 0))


def test_the_judge_takes_the_same_figures_for_right():
    assert fuzzing._judge_figures(CONVERTED, _expected())[0] == fuzzing.RIGHT


def test_the_judge_takes_a_figure_a_cent_and_more_away_for_wrong():
    changed = _expected(figures={(2016, None, "USA", "KOR", "export", "TOTAL"): 100.27})
    outcome, detail = fuzzing._judge_figures(CONVERTED, changed)
    assert outcome == fuzzing.WRONG and "differ" in detail


def test_the_judge_takes_figures_of_another_year_for_wrong():
    moved = CONVERTED.replace("2016,3,", "4464,3,")
    assert fuzzing._judge_figures(moved, _expected())[0] == fuzzing.WRONG


def test_the_judge_takes_figures_for_an_invalid_input_for_wrong():
    outcome, _ = fuzzing._judge_figures(CONVERTED, ref.refused("a year of 70000"))
    assert outcome == fuzzing.WRONG


def test_the_judge_takes_an_error_of_two_lines_for_an_unclean_end():
    class Ended:
        exception = SystemExit(1)
        exit_code = 1
        stderr = "Error: not a readable Parquet file (Invalid data\n)\n"

    assert fuzzing._ending(Ended())[0] == fuzzing.TRACEBACK
    Ended.stderr = "Note: a repeat was dropped\nError: 2016 lacks April\n"
    assert fuzzing._ending(Ended()) == (fuzzing.ERROR, "Error: 2016 lacks April")
    Ended.stderr = "Error: unexpected failure (ValueError: x); this is a bug in korus\n"
    assert fuzzing._ending(Ended())[0] == fuzzing.BUG
