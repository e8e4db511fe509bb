"""korus's copy of a cached BACI year in the order of importer (``BY_IMPORTER``): one
reporter's trade with every partner is read from the entry's rows of it as exporter and
from the copy's rows of it as importer. The rows are exactly those the entry alone gives,
in the file's order with their lines (seeded files: shuffled or in BACI's order, two
codes of one country, a row of a country with itself, lost leading zeros, a second year);
the answers of ``korus partners`` are the same word for word; a damaged or stale copy is
never used; a question that missed the copy has it written after the answer
(``korus cache build --by-importer``)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cachework import own_cache
from korus import cache
from korus.cli import cli
from korus.readers import baci, baci_index, baci_parse, baci_stream
from korus.readers.baci_companions import cache_companions
from korus.readers.baci_index import _Cached, build_by_importer
from korus.readers.baci_rows import BY_IMPORTER, LAYOUT, _Wanted

ENV = {"COLUMNS": "120"}
COUNTRIES = """\
country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha
156,China,China,CN,CHN
276,Germany,Germany,DE,DEU
280,Fed. Rep. of Germany,FRG,DE,DEU
410,Rep. of Korea,Republic of Korea,KR,KOR
490,"Other Asia, nes","Other Asia, not elsewhere specified",N/A,N/A
516,Namibia,Namibia,,NAM
842,USA,"USA, Puerto Rico and US Virgin Islands",US,USA
"""
CODES = [156, 276, 280, 410, 490, 516, 842]
# BACI codes of each reporter asked about (Germany has two).
REPORTERS = {"USA": (842,), "DEU": (276, 280), "KOR": (410,), "NAM": (516,)}


@pytest.fixture
def cached(tmp_path, monkeypatch) -> Path:
    yield own_cache(tmp_path, monkeypatch)
    cache.wait()


def seeded_year(folder: Path, seed: int) -> Path:
    """A seeded BACI year: every ordered pair of ``CODES`` (Germany's two codes trade with
    each other: rows of one country, set aside), in BACI's order or shuffled, some product
    codes with a lost leading zero (none where ``seed % 4 == 3``), sometimes a few rows of
    another year."""
    draw = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "country_codes_V202301.csv").write_text(COUNTRIES, encoding="utf-8")
    lines = []
    for exporter in CODES:
        for importer in CODES:
            if exporter == importer:
                continue
            for _ in range(draw.randint(0, 12)):
                code = f"{draw.randrange(1, 98):02d}{draw.randrange(10_000):04d}"
                if code.startswith("0") and draw.random() < 0.3 and seed % 4 != 3:
                    code = code[1:]
                value = f"{draw.randrange(1, 10**7) / 1000:.3f}"
                year = 2019 if draw.random() < 0.02 and seed % 3 == 0 else 2020
                lines.append(f"{year},{exporter},{importer},{code},{value},")
    if seed % 2:
        draw.shuffle(lines)
    else:
        lines.sort(key=lambda line: tuple(int(cell) for cell in line.split(",")[1:3]))
    path = folder / "BACI_HS92_Y2020_V202301.csv"
    path.write_text("t,i,j,k,v,q\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(path: Path, codes, with_copy: bool) -> tuple:
    """The rows of the reporter of BACI ``codes`` read from the cache (its entry alone, or
    with the copy by importer), as plain tuples of arrays, and whether the copy was read."""
    hit = cache.find(path, LAYOUT, cache_companions)
    assert hit is not None
    try:
        entry = _Cached(hit, str(path), path if with_copy else None)
        rows = entry.rows_of(_Wanted(tuple(codes), either=True))
    finally:
        hit.close()
    arrays = (rows.t, rows.i, rows.j, rows.k, rows.lost_zero, rows.v)
    lines = [rows.line(index) for index in range(len(rows))]
    return tuple(np.asarray(values).tolist() for values in arrays) + (lines,), entry.wants_copy


@pytest.mark.parametrize("seed", range(10))
def test_the_copy_by_importer_gives_the_rows_the_entry_gives(cached, tmp_path, monkeypatch, seed):
    if seed % 2:  # entry and copy written in parts, one file per core (where there are two)
        monkeypatch.setattr(baci_parse, "PARTS_FROM", 100)
    path = seeded_year(tmp_path / "baci", seed)
    assert baci.build_cache(path)
    everything = _rows(path, (), False)  # (no codes: no row) the entry is there
    assert everything[0][0] == []
    hit = cache.find(path, LAYOUT, cache_companions)
    entry = _Cached(hit, str(path))
    every = entry.rows_of(None)
    hit.close()
    assert build_by_importer(path)
    used = 0
    for codes in REPORTERS.values():
        alone, _ = _rows(path, codes, False)
        copied, missed = _rows(path, codes, True)
        assert copied == alone
        used += not missed
        # And what the rows of the whole file say, chosen without any index.
        member = np.isin(every.i, codes) | np.isin(every.j, codes)
        assert copied[1] == every.i[member].tolist()
        assert copied[5] == every.v[member].tolist()
        assert copied[6] == [every.line(int(index)) for index in np.flatnonzero(member)]
        assert len(copied[0]) > 0
    assert used == len(REPORTERS)


def test_the_copy_is_read_in_a_few_row_groups(cached, tmp_path, monkeypatch):
    # The reporter's rows as importer come from the copy's few groups, not from every group
    # of the entry.
    monkeypatch.setattr(baci_parse, "CACHE_ROW_GROUP", 8)
    path = seeded_year(tmp_path / "baci", 4)
    assert baci.build_cache(path) and build_by_importer(path)
    groups = []
    read = baci_index._RowGroups.read

    def counted(self, chosen, names, wanted=None):
        groups.append((self.key, len(chosen), len(self.group)))
        return read(self, chosen, names, wanted)

    monkeypatch.setattr(baci_index._RowGroups, "read", counted)
    _, missed = _rows(path, REPORTERS["NAM"], True)
    assert not missed
    assert sorted(key for key, _, _ in groups) == ["ij", "ji"]
    for _, chosen, total in groups:
        assert chosen < total / 3
    groups.clear()
    _rows(path, REPORTERS["NAM"], False)
    assert groups[0][:2] == ("ij", groups[0][2])  # without it: every group


def _partners(runner, path: Path) -> list:
    answers = []
    for reporter in REPORTERS:
        for by, extra in (
            ("total", []),
            ("imports", []),
            ("balance", []),
            ("exports", ["--groups"]),
        ):
            command = ["partners", "--data", str(path), "--reporter", reporter, "--by", by]
            result = runner.invoke(cli, [*command, *extra, "--format", "csv", "-v"], env=ENV)
            answers.append((result.exit_code, result.stdout, result.stderr))
    return answers


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_partners_answers_the_same_with_the_copy(cached, tmp_path, runner, seed):
    path = seeded_year(tmp_path / "baci", seed)
    result = runner.invoke(cli, ["cache", "build", str(path)], env=ENV)
    assert result.exit_code == 0, result.stderr
    before = _partners(runner, path)
    assert [code for code, *_ in before].count(0) == len(before)
    result = runner.invoke(cli, ["cache", "build", "--by-importer", str(path)], env=ENV)
    assert result.exit_code == 0, result.stderr
    assert f"{path}: copy by importer: cached" in result.stderr
    assert cache.find(path, BY_IMPORTER, cache_companions) is not None
    assert _partners(runner, path) == before
    layouts = sorted(entry.layout for entry in cache.entries())
    assert layouts == [LAYOUT, BY_IMPORTER]
    again = runner.invoke(cli, ["cache", "build", "--by-importer", str(path)], env=ENV)
    assert f"{path}: copy by importer: already cached" in again.stderr


def test_a_damaged_copy_is_removed_and_never_read(cached, tmp_path):
    path = seeded_year(tmp_path / "baci", 2)
    assert baci.build_cache(path) and build_by_importer(path)
    alone, _ = _rows(path, REPORTERS["USA"], False)
    copy = cache.find(path, BY_IMPORTER, cache_companions)
    copy.close()
    metadata = pq.ParquetFile(copy.path).metadata
    column = metadata.schema.to_arrow_schema().names.index("v")
    data = bytearray(copy.path.read_bytes())
    for group in range(metadata.num_row_groups):  # every page of v damaged
        at = metadata.row_group(group).column(column).data_page_offset
        data[at + 24 : at + 40] = bytes(16)
    copy.path.write_bytes(bytes(data))
    rows, missed = _rows(path, REPORTERS["USA"], True)
    assert rows == alone
    assert missed
    assert not copy.path.exists()


def test_a_copy_of_another_reading_is_never_read(cached, tmp_path, monkeypatch):
    # A copy whose rows or codes are not the entry's (written of another reading) is removed.
    path = seeded_year(tmp_path / "baci", 3)
    assert baci.build_cache(path) and build_by_importer(path)
    alone, _ = _rows(path, REPORTERS["KOR"], False)
    found = cache.find

    def other(source, layout, *args, **kwargs):
        hit = found(source, layout, *args, **kwargs)
        if hit is not None and layout == BY_IMPORTER:
            hit.info = dict(hit.info, rows=hit.info["rows"] + 1)
        return hit

    monkeypatch.setattr(cache, "find", other)
    rows, missed = _rows(path, REPORTERS["KOR"], True)
    assert (rows, missed) == (alone, True)
    monkeypatch.setattr(cache, "find", found)
    assert cache.find(path, BY_IMPORTER, cache_companions) is None


def test_a_changed_file_leaves_its_copy_unused(cached, tmp_path, runner):
    path = seeded_year(tmp_path / "baci", 6)
    assert baci.build_cache(path) and build_by_importer(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[4] = "999999.999"  # a value changed: the copy's key no longer matches the file
    lines[1] = ",".join(first)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache.set_enabled(False)
    try:
        fresh = _partners(runner, path)
    finally:
        cache.set_enabled(None)
    assert cache.find(path, BY_IMPORTER, cache_companions) is None
    assert baci.build_cache(path)
    assert [answer[:2] for answer in _partners(runner, path)] == [a[:2] for a in fresh]


def test_a_question_that_missed_the_copy_has_it_written_after_the_answer(
    cached, tmp_path, monkeypatch
):
    path = seeded_year(tmp_path / "baci", 8)
    assert baci.build_cache(path)
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda command, **options: started.append(command))
    cache.defer(True)
    try:
        baci.scan(path, ("USA", None))
        cache.launch()  # the command line's: one detached ``korus cache build``
    finally:
        cache.defer(False)
    real = os.path.realpath(path)
    assert len(started) == 1
    assert started[0][-2:] == ["--by-importer", real]
    assert real not in started[0][:-2]  # the file's own entry is there: not asked for
    cache.defer(True)
    try:
        baci.scan(path, ("USA", None))
    finally:
        cache.defer(False)
    cache.launch(background=False)  # here and now
    assert cache.find(path, BY_IMPORTER, cache_companions) is not None
    cache.defer(True)
    try:
        baci.scan(path, ("USA", None))  # read with the copy: nothing more asked
        baci.scan(path, ("USA", "KOR"))  # a pair: no copy needed
    finally:
        cache.defer(False)
    assert cache._requested == []


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "parsed whole"])
def test_the_first_read_of_a_reporter_asks_for_the_copy(cached, tmp_path, monkeypatch, streamed):
    # Streamed, the file's own entry is asked for too; parsed whole, it is written from
    # what was parsed.
    if streamed:
        monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    path = seeded_year(tmp_path / "baci", 9)
    cache.defer(True)
    try:
        baci.scan(path, ("DEU", None))
    finally:
        cache.defer(False)
    cache.wait()
    asked = [(layout, option) for _, layout, _, _, option in cache._requested]
    copy = [(BY_IMPORTER, "--by-importer")]
    assert asked == ([(LAYOUT, None)] + copy if streamed else copy)
    cache.launch(background=False)
    assert cache.find(path, LAYOUT, cache_companions) is not None
    assert cache.find(path, BY_IMPORTER, cache_companions) is not None


def test_cache_build_by_importer_refuses_what_is_not_baci(cached, tmp_path, runner):
    other = Path(__file__).parent / "corpus" / "comtrade_crlf.csv"
    result = runner.invoke(cli, ["cache", "build", "--by-importer", str(other)], env=ENV)
    assert result.exit_code == 1
    assert f"{other}: only BACI files have a copy by importer" in result.stderr
    assert "Traceback" not in result.stderr
    result = runner.invoke(cli, ["cache", "build"], env=ENV)
    assert result.exit_code == 2
    assert "give the FILES to cache" in result.stderr


def test_cache_build_by_importer_takes_a_folder(cached, tmp_path, runner):
    path = seeded_year(tmp_path / "baci", 5)
    result = runner.invoke(cli, ["cache", "build", "--by-importer", str(path.parent)], env=ENV)
    assert result.exit_code == 0, result.stderr
    assert f"{path}: copy by importer: cached" in result.stderr
    assert sorted(entry.layout for entry in cache.entries()) == [LAYOUT, BY_IMPORTER]


@given(
    rows=st.lists(st.booleans(), min_size=2, max_size=300),
    most=st.integers(min_value=1, max_value=8),
)
def test_two_reads_in_file_order_are_merged_as_a_stable_sort_merges_them(rows, most):
    """``_merged`` gives the arrays a stable sort of the two reads by data row gives, or
    None where the second comes in more than ``most`` runs and the first in more than one;
    never other rows or another order."""
    mine = np.array(rows)
    first = {"row": np.flatnonzero(mine), "v": np.flatnonzero(mine) * 1.5}
    second = {"row": np.flatnonzero(~mine), "v": np.flatnonzero(~mine) * -2.0}
    merged = baci_index._merged(first, second, most)
    # The second read's runs: its rows with none of the first's between them.
    runs = int(np.count_nonzero(~mine[1:] & mine[:-1])) + int(not mine[0])
    # The first read's runs: where it is one, it is put between two runs of the second.
    alone = int(np.count_nonzero(mine[1:] & ~mine[:-1])) + int(mine[0]) == 1
    if not first["row"].size or not second["row"].size or (runs > most and not alone):
        assert merged is None
        return
    assert merged is not None
    order = np.argsort(np.concatenate([first["row"], second["row"]]), kind="stable")
    for name in ("row", "v"):
        expected = np.concatenate([first[name], second[name]])[order]
        assert merged[name].tolist() == expected.tolist()
    assert merged["row"].tolist() == list(range(len(rows)))


def test_reads_out_of_the_file_order_are_not_merged():
    """A read whose rows are not in the file's order is left to the sort."""
    first = {"row": np.array([5, 3]), "v": np.array([1.0, 2.0])}
    second = {"row": np.array([4]), "v": np.array([3.0])}
    assert baci_index._merged(first, second) is None
    assert baci_index._merged(second, first) is None
    assert baci_index._merged({"row": None}, second) is None
