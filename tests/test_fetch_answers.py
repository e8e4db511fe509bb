"""korus fetch against recorded answers of the Census and Comtrade+ APIs (vcrpy cassettes in
tests/fetch_answers/cassettes, the network blocked): each answer the APIs give instead of
data is one ``Error:`` line and exit 1; aggregate rows are set aside and counted."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from korus.cli import cli
from korus.fetch import http

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

CENSUS_ARGS = ["census", "--flow", "imports", "--partner", "KOR", "--months", "2016-01..2016-02"]
COMTRADE_ARGS = ["comtrade", "--reporter", "USA", "--partner", "KOR", "--years", "2016"]
CENSUS_SHOWN = (
    "https://api.census.gov/data/timeseries/intltrade/imports/hs?get=CTY_NAME,I_COMMODITY,"
    "I_COMMODITY_SDESC,GEN_VAL_MO&CTY_CODE=5800&COMM_LVL=HS2&SUMMARY_LVL=DET"
    "&time=from+2016-01+to+2016-02&key=$CENSUS_API_KEY"
)


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits korus asks for, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(http, "sleep", waited.append)
    return waited


def fetch(runner, tmp_path, *args: str):
    result = runner.invoke(cli, ["fetch", *args, "-o", str(tmp_path / "out.json")])
    return result


def error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("Error: ")
    assert not any("Traceback" in line for line in lines)
    return lines[-1]


# --------------------------------------------------------------------------- Census API


@pytest.mark.vcr("census_data.yaml")
def test_census_answer_is_written_as_the_api_gave_it_with_its_record(runner, tmp_path, keys):
    result = fetch(runner, tmp_path, *CENSUS_ARGS)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out.json").read_text())
    assert written[0] == [
        "CTY_NAME",
        "I_COMMODITY",
        "I_COMMODITY_SDESC",
        "GEN_VAL_MO",
        "CTY_CODE",
        "COMM_LVL",
        "SUMMARY_LVL",
        "time",
    ]
    assert [(row[1], row[3], row[7]) for row in written[1:]] == [
        ("85", "1310000000", "2016-01"),
        ("87", "1930000000", "2016-01"),
        ("85", "1270000000", "2016-02"),
        ("87", "1810000000", "2016-02"),
    ]
    record = json.loads((tmp_path / "out.json.korus.json").read_text())
    assert record["requests"] == [CENSUS_SHOWN]
    assert record["source"] == "api.census.gov"
    assert record["vintage"].startswith("retrieved 20")
    assert not (tmp_path / "out.json.parts").exists()


@pytest.mark.vcr("census_aggregates.yaml")
def test_census_rows_beside_the_detail_are_set_aside_and_counted_never_summed(
    runner, tmp_path, keys
):
    result = fetch(runner, tmp_path, *CENSUS_ARGS)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out.json").read_text())
    assert [(row[1], row[7]) for row in written[1:]] == [
        ("85", "2016-01"),
        ("87", "2016-01"),
        ("85", "2016-02"),
        ("87", "2016-02"),
    ]
    assert result.stderr.splitlines()[1:] == [
        "  set aside 1 row: commodity level HS4 beside the HS2 asked for",
        "  set aside 1 row: all-goods total beside the products",
        "  set aside 1 row: country grouping (SUMMARY_LVL CGP) beside the countries (DET)",
        "  set aside 1 row: month not asked for",
    ]
    record = json.loads((tmp_path / "out.json.korus.json").read_text())
    assert record["set_aside"] == {
        "commodity level HS4 beside the HS2 asked for": 1,
        "all-goods total beside the products": 1,
        "country grouping (SUMMARY_LVL CGP) beside the countries (DET)": 1,
        "month not asked for": 1,
    }


@pytest.mark.vcr("census_invalid_key_page.yaml")
def test_census_invalid_key_page_with_http_200_is_a_refused_key(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        "Error: Census API: the key in CENSUS_API_KEY was refused (it answered with a page "
        "saying 'Invalid Key'): check the key you set (a new key works once activated from "
        "the link in its e-mail); get one at https://api.census.gov/data/key_signup.html"
    )


@pytest.mark.vcr("census_key_redirect.yaml")
def test_census_redirect_to_its_key_page_is_a_refused_key_not_followed(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        "Error: Census API: the key in CENSUS_API_KEY was refused (HTTP 302, sent to "
        "https://api.census.gov/data/invalid_key.html): check the key you set (a new key works "
        "once activated from the link in its e-mail); get one at "
        "https://api.census.gov/data/key_signup.html"
    )


@pytest.mark.vcr("census_maintenance_page.yaml")
def test_census_html_page_instead_of_data_is_said_to_be_one(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        "Error: Census API: api.census.gov answered with an HTML page ('Census Data API: "
        "Scheduled Maintenance: The Census Data API is down for maintenance') instead of data: "
        "the API may be down for maintenance, or KORUS_CENSUS_API points at a web site; try "
        "again later"
    )


@pytest.mark.vcr("census_not_published.yaml")
def test_census_204_is_months_not_yet_published(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        "Error: Census API: no figures for imports from KOR (Census code 5800) in "
        "2016-01..2016-02 (HTTP 204, no content): the Census publishes a month about five weeks "
        "after it ends, so these months may not be out yet, or there was no such trade; ask "
        "for months already published"
    )
    assert not (tmp_path / "out.json").exists()


@pytest.mark.vcr("census_unknown_variable.yaml")
def test_census_400_gives_the_apis_own_message_and_the_request(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        "Error: Census API refused the request (HTTP 400: error: unknown predicate variable: "
        f"'SUMMARY_LVL'): it was {CENSUS_SHOWN}; check --commodity and --level (a code the API "
        "does not know is refused so)"
    )


@pytest.mark.vcr("census_cut_off.yaml")
def test_census_answer_cut_off_mid_json_is_an_error_not_a_short_file(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        "Error: Census API: the answer from api.census.gov ends before its JSON does (200 "
        "bytes: cut off): run the same command again; the parts already fetched are kept"
    )


# --------------------------------------------------------------------------- Comtrade+


@pytest.mark.vcr("comtrade_data.yaml")
def test_comtrade_answer_is_written_in_its_own_layout(runner, tmp_path, keys):
    result = fetch(runner, tmp_path, *COMTRADE_ARGS)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["count"] == 2
    assert [(r["flowCode"], r["primaryValue"]) for r in written["data"]] == [
        ("M", 71900000000.0),
        ("X", 42300000000.0),
    ]


@pytest.mark.vcr("comtrade_rate_limited_then_data.yaml")
def test_comtrade_429_is_waited_out_as_the_server_asks_then_succeeds(runner, tmp_path, keys, waits):
    result = fetch(runner, tmp_path, *COMTRADE_ARGS)
    assert result.exit_code == 0, result.output
    assert waits == [1.0]
    assert result.stderr.splitlines()[0] == (
        "rate limited by comtradeapi.un.org (HTTP 429): waiting 1 s before try 2 of 5"
    )


@pytest.mark.vcr("comtrade_rate_limited.yaml")
def test_comtrade_429_a_bounded_number_of_times_is_an_error(runner, tmp_path, keys, waits):
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: still rate limited by comtradeapi.un.org after 5 tries (HTTP 429: "
        "Rate limit is exceeded. Try again in 1 seconds.): wait a minute and run the same "
        "command again; the parts already fetched are kept"
    )
    assert waits == [1.0, 1.0, 1.0, 1.0]


@pytest.mark.vcr("comtrade_bad_key.yaml")
def test_comtrade_401_is_a_refused_key(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: the key in COMTRADE_API_KEY was refused (HTTP 401: Access denied "
        "due to invalid subscription key. Make sure to provide a valid key for an active "
        "subscription.): check the key you set (the primary or secondary key of your "
        "subscription); get one at https://comtradedeveloper.un.org (subscribe to the free "
        "comtrade - v1 product)"
    )


@pytest.mark.vcr("comtrade_empty.yaml")
def test_comtrade_count_zero_without_an_error_is_an_empty_answer_error(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: no records for USA with KOR in 2016 (count 0, and no error): USA has "
        "not reported these periods yet, or the request is malformed; check the request: "
        "https://comtradeapi.un.org/data/v1/get/C/A/HS?reporterCode=842&period=2016"
        "&partnerCode=410&partner2Code=0&cmdCode=TOTAL&flowCode=M,X&customsCode=C00&motCode=0"
        "&maxRecords=100000&format=JSON&breakdownMode=classic&includeDesc=true"
    )
    assert not (tmp_path / "out.json").exists()


@pytest.mark.vcr("comtrade_count_short.yaml")
def test_comtrade_answer_holding_fewer_records_than_its_count_is_cut_short(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: the answer from comtradeapi.un.org says 2 records but holds 1: it was "
        "cut short; run the same command again"
    )


@pytest.mark.vcr("comtrade_cut_off.yaml")
def test_comtrade_answer_cut_off_mid_json_is_an_error(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: the answer from comtradeapi.un.org ends before its JSON does (900 "
        "bytes: cut off): run the same command again; the parts already fetched are kept"
    )


@pytest.mark.vcr("comtrade_maintenance_page.yaml")
def test_comtrade_html_page_instead_of_data_is_said_to_be_one(runner, tmp_path, keys):
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: comtradeapi.un.org answered with an HTML page ('Service Unavailable: "
        "UN Comtrade is under maintenance') instead of data: the API may be down for "
        "maintenance, or KORUS_COMTRADE_API points at a web site; try again later"
    )


@pytest.mark.vcr("comtrade_breakdowns.yaml")
def test_comtrade_breakdown_and_world_rows_are_set_aside_and_counted(runner, tmp_path, keys):
    result = fetch(runner, tmp_path, *COMTRADE_ARGS)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out.json").read_text())
    assert [(r["flowCode"], r["primaryValue"]) for r in written["data"]] == [
        ("M", 71900000000.0),
        ("X", 42300000000.0),
    ]
    assert result.stderr.splitlines()[1:] == [
        "  set aside 1 row: breakdown by second partner (partner2Code 842) beside its total",
        "  set aside 1 row: breakdown by mode of transport (motCode 2100) beside its total",
        "  set aside 1 row: breakdown by customs procedure (customsCode C01) beside its total",
        "  set aside 1 row: partner not asked for (partnerCode 0)",
    ]


@pytest.mark.vcr("comtrade_capped.yaml")
def test_comtrade_answer_reaching_the_cap_is_split_by_period_and_asked_again(
    runner, tmp_path, keys
):
    result = fetch(
        runner, tmp_path, *COMTRADE_ARGS[:-1], "2015-2016", "--max-records", "5", "--verbose"
    )
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out.json").read_text())
    assert [(r["period"], r["flowCode"]) for r in written["data"]] == [
        ("2015", "M"),
        ("2015", "X"),
        ("2016", "M"),
        ("2016", "X"),
    ]
    periods = [
        line.split("period=")[1].split("&")[0]
        for line in result.stderr.splitlines()
        if "GET" in line
    ]
    assert periods == ["2015,2016", "2015", "2016"]
    assert (
        "Note: an answer reached the cap (5 records, probably cut short): asked again in 2 parts"
        in result.stderr.splitlines()
    )


@pytest.mark.vcr("comtrade_capped_unsplittable.yaml")
def test_comtrade_answer_at_the_cap_that_cannot_be_split_is_refused(runner, tmp_path, keys):
    result = fetch(runner, tmp_path, *COMTRADE_ARGS, "--flow", "imports", "--max-records", "2")
    assert error(result) == (
        "Error: Comtrade+: the answer for one period, partner and flow reached 2 records, the "
        "most one answer gives (--max-records 2): it is probably cut short; ask for a coarser "
        "--level or fewer --commodity codes, or give your plan's cap with --max-records"
    )
    assert not (tmp_path / "out.json").exists()


@pytest.mark.vcr("comtrade_preview.yaml")
def test_comtrade_without_a_key_fetches_from_the_keyless_preview(
    runner, tmp_path, keys, monkeypatch
):
    monkeypatch.delenv("COMTRADE_API_KEY")
    result = fetch(runner, tmp_path, *COMTRADE_ARGS)
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out.json.korus.json").read_text())
    assert record["vintage"].endswith(" from comtradeapi.un.org (keyless preview)")


# --------------------------------------------------------------------------- the network


def test_a_server_that_does_not_answer_in_time_is_a_timeout(runner, tmp_path, keys, monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepted by the system, never answered
    try:
        monkeypatch.setenv("KORUS_COMTRADE_API", f"http://127.0.0.1:{listener.getsockname()[1]}")
        result = fetch(runner, tmp_path, *COMTRADE_ARGS, "--timeout", "0.3")
    finally:
        listener.close()
    assert error(result).startswith("Error: Comtrade+: no answer from 127.0.0.1:")
    assert error(result).endswith(
        " within 0.3 seconds: the API is slow or down; allow longer with --timeout, or run the "
        "same command again; the parts already fetched are kept"
    )


def test_a_refused_connection_names_the_server_and_the_variable(
    runner, tmp_path, keys, monkeypatch
):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    monkeypatch.setenv("KORUS_CENSUS_API", f"http://127.0.0.1:{port}/data")
    assert error(fetch(runner, tmp_path, *CENSUS_ARGS)) == (
        f"Error: Census API: 127.0.0.1:{port} refused the connection: the API is down, or "
        "KORUS_CENSUS_API points at a server that is not running; run the same command again; "
        "the parts already fetched are kept"
    )


def test_a_name_that_does_not_resolve_is_a_failed_lookup(runner, tmp_path, keys, monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    assert error(fetch(runner, tmp_path, *COMTRADE_ARGS)) == (
        "Error: Comtrade+: cannot find the server comtradeapi.un.org (the name lookup failed): "
        "check the network connection, and KORUS_COMTRADE_API if you set it"
    )


def test_the_network_is_blocked_in_these_tests():
    with pytest.raises(RuntimeError, match="Network is disabled"):
        socket.create_connection(("198.51.100.7", 443), timeout=1)


def test_a_server_that_closes_mid_answer_is_a_cut_off_answer(runner, tmp_path, keys, monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def half_an_answer() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
            b'{"count": 2, "data": ['
        )
        connection.close()

    thread = threading.Thread(target=half_an_answer, daemon=True)
    thread.start()
    monkeypatch.setenv("KORUS_COMTRADE_API", f"http://127.0.0.1:{listener.getsockname()[1]}")
    result = fetch(runner, tmp_path, *COMTRADE_ARGS)
    thread.join(5)
    listener.close()
    assert error(result).endswith(
        " was cut off after 22 bytes (the connection closed early): run the same command "
        "again; the parts already fetched are kept"
    )
