"""The column-wise readers against a plain computation of what a file says.

The Census API and DataWeb readers parse a file a column at a time (Arrow, each distinct
cell worked out once) and keep the rules a row at a time only for the rows a column-wise
check cannot vouch for. These tests write files whose contents are known, row by row, and
hold the readers to them: the same figures and row accounting, and a bad cell anywhere in
a file (deep inside the part Arrow reads) named with its own line and column.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from korus.errors import DataFileError
from korus.readers import census_api, columns, usitc

CENSUS = {"5800": "KOR", "1220": "CAN", "2010": "MEX", "5880": "JPN", "4280": "DEU"}
DATAWEB = {"Korea, South": "KOR", "Canada": "CAN", "Mexico": "MEX", "Japan": "JPN"}
PRODUCTS = ["010121", "330499", "870323", "870410", "999999"]


def _csv_text(rows: list[list[str]], ending: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=ending).writerows(rows)
    return out.getvalue()


# --------------------------------------------------------------------------- Census API

census_rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(CENSUS)),
        st.sampled_from(PRODUCTS),
        st.integers(1, 11),  # never all twelve months: no month is filled in as zero
        st.integers(0, 10**9),
    ),
    min_size=1,
    max_size=150,
    unique_by=lambda row: row[:3],
)


@given(census_rows, st.sampled_from(["csv", "json"]), st.integers(0, 3), st.randoms())
@settings(max_examples=40)
def test_census_api_reads_what_the_rows_say(tmp_path_factory, rows, kind, blanks, rng):
    """Every row is a figure of its partner, product and month; blank rows are counted."""
    header = ["CTY_CODE", "I_COMMODITY", "time", "GEN_VAL_MO"]
    cells = [
        [code, product, f"2016-{month:02d}", str(value)] for code, product, month, value in rows
    ]
    for _ in range(blanks):
        cells.insert(rng.randint(0, len(cells)), ["", "", "", ""])
    path = tmp_path_factory.mktemp("census") / f"answer.{kind}"
    if kind == "json":
        path.write_text(json.dumps([header, *cells]))
    else:
        path.write_text(_csv_text([header, *cells]))

    reading = census_api.read(path)

    expected = sorted(
        (CENSUS[code], product, 2016, month, float(value)) for code, product, month, value in rows
    )
    frame = reading.frame
    found = sorted(
        zip(
            frame["partner"],
            frame["product"],
            frame["year"].astype(int),
            frame["month"].astype(int),
            frame["value_usd"],
            strict=True,
        )
    )
    assert found == expected
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (len(cells), len(rows))
    assert account.set_aside == ({"blank row": blanks} if blanks else {})
    assert list(frame["partner"]) == sorted(frame["partner"])  # sorted as before


@given(st.integers(0, 4999), st.sampled_from(["x1", "", "1,234", "inf", "12 34"]))
@settings(max_examples=15)
def test_census_api_bad_cell_deep_in_a_file_is_named_with_its_line(tmp_path_factory, at, cell):
    header = ["CTY_CODE", "I_COMMODITY", "time", "GEN_VAL_MO"]
    rows = [
        [code, product, f"2016-{month:02d}", str(1000 + index)]
        for index, (code, product, month) in enumerate(
            (code, f"{number:06d}", month)
            for number in range(100)
            for code in sorted(CENSUS)
            for month in range(1, 11)
        )
    ]
    rows[at][3] = cell
    path = tmp_path_factory.mktemp("census") / "bad.csv"
    path.write_text(_csv_text([header, *rows]))
    shown = repr(cell) if cell.strip() else "'an empty cell'"
    with pytest.raises(DataFileError) as error:
        census_api.read(path)
    assert str(error.value) == (
        f"{path}: line {at + 2}, column 'GEN_VAL_MO': expected a number, found {shown}"
    )


def test_census_api_the_first_bad_row_is_named_whatever_its_kind(tmp_path):
    """A bad period deep in the file comes before a bad figure further down."""
    header = ["CTY_CODE", "I_COMMODITY", "time", "GEN_VAL_MO"]
    rows = [["5800", f"{n:06d}", "2016-01", "5"] for n in range(3000)]
    rows[2500][3] = "abc"
    rows[1700][2] = "2016-13"
    path = tmp_path / "two.csv"
    path.write_text(_csv_text([header, *rows]))
    with pytest.raises(DataFileError, match=r"line 1702, column 'time': period '2016-13'"):
        census_api.read(path)


# --------------------------------------------------------------------------- DataWeb

dataweb_rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(DATAWEB)),
        st.sampled_from(PRODUCTS),
        st.integers(2015, 2016),
        st.integers(1, 12),
        st.integers(0, 10**8),
    ),
    min_size=1,
    max_size=200,
    unique_by=lambda row: row[:4],
)


def _dataweb(rows, blank_after: set[int], ending: str) -> tuple[str, list[int]]:
    """Return a DataWeb CSV (long months) of ``rows`` and the line of each row."""
    lines = [
        ["General Imports|Monthly data", "", "", "", "", "", ""],
        ["Data Row Count", str(len(rows)), "", "", "", "", ""],
        ["Data Type", "Country", "HTS Number", "Description", "Year", "Month", "Customs Value"],
    ]
    places = []
    for index, (country, product, year, month, cents) in enumerate(rows):
        value = f"{cents // 100}.{cents % 100:02d}"
        lines.append(
            ["General Customs Value", country, product, "a, b", str(year), str(month), value]
        )
        places.append(len(lines))
        if index in blank_after:
            lines.append([])
    total = sum(cents for *_, cents in rows)
    lines.append(["Total: ", "", "", "", "", "", f"{total // 100:,}.{total % 100:02d}"])
    return _csv_text(lines, ending), places


@given(dataweb_rows, st.sets(st.integers(0, 199), max_size=3), st.sampled_from(["\n", "\r\n"]))
@settings(max_examples=40)
def test_dataweb_reads_what_the_rows_say(tmp_path_factory, rows, blank_after, ending):
    blank_after = {index for index in blank_after if index < len(rows) - 1}
    text, _ = _dataweb(rows, blank_after, ending)
    path = tmp_path_factory.mktemp("dataweb") / "DataWeb-Query-Export.csv"
    path.write_bytes(text.encode())

    reading = usitc.read(path)

    expected = sorted(
        (DATAWEB[country], product, year, month, round(cents / 100, 2))
        for country, product, year, month, cents in rows
    )
    frame = reading.frame
    found = sorted(
        zip(
            frame["partner"],
            frame["product"],
            frame["year"].astype(int),
            frame["month"].astype(int),
            frame["value_usd"],
            strict=True,
        )
    )
    assert found == expected
    account = reading.accounting[0]
    aside = {"Total: row (the sum of the rows above, not a country)": 1}
    if blank_after:
        aside = {"blank line": len(blank_after), **aside}
    assert account.set_aside == aside
    assert (account.rows_read, account.rows_kept) == (len(rows) + len(blank_after) + 1, len(rows))


@given(
    st.integers(0, 2999),
    st.sampled_from(["x1", "1 2", "١٢.٠", "--5"]),
    st.sets(st.integers(0, 2999), max_size=2),
    st.sampled_from(["\n", "\r\n"]),
)
@settings(max_examples=15)
def test_dataweb_bad_cell_deep_in_a_file_is_named_with_its_line(
    tmp_path_factory, at, cell, blank_after, ending
):
    rows = [
        (country, f"{number:06d}", 2016, month, 100 * number + month)
        for number in range(63)
        for country in sorted(DATAWEB)
        for month in range(1, 13)
    ][:3000]
    text, places = _dataweb(rows, blank_after, ending)
    lines = text.split(ending)
    line = places[at]
    good = lines[line - 1]
    lines[line - 1] = good[: good.rindex(",") + 1] + cell
    path = tmp_path_factory.mktemp("dataweb") / "bad.csv"
    path.write_bytes(ending.join(lines).encode())
    if cell == "١٢.٠":  # Python reads other digits as a figure, as before
        reading = usitc.read(path)
        assert 12.0 in set(reading.frame["value_usd"])
        return
    with pytest.raises(DataFileError) as error:
        usitc.read(path)
    assert str(error.value) == (
        f"{path}: line {line}, column 'Customs Value': expected a number or a blank cell, "
        f'found {cell!r} (DataWeb writes figures as 1234.00 or "1,234")'
    )


# --------------------------------------------------------------------------- helpers


@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b c", "", " ", '"q"', "1,2"]), min_size=3, max_size=3),
        min_size=1,
        max_size=80,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.lists(st.integers(0, 80), max_size=4),
)
def test_text_grid_places_rows_at_their_lines_as_csv_reader_does(rows, ending, blanks):
    text = _csv_text(rows, ending)
    lines = text.split(ending)
    for at in sorted(blanks, reverse=True):
        lines.insert(min(at, len(lines) - 1), "")
    text = ending.join(lines)
    grid = columns.text_grid(text, 7, csv.field_size_limit())
    reader = csv.reader(io.StringIO(text, newline=""))
    expected = [(reader.line_num + 6, cells) for cells in reader]
    if grid is None:  # left to csv.reader: only where Arrow could read otherwise
        return
    assert list(grid.positions) == [line for line, _ in expected]
    for at, (_, cells) in enumerate(expected):
        assert grid.row(at) == (cells or [""] * len(grid.columns))


@given(
    st.lists(
        st.one_of(
            st.integers(-(10**20), 10**20).map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.text(alphabet="0123456789.,-+eE _\t", max_size=12),
            st.text(max_size=5),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_figures_read_as_float_reads_them(cells):
    import pyarrow as pa

    values, sure = columns.figures(pa.array(cells, type=pa.string()))
    for cell, value, vouched in zip(cells, values, sure, strict=True):
        if not vouched:
            continue
        assert np.isfinite(value)
        assert value == float(cell.strip())
