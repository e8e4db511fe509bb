"""Recorded answers of the Census and Comtrade+ APIs (``cassettes/``, replayed by vcrpy),
the answers a local stand-in serves (``*.json``), and that stand-in (``server.py``).

The layouts are the APIs' documented ones (Census: a JSON array of arrays, the header
first; Comtrade+: ``{"count", "data": [records], "error"}`` with the fields of its records);
the figures are made up for the tests. Answers made from the agencies' real files are built
by the tests themselves from ``../shared/data``, never kept here."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASSETTES = HERE / "cassettes"


class Served:
    """A stand-in API running in its own process: its base address and what it was asked."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[dict]:
        """Return the requests the stand-in saw, in order (path, query without key, key)."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]


@contextlib.contextmanager
def serving(routes: list[dict], folder: Path, key: str | None = None) -> Iterator[Served]:
    """Run the stand-in on a free port of 127.0.0.1 with these routes; stop it at the end."""
    log = folder / "server-requests.jsonl"
    config = folder / "server-routes.json"
    for route in routes:
        for answer in route["answers"]:
            if "body_file" in answer and not Path(answer["body_file"]).is_absolute():
                answer["body_file"] = str(HERE / answer["body_file"])
    config.write_text(json.dumps({"key": key, "log": str(log), "routes": routes}), "utf-8")
    port_file = folder / "server-port"
    process = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), str(config), str(port_file)]
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stand-in API did not start")
            time.sleep(0.02)
        yield Served(int(port_file.read_text(encoding="utf-8")), log)
    finally:
        process.terminate()
        process.wait(timeout=10)
