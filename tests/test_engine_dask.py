"""--engine dask: every data command gives, on a Dask cluster, the answer, the accounting and
the notes it gives here; a worker lost mid-question, an unreachable scheduler, a scheduler
with no workers and a store the workers cannot read each end in the right answer or one
clear error."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip(
    "distributed", reason="the Dask engine's tests need korus-trade[dask] (dask, distributed)"
)
import dask  # noqa: E402  (after the skip: a plain install has no Dask)

from generated_panel import write_panel  # noqa: E402
from korus.cli import cli  # noqa: E402
from korus.engine import cluster, scan_part  # noqa: E402

ENV = {"COLUMNS": "120", "DASK_SCHEDULER_ADDRESS": None}

QUESTIONS = [
    ["deficit", "--years", "2014-2017"],
    ["deficit", "--months", "2018-01..2018-06"],
    ["deficit", "--reporter", "CHN", "--partner", "DEU", "--years", "2016-2018"],
    ["growth", "--reporter", "KOR", "--partner", "CHN", "--years", "2014-2017"],
    ["growth", "--flow", "imports", "--months", "2018-01..2018-12", "--partner", "DEU"],
    ["sectors", "--partner", "CHN", "--year", "2017", "--flow", "imports", "--since", "2014"],
    ["sectors", "--partner", "WLD", "--year", "2016"],
    ["mirror", "--years", "2014-2017"],
    ["mirror", "--reporter", "DEU", "--partner", "CHN", "--years", "2018"],
    ["partners", "--year", "2016"],
    ["partners", "--reporter", "KOR", "--year", "2018", "--by", "imports", "--groups"],
    ["partners", "--reporter", "DEU", "--year", "2014-2018", "--by", "balance", "--top", "2"],
    ["partners", "--reporter", "CHN", "--year", "2012-2014"],  # an error: 2012 is not held
    ["check", "--measure", "deficit", "--stated", "110.1 million", "--year", "2016"],
    ["check", "--measure", "exports", "--stated", "$2.5B", "--year", "2015", "--exit-zero"],
    ["deficit", "--years", "2013-2014"],  # an error: the same on both engines
    ["world", "--year", "2016"],
    ["world", "--year", "2018", "--flow", "imports", "--reporter", "DEU", "--top", "5"],
    ["world", "--year", "2012"],  # an error
    ["mirror", "--gaps", "--reporter", "KOR", "--year", "2016"],
    ["mirror", "--gaps", "--reporter", "DEU", "--year", "2018", "--flow", "imports", "--top", "2"],
    ["mirror", "--gaps", "--reporter", "KOR", "--year", "2012"],  # an error
]


@pytest.fixture(scope="module")
def scheduler():
    """The address of a local cluster of two single-threaded worker processes, started
    once for the module."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A store of the generated panel: five years in five parts."""
    from click.testing import CliRunner

    root = tmp_path_factory.mktemp("panel")
    paths = write_panel(root / "files")
    made = CliRunner().invoke(cli, ["ingest", *map(str, paths), "--into", str(root / "store")])
    assert made.exit_code == 0, made.output
    return root / "store"


def ask(runner, *args):
    return runner.invoke(cli, [str(arg) for arg in args], env=ENV)


@pytest.mark.parametrize("question", QUESTIONS, ids=[" ".join(q[:3]) for q in QUESTIONS])
def test_each_data_command_answers_on_dask_as_it_does_here(runner, store, scheduler, question):
    here = ask(runner, *question, "--data", store, "--format", "csv", "--unit", "usd", "-v")
    there = ask(
        runner,
        *question,
        *("--data", store, "--format", "csv", "--unit", "usd", "-v"),
        *("--engine", "dask", "--scheduler", scheduler),
    )
    assert there.exit_code == here.exit_code
    assert there.stdout == here.stdout
    assert there.stderr == here.stderr  # accounting, notes and errors alike
    assert "read from the store" in here.stderr or here.stderr.startswith("Error:")


@pytest.mark.parametrize(
    "command", [["inspect", "--format", "csv"], ["convert", "-o", "-"]], ids=["inspect", "convert"]
)
def test_inspect_and_convert_of_a_store_are_the_same_on_dask(runner, store, scheduler, command):
    here = ask(runner, command[0], store, *command[1:], "-v")
    there = ask(
        runner, command[0], store, *command[1:], "-v", "--engine", "dask", "--scheduler", scheduler
    )
    assert here.exit_code == there.exit_code == 0, here.output
    assert there.stdout == here.stdout
    assert there.stderr == here.stderr
    assert len(here.stdout.splitlines()) > 20


def test_the_answers_compared_are_real_figures(runner, store, scheduler):
    """The comparison above is of figures: USA's 2016 balance with KOR on Dask is exports
    minus imports of its chapters, to the cent."""
    import csv
    import io

    there = ask(
        runner,
        *("deficit", "--years", "2016", "--data", store, "--format", "csv", "--unit", "usd"),
        *("--engine", "dask", "--scheduler", scheduler),
    )
    row = next(csv.DictReader(io.StringIO(there.stdout)))
    files = store.parent / "files"
    sums = {"export": 0, "import": 0}
    for line in (files / "panel-2016.csv").read_text().splitlines()[1:]:
        fields = line.split(",")
        if fields[2:4] == ["USA", "KOR"]:
            units, cents = fields[7].split(".")
            sums[fields[4]] += int(units) * 100 + int(cents)
    assert round(float(row["exports_usd"]) * 100) == sums["export"]
    assert round(float(row["imports_usd"]) * 100) == sums["import"]
    assert round(float(row["balance_usd"]) * 100) == sums["export"] - sums["import"]


def die_once(scan, marker: str, then=None):
    """A task that kills the worker process running it, the first time any task runs."""
    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return cluster.on_worker(scan, then)
    os.close(descriptor)
    os._exit(1)


def test_a_worker_lost_mid_question_still_gives_the_right_rows(store, scheduler, tmp_path):
    import cloudpickle

    from korus import store as stores

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    manifest = stores._manifest(store)
    scans = [
        stores._scan(store, source, entry, {"reporter": "USA"})
        for source, entry in sorted(manifest["sources"].items())
    ]
    marker = tmp_path / "died"
    results = cluster.run(scans, scheduler, work=functools.partial(die_once, marker=str(marker)))
    assert marker.exists()  # a worker did die
    expected = [scan_part(scan) for scan in scans]
    assert [kind for kind, _ in results] == ["rows"] * len(scans)
    for (_, table), (_, wanted) in zip(results, expected, strict=True):
        assert table.equals(wanted)
        assert set(table["reporter"].to_pylist()) == {"USA"}
    with distributed.Client(scheduler, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)  # the nanny started it again


def fail(scan, then=None):
    raise RuntimeError("no korus here")


def test_a_task_that_fails_on_a_worker_is_one_error_saying_what_workers_need(store, scheduler):
    from korus import store as stores
    from korus.errors import KorusError

    cloudpickle = pytest.importorskip("cloudpickle")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    source, entry = next(iter(sorted(stores._manifest(store)["sources"].items())))
    with pytest.raises(KorusError) as raised:
        cluster.run([stores._scan(store, source, entry, {})], scheduler, work=fail)
    assert str(raised.value) == (
        "a Dask worker failed reading the store (RuntimeError: no korus here); the workers "
        "need this korus installed (pip install 'korus-trade[dask]' where they run) and the "
        "store on a path they all see"
    )


def test_a_store_the_workers_cannot_read_is_one_error_naming_the_worker(
    runner, store, scheduler, tmp_path
):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(store, broken)
    next(broken.glob("part-*.parquet")).unlink()
    result = ask(
        runner,
        *("deficit", "--years", "2016", "--data", broken),
        *("--engine", "dask", "--scheduler", scheduler),
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {broken}: the store's part for ")
    assert "is missing or damaged" in lines[0]
    assert "read on the Dask worker tcp://127.0.0.1:" in lines[0]
    assert "every worker sees" in lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_one_error_after_the_connect_timeout(runner, store):
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = ask(runner, "deficit", "--data", store, "--engine", "dask", "--scheduler", address)
    assert time.monotonic() - started < 30
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot reach the Dask scheduler at {address} (")
    assert "--scheduler tcp://HOST:PORT or DASK_SCHEDULER_ADDRESS" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_scheduler_with_no_workers_is_one_error_not_a_hang(runner, store):
    with (
        distributed.LocalCluster(n_workers=0, dashboard_address=":0") as empty,
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
    ):
        result = ask(
            runner,
            "deficit",
            "--data",
            store,
            "--engine",
            "dask",
            "--scheduler",
            empty.scheduler_address,
        )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the Dask scheduler at {empty.scheduler_address} has no worker after 2 s: start "
        f"some (dask worker {empty.scheduler_address})\n"
    )


def _wait_for_workers(address: str, count: int) -> None:
    with distributed.Client(address, timeout=30, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=60)


def test_a_separately_started_scheduler_and_two_workers_give_the_local_csv(store, tmp_path):
    """DASK_SCHEDULER_ADDRESS=tcp://127.0.0.1:PORT korus partners --data STORE --engine dask
    gives the CSV of --engine local, with a scheduler and two workers started as their own
    processes."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler"]
            + ["--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "distributed.cli.dask_worker", address]
                    + ["--nthreads", "1", "--no-dashboard", "--local-directory", str(tmp_path)],
                    **quiet,
                )
            )
        _wait_for_workers(address, 2)
        # The store named as a relative path, from a folder the workers do not run in.
        command = [sys.executable, "-m", "korus", "partners", "--data", store.name]
        command += ["--year", "2016", "--format", "csv"]
        environment = {**os.environ, "DASK_SCHEDULER_ADDRESS": address}
        there = subprocess.run(
            [*command, "--engine", "dask"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
            cwd=store.parent,
        )
        here = subprocess.run(
            command, capture_output=True, text=True, timeout=300, cwd=store.parent
        )
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert there.returncode == here.returncode == 0, there.stderr
    assert there.stdout == here.stdout
    assert there.stdout.count("\n") == 4  # the header and USA's three partners
    assert there.stderr == here.stderr == ""


def test_without_a_scheduler_a_local_cluster_answers_and_says_nothing_more(runner, store):
    """No address: korus starts a local cluster for the question, even with the default
    dashboard port taken by another program, and prints what the local engine prints."""
    import contextlib

    with contextlib.ExitStack() as stack:
        taken = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken by another program: as good
            taken.bind(("0.0.0.0", 8787))
            taken.listen()
        question = ["deficit", "--years", "2016", "--data", store, "--format", "csv", "-v"]
        here = ask(runner, *question)
        there = ask(runner, *question, "--engine", "dask")
    assert there.exit_code == here.exit_code == 0, there.output
    assert there.stdout == here.stdout
    assert there.stderr == here.stderr
