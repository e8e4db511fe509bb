"""korus fetch end to end: korus in its own process against a stand-in API on 127.0.0.1 (its
own process too, on a free port) serving recorded answers; the fetched files then read by
korus's readers and commands."""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_file
from fetch_answers import serving
from korus import readers

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

COMTRADE_PATH = "/data/v1/get/C/A/HS"
COMTRADE_2016 = (
    "reporterCode=842&period=2016&partnerCode=410&partner2Code=0&cmdCode=TOTAL&flowCode=M,X"
    "&customsCode=C00&motCode=0&maxRecords=100000&format=JSON&breakdownMode=classic"
    "&includeDesc=true"
)
CENSUS_PATH = "/data/timeseries/intltrade/imports/hs"
CENSUS_HEADER = ["CTY_NAME", "I_COMMODITY", "I_COMMODITY_SDESC", "GEN_VAL_MO"]
CENSUS_HEADER += ["CTY_CODE", "COMM_LVL", "SUMMARY_LVL", "time"]
SERVER_FILES = {"server-routes.json", "server-requests.jsonl", "server-port"}


@pytest.fixture
def keys() -> dict[str, str]:
    """Keys of the real shapes (40 and 32 hex digits), made for this test only."""
    return {"CENSUS_API_KEY": secrets.token_hex(20), "COMTRADE_API_KEY": secrets.token_hex(16)}


def korus(*args: str, env: dict[str, str], stdin: bytes | None = None, cwd: Path | None = None):
    """Run korus in its own process; return the finished process (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "korus", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=120,
    )


def environment(served, keys: dict[str, str], **more: str) -> dict[str, str]:
    env = {**os.environ, **keys, **more}
    env["KORUS_CENSUS_API"] = f"{served.base}/data"
    env["KORUS_COMTRADE_API"] = served.base
    env.pop("FORCE_COLOR", None)
    return env


def census_answer(folder: Path, name: str, rows: list[list[str]]) -> str:
    """Write a Census API answer (array of arrays, the header first); return its path."""
    path = folder / name
    path.write_text(
        "[" + ",\n".join(json.dumps(row) for row in [CENSUS_HEADER, *rows]) + "]", "utf-8"
    )
    return str(path)


def census_query(first: str, last: str, value: str = "GEN_VAL_MO") -> str:
    time_ = first if first == last else f"from+{first}+to+{last}"
    return (
        f"get=CTY_NAME,I_COMMODITY,I_COMMODITY_SDESC,{value}&CTY_CODE=5800&COMM_LVL=HS2"
        f"&SUMMARY_LVL=DET&time={time_}"
    )


def written_by_korus(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and path.name not in SERVER_FILES]


def assert_no_key_in(paths: list[Path], texts: list[str], keys: dict[str, str]) -> None:
    for key in keys.values():
        for path in paths:
            assert key.encode() not in path.read_bytes(), path
        for text in texts:
            assert key not in text


def test_census_hs2_imports_from_korea_in_2016_read_as_the_shipped_api_file_does(tmp_path, keys):
    real = shared_file("census/api_imports_hs2_korea_monthly_2013_2021.csv")
    with real.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["time"].startswith("2016-")]
    header = ["CTY_NAME", "I_COMMODITY", "I_COMMODITY_SDESC", "CON_VAL_MO"]
    header += ["CTY_CODE", "COMM_LVL", "SUMMARY_LVL", "time"]
    answer = [header] + [
        [r["CTY_NAME"], r["I_COMMODITY"], r["I_COMMODITY_SDESC"], r["CON_VAL_MO"]]
        + [r["CTY_CODE"], r["COMM_LVL"], "DET", r["time"]]
        for r in rows
    ]
    (tmp_path / "answer.json").write_text(json.dumps(answer), "utf-8")
    route = {
        "path": CENSUS_PATH,
        "query": census_query("2016-01", "2016-12", "CON_VAL_MO"),
        "key_in": "query",
        "answers": [{"status": 200, "body_file": str(tmp_path / "answer.json")}],
    }
    out = tmp_path / "out" / "imports.json"
    out.parent.mkdir()
    with serving([route], tmp_path, keys["CENSUS_API_KEY"]) as served:
        done = korus(
            "fetch",
            "census",
            "--flow",
            "imports",
            "--by",
            "hs",
            "--level",
            "HS2",
            "--partner",
            "Korea",
            "--months",
            "2016-01..2016-12",
            "--basis",
            "consumption",
            "-o",
            str(out),
            env=environment(served, keys),
        )
        assert done.returncode == 0, done.stderr
        assert [request["key"] for request in served.requests()] == ["right"]
    fetched = readers.load([out]).frame
    shipped = readers.load([real]).frame
    shipped = shipped[shipped["year"] == 2016]
    # A chapter with no trade all year is absent from an answer for that year; the shipped
    # file, which has it in other years, holds its twelve months as zero.
    absent = shipped[~shipped["product"].isin(fetched["product"])]
    assert sorted(set(absent["product"])) == ["02"]
    assert (absent["value_usd"] == 0).all()
    shipped = shipped[shipped["product"].isin(fetched["product"])]
    columns = ["partner", "flow", "product", "year", "month", "value_usd", "basis"]
    order = ["product", "year", "month"]
    pd.testing.assert_frame_equal(
        fetched[columns].sort_values(order, na_position="last").reset_index(drop=True),
        shipped[columns].sort_values(order, na_position="last").reset_index(drop=True),
    )
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert set(fetched["vintage"]) == {
        f"retrieved {day} from 127.0.0.1:{served.port}; data through 2016-12"
    }
    assert_no_key_in(written_by_korus(tmp_path / "out"), [done.stdout, done.stderr], keys)


def test_comtrade_usa_korea_2016_fetched_then_analysed_gives_the_served_figures(tmp_path, keys):
    route = {
        "path": COMTRADE_PATH,
        "query": COMTRADE_2016,
        "key_in": "header",
        "answers": [{"status": 200, "body_file": "comtrade_usa_kor_2016.json"}],
    }
    out = tmp_path / "out" / "usa-kor.json"
    out.parent.mkdir()
    with serving([route], tmp_path, keys["COMTRADE_API_KEY"]) as served:
        env = environment(served, keys)
        done = korus(
            "fetch",
            "comtrade",
            "--reporter",
            "USA",
            "--partner",
            "KOR",
            "--years",
            "2016",
            "-o",
            str(out),
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert served.requests() == [
            {"path": COMTRADE_PATH, "query": COMTRADE_2016, "key": "right"}
        ]
    deficit = korus("deficit", "--data", str(out), "--years", "2016", "--format", "csv", env=env)
    assert deficit.returncode == 0, deficit.stderr
    rows = list(csv.DictReader(deficit.stdout.splitlines()))
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert [
        (r["year"], r["exports_usd_millions"], r["imports_usd_millions"], r["balance_usd_millions"])
        for r in rows
    ] == [("2016", "42300.0", "71900.0", "-29600.0")]
    assert rows[0]["source"] == "UN Comtrade (Comtrade+)"
    assert rows[0]["vintage"] == (
        f"retrieved {day} from 127.0.0.1:{served.port}; release not stated in the file"
    )
    assert done.stderr == (
        f"wrote 2 rows to {out}: retrieved {day} from 127.0.0.1:{served.port} (1 request)\n"
    )
    assert_no_key_in(written_by_korus(tmp_path / "out"), [done.stdout, done.stderr], keys)


def test_comtrade_fetched_to_standard_output_pipes_into_deficit(tmp_path, keys):
    route = {
        "path": COMTRADE_PATH,
        "query": COMTRADE_2016,
        "key_in": "header",
        "answers": [{"status": 200, "body_file": "comtrade_usa_kor_2016.json"}],
    }
    with serving([route], tmp_path, keys["COMTRADE_API_KEY"]) as served:
        env = environment(served, keys)
        fetch = subprocess.Popen(
            [sys.executable, "-m", "korus", "fetch", "comtrade", "--partner", "KOR"]
            + ["--years", "2016", "-o", "-"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        deficit = korus(
            "deficit",
            "--data",
            "-",
            "--years",
            "2016",
            "--format",
            "csv",
            env=env,
            stdin=fetch.stdout.read(),
        )
        assert fetch.wait(timeout=60) == 0, fetch.stderr.read()
        said = fetch.stderr.read().decode()
    assert deficit.returncode == 0, deficit.stderr
    row = next(csv.DictReader(deficit.stdout.splitlines()))
    assert (row["exports_usd_millions"], row["imports_usd_millions"]) == ("42300.0", "71900.0")
    assert said.startswith("wrote 2 rows to standard output: retrieved ")
    assert_no_key_in([], [deficit.stdout, deficit.stderr, said], keys)


def test_a_429_with_a_one_second_hint_is_waited_out_then_the_data_is_fetched(tmp_path, keys):
    limited = json.dumps(
        {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}
    )
    route = {
        "path": COMTRADE_PATH,
        "query": COMTRADE_2016,
        "key_in": "header",
        "answers": [
            {"status": 429, "headers": {"Retry-After": "1"}, "body": limited},
            {"status": 200, "body_file": "comtrade_usa_kor_2016.json"},
        ],
    }
    out = tmp_path / "out.json"
    with serving([route], tmp_path, keys["COMTRADE_API_KEY"]) as served:
        started = time.monotonic()
        done = korus(
            "fetch",
            "comtrade",
            "--partner",
            "KOR",
            "--years",
            "2016",
            "-o",
            str(out),
            env=environment(served, keys),
        )
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        assert len(served.requests()) == 2
    assert took >= 1.0
    assert done.stderr.splitlines()[0] == (
        f"rate limited by 127.0.0.1:{served.port} (HTTP 429): waiting 1 s before try 2 of 5"
    )
    assert json.loads(out.read_text())["count"] == 2


def test_an_interrupted_fetch_resumes_and_fetches_only_the_missing_parts(tmp_path, keys):
    def rows(months: list[str]) -> list[list[str]]:
        return [
            ["KOREA, SOUTH", "87", "VEHICLES", str(1_000_000 + i), "5800", "HS2", "DET", month]
            for i, month in enumerate(months)
        ]

    months_2015 = [f"2015-{m:02d}" for m in range(1, 13)]
    routes = [
        {
            "path": CENSUS_PATH,
            "query": census_query("2014-12", "2014-12"),
            "key_in": "query",
            "answers": [{"body_file": census_answer(tmp_path, "a.json", rows(["2014-12"]))}],
        },
        {
            "path": CENSUS_PATH,
            "query": census_query("2015-01", "2015-12"),
            "key_in": "query",
            "answers": [{"body_file": census_answer(tmp_path, "b.json", rows(months_2015))}],
        },
        {
            "path": CENSUS_PATH,
            "query": census_query("2016-01", "2016-01"),
            "key_in": "query",
            "answers": [
                {"status": 503, "headers": {"Content-Type": "text/plain"}, "body": "busy"},
                {"body_file": census_answer(tmp_path, "c.json", rows(["2016-01"]))},
            ],
        },
    ]
    out = tmp_path / "out" / "imports.json"
    out.parent.mkdir()
    args = ["fetch", "census", "--flow", "imports", "--partner", "KOR"]
    args += ["--months", "2014-12..2016-01", "-o", str(out)]
    with serving(routes, tmp_path, keys["CENSUS_API_KEY"]) as served:
        env = environment(served, keys)
        first = korus(*args, env=env)
        assert first.returncode == 1
        assert first.stderr == (
            f"Error: Census API: 127.0.0.1:{served.port} failed (HTTP 503: busy): try again "
            "later; the parts already fetched are kept\n"
        )
        assert not out.exists()
        assert len(list((tmp_path / "out" / "imports.json.parts").iterdir())) == 2
        seen = len(served.requests())
        second = korus(*args, env=env)
        assert second.returncode == 0, second.stderr
        again = served.requests()[seen:]
    assert [request["query"] for request in again] == [census_query("2016-01", "2016-01")]
    assert seen == 3
    assert "(1 request, 2 parts kept from an earlier run)" in second.stderr
    assert not (tmp_path / "out" / "imports.json.parts").exists()
    written = json.loads(out.read_text())
    assert [row[7] for row in written[1:]] == ["2014-12", *months_2015, "2016-01"]
    assert_no_key_in(written_by_korus(tmp_path / "out"), [first.stderr, second.stderr], keys)


def test_a_wrong_census_key_sent_to_the_server_is_refused_in_one_line(tmp_path, keys):
    route = {
        "path": CENSUS_PATH,
        "query": census_query("2016-01", "2016-01"),
        "key_in": "query",
        "answers": [{"body_file": census_answer(tmp_path, "a.json", [])}],
    }
    with serving([route], tmp_path, "a key that is not the one korus sends") as served:
        done = korus(
            "fetch",
            "census",
            "--flow",
            "imports",
            "--partner",
            "KOR",
            "--months",
            "2016-01",
            "-o",
            str(tmp_path / "out.json"),
            env=environment(served, keys),
        )
    assert done.returncode == 1
    assert done.stderr == (
        "Error: Census API: the key in CENSUS_API_KEY was refused (it answered with a page "
        "saying 'Invalid Key'): check the key you set (a new key works once activated from the "
        "link in its e-mail); get one at https://api.census.gov/data/key_signup.html\n"
    )
    assert not (tmp_path / "out.json").exists()
