"""Comtrade legacy reader: extracts without a Period column and bulk-style flow codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from fixtures.layouts import COMTRADE_LEGACY_HEADER
from korus import readers
from korus.errors import DataFileError
from korus.readers import comtrade_legacy

# The 35 columns of a legacy Comtrade CSV, in the order the legacy site wrote them.
HEADER = COMTRADE_LEGACY_HEADER
NAMES = {"1": "Import", "2": "Export", "3": "Re-Export", "4": "Re-Import"}


def row(code: str = "1", value: str = "1000", **changes: str) -> dict:
    """A legacy row: US imports from Korea, 2016, all goods."""
    base = dict.fromkeys(HEADER, "")
    base.update(
        {
            "Classification": "H4",
            "Year": "2016",
            "Period": "2016",
            "Period Desc.": "2016",
            "Aggregate Level": "0",
            "Is Leaf Code": "0",
            "Trade Flow Code": code,
            "Trade Flow": NAMES.get(code, ""),
            "Reporter Code": "842",
            "Reporter": "USA",
            "Reporter ISO": "USA",
            "Partner Code": "410",
            "Partner": "Rep. of Korea",
            "Partner ISO": "KOR",
            "Commodity Code": "TOTAL",
            "Commodity": "All Commodities",
            "Qty Unit Code": "1",
            "Qty Unit": "No Quantity",
            "Trade Value (US$)": value,
            "Flag": "0",
        }
    )
    base.update(changes)
    return base


def write(path: Path, rows: list[dict], drop: tuple[str, ...] = ()) -> Path:
    columns = [column for column in HEADER if column not in drop]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for one in rows:
        writer.writerow([one[column] for column in columns])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def flows(frame: pd.DataFrame) -> dict:
    return frame.set_index("flow")["value_usd"].to_dict()


def error_of(path: Path) -> str:
    with pytest.raises(DataFileError) as error:
        comtrade_legacy.read(path)
    return str(error.value)


# ---------------------------------------------------------------- without Period


def test_an_extract_without_period_gives_the_annual_rows_it_would_give_with_it(tmp_path):
    rows = [row("1", "71887628102"), row("2", "42260903972"), row("3", "3612500250")]
    with_period = comtrade_legacy.read(write(tmp_path / "full.csv", rows)).frame
    path = write(tmp_path / "extract.csv", rows, drop=("Period", "Period Desc."))
    pd.testing.assert_frame_equal(comtrade_legacy.read(path).frame, with_period)


def test_an_extract_without_period_is_detected_by_its_content(tmp_path):
    path = write(tmp_path / "extract.txt", [row()], drop=("Period", "Period Desc."))
    assert readers.detect(path) == "comtrade-legacy"


def test_an_extract_without_period_says_so_in_its_variant(tmp_path):
    path = write(tmp_path / "extract.csv", [row()], drop=("Period",))
    reading = comtrade_legacy.read(path)
    assert reading.accounting[0].variant == "no Period column: annual rows"
    assert reading.frame["month"].isna().all()


def test_without_period_a_month_in_period_desc_is_an_error_naming_the_line(tmp_path):
    rows = [row(**{"Period Desc.": "2016"}), row("2", **{"Period Desc.": "March 2016"})]
    path = write(tmp_path / "extract.csv", rows, drop=("Period",))
    assert error_of(path) == (
        f"{path}: line 3, column 'Period Desc.': period 'March 2016' is not the year 2016, "
        "and the file has no Period column to tell its months apart; download it with the "
        "Period column"
    )


def test_without_period_a_year_that_is_not_four_digits_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path / "extract.csv", [row(Year="16")], drop=("Period", "Period Desc."))
    assert error_of(path) == f"{path}: line 2, column 'Year': year '16' is not YYYY"


# --------------------------------------------------------------- bulk flow codes


def test_bulk_flow_letters_read_as_the_flow_codes_they_stand_for(tmp_path):
    coded = [row("1", "7"), row("2", "5"), row("3", "2"), row("4", "1")]
    bulk = [
        row("0", "7", **{"Trade Flow": "M"}),
        row("0", "5", **{"Trade Flow": "X"}),
        row("0", "2", **{"Trade Flow": "RX"}),
        row("0", "1", **{"Trade Flow": "RM"}),
    ]
    expected = comtrade_legacy.read(write(tmp_path / "coded.csv", coded)).frame
    frame = comtrade_legacy.read(write(tmp_path / "bulk.csv", bulk)).frame
    pd.testing.assert_frame_equal(frame, expected)
    assert flows(frame) == {"import": 7.0, "export": 5.0, "re-export": 2.0, "re-import": 1.0}


def test_a_bulk_file_says_so_in_its_variant(tmp_path):
    path = write(tmp_path / "bulk.csv", [row("0", **{"Trade Flow": "M"})])
    reading = comtrade_legacy.read(path)
    assert reading.accounting[0].variant == "bulk: flow code 0 with X/M/RX/RM"


@pytest.mark.parametrize("text", ["Export", "DX", "", "x", "XM"])
def test_flow_code_0_with_anything_but_x_m_rx_rm_is_an_error_naming_the_line(tmp_path, text):
    rows = [row("0", **{"Trade Flow": "M"}), row("0", **{"Trade Flow": text})]
    path = write(tmp_path / "bulk.csv", rows)
    assert error_of(path) == (
        f"{path}: line 3, column 'Trade Flow': Trade Flow Code 0 (a bulk file) with Trade "
        f"Flow {text!r}: expected X, M, RX or RM (export, import, re-export, re-import)"
    )


def test_flow_code_0_in_a_file_without_trade_flow_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path / "bulk.csv", [row("0")], drop=("Trade Flow",))
    assert error_of(path) == (
        f"{path}: line 2, column 'Trade Flow': Trade Flow Code 0 (a bulk file) with Trade "
        "Flow '': expected X, M, RX or RM (export, import, re-export, re-import)"
    )


def test_a_trade_flow_that_names_another_flow_than_its_code_is_an_error(tmp_path):
    path = write(tmp_path / "both.csv", [row("1"), row("2", **{"Trade Flow": "Import"})])
    assert error_of(path) == (
        f"{path}: line 3, column 'Trade Flow': Trade Flow 'Import' beside Trade Flow Code 2 "
        "(export); korus cannot know which is right: fix the row"
    )


@pytest.mark.parametrize(
    ("code", "text", "flow"),
    [
        ("1", "Import", "import"),
        ("3", "Re-Export", "re-export"),
        ("3", "Re-export", "re-export"),
        ("4", "Re Import", "re-import"),
        ("2", "Exports", "export"),
        ("2", "X", "export"),
        ("4", "RM", "re-import"),
        ("2", "", "export"),
    ],
)
def test_a_trade_flow_that_agrees_with_its_code_is_read(tmp_path, code, text, flow):
    path = write(tmp_path / "agree.csv", [row(code, "9", **{"Trade Flow": text})])
    assert flows(comtrade_legacy.read(path).frame) == {flow: 9.0}


def test_an_unknown_flow_code_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path / "code.csv", [row("5")])
    assert error_of(path) == (
        f"{path}: line 2, column 'Trade Flow Code': unknown flow code '5' (expected 1, 2, 3 "
        "or 4, or 0 with X, M, RX or RM in 'Trade Flow')"
    )


# --------------------------------------------------------------------- partners


def test_other_asia_nes_is_its_own_partner_with_a_note_on_taiwan(tmp_path):
    other_asia = {"Partner Code": "490", "Partner": "Other Asia, nes", "Partner ISO": ""}
    path = write(tmp_path / "asia.csv", [row("1", "4120500", **other_asia)])
    reading = comtrade_legacy.read(path)
    assert reading.frame["partner"].tolist() == ["XOA"]
    assert reading.accounting[0].notes == [
        "Other Asia, nes (XOA, UN Comtrade code 490) is kept as an area of its own: UN "
        "Comtrade uses it for Taiwan in practice, but korus does not relabel it Taiwan (TWN)"
    ]


def test_two_nes_areas_of_one_file_are_two_partners(tmp_path):
    laia = {"Partner Code": "473", "Partner": "LAIA, nes", "Partner ISO": ""}
    europe = {"Partner Code": "568", "Partner": "Other Europe, nes", "Partner ISO": ""}
    path = write(tmp_path / "nes.csv", [row("1", "10", **laia), row("1", "10", **europe)])
    frame = comtrade_legacy.read(path).frame
    assert frame.set_index("partner")["value_usd"].to_dict() == {"XLA": 10.0, "XOE": 10.0}
