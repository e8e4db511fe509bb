"""korus ingest: a store of one's own, read with --data as the files it was made from."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from korus.cli import cli
from test_readers_baci import OLD_COUNTRIES, ROWS, write_data

ENV = {"COLUMNS": "120"}


def invoke(runner, *args):
    return runner.invoke(cli, [str(arg) for arg in args], env=ENV)


def answer(runner, *args) -> list[dict]:
    result = invoke(runner, *args, "--format", "csv", "--unit", "usd")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def baci_years(folder: Path) -> Path:
    """Two BACI years in a folder, with the release's country list."""
    folder.mkdir()
    (folder / "country_codes_V202301.csv").write_text(OLD_COUNTRIES)
    for year in ("2020", "2021"):
        rows = [(year, *row[1:]) for row in ROWS]
        write_data(folder / f"BACI_HS92_Y{year}_V202301.csv", rows)
    return folder


def comtrade_plus(path: Path) -> Path:
    header = (
        "typeCode,freqCode,refYear,period,reporterCode,reporterISO,flowCode,partnerCode,"
        "partnerISO,partner2Code,customsCode,motCode,classificationCode,cmdCode,primaryValue"
    )
    rows = [
        "C,A,2016,2016,842,USA,X,410,KOR,0,C00,0,H4,870323,100.5",
        "C,A,2016,2016,842,USA,M,410,KOR,0,C00,0,H4,870323,700.25",
        "C,A,2016,2016,842,USA,M,410,KOR,0,C00,0,H4,010121,3",
        "C,A,2016,2016,842,USA,X,156,CHN,0,C00,0,H4,870323,55",
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


QUESTIONS = [
    ["deficit", "--years", "2020,2021"],
    ["partners", "--year", "2021"],
    ["sectors", "--year", "2021", "--flow", "imports"],
    ["mirror", "--years", "2021"],
]


@pytest.mark.parametrize("question", QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_a_store_of_baci_years_answers_as_the_files_do(runner, tmp_path, question):
    folder = baci_years(tmp_path / "baci")
    store = tmp_path / "store"
    made = invoke(runner, "ingest", folder, "--into", store)
    assert made.exit_code == 0, made.output
    assert answer(runner, *question, "--data", store) == answer(runner, *question, "--data", folder)


def test_a_store_of_a_comtrade_download_answers_as_the_file_does(runner, tmp_path):
    path = comtrade_plus(tmp_path / "answer.csv")
    store = tmp_path / "store"
    assert invoke(runner, "ingest", path, "--into", store).exit_code == 0
    for question in (["deficit", "--years", "2016"], ["partners", "--year", "2016"]):
        assert answer(runner, *question, "--data", store) == answer(
            runner, *question, "--data", path
        )


def test_inspect_of_a_store_gives_each_files_accounting(runner, tmp_path):
    path = comtrade_plus(tmp_path / "answer.csv")
    store = tmp_path / "store"
    invoke(runner, "ingest", path, "--into", store)
    rows = json.loads(invoke(runner, "inspect", store, "--format", "json").stdout)
    fields = {row["field"]: row["value"] for row in rows if row["field"].startswith("rows")}
    assert fields == {"rows read": "4", "rows kept": "4", "rows set aside": "0"}
    notes = [row["value"] for row in rows if row["field"] == "note"]
    assert f"read from the store {store} (ingested from {path})" in notes


def test_a_file_ingested_again_unchanged_is_left_and_changed_is_replaced(runner, tmp_path):
    path = comtrade_plus(tmp_path / "answer.csv")
    store = tmp_path / "store"
    assert invoke(runner, "ingest", path, "--into", store).stderr == (f"{path}: added (4 rows)\n")
    assert invoke(runner, "ingest", path, "--into", store).stderr == f"{path}: unchanged\n"
    path.write_text(path.read_text().replace("100.5", "200.5"))
    assert invoke(runner, "ingest", path, "--into", store).stderr == (
        f"{path}: replaced (4 rows)\n"
    )
    row = answer(runner, "deficit", "--years", "2016", "--data", store)[0]
    assert row["exports_usd"] == "200.5"


def test_a_file_whose_figures_the_store_already_has_is_refused(runner, tmp_path):
    first = comtrade_plus(tmp_path / "answer.csv")
    again = tmp_path / "copy.csv"
    again.write_text(first.read_text().replace("700.25", "701.25"))
    store = tmp_path / "store"
    invoke(runner, "ingest", first, "--into", store)
    result = invoke(runner, "ingest", again, "--into", store)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the files overlap: ")
    assert "700.25 US dollars in" in result.stderr and "701.25 in" in result.stderr


def test_a_store_whose_manifest_was_edited_is_refused(runner, tmp_path):
    store = tmp_path / "store"
    invoke(runner, "ingest", comtrade_plus(tmp_path / "answer.csv"), "--into", store)
    manifest = store / "korus-store.json"
    manifest.write_text(manifest.read_text().replace('"rows": 4', '"rows": 5'))
    result = invoke(runner, "deficit", "--years", "2016", "--data", store)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {manifest}: not a korus store korus can trust (its seal does not match); "
        "build it again with korus ingest\n"
    )


def test_a_store_whose_part_is_damaged_is_refused_naming_the_file_to_ingest_again(runner, tmp_path):
    path = comtrade_plus(tmp_path / "answer.csv")
    store = tmp_path / "store"
    invoke(runner, "ingest", path, "--into", store)
    (part,) = store.glob("part-*.parquet")
    part.write_bytes(part.read_bytes()[:-100])
    result = invoke(runner, "deficit", "--years", "2016", "--data", store)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {store}: the store's part for {path} is missing or")
    assert result.stderr.endswith(f"ingest the file again (korus ingest {path} --into {store})\n")


def test_a_store_s_row_groups_are_chosen_by_its_sealed_manifest_not_the_part_s_footer(
    runner, tmp_path, monkeypatch
):
    # A part's footer statistics are under no seal: "KOR" turned to "JOR" there (one bit)
    # once had a question skip the row groups of Korea.
    import pyarrow.parquet as pq

    from korus import store as stores

    monkeypatch.setattr(stores, "ROW_GROUP", 1)  # a row group per row
    path = comtrade_plus(tmp_path / "answer.csv")
    store = tmp_path / "store"
    assert invoke(runner, "ingest", path, "--into", store).exit_code == 0
    (part,) = store.glob("part-*.parquet")
    data = bytearray(part.read_bytes())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    at = data.find(b"KOR", footer)
    while at != -1:
        data[at] ^= 0x01
        at = data.find(b"KOR", at + 3)
    part.write_bytes(bytes(data))
    metadata = pq.read_metadata(part)
    partner = metadata.schema.to_arrow_schema().names.index("partner")
    maxima = {metadata.row_group(n).column(partner).statistics.max for n in range(4)}
    assert "KOR" not in maxima and "JOR" in maxima
    question = ["deficit", "--years", "2016", "--partner", "KOR"]
    assert answer(runner, *question, "--data", store) == answer(runner, *question, "--data", path)


def test_a_file_that_fails_leaves_the_files_before_it_in_the_store_and_says_which(runner, tmp_path):
    good = comtrade_plus(tmp_path / "a-answer.csv")
    bad = tmp_path / "b-answer.csv"
    later = good.read_text().replace(",2016,2016,", ",2015,2015,")  # (another year's)
    bad.write_text(later.replace("700.25", "seven hundred"), encoding="utf-8")
    store = tmp_path / "store"
    result = invoke(runner, "ingest", good, bad, "--into", store)
    assert result.exit_code == 1
    said, error = result.stderr.splitlines()[0], result.stderr.splitlines()[-1]
    # The file before the error was said to be in the store, before the error...
    assert said == f"{good}: added (4 rows)"
    assert error.startswith(f"Error: {bad}: ") and "seven hundred" in error
    # ...and is: the store answers as that file does, and knows only it.
    question = ["deficit", "--years", "2016"]
    assert answer(runner, *question, "--data", store) == answer(runner, *question, "--data", good)
    rows = json.loads(invoke(runner, "inspect", store, "--format", "json").stdout)
    assert {row["file"] for row in rows if row["field"] == "layout"} == {str(good)}
    # Mended, the same command reads only what is new.
    bad.write_text(later, encoding="utf-8")
    again = invoke(runner, "ingest", good, bad, "--into", store)
    assert again.exit_code == 0, again.output
    assert again.stderr == f"{good}: unchanged\n{bad}: added (4 rows)\n"
