"""korus partners over BACI files is answered from sums of one Arrow table of the reporter's
side (``readers.flows_table``, then the plan of ``korus.engine.plan_partners``), never
from a pandas frame of its rows; it gives, word for word on stdout and stderr, with the
same exit status, what the rows give: for every BACI file of the corpus (its errors too),
seeded folders of years (codes of groups, two codes of one country, repeats, values near
the bounds of the trust layer), read from the CSV and from korus's cache.

And ``trust_table.quiet_table``, the check that lets the sums answer, says a table is quiet
exactly where the trust layer's own rules (``stack``: periods, values, magnitudes) say
nothing about its rows."""

from __future__ import annotations

import contextlib
import random
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from korus import cache, readers, trust, trust_table
from korus.cli import cli
from korus.engine import plan_partners
from korus.errors import DataFileError
from korus.schema import Accounting
from test_readers_baci import OLD_COUNTRIES, write_data

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}
CORPUS = Path(__file__).parent / "corpus"
COUNTRIES = OLD_COUNTRIES + "276,Germany,Germany,DE,DEU\n280,Fed. Rep. of Germany,FRG,DE,DEU\n"
CODES = ["842", "410", "156", "516", "490", "276", "280"]
# The seeds of ``seeded_years`` whose years no rule of the trust layer speaks of (the
# others add up to more than world trade, or than the US's own total: a note or an error).
QUIET_SEEDS = (1, 2, 4, 8, 9, 11)


def seeded_years(folder: Path, seed: int) -> tuple[Path, list[str]]:
    """Write a seeded folder of BACI years (with its country list) and return it with the
    options it is read with: flows between the countries of ``CODES`` (490 is "Other Asia,
    nes"; 276 and 280 are both Germany), sometimes a row given twice (then read with
    --dedupe), sometimes values in dollars where thousands are meant (beyond world trade,
    or beyond the US's own total: an error or a warning)."""
    draw = random.Random(seed)
    folder.mkdir(parents=True)
    (folder / "country_codes_V202301.csv").write_text(COUNTRIES, encoding="utf-8")
    options: list[str] = []
    years = sorted(draw.sample(range(2015, 2023), draw.randint(1, 3)))
    for year in years:
        rows = []
        for exporter in CODES:
            for importer in CODES:
                if exporter == importer and draw.random() < 0.8:
                    continue  # (a country with itself: set aside, counted)
                for product in draw.sample(["010121", "870323", "10129", "847130"], 2):
                    value = draw.choice(["1.5", "200.25", "0.001", "35000000", "7"])
                    rows.append((str(year), exporter, importer, product, value, "  NA"))
        if draw.random() < 0.3:
            rows.append(draw.choice(rows))  # an exact repeat
            options = ["--dedupe"] if draw.random() < 0.7 else []
        scale = draw.random()
        if scale < 0.15:  # thousands of thousands: more than world trade, added up
            rows.append((str(year), "842", "410", "271019", "20000000000", ""))
            rows.append((str(year), "842", "156", "271019", "20000000000", ""))
        elif scale < 0.3:  # more than the US's own total that year, less than the world's
            rows.append((str(year), "842", "156", "271019", "4000000000", ""))
        draw.shuffle(rows)
        write_data(folder / f"BACI_HS92_Y{year}_V202301.csv", rows)
    return folder, options


def _corpus_cases() -> list:
    found = []
    for path in sorted(CORPUS.glob("cases*.toml")):
        for name, case in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if "baci" in case["file"].lower() and "xfail" not in case:
                found.append(pytest.param(CORPUS / case["file"], case.get("args", []), id=name))
    return found


def _run(runner, command: list[str]):
    result = runner.invoke(cli, command, env=ENV)
    return result.exit_code, result.stdout, result.stderr


def counted_tables(monkeypatch) -> list:
    """Have ``readers.flows_table`` say what it gives: the list it appends each answer to."""
    tables: list = []
    flows_table = readers.flows_table

    def counted(*args, **kwargs):
        found = flows_table(*args, **kwargs)
        tables.append(found)
        return found

    monkeypatch.setattr(readers, "flows_table", counted)
    return tables


def _both_ways(runner, monkeypatch, data: list[str], options: list[str], reporters) -> int:
    """Ask ``partners`` of each reporter with the sums and with the rows; return how many
    answers came from the sums (each the same as from the rows, word for word)."""
    tables = counted_tables(monkeypatch)
    from_sums = 0
    for reporter in reporters:
        variants = (
            ("total", []),
            ("imports", ["--year", "2016"]),
            ("balance", []),
            ("exports", ["--groups"]),
        )
        for by, year in variants:
            command = ["partners", "--data", *data, *options, "--reporter", reporter, "--by", by]
            command += [*year, "--format", "csv", "--verbose"]
            tables.clear()
            summed = _run(runner, command)
            with monkeypatch.context() as rows_only:
                rows_only.setattr(readers, "flows_table", lambda *args, **kwargs: None)
                rows = _run(runner, command)
            assert summed == rows, command
            from_sums += summed[0] == 0 and any(found is not None for found in tables)
    return from_sums


@pytest.mark.parametrize(("file", "options"), _corpus_cases())
def test_partners_over_a_baci_file_of_the_corpus_from_sums_equal_rows(
    runner, monkeypatch, file, options
):
    _both_ways(runner, monkeypatch, [str(file)], options, ["USA", "KOR"])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("cached", [False, True], ids=["csv", "cache"])
def test_partners_over_seeded_baci_years_from_sums_equal_rows(
    runner, tmp_path, monkeypatch, seed, cached
):
    with seeded_data(runner, tmp_path, monkeypatch, seed, cached) as (datas, options):
        for data in datas:
            from_sums = _both_ways(runner, monkeypatch, data, options, ["USA", "DEU", "TWN"])
            if seed in QUIET_SEEDS:  # no rule speaks of their years: the sums do answer
                assert from_sums >= 2


@contextlib.contextmanager
def seeded_data(runner, tmp_path: Path, monkeypatch, seed: int, cached: bool):
    """Yield ([the seeded folder of years], [its first file]) and the options they are
    read with, read from the CSV or (``cached``) from the cache entries built first."""
    folder, options = seeded_years(tmp_path / "baci", seed)
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    cache.set_enabled(cached)
    try:
        if cached:  # the years' cache entries written (where the files can be read)
            runner.invoke(cli, ["cache", "build", str(folder)], env=ENV)
        files = sorted(str(path) for path in folder.glob("BACI_*.csv"))
        yield ([str(folder)], files[:1]), options
    finally:
        cache.set_enabled(None)


def test_the_sums_answer_without_a_frame_of_rows(runner, tmp_path, monkeypatch):
    """The reporter's side is never made a pandas frame: the readings of rows refuse."""
    from korus.readers import baci

    folder, _ = seeded_years(tmp_path / "baci", QUIET_SEEDS[0])

    def refused(*args, **kwargs):
        raise AssertionError("a frame of rows was made: the sums should have answered")

    monkeypatch.setattr(baci, "_readings", refused)
    result = _run(
        runner, ["partners", "--data", str(folder), "--reporter", "USA", "--format", "csv"]
    )
    assert result[0] == 0, result[2]
    assert result[1].startswith("rank,year,reporter,partner")


# ------------------------------------------------------------ quiet_table and the rules


def _stack_says(frame: pd.DataFrame) -> bool:
    """Whether ``stack``'s rules for a reading it has not settled say anything."""
    account = Accounting(file="seeded.csv", layout="tidy")
    try:
        trust.check_periods(frame, account)
        trust.check_values(frame, account)
        trust.check_magnitudes(frame, account)
    except DataFileError:
        return True
    return bool(account.warnings)


def _seeded_frame(draw: random.Random) -> pd.DataFrame:
    """A frame of plain rows with, in one seed of two, one to three faults drawn from
    every kind the rules know (and a negative balance, which is none)."""
    rows = draw.randint(2, 30)
    frame = pd.DataFrame(
        {
            "year": pd.array([draw.choice([2015, 2016]) for _ in range(rows)], dtype="Int16"),
            "month": pd.array([draw.choice([None, None, 1, 12]) for _ in range(rows)], "Int8"),
            "reporter": [draw.choice(["USA", "KOR"]) for _ in range(rows)],
            "partner": [draw.choice(["KOR", "CHN", "DEU", "WLD", "EUR"]) for _ in range(rows)],
            "flow": [draw.choice(["export", "import", "balance"]) for _ in range(rows)],
            "product": [draw.choice(["TOTAL", "01", "87", "8703", "870323"]) for _ in range(rows)],
            "value_usd": [draw.choice([1.5, 2e9, 7e10, 0.0]) for _ in range(rows)],
        }
    )
    faults = {
        "year": [1899, 2101],
        "month": [0, 13],
        "value_usd": [-4.0, float("nan"), float("inf"), 6e13, -6e13, 1.6e13, 3e12],
    }
    for _ in range(draw.choice([0, 0, 0, 1, 2, 3])):
        column = draw.choice(list(faults))
        at = draw.randrange(rows)
        frame.loc[at, column] = draw.choice(faults[column])
        if draw.random() < 0.5:  # sums beyond the bounds need rows of one series
            frame.loc[at, ["reporter", "flow", "partner"]] = ["USA", "export", "KOR"]
    return frame


@pytest.mark.parametrize("seed", range(300))
def test_a_quiet_table_is_one_the_rules_say_nothing_of(seed):
    """Seeded frames near every bound (years 1899 and 2101, months 0 and 13, negative
    flows and balances, NaN and infinite values, 6e13 in one row, sums beyond world trade
    or beyond the US's own total, groups among the partners, levels and months mixed):
    ``quiet_table`` of the frame as an Arrow table (text plain, or as dictionaries) is
    True exactly where the rules raise nothing and warn of nothing."""
    draw = random.Random(seed)
    frame = _seeded_frame(draw)
    said = _stack_says(frame.copy())
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if draw.random() < 0.5:
        text = ["reporter", "partner", "flow", "product"]
        table = table.cast(
            pa.schema(
                [
                    pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
                    if f.name in text
                    else f
                    for f in table.schema
                ]
            )
        )
    assert trust_table.quiet_table(table) is not said, frame


def test_quiet_tables_are_not_all_alike():
    """The seeds give both kinds: a test of the above that could not fail is none."""
    said = [_stack_says(_seeded_frame(random.Random(seed))) for seed in range(300)]
    assert 60 < sum(said) < 240


def test_the_sums_are_answered_from_rows_when_a_rule_speaks(runner, tmp_path, monkeypatch):
    """A year whose US exports add up to more than world trade: the rows path refuses it,
    naming the line, and the sums never answer."""
    folder = tmp_path / "baci"
    folder.mkdir()
    (folder / "country_codes_V202301.csv").write_text(COUNTRIES, encoding="utf-8")
    rows = [
        ("2016", "842", "410", "870323", "20000000000", ""),
        ("2016", "842", "156", "870323", "20000000000", ""),
        ("2016", "410", "842", "010121", "1", ""),
    ]
    write_data(folder / "BACI_HS92_Y2016_V202301.csv", rows)
    used = []
    summed = plan_partners._summed
    monkeypatch.setattr(plan_partners, "_summed", lambda *a, **k: used.append(1) or summed(*a, **k))
    code, out, err = _run(runner, ["partners", "--data", str(folder), "--reporter", "USA"])
    assert code != 0 and out == ""
    assert "BACI_HS92_Y2016_V202301.csv: USA exports in 2016 add up to" in err
    assert "more than world trade that year" in err
    assert not used


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("20000000000", "Error: {file}: USA exports in 2017 add up to {total} US"),
        ("3000000000", "Note: {file}: USA exports in 2017 add up to {total} US"),
    ],
    ids=["beyond world trade", "beyond the US's own total"],
)
@pytest.mark.parametrize("cached", [False, True], ids=["csv", "cache"])
@pytest.mark.parametrize("question", ["partners", "deficit"])
def test_a_folder_of_years_names_the_file_of_the_year_a_rule_speaks_of(
    runner, tmp_path, monkeypatch, value, said, cached, question
):
    """A folder of BACI years is read as one frame; a sum out of scale in one year is said
    of that year's file (not of the folder's first), whichever the question and however
    the years are read."""
    folder = tmp_path / "baci"
    folder.mkdir()
    (folder / "country_codes_V202301.csv").write_text(COUNTRIES, encoding="utf-8")
    year = [("2015", "842", "410", "870323", "3", ""), ("2015", "410", "842", "870323", "5", "")]
    write_data(folder / "BACI_HS92_Y2015_V202301.csv", year)
    rows = [
        ("2017", "842", "410", "870323", value, ""),
        ("2017", "842", "156", "870323", value, ""),
        ("2017", "842", "516", "010121", "100", ""),
    ]
    write_data(folder / "BACI_HS92_Y2017_V202301.csv", rows)
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    cache.set_enabled(cached)
    try:
        if cached:
            runner.invoke(cli, ["cache", "build", str(folder)], env=ENV)
        command = ["partners", "--data", str(folder), "--reporter", "USA", "--year", "2015"]
        if question == "deficit":
            command = ["deficit", "--data", str(folder), "--partner", "KOR", "--years", "2015"]
        code, _, err = _run(runner, command)
    finally:
        cache.set_enabled(None)
    wrong = str(folder / "BACI_HS92_Y2015_V202301.csv")
    # (partners reads the US's trade with every partner; deficit only its trade with KOR)
    total = float(value) * 1e3 * (1 if question == "deficit" else 2)
    total += 1e5 if question == "partners" else 0
    file = folder / "BACI_HS92_Y2017_V202301.csv"
    assert said.format(file=file, total=f"{total:,.0f}") in " ".join(err.split())
    assert f"{wrong}: USA exports" not in err
    assert (code != 0) is said.startswith("Error")
