"""korus partners over a store is answered from sums made where each part is read (the
plan of ``korus.engine.plan_partners``), and gives, to the cent, with the same accounting
and the same errors, what the measure gives over the rows: for seeded panels that mix
product levels, all-goods rows, groups, stated balances, partial and whole years of
months, missing flows, several vintages, and files that overlap or mix sources."""

from __future__ import annotations

import csv
import functools
import io
import random
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from generated_panel import HEADER, write_panel
from korus import api, countries, metrics_partners
from korus.cli import cli
from korus.errors import KorusError
from korus.readers.same import SAME_BLOCK, same_text

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}
REPORTERS = ("USA", "KOR", "CHN")
PARTNERS = ("USA", "KOR", "CHN", "DEU", "JPN", "WLD", "EUR")


def _line(
    year, month, reporter, partner, flow, product, cents, vintage="2025-01", source="Seeded panel"
) -> str:
    width = "TOTAL" if product == "TOTAL" else "HS2012"
    month_text = "" if month is None else str(month)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return (
        f"{year},{month_text},{reporter},{partner},{flow},{product},"
        f"{'none' if width == 'TOTAL' else width},{sign}{cents // 100}.{cents % 100:02d},"
        f"{source},{'FOB' if flow != 'import' else 'CIF'},{vintage}"
    )


def seeded_panel(folder: Path, seed: int) -> list[Path]:
    """Write a seeded panel: one file a year (2015-2019), each (reporter, partner, flow) series
    drawn with its own product level (all goods, HS chapters or headings), sometimes
    missing, sometimes months (whole or not), with stated balances of all goods."""
    draw = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in range(2015, 2020):
        monthly = year >= 2018
        lines = [HEADER]
        level = {flow: draw.choice(["TOTAL", 2, 2, 4]) for flow in ("export", "import")}
        vintage = draw.choice(["2025-01", "2025-06"])
        for reporter in REPORTERS:
            for partner in PARTNERS:
                if partner == reporter:
                    continue
                for flow in ("export", "import"):
                    if draw.random() < 0.1:
                        continue  # a flow the data lacks
                    # Mostly the year's level; sometimes another (the level rule decides).
                    chosen = level[flow] if draw.random() < 0.8 else draw.choice(["TOTAL", 2, 4])
                    if chosen == "TOTAL":
                        products = ["TOTAL"]
                    else:
                        codes = ["01", "27", "84", "85", "87"] if chosen == 2 else []
                        codes = codes or ["0101", "2709", "8471", "8517", "8703", "8708"]
                        products = draw.sample(codes, draw.randint(1, len(codes)))
                    months = [None]
                    if monthly:
                        months = list(range(1, 13))
                        if draw.random() < 0.2:
                            months.remove(draw.randint(1, 12))  # a partial year
                    # Sometimes a year of twelve months is also stated whole, as their sum
                    # (the stated year counts, never its months too).
                    stated = monthly and len(months) == 12 and draw.random() < 0.15
                    year_cents: dict = defaultdict(int)
                    for month in months:
                        for product in products:
                            cents = draw.randint(1, 900_000_000_00)
                            year_cents[product] += cents
                            # With seed 4, one series of 2017 from another source.
                            other = seed == 4 and (year, reporter, partner) == (2017, "KOR", "JPN")
                            source = "Another panel" if other else "Seeded panel"
                            lines.append(
                                _line(
                                    year,
                                    month,
                                    reporter,
                                    partner,
                                    flow,
                                    product,
                                    cents,
                                    vintage,
                                    source,
                                )
                            )
                    for product, cents in year_cents.items() if stated else ():
                        lines.append(_line(year, None, reporter, partner, flow, product, cents))
                if draw.random() < 0.3 and not monthly:
                    cents = draw.randint(-500_000_000_00, 500_000_000_00)
                    lines.append(_line(year, None, reporter, partner, "balance", "TOTAL", cents))
        path = folder / f"seeded-{year}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def ingest(runner, paths, store: Path, *more: str) -> Path:
    made = runner.invoke(cli, ["ingest", *map(str, paths), "--into", str(store), *more], env=ENV)
    assert made.exit_code == 0, made.output
    return store


def from_rows(data, reporter, years, by, groups, dedupe=False) -> pd.DataFrame:
    """The measure over the rows read (what korus gave before the plan)."""
    settings = api.Settings(data=tuple(map(str, data)), dedupe=dedupe)
    frame = api.read(settings, "census", reporter=reporter).frame
    years = years or [metrics_partners.latest_reporter_year(frame, reporter)]
    tables = [
        metrics_partners.partner_ranking(
            frame, reporter, year, by, countries.is_group, include_groups=groups
        )
        for year in years
    ]
    return pd.concat(tables, ignore_index=True)


def outcome(call):
    try:
        return "answer", call()
    except KorusError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


QUESTIONS = [
    (reporter, years, by, groups)
    for reporter in REPORTERS
    for years, by, groups in (
        (None, "total", False),
        ([2016], "balance", False),
        ([2015, 2016, 2017], "exports", True),
        ([2018], "imports", False),
        ([2018, 2019], "total", True),
        ([2014], "total", False),
        ([2017], "total", False),
    )
]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_partners_from_sums_equal_partners_from_rows(runner, tmp_path, seed):
    paths = seeded_panel(tmp_path / "files", seed)
    store = ingest(runner, paths, tmp_path / "store")
    answered, from_sums = 0, 0
    reads = []
    reading = api.read

    def counted(*args, **kwargs):
        reads.append(args)
        return reading(*args, **kwargs)

    for reporter, years, by, groups in QUESTIONS:
        question = functools.partial(
            api.partners, years, reporter, by, groups=groups, data=[str(store)]
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api, "read", counted)
            reads.clear()
            kind, planned = outcome(question)
            from_sums += kind == "answer" and not reads
        rows = functools.partial(from_rows, [store], reporter, years, by, groups)
        expected = outcome(rows)
        assert kind == expected[0], (reporter, years, by, planned, expected[1])
        if kind == "error":
            assert planned == expected[1]
            continue
        answered += 1
        pd.testing.assert_frame_equal(planned, expected[1], check_dtype=False)
        assert (
            planned.attrs["accounting"]
            == reading(api.Settings(data=(str(store),)), "census", reporter=reporter).accounting
        )
    print(seed, answered, from_sums)
    assert from_sums == answered  # every answer came from the sums, none from the rows
    assert answered >= 9  # the seeds give answers, not only errors


def test_the_plan_reads_no_rows_into_pandas(runner, tmp_path, monkeypatch):
    paths = write_panel(tmp_path / "files")
    store = ingest(runner, paths, tmp_path / "store")

    def refused(*args, **kwargs):
        raise AssertionError("rows were read: the plan should have answered from sums")

    monkeypatch.setattr(api, "read", refused)
    table = api.partners("2014-2018", "KOR", "total", data=[str(store)])
    assert list(table["year"].unique()) == [2014, 2015, 2016, 2017, 2018]
    assert set(table["products"]) == {"12 HS chapters (01-90)"}


def hand_cents(paths, reporter, year) -> dict:
    """Each partner's exports and imports in cents, added up from the files' lines."""
    sums: dict = defaultdict(int)
    for path in paths:
        for line in path.read_text().splitlines()[1:]:
            fields = line.split(",")
            if int(fields[0]) != year or fields[2] != reporter or fields[3] == "WLD":
                continue
            units, cents = fields[7].split(".")
            sums[(fields[3], fields[4])] += int(units) * 100 + int(cents)
    return dict(sums)


@pytest.mark.parametrize("year", [2016, 2018], ids=["stated years", "twelve months"])
def test_partners_over_a_store_are_the_sums_of_the_lines_to_the_cent(runner, tmp_path, year):
    paths = write_panel(tmp_path / "files")
    store = ingest(runner, paths, tmp_path / "store")
    result = runner.invoke(
        cli,
        ["partners", "--data", str(store), "--reporter", "CHN", "--year", str(year)]
        + ["--format", "csv", "--unit", "usd"],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = hand_cents(paths, "CHN", year)
    assert {row["partner"] for row in rows} == {"USA", "KOR", "DEU"}
    for row in rows:
        assert round(float(row["exports_usd"]) * 100) == expected[(row["partner"], "export")]
        assert round(float(row["imports_usd"]) * 100) == expected[(row["partner"], "import")]


def test_a_range_of_years_ranks_each_year_on_its_own(runner, tmp_path):
    paths = write_panel(tmp_path / "files")
    args = ["partners", "--data", str(tmp_path / "files"), "--reporter", "DEU"]
    both = runner.invoke(cli, [*args, "--year", "2015-2016", "--top", "2", "--format", "csv"])
    assert both.exit_code == 0, both.output
    rows = list(csv.DictReader(io.StringIO(both.stdout)))
    assert [(row["year"], row["rank"]) for row in rows] == [
        ("2015", "1"),
        ("2015", "2"),
        ("2016", "1"),
        ("2016", "2"),
    ]
    for year in ("2015", "2016"):
        one = runner.invoke(cli, [*args, "--year", year, "--top", "2", "--format", "csv"])
        assert [row for row in rows if row["year"] == year] == list(
            csv.DictReader(io.StringIO(one.stdout))
        )
    assert paths  # the files were written
    drawn = runner.invoke(cli, [*args, "--year", "2015-2016", "--chart"])
    assert drawn.exit_code == 2
    assert "draw one year's ranking" in drawn.stderr


def test_a_year_of_the_range_missing_is_the_error_of_that_year(runner, tmp_path):
    paths = write_panel(tmp_path / "files")
    store = ingest(runner, paths, tmp_path / "store")
    result = runner.invoke(
        cli, ["partners", "--data", str(store), "--year", "2012-2014", "--format", "csv"], env=ENV
    )
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "Error: the data holds no USA trade for 2012 (it covers 2014-2018)"
    ]


def test_overlapping_parts_are_judged_over_the_rows(runner, tmp_path):
    """Two files repeating each other exactly: a store keeps both with --dedupe, and the
    plan, seeing a series two parts give, leaves the rows to the trust layer, which keeps
    each figure once and counts what it dropped, as it does for the files."""
    paths = write_panel(tmp_path / "files")
    copy = tmp_path / "copy" / "panel-2016-again.csv"
    copy.parent.mkdir()
    copy.write_text(paths[2].read_text())
    store = ingest(runner, [paths[2], copy], tmp_path / "store", "--dedupe")
    settings = api.Settings(data=(str(store),), dedupe=True)
    planned = api.partners(2016, "USA", settings=settings)
    files = api.partners(2016, "USA", settings=api.Settings(data=(str(paths[2]),)))
    pd.testing.assert_frame_equal(
        planned.drop(columns=["vintage"]), files.drop(columns=["vintage"]), check_dtype=False
    )
    dropped = [a for a in planned.attrs["accounting"] if a.layout == "dedupe"]
    # USA's rows of 2016: 4 partners (the World too), 2 flows, 12 chapters, each given twice.
    assert dropped and (dropped[0].rows_read, dropped[0].rows_kept) == (192, 96)


CORPUS = Path(__file__).resolve().parent / "corpus"


def _readable_files() -> list:
    """Every file of the corpus that korus reads (with its options), and the real downloads
    of the shared data folder where it is present: each layout korus knows."""
    import tomllib

    from conftest import SHARED_DATA

    found = []
    for path in sorted(CORPUS.glob("cases*.toml")):
        for name, case in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if case["outcome"] == "read" and "xfail" not in case:
                files = [CORPUS / case["file"], *(CORPUS / f for f in case.get("more_files", []))]
                found.append(pytest.param(files, case.get("args", []), id=name))
    for folder in ("census", "comtrade", "kosis", "downloads"):
        for path in sorted((SHARED_DATA / folder).glob("*")) if SHARED_DATA.is_dir() else []:
            found.append(pytest.param([path], [], id=f"shared-{path.name}"))
    return found


@pytest.mark.parametrize(("files", "options"), _readable_files())
def test_partners_from_a_store_of_every_layout_equal_partners_from_its_rows(
    runner, tmp_path, files, options
):
    """Each readable file of every layout, kept in a store: for its reporters and their
    last years, the plan's ranking is the measure's over the rows, or the same error."""
    store = ingest(runner, files, tmp_path / "store", *options)
    settings = api.Settings(data=(str(store),), dedupe="--dedupe" in options)
    frame = api.read(settings).frame
    for reporter in sorted(set(frame["reporter"]))[:3]:
        held = sorted({int(year) for year in frame.loc[frame["reporter"] == reporter, "year"]})
        for years in (None, *([year] for year in held[-2:])):
            planned = outcome(lambda: api.partners(years, reporter, settings=settings))  # noqa: B023
            expected = outcome(
                lambda: from_rows([store], reporter, years, "total", False, settings.dedupe)  # noqa: B023
            )
            assert planned[0] == expected[0], (reporter, years, planned, expected)
            if planned[0] == "error":
                assert planned[1] == expected[1]
            else:
                pd.testing.assert_frame_equal(planned[1], expected[1], check_dtype=False)


def _tidy(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("dedupe", [False, True], ids=["refused", "dropped"])
def test_files_repeating_each_other_in_another_year_are_judged_as_for_the_files(
    runner, tmp_path, dedupe
):
    """Two files that repeat 2019 exactly: asked about 2020, which one file holds, the store
    gives what the files give: the repeat refused, or dropped and counted with --dedupe."""
    repeated = [
        "2019,,USA,KOR,export,TOTAL,none,10.00,Test,FOB,v1",
        "2019,,USA,KOR,import,TOTAL,none,10.00,Test,CIF,v1",
    ]
    first = _tidy(
        tmp_path / "a" / "f0.csv",
        [
            *repeated,
            "2020,,USA,KOR,export,TOTAL,none,30.00,Test,FOB,v1",
            "2020,,USA,KOR,import,TOTAL,none,20.00,Test,CIF,v1",
        ],
    )
    second = _tidy(
        tmp_path / "b" / "f1.csv", [*repeated, "2021,,USA,KOR,export,TOTAL,none,30.00,Test,FOB,v1"]
    )
    store = ingest(runner, [first, second], tmp_path / "store", "--dedupe")
    planned = outcome(
        lambda: api.partners(2020, "USA", settings=api.Settings(data=(str(store),), dedupe=dedupe))
    )
    files = outcome(
        lambda: api.partners(
            2020, "USA", settings=api.Settings(data=(str(first), str(second)), dedupe=dedupe)
        )
    )
    assert planned[0] == files[0] == ("answer" if dedupe else "error")
    if dedupe:
        assert planned[1][["partner", "exports", "imports"]].values.tolist() == [
            ["KOR", 30.0, 20.0]
        ]
        dropped = [a for a in planned[1].attrs["accounting"] if a.layout == "dedupe"]
        assert [(a.rows_read, a.rows_kept) for a in dropped] == [(7, 5)]
    else:
        assert "repeat" in planned[1] and planned[1].split(": ", 1)[0] == files[1].split(": ", 1)[0]


def test_every_basis_of_a_flow_is_said_whatever_the_order_of_the_rows(runner, tmp_path):
    months = [
        f"2019,{month},USA,CHN,{flow},TOTAL,none,10.00,Test,{basis},v1"
        for month in range(1, 13)
        for flow, basis in (("export", "B1"), ("import", "C1"))
    ]
    stated = [
        "2019,,USA,KOR,export,TOTAL,none,10.00,Test,B2,v1",
        "2019,,USA,KOR,import,TOTAL,none,10.00,Test,C2,v1",
    ]
    path = _tidy(tmp_path / "files" / "bases.csv", [*months, *stated])
    store = ingest(runner, [path], tmp_path / "store")
    planned = api.partners(2019, "USA", data=[str(store)])
    rows = from_rows([store], "USA", [2019], "total", False)
    assert set(planned["basis"]) == set(rows["basis"]) == {"exports: B1 / B2; imports: C1 / C2"}
    pd.testing.assert_frame_equal(planned, rows, check_dtype=False)


def test_a_store_of_several_files_says_once_where_each_was_read_from(runner, tmp_path):
    """Files of one year, each checked against the other as it is kept: that reading of
    the store never writes its notes into the store's manifest."""
    paths = write_panel(tmp_path / "files")
    second = tmp_path / "more" / "panel-2016-more.csv"
    second.parent.mkdir()
    second.write_text(paths[2].read_text().replace(",2025-01", ",2025-02"))
    store = ingest(runner, [*paths, second], tmp_path / "store", "--dedupe")
    table = api.partners(2015, "USA", settings=api.Settings(data=(str(store),), dedupe=True))
    assert len(table.attrs["accounting"]) >= 6
    for account in table.attrs["accounting"]:
        if account.layout == "dedupe":
            continue
        said = [note for note in account.notes if note.startswith("read from the store")]
        assert said == [f"read from the store {store} (ingested from {account.file})"]


# ------------------------------------------- a file whose reading the store keeps, summed


@pytest.mark.parametrize(
    ("files", "options"), [case for case in _readable_files() if len(case.values[0]) == 1]
)
def test_partners_over_a_kept_file_equal_its_rows_word_for_word(
    runner, tmp_path, monkeypatch, files, options
):
    """A file read once is kept (its settled rows); asked again, ``partners`` sums the kept
    rows (``plan_partners._from_kept``) instead of making them pandas. For every layout
    that is kept, the answer from the sums is the answer from the kept rows, on stdout and
    stderr (--verbose: the same accounting and notes), or the same error, and the first
    reading's answer too; and it did come from the sums."""
    from korus import cache, store
    from korus.engine import plan_partners

    monkeypatch.setattr(store, "WORTH_SECONDS", 0.0)
    summed = []
    planned = plan_partners._summed

    def counted(*args, **kwargs):
        answer = planned(*args, **kwargs)
        summed.append(answer)
        return answer

    monkeypatch.setattr(plan_partners, "_summed", counted)
    cache.set_enabled(True)
    try:
        try:  # its reporters (a file read with options of its own: the US and Korea)
            frame = api.read(api.Settings(data=(str(files[0]),), dedupe="--dedupe" in options))
            reporters = sorted(set(frame.frame["reporter"]))[:2]
        except KorusError:
            reporters = ["USA", "KOR"]
        questions = [(reporter, by) for reporter in reporters for by in ("total", "imports")]
        for number, (reporter, by) in enumerate(questions):
            folder = tmp_path / f"cache-{number}"
            monkeypatch.setenv("KORUS_CACHE_DIR", str(folder))
            command = ["partners", "--data", str(files[0]), *options, "--reporter", reporter]
            command += ["--by", by, "--format", "csv", "--verbose"]
            first = runner.invoke(cli, command, env=ENV)
            if not list(folder.glob("reading-*")):
                continue  # a layout with a cache of its own (BACI): not a kept reading
            summed.clear()
            again = runner.invoke(cli, command, env=ENV)
            if again.exit_code == 0:
                assert summed, "the answer came from the rows, not the kept sums"
            with monkeypatch.context() as rows_only:
                rows_only.setattr(plan_partners, "_from_kept", lambda *args: None)
                rows = runner.invoke(cli, command, env=ENV)
            assert (again.exit_code, again.stdout, again.stderr) == (
                rows.exit_code,
                rows.stdout,
                rows.stderr,
            )
            assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)
    finally:
        cache.set_enabled(None)


@pytest.mark.parametrize("rows", [1, SAME_BLOCK, SAME_BLOCK + 7, 3 * SAME_BLOCK])
def test_a_column_of_one_text_is_encoded_as_a_whole_column_is(rows):
    """A column of one text held as one block (``same_text``) is encoded once and gives
    the values and chunks ``dictionary_encode`` gives; other text as that gives it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from korus.engine.plan_partners import _encoded

    same = same_text("FOB (seeded)", rows)
    encoded = _encoded(same)
    assert encoded.to_pylist() == pc.dictionary_encode(same).to_pylist()
    assert [len(chunk) for chunk in encoded.chunks] == [len(chunk) for chunk in same.chunks]
    assert pa.types.is_dictionary(encoded.type)
    if len(same.chunks) > 1:  # one block encoded: its chunks share its indices' memory
        first = encoded.chunks[0].indices.buffers()[1].address
        assert all(chunk.indices.buffers()[1].address == first for chunk in encoded.chunks)
    mixed = pa.chunked_array([["a", "b"], ["b", "c", "a"]], pa.large_string())
    assert _encoded(mixed).to_pylist() == ["a", "b", "b", "c", "a"]
    assert _encoded(pa.chunked_array([[2016, 2017]])).to_pylist() == [2016, 2017]
