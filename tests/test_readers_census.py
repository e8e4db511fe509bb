"""Census end-use files, international trade API answers, balance pages and the country table
as it is saved (CSV, old binary Excel)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import shared_file
from korus import readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import census_api, census_balance, census_country, census_enduse
from korus.readers.common import take_sample
from korus.schema import COLUMNS

MILLION = 1e6


def accounted(reading) -> None:
    for account in reading.accounting:
        assert account.balanced(), account


def cli_rows(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(result.stdout.splitlines()))


# --------------------------------------------------------------------------- end-use

ENDUSE_HEADER = ["CTY_CODE", "CTY_DESC", "END_USE", "COMM_DESC", "value_19", "value_20"]
EXPORT_ROWS = [
    ["0000", "World Total", "00000", "Wheat", "900", "1000"],
    ["0000", "World Total", "30000", "Passenger cars, new and used", "90", "100"],
    ["5800", "Korea, South", "00000", "Wheat", "400", "500"],
    ["5800", "Korea, South", "30000", "Passenger cars, new and used", "40", "50"],
    ["7920", "Namibia", "00000", "Wheat", "500", "500"],
    ["7920", "Namibia", "30000", "Passenger cars, new and used", "50", "50"],
]
IMPORT_ROWS = [
    ["0000", "World Total", "00000", "Green coffee", "3000", "3000"],
    ["0000", "World Total", "30000", "Passenger cars, new and used", "2000", "2500"],
    ["5800", "Korea, South", "00000", "Green coffee", "1000", "1000"],
    ["5800", "Korea, South", "30000", "Passenger cars, new and used", "2000", "2500"],
    ["7920", "Namibia", "00000", "Green coffee", "2000", "2000"],
]


def write_csv(path: Path, rows: list[list], header=ENDUSE_HEADER, delimiter=",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list], header=ENDUSE_HEADER, sheet="EnduseImp") -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    page = book.active
    page.title = sheet
    page.append(header)
    for row in rows:
        page.append(row)
    book.save(path)
    return path


@pytest.fixture
def enduse_exports(tmp_path):
    # Named "imports" on purpose: the flow comes from the content, never the name.
    return write_csv(tmp_path / "enduse_imports_copy.csv", EXPORT_ROWS)


@pytest.fixture
def enduse_imports(tmp_path):
    # Codes as spreadsheet numbers: 0 is end-use 00000, CTY_CODE 0 is 0000.
    rows = [[int(r[0]), r[1], int(r[2]), r[3], float(r[4]), float(r[5])] for r in IMPORT_ROWS]
    return write_xlsx(tmp_path / "enduse.xlsx", rows)


def test_enduse_files_are_detected_by_content(enduse_exports, enduse_imports):
    assert readers.detect(enduse_exports) == "census-enduse"
    assert readers.detect(enduse_imports) == "census-enduse"


def test_enduse_flow_comes_from_the_codes_and_names_not_the_file_name(enduse_exports):
    reading = census_enduse.read(enduse_exports)
    assert set(reading.frame["flow"]) == {"export"}
    assert reading.accounting[0].notes[0] == (
        "flow export decided from the content: of the file's 2 (END_USE, COMM_DESC) pairs, "
        "1 are only in the Census export end-use list and 0 only in the import list"
    )


def test_enduse_rows_keep_leading_zeros_world_and_namibia(enduse_exports):
    frame = census_enduse.read(enduse_exports).frame
    assert list(frame.columns) == list(COLUMNS)
    assert set(frame["product"]) == {"00000", "30000"}
    assert set(frame["partner"]) == {"WLD", "KOR", "NAM"}
    namibia = frame[(frame["partner"] == "NAM") & (frame["year"] == 2019)]
    assert namibia.set_index("product")["value_usd"].to_dict() == {"00000": 500.0, "30000": 50.0}


def test_enduse_two_digit_years_are_whole_years_in_dollars(enduse_exports):
    frame = census_enduse.read(enduse_exports).frame
    assert sorted(frame["year"].unique()) == [2019, 2020]
    assert frame["month"].isna().all()
    korea = frame[(frame["partner"] == "KOR") & (frame["year"] == 2020)]
    assert korea["value_usd"].sum() == 550.0


def test_enduse_provenance_strings(enduse_exports, enduse_imports):
    exports = census_enduse.read(enduse_exports).frame
    imports = census_enduse.read(enduse_imports).frame
    assert set(exports["basis"]) == {"total exports, F.A.S."}
    assert set(imports["basis"]) == {"general imports, customs value"}
    for frame in (exports, imports):
        assert set(frame["source"]) == {
            "US Census Bureau, U.S. trade by end-use category and partner"
        }
        assert set(frame["classification"]) == {"Census end-use"}
        assert set(frame["reporter"]) == {"USA"}
        assert set(frame["vintage"]) == {"data through 2020; release not stated in the file"}


def test_enduse_numeric_spreadsheet_codes_get_their_zeros_back(enduse_imports):
    frame = census_enduse.read(enduse_imports).frame
    assert set(frame["flow"]) == {"import"}
    assert set(frame["product"]) == {"00000", "30000"}
    assert "WLD" in set(frame["partner"])


def test_enduse_read_file_gives_the_same_frame_as_read(enduse_exports):
    pd.testing.assert_frame_equal(
        readers.read_file(enduse_exports).frame, census_enduse.read(enduse_exports).frame
    )


def test_enduse_world_total_is_checked_against_the_partners(tmp_path):
    rows = [list(row) for row in EXPORT_ROWS]
    rows[0][4] = "1900"  # World wheat 2019 no longer the sum of its partners (900)
    account = census_enduse.read(write_csv(tmp_path / "e.csv", rows)).accounting[0]
    assert (
        "World Total differs from the sum of the partners for 1 code-years (largest: end-use "
        "00000 2019, World 1,900 USD, partners 900 USD); both kept as published"
    ) in account.notes
    good = census_enduse.read(write_csv(tmp_path / "g.csv", EXPORT_ROWS)).accounting[0]
    assert "World Total equals the sum of the partners for every code and year" in good.notes


def test_enduse_blank_rows_are_counted_and_set_aside(tmp_path):
    path = write_csv(tmp_path / "e.csv", [*EXPORT_ROWS[:2], [""] * 6, *EXPORT_ROWS[2:]])
    reading = census_enduse.read(path)
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (7, 6)
    assert account.set_aside == {"blank row": 1}
    accounted(reading)


def test_enduse_stray_columns_are_named_and_never_years(tmp_path):
    header = [*ENDUSE_HEADER, "", "CHINA", "value_20 share"]
    rows = [[*row, "", "12", "0.5"] for row in EXPORT_ROWS]
    reading = census_enduse.read(write_csv(tmp_path / "e.csv", rows, header=header))
    assert sorted(reading.frame["year"].unique()) == [2019, 2020]
    notes = reading.accounting[0].notes
    assert (
        "column 7 'Unnamed: 6' (no header) is not a Census end-use column (empty): "
        "set aside, not read as a year"
    ) in notes
    assert (
        "column 8 'CHINA' is not a Census end-use column (6 filled cells, first '12'): "
        "set aside, not read as a year"
    ) in notes
    assert any(note.startswith("column 9 'value_20 share'") for note in notes)


def test_enduse_content_that_matches_neither_list_is_refused(tmp_path):
    rows = [["5800", "Korea, South", "99999", "Something else", "1", "2"]]
    path = write_csv(tmp_path / "e.csv", rows)
    with pytest.raises(DataFileError) as caught:
        census_enduse.read(path)
    assert str(caught.value) == (
        f"{path}: cannot tell whether the file holds exports or imports: its header does not "
        "say, and of its (END_USE, COMM_DESC) pairs 0 are only in the Census export end-use "
        "list and 0 only in the import list (a clear majority of 75% is needed); keep "
        "END_USE and COMM_DESC as Census publishes them"
    )


def test_enduse_content_split_between_the_lists_is_refused(tmp_path):
    rows = [EXPORT_ROWS[2], IMPORT_ROWS[2][:2] + ["00010", "Cocoa beans", "1", "1"]]
    with pytest.raises(DataFileError, match="1 are only in the Census export end-use list"):
        census_enduse.read(write_csv(tmp_path / "e.csv", rows))


def test_enduse_bad_value_names_the_cell(tmp_path):
    rows = [list(row) for row in EXPORT_ROWS]
    rows[2][5] = "(D)"
    path = write_csv(tmp_path / "e.csv", rows)
    with pytest.raises(DataFileError) as caught:
        census_enduse.read(path)
    assert str(caught.value) == f"{path}: line 4, column 'value_20': expected a number, found '(D)'"


def test_enduse_bad_value_in_a_workbook_names_the_cell(tmp_path):
    rows = [[r[0], r[1], r[2], r[3], 1.0, 2.0] for r in IMPORT_ROWS]
    rows[1][5] = "n/a"
    path = write_xlsx(tmp_path / "i.xlsx", rows)
    with pytest.raises(DataFileError) as caught:
        census_enduse.read(path)
    assert str(caught.value) == (
        f"{path}: sheet 'EnduseImp', cell F3 (value_20): expected a number, found 'n/a'"
    )


def test_enduse_row_given_twice_is_refused(tmp_path):
    path = write_csv(tmp_path / "e.csv", [*EXPORT_ROWS, EXPORT_ROWS[2]])
    with pytest.raises(DataFileError) as caught:
        census_enduse.read(path)
    assert str(caught.value) == (
        f"{path}: 1 row repeats another row exactly, e.g. line 8 repeats line 4 (USA "
        "exports, partner KOR, product 00000, 2019); remove the repeats, or pass --dedupe to "
        "drop them (they are counted)"
    )


def test_enduse_code_tables_hold_five_digit_codes_and_categories():
    exports, imports = census_enduse.code_table("export"), census_enduse.code_table("import")
    assert exports["00000"] == "Wheat"
    assert imports["00000"] == "Green coffee"
    assert exports["3"] == imports["3"] == "Automotive vehicles, parts, and engines"
    assert all(len(code) in (1, 5) and code.isdigit() for code in (*exports, *imports))


def test_enduse_cli_deficit_from_export_and_import_files(runner, enduse_exports, enduse_imports):
    result = runner.invoke(
        cli,
        [
            "deficit",
            "--data",
            str(enduse_exports),
            "--data",
            str(enduse_imports),
            "--years",
            "2020",
            "--unit",
            "usd",
            "--format",
            "csv",
        ],
    )
    [row] = cli_rows(result)
    assert (float(row["exports_usd"]), float(row["imports_usd"])) == (550.0, 3500.0)
    assert float(row["balance_usd"]) == -2950.0


def test_an_enduse_table_saved_as_old_binary_excel_is_read_as_a_workbook():
    from python_calamine import CalamineWorkbook

    path = Path(__file__).resolve().parent / "corpus" / "census_enduse_imports_old_excel.xls"
    cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("EnduseImp").to_python()
    korea = sum(float(row[5]) for row in cells[1:] if row[0] == "5800")
    frame = readers.read_file(path).frame
    chosen = (frame["partner"] == "KOR") & (frame["year"] == 2020)
    assert set(frame["flow"]) == {"import"}
    assert frame.loc[chosen, "value_usd"].sum() == korea


def test_real_enduse_exports_korea_2016_is_the_census_total():
    path = shared_file("census/enduse_exports_2013_2022.csv")
    assert readers.detect(path) == "census-enduse"
    reading = readers.read_file(path)
    accounted(reading)
    frame = reading.frame
    korea = frame[(frame["partner"] == "KOR") & (frame["year"] == 2016)]
    assert set(korea["flow"]) == {"export"}
    assert korea["value_usd"].sum() == 42_262_186_687
    autos = korea[korea["product"].between("30000", "30230")]["value_usd"].sum()
    assert round(autos / MILLION, 1) == 2_550.0
    assert "00000" in set(korea["product"])
    assert frame[frame["partner"] == "WLD"]["value_usd"].gt(0).any()


def test_real_enduse_imports_korea_2016_and_the_car_balance():
    exports = readers.read_file(shared_file("census/enduse_exports_2013_2022.csv")).frame
    path = shared_file("census/enduse_imports_2016_2025.xlsx")
    assert readers.detect(path) == "census-enduse"
    reading = readers.read_file(path)
    accounted(reading)
    imports = reading.frame
    korea = imports[(imports["partner"] == "KOR") & (imports["year"] == 2016)]
    assert set(korea["flow"]) == {"import"}
    assert korea["value_usd"].sum() == 69_886_778_026
    autos = korea[korea["product"].between("30000", "30230")]["value_usd"].sum()
    assert round(autos / MILLION, 1) == 25_108.3

    def cars(frame):
        chosen = (frame["partner"] == "KOR") & (frame["year"] == 2016)
        return frame[chosen & (frame["product"] == "30000")]["value_usd"].sum()

    assert round((cars(exports) - cars(imports)) / MILLION, 1) == -14_488.0


def test_real_enduse_hand_edited_copy_names_its_stray_columns():
    path = shared_file("census/enduse_imports_2014_2023_extra-columns.xlsx")
    assert readers.detect(path) == "census-enduse"
    reading = readers.read_file(path)
    accounted(reading)
    assert sorted(reading.frame["year"].unique()) == list(range(2014, 2024))
    notes = "\n".join(reading.accounting[0].notes)
    for name in ("'Unnamed: 14'", "'Unnamed: 15'", "'CHINA'", "'Unnamed: 17'"):
        assert f"{name}" in notes
    assert "column Q 'CHINA' is not a Census end-use column" in notes


def test_real_enduse_cli_deficit_korea_2016(runner):
    exports = shared_file("census/enduse_exports_2013_2022.csv")
    imports = shared_file("census/enduse_imports_2016_2025.xlsx")
    result = runner.invoke(
        cli,
        ["deficit", "--data", str(exports), "--data", str(imports), "--years", "2016"]
        + ["--format", "csv"],
    )
    [row] = cli_rows(result)
    assert round(float(row["balance_usd_millions"]), 1) == -27_624.6


# ------------------------------------------------------------------------ trade API


def write_json(path: Path, rows: list[list]) -> Path:
    path.write_text(json.dumps(rows).replace("],", "],\n"), encoding="utf-8")
    return path


def api_exports_rows() -> list[list]:
    rows = [["E_COMMODITY", "ALL_VAL_MO", "ALL_VAL_YR", "CTY_CODE", "CTY_NAME", "time"]]
    for month in range(1, 13):
        rows.append(["0101", "10", str(10 * month), "5800", "KOREA, SOUTH", f"2019-{month:02d}"])
        rows.append(["0102", "90", str(90 * month), "5800", "KOREA, SOUTH", f"2019-{month:02d}"])
        # The total of all goods beside its two parts: the same trade at a coarser level.
        rows.append(["-", "100", str(100 * month), "5800", "KOREA, SOUTH", f"2019-{month:02d}"])
    return rows


def api_imports_rows() -> list[list]:
    header = ["I_COMMODITY", "GEN_VAL_MO", "GEN_VAL_YR", "CON_VAL_MO", "CON_VAL_YR"]
    rows = [[*header, "CTY_CODE", "time"]]
    for month in range(1, 13):
        rows.append(["TOTAL", "300", str(300 * month), "290", str(290 * month), "5800"])
        rows[-1].append(f"2019-{month:02d}")
    return rows


@pytest.fixture
def api_exports(tmp_path):
    return write_json(tmp_path / "exports.json", api_exports_rows())


@pytest.fixture
def api_imports(tmp_path):
    return write_json(tmp_path / "imports.json", api_imports_rows())


def test_api_json_answers_are_detected(api_exports, api_imports):
    assert readers.detect(api_exports) == "census-api-json"
    assert readers.detect(api_imports) == "census-api-json"


def test_api_december_year_to_date_is_the_only_annual_row(api_exports):
    frame = readers.read_file(api_exports).frame
    annual = frame[frame["month"].isna()]
    assert annual.set_index("product")["value_usd"].to_dict() == {"0101": 120.0, "0102": 1080.0}
    assert len(frame[frame["month"].notna()]) == 24
    assert set(frame["year"]) == {2019}


def test_api_product_codes_keep_their_leading_zeros(api_exports):
    frame = census_api.read(api_exports).frame
    assert set(frame["product"]) == {"0101", "0102"}
    assert set(frame["classification"]) == {"HS"}


def test_api_dash_as_the_commodity_is_all_goods(tmp_path):
    rows = [["E_COMMODITY", "ALL_VAL_MO", "CTY_CODE", "time"], ["-", "100", "5800", "2019-01"]]
    frame = census_api.read(write_json(tmp_path / "all.json", rows)).frame
    assert frame[["product", "classification"]].iloc[0].tolist() == ["TOTAL", "none"]


def test_api_provenance_strings(api_exports, api_imports):
    exports = census_api.read(api_exports).frame
    imports = census_api.read(api_imports).frame
    assert set(exports["basis"]) == {"total exports, F.A.S."}
    assert set(imports["basis"]) == {"general imports, customs value"}
    for frame in (exports, imports):
        assert set(frame["source"]) == {"US Census Bureau, international trade API"}
        assert set(frame["vintage"]) == {"data through 2019-12"}
        assert set(frame["reporter"]) == {"USA"}
        assert set(frame["partner"]) == {"KOR"}


def test_api_general_imports_are_kept_and_consumption_set_aside(api_imports):
    reading = census_api.read(api_imports)
    frame = reading.frame
    assert frame[frame["month"].isna()]["value_usd"].tolist() == [3600.0]
    assert set(frame[frame["month"].notna()]["value_usd"]) == {300.0}
    assert reading.accounting[0].notes[0] == (
        "CON_VAL_MO, CON_VAL_YR (imports for consumption) set aside: general imports "
        "(GEN_VAL_*) are kept, as the same trade on two bases would count it twice"
    )
    accounted(reading)


def test_api_year_to_date_alone_keeps_december_and_sets_aside_other_months(tmp_path):
    rows = [["I_COMMODITY", "CON_VAL_YR", "CTY_CODE", "time"]]
    rows += [["87", str(5 * m), "5800", f"2020-{m:02d}"] for m in range(1, 13)]
    reading = census_api.read(write_json(tmp_path / "ytd.json", rows))
    frame = reading.frame
    assert len(frame) == 1 and pd.isna(frame["month"].iloc[0])
    assert frame["value_usd"].iloc[0] == 60.0
    assert set(frame["basis"]) == {"imports for consumption, customs value"}
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (12, 1)
    assert account.set_aside == {
        "CON_VAL_YR of a month before December: year-to-date, not a whole year": 11
    }


def test_api_naics_and_enduse_fields_set_the_classification(tmp_path):
    naics = [
        ["NAICS", "ALL_VAL_MO", "CTY_CODE", "YEAR", "MONTH"],
        ["336", "5", "5800", "2019", "03"],
    ]
    enduse = [["I_ENDUSE", "GEN_VAL_MO", "CTY_CODE", "time"], ["00000", "7", "7920", "2019-03"]]
    first = census_api.read(write_json(tmp_path / "n.json", naics)).frame
    second = census_api.read(write_json(tmp_path / "e.json", enduse)).frame
    assert first[["product", "classification", "month"]].iloc[0].tolist() == ["336", "NAICS", 3]
    assert second[["product", "classification", "partner"]].iloc[0].tolist() == [
        "00000",
        "Census end-use",
        "NAM",
    ]


def test_api_world_total_and_regional_codes(tmp_path):
    rows = [
        ["CTY_CODE", "CTY_NAME", "ALL_VAL_MO", "time"],
        ["-", "TOTAL FOR ALL COUNTRIES", "1000", "2019-01"],
        ["1XXX", "NORTH AMERICA", "400", "2019-01"],
        ["0003", "EUROPEAN UNION", "300", "2019-01"],
    ]
    reading = census_api.read(write_json(tmp_path / "w.json", rows))
    assert reading.frame.set_index("partner")["value_usd"].to_dict() == {
        "EUN": 300.0,
        "WLD": 1000.0,
    }
    assert reading.accounting[0].set_aside == {
        "Census regional or group code korus has no code for (1XXX NORTH AMERICA)": 1
    }


def test_api_bad_period_names_the_row(tmp_path):
    path = write_json(
        tmp_path / "t.json", [["CTY_CODE", "ALL_VAL_MO", "time"], ["5800", "1", "2019"]]
    )
    with pytest.raises(DataFileError) as caught:
        census_api.read(path)
    assert str(caught.value) == (
        f"{path}: row 2 of the JSON array (row 1 is the header), field 'time': period '2019' "
        "is not YYYY-MM (ask the API for monthly time values)"
    )


def test_api_bad_value_names_the_field(tmp_path):
    path = write_json(
        tmp_path / "v.json", [["CTY_CODE", "ALL_VAL_MO", "time"], ["5800", "(D)", "2019-01"]]
    )
    with pytest.raises(DataFileError) as caught:
        census_api.read(path)
    assert str(caught.value) == (
        f"{path}: row 2 of the JSON array (row 1 is the header), field 'ALL_VAL_MO': "
        "expected a number, found '(D)'"
    )


def test_api_truncated_json_is_refused(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('[["CTY_CODE","ALL_VAL_MO","time"],\n["5800","1",', encoding="utf-8")
    assert readers.detect(path) == "census-api-json"
    with pytest.raises(DataFileError, match=r"line 2, column \d+: not valid JSON"):
        readers.read_file(path)


def test_api_mixed_flows_are_refused(tmp_path):
    path = write_json(
        tmp_path / "m.json",
        [["ALL_VAL_MO", "GEN_VAL_MO", "time", "CTY_CODE"], ["1", "2", "x", "1"]],
    )
    with pytest.raises(DataFileError) as caught:
        census_api.read(path)
    assert str(caught.value) == (
        f"{path}: the header mixes export fields (ALL_VAL_*) and import fields "
        "(GEN_VAL_*, CON_VAL_*); give exports and imports in separate files"
    )


def test_api_csv_layout_of_the_same_fields(tmp_path):
    path = write_csv(
        tmp_path / "api.csv",
        [["NAMIBIA", "1500", "0", "01", "LIVE ANIMALS", "2019-05", "HS2", "7920"]],
        header=["CTY_NAME", "CON_VAL_MO", "CAL_DUT_MO", "I_COMMODITY", "I_COMMODITY_SDESC"]
        + ["time", "COMM_LVL", "CTY_CODE"],
    )
    assert readers.detect(path) == "census-api-csv"
    frame = readers.read_file(path).frame
    assert frame[["partner", "product", "year", "month"]].iloc[0].tolist() == [
        "NAM",
        "01",
        2019,
        5,
    ]


def test_api_cli_deficit_from_december_year_to_date(runner, api_exports, api_imports):
    result = runner.invoke(
        cli,
        ["deficit", "--data", str(api_exports), "--data", str(api_imports), "--years", "2019"]
        + ["--unit", "usd", "--format", "csv"],
    )
    [row] = cli_rows(result)
    assert (float(row["exports_usd"]), float(row["imports_usd"])) == (1200.0, 3600.0)


def test_real_api_csv_hs87_2016_is_the_largest_chapter():
    path = shared_file("census/api_imports_hs2_korea_monthly_2013_2021.csv")
    assert readers.detect(path) == "census-api-csv"
    reading = readers.read_file(path)
    accounted(reading)
    frame = reading.frame
    assert frame["month"].notna().all()
    assert set(frame["vintage"]) == {"data through 2021-07"}
    assert set(frame["basis"]) == {"imports for consumption, customs value"}
    year = frame[frame["year"] == 2016]
    chapters = year.groupby("product")["value_usd"].sum()
    assert year[year["product"] == "87"]["month"].nunique() == 12
    assert round(chapters["87"] / MILLION, 1) == 23_000.9
    assert chapters.idxmax() == "87"
    assert {"98", "99"} <= set(frame["product"])


# Answers as the API gives them: months without trade left out, several levels at once.

CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus_json(name: str) -> list[list[str]]:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def partner_months(frame, partner: str, year: int) -> dict[int, float]:
    rows = frame[(frame["partner"] == partner) & (frame["year"] == year) & frame["month"].notna()]
    return {
        int(month): value for month, value in zip(rows["month"], rows["value_usd"], strict=True)
    }


def test_api_months_left_out_of_a_complete_year_are_zero_trade():
    answer = corpus_json("census_api_partner_months_left_out.json")
    japan = {int(r[4][5:]): float(r[2]) for r in answer[1:] if r[0] == "5880" and r[4] < "2020"}
    frame = census_api.read(CORPUS / "census_api_partner_months_left_out.json").frame
    assert partner_months(frame, "JPN", 2019) == {**japan, 3: 0.0, 8: 0.0}


def test_api_a_partner_with_two_months_of_a_complete_year_has_all_twelve():
    frame = census_api.read(CORPUS / "census_api_partner_months_left_out.json").frame
    namibia = partner_months(frame, "NAM", 2019)
    assert namibia == {month: 0.0 for month in range(1, 13)} | {5: 1234567.0, 6: 2345678.0}


def test_api_months_of_a_year_the_answer_does_not_hold_whole_are_never_filled():
    frame = census_api.read(CORPUS / "census_api_partner_months_left_out.json").frame
    assert partner_months(frame, "KOR", 2020) == {1: 4890123456.0, 2: 4712345678.0}
    assert partner_months(frame, "JPN", 2020) == {}
    assert partner_months(frame, "NAM", 2020) == {}


def test_api_months_taken_as_zero_are_counted_in_a_note():
    reading = census_api.read(CORPUS / "census_api_partner_months_left_out.json")
    assert reading.accounting[0].notes == [
        "12 partner-months absent from the answer taken as zero trade (NAM 2019-01, NAM "
        "2019-02, JPN 2019-03 and 9 more): the API leaves out months without trade, and the "
        "answer holds all twelve months of 2019"
    ]
    accounted(reading)


def two_whole_years(tmp_path: Path) -> Path:
    rows = [["CTY_CODE", "ALL_VAL_MO", "time"]]
    rows += [
        ["5800", "100", f"{year}-{month:02d}"] for year in (2018, 2020) for month in range(1, 13)
    ]
    rows += [["5880", "7", f"2018-{month:02d}"] for month in (1, 2)]
    return write_json(tmp_path / "years.json", rows)


def test_api_a_partner_absent_from_a_whole_year_has_twelve_zero_months(tmp_path):
    frame = census_api.read(two_whole_years(tmp_path)).frame
    assert partner_months(frame, "JPN", 2020) == {month: 0.0 for month in range(1, 13)}


def test_api_a_year_without_a_month_for_anyone_stays_absent(tmp_path):
    frame = census_api.read(two_whole_years(tmp_path)).frame
    assert sorted(frame["year"].unique()) == [2018, 2020]


def test_api_partners_ranks_every_partner_of_the_answer_with_its_whole_year(runner):
    answer = corpus_json("census_api_partner_months_left_out.json")
    exports = {}
    for code, _, month_value, _, time in answer[1:]:
        if time.startswith("2019"):
            exports[code] = exports.get(code, 0) + int(month_value)
    result = runner.invoke(
        cli,
        ["partners", "--data", str(CORPUS / "census_api_partner_months_left_out.json")]
        + ["--year", "2019", "--by", "exports", "--unit", "usd", "--format", "csv"],
    )
    rows = cli_rows(result)
    whole = sum(exports.values())
    names = {"5800": "KOR", "5880": "JPN", "7920": "NAM"}
    expected = sorted(((names[c], v) for c, v in exports.items()), key=lambda p: -p[1])
    assert [(row["partner"], float(row["exports_usd"])) for row in rows] == expected
    assert float(rows[-1]["share_pct"]) == pytest.approx(exports["7920"] / whole * 100, rel=1e-12)


def test_api_a_product_left_out_of_a_month_the_partner_traded_in_is_zero(tmp_path):
    rows = [["E_COMMODITY", "ALL_VAL_MO", "CTY_CODE", "time"]]
    rows += [["01", "10", "5800", f"2019-{month:02d}"] for month in range(1, 13)]
    rows += [["02", "5", "5800", f"2019-{month:02d}"] for month in range(1, 13) if month != 4]
    reading = census_api.read(write_json(tmp_path / "p.json", rows))
    frame = reading.frame
    april = frame[(frame["product"] == "02") & (frame["month"] == 4)]
    assert april["value_usd"].tolist() == [0.0]
    assert reading.accounting[0].notes == [
        "1 product-months absent from the answer taken as zero trade, where the partner "
        "traded other products (KOR 02 2019-04): the API leaves out months without trade, and "
        "the answer holds all twelve months of 2019"
    ]


def test_api_a_product_without_a_december_row_still_counts_in_its_partners_year(runner, tmp_path):
    rows = [["E_COMMODITY", "ALL_VAL_MO", "ALL_VAL_YR", "CTY_CODE", "time"]]
    rows += [["01", "10", str(10 * month), "5800", f"2019-{month:02d}"] for month in range(1, 13)]
    # No trade in product 02 in December: the API gives no December row, so no year-to-date.
    rows += [["02", "5", str(5 * month), "5800", f"2019-{month:02d}"] for month in range(1, 12)]
    path = write_json(tmp_path / "december.json", rows)
    result = runner.invoke(
        cli,
        ["partners", "--data", str(path), "--year", "2019", "--by", "exports"]
        + ["--unit", "usd", "--format", "csv"],
    )
    [row] = cli_rows(result)
    assert float(row["exports_usd"]) == 12 * 10 + 11 * 5


def test_api_a_product_without_a_december_row_is_said_in_a_note(tmp_path):
    rows = [["E_COMMODITY", "ALL_VAL_MO", "ALL_VAL_YR", "CTY_CODE", "time"]]
    rows += [["01", "10", str(10 * month), "5800", f"2019-{month:02d}"] for month in range(1, 13)]
    rows += [["02", "5", str(5 * month), "5800", f"2019-{month:02d}"] for month in range(1, 12)]
    reading = census_api.read(write_json(tmp_path / "december.json", rows))
    assert reading.accounting[0].notes[-1] == (
        "December's ALL_VAL_YR not used as the whole year for 1 partner-years (KOR 2019): "
        "some of their products have no December row, so each of those years is its twelve "
        "months added up"
    )
    assert reading.frame["month"].notna().all()


def test_api_coarser_commodity_levels_are_set_aside_and_counted():
    path = CORPUS / "census_api_two_commodity_levels.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    headings = {line["I_COMMODITY"] for line in lines if line["COMM_LVL"] == "HS4"}
    reading = census_api.read(path)
    assert set(reading.frame["product"]) == headings
    assert reading.accounting[0].set_aside == {
        "HS2 rows beside the HS4 rows they add up to: one commodity level is read, the finest": sum(
            line["COMM_LVL"] == "HS2" for line in lines
        )
    }
    accounted(reading)


def test_api_coarser_commodity_levels_are_never_added_to_their_parts():
    path = CORPUS / "census_api_two_commodity_levels.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    headings = sum(float(line["GEN_VAL_MO"]) for line in lines if line["COMM_LVL"] == "HS4")
    assert census_api.read(path).frame["value_usd"].sum() == headings


def test_api_a_chapter_whose_heading_has_no_december_row_is_still_its_headings_sum(
    runner, tmp_path
):
    rows = [["E_COMMODITY", "ALL_VAL_MO", "ALL_VAL_YR", "CTY_CODE", "time"]]
    for month in range(1, 13):
        cars, parts = 30, (0 if month == 12 else 7)
        rows.append(["87", str(cars + parts), str(30 * month + 7 * min(month, 11)), "5800"])
        rows.append(["8703", str(cars), str(30 * month), "5800"])
        if parts:  # no trade in 8708 in December: the API gives no row
            rows.append(["8708", str(parts), str(7 * month), "5800"])
        for row in rows[-3 if parts else -2 :]:
            row.append(f"2019-{month:02d}")
    path = write_json(tmp_path / "levels.json", rows)
    reading = census_api.read(path)
    assert reading.accounting[0].set_aside == {
        "HS2 rows beside the HS4 rows they add up to: one commodity level is read, the finest": 12
    }
    result = runner.invoke(
        cli,
        ["partners", "--data", str(path), "--year", "2019", "--by", "exports"]
        + ["--unit", "usd", "--format", "csv"],
    )
    [row] = cli_rows(result)
    assert float(row["exports_usd"]) == 12 * 30 + 11 * 7


def test_api_a_total_beside_its_parts_is_set_aside(api_exports):
    account = census_api.read(api_exports).accounting[0]
    assert account.set_aside == {
        "TOTAL rows beside the HS4 rows they add up to: one commodity level is read, the finest": 12
    }


def test_api_a_total_whose_parts_are_not_all_in_the_answer_is_refused(tmp_path):
    rows = [["E_COMMODITY", "ALL_VAL_MO", "CTY_CODE", "time"]]
    rows += [["0101", "10", "5800", "2019-01"], ["-", "100", "5800", "2019-01"]]
    path = write_json(tmp_path / "some.json", rows)
    with pytest.raises(DataFileError) as caught:
        census_api.read(path)
    assert str(caught.value) == (
        f"{path}: row 3 of the JSON array (row 1 is the header), field 'E_COMMODITY': all "
        "goods (TOTAL), partner KOR, 2019-01, is 100 US dollars but its HS4 codes in the "
        "answer add up to 10: the answer holds several commodity levels and korus reads the "
        "finest alone, so it must hold all the parts; ask the API for one level "
        "(COMM_LVL=HS4) or keep one level in the file"
    )


def test_api_country_groupings_beside_countries_are_set_aside_and_counted():
    path = CORPUS / "census_api_countries_and_groupings.json"
    answer = corpus_json("census_api_countries_and_groupings.json")
    reading = census_api.read(path)
    assert reading.frame.set_index("partner")["value_usd"].to_dict() == {
        "DEU": float(answer[3][3]),
        "KOR": float(answer[4][3]),
    }
    assert reading.accounting[0].set_aside == {
        "country grouping (SUMMARY_LVL CGP) beside the countries (DET): their sum, not read "
        "beside them": 2
    }


def test_api_several_groupings_without_the_countries_are_refused(tmp_path):
    rows = [["CTY_CODE", "SUMMARY_LVL", "ALL_VAL_MO", "time"]]
    rows += [["0003", "CGP", "300", "2019-01"], ["0003", "CGP2", "300", "2019-01"]]
    path = write_json(tmp_path / "groups.json", rows)
    with pytest.raises(DataFileError) as caught:
        census_api.read(path)
    assert str(caught.value) == (
        f"{path}: the answer holds several country groupings (SUMMARY_LVL CGP, CGP2) and no "
        "countries (DET); korus cannot tell which rows add up to which: ask the API for one "
        "(SUMMARY_LVL=DET for countries)"
    )


def test_real_api_csv_chapter_months_left_out_are_zero_and_the_figures_stay():
    path = shared_file("census/api_imports_hs2_korea_monthly_2013_2021.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    whole_years = [str(year) for year in range(2013, 2021)]  # 2021 ends in July
    held = {(line["I_COMMODITY"], line["time"]) for line in lines}
    chapters = {line["I_COMMODITY"] for line in lines}
    left_out = [
        (chapter, f"{year}-{month:02d}")
        for chapter in chapters
        for year in whole_years
        for month in range(1, 13)
        if (chapter, f"{year}-{month:02d}") not in held
    ]
    reading = readers.read_file(path)
    accounted(reading)
    frame = reading.frame
    assert len(frame) == len(lines) + len(left_out)
    zeros = frame[frame["value_usd"] == 0.0]
    periods = zip(zeros["product"], zeros["year"], zeros["month"], strict=True)
    assert set(left_out) <= {(p, f"{y}-{int(m):02d}") for p, y, m in periods}
    by_chapter_2016 = {}
    for line in lines:
        if line["time"].startswith("2016"):
            chapter = line["I_COMMODITY"]
            by_chapter_2016[chapter] = by_chapter_2016.get(chapter, 0) + int(line["CON_VAL_MO"])
    year = frame[frame["year"] == 2016].groupby("product")["value_usd"].sum()
    assert {c: v for c, v in year.items() if v} == {c: v for c, v in by_chapter_2016.items() if v}


# --------------------------------------------------------------------- balance page

BALANCE_MONTHS = [
    ("January", "1,187.5", "8,427.5", "-7,240.0"),
    ("February", "1,289.8", "6,375.6", "-5,085.8"),
]


def balance_lines(year=2019, months=12, delimiter=";", total=None) -> list[str]:
    names = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    lines = [delimiter.join(["Month", "Exports", "Imports", "Balance"])]
    quote = '"' if delimiter == "," else ""
    for name in names[:months]:
        cells = [f"{name} {year}", "1,000.0", "3,500.5", "-2,500.5"]
        lines.append(delimiter.join(cells[:1] + [f"{quote}{c}{quote}" for c in cells[1:]]))
    if total:
        lines.append(delimiter.join([quote + c + quote if i else c for i, c in enumerate(total)]))
    return lines


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\r\n".join(lines), encoding="utf-8")
    return path


def test_balance_page_is_detected_and_read_in_millions(tmp_path):
    path = write_lines(tmp_path / "c5800.csv", balance_lines())
    assert readers.detect(path) == "census-balance-page"
    reading = readers.read_file(path)
    frame = reading.frame
    assert list(frame.columns) == list(COLUMNS)
    january = frame[frame["month"] == 1].set_index("flow")["value_usd"].to_dict()
    assert january == {
        "export": 1_000.0 * MILLION,
        "import": 3_500.5 * MILLION,
        "balance": -2_500.5 * MILLION,  # the page's own balance, kept as published
    }
    assert frame["month"].notna().all()
    assert set(frame["partner"]) == {"KOR"}
    assert reading.accounting[0].notes == ["partner KOR taken from the file name c5800"]
    accounted(reading)


def test_balance_provenance_strings(tmp_path):
    frame = census_balance.read(write_lines(tmp_path / "c5800.csv", balance_lines())).frame
    assert set(frame["source"]) == {"US Census Bureau, trade balance page"}
    assert frame.drop_duplicates("flow").set_index("flow")["basis"].to_dict() == {
        "export": "total exports, F.A.S.",
        "import": "general imports, customs value",
        "balance": "total exports, F.A.S., less general imports, customs value",
    }
    assert set(frame["vintage"]) == {"data through 2019-12; release not stated in the file"}
    assert set(frame["reporter"]) == {"USA"} and set(frame["product"]) == {"TOTAL"}


def test_balance_title_line_names_the_partner(tmp_path):
    lines = ["Trade in Goods with Namibia", *balance_lines(delimiter=",")]
    reading = census_balance.read(write_lines(tmp_path / "page.csv", lines))
    assert set(reading.frame["partner"]) == {"NAM"}
    assert reading.accounting[0].notes == [
        "partner NAM taken from the title 'Trade in Goods with Namibia'"
    ]
    assert reading.accounting[0].rows_read == 12


def test_balance_stated_year_total_is_an_annual_row_checked_against_months(tmp_path):
    total = ["TOTAL 2019", "12,000.0", "42,006.0", "-30,006.0"]
    reading = census_balance.read(write_lines(tmp_path / "c5800.csv", balance_lines(total=total)))
    annual = reading.frame[reading.frame["month"].isna()]
    assert annual.set_index("flow")["value_usd"].to_dict() == {
        "export": 12_000.0 * MILLION,
        "import": 42_006.0 * MILLION,
        "balance": -30_006.0 * MILLION,
    }
    assert reading.accounting[0].notes[1:] == []
    wrong = ["TOTAL 2019", "12,900.0", "42,006.0", "-29,106.0"]
    path = write_lines(tmp_path / "c5800b.csv", balance_lines(total=wrong))
    with pytest.raises(DataFileError) as caught:
        census_balance.read(path)
    assert str(caught.value) == (
        f"{path}: the 2019 total of USA exports, partner KOR, is 12,900,000,000 US dollars "
        "(line 14) but its twelve months (lines 2-13) add up to 12,000,000,000 (2 such totals "
        "in all): the data contradicts itself and korus cannot know which is right; check the "
        "file for a changed digit or swapped columns, or download it again"
    )


def test_balance_partial_year_has_no_annual_row(tmp_path):
    frame = census_balance.read(write_lines(tmp_path / "c5800.csv", balance_lines(months=7))).frame
    assert frame["month"].notna().all()
    assert set(frame["vintage"]) == {"data through 2019-07; release not stated in the file"}


def test_balance_gap_between_flows_and_balance_is_noted_with_its_row(tmp_path):
    lines = balance_lines()
    lines[3] = "March 2019;1,000.0;3,500.5;-2,400.5"
    account = census_balance.read(write_lines(tmp_path / "c5800.csv", lines)).accounting[0]
    assert account.notes[1] == (
        "exports minus imports differs from the balance by more than 0.15 million on 1 rows: "
        "line 4 (March 2019): exports 1,000.0 - imports 3,500.5 = -2,500.5, but the balance "
        "says -2,400.5"
    )


def test_balance_rounding_within_tolerance_is_noted_only_as_the_years_sum(tmp_path):
    lines = balance_lines()
    lines[3] = "March 2019;1,000.0;3,500.5;-2,500.6"
    account = census_balance.read(write_lines(tmp_path / "c5800.csv", lines)).accounting[0]
    assert account.notes[0] == "partner KOR taken from the file name c5800"
    assert account.notes[1].endswith(
        "The page's balances by year (korus: exports minus imports): 2019 -30,006.1 "
        "(korus: -30,006.0)"
    )
    assert len(account.notes) == 2


def test_balance_without_a_partner_is_refused(tmp_path):
    path = write_lines(tmp_path / "china_trade.csv", balance_lines())
    with pytest.raises(DataFileError) as caught:
        census_balance.read(path)
    assert str(caught.value) == (
        f"{path}: the balance page names no partner (no 'Trade in Goods with ...' title "
        "line, no Census code cNNNN in the file name); rename the file with its Census page "
        "code, e.g. c5700.csv for China (the page's address ends in /balance/c5700.html), "
        "or put the page title 'Trade in Goods with China' on its first line"
    )


def test_balance_bad_figure_names_the_line_and_column(tmp_path):
    lines = balance_lines()
    lines[2] = "February 2019;1,000.0;n.a.;-2,500.5"
    path = write_lines(tmp_path / "c5800.csv", lines)
    with pytest.raises(DataFileError) as caught:
        census_balance.read(path)
    assert str(caught.value) == (
        f"{path}: line 3, column 'Imports': expected a figure in millions such as 1,187.5, "
        "found 'n.a.'"
    )


def test_balance_blank_and_note_lines_are_counted(tmp_path):
    lines = [*balance_lines(), "", "Note: figures in millions of dollars;;;"]
    account = census_balance.read(write_lines(tmp_path / "c5800.csv", lines)).accounting[0]
    assert (account.rows_read, account.rows_kept) == (14, 12)
    assert account.set_aside == {"blank line": 1, "text line without figures (a note)": 1}


def test_balance_cli_deficit_from_twelve_months(runner, tmp_path):
    path = write_lines(tmp_path / "c5800.csv", balance_lines())
    result = runner.invoke(
        cli, ["deficit", "--data", str(path), "--years", "2019"] + ["--format", "csv"]
    )
    [row] = cli_rows(result)
    assert round(float(row["balance_usd_millions"]), 1) == -30_006.0


def test_real_balance_page_china_2016():
    path = shared_file("census/balance_page_c5700_china_monthly_2001_2019.csv")
    assert readers.detect(path) == "census-balance-page"
    reading = readers.read_file(path)
    accounted(reading)
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (228, 228)
    assert account.notes[0] == "partner CHN taken from the file name c5700"
    # The page's own 2016 balance (rounded monthly figures added up) is stated beside korus's.
    assert "2016 -346,825.2 (korus: -346,824.9)" in account.notes[1]
    frame = reading.frame
    year = frame[frame["year"] == 2016].groupby("flow")["value_usd"].sum() / MILLION
    assert round(year["export"], 1) == 115_595.0
    assert round(year["import"], 1) == 462_419.9
    # The page's own Balance column adds to -346,825.2 for 2016; exports minus imports is
    # -346,824.9: three months' balances were rounded 0.1 away from their difference.
    assert round(year["export"] - year["import"], 1) == -346_824.9
    assert abs((year["export"] - year["import"]) - (-346_825.2)) < 0.5


def test_real_balance_page_cli_deficit_china_2016(runner):
    path = shared_file("census/balance_page_c5700_china_monthly_2001_2019.csv")
    result = runner.invoke(
        cli,
        ["deficit", "--data", str(path), "--partner", "CHN", "--years", "2016", "--format", "csv"],
    )
    [row] = cli_rows(result)
    assert round(float(row["exports_usd_millions"]), 1) == 115_595.0
    # The page's own balance (from unrounded figures), not the rounded flows' difference.
    assert round(float(row["balance_usd_millions"]), 1) == -346_825.2


# ------------------------------------------------------------- country table, as saved

COUNTRY_HEADER = census_country.HEADER
CENSUS_NAMES = {"5800": "KOR", "3": "EUN", "15": "WLD", "0015": "WLD"}


def country_cells(year, code, name, imports, exports) -> list[str]:
    """A row of the table as Excel writes it to CSV: numbers in the General format."""

    def general(value: float) -> str:
        return f"{value:g}"

    return [
        str(year),
        code,
        name,
        *map(general, imports),
        general(round(sum(imports), 1)),
        *map(general, exports),
        general(round(sum(exports), 1)),
    ]


def write_country_csv(path: Path, rows: list[list[str]], end: str) -> Path:
    def quoted(cell: str) -> str:
        return f'"{cell}"' if "," in cell else cell

    lines = [",".join(map(quoted, row)) for row in [COUNTRY_HEADER, *rows]]
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


def write_country_xlsx(path: Path, rows: list[list], sheet="country", hidden=False) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    page = book.active
    page.title = "notes"
    page.append(["U.S. Trade in Goods by Country"])
    table = book.create_sheet(sheet)
    if hidden:
        table.sheet_state = "hidden"
    for row in [COUNTRY_HEADER, *rows]:
        table.append(row)
    book.save(path)
    return path


def test_a_country_table_saved_as_csv_is_read_as_census_country_variant_csv():
    path = CORPUS / "census_country_crlf_codes_as_numbers.csv"
    assert readers.detect(path) == "census-country"
    account = readers.read_file(path).accounting[0]
    assert (account.layout, account.variant) == ("census-country", "CSV")
    assert (account.sheets_read, account.line_word) == ([], "line")


def test_a_country_table_saved_as_csv_gives_its_millions_in_dollars():
    path = CORPUS / "census_country_crlf_codes_as_numbers.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    expected = {}
    for line in lines:
        if line["CTY_CODE"] == "4":  # the seasonally adjusted World: a special series
            continue
        partner, year = CENSUS_NAMES[line["CTY_CODE"]], int(line["year"])
        for prefix, flow in (("I", "import"), ("E", "export")):
            months = census_country.MONTHS if year == 2024 else census_country.MONTHS[:2]
            for number, month in enumerate(months, start=1):
                expected[(partner, year, number, flow)] = float(line[prefix + month]) * MILLION
            if year == 2024:
                expected[(partner, year, 0, flow)] = float(line[prefix + "YR"]) * MILLION
    frame = census_country.read(path).frame
    got = {
        (p, y, 0 if pd.isna(m) else int(m), f): v
        for p, y, m, f, v in zip(
            frame["partner"],
            frame["year"],
            frame["month"],
            frame["flow"],
            frame["value_usd"],
            strict=True,
        )
    }
    assert got == pytest.approx(expected)


def test_a_country_csv_with_cr_line_ends_reads_as_the_same_with_crlf(tmp_path):
    rows = [
        country_cells(2024, "5800", "Korea, South", [10.5] * 12, [5.25] * 12),
        country_cells(2024, "0015", "World, Not Seasonally Adjusted", [100] * 12, [80] * 12),
    ]
    mac = census_country.read(write_country_csv(tmp_path / "mac.csv", rows, "\r"))
    windows = census_country.read(write_country_csv(tmp_path / "win.csv", rows, "\r\n"))
    pd.testing.assert_frame_equal(mac.frame, windows.frame)
    assert (mac.accounting[0].rows_read, windows.accounting[0].rows_read) == (2, 2)


def test_country_codes_written_as_numbers_get_their_leading_zeros_back(tmp_path):
    rows = [
        country_cells(2024, "3", "European Union", [1.0] * 12, [2.0] * 12),
        country_cells(2024, "15", "World, Not Seasonally Adjusted", [9.0] * 12, [8.0] * 12),
    ]
    frame = census_country.read(write_country_csv(tmp_path / "c.csv", rows, "\r\n")).frame
    assert sorted(frame["partner"].unique()) == ["EUN", "WLD"]


def test_a_bad_value_in_a_country_csv_with_cr_line_ends_names_its_line_and_column(tmp_path):
    rows = [country_cells(2024, "5800", "Korea, South", [1.0] * 12, [1.0] * 12) for _ in "ab"]
    rows[1][0] = "2023"
    rows[1][5] = "(D)"  # IMAR
    path = write_country_csv(tmp_path / "mac.csv", rows, "\r")
    with pytest.raises(DataFileError) as caught:
        census_country.read(path)
    assert str(caught.value) == f"{path}: line 3, column 'IMAR': expected a number, found '(D)'"


def test_a_byte_that_is_not_text_is_named_by_its_line_in_a_file_with_cr_line_ends(tmp_path):
    rows = [country_cells(2024, "5800", "Korea, South", [1.0] * 12, [1.0] * 12)]
    rows.append(country_cells(2024, "7480", "Cote d'Ivoire", [1.0] * 12, [1.0] * 12))
    path = write_country_csv(tmp_path / "mac.csv", rows, "\r")
    path.write_bytes(path.read_bytes().replace(b"Cote", b"C\xf4te"))
    with pytest.raises(DataFileError) as caught:
        readers.read_file(path)
    assert str(caught.value) == (
        f"{path}: line 3, column 12: byte 0xF4 is not utf-8 text; if the file is in another "
        "encoding, say which with --encoding (e.g. --encoding cp1252 for a Windows export)"
    )


def test_an_eleven_month_year_has_its_months_and_no_annual_row():
    reading = census_country.read(CORPUS / "census_country_eleven_month_year.csv")
    frame = reading.frame
    korea = frame[(frame["partner"] == "KOR") & (frame["year"] == 2025)]
    assert sorted(int(m) for m in korea["month"].dropna().unique()) == list(range(1, 12))
    assert korea["month"].notna().all()
    assert set(frame["vintage"]) == {"data through 2025-11"}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_eleven_month_year_before_a_year_not_yet_published_stays_partial(tmp_path, kind):
    eleven = [10.0] * 11 + [0.0]
    rows = [
        country_cells(2025, "5800", "Korea, South", eleven, eleven),
        country_cells(2025, "0015", "World, Not Seasonally Adjusted", eleven, eleven),
        country_cells(2026, "5800", "Korea, South", [0.0] * 12, [0.0] * 12),
        country_cells(2026, "0015", "World, Not Seasonally Adjusted", [0.0] * 12, [0.0] * 12),
    ]
    if kind == "csv":
        path = write_country_csv(tmp_path / "c.csv", rows, "\r\n")
    else:
        numbers = [[int(r[0]), r[1], r[2], *map(float, r[3:])] for r in rows]
        path = write_country_xlsx(tmp_path / "c.xlsx", numbers)
    reading = census_country.read(path)
    frame = reading.frame
    assert sorted(int(m) for m in frame["month"].dropna().unique()) == list(range(1, 12))
    assert frame["month"].notna().all() and set(frame["year"]) == {2025}
    assert set(frame["vintage"]) == {"data through 2025-11"}
    assert reading.accounting[0].set_aside == {"year after the last published month": 2}


def test_a_country_table_with_no_trade_published_at_all_is_refused(tmp_path):
    rows = [country_cells(2026, "5800", "Korea, South", [0.0] * 12, [0.0] * 12)]
    path = write_country_csv(tmp_path / "c.csv", rows, "\r\n")
    with pytest.raises(DataFileError) as caught:
        census_country.read(path)
    assert str(caught.value) == (
        f"{path}: the table holds no trade at all (every month of every row is 0): nothing "
        "is published in it yet"
    )


def test_an_old_binary_excel_country_table_reads_as_the_same_table_in_xlsx(tmp_path):
    from python_calamine import CalamineWorkbook

    path = CORPUS / "census_country_old_excel.xls"
    cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("country").to_python()
    twin = write_country_xlsx(tmp_path / "twin.xlsx", cells[1:])
    assert readers.detect(path) == "census-country"
    pd.testing.assert_frame_equal(readers.read_file(path).frame, readers.read_file(twin).frame)


def test_an_old_binary_excel_country_table_names_its_variant():
    account = readers.read_file(CORPUS / "census_country_old_excel.xls").accounting[0]
    assert (account.variant, account.sheets_read) == ("old binary Excel, .xls", ["country"])


def test_an_xls_cut_short_is_refused_with_what_to_do():
    path = CORPUS / "census_country_old_excel_cut_short.xls"
    with pytest.raises(DataFileError) as caught:
        readers.read_file(path)
    message = str(caught.value)
    assert message.startswith(
        f"{path}: an old binary Office file (.xls) that korus cannot read as a workbook ("
    )
    assert message.endswith(
        "): it may be damaged, encrypted or not a workbook; open it in Excel and save it as "
        ".xlsx or CSV"
    )


def test_an_xls_whose_reading_would_end_the_process_is_one_error_line(runner, tmp_path):
    data = bytearray((CORPUS / "census_country_old_excel.xls").read_bytes())
    # The sheet's DIMENSIONS record (type 0x0200, 14 bytes) made to claim some 2 * 10^9
    # rows: calamine asks for terabytes and aborts the process that reads it.
    at = data.index(b"\x00\x02\x0e\x00")
    data[at + 7] = 0x76
    path = tmp_path / "country.xls"
    path.write_bytes(bytes(data))
    result = runner.invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {path}: an old binary Office file (.xls) that korus cannot read as a workbook ("
    )
    assert result.stderr.count("\n") == 1


def test_a_workbook_whose_only_country_table_is_on_a_hidden_sheet_is_refused(tmp_path):
    rows = [[2024, "5800", "Korea, South", *[1.0] * 12, 12.0, *[1.0] * 12, 12.0]]
    path = write_country_xlsx(tmp_path / "hidden.xlsx", rows, hidden=True)
    with pytest.raises(DataFileError) as caught:
        census_country.read(path)
    assert str(caught.value) == (
        f"{path}: only a hidden sheet holds the columns {', '.join(sorted(COUNTRY_HEADER))}: "
        "'country' (hidden); korus does not guess which is meant: choose one with --sheet NAME"
    )


# --------------------------------------------------------------------- sniffing

SHARED = [
    "census/country.xlsx",
    "census/country_vintage-2020.xlsx",
    "census/enduse_exports_2013_2022.csv",
    "census/enduse_imports_2016_2025.xlsx",
    "census/enduse_imports_2014_2023_extra-columns.xlsx",
    "census/api_imports_hs2_korea_monthly_2013_2021.csv",
    "census/balance_page_c5700_china_monthly_2001_2019.csv",
    "comtrade/legacy_usa_kor_hs2_2010_2019.csv",
    "comtrade/plus_api_response_chn_2010.json",
    "kosis/korea_china_monthly_2001_2019.csv",
    "kosis/korea_trade_by_partner_annual.csv",
    "usitc/dataweb_general_imports_hts330499_monthly.csv",
    "baci/country_codes_V202301.csv",
    "hs/harmonized-system.csv",
]
OWN = {
    "census/enduse_exports_2013_2022.csv": "census_enduse",
    "census/enduse_imports_2016_2025.xlsx": "census_enduse",
    "census/enduse_imports_2014_2023_extra-columns.xlsx": "census_enduse",
    "census/api_imports_hs2_korea_monthly_2013_2021.csv": "census_api",
    "census/balance_page_c5700_china_monthly_2001_2019.csv": "census_balance",
}


@pytest.mark.parametrize("relative", SHARED)
def test_sniffs_claim_only_their_own_real_files(relative):
    sample = take_sample(shared_file(relative))
    claims = {
        module.__name__.rsplit(".", 1)[-1]
        for module in (census_enduse, census_api, census_balance)
        if module.sniff(sample)
    }
    assert claims == ({OWN[relative]} if relative in OWN else set())


def test_sniffs_claim_only_their_own_small_files(tmp_path, enduse_exports, api_exports):
    balance = write_lines(tmp_path / "c5800.csv", balance_lines())
    own = {enduse_exports: "census_enduse", api_exports: "census_api", balance: "census_balance"}
    for path, module_name in own.items():
        sample = take_sample(path)
        claims = {
            module.__name__.rsplit(".", 1)[-1]
            for module in (census_enduse, census_api, census_balance)
            if module.sniff(sample)
        }
        assert claims == {module_name}


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 23)),
        min_size=1,
        max_size=60,
        unique=True,
    )
)
def test_the_three_absent_months_shown_are_the_first_in_sorted_order(rows):
    """A note shows the first three absent product-months (by month, partner, product): a
    pick of three gives the rows a sort of them all gives first."""
    import numpy as np

    from korus.readers.census_api_months import _first_three

    products, partners, periods = (np.array(column) for column in zip(*rows, strict=True))
    keys = (products, partners, periods)
    assert _first_three(keys, (6, 5)) == [int(at) for at in np.lexsort(keys)[:3]]
