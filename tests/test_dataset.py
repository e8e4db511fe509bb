"""The shipped dataset: found wherever korus is installed, and rebuilt from the official files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared_file
from korus import dataset
from korus.readers import read_file
from korus.schema import COLUMNS

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_data.py"


def test_shipped_files_are_found_next_to_the_installed_package():
    folder = dataset.data_dir()
    for file, _ in dataset.SHIPPED.values():
        assert (folder / file).is_file()
    assert (folder / "SOURCES.md").is_file()


def test_shipped_census_data_holds_every_partner_from_1985_to_january_2026():
    frame = read_file(dataset.shipped_path("census")).frame
    assert list(frame.columns) == list(COLUMNS)
    annual = frame[frame["month"].isna()]
    assert (annual["year"].min(), annual["year"].max()) == (1985, 2025)
    assert frame[frame["year"] == 2026]["month"].unique().tolist() == [1]
    assert annual["partner"].nunique() > 230
    assert set(frame["source"]) == {
        "US Census Bureau, U.S. Trade in Goods by Country (country.xlsx)"
    }


def test_shipped_slice_is_filtered_on_reporter_and_partner():
    frame = dataset.load_shipped("census", reporter="USA", partner="KOR").frame
    assert set(frame["partner"]) == {"KOR"}
    assert list(frame.columns) == list(COLUMNS)


def test_shipped_chapter_data_keeps_leading_zeros():
    frame = read_file(dataset.shipped_path("comtrade")).frame
    assert "01" in set(frame["product"])
    assert frame["product"].str.fullmatch(r"\d{2}").all()
    assert sorted(frame["year"].unique()) == list(range(2010, 2020))


OFFICIAL = {
    "census_country": "census/country.xlsx",
    "census_enduse": [
        "census/enduse_exports_2013_2022.csv",
        "census/enduse_imports_2016_2025.xlsx",
    ],
    "comtrade_legacy": "comtrade/legacy_usa_kor_hs2_2010_2019.csv",
    "kosis_annual": "kosis/korea_trade_by_partner_annual.csv",
}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    sources = {
        option: [shared_file(p) for p in given] if isinstance(given, list) else shared_file(given)
        for option, given in OFFICIAL.items()
    }
    if not SCRIPT.exists():
        pytest.skip("scripts/build_data.py is not in this tree (installed package only)")
    spec = importlib.util.spec_from_file_location("build_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("rebuilt")
    return module.build(out, **sources)


@pytest.mark.parametrize("name", list(dataset.SHIPPED))
def test_the_build_script_rebuilds_the_shipped_files_from_the_official_downloads(rebuilt, name):
    file = dataset.SHIPPED[name][0]
    again = pd.read_parquet(rebuilt[file])
    shipped = pd.read_parquet(dataset.shipped_path(name))
    pd.testing.assert_frame_equal(again, shipped)
