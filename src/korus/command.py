"""The ``korus`` command itself (``python -m korus`` too): Python's collector of reference
cycles is paused for the process, from before korus is imported, then the command line
(``korus.cli.main``) runs.

A question lasts a second or so and makes its objects in bursts (the imports of click and
pandas, a file's cells, the tables), each of which sets the collector off to go through
every object alive, looking for cycles korus does not make: a later question took
0.41-0.42 s with it and 0.36-0.38 s without (``import pandas`` alone: 0.33 s). Objects
are still freed as soon as no one holds them. Where the process lasts (``korus fetch``
waits on the network, ``--engine dask`` holds a cluster's client) the command puts the
collector back (``resume_collector``). The Python API (``import korus``) never touches it
but while it reads a file (``readers.common.collector_paused``).
"""

from __future__ import annotations


def main() -> None:
    """Run the korus command line with the collector paused."""
    import gc

    gc.disable()
    from korus.cli import main as command_line

    command_line()


def resume_collector() -> None:
    """Put Python's collector back, for a command that lasts (see the module)."""
    import gc

    gc.enable()
