"""BACI reader: CEPII's reconciled flows, each written as an export and as an import."""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_file
from korus import metrics, readers
from korus.cli import cli
from korus.errors import DataFileError
from korus.readers import baci, baci_stream
from korus.readers.common import take_sample
from korus.schema import COLUMNS

# A year of flows in BACI's layout: v in thousands of US dollars, q in tonnes (blank or a
# space-padded NA when unknown), k with its leading zero except one row that lost it.
ROWS = [
    ("2021", "842", "410", "010121", "1.5", "           NA"),  # USA -> KOR, chapter 01
    ("2021", "842", "410", "870323", "200.25", ""),  # USA -> KOR, chapter 87
    ("2021", "842", "410", "030389", "10", "  2.5"),  # USA -> KOR, chapter 03
    ("2021", "410", "842", "870323", "5000.125", "12.000"),  # KOR -> USA, chapter 87
    ("2021", "410", "842", "870840", "1200", "  0.1"),  # KOR -> USA, chapter 87
    ("2021", "410", "842", "10129", "3.5", "        NA"),  # KOR -> USA, 010129 lost its 0
    ("2021", "516", "410", "260111", "7", "  NA"),  # Namibia -> KOR
    ("2021", "490", "842", "847130", "900", ""),  # Other Asia, nes (Taiwan) -> USA
    ("2021", "156", "842", "850440", "4000", ""),  # China -> USA
]
USA_EXPORTS_TO_KOR = (1.5 + 200.25 + 10) * 1e3
USA_IMPORTS_FROM_KOR = (5000.125 + 1200 + 3.5) * 1e3

# Excerpts of CEPII's country lists: V202301 (old columns) and a later release (new ones).
# Namibia's ISO2 is blank in V202301 (its "NA" was lost); the new file writes it.
OLD_COUNTRIES = """\
country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha
156,China,China,CN,CHN
410,Rep. of Korea,Republic of Korea,KR,KOR
490,"Other Asia, nes","Other Asia, not elsewhere specified",N/A,N/A
516,Namibia,Namibia,,NAM
842,USA,"USA, Puerto Rico and US Virgin Islands",US,USA
"""
NEW_COUNTRIES = """\
country_code,country_name,country_iso2,country_iso3
156,China,CN,CHN
410,Rep. of Korea,KR,KOR
490,"Other Asia, nes",N/A,N/A
516,Namibia,NA,NAM
842,USA,US,USA
"""
PRODUCTS = 'code,description\n10121,"Horses: live, pure-bred breeding animals"\n'


def write_data(path: Path, rows=ROWS, quoted: bool = False) -> Path:
    if quoted:
        lines = ['"t","i","j","k","v","q"']
        lines += [
            ",".join(f'"{cell}"' if n == 3 else cell for n, cell in enumerate(row)) for row in rows
        ]
    else:
        lines = ["t,i,j,k,v,q"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def release(folder: Path, countries: str = OLD_COUNTRIES, version="V202301", hs="HS92") -> Path:
    """A BACI release folder: the data file and its companion files."""
    folder.mkdir(exist_ok=True)
    (folder / f"country_codes_{version}.csv").write_text(countries, encoding="utf-8")
    (folder / f"product_codes_{hs}_{version}.csv").write_text(PRODUCTS, encoding="utf-8")
    return write_data(folder / f"BACI_{hs}_Y2021_{version}.csv")


@pytest.fixture
def data_file(tmp_path) -> Path:
    return release(tmp_path / "baci")


def flows(frame: pd.DataFrame, reporter="USA", partner="KOR", year=2021) -> tuple[float, float]:
    row = metrics.bilateral_flows(frame, reporter, partner, [year]).iloc[0]
    return row["exports"], row["imports"]


# ------------------------------------------------------------------------ values


def test_bilateral_totals_are_thousands_converted_to_dollars(data_file):
    frame = baci.read(data_file).frame
    assert flows(frame) == (USA_EXPORTS_TO_KOR, USA_IMPORTS_FROM_KOR)
    assert flows(frame, "KOR", "USA") == (USA_IMPORTS_FROM_KOR, USA_EXPORTS_TO_KOR)


def test_each_row_is_the_exporters_export_and_the_importers_import(data_file):
    frame = baci.read(data_file).frame
    hs6 = frame[frame["product"].str.len() == 6]
    exports = hs6[hs6["flow"] == "export"].set_index(["reporter", "partner", "product"])
    imports = hs6[hs6["flow"] == "import"].set_index(["partner", "reporter", "product"])
    assert exports["value_usd"].sort_index().tolist() == imports["value_usd"].sort_index().tolist()
    assert exports.loc[("KOR", "USA", "870323"), "value_usd"] == 5_000_125.0
    assert imports.loc[("KOR", "USA", "870323"), "value_usd"] == 5_000_125.0


def test_chapter_shares_come_from_the_hs6_rows_and_keep_their_leading_zero(data_file):
    frame = baci.read(data_file).frame
    chapters, total = metrics.sector_values(frame, "USA", "KOR", 2021, "imports")
    shares = chapters.set_index("product")
    assert total == USA_IMPORTS_FROM_KOR
    assert shares.loc["87", "value"] == 6_200_125.0
    assert shares.loc["01", "value"] == 3_500.0
    assert shares.loc["87", "share_pct"] == pytest.approx(6_200_125 / 6_203_625 * 100)
    exported, _ = metrics.sector_values(frame, "USA", "KOR", 2021, "exports")
    assert exported.set_index("product")["value"].to_dict() == {
        "87": 200_250.0,
        "03": 10_000.0,
        "01": 1_500.0,
    }


def test_hs6_codes_keep_their_leading_zero_and_a_lost_zero_is_restored(data_file):
    reading = baci.read(data_file)
    products = set(reading.frame["product"])
    assert {"010121", "010129", "030389"} <= products
    assert {len(code) for code in products} == {6}  # HS6 rows only: metrics roll them up
    assert "10129" not in products
    assert (
        "1 product codes k had 5 digits, their leading zero lost; restored to 6 digits "
        "(10121 -> 010121)"
    ) in reading.accounting[0].notes


def test_countries_map_through_the_country_file_with_namibia_and_other_asia(data_file):
    reading = baci.read(data_file)
    exporters = set(reading.frame.loc[reading.frame["flow"] == "export", "reporter"])
    assert exporters == {"USA", "KOR", "NAM", "XOA", "CHN"}
    assert (
        "codes with no ISO3 in the country codes file, read as UN Comtrade numerics: "
        "490 (Other Asia, nes) -> XOA"
    ) in reading.accounting[0].notes


def test_provenance_classification_and_whole_year_rows(data_file):
    frame = baci.read(data_file).frame
    assert list(frame.columns) == list(COLUMNS)
    assert set(frame["source"]) == {"CEPII BACI"}
    assert set(frame["basis"]) == {"FOB (CEPII BACI reconciled)"}
    assert set(frame["vintage"]) == {"BACI V202301"}
    assert set(frame["classification"]) == {"HS1992"}
    assert frame["month"].isna().all()
    assert set(frame["year"]) == {2021}


def test_rows_read_and_kept_count_the_files_rows(data_file):
    reading = baci.read(data_file)
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept, account.set_aside) == (9, 9, {})
    assert account.balanced()
    hs6 = reading.frame[reading.frame["product"].str.len() == 6]
    assert len(hs6) == 2 * 9


def test_a_pair_that_is_one_korus_country_is_set_aside_and_counted(tmp_path):
    folder = tmp_path / "merged"
    release(folder)
    countries = OLD_COUNTRIES + "58,Belgium-Luxembourg,Belgium-Luxembourg,BE,BEL\n"
    countries += "56,Belgium,Belgium,BE,BEL\n"
    (folder / "country_codes_V202301.csv").write_text(countries)
    path = write_data(
        folder / "BACI_HS92_Y2021_V202301.csv", [*ROWS, ("2021", "58", "56", "870323", "1", "")]
    )
    account = baci.read(path).accounting[0]
    assert account.set_aside == {
        "exporter and importer are one korus country (two BACI codes for one territory)": 1
    }
    assert (account.rows_read, account.rows_kept) == (10, 9)


def two_codes_for_germany(folder: Path, extra_rows) -> Path:
    """A release whose country file maps two BACI codes to Germany (276 and 280, the former
    FRG), with ROWS and ``extra_rows``: 276 and 280 each sell KOR product 870323."""
    release(folder)
    countries = OLD_COUNTRIES + "276,Germany,Germany,DE,DEU\n"
    countries += "280,Fmr Fed. Rep. of Germany,Former Federal Republic of Germany,DE,DEU\n"
    (folder / "country_codes_V202301.csv").write_text(countries)
    extra = [
        ("2021", "276", "410", "870323", "1.25", ""),
        ("2021", "280", "410", "870323", "2", ""),
        *extra_rows,
    ]
    return write_data(folder / "BACI_HS92_Y2021_V202301.csv", [*ROWS, *extra])


def test_flows_of_two_baci_codes_for_one_country_are_added_together(tmp_path):
    reading = baci.read(two_codes_for_germany(tmp_path / "germany", []))
    frame = reading.frame
    germany = frame[(frame["reporter"] == "DEU") & (frame["product"] == "870323")]
    assert germany.set_index("flow")["value_usd"].to_dict() == {"export": 3_250.0}
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (11, 11)
    assert (
        "flows of BACI codes that map to one korus country were added together "
        "(276 -> DEU, 280 -> DEU)"
    ) in account.notes


# ---------------------------------------------------------------- layout variants


def test_the_quoted_header_variant_reads_the_same(data_file):
    quoted = write_data(data_file.with_name("BACI_HS92_Y2021_V202301_quoted.csv"), quoted=True)
    assert quoted.read_text().startswith('"t","i","j","k","v","q"\n2021,842,410,"010121",')
    assert readers.detect(quoted) == "baci"
    pd.testing.assert_frame_equal(baci.read(quoted).frame, baci.read(data_file).frame)


def test_the_new_country_file_columns_read_the_same(tmp_path, data_file):
    newer = release(tmp_path / "new", countries=NEW_COUNTRIES)
    pd.testing.assert_frame_equal(baci.read(newer).frame, baci.read(data_file).frame)


def test_a_gzipped_data_file_reads_the_same(data_file):
    packed = data_file.with_name("BACI_HS92_Y2021_V202301.csv.gz")
    packed.write_bytes(gzip.compress(data_file.read_bytes()))
    assert readers.detect(packed) == "baci"
    pd.testing.assert_frame_equal(baci.read(packed).frame, baci.read(data_file).frame)


def test_companion_files_can_be_given_as_arguments(tmp_path):
    data = write_data(tmp_path / "trade.csv")
    elsewhere = tmp_path / "lists"
    elsewhere.mkdir()
    countries = elsewhere / "countries.csv"
    countries.write_text(NEW_COUNTRIES)
    products = elsewhere / "product_codes_HS17_V202401.csv"
    products.write_text(PRODUCTS)
    frame = baci.read(data, country_codes=countries, product_codes=products).frame
    assert set(frame["classification"]) == {"HS2017"}
    assert set(frame["vintage"]) == {"BACI V202401"}
    assert flows(frame) == (USA_EXPORTS_TO_KOR, USA_IMPORTS_FROM_KOR)


def test_the_newest_companion_release_is_used_when_the_data_name_says_none(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "country_codes_V202201.csv").write_text(OLD_COUNTRIES)
    (folder / "country_codes_V202401.csv").write_text(NEW_COUNTRIES)
    (folder / "product_codes_HS17_V202201.csv").write_text(PRODUCTS)
    (folder / "product_codes_HS17_V202401.csv").write_text(PRODUCTS)
    frame = baci.read(write_data(folder / "trade.csv")).frame
    assert set(frame["vintage"]) == {"BACI V202401"}
    assert set(frame["classification"]) == {"HS2017"}


def test_the_companions_of_the_data_files_own_release_are_preferred(tmp_path):
    folder = tmp_path / "two"
    data = release(folder, version="V202301", hs="HS92")
    (folder / "product_codes_HS17_V202401.csv").write_text(PRODUCTS)
    (folder / "country_codes_V202401.csv").write_text(NEW_COUNTRIES)
    frame = baci.read(data).frame
    assert set(frame["vintage"]) == {"BACI V202301"}
    assert set(frame["classification"]) == {"HS1992"}


def test_without_companions_codes_are_comtrade_numerics_and_the_release_is_unstated(tmp_path):
    reading = baci.read(write_data(tmp_path / "trade.csv"))
    frame = reading.frame
    assert flows(frame) == (USA_EXPORTS_TO_KOR, USA_IMPORTS_FROM_KOR)
    assert set(frame["classification"]) == {"HS (version not stated)"}
    assert set(frame["vintage"]) == {"release not stated in the file"}
    assert "XOA" in set(frame["reporter"])
    assert reading.accounting[0].notes[:2] == [
        "no product codes file beside the data and no HS version in its name: "
        "classification 'HS (version not stated)'",
        "no country codes file beside the data: exporter and importer codes read as UN "
        "Comtrade numerics (BACI uses them)",
    ]


def test_without_companions_the_data_file_name_gives_hs_version_and_release(tmp_path):
    frame = baci.read(write_data(tmp_path / "BACI_HS17_Y2021_V202401.csv")).frame
    assert set(frame["classification"]) == {"HS2017"}
    assert set(frame["vintage"]) == {"BACI V202401"}


def test_the_real_cepii_companion_files_map_usa_and_korea(tmp_path):
    reading = baci.read(
        write_data(tmp_path / "trade.csv"),
        country_codes=shared_file("baci/country_codes_V202301.csv"),
        product_codes=shared_file("baci/product_codes_HS92_V202301.csv"),
    )
    frame = reading.frame
    assert flows(frame) == (USA_EXPORTS_TO_KOR, USA_IMPORTS_FROM_KOR)
    assert set(frame.loc[frame["flow"] == "export", "reporter"]) == {
        "USA",
        "KOR",
        "NAM",
        "XOA",
        "CHN",
    }
    assert set(frame["classification"]) == {"HS1992"}
    assert set(frame["vintage"]) == {"BACI V202301"}


def test_a_generated_file_of_200000_rows_gives_exact_totals(tmp_path):
    codes = ["842", "410", "156", "516", "490"]
    pairs = [(i, j) for i in codes for j in codes if i != j]  # 20 pairs
    lines = ["t,i,j,k,v,q"]
    expected: dict[tuple[str, str], float] = {}
    lost_zero = 0
    for n in range(200_000):
        exporter, importer = pairs[n % 20]
        m = n // 20  # 10,000 products for each pair, every chapter
        chapter, rest = m % 97 + 1, m // 97
        product = f"{chapter:02d}{rest:04d}"
        if n % 3 == 0 and chapter < 10:
            product = product[1:]
            lost_zero += 1
        value = (n % 1000) / 8  # exact in binary
        expected[(exporter, importer)] = expected.get((exporter, importer), 0.0) + value
        lines.append(f"2020,{exporter},{importer},{product},{value},{'  NA' if n % 2 else ''}")
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "country_codes_V202301.csv").write_text(OLD_COUNTRIES)
    path = folder / "BACI_HS92_Y2020_V202301.csv"
    path.write_text("\n".join(lines) + "\n")

    reading = baci.read(path)
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (200_000, 200_000)
    frame = reading.frame
    assert len(frame[frame["product"].str.len() == 6]) == 400_000
    assert flows(frame, year=2020) == (
        expected[("842", "410")] * 1e3,
        expected[("410", "842")] * 1e3,
    )
    assert flows(frame, "CHN", "NAM", 2020) == (
        expected[("156", "516")] * 1e3,
        expected[("516", "156")] * 1e3,
    )
    # every flow twice: the exporter's export and the importer's import
    assert frame["value_usd"].sum() == pytest.approx(sum(expected.values()) * 1e3 * 2)
    assert f"{lost_zero:,} product codes k had 5 digits" in " ".join(account.notes)


# ------------------------------------------------------------------ detection, CLI


def test_data_files_are_detected_and_read_file_gives_the_same_frame(data_file):
    assert readers.detect(data_file) == "baci"
    pd.testing.assert_frame_equal(readers.read_file(data_file).frame, baci.read(data_file).frame)


def test_companion_files_are_not_claimed(data_file):
    companions = sorted(data_file.parent.glob("*_codes_*.csv"))
    assert len(companions) == 2
    for companion in companions:
        assert not baci.sniff(take_sample(companion)), companion.name


def test_no_shared_file_is_claimed():
    folder = shared_file("baci/country_codes_V202301.csv").parent.parent
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".md":
            assert not baci.sniff(take_sample(path)), path.name


def test_the_cli_deficit_gives_the_usa_korea_balance(runner, data_file):
    result = runner.invoke(
        cli,
        [
            "deficit",
            "--data",
            str(data_file),
            "--years",
            "2021",
            "--format",
            "csv",
            "--unit",
            "usd",
        ],
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.output)))
    assert (row["year"], row["reporter"], row["partner"]) == ("2021", "USA", "KOR")
    assert float(row["exports_usd"]) == 211_750.0
    assert float(row["imports_usd"]) == 6_203_625.0
    assert float(row["balance_usd"]) == -5_991_875.0
    assert row["source"] == "CEPII BACI"
    assert row["vintage"] == "BACI V202301"


# ------------------------------------------------------------------------- errors


def bad_file(tmp_path: Path, row: tuple[str, ...]) -> Path:
    folder = tmp_path / "bad"
    path = release(folder)
    return write_data(path, [*ROWS[:2], row])


def test_a_value_that_is_not_a_number_is_an_error_naming_line_and_column(tmp_path):
    path = bad_file(tmp_path, ("2021", "842", "410", "870324", "NA", ""))
    with pytest.raises(DataFileError) as error:
        baci.read(path)
    assert str(error.value) == (
        f"{path}: line 4, column 'v': expected a value in thousands of US dollars, found 'NA'"
    )


def test_a_product_code_that_is_not_hs6_is_an_error(tmp_path):
    path = bad_file(tmp_path, ("2021", "842", "410", "0101", "1", ""))
    with pytest.raises(DataFileError) as error:
        baci.read(path)
    assert str(error.value) == (
        f"{path}: line 4, column 'k': expected an HS6 product code of 6 digits (or 5 that "
        "lost their leading zero), found '0101'"
    )


def test_a_country_code_nobody_knows_is_an_error(tmp_path):
    path = bad_file(tmp_path, ("2021", "842", "998", "870324", "1", ""))
    with pytest.raises(DataFileError) as error:
        baci.read(path)
    assert str(error.value) == (
        f"{path}: line 4, column 'j': BACI country code 998 is not a country korus knows "
        "(neither in the country codes file country_codes_V202301.csv nor a UN Comtrade "
        "numeric); give the release's country_codes file beside the data"
    )


def test_a_flow_given_twice_is_an_error(tmp_path):
    path = bad_file(tmp_path, ("2021", "842", "410", "10121", "9", ""))
    with pytest.raises(DataFileError) as error:
        baci.read(path)
    assert str(error.value) == (
        f"{path}: line 4 and line 2 give USA exports, partner KOR, product 010121, 2021 twice "
        "with different values (9,000 and 1,500 US dollars); korus cannot know which is "
        "right: keep one version of each figure; a BACI file gives each flow once"
    )


def test_a_file_without_the_baci_columns_is_an_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("t,i,j,value\n2021,842,410,1\n")
    with pytest.raises(DataFileError) as error:
        baci.read(path)
    assert str(error.value) == (
        f"{path}: missing BACI columns ['k', 'v'] (the header is 't,i,j,value'; "
        "expected t,i,j,k,v,q)"
    )


def test_a_country_file_of_another_layout_is_an_error(tmp_path):
    data = write_data(tmp_path / "trade.csv")
    countries = tmp_path / "countries.csv"
    countries.write_text("code,name\n842,USA\n")
    with pytest.raises(DataFileError) as error:
        baci.read(data, country_codes=countries)
    assert str(error.value).startswith(
        f"{countries}: not a BACI country codes file: the header is ['code', 'name']"
    )


# ------------------------------------------------------------- push-down of a pair


@pytest.fixture(params=["parsed whole", "streamed in pieces"])
def scan_mode(request, monkeypatch) -> str:
    """Each push-down test twice: the file parsed whole, and streamed in pieces of a few
    lines (pieces end inside lines and in parts: the way a large file is scanned)."""
    if request.param == "streamed in pieces":
        monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
        monkeypatch.setattr(baci_stream, "STREAM_CHUNK", 40)
    return request.param


def pair_rows(frame: pd.DataFrame, pair=("USA", "KOR")) -> pd.DataFrame:
    chosen = frame["reporter"].isin(pair) & frame["partner"].isin(pair)
    return frame[chosen & (frame["reporter"] != frame["partner"])].reset_index(drop=True)


@pytest.mark.usefixtures("scan_mode")
def test_a_scan_for_a_pair_keeps_its_rows_and_counts_the_others(data_file):
    reading = baci.scan(data_file, ("USA", "KOR"))
    pd.testing.assert_frame_equal(reading.frame, pair_rows(baci.read(data_file).frame))
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (9, 6)
    assert account.set_aside == {"other country pairs (not asked for)": 3}
    assert account.balanced()
    assert flows(reading.frame) == (USA_EXPORTS_TO_KOR, USA_IMPORTS_FROM_KOR)
    assert "1 product codes k had 5 digits" in " ".join(account.notes)  # 10129, KOR -> USA


@pytest.mark.usefixtures("scan_mode")
def test_the_pair_is_either_way_round(data_file):
    one = baci.scan(data_file, ("USA", "KOR")).frame
    pd.testing.assert_frame_equal(baci.scan(data_file, ("KOR", "USA")).frame, one)


@pytest.mark.usefixtures("scan_mode")
def test_read_file_and_load_pass_the_pair_to_the_reader(data_file):
    expected = baci.scan(data_file, ("USA", "KOR"))
    for reading in (
        readers.read_file(data_file, pair=("USA", "KOR")),
        readers.load([data_file], pair=("USA", "KOR")),
        readers.load([data_file.parent], pair=("USA", "KOR")),
    ):
        pd.testing.assert_frame_equal(reading.frame, expected.frame)
        assert reading.accounting[0].set_aside == expected.accounting[0].set_aside


def test_a_reader_without_push_down_reads_the_whole_file(tmp_path):
    tidy = tmp_path / "tidy.csv"
    frame = baci.read(release(tmp_path / "baci")).frame
    frame.to_csv(tidy, index=False)
    whole = readers.read_file(tidy)
    asked = readers.read_file(tidy, pair=("USA", "KOR"))
    pd.testing.assert_frame_equal(asked.frame, whole.frame)
    assert asked.accounting[0].set_aside == whole.accounting[0].set_aside == {}


@pytest.mark.usefixtures("scan_mode")
def test_two_baci_codes_of_one_country_in_the_pair_are_added_together(tmp_path):
    one_country = ("2021", "276", "280", "870323", "4", "")  # one country: set aside
    path = two_codes_for_germany(tmp_path / "germany", [one_country])
    reading = baci.scan(path, ("DEU", "KOR"))
    pd.testing.assert_frame_equal(reading.frame, pair_rows(baci.read(path).frame, ("DEU", "KOR")))
    account = reading.accounting[0]
    assert account.set_aside == {
        "other country pairs (not asked for)": 9,
        "exporter and importer are one korus country (two BACI codes for one territory)": 1,
    }
    assert (account.rows_read, account.rows_kept) == (12, 2)
    frame = reading.frame
    assert frame.loc[frame["flow"] == "export", "value_usd"].tolist() == [3_250.0]


@pytest.mark.usefixtures("scan_mode")
def test_a_pair_the_file_does_not_hold_gives_no_rows(data_file):
    reading = baci.scan(data_file, ("USA", "FRA"))
    assert reading.frame.empty and list(reading.frame.columns) == list(COLUMNS)
    account = reading.accounting[0]
    assert account.rows_kept == 0 and account.balanced()


@pytest.mark.usefixtures("scan_mode")
def test_a_bad_product_code_outside_the_pair_is_only_found_by_a_full_read(tmp_path):
    path = bad_file(tmp_path, ("2021", "516", "410", "0101", "1", ""))
    assert len(baci.scan(path, ("USA", "KOR")).frame) == 4
    with pytest.raises(DataFileError, match="column 'k': expected an HS6 product code"):
        baci.read(path)


@pytest.mark.usefixtures("scan_mode")
def test_a_value_that_is_not_a_number_is_an_error_even_outside_the_pair(tmp_path):
    path = bad_file(tmp_path, ("2021", "516", "410", "260111", "n/a", ""))
    with pytest.raises(DataFileError) as error:
        baci.scan(path, ("USA", "KOR"))
    assert str(error.value) == (
        f"{path}: line 4, column 'v': expected a value in thousands of US dollars, found 'n/a'"
    )


@pytest.mark.usefixtures("scan_mode")
def test_codes_with_spaces_around_them_read_the_same(tmp_path, data_file):
    spaced = [(t, f" {i}", f"{j} ", f" {k}", v, q) for t, i, j, k, v, q in ROWS]
    path = write_data(data_file.with_name("BACI_HS92_Y2021_V202301_spaced.csv"), spaced)
    pd.testing.assert_frame_equal(baci.read(path).frame, baci.read(data_file).frame)
    pd.testing.assert_frame_equal(
        baci.scan(path, ("USA", "KOR")).frame, baci.scan(data_file, ("USA", "KOR")).frame
    )


@pytest.mark.usefixtures("scan_mode")
def test_a_country_code_nobody_knows_is_an_error_for_a_pair_read_too(tmp_path):
    path = bad_file(tmp_path, ("2021", "156", "998", "870324", "1", ""))
    with pytest.raises(DataFileError, match="line 4, column 'j': BACI country code 998"):
        baci.scan(path, ("USA", "KOR"))


@pytest.mark.usefixtures("scan_mode")
def test_the_frame_is_already_canonical(tmp_path, data_file):
    # The reader builds the canonical frame itself (schema.canonical() would cost more than
    # the rest for a pair's few rows): canonical() must give it back unchanged.
    from korus.schema import canonical

    merged = two_codes_for_germany(tmp_path / "merged", [])
    for reading in (
        baci.read(data_file),
        baci.scan(data_file, ("USA", "KOR")),
        baci.scan(data_file, ("USA", "FRA")),  # no rows
        baci.read(merged),
        baci.scan(merged, ("DEU", "KOR")),
    ):
        pd.testing.assert_frame_equal(canonical(reading.frame), reading.frame)


# ------------------------------------------------ the streamed scan against the whole read

# Cells of each column: well-formed ones first (CLEAN of them), then ones that are not.
CELLS = {
    "t": ["2021", "2020", "2021 ", "21", "x"],
    "i": ["842", "410", "156", "516", " 842", "999", "-1", "84.2"],
    "j": ["410", "842", "156", "516", "410 ", "12345", ""],
    "k": ["010121", "870323", "030389", "10129", "0101", "abc", "8703231", "870323 "],
    "v": ["1.5", "200.25", "0", "3e2", "-1", "n/a", "", "inf"],
    "q": ["", "           NA", "2.5"],
}
CLEAN = {"t": 3, "i": 5, "j": 5, "k": 4, "v": 4, "q": 3}


@st.composite
def baci_files(draw):
    """A small BACI file, mostly well formed, sometimes not; and how it is cut in pieces."""
    # A third of the files have no bad cell at all, a third bad product codes only (checked
    # on the pair's rows: errors name lines the streamed scan has to get right), a third any.
    mode = draw(st.sampled_from(["clean", "bad codes", "anything"]))
    clean = mode == "clean"
    dirty = {"anything": "tijkvq", "bad codes": "k", "clean": ""}[mode]
    cells = {
        column: CELLS[column] if column in dirty else CELLS[column][: CLEAN[column]]
        for column in CELLS
    }
    rows = draw(
        st.lists(
            st.tuples(*(st.sampled_from(cells[column]) for column in "tijkvq")),
            min_size=1,
            max_size=40,
            # a clean file gives each flow once (a flow given twice is an error)
            unique_by=(lambda row: tuple(cell.strip().zfill(6) for cell in row[:4]))
            if mode != "anything"
            else None,
        )
    )
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(["t,i,j,k,v,q", *(",".join(row) for row in rows)]) + ending
    pairs = st.sampled_from([("USA", "KOR"), ("CHN", "NAM")])
    return text, draw(st.integers(8, 300)), draw(pairs), clean


def _outcome(path: Path, pair):
    try:
        reading = baci.scan(path, pair)
    except DataFileError as exc:
        return "error", str(exc)
    account = reading.accounting[0]
    return reading.frame, (account.rows_read, account.rows_kept, account.set_aside, account.notes)


@settings(max_examples=150, deadline=None)
@given(baci_files())
def test_a_streamed_scan_gives_what_a_whole_read_gives(case):
    text, piece, pair, clean = case
    with tempfile.TemporaryDirectory() as folder:
        path = release(Path(folder) / "baci")
        path.write_text(text, encoding="utf-8")
        whole = _outcome(path, pair)
        saved = baci_stream.STREAM_FROM, baci_stream.STREAM_CHUNK
        baci_stream.STREAM_FROM, baci_stream.STREAM_CHUNK = 0, piece
        try:
            streamed = _outcome(path, pair)
        finally:
            baci_stream.STREAM_FROM, baci_stream.STREAM_CHUNK = saved
    if clean:
        assert not isinstance(whole[0], str), whole  # a clean file reads
    if isinstance(whole[0], str):
        assert streamed == whole
    else:
        pd.testing.assert_frame_equal(streamed[0], whole[0])
        assert streamed[1] == whole[1]


@pytest.mark.parametrize("cell", [b"\xff\xfe0101", b"01\xe90101"])
def test_bytes_that_are_not_utf8_outside_the_pair_are_an_error_streamed_or_not(
    tmp_path, monkeypatch, cell
):
    path = release(tmp_path / "baci")
    lines = path.read_bytes().splitlines(keepends=True)
    lines.insert(2, b"2021,156,516," + cell + b",2,\n")  # China -> Namibia: not the pair
    path.write_bytes(b"".join(lines))
    with pytest.raises(DataFileError) as whole:
        baci.scan(path, ("USA", "KOR"))
    monkeypatch.setattr(baci_stream, "STREAM_FROM", 0)
    monkeypatch.setattr(baci_stream, "STREAM_CHUNK", 64)
    with pytest.raises(DataFileError) as streamed:
        baci.scan(path, ("USA", "KOR"))
    assert str(streamed.value) == str(whole.value)
    assert "column 'k' holds bytes that are not UTF-8 text" in str(whole.value)


def test_one_reporters_read_keeps_its_trade_with_every_partner_and_only_its_side(data_file):
    whole = baci.read(data_file).frame
    mine = baci.scan(data_file, ("USA", None), one_side=True)
    expected = whole[whole["reporter"] == "USA"]
    key = ["year", "partner", "flow", "product"]
    pd.testing.assert_frame_equal(
        mine.frame.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
    )
    account = mine.accounting[0]
    others = account.set_aside.get("trade of other countries (not asked for)", 0)
    assert account.rows_read == account.rows_kept + account.rows_set_aside
    assert others == len(ROWS) - len([row for row in ROWS if "842" in (row[1], row[2])])


def test_partners_from_one_reporters_read_equal_partners_from_the_whole_file(runner, data_file):
    from korus import cache

    asked = ["partners", "--year", "2021", "--format", "csv", "--unit", "usd"]
    pushed = runner.invoke(cli, [*asked, "--data", str(data_file)])
    cache.set_enabled(False)
    try:
        whole = metrics_partners(baci.read(data_file).frame)
    finally:
        cache.set_enabled(None)
    assert pushed.exit_code == 0, pushed.output
    rows = list(csv.DictReader(io.StringIO(pushed.stdout)))
    # A partner with one flow only has no total: missing (blank) in both.
    found = {row["partner"]: float(row["total_usd"]) if row["total_usd"] else None for row in rows}
    assert found == whole


def metrics_partners(frame: pd.DataFrame) -> dict[str, float]:
    from korus import countries
    from korus import metrics_partners as ranking

    table = ranking.partner_ranking(frame, "USA", 2021, "total", countries.is_group)
    return {
        partner: None if pd.isna(total) else total
        for partner, total in zip(table["partner"], table["total"], strict=True)
    }


# Cells of t, i and j as files have them, and as they go wrong: Arrow's integers read some
# (0x34A, -0, a quoted code) as numbers that a plain code is not.
CODE_CELLS = {
    "t": ["2021", "2021", "2021", "02021", " 2021", "0x7E5", "-2021", "+2021", '"2021"', "2021.0"],
    "i": ["842", "410", "156", "00842", " 842", "842 ", "0x34A", "-0", "-1", '"410"', "84x"],
    "j": ["410", "842", "516", "0410", "\t410", "0X19A", "-0", "40000", '"156"', "4 1"],
}


@pytest.mark.parametrize("seed", range(60))
def test_codes_read_as_integers_give_what_codes_read_as_text_give(seed, tmp_path, monkeypatch):
    import random

    from korus.readers import baci_parse

    rng = random.Random(seed)
    rows = []
    for _ in range(rng.randint(1, 40)):
        cells = [CODE_CELLS[column][rng.randint(0, 1)] for column in "tij"]
        product = rng.choice(["010121", "870323"])
        rows.append([*cells, product, f"{rng.randint(1, 999)}.5", ""])
    if seed % 3:  # two files in three have one cell of another kind (the others are plain)
        column = rng.randrange(3)
        rows[rng.randrange(len(rows))][column] = rng.choice(CODE_CELLS["tij"[column]][2:])
    rows = [",".join(row) for row in rows]
    data = ("t,i,j,k,v,q\n" + "\n".join(rows) + "\n").encode()
    path = tmp_path / "BACI_HS92_Y2021_V202301.csv"
    path.write_bytes(data)
    header, names = ["t", "i", "j", "k", "v", "q"], ["t", "i", "j", "k", "v"]

    def whole():
        try:
            return baci_parse._parse(path, path.name).table.to_pydict()
        except DataFileError as exc:
            return str(exc)

    def piece():
        try:
            body = bytearray(data[data.index(b"\n") + 1 :])
            return baci_stream._piece(memoryview(body), header, names).to_pydict()
        except baci_stream._Anomaly:
            return "an anomaly: read whole"

    fast = whole(), piece()
    monkeypatch.setattr(baci_parse, "_plain", lambda data: False)
    monkeypatch.setattr(baci_stream, "_plain", lambda data: False)
    assert (whole(), piece()) == fast
    if baci_parse._plain(data):  # read as integers at once: the codes as numbers
        assert isinstance(fast[0], dict) and isinstance(fast[1], dict), fast
        assert set(fast[0]["i"]) <= {842, 410, 156, 516} and fast[0] == fast[1]


@pytest.mark.parametrize(
    "cell",
    ["1881.19\x0b", "1881.19\x0c", "+5", " 7 ", "\t7", "1e3", "١٢", "abc", "", "1_000", "0x1F"],
)
def test_a_value_is_read_by_the_rule_every_layout_reads_a_figure_by(cell, tmp_path):
    # common.number is how every layout reads a figure: BACI too, where Arrow's cast refuses.
    from korus.readers import baci_parse
    from korus.readers.common import number

    path = tmp_path / "BACI_HS92_Y2016_V202301.csv"
    path.write_text(f"t,i,j,k,v,q\n2016,842,410,010121,10.5,\n2016,842,410,010122,{cell},\n")
    try:
        expected = number(cell, file="", where="")
    except DataFileError:
        expected = None
    if expected is None:
        with pytest.raises(DataFileError) as refused:
            baci_parse._parse(path, path.name)
        assert str(refused.value) == (
            f"{path.name}: line 3, column 'v': expected a value in thousands of US dollars, "
            f"found {cell!r}"
        )
    else:
        assert baci_parse._parse(path, path.name).table["v"].to_pylist() == [10.5, expected]


@pytest.mark.parametrize("cached", [False, True], ids=["csv", "cache"])
def test_strict_refuses_rows_not_read_never_rows_not_asked_for(runner, tmp_path, cached):
    """--strict refuses a file with rows it could not read as data, as in every layout;
    the pair push-down's other pairs (counted, "not asked for") are the question's scope,
    as a Comtrade+ file's other partners are, never a fault of the file."""
    from korus import cache

    folder = tmp_path / "baci"
    path = release(folder)
    cache.set_enabled(cached)
    try:
        env = {"KORUS_CACHE_DIR": str(tmp_path / "cache")}
        if cached:
            assert runner.invoke(cli, ["cache", "build", str(path)], env=env).exit_code == 0
        questions = [
            ["deficit", "--years", "2021"],
            ["partners", "--reporter", "USA", "--year", "2021"],
            ["sectors", "--year", "2021", "--flow", "imports"],
        ]
        for question in questions:
            command = [*question, "--data", str(path), "--format", "csv", "--unit", "usd"]
            plain = runner.invoke(cli, command, env=env)
            strict = runner.invoke(cli, [*command, "--strict"], env=env)
            assert plain.exit_code == 0, plain.output
            assert (strict.exit_code, strict.stdout) == (0, plain.stdout), strict.output
        # A row that is no flow between two countries (a country with itself) is refused.
        write_data(path, [*ROWS, ("2021", "842", "842", "010121", "1", "")])
        refused = runner.invoke(
            cli, ["deficit", "--years", "2021", "--data", str(path), "--strict"], env=env
        )
        assert refused.exit_code == 1
        assert refused.stderr.startswith(f"Error: {path}: --strict: 1 rows set aside (1 "), (
            refused.stderr
        )
        assert "not asked for" not in refused.stderr
    finally:
        cache.set_enabled(None)
