"""A cache that cannot lie: changed files and code lists, damaged metadata, files korus did
not write, planted links, a cache folder that cannot be written.

Every test keeps its cache in its own folder (KORUS_CACHE_DIR): never the user's.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cachework import (
    ask,
    csv_totals,
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
from korus import cache, cache_entries, cache_files
from korus.cli import cli
from korus.readers import baci, baci_stream

PAIR_KEY = 842 * 10000 + 410  # the cache's key of USA's exports to Korea


@pytest.fixture
def cached(tmp_path, monkeypatch) -> Path:
    """A cache folder of the test's own, caching every file, in row groups of 64 rows."""
    monkeypatch.setattr(cache, "_deferred", False)
    yield own_cache(tmp_path, monkeypatch)
    cache.wait()


def swap_korea_and_japan(countries: Path) -> None:
    """Give BACI's 410 Japan's ISO3 code and 392 Korea's, keeping the file's size and
    modification time (an edit put back with ``touch -r``)."""
    before = countries.stat()
    text = countries.read_text()
    text = text.replace("KR,KOR", "@").replace("JP,JPN", "KR,KOR").replace("@", "JP,JPN")
    countries.write_text(text)
    os.utime(countries, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert countries.stat().st_size == before.st_size


def yearly_totals(reading) -> dict[int, tuple[float, float]]:
    """USA's (exports, imports) with Korea, by year, to the cent."""
    frame = reading.frame
    usa = frame[(frame["reporter"] == "USA") & (frame["partner"] == "KOR")]
    sums = usa.groupby(["year", "flow"])["value_usd"].sum().round(2)
    years = sorted(usa["year"].unique())
    return {int(year): (sums[year, "export"], sums[year, "import"]) for year in years}


def flip_bit(path: Path, offset: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


def metadata_offset(path: Path, name: bytes, text: bytes) -> int:
    """Return where ``text`` is in the file, inside korus's metadata entry ``name``."""
    value = pq.read_metadata(path).metadata[name]
    return path.read_bytes().rindex(value) + value.index(text)


def dropping_flip(extent: bytes) -> tuple[int, int]:
    """Return the first (byte, bit) of a row group's ``[min, max, rows]`` whose flip leaves
    a valid range that no longer holds the pair: its rows would be skipped."""
    for offset in range(len(extent)):
        for bit in range(7):
            flipped = bytearray(extent)
            flipped[offset] ^= 1 << bit
            try:
                low, high, _ = json.loads(flipped)
            except ValueError:
                continue
            if isinstance(low, int) and isinstance(high, int) and not low <= PAIR_KEY <= high:
                return offset, bit
    raise AssertionError("no single bit drops the pair")


def pair_group(path: Path) -> tuple[Path, int, list[int]]:
    """Return the cache file, row group and [min, max, rows] that hold USA's exports to
    Korea in the entry of ``path``."""
    hit = entry_of(path)
    hit.close()
    for number, ranges in enumerate(hit.ranges):
        for group, extent in enumerate(ranges):
            if extent[0] <= PAIR_KEY <= extent[1]:
                return cache._part_path(hit.path, number), group, extent
    raise AssertionError("the pair is in no row group")


# ------------------------------------------------- a changed file, the same size and time


def test_a_file_edited_in_place_with_its_mtime_put_back_is_read_again(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    first = read(path)
    assert from_cache(read(path))
    same_size_other_values(path)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path) != totals(first)


def test_a_file_replaced_by_mv_with_one_of_the_same_size_and_mtime_is_read_again(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    first = read(path)
    other = tmp_path / "other.csv"
    shutil.copy2(path, other)
    same_size_other_values(other)
    os.utime(other, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    assert (other.stat().st_size, other.stat().st_mtime_ns) == (
        path.stat().st_size,
        path.stat().st_mtime_ns,
    )
    os.replace(other, path)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path) != totals(first)


def test_an_edit_the_content_sample_misses_is_told_by_the_status_change_time(
    cached, tmp_path, monkeypatch
):
    monkeypatch.setattr(cache_files, "_sample", lambda handle, size: "the same sample")
    path = make_year(tmp_path / "baci")
    first = read(path)
    same_size_other_values(path)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path) != totals(first)


def test_the_content_sample_of_a_large_file_holds_its_last_bytes(tmp_path):
    path = tmp_path / "large.bin"
    data = bytearray(range(256)) * (8 * 4096)  # 8 MiB: sampled, not read whole
    path.write_bytes(data)
    before = cache.fingerprint(path)["sample"]
    data[-1000] ^= 1
    path.write_bytes(data)
    assert cache.fingerprint(path)["sample"] != before
    data[-1000] ^= 1
    path.write_bytes(data)
    assert cache.fingerprint(path)["sample"] == before


# ----------------------------------------------------------------- the companion files


def test_an_edited_country_codes_file_with_its_mtime_put_back_gives_the_new_figures(
    cached, tmp_path
):
    path = make_year(tmp_path / "baci")
    assert totals(read(path)) == csv_totals(path, 842, 410)
    assert from_cache(read(path))
    swap_korea_and_japan(path.parent / "country_codes_V202301.csv")
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path, 842, 392)  # Korea is BACI's 392 now


def test_an_edited_product_codes_file_has_the_data_file_read_again(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    products = path.parent / "product_codes_HS92_V202301.csv"
    products.write_text("code,description\n10121,Horses\n")
    read(path)
    assert from_cache(read(path))
    before = products.stat()
    products.write_text("code,description\n10121,Asses!\n")
    os.utime(products, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path)
    assert set(again.frame["classification"]) == {"HS1992"}


def test_a_country_codes_file_added_beside_the_data_has_it_read_again(cached, tmp_path):
    folder = tmp_path / "baci"
    path = make_year(folder)
    unnamed = folder / "BACI_2020.csv"  # no release in its name: the newest list is taken
    path.rename(unnamed)
    read(unnamed)
    assert from_cache(read(unnamed))
    newer = (folder / "country_codes_V202301.csv").read_text()
    newer = newer.replace("KR,KOR", "@").replace("JP,JPN", "KR,KOR").replace("@", "JP,JPN")
    (folder / "country_codes_V202401.csv").write_text(newer)
    again = read(unnamed)
    assert not from_cache(again)
    assert totals(again) == csv_totals(unnamed, 842, 392)


def test_years_kept_together_are_read_again_when_the_country_codes_file_changes(cached, tmp_path):
    folder, paths = years_folder(tmp_path, years=(2019, 2020))
    ask([folder])
    assert together(ask([folder]))
    swap_korea_and_japan(folder / "country_codes_V202301.csv")
    changed = ask([folder])
    assert not together(changed)
    assert yearly_totals(changed) == {
        2019: csv_totals(paths[0], 842, 392),
        2020: csv_totals(paths[1], 842, 392),
    }


# ------------------------------------------------------------- korus's metadata, sealed


def test_a_bit_flipped_in_the_row_group_ranges_has_the_file_read_again(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    read(path)
    file, _, extent = pair_group(path)
    text = json.dumps(extent).encode()
    offset, bit = dropping_flip(text)
    flip_bit(file, metadata_offset(file, cache_entries.RANGES, text) + offset, bit)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path)


@pytest.mark.parametrize(
    ("text", "flipped"),
    [(b'"410": "KOR"', b'"410": "JOR"'), (b'"year": 2020', b'"year": 2021')],
    ids=["a country of the mapping", "the year"],
)
def test_a_bit_flipped_in_the_key_has_the_file_read_again(cached, tmp_path, text, flipped):
    path = make_year(tmp_path / "baci")
    read(path)
    main = cache._target(path, "baci")
    at = metadata_offset(main, cache_files.KEY, text)
    changed = [n for n, (a, b) in enumerate(zip(text, flipped, strict=True)) if a != b]
    assert len(changed) == 1 and bin(text[changed[0]] ^ flipped[changed[0]]).count("1") == 1
    flip_bit(main, at + changed[0], (text[changed[0]] ^ flipped[changed[0]]).bit_length() - 1)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path)


@pytest.mark.parametrize(
    "name", [cache_entries.PART, cache_entries.COLUMNS, cache_files.SEAL], ids=bytes.decode
)
def test_a_bit_flipped_in_the_rest_of_korus_s_metadata_has_the_file_read_again(
    cached, tmp_path, name
):
    path = make_year(tmp_path / "baci")
    read(path)
    main = cache._target(path, "baci")
    value = pq.read_metadata(main).metadata[name]
    flip_bit(main, metadata_offset(main, name, value) + len(value) // 2, 1)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path)


def test_a_bit_flipped_in_a_data_page_has_the_file_read_again(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    read(path)
    file, group, _ = pair_group(path)
    chunk = (
        pq.read_metadata(file)
        .row_group(group)
        .column(pq.ParquetFile(file).schema_arrow.names.index("v"))
    )
    flip_bit(file, chunk.data_page_offset + chunk.total_compressed_size - 4, 3)
    again = read(path)
    assert not from_cache(again)
    assert totals(again) == csv_totals(path)


# ----------------------------------------------------------- only korus's files removed


def users_files(folder: Path) -> dict[str, bytes]:
    """Write, in the cache folder, files of the user's own, some named like korus's."""
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"a": [1, 2]}), folder / "trade.parquet")
    pq.write_table(pa.table({"ij": [1]}), folder / "baci-0123456789abcdef01234567.parquet")
    mine = {
        "baci-0123456789abcdef01234567.unbuildable": b'{"mine": true}',
        ".tmp-123-left-over": b"half a file of mine",
        f"{cache_files.TEMP_PREFIX}{'0' * 24}": b"mine too",  # korus's prefix, not its check
        "notes.txt": b"mine",
    }
    for name, data in mine.items():
        (folder / name).write_bytes(data)
    parquet = ["trade.parquet", "baci-0123456789abcdef01234567.parquet"]
    return mine | {name: (folder / name).read_bytes() for name in parquet}


def test_clear_leaves_a_user_s_own_files_and_look_alikes_in_the_cache_folder(cached, tmp_path):
    read(make_year(tmp_path / "baci"))
    mine = users_files(cached)
    (cached / "a folder of mine").mkdir()
    removed, left = cache.clear()
    assert removed == 1  # the entry
    assert left == sorted([*mine, "a folder of mine"])
    assert {name: (cached / name).read_bytes() for name in mine} == mine


def test_cache_clear_says_on_stderr_what_it_left_alone(cached, tmp_path, runner):
    read(make_year(tmp_path / "baci"))
    pq.write_table(pa.table({"a": [1]}), cached / "trade.parquet")
    (cached / "a folder of mine").mkdir()
    result = runner.invoke(cli, ["cache", "clear"])
    assert result.exit_code == 0
    assert result.stderr == (
        f"removed 1 files from {cached}\n"
        "left alone (not written by korus): a folder of mine, trade.parquet\n"
    )


def test_a_stale_entry_is_removed_but_a_user_s_file_named_like_its_part_is_left(cached, tmp_path):
    path = make_year(tmp_path / "baci")
    read(path)
    target = cache._target(path, "baci")
    mine = target.with_name(f"{target.stem}.part7.parquet")
    mine.write_bytes(b"my own notes")
    same_size_other_values(path)
    assert not from_cache(read(path))  # the stale entry removed, a new one written
    assert from_cache(read(path))
    assert mine.read_bytes() == b"my own notes"


# ---------------------------------------------------------------------- planted links


def symlink_error(folder: Path, name: str) -> str:
    return (
        f"Error: cannot write the cache in {folder}: {name} is a symbolic link "
        "(korus never writes through one); remove it\n"
    )


def test_the_unbuildable_marker_is_never_written_through_a_planted_link(cached, tmp_path, runner):
    path = make_year(tmp_path / "baci", extra=("2020,516,156,0101,1.000,",))  # not HS6
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    cached.mkdir()
    marker = cache._target(path, "baci").with_suffix(cache.UNBUILDABLE)
    marker.symlink_to(victim)
    result = runner.invoke(cli, ["cache", "build", str(path)])
    assert result.exit_code == 1
    assert result.stderr == symlink_error(cached, marker.name)
    assert victim.read_text() == "precious" and marker.is_symlink()


def test_an_entry_is_never_written_over_a_planted_link(cached, tmp_path, runner):
    path = make_year(tmp_path / "baci")
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"precious")
    cached.mkdir()
    target = cache._target(path, "baci")
    target.symlink_to(victim)
    result = runner.invoke(cli, ["cache", "build", str(path)])
    assert result.exit_code == 1
    assert result.stderr == symlink_error(cached, target.name)
    assert victim.read_bytes() == b"precious" and target.is_symlink()
    assert totals(read(path)) == csv_totals(path)  # the question still answered


def test_the_writing_lock_is_never_opened_through_a_planted_link(cached, tmp_path, runner):
    path = make_year(tmp_path / "baci")
    victim = tmp_path / "made-through-the-link"
    cached.mkdir()
    (cached / cache.LOCK).symlink_to(victim)
    result = runner.invoke(cli, ["cache", "build", str(path)])
    assert result.exit_code == 1
    assert result.stderr == symlink_error(cached, cache.LOCK)
    assert not victim.exists()


@pytest.mark.skipif(not cache_files._RELATIVE, reason="needs files opened relative to a folder")
def test_writes_stay_in_the_folder_opened_when_it_is_swapped_for_a_link(tmp_path):
    folder, moved, elsewhere = tmp_path / "cache", tmp_path / "moved", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with cache.Folder.open(folder, create=True) as opened:
        folder.rename(moved)
        folder.symlink_to(elsewhere)
        opened.write("entry.unbuildable", b'{"korus": "unbuildable"}')
    assert (moved / "entry.unbuildable").read_bytes() == b'{"korus": "unbuildable"}'
    assert list(elsewhere.iterdir()) == []


# --------------------------------------------------------- a cache that cannot be written


@pytest.fixture
def read_only(cached) -> Path:
    """The test's cache folder, read-only (skipped for a user who writes in it anyway)."""
    cached.mkdir()
    cached.chmod(0o500)
    try:
        if writes_anyway(cached):
            pytest.skip("this user writes in a read-only folder anyway (root)")
        yield cached
    finally:
        cached.chmod(0o700)


def writes_anyway(folder: Path) -> bool:
    """Return whether a file can be made in the folder (a probe write)."""
    probe = folder / "probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def no_room(monkeypatch, above: int = 0) -> None:
    """Make every write of korus's cache of more than ``above`` bytes fail: a full disk."""
    write_all = cache_files._write_all

    def full(handle, view):
        if len(view) > above:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write_all(handle, view)

    monkeypatch.setattr(cache_files, "_write_all", full)


def question(path: Path) -> list[str]:
    return ["deficit", "--data", str(path), "--years", "2020", "--format", "csv"]


def test_cache_build_in_a_read_only_folder_says_so(read_only, tmp_path, runner):
    path = make_year(tmp_path / "baci")
    result = runner.invoke(cli, ["cache", "build", str(path)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write the cache in {read_only}: Permission denied\n"


def test_a_question_in_a_read_only_cache_folder_is_answered_with_a_note(
    read_only, tmp_path, runner
):
    path = make_year(tmp_path / "baci")
    result = runner.invoke(cli, [*question(path), "--verbose"])
    answer = runner.invoke(cli, [*question(path), "--no-cache"])
    assert result.exit_code == 0 and result.stdout == answer.stdout
    assert (
        f"  note: korus's cache of the file is not written: cannot write the cache in "
        f"{read_only}: Permission denied\n"
    ) in result.stderr


def test_cache_build_on_a_full_disk_says_so_and_leaves_nothing(
    cached, tmp_path, runner, monkeypatch
):
    path = make_year(tmp_path / "baci")
    no_room(monkeypatch)
    result = runner.invoke(cli, ["cache", "build", str(path)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write the cache in {cached}: No space left on device\n"
    assert [file.name for file in cached.iterdir()] == [cache.LOCK]


def test_a_write_that_failed_is_not_remembered_as_a_file_that_cannot_be_cached(
    cached, tmp_path, runner, monkeypatch
):
    path = make_year(tmp_path / "baci")
    write_all = cache_files._write_all
    no_room(monkeypatch)
    assert runner.invoke(cli, ["cache", "build", str(path)]).exit_code == 1
    monkeypatch.setattr(cache_files, "_write_all", write_all)  # room again
    monkeypatch.setattr(cache, "_deferred", True)  # asked for as the command line does
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    first = read(path)
    assert "korus's cache of the file is written in the background, after this answer, " in (
        " ".join(first.accounting[0].notes)
    )
    assert from_cache(read(path))


def test_a_question_on_a_full_disk_is_answered_with_a_note_under_verbose(
    cached, tmp_path, runner, monkeypatch
):
    path = make_year(tmp_path / "baci")
    no_room(monkeypatch)
    result = runner.invoke(cli, [*question(path), "--verbose"])
    answer = runner.invoke(cli, [*question(path), "--no-cache"])
    assert result.exit_code == 0 and result.stdout == answer.stdout
    assert (
        f"  note: korus's cache of the file is not written: cannot write the cache in "
        f"{cached}: No space left on device\n"
    ) in result.stderr


def test_a_disk_that_fills_while_the_answer_is_computed_is_told_under_verbose(
    cached, tmp_path, runner, monkeypatch
):
    path = make_year(tmp_path / "baci")
    no_room(monkeypatch, above=100)  # room for a few bytes, not for the entry
    result = runner.invoke(cli, [*question(path), "--verbose"])
    answer = runner.invoke(cli, [*question(path), "--no-cache"])
    assert result.exit_code == 0 and result.stdout == answer.stdout
    assert result.stderr.endswith(
        f"  note: korus's cache was not written: cannot write the cache in {cached}: "
        "No space left on device\n"
    )
    assert [file.name for file in cached.iterdir()] == []
    pd.testing.assert_frame_equal(read(path).frame, baci.scan(path, ("USA", "KOR")).frame)
