"""What korus fetch leaves behind: the record beside the answer (read as the vintage, and
only for the very file it describes), no key in any file korus writes or in any recorded
answer, and the fetch command korus check offers for a claim it cannot compute."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from fetch_answers import HERE
from korus import readers
from korus.cli import cli

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

TESTS = Path(__file__).resolve().parent
# Census keys are 40 hex digits, Comtrade+ subscription keys 32.
KEY_SHAPES = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})(?![0-9A-Fa-f])")
COMTRADE_ARGS = ["fetch", "comtrade", "--partner", "KOR", "--years", "2016"]


def fetched(runner, tmp_path) -> Path:
    out = tmp_path / "usa-kor.json"
    result = runner.invoke(cli, [*COMTRADE_ARGS, "-o", str(out), "--verbose"])
    assert result.exit_code == 0, result.output
    return out


def test_no_recorded_answer_or_fetch_test_holds_anything_shaped_like_a_key():
    files = [path for path in HERE.rglob("*") if path.is_file() and "__pycache__" not in str(path)]
    files += sorted(TESTS.glob("test_fetch*.py"))
    assert len(files) > 20
    found = {
        str(path.relative_to(TESTS)): KEY_SHAPES.findall(path.read_text(encoding="utf-8"))
        for path in files
    }
    assert {name: shapes for name, shapes in found.items() if shapes} == {}


@pytest.mark.vcr("comtrade_data.yaml")
def test_no_file_korus_writes_in_a_fetch_holds_the_key(runner, tmp_path, keys):
    result = runner.invoke(cli, [*COMTRADE_ARGS, "-o", str(tmp_path / "out.json"), "-v"])
    assert result.exit_code == 0, result.output
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert sorted(path.name for path in written) == ["out.json", "out.json.korus.json"]
    for key in keys.values():
        assert not [path for path in written if key.encode() in path.read_bytes()]
        assert key not in result.stdout + result.stderr


@pytest.mark.vcr("census_data.yaml")
def test_the_record_lists_the_requests_with_the_key_named_never_given(runner, tmp_path, keys):
    out = tmp_path / "imports.json"
    result = runner.invoke(
        cli,
        ["fetch", "census", "--flow", "imports", "--partner", "KOR"]
        + ["--months", "2016-01..2016-02", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "imports.json.korus.json").read_text())
    assert list(record)[:4] == ["korus_fetch", "api", "source", "vintage"]
    assert record["api"] == "US Census Bureau international trade API"
    assert record["requests"][0].endswith("&key=$CENSUS_API_KEY")
    assert record["rows"] == 4
    assert keys["CENSUS_API_KEY"] not in json.dumps(record)


@pytest.mark.vcr("comtrade_data.yaml")
def test_the_reader_takes_the_vintage_from_the_record(runner, tmp_path, keys):
    out = fetched(runner, tmp_path)
    record = json.loads(Path(f"{out}.korus.json").read_text())
    vintage = set(readers.load([out]).frame["vintage"])
    assert vintage == {f"{record['vintage']}; release not stated in the file"}
    assert record["vintage"].startswith("retrieved 20")
    assert record["vintage"].endswith(" from comtradeapi.un.org")


@pytest.mark.vcr("comtrade_data.yaml")
def test_a_file_changed_after_its_fetch_is_read_without_the_record(runner, tmp_path, keys):
    out = fetched(runner, tmp_path)
    out.write_text(out.read_text().replace("71900000000.0", "1.0"))
    assert set(readers.load([out]).frame["vintage"]) == {"release not stated in the file"}


@pytest.mark.vcr("comtrade_data.yaml")
def test_a_folder_of_fetched_files_reads_the_data_and_leaves_the_records_aside(
    runner, tmp_path, keys
):
    out = fetched(runner, tmp_path)
    reading = readers.load([tmp_path])
    assert set(reading.frame["flow"]) == {"export", "import"}
    assert (
        f"not read as data: {out.name}.korus.json: korus fetch record, read with the data it "
        "describes" in reading.accounting[0].notes
    )


def check_detail(runner, *args: str) -> str:
    result = runner.invoke(cli, ["check", *args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    return next(csv.DictReader(result.stdout.splitlines()))["detail"]


def test_check_offers_the_census_fetch_for_us_figures_the_data_lacks(runner):
    detail = check_detail(
        runner, "--measure", "deficit", "--year", "2030", "--stated", "$1 billion"
    )
    assert detail.endswith(
        "It would take USA-reported figures for trade with KOR: korus fetch census --flow "
        "exports --by hs --level HS2 --partner KOR --months 2030-01..2030-12 -o exports.json && "
        "korus fetch census --flow imports --by hs --level HS2 --partner KOR --months "
        "2030-01..2030-12 -o imports.json, then korus check FILE --data exports.json --data "
        "imports.json"
    )


def test_check_offers_the_comtrade_fetch_for_another_reporters_months(runner):
    detail = check_detail(
        runner,
        "--measure",
        "pct_change",
        "--of",
        "exports",
        "--reporter",
        "KOR",
        "--partner",
        "WLD",
        "--month",
        "2017-09",
        "--stated",
        "35%",
    )
    assert detail.endswith(
        "It would take KOR-reported monthly figures for trade with WLD: korus fetch comtrade "
        "--reporter KOR --partner WLD --months 2016-09,2017-09 --flow exports -o kor-wld.json, "
        "then korus check FILE --data kor-wld.json"
    )
