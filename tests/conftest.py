"""Shared fixtures: small hand-made canonical frames, the CLI runner, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from korus.schema import canonical

# The fixtures of the API tests (made-up keys, the cassettes and how they are replayed).
pytest_plugins = ["fetch_answers"]

# Property tests are derandomized: the same examples on every run, so a run in CI can
# never fail by chance. HYPOTHESIS_PROFILE=explore searches new examples by hand; keep
# any failure it finds as an explicit @example.
settings.register_profile(
    "korus",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "korus"))

# Real agency files live outside the project; tests that need them skip without them.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(relative: str) -> Path:
    """Return a file of the shared real-data folder, or skip the test when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real agency file {relative} not available (needs ../shared/data)")
    return path


def make_frame(rows: list[tuple], **defaults) -> pd.DataFrame:
    """Return a canonical frame of (year, month, flow, product, value_usd[, partner]) rows."""
    records = []
    for row in rows:
        year, month, flow, product, value, *rest = row
        records.append(
            {
                "year": year,
                "month": month,
                "reporter": defaults.get("reporter", "USA"),
                "partner": rest[0] if rest else defaults.get("partner", "KOR"),
                "flow": flow,
                "product": product,
                "classification": "none" if product == "TOTAL" else "HS2012",
                "value_usd": float(value),
                "source": defaults.get("source", "test source"),
                "basis": defaults.get("basis", {"export": "FOB", "import": "CIF"}.get(flow, "FOB")),
                "vintage": defaults.get("vintage", "test vintage"),
            }
        )
    frame = pd.DataFrame(records)
    frame["month"] = frame["month"].astype("Int8")
    return canonical(frame)


@pytest.fixture(scope="session")
def _own_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("korus-cache")


@pytest.fixture(autouse=True)
def _no_user_cache(_own_cache_dir, monkeypatch) -> None:
    """Never the user's cache: every test reads and writes a cache folder of the run's own
    (tests of the cache itself give each test a folder of its own)."""
    monkeypatch.setenv("KORUS_CACHE_DIR", str(_own_cache_dir))


@pytest.fixture(autouse=True)
def _cache_state_of_its_own():
    """Each test starts with korus's process-wide cache state as a fresh process has it: a
    command run in-process turns deferred writing on (as the command line does), and a
    test after it must not inherit that, nor readings left to keep."""
    from korus import cache, store

    cache.defer(False)
    store._pending.clear()
    yield
    cache.defer(False)
    store._pending.clear()


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path_factory, monkeypatch) -> None:
    """Never the user's config file: every test runs with an empty config folder of its
    own (tests of the config file write theirs there or name one with KORUS_CONFIG)."""
    monkeypatch.delenv("KORUS_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
