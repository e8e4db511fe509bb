"""The read cache: a BACI file's needed columns kept as Parquet, and push-down of a pair.

Every test keeps its cache in its own folder (KORUS_CACHE_DIR): never the user's.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cachework import (
    COUNTRIES,
    PAIR,
    ask,
    entry_of,
    from_cache,
    make_year,
    own_cache,
    read,
    same_size_other_values,
    together,
    totals,
    years_folder,
)
from korus import cache, cache_entries, cache_files, progress, readers
from korus.errors import DataFileError
from korus.readers import baci, baci_index, baci_parse, baci_rows, baci_stream, baci_years


@pytest.fixture
def cached(tmp_path, monkeypatch) -> Path:
    """A cache folder of the test's own, caching every file, in row groups of 64 rows."""
    yield own_cache(tmp_path, monkeypatch)
    cache.wait()


# ------------------------------------------------------------------ written and used


def test_the_first_read_writes_the_cache_and_the_second_reads_it_not_the_csv(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    first = read(path)
    assert not from_cache(first)
    [entry] = cache.entries()
    assert entry.source == path.resolve()
    assert entry.source_size == path.stat().st_size
    assert entry.path.parent == cached and entry.size == entry.path.stat().st_size
    assert entry.layout == "baci" and entry.current and entry.written is not None

    second = read(path)
    assert from_cache(second)
    pd.testing.assert_frame_equal(second.frame, first.frame)


def test_the_second_read_does_not_parse_the_csv(cached, tmp_path, monkeypatch):
    path = make_year(tmp_path / "baci")
    cache.set_enabled(False)
    whole = baci.read(path).frame
    cache.set_enabled(True)
    first = read(path)

    def refuse(*args, **kwargs):
        raise AssertionError("the CSV was parsed again")

    monkeypatch.setattr(baci, "_parse", refuse)
    pd.testing.assert_frame_equal(read(path).frame, first.frame)
    pd.testing.assert_frame_equal(read(path, None).frame, whole)


def test_touching_the_file_rebuilds_the_cache(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    first = read(path)
    same_size_other_values(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    rebuilt = read(path)
    assert not from_cache(rebuilt)
    assert totals(rebuilt) != totals(first)
    assert from_cache(read(path))  # and the new cache is used next
    assert totals(read(path)) == totals(rebuilt)
    assert len(cache.entries()) == 1


def test_a_file_of_another_size_rebuilds_the_cache(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    read(path)
    stat = path.stat()
    path.write_text(path.read_text() + "2020,842,410,999999,1.000,\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time, other size
    reading = read(path)
    assert not from_cache(reading)
    assert reading.accounting[0].rows_read == read(path).accounting[0].rows_read


@pytest.mark.parametrize("damage", ["bytes in the middle", "a column missing"])
def test_a_damaged_cache_file_is_rebuilt_not_trusted(cached, tmp_path, damage):
    path = make_year(tmp_path / "baci")
    expected = baci.read(path).frame
    read(path, None)
    [entry] = cache.entries()
    data = entry.path.read_bytes()
    if damage == "bytes in the middle":
        middle = len(data) // 3
        entry.path.write_bytes(data[:middle] + bytes(64) + data[middle + 64 :])
    else:  # korus's metadata and its seal are right, the data is not all there
        own = {k: v for k, v in pq.read_metadata(entry.path).metadata.items() if b"korus" in k}
        table = pq.read_table(entry.path).drop_columns(["v"]).replace_schema_metadata(own)
        pq.write_table(table, entry.path, row_group_size=64)
        assert cache_files.unsealed(pq.read_metadata(entry.path).metadata) is not None
    reading = read(path, None)
    pd.testing.assert_frame_equal(reading.frame, expected)
    assert not from_cache(reading)
    assert entry_of(path) is not None  # rebuilt, and whole
    assert from_cache(read(path, None))


@pytest.mark.parametrize("damage", ["truncated", "not parquet", "no key"])
def test_a_cache_file_damaged_past_korus_s_marker_is_left_alone_and_the_csv_read(
    cached, tmp_path, damage
):
    path = make_year(tmp_path / "baci")
    expected = baci.read(path).frame
    read(path, None)
    [entry] = cache.entries()
    data = entry.path.read_bytes()
    if damage == "truncated":
        entry.path.write_bytes(data[: len(data) // 2])
    elif damage == "not parquet":
        entry.path.write_bytes(b"this is not a cache")
    else:
        pq.write_table(pq.read_table(entry.path).replace_schema_metadata(None), entry.path)
    damaged = entry.path.read_bytes()
    for _ in range(2):
        reading = read(path, None)
        pd.testing.assert_frame_equal(reading.frame, expected)
        assert not from_cache(reading)
    assert entry.path.read_bytes() == damaged  # korus cannot tell it as its own: left alone
    assert entry_of(path) is None and cache.entries() == []


def test_a_cache_of_another_korus_schema_is_rebuilt(cached, tmp_path, monkeypatch):
    path = make_year(tmp_path / "baci")
    read(path)
    for module in (cache, cache_entries):  # entries are keyed in one, groups in the other
        monkeypatch.setattr(module, "SCHEMA_VERSION", module.SCHEMA_VERSION + 1)
    assert cache.find(path, "baci") is None
    assert not cache.entries()  # the old file was removed...
    assert not from_cache(read(path))
    assert from_cache(read(path))  # ...and a new one written


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_no_cache_file(cached, tmp_path, monkeypatch, failure):
    path = make_year(tmp_path / "baci")
    monkeypatch.setattr(baci, "BACKGROUND_CACHE", False)
    cache.set_enabled(False)
    expected = totals(baci.scan(path, PAIR))
    cache.set_enabled(True)
    written = []

    def interrupted(self, table, row_group_size=None):
        written.append(table.num_rows)
        if len(written) == 3:  # some row groups are on disk already
            raise failure

    monkeypatch.setattr(pq.ParquetWriter, "write_table", interrupted)
    if isinstance(failure, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            baci.scan(path, PAIR)
    else:
        reading = baci.scan(path, PAIR)  # a cache that cannot be written never fails a read
        assert totals(reading) == expected
    assert len(written) >= 3
    assert sorted(p.name for p in cached.iterdir()) == []  # no cache, no temporary file
    assert cache.entries() == []


def test_the_cache_goes_to_korus_cache_dir(cached, tmp_path):
    assert cache.cache_dir() == cached
    read(make_year(tmp_path / "baci"))
    assert [p.suffix for p in cached.iterdir()] == [".parquet"]


@pytest.mark.parametrize(
    ("platform", "environment", "expected"),
    [
        ("linux", {"XDG_CACHE_HOME": "{home}/xdg"}, "{home}/xdg/korus"),
        ("linux", {}, "{home}/.cache/korus"),
        ("linux", {"XDG_CACHE_HOME": "relative/xdg"}, "{home}/.cache/korus"),
        ("darwin", {}, "{home}/Library/Caches/korus"),
        ("win32", {"LOCALAPPDATA": "{home}/AppData/Local"}, "{home}/AppData/Local/korus/Cache"),
    ],
)
def test_the_default_cache_dir_is_the_platforms(
    tmp_path, monkeypatch, platform, environment, expected
):
    monkeypatch.delenv("KORUS_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    for name, value in environment.items():
        monkeypatch.setenv(name, value.format(home=tmp_path))
    monkeypatch.setattr(sys, "platform", platform)
    assert cache.cache_dir() == Path(expected.format(home=tmp_path))


def test_clear_removes_every_entry_and_leftover(cached, tmp_path):
    read(make_year(tmp_path / "a", 2019))
    read(make_year(tmp_path / "b", 2020))
    (cached / cache_files._temporary_name()).write_bytes(b"half a file")  # an interrupted write
    assert len(cache.entries()) == 2
    assert cache.clear() == (3, [])
    assert cache.entries() == [] and list(cached.iterdir()) == []
    assert cache.clear() == (0, [])


def test_entries_name_a_source_that_changed_as_not_current(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    read(path)
    path.write_text(path.read_text() + "2020,842,410,999999,1.000,\n")
    [entry] = cache.entries()
    assert not entry.current
    path.unlink()
    assert not cache.entries()[0].current


@pytest.mark.parametrize("how", ["set_enabled", "environment"])
def test_the_cache_can_be_turned_off(cached, tmp_path, monkeypatch, how):
    path = make_year(tmp_path / "baci")
    first = read(path)
    same_size_other_values(path)
    if how == "set_enabled":
        cache.set_enabled(False)
    else:
        monkeypatch.setenv("KORUS_NO_CACHE", "1")
    assert not cache.is_enabled()
    off = read(path)
    assert not from_cache(off)
    assert totals(off) != totals(first)  # the CSV was read, the cache left alone
    cache.clear()
    read(path)
    assert list(cached.iterdir()) == []  # and nothing is written


def test_a_small_file_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_enabled", None)
    read(make_year(tmp_path / "baci"))
    assert not (tmp_path / "cache").exists()


# ------------------------------------------------------------------------ push-down


def pair_rows(frame: pd.DataFrame, pair=PAIR) -> pd.DataFrame:
    """The rows of a full read that are trade between the pair's two countries."""
    chosen = frame["reporter"].isin(pair) & frame["partner"].isin(pair)
    return frame[chosen & (frame["reporter"] != frame["partner"])].reset_index(drop=True)


@pytest.fixture(params=["parsed whole", "streamed in pieces"])
def scan_mode(request, monkeypatch) -> str:
    """A first pair read of the file parsed whole (the cache written from its columns), and
    streamed in pieces of a few lines (only the pair's rows kept; the cache written by
    reading the file again)."""
    if request.param == "streamed in pieces":
        monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
        monkeypatch.setattr(baci_stream, "STREAM_CHUNK", 256)
        monkeypatch.setattr(cache, "_deferred", True)  # as on the command line
    return request.param


@pytest.mark.usefixtures("scan_mode")
@pytest.mark.parametrize("shuffle", [False, True], ids=["in BACI's order", "shuffled"])
def test_push_down_gives_the_pairs_rows_of_a_full_read(cached, tmp_path, shuffle):
    path = make_year(tmp_path / "baci", shuffle=shuffle)
    cache.set_enabled(False)
    full = baci.read(path)
    cache.set_enabled(True)
    expected = pair_rows(full.frame)
    from_csv = read(path)
    from_parquet = read(path)
    assert not from_cache(from_csv) and from_cache(from_parquet)
    for reading in (from_csv, from_parquet):
        pd.testing.assert_frame_equal(reading.frame, expected)
    # The whole file read back from the cache is the whole file, in the file's order.
    pd.testing.assert_frame_equal(read(path, None).frame, full.frame)
    assert from_cache(read(path, None))


@pytest.mark.parametrize("shuffle", [False, True], ids=["in BACI's order", "shuffled"])
@pytest.mark.parametrize("either", [False, True], ids=["a pair", "one country, every partner"])
def test_the_cache_gives_each_chosen_row_its_line_of_the_file(cached, tmp_path, shuffle, either):
    """Rows read from the cache's row groups (of 64 rows: a question's rows span many, and
    the groups chosen skip some) carry their data rows of the CSV, and their values: those
    of the CSV's own lines, counted without korus."""
    path = make_year(tmp_path / "baci", shuffle=shuffle)
    read(path)
    cache.wait()
    hit = cache.find(path, baci.LAYOUT, baci.cache_companions)
    assert hit is not None
    try:
        cached_file = baci_index._Cached(hit, str(path))
        rows = cached_file.rows_of(baci_rows._Wanted((410, 842), either=either))
        lines = path.read_text().splitlines()[1:]
        expected = [
            index
            for index, line in enumerate(lines)
            if (
                {line.split(",")[1], line.split(",")[2]} & {"842", "410"}
                if either
                else {line.split(",")[1], line.split(",")[2]} == {"842", "410"}
            )
        ]
        found = [int(rows.row[n]) if rows.row is not None else n for n in range(len(rows))]
        assert found == expected
        assert [round(float(v), 3) for v in rows.v] == [
            float(lines[n].split(",")[4]) for n in expected
        ]
        assert [int(i) for i in rows.i] == [int(lines[n].split(",")[1]) for n in expected]
    finally:
        hit.close()


@pytest.mark.usefixtures("scan_mode")
@pytest.mark.parametrize("source", ["csv", "cache"])
def test_a_pair_read_accounts_for_every_row(cached, tmp_path, source):
    path = make_year(tmp_path / "baci")
    if source == "cache":
        read(path)
    reading = read(path)
    assert from_cache(reading) == (source == "cache")
    account = reading.accounting[0]
    rows = len(path.read_text().splitlines()) - 1
    pair_lines = sum(
        1
        for line in path.read_text().splitlines()
        if line.split(",")[1:3] in (["842", "410"], ["410", "842"])
    )
    assert account.rows_read == rows
    assert account.rows_kept == pair_lines
    assert account.set_aside == {"other country pairs (not asked for)": rows - pair_lines}
    assert account.balanced()
    assert len(reading.frame) == 2 * pair_lines
    lost = sum(
        1
        for line in path.read_text().splitlines()[1:]
        if line.split(",")[1:3] in (["842", "410"], ["410", "842"]) and len(line.split(",")[3]) == 5
    )
    notes = " ".join(account.notes)
    assert (f"{lost:,} product codes k had 5 digits" in notes) == bool(lost)


def test_a_pair_read_of_the_cache_touches_few_row_groups(cached, tmp_path, monkeypatch):
    path = make_year(tmp_path / "baci", products=100)
    read(path)
    asked = []
    original = pq.ParquetFile.read_row_groups

    def spy(self, groups, *args, **kwargs):
        asked.append(list(groups))
        return original(self, groups, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    reading = read(path)
    assert from_cache(reading)
    groups = [group for call in asked for group in call]
    total = sum(parquet.metadata.num_row_groups for parquet in entry_of(path).files)
    assert total >= 80 and 1 <= len(groups) <= 10


def test_a_folder_of_years_has_a_cache_for_each_year(cached, tmp_path):
    folder = tmp_path / "years"
    for year in (2018, 2019, 2020):
        make_year(folder, year, seed=year)
    first = readers.load([folder], pair=PAIR)
    cache.wait()
    assert len(cache.entries()) == 3
    again = readers.load([folder], pair=PAIR)
    assert all(
        any("read from korus's cache" in note for note in account.notes)
        for account in again.accounting
    )
    pd.testing.assert_frame_equal(again.frame, first.frame)
    assert sorted(again.frame["year"].unique()) == [2018, 2019, 2020]


@pytest.mark.usefixtures("scan_mode")
@pytest.mark.parametrize("shuffle", [False, True], ids=["in BACI's order", "shuffled"])
def test_an_error_names_the_same_line_read_from_the_cache(cached, tmp_path, shuffle):
    repeat = "2020,842,410,870323,1.000,"
    path = make_year(tmp_path / "baci", shuffle=shuffle, extra=(repeat, repeat))
    lines = path.read_text().splitlines()
    first = lines.index(repeat) + 1  # lines counted from 1
    line = lines.index(repeat, first) + 1  # the second one
    with pytest.raises(DataFileError) as from_csv:
        read(path)
    cache.wait()
    assert cache.entries()  # the rows themselves were cached: only the pair's repeat is wrong
    with pytest.raises(DataFileError) as from_parquet:
        read(path)
    assert str(from_csv.value) == str(from_parquet.value)
    assert (
        f"1 row repeats another row exactly, e.g. line {line} repeats line {first} (USA "
        "exports, partner KOR, product 870323, 2020)"
    ) in str(from_csv.value)


def test_a_bad_product_code_of_another_pair_is_not_checked_by_a_pair_read(cached, tmp_path):
    path = make_year(tmp_path / "baci", extra=("2020,156,251,0101,1.000,",))
    reading = read(path)
    assert reading.accounting[0].rows_kept > 0
    assert cache.entries() == []  # a file korus could not read whole is not cached
    with pytest.raises(DataFileError, match="column 'k': expected an HS6 product code"):
        read(path, None)


# ------------------------------------------------------------------------- progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal_and_only_for_long_work():
    pipe = io.StringIO()
    with progress.task("reading", total=10, delay=0.0, stream=pipe) as bar:
        bar.update(5)
        time.sleep(0.2)
    assert pipe.getvalue() == ""  # not a terminal: nothing

    quick = Terminal()
    with progress.task("reading", total=10, delay=5.0, stream=quick) as bar:
        bar.update(10)
    assert quick.getvalue() == ""  # done before the delay: nothing

    slow = Terminal()
    done = iter(range(0, 100, 10))
    with progress.task("reading trade.csv", total=100, delay=0.0, stream=slow) as bar:
        bar.follow(lambda: next(done, 100))
        time.sleep(0.5)
    assert "reading trade.csv" in slow.getvalue()


def test_the_command_line_prints_no_progress_into_a_pipe(cached, tmp_path, runner):
    from korus.cli import cli

    path = make_year(tmp_path / "baci")
    result = runner.invoke(
        cli, ["deficit", "--data", str(path), "--years", "2020", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "reading" not in result.output and "\x1b" not in result.output


def test_a_changed_country_file_is_read_again_not_taken_from_the_cache(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    fallback = (
        "codes with no ISO3 in the country codes file, read as UN Comtrade numerics: "
        "490 (Other Asia, nes) -> XOA"
    )
    assert fallback in read(path, None).accounting[0].notes
    again = read(path, None)
    assert from_cache(again) and fallback in again.accounting[0].notes
    countries = path.parent / "country_codes_V202301.csv"
    countries.write_text(COUNTRIES.replace("N/A,N/A", "TW,TWN"))
    changed = read(path, None)
    assert not from_cache(changed)  # a companion is part of the key: the file read again
    assert fallback not in changed.accounting[0].notes
    assert "TWN" in set(changed.frame["reporter"])
    assert from_cache(read(path, None))


def test_the_kept_ranges_are_the_parquet_statistics_of_the_row_groups(cached, tmp_path):
    path = make_year(tmp_path / "baci", shuffle=True, products=100)
    read(path)
    hit = entry_of(path)
    groups = 0
    for parquet, ranges in zip(hit.files, hit.ranges, strict=True):
        metadata = parquet.metadata
        column = parquet.schema_arrow.names.index("ij")
        statistics = []
        for group in range(metadata.num_row_groups):
            kept = metadata.row_group(group).column(column).statistics
            statistics.append([kept.min, kept.max, metadata.row_group(group).num_rows])
        assert ranges == statistics
        groups += len(statistics)
    assert groups > 20
    wanted = baci_rows._Wanted((410, 842))
    by_ranges = baci_index._RowGroups(hit).chosen(wanted)
    unkept = [None] * len(hit.files)
    without = baci_index._RowGroups(cache.Hit(hit.path, hit.files, hit.info, unkept))
    assert list(without.chosen(wanted)) == list(by_ranges) and 0 < len(by_ranges) < 8


@pytest.mark.parametrize("shuffle", [False, True], ids=["in BACI's order", "shuffled"])
def test_a_large_file_is_cached_in_parts_written_together(cached, tmp_path, monkeypatch, shuffle):
    monkeypatch.setattr(baci_parse, "_parts", lambda rows, size: 3)
    path = make_year(tmp_path / "baci", shuffle=shuffle, products=100)
    cache.set_enabled(False)
    whole, pair = baci.read(path).frame, baci.scan(path, PAIR).frame
    cache.set_enabled(True)
    read(path)
    [entry] = cache.entries()
    files = sorted(p.name for p in cached.iterdir())
    assert files == [entry.path.name] + [
        entry.path.name.replace(".parquet", f".part{n}.parquet") for n in (1, 2)
    ]
    assert entry.size == sum(p.stat().st_size for p in cached.iterdir())
    from_parts = read(path)
    assert from_cache(from_parts)
    pd.testing.assert_frame_equal(from_parts.frame, pair)
    pd.testing.assert_frame_equal(read(path, None).frame, whole)

    # A part missing, or of another writing: the entry is rebuilt, never half read.
    (cached / files[1]).unlink()
    assert not from_cache(read(path))
    assert sorted(p.name for p in cached.iterdir()) == files
    other = cached / "other"
    other.mkdir()
    monkeypatch.setenv("KORUS_CACHE_DIR", str(other))
    read(path)
    (other / files[2]).replace(cached / files[2])  # a part of a later writing
    monkeypatch.setenv("KORUS_CACHE_DIR", str(cached))
    assert not from_cache(read(path))
    assert from_cache(read(path))
    assert cache.clear() == (3, ["other"])  # a folder korus did not make is left alone


def test_a_streamed_pair_read_keeps_few_rows_and_has_the_cache_written(
    cached, tmp_path, monkeypatch
):
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    monkeypatch.setattr(baci_stream, "STREAM_CHUNK", 512)
    monkeypatch.setattr(cache, "_deferred", True)
    path = make_year(tmp_path / "baci")
    kept = []
    original = baci_stream._Streamed.__init__

    def spy(self, name, rows, codes, table, positions, reparse):
        kept.append(table.num_rows)
        original(self, name, rows, codes, table, positions, reparse)

    monkeypatch.setattr(baci_stream._Streamed, "__init__", spy)
    first = read(path)
    assert kept == [first.accounting[0].rows_kept]  # only the pair's rows were kept
    assert any("written in the background" in note for note in first.accounting[0].notes)
    second = read(path)
    assert from_cache(second) and kept == [first.accounting[0].rows_kept]
    pd.testing.assert_frame_equal(second.frame, first.frame)


def test_a_streamed_read_of_a_file_with_a_bad_cell_gives_the_full_reading_s_error(
    cached, tmp_path, monkeypatch
):
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    monkeypatch.setattr(cache, "_deferred", True)
    monkeypatch.setattr(baci_stream, "STREAM_CHUNK", 300)
    path = make_year(tmp_path / "baci", extra=("2020,516,156,010101,-4,",))
    lines = path.read_text().splitlines()
    bad = next(number for number, line in enumerate(lines, 1) if ",-4," in line)
    with pytest.raises(DataFileError, match=f"line {bad}, column 'v': expected a value of 0"):
        read(path)
    assert cache.entries() == []


def test_the_command_line_has_the_cache_written_in_the_background(cached, tmp_path, monkeypatch):
    # A pair read of the command line asks for the cache; after the answer, one detached
    # process (`korus cache build`) writes it.
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    path = make_year(tmp_path / "baci")
    cache.defer(True)
    try:
        reading = baci.scan(path, PAIR)
        assert any("written in the background" in note for note in reading.accounting[0].notes)
        assert cache.entries() == []
        cache.launch()
    finally:
        cache.defer(False)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not [e for e in cache.entries() if e.current]:
        time.sleep(0.2)
    with cache.build_lock():  # the builder is done
        entries = cache.entries()
    assert [entry.source for entry in entries] == [Path(os.path.realpath(path))]
    assert entries[0].current
    assert from_cache(read(path))


def test_cache_build_writes_the_entries_of_the_files_given(cached, tmp_path, runner):
    from korus.cli import cli

    path = make_year(tmp_path / "baci")
    result = runner.invoke(cli, ["cache", "build", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: cached" in result.output
    assert [entry.source for entry in cache.entries()] == [Path(os.path.realpath(path))]
    again = runner.invoke(cli, ["cache", "build", str(path)])
    assert f"{path}: already cached" in again.output
    other = tmp_path / "tidy.csv"
    read(path, None).frame.head(5).to_csv(other, index=False)
    refused = runner.invoke(cli, ["cache", "build", "--quiet", str(other)])
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: {other}: the korus-csv layout is read without a cache (only large BACI files "
        "are cached)\n"
    )


def test_a_folder_of_years_reads_as_one_frame_with_each_file_s_account(cached, tmp_path):
    folder = tmp_path / "years"
    paths = [make_year(folder, year, seed=year) for year in (2018, 2019, 2020)]
    each = [read(path) for path in paths]  # and the caches written
    for source in ("csv", "cache"):
        if source == "csv":
            cache.set_enabled(False)
        together = readers.load([folder], pair=PAIR)
        cache.set_enabled(True)
        expected = pd.concat([reading.frame for reading in each], ignore_index=True)
        # The same rows; in one frame they are ordered by reporter, partner and flow.
        key = ["reporter", "partner", "flow", "year", "product"]
        pd.testing.assert_frame_equal(
            together.frame.sort_values(key, ignore_index=True),
            expected.sort_values(key, ignore_index=True),
        )
        series = together.frame[key[:3]]
        starts = (series != series.shift()).any(axis=1)
        assert int(starts.sum()) == 4  # each reporter's flows to its partner: one block
        assert [account.file for account in together.accounting] == [str(p) for p in paths]
        assert [account.rows_kept for account in together.accounting] == [
            reading.accounting[0].rows_kept for reading in each
        ]
        assert all(account.balanced() for account in together.accounting)


def test_two_files_of_one_year_in_a_folder_are_refused_naming_the_overlap(cached, tmp_path):
    folder = tmp_path / "years"
    path = make_year(folder, 2020)
    copy = folder / "BACI_HS92_Y2020_V202301_copy.csv"
    copy.write_bytes(path.read_bytes())
    read(path)  # one of them cached, the other not
    with pytest.raises(DataFileError, match="the files overlap: .* another file's row exactly"):
        readers.load([folder], pair=PAIR)


def test_a_cached_file_is_known_by_its_cache_entry_not_sniffed(cached, tmp_path, monkeypatch):
    path = make_year(tmp_path / "baci")
    first = readers.load([path], pair=PAIR)
    cache.wait()

    def no_sniffing(path):
        raise AssertionError(f"{path} was sniffed")

    monkeypatch.setattr(readers, "detect", no_sniffing)
    again = readers.load([path], pair=PAIR)
    assert from_cache(again)
    pd.testing.assert_frame_equal(again.frame, first.frame)
    path.write_text(path.read_text() + "2020,842,410,999999,1,\n")  # changed: sniffed again
    with pytest.raises(AssertionError, match="was sniffed"):
        readers.load([path], pair=PAIR)


def test_a_program_s_first_pair_read_writes_the_cache_from_what_it_parsed(
    cached, tmp_path, monkeypatch
):
    # Without the command line's background writer, a large file is parsed whole (not
    # streamed) and its cache written from that: never read twice.
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    parsed = []
    original = baci._parse
    monkeypatch.setattr(baci, "_parse", lambda *args: parsed.append(args) or original(*args))
    path = make_year(tmp_path / "baci")
    assert not from_cache(read(path)) and len(parsed) == 1
    assert from_cache(read(path)) and len(parsed) == 1


def test_a_file_that_cannot_be_cached_is_not_asked_for_again(cached, tmp_path, monkeypatch):
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    monkeypatch.setattr(cache, "_deferred", True)
    # A product code of 4 digits outside the pair: a pair read takes the file, the cache
    # (which must serve every question) does not.
    path = make_year(tmp_path / "baci", extra=("2020,516,156,0101,1.000,",))
    builds = []
    monkeypatch.setattr(baci, "build_cache", lambda p: builds.append(p) or False)
    first = read(path)
    assert builds == [path] and cache.entries() == []
    second = read(path)
    assert builds == [path]  # not asked again while the file is unchanged
    assert any("could not cache this file" in note for note in second.accounting[0].notes)
    path.write_text(path.read_text().replace("0101,1.000", "010101,1.000"))
    read(path)
    assert len(builds) == 2  # changed: asked again
    assert first.frame.equals(second.frame)


def test_cache_build_goes_on_after_a_file_it_cannot_read(cached, tmp_path, runner):
    from korus.cli import cli

    bad = make_year(tmp_path / "bad", 2019)
    bad.write_bytes(bad.read_bytes().replace(b",010", b",\xff\xfe0", 1))
    good = make_year(tmp_path / "good", 2020)
    result = runner.invoke(cli, ["cache", "build", str(bad), str(good)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output and f"{good}: cached" in result.output
    assert [entry.source for entry in cache.entries()] == [Path(os.path.realpath(good))]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd (Linux)")
def test_a_folder_of_cached_years_leaves_no_cache_file_open(cached, tmp_path):
    folder = tmp_path / "years"
    for year in range(2011, 2021):
        make_year(folder, year, seed=year)
    readers.load([folder], pair=PAIR)
    cache.wait()
    reading = readers.load([folder], pair=PAIR)
    assert all("read from korus's cache" in " ".join(a.notes) for a in reading.accounting)
    open_files = [os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
    assert not [name for name in open_files if name.startswith(str(cached))]


@pytest.mark.parametrize("shuffle", [False, True], ids=["in BACI's order", "shuffled"])
@pytest.mark.parametrize("piece", [64, 300, 5000])
def test_a_cache_built_while_streaming_reads_as_one_built_from_a_whole_read(
    cached, tmp_path, monkeypatch, shuffle, piece
):
    path = make_year(tmp_path / "baci", shuffle=shuffle)  # some codes lost their zero
    cache.set_enabled(False)
    whole, pair = baci.read(path), baci.scan(path, PAIR)
    cache.set_enabled(True)
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    monkeypatch.setattr(baci_stream, "STREAM_CHUNK", piece)
    streamed = []
    original = baci_stream._build_streamed
    monkeypatch.setattr(
        baci_stream, "_build_streamed", lambda *a: streamed.append(original(*a)) or streamed[-1]
    )
    assert baci.build_cache(path)
    assert streamed == [None if shuffle else True]  # an unsorted file: the whole reading
    for asked, expected in ((None, whole), (PAIR, pair)):
        again = read(path, asked)
        assert from_cache(again)
        pd.testing.assert_frame_equal(again.frame, expected.frame)
        assert again.accounting[0].rows_read == expected.accounting[0].rows_read
        assert again.accounting[0].set_aside == expected.accounting[0].set_aside


def test_a_streamed_build_leaves_a_file_with_a_bad_code_uncached(cached, tmp_path, monkeypatch):
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    path = make_year(tmp_path / "baci", extra=("2020,156,251,0101,1.000,",))
    assert baci.build_cache(path) is False
    assert cache.entries() == []
    unknown = make_year(tmp_path / "other", extra=("2020,156,998,010101,1.000,",))
    with pytest.raises(DataFileError, match="BACI country code 998"):
        baci.build_cache(unknown)


# ------------------------------------------------------------ a folder's years together


@pytest.mark.parametrize("one_side", [False, True], ids=["both sides", "one side"])
def test_a_folder_s_years_are_kept_together_and_read_as_their_own_entries_give_them(
    cached, tmp_path, one_side
):
    folder, paths = years_folder(tmp_path)
    first = ask([folder], one_side=one_side)  # each year's entry, then the years together
    assert not together(first)
    assert any("together is written in the background" in n for n in first.accounting[0].notes)
    assert sorted(entry.files for entry in cache.entries()) == [1, 1, 1, 1, 4]
    [kept] = [entry for entry in cache.entries() if entry.files == 4]
    assert kept.source == folder.resolve() and kept.current
    assert kept.source_size == sum(path.stat().st_size for path in paths)

    second = ask([folder], one_side=one_side)
    assert together(second)
    pd.testing.assert_frame_equal(second.frame, first.frame)
    for old, new in zip(first.accounting, second.accounting, strict=True):
        assert (new.file, new.rows_read, new.rows_kept) == (old.file, old.rows_read, old.rows_kept)
        assert new.set_aside == old.set_aside
        assert [n for n in new.notes if "korus's cache" not in n] == [
            n for n in old.notes if "korus's cache" not in n
        ]
    cache.set_enabled(False)
    from_csv = readers.load([folder], pair=PAIR, one_side=one_side)
    cache.set_enabled(True)
    pd.testing.assert_frame_equal(second.frame, from_csv.frame)


def test_some_of_a_folder_s_years_are_read_from_the_years_kept_together(cached, tmp_path):
    folder, paths = years_folder(tmp_path)
    ask([folder])
    ask([folder])
    two = ask(paths[1:3])
    assert together(two)
    assert sorted(two.frame["year"].unique()) == [2018, 2019]
    assert [account.file for account in two.accounting] == [str(path) for path in paths[1:3]]
    cache.set_enabled(False)
    pd.testing.assert_frame_equal(two.frame, readers.load(paths[1:3], pair=PAIR).frame)


def test_a_changed_year_makes_the_years_kept_together_stale(cached, tmp_path):
    folder, paths = years_folder(tmp_path)
    ask([folder])
    assert together(ask([folder]))
    same_size_other_values(paths[2])  # same size and modification time: still another file
    changed = ask([folder])
    assert not together(changed)
    assert not any(entry.files > 1 for entry in cache.entries() if not entry.current)
    cache.set_enabled(False)
    pd.testing.assert_frame_equal(changed.frame, readers.load([folder], pair=PAIR).frame)
    cache.set_enabled(True)
    again = ask([folder])  # written again after the question above
    assert together(again)
    pd.testing.assert_frame_equal(again.frame, changed.frame)


def test_a_repeated_flow_read_from_the_years_together_names_its_line(cached, tmp_path, monkeypatch):
    folder = tmp_path / "years"
    make_year(folder, 2019, seed=1)
    twice = make_year(folder, 2020, seed=2)
    lines = twice.read_text().splitlines()
    number = next(n for n, line in enumerate(lines, 1) if line.startswith("2020,842,410,"))
    lines.insert(number, lines[number - 1])  # the same flow on the next line
    twice.write_text("\n".join(lines) + "\n")
    message = (
        f"BACI_HS92_Y2020_V202301.csv: 1 row repeats another row exactly, e.g. line "
        f"{number + 1} repeats line {number} "
    )
    for _ in range(2):  # from the CSV, then from each year's entry
        with pytest.raises(DataFileError, match=message):
            ask([folder])
    # A folder that ends in an error is not asked to be kept together; made so, it gives
    # the same error, with the line (which the years kept together do not hold).
    paths = sorted(folder.glob("BACI_*.csv"))
    built = cache.build_group_entry(paths, "baci", baci.build_group, baci.cache_companions)
    assert built == "cached"
    asked = []
    original = baci_years._UnknownLines.__getitem__
    monkeypatch.setattr(
        baci_years._UnknownLines,
        "__getitem__",
        lambda self, i: asked.append(i) or original(self, i),
    )
    with pytest.raises(DataFileError, match=message):
        ask([folder])
    assert len(asked) == 1  # the years together were read, and asked for the line
    hit = cache.find_group(paths, "baci", baci.cache_companions)
    assert hit is not None
    hit.close()


def test_years_out_of_baci_s_order_are_not_kept_together_nor_asked_again(
    cached, tmp_path, monkeypatch
):
    folder = tmp_path / "years"
    for year in (2019, 2020):
        make_year(folder, year, seed=year, shuffle=True)
    built = []
    original = baci.build_group
    monkeypatch.setattr(baci, "build_group", lambda p: built.append(p) or original(p))
    first = ask([folder])
    assert len(built) == 1 and not any(entry.files > 1 for entry in cache.entries())
    second = ask([folder])
    assert len(built) == 1  # remembered: not asked for again while the files are unchanged
    assert not together(second)
    pd.testing.assert_frame_equal(second.frame, first.frame)


def test_the_merge_of_years_keeps_every_row_in_the_order_of_ij_then_year(
    cached, tmp_path, monkeypatch
):
    folder, paths = years_folder(tmp_path, years=(2015, 2016, 2017))
    for path in paths:
        assert baci.build_cache(path)
    hits = [entry_of(path) for path in paths]
    rows = sum(hit.info["rows"] for hit in hits)
    expected = pd.concat(
        [
            part.read(columns=["ij", "k", "v"]).to_pandas().assign(t=hit.info["year"])
            for hit in hits
            for part in hit.files  # a year's entry in parts: in order
        ],
        ignore_index=True,
    ).sort_values(["ij", "t"], kind="stable", ignore_index=True)
    expected["t"] = expected["t"].astype("int16")
    import pyarrow as pa

    schema = pa.schema(
        [("ij", pa.int32()), ("t", pa.int16()), ("k", pa.int32()), ("v", pa.float64())]
    )
    for bucket in (100, 1000, 10**6):
        monkeypatch.setattr(baci_years, "GROUP_BUCKET", bucket)
        pieces = list(baci_years._merged_years(hits, schema, 300, rows))
        assert all(piece.num_rows == 300 for piece in pieces[:-1]) and pieces[-1].num_rows <= 300
        merged = pa.concat_tables(pieces).to_pandas()
        columns = ["ij", "t", "k", "v"]
        pd.testing.assert_frame_equal(merged[columns], expected[columns])
    for hit in hits:
        hit.close()


def test_cache_build_keeps_a_folder_s_years_together(cached, tmp_path, runner):
    from korus.cli import cli

    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    result = runner.invoke(cli, ["cache", "build", str(folder)])  # its data files
    assert result.exit_code == 0, result.output
    assert [line.split(": ")[-1] for line in result.output.splitlines()] == ["cached"] * 3
    assert f"{folder.resolve()}: 2 files together: cached" in result.output
    again = runner.invoke(cli, ["cache", "build", *map(str, paths)])
    assert f"{folder.resolve()}: 2 files together: already cached" in again.output
    listed = runner.invoke(cli, ["cache", "list"])
    assert f"{folder.resolve()} (2 files together)\t" in listed.output
    assert together(readers.load([folder], pair=PAIR))


def test_one_side_is_the_reporter_s_rows_of_both_sides(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    both = baci.scan(path, PAIR)
    one = baci.scan(path, PAIR, one_side=True)
    usa = both.frame[both.frame["reporter"] == "USA"].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.frame, usa)
    assert len(one.frame) == len(both.frame) // 2 > 0
    assert one.accounting[0].rows_kept == both.accounting[0].rows_kept
    assert any("only USA's side was asked for" in note for note in one.accounting[0].notes)


def test_a_year_given_twice_is_refused_also_when_the_years_are_kept_together(cached, tmp_path):
    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    ask([folder])
    assert together(ask([folder]))
    with pytest.raises(DataFileError, match="rows repeat another file's row exactly"):
        ask([paths[0], *paths])


def test_an_entry_of_years_together_that_korus_did_not_write_is_removed_not_trusted(
    cached, tmp_path
):
    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    ask([folder])
    [kept] = [entry.path for entry in cache.entries() if entry.files == 2]
    table = pq.read_table(kept)
    key = cache.group_key(paths, "baci")
    written = cache.write_group(
        paths, "baci", lambda: (table.schema, [[table]], {"members": "?"}), key=key, index="ij"
    )
    assert written == kept
    reading = ask([folder])  # removed, the years read from their own; then written again
    assert not together(reading)
    assert together(ask([folder]))
    cache.set_enabled(False)
    pd.testing.assert_frame_equal(reading.frame, readers.load([folder], pair=PAIR).frame)


def test_a_year_that_cannot_be_cached_is_not_asked_to_be_kept_together(
    cached, tmp_path, monkeypatch
):
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)  # each year read for the pair, streamed
    folder = tmp_path / "years"
    make_year(folder, 2019, seed=1)
    make_year(folder, 2020, seed=2, extra=("2020,516,156,0101,1.000,",))  # not HS6
    make_year(folder, 2021, seed=3)
    builds = []
    original = baci.build_cache
    monkeypatch.setattr(baci, "build_cache", lambda p: builds.append(p.name) or original(p))
    ask([folder])
    second, third = ask([folder]), ask([folder])
    assert builds.count("BACI_HS92_Y2020_V202301.csv") == 1  # tried once, remembered
    for reading in (second, third):
        assert not any("together is written" in note for note in reading.accounting[0].notes)
    assert not any(entry.files > 1 for entry in cache.entries())


def test_questions_over_some_years_and_over_others_grow_one_entry_together(
    cached, tmp_path, monkeypatch
):
    folder, paths = years_folder(tmp_path)
    builds = []
    original = baci.build_group
    monkeypatch.setattr(baci, "build_group", lambda p: builds.append(len(p)) or original(p))
    for _ in range(3):
        for some in (paths[:2], paths[2:]):
            ask(some)
    assert builds == [2, 4]  # the first two years; then all four, once
    [kept] = [entry for entry in cache.entries() if entry.files > 1]
    assert kept.files == 4
    for some in (paths[:2], paths[2:], paths):
        assert together(ask(some))
    assert builds == [2, 4]


def test_cache_build_keeps_a_year_named_twice_together_once(cached, tmp_path, runner):
    from korus.cli import cli

    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    result = runner.invoke(cli, ["cache", "build", str(folder), str(paths[0])])
    assert f"{folder.resolve()}: 2 files together: cached" in result.output
    assert together(readers.load([folder], pair=PAIR))


def test_years_whose_own_entry_is_missing_are_kept_together_later_not_never(
    cached, tmp_path, runner
):
    from korus.cli import cli

    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    for path in paths:
        assert baci.build_cache(path)
    cache.discard(entry_of(paths[1]).path)  # one year's entry gone
    state = cache.build_group_entry(paths, "baci", baci.build_group, baci.cache_companions)
    assert state == "not cached for now"
    result = runner.invoke(cli, ["cache", "build", str(folder)])
    assert f"{folder.resolve()}: 2 files together: cached" in result.output


@pytest.mark.parametrize(
    "members",
    [lambda paths: [[str(p)] for p in paths], lambda paths: [[str(p), 1] for p in paths]],
    ids=["path only", "no modification time"],
)
def test_an_entry_together_with_members_korus_did_not_write_is_not_trusted(
    cached, tmp_path, members
):
    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    ask([folder])
    [kept] = [entry.path for entry in cache.entries() if entry.files == 2]
    table = pq.read_table(kept)
    key = dict(cache.group_key(paths, "baci"), members=members(paths))
    cache.write_group(paths, "baci", lambda: (table.schema, [[table]], {}), key=key)
    assert not cache.member_known(paths[0], "baci")
    assert cache.find_group(paths, "baci") is None
    cache.set_enabled(False)
    expected = readers.load([folder], pair=PAIR).frame
    cache.set_enabled(True)
    pd.testing.assert_frame_equal(ask([folder]).frame, expected)
