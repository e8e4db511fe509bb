"""The engine a question runs on: the default reads a store here; --engine dask is refused,
in one line that says what to do, for what it cannot read and where Dask is missing."""

from __future__ import annotations

import pytest

from korus import Settings
from korus.cli import cli
from korus.errors import KorusError
from test_ingest import comtrade_plus

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}


def ask(runner, *args):
    return runner.invoke(cli, [str(arg) for arg in args], env=ENV)


@pytest.fixture
def store(runner, tmp_path):
    path = comtrade_plus(tmp_path / "answer.csv")
    made = ask(runner, "ingest", path, "--into", tmp_path / "store")
    assert made.exit_code == 0, made.output
    return tmp_path / "store"


def test_the_local_engine_is_the_default_and_answers_from_the_store(runner, store):
    default = ask(runner, "deficit", "--years", "2016", "--data", store, "--format", "csv")
    local = ask(
        runner,
        "deficit",
        "--years",
        "2016",
        "--data",
        store,
        "--format",
        "csv",
        "--engine",
        "local",
    )
    assert default.exit_code == local.exit_code == 0
    assert default.stdout == local.stdout
    assert "2016,USA,KOR,0.0001005,0.00070325,-0.00060275" in default.stdout


def test_the_dask_engine_without_dask_installed_says_how_to_install_it(runner, store, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = ask(runner, "deficit", "--years", "2016", "--data", store, "--engine", "dask")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --engine dask needs Dask, which is not installed: pip install "
        "'korus-trade[dask]' (or use the default engine, --engine local)\n"
    )


def test_the_dask_engine_reads_stores_not_source_files(runner, tmp_path):
    path = comtrade_plus(tmp_path / "answer.csv")
    result = ask(runner, "deficit", "--years", "2016", "--data", path, "--engine", "dask")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: not a korus store; --engine dask reads stores only: build one with "
        f"korus ingest {path} --into STORE/ and give --data STORE/\n"
    )


@pytest.mark.parametrize("command", ["deficit", "partners", "check --measure deficit --stated 1B"])
def test_the_dask_engine_does_not_read_the_shipped_data(runner, command):
    result = ask(runner, *command.split(), "--engine", "dask")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --engine dask reads a korus store, not the shipped data: build one with "
        "korus ingest FILES... --into STORE/ and give --data STORE/\n"
    )


def test_an_engine_korus_does_not_have_is_refused_by_the_settings():
    with pytest.raises(KorusError, match="engine 'spark' is not one of local, dask"):
        Settings(engine="spark")


def test_an_engine_korus_does_not_have_is_a_usage_error_on_the_command_line(runner):
    result = ask(runner, "deficit", "--engine", "spark")
    assert result.exit_code == 2
    assert "'spark' is not one of 'local', 'dask'" in result.stderr


def test_a_scheduler_without_the_dask_engine_is_a_usage_error(runner, store):
    result = ask(runner, "deficit", "--data", store, "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert "Error: --scheduler goes with --engine dask" in result.stderr
