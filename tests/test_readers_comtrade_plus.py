"""Comtrade+ reader: API v1 answers in JSON and CSV, camelCase and snake_case fields."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import shared_file
from fixtures.layouts import COMTRADE_PLUS_FIELDS
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import comtrade_plus
from korus.readers.common import ENCODING, take_sample
from korus.schema import COLUMNS

# The fields of a Comtrade+ API v1 record, in the order the API gives them.
FIELDS = COMTRADE_PLUS_FIELDS


def snake(field: str) -> str:
    """comtradr's tidy spelling: refYear -> ref_year, partner2Code -> partner2code."""
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", field).lower()


def record(**changes) -> dict:
    """A Comtrade+ record: US imports from Korea, 2016, HS chapter 87, CIF."""
    value = changes.pop("value", 1000.0)
    base = {
        "typeCode": "C",
        "freqCode": "A",
        "refPeriodId": 20160101,
        "refYear": 2016,
        "refMonth": 52,
        "period": "2016",
        "reporterCode": 842,
        "reporterISO": "USA",
        "reporterDesc": "USA",
        "flowCode": "M",
        "flowDesc": "Import",
        "partnerCode": 410,
        "partnerISO": "KOR",
        "partnerDesc": "Rep. of Korea",
        "partner2Code": 0,
        "partner2ISO": "W00",
        "partner2Desc": "World",
        "classificationCode": "H4",
        "classificationSearchCode": "HS",
        "isOriginalClassification": True,
        "cmdCode": "87",
        "cmdDesc": "Vehicles other than railway or tramway rolling stock",
        "aggrLevel": 2,
        "isLeaf": False,
        "customsCode": "C00",
        "customsDesc": "TOTAL CPC",
        "mosCode": "0",
        "motCode": 0,
        "motDesc": "TOTAL MOT",
        "qtyUnitCode": -1,
        "qtyUnitAbbr": "N/A",
        "qty": None,
        "isQtyEstimated": False,
        "altQtyUnitCode": -1,
        "altQtyUnitAbbr": "N/A",
        "altQty": None,
        "isAltQtyEstimated": False,
        "netWgt": None,
        "isNetWgtEstimated": False,
        "grossWgt": None,
        "isGrossWgtEstimated": False,
        "cifvalue": None,
        "fobvalue": None,
        "primaryValue": value,
        "legacyEstimationFlag": 0,
        "isReported": True,
        "isAggregate": False,
    }
    base.update(changes)
    flow = str(base["flowCode"])
    side = "cifvalue" if flow in ("M", "RM", "1", "4") else "fobvalue"
    if side not in changes:
        base[side] = base["primaryValue"]
    return base


def export(**changes) -> dict:
    return record(**{"flowCode": "X", "flowDesc": "Export", **changes})


def write_json(path: Path, records: list[dict], **top) -> Path:
    answer = {"elapsedTime": "0.12 secs", "count": len(records), "data": records, "error": ""}
    answer.update(top)
    path.write_text(json.dumps(answer), encoding="utf-8")
    return path


def write_csv(path: Path, records: list[dict], spelling=lambda field: field) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spelling(field) for field in FIELDS])
    for one in records:
        writer.writerow(["" if one[field] is None else one[field] for field in FIELDS])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def website_bytes(records: list[dict], encoding: str = "cp1252", eol: str = "\n") -> bytes:
    """The comtradeplus.un.org website's CSV download of ``records``, byte for byte as it
    writes one: a bare header, every non-empty field quoted, an empty field unquoted, one
    more delimiter at the end of each data row, Windows-1252 text."""

    def cell(value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            value = "true" if value else "false"
        return f'"{value}"'

    lines = [",".join(FIELDS)]
    lines += [",".join(cell(one[field]) for field in FIELDS) + "," for one in records]
    return (eol.join(lines) + eol).encode(encoding)


def write_website_csv(path: Path, records: list[dict], **options) -> Path:
    path.write_bytes(website_bytes(records, **options))
    return path


@pytest.fixture
def chosen_encoding():
    """Set the encoding as ``--encoding`` would, for the length of a test."""
    tokens = []

    def choose(name: str) -> None:
        tokens.append(ENCODING.set(name))

    yield choose
    for token in reversed(tokens):
        ENCODING.reset(token)


def values(frame: pd.DataFrame, *keys: str) -> dict:
    return frame.set_index(list(keys))["value_usd"].to_dict()


@pytest.fixture
def pair_records() -> list[dict]:
    """US trade with Korea, 2016: chapters 01 and 87 both ways, and the TOTAL rows."""
    return [
        record(cmdCode="TOTAL", aggrLevel=0, value=71_887_600_000.0),
        record(cmdCode="87", value=31_000_000_000.0),
        record(cmdCode="01", value=1_250.5),
        export(cmdCode="TOTAL", aggrLevel=0, value=42_262_200_000.0),
        export(cmdCode="87", value=2_100_000_000.0),
        export(cmdCode="01", value=88_000.0),
    ]


# ------------------------------------------------------------------ the real answer


REAL = "comtrade/plus_api_response_chn_2010.json"


def test_real_answer_gives_china_2010_flows_with_argentina_and_germany_in_dollars():
    frame = comtrade_plus.read(shared_file(REAL)).frame
    assert values(frame, "partner", "flow") == {
        ("ARG", "import"): 6_804_128_143.0,
        ("DEU", "import"): 74_251_272_075.0,
        ("ARG", "export"): 6_115_764_185.0,
        ("DEU", "export"): 68_047_133_397.0,
    }
    assert set(frame["reporter"]) == {"CHN"}
    assert set(frame["year"]) == {2010}
    assert frame["month"].isna().all()
    assert set(frame["product"]) == {"TOTAL"}
    assert set(frame["classification"]) == {"none"}


def test_real_answer_names_its_source_basis_and_unstated_release():
    reading = comtrade_plus.read(shared_file(REAL))
    frame = reading.frame
    assert set(frame["source"]) == {"UN Comtrade (Comtrade+)"}
    assert frame.groupby("flow")["basis"].unique().map(list).to_dict() == {
        "export": ["FOB"],
        "import": ["CIF"],
    }
    assert set(frame["vintage"]) == {"release not stated in the file"}
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept, account.set_aside) == (4, 4, {})
    assert account.layout == "comtrade-plus-json"


def test_real_answer_is_detected_and_read_file_gives_the_same_frame():
    path = shared_file(REAL)
    assert readers.detect(path) == "comtrade-plus-json"
    pd.testing.assert_frame_equal(readers.read_file(path).frame, comtrade_plus.read(path).frame)


def test_real_answer_gives_china_germany_balance_through_the_cli(runner):
    path = shared_file(REAL)
    result = runner.invoke(
        cli,
        [
            "deficit",
            "--data",
            str(path),
            "--reporter",
            "CHN",
            "--partner",
            "DEU",
            "--years",
            "2010",
            "--format",
            "csv",
            "--unit",
            "usd",
        ],
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.output)))
    assert float(row["exports_usd"]) == 68_047_133_397.0
    assert float(row["imports_usd"]) == 74_251_272_075.0
    assert float(row["balance_usd"]) == -6_204_138_678.0


def test_sniffs_claim_no_other_shared_file():
    folder = shared_file(REAL).parent.parent
    for path in sorted(folder.rglob("*")):
        # The website's own Comtrade+ downloads are Comtrade+ files too.
        if path.name.startswith("comtradeplus_"):
            continue
        if path.is_file() and path.suffix != ".md" and path.name != Path(REAL).name:
            assert not comtrade_plus.sniff(take_sample(path)), path.name


# --------------------------------------------------------------- files written here


def test_json_answer_keeps_chapter_codes_as_text_and_maps_h4_to_hs2012(tmp_path, pair_records):
    frame = comtrade_plus.read(write_json(tmp_path / "answer.json", pair_records)).frame
    assert list(frame.columns) == list(COLUMNS)
    assert sorted(frame["product"].unique()) == ["01", "87", "TOTAL"]
    chapters = frame[frame["product"] != "TOTAL"]
    assert set(chapters["classification"]) == {"HS2012"}
    assert values(frame, "flow", "product")[("import", "01")] == 1_250.5


def test_csv_and_json_answers_give_the_same_frame(tmp_path, pair_records):
    from_json = comtrade_plus.read(write_json(tmp_path / "answer.json", pair_records)).frame
    from_csv = comtrade_plus.read(write_csv(tmp_path / "answer.csv", pair_records)).frame
    pd.testing.assert_frame_equal(from_json, from_csv)


def test_snake_case_fields_of_comtradr_read_like_camel_case(tmp_path, pair_records):
    camel = comtrade_plus.read(write_csv(tmp_path / "camel.csv", pair_records)).frame
    path = write_csv(tmp_path / "snake.csv", pair_records, spelling=snake)
    assert path.read_text().startswith("type_code,freq_code,ref_period_id,ref_year,")
    assert readers.detect(path) == "comtrade-plus-csv"
    pd.testing.assert_frame_equal(comtrade_plus.read(path).frame, camel)


def test_snake_case_json_records_read_like_camel_case(tmp_path, pair_records):
    snaked = [{snake(key): value for key, value in one.items()} for one in pair_records]
    frame = comtrade_plus.read(write_json(tmp_path / "snake.json", snaked)).frame
    camel = comtrade_plus.read(write_json(tmp_path / "camel.json", pair_records)).frame
    pd.testing.assert_frame_equal(frame, camel)


def test_the_websites_pascal_case_csv_with_a_bom_reads_like_the_api(tmp_path, pair_records):
    path = write_csv(
        tmp_path / "download.csv", pair_records, spelling=lambda f: f[0].upper() + f[1:]
    )
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert readers.detect(path) == "comtrade-plus-csv"
    camel = comtrade_plus.read(write_csv(tmp_path / "camel.csv", pair_records)).frame
    pd.testing.assert_frame_equal(comtrade_plus.read(path).frame, camel)


def test_a_bare_list_of_records_is_read(tmp_path, pair_records):
    path = tmp_path / "records.json"
    path.write_text(json.dumps(pair_records), encoding="utf-8")
    assert readers.detect(path) == "comtrade-plus-json"
    assert len(comtrade_plus.read(path).frame) == 6


def test_files_written_here_are_detected_by_content(tmp_path, pair_records):
    json_path = write_json(tmp_path / "answer.txt", pair_records)
    csv_path = write_csv(tmp_path / "answer.dat", pair_records)
    assert readers.detect(json_path) == "comtrade-plus-json"
    assert readers.detect(csv_path) == "comtrade-plus-csv"
    pd.testing.assert_frame_equal(
        readers.read_file(csv_path).frame, comtrade_plus.read(csv_path).frame
    )
    assert readers.read_file(csv_path).accounting[0].layout == "comtrade-plus-csv"


def test_breakdown_rows_are_set_aside_so_totals_are_not_doubled(tmp_path):
    path = write_json(
        tmp_path / "breakdowns.json",
        [
            record(cmdCode="TOTAL", aggrLevel=0, value=900.0),
            record(cmdCode="TOTAL", aggrLevel=0, customsCode="C01", value=600.0),
            record(cmdCode="TOTAL", aggrLevel=0, customsCode="C02", value=300.0),
            record(cmdCode="TOTAL", aggrLevel=0, motCode=1000, value=500.0),
            record(cmdCode="TOTAL", aggrLevel=0, partner2Code=156, partner2ISO="CHN", value=7.0),
            record(cmdCode="TOTAL", aggrLevel=0, mosCode="3", value=8.0),
        ],
    )
    reading = comtrade_plus.read(path)
    assert values(reading.frame, "flow", "product") == {("import", "TOTAL"): 900.0}
    account = reading.accounting[0]
    assert account.set_aside == {
        "breakdown by customs procedure (the aggregate row is kept)": 2,
        "breakdown by mode of transport (the aggregate row is kept)": 1,
        "breakdown by second partner (the aggregate row is kept)": 1,
        "breakdown by mode of supply (the aggregate row is kept)": 1,
    }
    assert (account.rows_read, account.rows_kept) == (6, 1)
    assert account.balanced()


def test_blank_or_absent_breakdown_fields_mean_the_aggregate_row(tmp_path):
    bare = record(partner2Code=None, customsCode="", motCode=None, value=5.0)
    for field in ("mosCode", "partner2ISO", "partner2Desc", "customsDesc", "motDesc"):
        del bare[field]
    frame = comtrade_plus.read(write_json(tmp_path / "bare.json", [bare])).frame
    assert frame["value_usd"].tolist() == [5.0]


def test_r_missing_values_in_breakdown_and_value_fields_are_blanks(tmp_path):
    one = record(partner2Code="NA", customsCode="NA", motCode="NA", mosCode="NA", value=5.0)
    one.update(fobvalue="NA")
    path = write_csv(tmp_path / "comtradr.csv", [one], spelling=snake)
    reading = comtrade_plus.read(path)
    assert reading.frame["value_usd"].tolist() == [5.0]
    assert reading.accounting[0].notes == []


def test_numeric_flow_codes_1_to_4_are_import_export_reexport_reimport(tmp_path):
    path = write_csv(
        tmp_path / "numeric.csv",
        [
            record(flowCode="1", value=1.0),
            record(flowCode="2", value=2.0),
            record(flowCode="3", value=3.0),
            record(flowCode="4", value=4.0),
        ],
    )
    frame = comtrade_plus.read(path).frame
    assert values(frame, "flow") == {
        "import": 1.0,
        "export": 2.0,
        "re-export": 3.0,
        "re-import": 4.0,
    }
    assert values(frame.assign(value_usd=frame["basis"]), "flow") == {
        "import": "CIF",
        "export": "FOB",
        "re-export": "FOB",
        "re-import": "CIF",
    }


def test_reexports_and_reimports_stay_apart_from_exports_and_imports(tmp_path):
    path = write_json(
        tmp_path / "re.json",
        [export(value=10.0), record(flowCode="RX", value=3.0), record(flowCode="RM", value=1.0)],
    )
    frame = comtrade_plus.read(path).frame
    assert values(frame, "flow") == {"export": 10.0, "re-export": 3.0, "re-import": 1.0}


def test_other_comtrade_flows_are_set_aside_and_counted(tmp_path):
    path = write_json(
        tmp_path / "flows.json",
        [export(value=10.0), export(flowCode="DX", value=9.0), record(flowCode="FM", value=2.0)],
    )
    reading = comtrade_plus.read(path)
    assert values(reading.frame, "flow") == {"export": 10.0}
    assert reading.accounting[0].set_aside == {
        "flow DX (domestic exports): part of the main flows, never added to them": 1,
        "flow FM (foreign imports): part of the main flows, never added to them": 1,
    }


def test_monthly_answer_gives_monthly_rows_and_no_annual_row(tmp_path):
    months = [
        record(freqCode="M", period=f"2016{month:02d}", refMonth=month, value=float(month))
        for month in (1, 2, 3)
    ]
    months.append(record(freqCode="M", period="", refYear=2016, refMonth=4, value=4.0))
    frame = comtrade_plus.read(write_csv(tmp_path / "monthly.csv", months)).frame
    assert frame["month"].tolist() == [1, 2, 3, 4]
    assert frame["month"].notna().all()
    assert frame["value_usd"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_world_partner_is_the_wld_group_by_code_or_by_iso(tmp_path):
    path = write_csv(
        tmp_path / "world.csv",
        [
            record(partnerCode=0, partnerISO="W00", partnerDesc="World", value=5.0),
            export(partnerCode="", partnerISO="W00", partnerDesc="World", value=6.0),
        ],
    )
    frame = comtrade_plus.read(path).frame
    assert values(frame, "partner", "flow") == {("WLD", "import"): 5.0, ("WLD", "export"): 6.0}


def test_comtrade_numerics_become_korus_codes_and_namibia_is_not_missing(tmp_path):
    path = write_csv(
        tmp_path / "partners.csv",
        [
            record(reporterCode=251, reporterISO="FRA", partnerCode=516, partnerISO="NAM"),
            record(reporterCode=251, reporterISO="FRA", partnerCode=490, partnerISO="S19"),
            record(reporterCode=699, reporterISO="IND", partnerCode=842, partnerISO="USA"),
        ],
    )
    frame = comtrade_plus.read(path).frame
    assert list(zip(frame["reporter"], frame["partner"], strict=True)) == [
        ("FRA", "NAM"),
        ("FRA", "XOA"),
        ("IND", "USA"),
    ]


def test_unknown_comtrade_numeric_falls_back_to_the_iso_column(tmp_path):
    path = write_csv(tmp_path / "iso.csv", [record(partnerCode=9999, partnerISO="JPN")])
    assert comtrade_plus.read(path).frame["partner"].tolist() == ["JPN"]


def test_a_code_that_lost_its_leading_zero_gets_it_back_from_the_level(tmp_path):
    path = write_csv(tmp_path / "zero.csv", [record(cmdCode="1", aggrLevel=2, value=3.0)])
    reading = comtrade_plus.read(path)
    assert reading.frame["product"].tolist() == ["01"]
    assert reading.accounting[0].notes == [
        "1 product codes had lost their leading zero (a spreadsheet?); restored from the "
        "aggregation level (1 -> 01)"
    ]


def test_an_import_valued_only_fob_is_kept_as_cif_and_noted(tmp_path):
    path = write_json(tmp_path / "fob.json", [record(cifvalue=None, fobvalue=1000.0, value=1000.0)])
    reading = comtrade_plus.read(path)
    assert reading.frame["basis"].tolist() == ["CIF"]
    assert reading.accounting[0].notes == [
        "1 import rows give only a fobvalue: the reporter may have valued them FOB; kept as "
        "CIF, Comtrade's definition of primaryValue"
    ]


def test_services_rows_are_set_aside(tmp_path):
    path = write_json(
        tmp_path / "services.json", [record(), record(typeCode="S", cmdCode="200", value=9.0)]
    )
    reading = comtrade_plus.read(path)
    assert len(reading.frame) == 1
    assert reading.accounting[0].set_aside == {
        "services (typeCode S): korus reads trade in goods": 1
    }


def test_a_figure_repeated_identically_is_refused_naming_both_records(tmp_path):
    path = write_json(tmp_path / "twice.json", [record(value=7.0), record(value=7.0)])
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: 1 row repeats another row exactly, e.g. record 2 repeats record 1 (USA "
        "imports, partner KOR, product 87, 2016); remove the repeats, or pass --dedupe to drop "
        "them (they are counted)"
    )


def test_a_figure_repeated_identically_is_kept_once_with_dedupe_and_said(tmp_path):
    path = write_json(tmp_path / "twice.json", [record(value=7.0), record(value=7.0)])
    reading = readers.load([path], dedupe=True)
    assert reading.frame["value_usd"].tolist() == [7.0]
    account = reading.accounting[0]
    assert account.set_aside == {"exact repeat of another row (--dedupe)": 1}
    assert (account.rows_read, account.rows_kept) == (2, 1)
    assert account.warnings == [
        "1 row repeats another row exactly (e.g. record 2 repeats record 1): each kept once "
        "(--dedupe)"
    ]


def test_the_answer_count_and_a_release_date_are_read_from_the_answer(tmp_path):
    path = write_json(
        tmp_path / "dated.json",
        [record(lastReleased="2023-05-17T00:00:00")],
        count=2,
    )
    reading = comtrade_plus.read(path)
    assert set(reading.frame["vintage"]) == {"released 2023-05-17T00:00:00"}
    assert reading.accounting[0].notes == ["the answer says count 2 but holds 1 records"]


def test_an_empty_answer_reads_as_no_rows(tmp_path):
    path = write_json(tmp_path / "empty.json", [])
    assert readers.detect(path) == "comtrade-plus-json"
    reading = comtrade_plus.read(path)
    assert reading.frame.empty
    assert reading.accounting[0].rows_read == 0


def test_csv_answer_through_the_cli_gives_the_korea_balance(tmp_path, runner, pair_records):
    path = write_csv(tmp_path / "pair.csv", pair_records)
    result = runner.invoke(
        cli, ["deficit", "--data", str(path), "--years", "2016", "--format", "csv", "--unit", "usd"]
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.output)))
    assert (row["reporter"], row["partner"]) == ("USA", "KOR")
    assert float(row["exports_usd"]) == 42_262_200_000.0
    assert float(row["imports_usd"]) == 71_887_600_000.0
    assert float(row["balance_usd"]) == -29_625_400_000.0
    assert "UN Comtrade (Comtrade+)" in row["source"]


# ------------------------------------------------------------------------- errors


def test_an_unknown_flow_code_is_an_error_naming_the_line(tmp_path):
    path = write_csv(tmp_path / "flow.csv", [record(), record(flowCode="Z")])
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 3, field 'flowCode': unknown flow code 'Z' "
        "(expected X, M, RX, RM or 1, 2, 3, 4)"
    )


def test_a_product_code_that_is_not_hs_is_an_error(tmp_path):
    path = write_json(tmp_path / "code.json", [record(cmdCode="870", aggrLevel=2)])
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: record 1, field 'cmdCode': product code '870' is not TOTAL or a 2, 4 or 6 "
        "digit HS code (leading zeros lost in a spreadsheet?)"
    )


def test_a_product_in_sitc_is_an_error_but_its_total_is_read(tmp_path):
    total = record(cmdCode="TOTAL", aggrLevel=0, classificationCode="S4")
    assert comtrade_plus.read(write_json(tmp_path / "t.json", [total])).frame[
        "product"
    ].tolist() == ["TOTAL"]
    path = write_json(tmp_path / "sitc.json", [record(cmdCode="78", classificationCode="S4")])
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: record 1, field 'classificationCode': product '78' is in classification "
        "'S4'; korus reads HS products (H0-H6, HS) or TOTAL: ask Comtrade for HS"
    )


def test_an_unknown_partner_is_an_error_naming_code_and_iso(tmp_path):
    path = write_json(
        tmp_path / "who.json", [record(partnerCode=9999, partnerISO="ZZZ", partnerDesc="Nowhere")]
    )
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: record 1, field 'partnerCode': partner code '9999' (ISO 'ZZZ', Nowhere) "
        "is not a Comtrade area korus knows"
    )


def test_a_missing_value_is_an_error_naming_the_record(tmp_path):
    path = write_json(tmp_path / "null.json", [record(primaryValue=None)])
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: record 1, field 'primaryValue': expected a number, found 'an empty cell'"
    )


def test_one_figure_with_two_values_is_an_error(tmp_path):
    path = write_json(tmp_path / "clash.json", [record(value=7.0), record(value=8.0)])
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: record 2 and record 1 give USA imports, partner KOR, product 87, 2016 twice "
        "with different values (8 and 7 US dollars); korus cannot know which is right: keep one "
        "version of each figure"
    )


def test_an_error_answer_is_an_error_quoting_the_api(tmp_path):
    path = tmp_path / "denied.json"
    path.write_text(
        json.dumps({"elapsedTime": "0.01 secs", "count": 0, "data": [], "error": "Invalid key"})
    )
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: the Comtrade answer holds no 'data'; it says: Invalid key; ask the API again"
    )


def test_a_csv_without_the_value_field_is_an_error(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("refYear,reporterCode,partnerCode,flowCode,cmdCode\n2016,842,410,M,87\n")
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read_layout(path, "comtrade-plus-csv")
    assert str(error.value) == f"{path}: missing Comtrade+ fields ['primaryValue']"


def test_broken_json_is_an_error_naming_line_and_column(tmp_path):
    text = '{"elapsedTime": "0.1 secs", "count": 1, "data": [{"refYear": 2016,}]}'
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(text)
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 1, column {parsed.value.colno}: not valid JSON ({parsed.value.msg}); "
        "save the answer whole and unchanged"
    )


# ------------------------------------------------------- the website's CSV download

IVORY_COAST = {"partnerCode": 384, "partnerISO": "CIV", "partnerDesc": "Côte d'Ivoire"}
TURKIYE = {"partnerCode": 792, "partnerISO": "TUR", "partnerDesc": "Türkiye"}


def test_the_websites_download_reads_as_the_api_answer_it_holds(tmp_path, pair_records):
    path = write_website_csv(tmp_path / "TradeData.csv", pair_records)
    from_api = comtrade_plus.read(write_json(tmp_path / "answer.json", pair_records)).frame
    pd.testing.assert_frame_equal(comtrade_plus.read(path).frame, from_api)


def test_the_websites_download_in_cp1252_is_named_as_such_in_the_variant(tmp_path):
    records = [record(**IVORY_COAST, value=5.0), record(**TURKIYE, value=7.0)]
    path = write_website_csv(tmp_path / "TradeData.csv", records)
    assert b"C\xf4te d'Ivoire" in path.read_bytes()
    assert readers.detect(path) == "comtrade-plus-csv"
    reading = readers.read_file(path)
    assert reading.accounting[0].variant == "website download: trailing delimiter, cp1252"
    assert values(reading.frame, "partner") == {"CIV": 5.0, "TUR": 7.0}


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_the_websites_download_with_other_line_ends_reads_the_same(tmp_path, pair_records, eol):
    lf = comtrade_plus.read(write_website_csv(tmp_path / "lf.csv", pair_records)).frame
    path = write_website_csv(tmp_path / "other.csv", pair_records, eol=eol)
    pd.testing.assert_frame_equal(comtrade_plus.read(path).frame, lf)


def test_a_line_break_inside_a_quoted_field_keeps_the_lines_errors_name(tmp_path):
    records = [record(cmdDesc="Vehicles\nand parts", value=1.0), record(flowCode="Z")]
    path = write_website_csv(tmp_path / "TradeData.csv", records)
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 4, field 'flowCode': unknown flow code 'Z' "
        "(expected X, M, RX, RM or 1, 2, 3, 4)"
    )


def test_the_websites_download_saved_again_in_utf8_is_read_as_utf8(tmp_path):
    path = write_website_csv(
        tmp_path / "TradeData.csv", [record(**IVORY_COAST, value=5.0)], encoding="utf-8"
    )
    reading = comtrade_plus.read(path)
    assert reading.accounting[0].variant == "website download: trailing delimiter, utf-8"
    assert values(reading.frame, "partner") == {"CIV": 5.0}


def test_an_encoding_given_is_named_in_the_variant(tmp_path, chosen_encoding):
    path = write_website_csv(tmp_path / "TradeData.csv", [record(**IVORY_COAST, value=5.0)])
    chosen_encoding("latin-1")
    reading = comtrade_plus.read(path)
    assert reading.accounting[0].variant == (
        "website download: trailing delimiter, latin-1 (--encoding)"
    )


def test_a_filled_last_field_in_the_websites_download_is_an_error_naming_the_line(tmp_path):
    path = write_website_csv(tmp_path / "TradeData.csv", [record(value=1.0), export(value=2.0)])
    path.write_bytes(path.read_bytes().removesuffix(b"\n") + b"12\n")
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 3: the field after the 47 of the header holds '12', where the "
        "website's download leaves it empty (text added after the row, or a row shifted by a "
        "stray delimiter?); fix or remove the row"
    )


def test_a_row_without_the_trailing_delimiter_in_the_download_is_an_error_naming_it(tmp_path):
    path = write_website_csv(tmp_path / "TradeData.csv", [record(value=1.0), export(value=2.0)])
    path.write_bytes(path.read_bytes().removesuffix(b",\n") + b"\n")
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 3 has 47 fields where the website's download has 48 (the 47 of the "
        "header and an empty one at the end); fix or remove the row"
    )


def test_a_trailing_delimiter_on_a_later_row_of_an_api_csv_is_an_error_naming_it(tmp_path):
    path = write_csv(tmp_path / "answer.csv", [record(value=1.0), export(value=2.0)])
    path.write_text(path.read_text(encoding="utf-8").removesuffix("\n") + ",\n")
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 3 has 48 fields where the header has 47; fix or remove the row"
    )


def test_a_comtrade_csv_not_in_utf8_and_not_shaped_as_the_download_is_refused(tmp_path):
    path = write_csv(tmp_path / "answer.csv", [record(**IVORY_COAST, value=5.0)])
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    data = path.read_bytes()
    at = data.index(b"\xf4")
    column = at - data.rindex(b"\n", 0, at)
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 2, column {column}: byte 0xF4 is not utf-8 text; if the file is in "
        "another encoding, say which with --encoding (e.g. --encoding cp1252 for a Windows "
        "export)"
    )


def test_a_blank_line_does_not_shift_the_line_an_error_names(tmp_path):
    path = write_website_csv(tmp_path / "TradeData.csv", [record(value=1.0), record(flowCode="Z")])
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([lines[0], lines[1], b"", *lines[2:]]))
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line 4, field 'flowCode': unknown flow code 'Z' "
        "(expected X, M, RX, RM or 1, 2, 3, 4)"
    )


# Partners of one all-partner file that are areas, not countries: (code, ISO, name).
NES_AREAS = [
    (473, "A79", "LAIA, nes", "XLA"),
    (490, "S19", "Other Asia, nes", "XOA"),
    (527, "O19", "Oceania, nes", "XON"),
    (568, "E19", "Other Europe, nes", "XOE"),
    (577, "F19", "Other Africa, nes", "XOF"),
    (636, "A79", "Rest of America, nes", "XRA"),
    (637, "A59", "North America and Central America, nes", "XNC"),
    (839, "XX ", "Special Categories", "XSP"),
    (899, "_X ", "Areas, nes", "XAN"),
]


def test_several_nes_areas_of_one_file_are_as_many_partners_never_one(tmp_path):
    records = [
        record(partnerCode=code, partnerISO=iso, partnerDesc=name, value=1200.0)
        for code, iso, name, _ in NES_AREAS
    ]
    reading = comtrade_plus.read(write_website_csv(tmp_path / "TradeData.csv", records))
    assert values(reading.frame, "partner") == {korus: 1200.0 for *_, korus in NES_AREAS}
    assert not any("are all" in note for note in reading.accounting[0].notes)


def test_other_asia_nes_is_kept_under_its_own_code_with_a_note_on_taiwan(tmp_path):
    path = write_json(
        tmp_path / "answer.json",
        [record(partnerCode=490, partnerISO="S19", partnerDesc="Other Asia, nes", value=9.0)],
    )
    reading = comtrade_plus.read(path)
    assert values(reading.frame, "partner") == {"XOA": 9.0}
    assert reading.accounting[0].notes == [
        "Other Asia, nes (XOA, UN Comtrade code 490) is kept as an area of its own: UN "
        "Comtrade uses it for Taiwan in practice, but korus does not relabel it Taiwan (TWN)"
    ]


def test_a_file_of_services_only_is_an_error_saying_so(tmp_path):
    path = write_json(
        tmp_path / "services.json",
        [
            record(typeCode="S", cmdCode="S", classificationCode="EB", value=9.0),
            record(typeCode="S", cmdCode="SC", classificationCode="EB", value=4.0),
        ],
    )
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: no goods rows: 2 rows are trade in services (typeCode S); korus reads trade "
        "in goods: download the goods figures (typeCode C)"
    )


def test_a_file_of_services_and_breakdowns_counts_both_in_its_error(tmp_path):
    path = write_json(
        tmp_path / "services.json",
        [
            record(typeCode="S", cmdCode="S", classificationCode="EB", value=9.0),
            record(customsCode="C01", value=4.0),
        ],
    )
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: no goods rows: 1 row is trade in services (typeCode S) (and 1 row set "
        "aside for other reasons); korus reads trade in goods: download the goods figures "
        "(typeCode C)"
    )


# Partner names with the characters where cp1252 and UTF-8 differ, and values as the
# website writes them (up to three decimals).
_PARTNERS = st.sampled_from(
    [
        (384, "CIV", "Côte d'Ivoire"),
        (792, "TUR", "Türkiye"),
        (531, "CUW", "Curaçao"),
        (652, "BLM", "Saint Barthélemy"),
        (490, "S19", "Other Asia, nes"),
        (0, "W00", "World"),
    ]
)
_FIGURES = st.dictionaries(
    st.tuples(_PARTNERS, st.sampled_from(["M", "X", "RX", "RM"])),
    st.integers(min_value=0, max_value=10**14).map(lambda n: n / 1000),
    min_size=1,
    max_size=8,
)


@given(figures=_FIGURES)
@example(figures={((384, "CIV", "Côte d'Ivoire"), "M"): 7326313641.821})
def test_any_answer_downloaded_from_the_website_reads_as_the_api_gives_it(figures):
    import tempfile

    records = [
        record(partnerCode=code, partnerISO=iso, partnerDesc=name, flowCode=flow, value=value)
        for ((code, iso, name), flow), value in figures.items()
    ]
    with tempfile.TemporaryDirectory() as folder:
        website = write_website_csv(Path(folder) / "TradeData.csv", records)
        api = write_json(Path(folder) / "answer.json", records)
        pd.testing.assert_frame_equal(
            comtrade_plus.read(website).frame, comtrade_plus.read(api).frame
        )


def _plus_csv_files() -> list:
    """The Comtrade+ CSV files of the corpus, and the shared data's where it is present."""
    from conftest import SHARED_DATA

    corpus = Path(__file__).parent / "corpus"
    found = sorted(path for path in corpus.glob("*.csv") if "comtrade_plus" in path.name)
    for folder in ("comtrade", "downloads"):
        if SHARED_DATA.is_dir():
            found += sorted(
                path
                for path in (SHARED_DATA / folder).glob("*.csv")
                if "plus" in path.name.lower() or path.name.startswith("comtradeplus")
            )
    return found


def _outcome(path: Path):
    try:
        reading = comtrade_plus.read(path)
    except DataFileError as exc:
        return "error", str(exc)
    return "read", reading.frame.to_dict("list"), reading.accounting


@pytest.mark.parametrize("head", [64, 700, 5000, 70_000])
def test_a_csv_read_from_its_head_is_read_as_from_its_whole_text(tmp_path, monkeypatch, head):
    """A UTF-8 Comtrade+ CSV is not decoded whole: its header and first row are read from
    the text of its first bytes (``_utf8_head``), the rows by Arrow from its bytes. Whatever
    the head's size (cutting the header, a character, the first row...), every file of the
    corpus, edited to hold non-ASCII text, a byte-order mark, or a quoted line break deep
    in it, gives the frame, accounting or error of the whole text decoded."""
    files = _plus_csv_files()
    assert len(files) >= 5
    edited = []
    for number, path in enumerate(files):
        lines = path.read_bytes().split(b"\n")
        middle = len(lines) // 2
        changed = {
            "umlaut": lines[middle].replace(b"a", b"\xc3\xa4", 1),
            "break": lines[middle].replace(b",", b',"x\ny",', 1),
        }
        for name, line in changed.items():
            copy = tmp_path / f"{number}-{name}-{path.name}"
            copy.write_bytes(b"\n".join([*lines[:middle], line, *lines[middle + 1 :]]))
            edited.append(copy)
        copy = tmp_path / f"{number}-bom-{path.name}"
        copy.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
        edited.append(copy)
    # A file longer than the head (and the 64 KiB read after the header): rows of many
    # products, one of them with a description over two lines, or an accent, deep in it.
    rows = [
        record(cmdCode=f"{chapter:02d}{heading:02d}", aggrLevel=4, value=chapter * 100 + heading)
        for chapter in range(1, 98)
        for heading in range(1, 40)
    ]
    for name, description in (("break", "Cars\nand parts"), ("accent", "Caf\u00e9 & th\u00e9")):
        rows[-30] = {**rows[-30], "cmdDesc": description}
        edited.append(write_csv(tmp_path / f"long-{name}.csv", rows))
    assert edited[-1].stat().st_size > 3 * 70_000
    for path in [*files, *edited]:
        with monkeypatch.context() as whole:
            whole.setattr(comtrade_plus, "_utf8_head", lambda data: None)
            expected = _outcome(path)
        with monkeypatch.context() as short:
            short.setattr(comtrade_plus, "HEAD_BYTES", head)
            assert _outcome(path) == expected, path.name


@pytest.mark.parametrize("how", ["read", "read_layout"])
@pytest.mark.parametrize(
    "name", ["comtrade_plus_goods_and_services.csv", "comtrade_plus_website_cp1252.csv"]
)
def test_a_csv_answers_bytes_are_let_go_once_its_rows_are_parsed(monkeypatch, how, name):
    # While the frame is built and checked (most of a read's memory), nothing of the
    # reading holds the file's bytes any more: on a million rows they are a fifth of it.
    import sys
    import time

    taken, held = [], []
    text_of = comtrade_plus.text_of  # (the bytes of a file this small)

    def kept(path):
        data = text_of(path)
        taken.append(data)
        return data

    frame = comtrade_plus._frame

    def counted(*args, **kwargs):
        # Arrow's parse gives up its own view of the bytes from one of its threads, a few
        # milliseconds after the parse returns on a loaded machine: a reference that stays
        # is one the reading holds.
        deadline = time.monotonic() + 5
        while sys.getrefcount(taken[0]) > 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        held.append(sys.getrefcount(taken[0]))  # the list's, and the call's own
        return frame(*args, **kwargs)

    monkeypatch.setattr(comtrade_plus, "text_of", kept)
    monkeypatch.setattr(comtrade_plus, "_frame", counted)
    path = Path(__file__).parent / "corpus" / name
    if how == "read":
        reading = comtrade_plus.read(path)
    else:
        reading = comtrade_plus.read_layout(path, comtrade_plus.LAYOUT_CSV)
    assert len(reading.frame)
    assert held == [2]


def test_a_column_of_few_cells_kept_coded_reads_as_its_text_did(tmp_path, monkeypatch):
    """In a file of thousands of rows, a field of few distinct cells is kept as their codes
    once read (``_CodedCells``): a row the exact rules read then says its error, line and
    cell as a small file of the same rows does, and a figure the exact rules read (other
    digits than ASCII) is the same."""
    import importlib
    import sys

    from korus.readers import comtrade_plus_rows

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    bench = importlib.import_module("engine_bench")
    made = bench.generate_comtrade(tmp_path / "made.csv", 3000)
    lines = made.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    coded = []
    original = comtrade_plus_rows._Records.text

    def spied(self, field):
        found = original(self, field)
        coded.extend(isinstance(c, comtrade_plus_rows._CodedCells) for c in self.cells.values())
        return found

    monkeypatch.setattr(comtrade_plus_rows._Records, "text", spied)

    def with_cell(line: bytes, field: str, value: str) -> bytes:
        cells = line.decode().split(",")
        cells[header.index(field)] = value
        return ",".join(cells).encode()

    wrong = [lines[0], *lines[1:1500], with_cell(lines[1500], "flowCode", "Z"), *lines[1501:]]
    (tmp_path / "wrong.csv").write_bytes(b"\n".join(wrong))
    with pytest.raises(DataFileError) as large:
        comtrade_plus.read(tmp_path / "wrong.csv")
    assert any(coded)
    (tmp_path / "small.csv").write_bytes(b"\n".join([lines[0], wrong[1500], b""]))
    with pytest.raises(DataFileError) as small:
        comtrade_plus.read(tmp_path / "small.csv")
    said = str(small.value).replace(str(tmp_path / "small.csv"), "").replace("line 2", "")
    large_said = str(large.value).replace(str(tmp_path / "wrong.csv"), "")
    assert large_said.replace("line 1501", "") == said
    assert "flowCode" in said and "'Z'" in said

    value = with_cell(lines[1500], "primaryValue", "١٢٣")  # (Arabic-Indic digits: 123)
    (tmp_path / "digits.csv").write_bytes(b"\n".join([*lines[:1500], value, *lines[1501:]]))
    reading = comtrade_plus.read(tmp_path / "digits.csv")
    assert 123.0 in reading.frame["value_usd"].tolist()
    assert len(reading.frame) == 3000
