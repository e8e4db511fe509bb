"""Whole-panel questions over BACI files (``korus world``, ``korus mirror --gaps``) read no
more than they need and give, word for word on stdout and stderr, with the same exit
status, what a reading of every row gives:

- world totals of one flow run their plan on one Arrow table of every country's records of
  that flow (``readers.flows_table`` with ``{"flow": ...}``: each BACI row once, the other
  record never built), or of a file's kept reading (``readers.kept_table``);
- mirror gaps run theirs on one Arrow table of every record (``flows_table`` with ``{}``),
  or of a file's kept reading: every row is read, as before, never as a pandas frame;
- both plans run a slice of rows at a time (``plans.slices``), and any slicing gives the
  sums of the whole;
- over a folder of years, both read one file's table at a time (``baci.read_each``,
  ``readers.TableParts``); a year in two files, or a rule that would speak of a later
  year, sends the question to the rows, which say it.

Over the corpus's BACI files (their errors too) and seeded folders of years (codes of
groups, two codes of one country, repeats, values near the bounds of the trust layer),
read from the CSV and from korus's cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from korus import cache, readers
from korus.cli import cli
from korus.engine import plans
from test_baci_sums import QUIET_SEEDS, _corpus_cases, counted_tables, seeded_data, seeded_years

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}


def _run(runner, command: list[str]):
    result = runner.invoke(cli, command, env=ENV)
    return result.exit_code, result.stdout, result.stderr


def _world_questions(data: list[str], options: list[str], years) -> list[list[str]]:
    questions = []
    for year in years:
        for flow, by in (("exports", "chapter"), ("imports", "heading")):
            base = ["world", "--data", *data, *options, "--year", str(year), "--flow", flow]
            questions.append([*base, "--by", by, "--format", "csv", "--verbose"])
        questions.append([*base, "--reporter", "USA", "--format", "csv", "--verbose"])
    return questions


def _gaps_questions(data: list[str], options: list[str], years) -> list[list[str]]:
    return [
        ["mirror", "--gaps", "--data", *data, *options, "--year", str(year), *strict]
        + ["--reporter", reporter, "--flow", flow, "--format", "csv", "--verbose"]
        for year in years
        for reporter in ("USA", "DEU")
        for flow in ("exports", "imports")
        for strict in ([], ["--strict"])
    ]


def _both_ways(runner, monkeypatch, questions) -> int:
    """Ask each question from one Arrow table (the flow's records, or every record) and
    from every row; return how many answers came from a table (each the same as from the
    rows, word for word)."""
    tables = counted_tables(monkeypatch)
    from_tables = 0
    for command in questions:
        tables.clear()
        summed = _run(runner, command)
        with monkeypatch.context() as rows_only:
            rows_only.setattr(readers, "flows_table", lambda *args, **kwargs: None)
            rows_only.setattr(readers, "kept_table", lambda *args, **kwargs: None)
            rows = _run(runner, command)
        assert summed == rows, command
        from_tables += summed[0] == 0 and any(found is not None for found in tables)
    return from_tables


def _years(folder: Path) -> list[int]:
    return sorted(int(path.name.split("_Y")[1][:4]) for path in folder.glob("BACI_*.csv"))


@pytest.mark.parametrize(("file", "options"), _corpus_cases())
def test_world_and_gaps_over_a_baci_file_of_the_corpus_equal_rows(
    runner, monkeypatch, file, options
):
    # (a year the file may not hold is asked too: the same error either way)
    years = [2016, 2021]
    questions = _world_questions([str(file)], options, years)
    _both_ways(runner, monkeypatch, questions + _gaps_questions([str(file)], options, years))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("cached", [False, True], ids=["csv", "cache"])
def test_world_and_gaps_over_seeded_baci_years_equal_rows(
    runner, tmp_path, monkeypatch, seed, cached
):
    with seeded_data(runner, tmp_path, monkeypatch, seed, cached) as (datas, options):
        years = _years(Path(datas[0][0]))  # (the folder's)
        for data in datas:
            questions = _world_questions(data, options, years[:2])
            from_tables = _both_ways(runner, monkeypatch, questions)
            gaps = _both_ways(runner, monkeypatch, _gaps_questions(data, options, years[:1]))
            if seed in QUIET_SEEDS:  # no rule speaks of their years: a table does answer
                assert from_tables >= 2
                assert gaps >= 2


def test_world_totals_of_a_flow_build_that_flow_s_records_only(tmp_path, monkeypatch):
    """Each BACI row is one record of the flow asked for: the records of that flow a
    reading of every row gives, none of the other flow, with the same accounting."""
    folder, _ = seeded_years(tmp_path / "baci", QUIET_SEEDS[0])
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    tables = {
        flow: readers.flows_table([str(folder)], None, False, {"flow": flow})
        for flow in ("export", "import")
    }
    assert all(found is not None for found in tables.values())
    rows = readers.load([str(folder)]).frame
    for flow, (table, accounting) in tables.items():
        assert accounting == [account for account in readers.load([str(folder)]).accounting]
        assert set(table["flow"].to_pylist()) == {flow}
        mine = rows[rows["flow"] == flow]
        assert len(mine) == len(table)
        assert sorted(table["reporter"].to_pylist()) == sorted(mine["reporter"].tolist())
        assert round(sum(table["value_usd"].to_pylist()), 2) == round(mine["value_usd"].sum(), 2)


def _records(table) -> list[tuple]:
    """The records of an Arrow table or a frame, each as plain values, sorted."""
    columns = ["year", "reporter", "partner", "flow", "product", "value_usd", "vintage"]
    if hasattr(table, "to_pylist"):
        return sorted(tuple(row[name] for name in columns) for row in table.to_pylist())
    return sorted(tuple(row) for row in table[columns].astype(object).itertuples(index=False))


@pytest.mark.parametrize("flow", ["export", "import"])
def test_the_other_flow_s_records_checked_are_those_of_every_row(tmp_path, monkeypatch, flow):
    """The records of the flow not asked for, which the trust layer's rules judge, are a
    reading of every row's records of that flow, record for record."""
    from korus.readers import baci

    folder, _ = seeded_years(tmp_path / "baci", QUIET_SEEDS[0])
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    files = sorted(folder.glob("BACI_*.csv"))
    flows = baci.read_many(files, None, table=True, flow=flow)
    other = flows.other()
    rows = readers.load([str(folder)]).frame
    (unasked,) = {"export", "import"} - {flow}
    assert _records(other) == _records(rows[rows["flow"] == unasked])
    assert _records(flows.table) == _records(rows[rows["flow"] == flow])


@pytest.mark.parametrize("rows", [1, 3, 7, 1000])
def test_a_plan_run_a_slice_at_a_time_gives_the_sums_of_the_whole(
    runner, tmp_path, monkeypatch, rows
):
    folder, _ = seeded_years(tmp_path / "baci", QUIET_SEEDS[1])
    years = _years(folder)
    questions = _world_questions([str(folder)], [], years) + _gaps_questions(
        [str(folder)], [], years
    )
    whole = [_run(runner, command) for command in questions]
    assert any(code == 0 for code, _, _ in whole)
    monkeypatch.setattr(plans, "SLICE", rows)
    assert [_run(runner, command) for command in questions] == whole


@pytest.mark.parametrize(
    ("question", "header"),
    [
        (["world"], "rank,year,flow,product"),
        (["mirror", "--gaps", "--reporter", "USA"], "rank,year,reporter,partner"),
    ],
    ids=["world", "gaps"],
)
def test_a_whole_panel_question_never_makes_a_frame_of_rows(
    runner, tmp_path, monkeypatch, question, header
):
    """The records are never made a pandas frame: the readings of rows refuse."""
    from korus.readers import baci

    folder, _ = seeded_years(tmp_path / "baci", QUIET_SEEDS[0])
    year = _years(folder)[0]

    def refused(*args, **kwargs):
        raise AssertionError("a frame of rows was made: one table should have answered")

    monkeypatch.setattr(baci, "_readings", refused)
    code, out, err = _run(
        runner, [*question, "--data", str(folder), "--year", str(year), "--format", "csv"]
    )
    assert code == 0, err
    assert out.startswith(header)


def _folder_of_years(folder: Path, years: list[int], names: list[str] | None = None) -> Path:
    """A folder of BACI years with the same flows each year (values that vary by year),
    named ``names`` (default: one file a year, release V202301)."""
    from test_baci_sums import CODES, COUNTRIES
    from test_readers_baci import write_data

    folder.mkdir(parents=True)
    (folder / "country_codes_V202301.csv").write_text(COUNTRIES, encoding="utf-8")
    names = names or [f"BACI_HS92_Y{year}_V202301.csv" for year in years]
    for at, (year, name) in enumerate(zip(years, names, strict=True)):
        rows = [
            (str(year), exporter, importer, product, f"{1.25 + at + n:.3f}", "  NA")
            for n, (exporter, importer) in enumerate(
                (e, i) for e in CODES for i in CODES if e != i and "490" not in (e, i)
            )
            for product in ("010121", "870323")
        ]
        write_data(folder / name, rows)
    return folder


@pytest.mark.parametrize("cached", [False, True], ids=["csv", "cache"])
def test_a_folder_of_years_is_read_one_year_at_a_time(runner, tmp_path, monkeypatch, cached):
    """World totals and mirror gaps over a folder of years build one file's table at a
    time (``baci.read_each``), never a table of every year's rows, and give what the rows
    give."""
    from korus.readers import baci

    folder = _folder_of_years(tmp_path / "baci", [2015, 2016, 2017])
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    cache.set_enabled(cached)
    try:
        if cached:
            assert runner.invoke(cli, ["cache", "build", str(folder)], env=ENV).exit_code == 0
        built: list[int] = []
        flows = baci._flows

        def counted(parts, *args, **kwargs):
            built.append(len(parts))
            return flows(parts, *args, **kwargs)

        monkeypatch.setattr(baci, "_flows", counted)
        data = [str(folder)]
        # (every country's records: a reporter's side alone is read as one small table;
        # --strict refuses the rows of Germany's two codes, from the tables or the rows)
        questions = [
            command
            for command in _world_questions(data, [], [2016]) + _gaps_questions(data, [], [2016])
            if "--reporter" not in command or "--gaps" in command
        ]
        answered = [command for command in questions if "--strict" not in command]
        assert _both_ways(runner, monkeypatch, questions) == len(answered) == 6
        # Each question read the three years one at a time (the rows' reading builds none).
        assert built and set(built) == {1}
        assert len(built) >= 3 * len(questions)
    finally:
        cache.set_enabled(None)


def test_two_files_of_one_year_in_a_folder_are_said_as_the_rows_say(runner, tmp_path, monkeypatch):
    """Two releases of a year side by side: read one at a time, the second stops the
    tables (``common.Unsettled``), and the rows say which flows are given twice."""
    names = ["BACI_HS92_Y2016_V202301.csv", "BACI_HS92_Y2016_V202401.csv"]
    folder = _folder_of_years(tmp_path / "baci", [2016, 2016], names)
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    data = [str(folder)]
    questions = _world_questions(data, [], [2016]) + _gaps_questions(data, [], [2016])
    assert _both_ways(runner, monkeypatch, questions) == 0
    code, _, err = _run(runner, questions[0])
    assert code != 0 and "BACI_HS92_Y2016_V202401.csv" in err, err


def test_a_rule_that_speaks_of_a_later_year_is_said_as_the_rows_say(runner, tmp_path, monkeypatch):
    """The first years are quiet and the last is not (more than world trade, added up):
    the tables read so far are dropped and the rows are read, the rule naming the line."""
    folder = _folder_of_years(tmp_path / "baci", [2015, 2016, 2017])
    last = folder / "BACI_HS92_Y2017_V202301.csv"
    with last.open("a", encoding="utf-8") as handle:
        handle.write("2017,842,156,271019,20000000000,\n2017,842,410,271019,20000000000,\n")
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    data = [str(folder)]
    questions = _world_questions(data, [], [2016]) + _gaps_questions(data, [], [2016])
    assert _both_ways(runner, monkeypatch, questions) == 0
    code, _, err = _run(runner, questions[0])
    assert code != 0 and "more than world trade" in err and last.name in err, err
