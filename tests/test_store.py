"""The canonical store: a file's settled reading kept, read back the same, never trusted
when the file, the reading rules or the entry changed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_frame
from korus import cache, cache_files, readers, store
from korus.errors import DataFileError
from korus.readers import tidy
from korus.readers.common import ENCODING
from korus.schema import canonical


@pytest.fixture
def kept(tmp_path, monkeypatch):
    """A store of this test's own, keeping every reading however fast."""
    monkeypatch.setenv("KORUS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(store, "WORTH_SECONDS", 0.0)
    cache.set_enabled(True)
    yield tmp_path / "cache"
    cache.set_enabled(None)


def comtrade_file(path: Path, value: float = 100.0) -> Path:
    header = (
        "typeCode,freqCode,refYear,period,reporterCode,reporterISO,flowCode,partnerCode,"
        "partnerISO,partner2Code,customsCode,motCode,classificationCode,cmdCode,primaryValue"
    )
    rows = [
        f"C,A,2016,2016,842,USA,X,410,KOR,0,C00,0,H4,TOTAL,{value}",
        f"C,A,2016,2016,842,USA,M,410,KOR,0,C00,0,H4,TOTAL,{value * 2}",
        f"C,A,2016,2016,842,USA,X,156,CHN,0,C00,0,H4,TOTAL,{value * 3}",
        "S,A,2016,2016,842,USA,X,156,CHN,0,C00,0,H4,TOTAL,5",
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def refuse_to_parse(monkeypatch) -> None:
    """Make every reader fail: an answer must come from the store."""

    def no(*args, **kwargs):
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(readers, "read_file", no)


def assert_kept_as_read(again, first) -> None:
    """Assert that a reading from the store is the source's: its frame in the first
    reading's order within each reporter and partner (the entry's groups), and the same
    accounting."""
    pd.testing.assert_frame_equal(
        again.frame,
        first.frame.sort_values(store.KEPT_ORDER, kind="stable").reset_index(drop=True),
    )
    assert again.accounting == first.accounting


def test_a_reading_kept_in_the_store_gives_the_same_frame_and_accounting(kept, monkeypatch):
    path = comtrade_file(kept.parent / "answer.csv")
    first = readers.load([path])
    refuse_to_parse(monkeypatch)
    again = readers.load([path])
    assert_kept_as_read(again, first)
    assert again.accounting[0].set_aside == {"services (typeCode S): korus reads trade in goods": 1}


def test_a_question_about_one_pair_reads_only_that_pairs_rows_from_the_store(kept, monkeypatch):
    path = comtrade_file(kept.parent / "answer.csv")
    readers.load([path])
    refuse_to_parse(monkeypatch)
    pair = readers.load([path], equal={"reporter": "USA", "partner": "CHN"})
    assert pair.frame[["partner", "flow", "value_usd"]].values.tolist() == [
        ["CHN", "export", 300.0]
    ]


def test_a_file_changed_after_it_was_kept_is_read_again(kept):
    path = comtrade_file(kept.parent / "answer.csv")
    readers.load([path])
    comtrade_file(path, value=101.0)  # rewritten: a new change time, new content
    frame = readers.load([path]).frame
    assert sorted(frame["value_usd"]) == [101.0, 202.0, 303.0]


def test_a_file_changed_with_its_size_and_time_put_back_is_read_again(kept):
    path = comtrade_file(kept.parent / "answer.csv")
    readers.load([path])
    status = path.stat()
    comtrade_file(path, value=200.0)  # the same number of characters
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size
    frame = readers.load([path]).frame
    assert sorted(frame["value_usd"]) == [200.0, 400.0, 600.0]


def test_another_encoding_is_another_entry(kept, monkeypatch):
    path = kept.parent / "names.csv"
    text = comtrade_file(path).read_text().replace("KOR", "KOR")
    path.write_bytes(text.encode("utf-8"))
    readers.load([path])
    token = ENCODING.set("latin-1")
    try:
        assert store.find(path, store.Rules.in_force(None)) is None
    finally:
        ENCODING.reset(token)
    assert store.find(path, store.Rules.in_force(None)) is not None


def test_dedupe_is_another_entry(kept):
    frame = make_frame([(2016, None, "export", "TOTAL", 5.0), (2016, None, "export", "TOTAL", 5.0)])
    path = kept.parent / "twice.csv"
    tidy.write_csv(frame, path)
    with pytest.raises(DataFileError, match="repeats another row exactly"):
        readers.load([path])
    kept_once = readers.load([path], dedupe=True)
    assert kept_once.frame["value_usd"].tolist() == [5.0]
    with pytest.raises(DataFileError, match="repeats another row exactly"):
        readers.load([path])  # the refusal is never kept, nor taken from the deduped entry


def test_an_error_is_never_kept(kept):
    path = kept.parent / "bad.csv"
    path.write_text(
        "year,month,reporter,partner,flow,product,classification,value_usd,source,"
        "basis,vintage\n2016,,USA,KOR,export,TOTAL,none,-5,s,b,v\n"
    )
    for _ in range(2):
        with pytest.raises(DataFileError, match="is negative"):
            readers.load([path])
    assert not list(kept.glob("reading-*")) if kept.exists() else True


def test_a_damaged_entry_is_removed_and_the_file_read_again(kept):
    path = comtrade_file(kept.parent / "answer.csv")
    first = readers.load([path])
    (entry,) = kept.glob("reading-*.parquet")
    data = bytearray(entry.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)
    entry.write_bytes(bytes(data))
    again = readers.load([path])
    pd.testing.assert_frame_equal(
        again.frame.sort_values(store.ORDER).reset_index(drop=True),
        first.frame.sort_values(store.ORDER).reset_index(drop=True),
    )


def test_standard_input_is_never_kept(kept, monkeypatch):
    path = comtrade_file(kept.parent / "answer.csv")
    monkeypatch.setattr(readers, "_STDIN_COPY", path)
    readers.load([path])
    assert not kept.exists() or not list(kept.glob("reading-*"))


def test_cache_list_shows_a_kept_reading_and_clear_removes_it(kept, runner):
    from korus.cli import cli

    path = comtrade_file(kept.parent / "answer.csv")
    readers.load([path])
    listed = runner.invoke(cli, ["cache", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{path}\t" in listed.stdout and "current" in listed.stdout
    cleared = runner.invoke(cli, ["cache", "clear"])
    assert cleared.exit_code == 0
    assert list(kept.glob("reading-*")) == []


def test_a_korus_whose_code_changed_does_not_read_an_older_entry(kept, monkeypatch):
    path = comtrade_file(kept.parent / "answer.csv")
    readers.load([path])
    rules = store.Rules.in_force(None)
    before = store.entry_layout(rules)
    monkeypatch.setattr(store, "code_digest", lambda: "another-korus")
    assert store.entry_layout(rules) != before
    assert store.find(path, rules) is None


def test_row_groups_are_chosen_by_the_sealed_ranges_never_the_footer_s_statistics(
    kept, monkeypatch
):
    # The footer's statistics are under no seal and no checksum: a flipped bit there once
    # had a question skip the row group that holds its pair ("no trade of USA with KOR").
    import pyarrow.parquet as pq

    monkeypatch.setattr(store, "ROW_GROUP", 1)  # a row group per row
    path = comtrade_file(kept.parent / "answer.csv")
    readers.load([path])
    entry = cache._target(path, store.entry_layout(store.Rules.in_force(None)))
    metadata = pq.read_metadata(entry)
    names = metadata.schema.to_arrow_schema().names
    groups = [metadata.row_group(n) for n in range(metadata.num_row_groups)]
    korea = [g for g in groups if g.column(names.index("partner")).statistics.max == "KOR"]
    assert korea  # "KOR" -> "JOR" (one bit) in the footer: the group seems to lack Korea
    data = bytearray(entry.read_bytes())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    sealed = data.rindex(metadata.metadata[cache_files.KEY])  # korus's own metadata: left alone
    at = data.index(b"KOR", footer)
    while footer < at < sealed:  # the row groups' statistics, before korus's metadata
        data[at] ^= 0x01
        at = data.find(b"KOR", at + 3)
    entry.write_bytes(bytes(data))
    changed = pq.read_metadata(entry)
    assert not any(
        changed.row_group(n).column(names.index("partner")).statistics.max == "KOR"
        for n in range(changed.num_row_groups)
    )
    refuse_to_parse(monkeypatch)
    pair = readers.load([path], equal={"reporter": "USA", "partner": "KOR"})
    assert sorted(pair.frame["value_usd"]) == [100.0, 200.0]


# ------------------------------------------------- the order and ranges an entry is kept in


def _old_ranges(frame) -> list[list]:
    """The ranges as first written: Python's min and max of each group's text."""
    texts = {column: frame[column].astype(str).to_numpy() for column in store.PICKED}
    ranges = []
    for start in range(0, len(frame), store.ROW_GROUP):
        stop = min(start + store.ROW_GROUP, len(frame))
        extent: list = [stop - start]
        for column in store.PICKED:
            extent += [min(texts[column][start:stop]), max(texts[column][start:stop])]
        ranges.append(extent)
    return ranges


@pytest.mark.parametrize("seed", range(12))
def test_entry_order_is_pandas_stable_sort_and_ranges_are_pythons(seed, monkeypatch):
    """A reading is kept in the order ``sort_values(ORDER, na_position="last",
    kind="stable")`` gives (ties keep their order, missing months last), however it came,
    and each row group's ranges are Python's min and max of its text, to the character
    (codes with accents and of several widths; an already sorted frame is kept as it is)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 400))
    codes = ["KOR", "USA", "ÅLA", "A", "WLD", "Z9", "CHN"]
    frame = pd.DataFrame(
        {
            "reporter": pd.array(rng.choice(codes[:3], rows), dtype="str"),
            "partner": pd.array(rng.choice(codes, rows), dtype="str"),
            "year": pd.array(rng.integers(2014, 2017, rows), dtype="Int16"),
            "month": pd.array(
                [None if m == 0 else int(m) for m in rng.integers(0, 4, rows)], dtype="Int8"
            ),
            "flow": pd.array(rng.choice(["export", "import"], rows), dtype="str"),
            "product": pd.array(rng.choice(["TOTAL", "01", "0101", "99"], rows), dtype="str"),
            "value_usd": rng.random(rows),
        },
        index=rng.permutation(rows) + 7,
    )
    if seed % 3 == 0:  # a frame already in order is returned as it is
        frame = frame.sort_values(store.ORDER, na_position="last", kind="stable")
    monkeypatch.setattr(store, "ROW_GROUP", int(rng.integers(1, 50)))
    expected = frame.sort_values(store.ORDER, na_position="last", kind="stable")
    ordered = store._in_order(frame, store.ORDER)
    pd.testing.assert_frame_equal(ordered, expected)
    if seed % 3 == 0:
        assert ordered is frame
    assert store._ranges(ordered) == _old_ranges(expected)


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="a copy of the process (fork) keeps the reading on Linux only; elsewhere the "
    "command keeps it itself, as a program does (the tests above)",
)
def test_the_command_line_ends_with_its_answer_and_a_copy_of_it_keeps_the_reading(
    kept, monkeypatch
):
    import fcntl
    import subprocess

    path = comtrade_file(kept.parent / "answer.csv")
    # The command line as installed, keeping every reading, its writing made slow (the
    # copy of the process sleeps before it writes: the command must not wait for it).
    script = (
        "import sys, time\n"
        "from korus import store\n"
        "store.WORTH_SECONDS = 0.0\n"
        "write = store._write\n"
        "def slow(*args):\n"
        "    time.sleep(6)\n"
        "    write(*args)\n"
        "store._write = slow\n"
        "sys.argv = ['korus', *sys.argv[1:]]\n"
        "from korus.cli import main\n"
        "main()\n"
    )
    question = ["deficit", "--partner", "KOR", "--years", "2016", "--format", "csv"]
    question += ["--unit", "usd", "--data", str(path)]
    ran = subprocess.run(
        [sys.executable, "-c", script, *question],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KORUS_CACHE_DIR": str(kept)},
    )
    assert ran.returncode == 0, ran.stderr
    header, row = ran.stdout.splitlines()
    assert header.startswith("year,reporter,partner,exports_usd,imports_usd,balance_usd")
    assert row.split(",")[:6] == ["2016", "USA", "KOR", "100.0", "200.0", "-100.0"]
    # Its output ended with it, while the copy still holds the cache's writing lock.
    lock = os.open(kept / cache.LOCK, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(lock, fcntl.LOCK_EX)  # the copy has written and gone
    finally:
        os.close(lock)
    # A later question is answered from what the copy kept, the same as the source's.
    cache.set_enabled(False)
    source = readers.load([path])
    cache.set_enabled(True)
    refuse_to_parse(monkeypatch)
    again = readers.load([path])
    assert_kept_as_read(again, source)


def test_the_code_digest_reads_the_trust_layer_and_the_numbering_its_rules_use(monkeypatch):
    # A kept reading is settled by the trust rules: a korus whose rules (or the numbering of
    # groups they work by) changed must not answer from it.
    from pathlib import Path as PathType

    read = []
    real = PathType.read_bytes

    def watched(self):
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(PathType, "read_bytes", watched)
    store.code_digest.__wrapped__()
    assert {"trust.py", "groups.py", "schema.py", "store.py"} <= set(read)


def test_a_kept_readings_rows_are_chosen_as_pandas_chose_them():
    """``store._frame`` gives the canonical frame of the rows of the reporter and partner
    asked about, in their order, a missing cell being no value asked for."""
    import pyarrow as pa

    rows = [
        (2016, month, flow, "01", 100 * month + len(flow), partner)
        for month in (1, 2)
        for flow in ("export", "import")
        for partner in ("KOR", "CHN", "JPN")
    ]
    frame = make_frame(rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    equal = {"reporter": "USA", "partner": "CHN"}
    chosen = store._frame(table, equal)
    expected = frame[(frame["reporter"] == "USA") & (frame["partner"] == "CHN")]
    pd.testing.assert_frame_equal(chosen, expected.reset_index(drop=True))
    assert len(chosen) == 4
    assert store._frame(table, {"partner": "DEU"}).empty
    # A missing partner (never in a settled reading) is no partner asked for, as in pandas.
    holed = table.set_column(3, "partner", pa.array(["KOR", None] * 6, pa.large_string()))
    made = holed.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get)
    expected = canonical(made[made["partner"] == "KOR"])
    pd.testing.assert_frame_equal(store._frame(holed, {"partner": "KOR"}), expected)
    assert len(expected) == 6
