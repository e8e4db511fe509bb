"""Recorded answers of the Census and Comtrade+ APIs (``cassettes/``, replayed by vcrpy),
the answers a local stand-in serves (``*.json``), and that stand-in (``server.py``).

The layouts are the APIs' documented ones (Census: a JSON array of arrays, the header
first; Comtrade+: ``{"count", "data": [records], "error"}`` with the fields of its records);
the figures are made up for the tests. Answers made from the agencies' real files are built
by the tests themselves from ``../shared/data``, never kept here."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CASSETTES = HERE / "cassettes"


# Fixtures of the tests that replay cassettes or send requests (imported by those modules).


@pytest.fixture
def keys(monkeypatch) -> dict[str, str]:
    """Keys of the real shapes (40 and 32 hex digits), made for the test, set as a user
    would; the base addresses and the records cap as a fresh shell has them."""
    made = {"CENSUS_API_KEY": secrets.token_hex(20), "COMTRADE_API_KEY": secrets.token_hex(16)}
    for name, value in made.items():
        monkeypatch.setenv(name, value)
    for name in ("KORUS_CENSUS_API", "KORUS_COMTRADE_API", "KORUS_COMTRADE_MAX_RECORDS"):
        monkeypatch.delenv(name, raising=False)
    return made


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def vcr_config() -> dict:
    # The key never reaches a cassette, and a request is matched on its exact URL.
    return {
        "record_mode": "none",
        "match_on": ["method", "uri"],
        "filter_query_parameters": ["key"],
        "filter_headers": ["Ocp-Apim-Subscription-Key"],
    }


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
