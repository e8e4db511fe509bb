"""A real UN Comtrade+ website download, read as the website wrote it: Thailand's imports of
HS 8542 (integrated circuits) from every partner, 2014-2024, cp1252, every field quoted,
one delimiter more than the header at the end of every data row.

Expected figures come from the file itself, read here with the csv module alone, and from
the published checks (imports from 490 in 2023 = 7,326,313,642 USD, from the World in 2024
= 24,427,995,898 USD, both to the dollar).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from conftest import shared_file
from korus import readers
from korus.cli import cli

DOWNLOAD = "downloads/comtradeplus_download_tha_imports_hs8542_2014_2024.csv"
VARIANT = "comtrade-plus-csv (website download: trailing delimiter, cp1252)"
TAIWAN_NOTE = (
    "Other Asia, nes (XOA, UN Comtrade code 490) is kept as an area of its own: UN Comtrade "
    "uses it for Taiwan in practice, but korus does not relabel it Taiwan (TWN)"
)


@pytest.fixture(scope="module")
def download():
    return shared_file(DOWNLOAD)


@pytest.fixture(scope="module")
def rows(download) -> list[dict]:
    """The download's data rows as the csv module reads them: the header's 47 names, the
    empty 48th field of each row left off."""
    text = download.read_bytes().decode("cp1252")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header = records[0]
    return [dict(zip(header, record[: len(header)], strict=True)) for record in records[1:]]


@pytest.fixture(scope="module")
def reading(download):
    return readers.load([download])


def cents(text: str) -> float:
    """A figure of the file to the cent, as korus keeps it."""
    return float(Decimal(text).quantize(Decimal("0.01"), ROUND_HALF_EVEN))


def figure(rows: list[dict], year: str, partner: str) -> str:
    (value,) = [
        row["primaryValue"]
        for row in rows
        if row["refYear"] == year and row["partnerCode"] == partner
    ]
    return value


def korus_value(reading, year: int, partner: str) -> float:
    frame = reading.frame
    (value,) = frame.loc[(frame["year"] == year) & (frame["partner"] == partner), "value_usd"]
    return float(value)


def test_the_download_is_detected_as_a_comtrade_plus_csv(download):
    assert readers.detect(download) == "comtrade-plus-csv"


def test_the_download_is_recognised_as_the_websites_variant(reading):
    assert reading.accounting[0].variant == "website download: trailing delimiter, cp1252"


def test_every_data_row_of_the_download_is_read_and_kept(reading, rows):
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept, account.set_aside) == (len(rows), len(rows), {})


def test_imports_from_other_asia_nes_in_2023_are_7_326_313_642_dollars(reading, rows):
    value = korus_value(reading, 2023, "XOA")
    assert value == cents(figure(rows, "2023", "490")) == 7_326_313_641.82
    assert round(value) == 7_326_313_642


def test_imports_from_the_world_in_2024_are_24_427_995_898_dollars(reading, rows):
    value = korus_value(reading, 2024, "WLD")
    assert value == cents(figure(rows, "2024", "0")) == 24_427_995_897.78
    assert round(value) == 24_427_995_898


def test_other_asia_nes_is_never_relabelled_taiwan_and_a_note_says_why(reading):
    assert "TWN" not in set(reading.frame["partner"])
    assert TAIWAN_NOTE in reading.accounting[0].notes


def test_each_partner_code_of_the_download_is_its_own_korus_partner(reading, rows):
    by_year = Counter(row["refYear"] for row in rows)
    codes = {row["partnerCode"] for row in rows}
    frame = reading.frame
    assert frame["partner"].nunique() == len(codes)
    assert frame.groupby("year").size().to_dict() == {int(y): n for y, n in by_year.items()}


def test_every_figure_of_the_download_is_kept_to_the_cent(reading, rows):
    frame = reading.frame
    for year in sorted({row["refYear"] for row in rows}):
        expected = sorted(Decimal(row["primaryValue"]) for row in rows if row["refYear"] == year)
        found = sorted(Decimal(str(v)) for v in frame.loc[frame["year"] == int(year), "value_usd"])
        # Within half a cent: korus keeps cents, the file gives up to three decimals.
        gaps = [abs(a - b) for a, b in zip(found, expected, strict=True)]
        assert max(gaps) <= Decimal("0.005"), year


# ------------------------------------------------------------------------------ CLI


def test_inspect_names_the_websites_variant_and_the_note_on_taiwan(runner, download):
    result = runner.invoke(cli, ["inspect", str(download), "--format", "json"])
    assert result.exit_code == 0, result.output
    fields = json.loads(result.stdout)
    assert [f["value"] for f in fields if f["field"] == "layout"] == [VARIANT]
    assert TAIWAN_NOTE in [f["value"] for f in fields if f["field"] == "note"]


def partners(runner, download, *options: str) -> list[dict]:
    result = runner.invoke(
        cli,
        [
            "partners",
            "--reporter",
            "THA",
            "--by",
            "imports",
            "--data",
            str(download),
            "--format",
            "csv",
            "--unit",
            "usd",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_partners_gives_other_asia_nes_first_in_2023_with_its_figure(runner, download):
    table = partners(runner, download, "--year", "2023")
    first = table[0]
    assert (first["rank"], first["partner"], first["partner_name"]) == (
        "1",
        "XOA",
        "Other Asia, nes",
    )
    assert float(first["imports_usd"]) == 7_326_313_641.82
    assert round(float(first["imports_usd"])) == 7_326_313_642


def test_partners_ranks_every_partner_of_the_download_in_2023(runner, download, rows):
    table = partners(runner, download, "--year", "2023")
    # Every partner but the World (a group, left out of a ranking of partners).
    of_2023 = [row for row in rows if row["refYear"] == "2023" and row["partnerCode"] != "0"]
    assert [row["rank"] for row in table] == [str(n) for n in range(1, len(of_2023) + 1)]
    expected = sorted((cents(row["primaryValue"]) for row in of_2023), reverse=True)
    assert [float(row["imports_usd"]) for row in table] == expected


def test_partners_with_groups_gives_the_world_total_of_2024(runner, download):
    table = partners(runner, download, "--year", "2024", "--groups")
    world = [row for row in table if row["partner"] == "WLD"]
    assert [float(row["imports_usd"]) for row in world] == [24_427_995_897.78]
    assert round(float(world[0]["imports_usd"])) == 24_427_995_898


def test_an_encoding_given_wins_over_the_websites_own(runner, download):
    data = download.read_bytes()
    at = next(index for index, byte in enumerate(data) if byte > 127)
    line = data.count(b"\n", 0, at) + 1
    column = at - data.rindex(b"\n", 0, at)
    result = runner.invoke(cli, ["inspect", str(download), "--encoding", "utf-8"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {download}: line {line}, column {column}: byte 0x{data[at]:02X} is not utf-8 "
        "text; if the file is in another encoding, say which with --encoding (e.g. "
        "--encoding cp1252 for a Windows export)\n"
    )
