"""The Dask engine: a question's scans of a store, run on the workers of a Dask cluster.

Imported only for ``--engine dask``; Dask itself (the extra ``korus-trade[dask]``: dask and
distributed) only then. The scheduler is found by Dask's own convention: ``--scheduler
tcp://HOST:PORT``, else ``DASK_SCHEDULER_ADDRESS`` (or Dask's ``scheduler-address``
setting); without one, a ``LocalCluster`` of one single-threaded worker process per core
is started for the question and stopped after it.

Each part of the store is one task (``korus.engine.scan_part``, the function the local
engine runs): its rows are read and filtered where the task runs, and only they come
back. A worker that dies mid-question has its tasks run again elsewhere by the scheduler
(Dask's ``distributed.scheduler.allowed-failures``); a task that keeps killing workers,
an unreachable scheduler, a scheduler with no workers and a worker that cannot read the
store are each one error that says what to do, never a hang: connecting and waiting for
workers are bounded by Dask's connect timeout (``distributed.comm.timeouts.connect``, in
the environment ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``).
"""

from __future__ import annotations

import contextlib
import os

from korus.errors import KorusError

EXTRA = "pip install 'korus-trade[dask]'"


def run(scans: list, address: str | None, work=None, then=None) -> list[tuple[str, object]]:
    """Return the results of ``korus.engine.scan_part`` for each scan, in order, computed on
    the Dask cluster at ``address`` (None: Dask's convention, else a local cluster).
    ``then`` is a plan's step run on each part's rows where the part is read
    (``korus.engine.scan_then``); ``work`` is what each task runs (default ``on_worker``; a
    test gives one that fails)."""
    try:
        import dask
        import distributed
    except ImportError:
        raise KorusError(
            f"--engine dask needs Dask, which is not installed: {EXTRA} "
            "(or use the default engine, --engine local)"
        ) from None
    address = (
        address
        or os.environ.get("DASK_SCHEDULER_ADDRESS")
        or dask.config.get("scheduler-address", None)
    )
    timeout = dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"))
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(_client(distributed, address, timeout))
        futures = client.map(work or on_worker, scans, then=then, pure=False)
        try:
            return client.gather(futures)
        except distributed.KilledWorker as exc:
            raise KorusError(
                f"the Dask workers died reading the store, more than Dask allows "
                f"({exc.args[0] if exc.args else exc}); give the workers more memory or ask "
                "about fewer partners or years"
            ) from None
        except Exception as exc:  # raised on a worker: korus missing there, another version...
            raise KorusError(
                f"a Dask worker failed reading the store ({type(exc).__name__}: {_said(exc)}); the "
                "workers need this korus installed (pip install 'korus-trade[dask]' where "
                "they run) and the store on a path they all see"
            ) from None


@contextlib.contextmanager
def _client(distributed, address: str | None, timeout: float):
    """Yield a client of the scheduler at ``address`` with at least one worker (or of a
    local cluster started for the question), and close it (and the cluster) after."""
    import logging

    cluster = None
    if address is None:
        cluster = distributed.LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            # Its HTTP server on a free port: the default, 8787, may be another cluster's.
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        address = cluster.scheduler_address
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise KorusError(
            f"cannot reach the Dask scheduler at {address} ({_said(exc)}): "
            "start it (dask scheduler) or give its address with --scheduler tcp://HOST:PORT "
            "or DASK_SCHEDULER_ADDRESS"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            raise KorusError(
                f"the Dask scheduler at {address} has no worker after {timeout:g} s: start "
                f"some (dask worker {address})"
            ) from None
        yield client
    finally:
        with contextlib.suppress(Exception):  # the answer is in hand: closing is tidying
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def on_worker(scan, then=None) -> tuple[str, object]:
    """Run one scan (and ``then``) where this task runs; a part the worker cannot read says
    which worker it was, since a store must be on a path every worker sees."""
    from korus.engine import scan_then

    kind, value = scan_then(scan, then)
    if kind == "error":
        try:
            from distributed import get_worker

            where = get_worker().address
        except ValueError:  # not on a worker (a synchronous scheduler)
            return kind, value
        value = (
            f"{value} (read on the Dask worker {where}: the store must be on a path every "
            "worker sees)"
        )
    return kind, value


def _said(exc: Exception) -> str:
    """Return what an exception says, on one line (Dask's and Arrow's run over several)."""
    return " ".join(str(exc).split()) or type(exc).__name__
