"""Python's collector of reference cycles is paused while files are read (every layout
goes through ``readers.load``), and is as it was once the reading ends, well or not."""

from __future__ import annotations

import gc
import json

import pytest

from korus import readers
from korus.errors import DataFileError
from korus.readers import common

ANSWER = [
    ["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "I_COMMODITY", "time", "COMM_LVL"],
    *[["5800", "KOREA, SOUTH", "10", "01", f"2019-{m:02d}", "HS2"] for m in range(1, 13)],
]


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_paused_and_put_back_as_it_was(collector_on):
    with common.collector_paused():
        assert not gc.isenabled()
        with common.collector_paused():  # (a reading inside another)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with common.collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # (paused before: left paused)
    gc.enable()


def test_the_collector_is_put_back_after_an_error(collector_on):
    with pytest.raises(ValueError), common.collector_paused():
        raise ValueError("a reading that fails")
    assert gc.isenabled()


def test_files_are_read_with_the_collector_paused(tmp_path, monkeypatch, collector_on):
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(ANSWER))
    seen = []
    real = readers._read_file

    def read(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(readers, "_read_file", read)
    reading = readers.load([path])
    assert seen == [False]
    assert gc.isenabled()
    assert reading.frame["value_usd"].sum() == 120  # (the months; no year row is stated)
    broken = tmp_path / "broken.json"
    broken.write_text('[["CTY_CODE", "GEN_VAL_MO", "time"], ["5800", "1", ')
    with pytest.raises(DataFileError):
        readers.load([broken])
    assert seen == [False, False]
    assert gc.isenabled()


def test_the_korus_command_runs_with_the_collector_paused(monkeypatch, collector_on):
    from korus import cli, command

    seen = []
    monkeypatch.setattr(cli, "main", lambda: seen.append(gc.isenabled()))
    command.main()
    assert seen == [False]
    gc.enable()


def test_a_fetch_and_a_cluster_put_the_collector_back(monkeypatch, tmp_path, collector_on):
    from click.testing import CliRunner

    from korus import cli, cli_fetch

    seen = []
    monkeypatch.setattr(cli_fetch, "_fetched", lambda *a, **k: seen.append(gc.isenabled()))
    gc.disable()
    months = ["--months", "2016-01..2016-02", "--partner", "KOR", "--dry-run"]
    found = CliRunner().invoke(
        cli.cli, ["fetch", "census", "--flow", "imports", *months, "-o", str(tmp_path / "x")]
    )
    assert found.exit_code == 0, found.output
    assert seen == [True]
    gc.disable()
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(ANSWER))
    for engine, resumed in (("local", False), ("dask", True)):
        gc.disable()
        seen.clear()
        monkeypatch.setattr(common, "import_pandas_meanwhile", lambda: seen.append(gc.isenabled()))
        CliRunner().invoke(
            cli.cli, ["deficit", "--data", str(answer), "--years", "2019", "--engine", engine]
        )
        assert seen == [resumed], engine
    gc.enable()
