"""The column-wise readers against a plain computation of what a file says.

The Census API, DataWeb and Comtrade+ readers parse a file a column at a time (Arrow, each distinct
cell worked out once) and keep the rules a row at a time only for the rows a column-wise
check cannot vouch for. These tests write files whose contents are known, row by row, and
hold the readers to them: the same figures and row accounting, and a bad cell anywhere in
a file (deep inside the part Arrow reads) named with its own line and column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fixtures.layouts import COMTRADE_PLUS_FIELDS
from korus.errors import DataFileError
from korus.readers import census_api, columns, comtrade_plus, figure_text, usitc

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
        st.lists(st.sampled_from(["a", "b c", "", '"q"', "1,2", "é"]), min_size=3, max_size=3),
        min_size=0,
        max_size=40,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["", "h,e,ad\n", "h,e,ad\r\n", "x\r", "\n\n", "a,b,c\r\n\r\n"]),
    st.booleans(),
    st.booleans(),
)
def test_text_grid_of_bytes_from_a_start_is_the_grid_of_those_bytes(
    rows, ending, head, last, blank_lines
):
    # The rows after a header read where they are in the file's bytes (``start``) give the
    # grid, or the refusal, of the same bytes copied out.
    body = (_csv_text(rows, ending) if rows else "") + (ending if last else "")
    data = (head + body).encode("utf-8")
    start = len(head.encode("utf-8"))
    rest = data[start:]
    for keep, width in ((None, 0), ([0, 2], 3)):
        options = {"blank_lines": blank_lines, "keep": keep, "width": width}
        alone = columns.text_grid(rest, 3, csv.field_size_limit(), **options)
        within = columns.text_grid(data, 3, csv.field_size_limit(), start=start, **options)
        assert (alone is None) == (within is None)
        if alone is not None:
            assert list(alone.positions) == list(within.positions)
            assert [None if c is None else c.to_pylist() for c in alone.columns] == [
                None if c is None else c.to_pylist() for c in within.columns
            ]


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

    values, sure = figure_text.figures(pa.array(cells, type=pa.string()))
    for cell, value, vouched in zip(cells, values, sure, strict=True):
        if not vouched:
            continue
        assert np.isfinite(value)
        assert value == float(cell.strip())


def _as_pieces(cells: list[str], cuts: list[int], large: bool):
    """Return ``cells`` as Arrow text in chunks cut at ``cuts``, each a slice of a larger
    array (as a parsed file's columns are: chunks, and slices that start inside them)."""
    kind = pa.large_string() if large else pa.string()
    bounds = sorted({0, len(cells), *(cut % (len(cells) + 1) for cut in cuts)})
    chunks = [
        pa.array(["9", *cells[a:b], "x"], type=kind).slice(1, b - a)
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    return pa.chunked_array(chunks, type=kind)


_PLAIN = re.compile(r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$")  # one number, as Arrow reads it
_ODD = ["", " 1", "1\t", "1,234", "1e5", "+5", "5.", "-.5", "-", ".", "nan", "1" * 400, "٣"]
_NUMBERISH = st.one_of(
    st.text(alphabet="0123456789.-", min_size=0, max_size=8),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda value: f"{value:.3f}"),
    st.sampled_from(_ODD),
)


@given(
    st.lists(_NUMBERISH, min_size=1, max_size=40),
    st.lists(st.integers(0, 40), max_size=3),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.tuples(st.integers(0, 40), st.sampled_from(_ODD))),
)
@settings(max_examples=300)
def test_figures_read_at_once_are_the_figures_read_by_pattern(cells, cuts, large, plain, odd):
    """A column of plain numbers is read at once (``plain_numbers``); the figures and what
    is vouched for are exactly those of each cell held to the pattern, in every reader."""
    from korus.readers import usitc_table

    if plain:  # (most columns of real files: every cell a number)
        cells = [cell if _PLAIN.match(cell) else "0" for cell in cells]
        if odd is not None:  # (one cell of another kind among them)
            cells[odd[0] % len(cells)] = odd[1]
    column = _as_pieces(cells, cuts, large)
    values, sure = figure_text.figures(column)
    expected_values, expected_sure = figure_text.figures_by_pattern(column)
    assert np.array_equal(sure, expected_sure)
    assert np.array_equal(values[sure], expected_values[sure])
    found = usitc_table._figure_cells(column, len(cells))
    expected = usitc_table._figure_cells_by_pattern(column)
    for got, want in zip(found, expected, strict=True):
        assert np.array_equal(got, want)
    at_once = figure_text.plain_numbers(column, b"0123456789.-")
    if all(_PLAIN.match(cell) and math.isfinite(float(cell)) for cell in cells):
        assert at_once is not None and at_once[1].all()  # (the fast road, where it can be)
    if at_once is not None:
        values, plain = at_once
        assert [float(cell) for cell in np.array(cells)[plain]] == values[plain].tolist()
        assert all(_PLAIN.match(cell) for cell in np.array(cells)[plain])


_EDGES = ["", " ", "\t", "\x1c", "\u00a0", "\u3000", "NA", "na", "1", "42", "é", "Total", "~"]


@given(
    st.lists(st.lists(st.sampled_from(_EDGES), max_size=3).map("".join), max_size=40),
    st.lists(st.integers(0, 40), max_size=3),
    st.booleans(),
    st.sampled_from([{"", "NA"}, {""}, {"Total", "42"}, {"é"}]),
)
@example([" NA", "NA\u3000", "\u00a0NA", "NA\x1c", " ", "N A", "42", "é "], [3], False, {"", "NA"})
@example(["Total ", " 42", "\t", "42", "Total", "é", "~ ", " ~"], [], True, {"Total", "42"})
@settings(max_examples=300)
def test_cells_judged_by_their_bytes_are_judged_as_python_judges_each(cells, cuts, large, texts):
    """What ``stripped_among`` (Arrow's kernels) and DataWeb's blank rows (a cell's first
    byte, read off the column's bytes, then Arrow's search for the others) say of each cell
    is what Python says of it (``str.strip``, a visible ASCII character), in chunks and
    slices of either width."""
    from korus.readers import usitc_table

    column = _as_pieces(cells, cuts, large)
    assert columns.stripped_among(column, texts).tolist() == [c.strip() in texts for c in cells]
    empty, seen = usitc_table._empty_and_seen(column)
    assert empty.tolist() == [cell == "" for cell in cells]
    assert seen.tolist() == [any("!" <= ch <= "~" for ch in cell) for cell in cells]


def test_plain_numbers_reads_plain_cells_and_leaves_the_others_to_the_pattern():
    digits = b"0123456789.-"
    for odd in ("", " 2", "2\t", "1,234", "1e5", "+5", "nan", "٣"):
        values, plain = figure_text.plain_numbers(pa.array(["1", odd, "3", "4"]), digits)
        assert plain.tolist() == [True, False, True, True], odd
        assert values[plain].tolist() == [1, 3, 4]
    for cells in (["1", "1" * 400], ["1.2.3", "2"], ["-", "2"], ["a", "b", "1"]):
        assert figure_text.plain_numbers(pa.array(cells), digits) is None, cells
    assert figure_text.plain_numbers(pa.array(["5.", "-.5"]), digits)[0].tolist() == [5, -0.5]
    _, plain = figure_text.plain_numbers(pa.array(["5.", "6", "7", "8"]), digits, point_last=False)
    assert plain.tolist() == [False, True, True, True]


# ------------------------------------------------------------------------- Comtrade+

# Comtrade partner codes -> (ISO, korus code); a description with the characters where
# cp1252 and UTF-8 differ, and a comma.
PLUS = {
    "410": ("KOR", "KOR"),
    "124": ("CAN", "CAN"),
    "384": ("CIV", "CIV"),
    "392": ("JPN", "JPN"),
    "0": ("W00", "WLD"),
}
# How a row is set aside (or kept: "aggregate"), and the reason korus gives.
PLUS_ASIDE = {
    "customs": "breakdown by customs procedure (the aggregate row is kept)",
    "transport": "breakdown by mode of transport (the aggregate row is kept)",
    "services": "services (typeCode S): korus reads trade in goods",
    "DX": "flow DX (domestic exports): part of the main flows, never added to them",
}


def _plus_row(code: str, flow: str, product: str, cents: int, kind: str = "aggregate") -> dict:
    """A Comtrade+ record of the USA's trade in 2016, every field as the API's CSV has it."""
    row = dict.fromkeys(COMTRADE_PLUS_FIELDS, "")
    row.update(
        typeCode="S" if kind == "services" else "C",
        freqCode="A",
        refPeriodId="20160101",
        refYear="2016",
        refMonth="52",
        period="2016",
        reporterCode="842",
        reporterISO="USA",
        reporterDesc="USA",
        flowCode="DX" if kind == "DX" else flow,
        partnerCode=code,
        partnerISO=PLUS[code][0],
        partnerDesc="Côte d'Ivoire, Rep." if code == "384" else "a partner",
        partner2Code="0",
        classificationCode="H4",
        cmdCode=product,
        cmdDesc="Goods, others",
        aggrLevel=str(len(product)),
        customsCode="C01" if kind == "customs" else "C00",
        mosCode="0",
        motCode="1000" if kind == "transport" else "0",
        primaryValue=f"{cents // 100}.{cents % 100:02d}",
    )
    return row


def _plus_file(path, rows: list[dict], kind: str, blank_before: set[int] = frozenset()):
    """Write Comtrade+ rows as the API's CSV, the website's download (every field quoted,
    a trailing delimiter, cp1252) or the JSON answer; a CSV has a blank line before each
    row of ``blank_before``. Return the line (the record) of each row."""
    if kind == "json":
        data = [
            {
                field: (_float_or_text(value) if field == "primaryValue" else value)
                for field, value in row.items()
            }
            for row in rows
        ]
        path.write_text(json.dumps({"count": len(data), "data": data, "error": ""}))
        return list(range(1, len(rows) + 1))
    lines, places = [",".join(COMTRADE_PLUS_FIELDS)], []
    for index, row in enumerate(rows):
        if index in blank_before:
            lines.append("")
        if kind == "website":
            cells = [f'"{row[field]}"' if row[field] else "" for field in COMTRADE_PLUS_FIELDS]
            lines.append(",".join(cells) + ",")
        else:
            lines.append(_csv_text([[row[field] for field in COMTRADE_PLUS_FIELDS]]).rstrip("\n"))
        places.append(len(lines))
    text = "\n".join(lines) + "\n"
    path.write_bytes(text.encode("cp1252" if kind == "website" else "utf-8"))
    return places


def _float_or_text(text: str):
    try:
        return float(text)
    except ValueError:
        return text


plus_rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(PLUS)),
        st.sampled_from(["M", "X", "RX"]),
        st.sampled_from(PRODUCTS[:4]),
        st.integers(0, 10**12),
        st.sampled_from(["aggregate"] * 4 + sorted(PLUS_ASIDE)),
    ),
    min_size=1,
    max_size=150,
    unique_by=lambda row: row[:3],
)


@given(plus_rows, st.sampled_from(["csv", "website", "json"]), st.sets(st.integers(0, 150)))
@settings(max_examples=40)
def test_comtrade_plus_reads_what_the_rows_say(tmp_path_factory, rows, kind, blanks):
    """The aggregate rows are the figures; every other row is set aside for its reason,
    counted in order of first appearance; blank lines are no rows."""
    rows = [("410", "M", PRODUCTS[4], 5, "aggregate"), *rows]  # never services alone
    path = tmp_path_factory.mktemp("plus") / f"answer.{kind}"
    _plus_file(path, [_plus_row(*row) for row in rows], kind, blanks)

    reading = comtrade_plus.read(path)

    flows = {"M": "import", "X": "export", "RX": "re-export"}
    kept = [row for row in rows if row[4] == "aggregate"]
    expected = sorted(
        (PLUS[code][1], flows[flow], product, cents / 100) for code, flow, product, cents, _ in kept
    )
    frame = reading.frame
    found = sorted(
        zip(frame["partner"], frame["flow"], frame["product"], frame["value_usd"], strict=True)
    )
    assert found == expected
    assert set(frame["year"]) <= {2016} and frame["month"].isna().all()
    assert set(frame["classification"]) <= {"HS2012"}
    aside: dict[str, int] = {}
    for *_, how in rows:
        if how != "aggregate":
            aside[PLUS_ASIDE[how]] = aside.get(PLUS_ASIDE[how], 0) + 1
    account = reading.accounting[0]
    assert (account.rows_read, account.rows_kept) == (len(rows), len(kept))
    assert list(account.set_aside.items()) == list(aside.items())
    # The website's download is cp1252 where a name is not ASCII (Côte d'Ivoire).
    encoding = "cp1252" if any(row[0] == "384" for row in rows) else "utf-8"
    website = f"website download: trailing delimiter, {encoding}" if kind == "website" else ""
    assert account.variant == website


def _plus_rows(count: int) -> list[dict]:
    codes = sorted(PLUS)
    return [
        _plus_row(codes[index % 5], "MX"[index // 5 % 2], f"{100000 + index // 10}", 1000 + index)
        for index in range(count)
    ]


BAD_PLUS_CELLS = {
    "flowCode": (
        "Z",
        "field 'flowCode': unknown flow code 'Z' (expected X, M, RX, RM or 1, 2, 3, 4)",
    ),
    "primaryValue": ("1,234", "field 'primaryValue': expected a number, found '1,234'"),
    "partnerCode": (
        "9999",
        "field 'partnerCode': partner code '9999' (ISO 'ZZZ', a partner) is not a Comtrade "
        "area korus knows",
    ),
    "period": (
        "2017",
        "field 'period': annual period '2017' is not its year '2016'; years and months are "
        "ASCII digits: fix the cell, or download the data again",
    ),
    "cmdCode": (
        "100",
        "field 'cmdCode': product code '100' is not TOTAL or a 2, 4 or 6 digit HS code "
        "(leading zeros lost in a spreadsheet?)",
    ),
}


@given(
    st.integers(0, 2999),
    st.sampled_from(sorted(BAD_PLUS_CELLS)),
    st.sampled_from(["csv", "website", "json"]),
    st.integers(0, 3000),
)
@settings(max_examples=15)
def test_comtrade_plus_first_bad_cell_deep_in_a_file_is_named_with_its_line(
    tmp_path_factory, at, field, kind, blank
):
    """A bad cell anywhere is named with its own line (or record); a bad cell of another
    kind further down is not the one named."""
    rows = _plus_rows(3000)
    if field == "partnerCode":  # a code korus does not know, and no ISO code it knows
        rows[at].update(partnerISO="ZZZ", partnerDesc="a partner")
    rows[at][field] = BAD_PLUS_CELLS[field][0]
    if at + 1 < len(rows):
        rows[-1]["flowCode" if field != "flowCode" else "primaryValue"] = "?"
    path = tmp_path_factory.mktemp("plus") / f"bad.{kind}"
    places = _plus_file(path, rows, kind, {blank})
    word = "record" if kind == "json" else "line"
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == f"{path}: {word} {places[at]}, {BAD_PLUS_CELLS[field][1]}"


def test_comtrade_plus_figure_in_other_digits_is_read_as_python_reads_it(tmp_path):
    """A figure Arrow cannot vouch for (Arabic-Indic digits) is read by the rule of one
    row: Python's float of its text."""
    rows = _plus_rows(2000)
    rows[1234]["primaryValue"] = "١٢٣٤"
    path = tmp_path / "digits.csv"
    _plus_file(path, rows, "csv")
    frame = comtrade_plus.read(path).frame
    expected = [(1000 + index) / 100 for index in range(2000) if index != 1234] + [1234.0]
    assert sorted(frame["value_usd"]) == sorted(expected)
    korea = frame[(frame["partner"] == "KOR") & (frame["product"] == "100123")]
    korea_imports = korea[korea["flow"] == "import"]
    assert korea_imports["value_usd"].tolist() == [1234.0]


@pytest.mark.parametrize("kind", ["csv", "website"])
def test_comtrade_plus_repeated_header_deep_in_a_file_is_named_with_its_line(tmp_path, kind):
    rows = _plus_rows(2500)
    rows[1800] = dict(zip(COMTRADE_PLUS_FIELDS, COMTRADE_PLUS_FIELDS, strict=True))
    path = tmp_path / "joined.csv"
    places = _plus_file(path, rows, "csv")
    if kind == "website":  # the website's own header: bare, no trailing delimiter
        _plus_file(path, rows, "website")
        text = path.read_bytes().decode("cp1252").split("\n")
        text[places[1800] - 1] = ",".join(COMTRADE_PLUS_FIELDS)
        path.write_bytes("\n".join(text).encode("cp1252"))
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line {places[1800]} repeats the header (two downloads joined into one "
        "file?); korus cannot know where one ends: remove the repeated header, or give the "
        "downloads as separate files"
    )


def test_comtrade_plus_filled_last_field_deep_in_a_download_is_named_with_its_line(tmp_path):
    rows = _plus_rows(2500)
    path = tmp_path / "TradeData.csv"
    places = _plus_file(path, rows, "website", {700})
    lines = path.read_bytes().split(b"\n")
    lines[places[2100] - 1] += b'"x"'
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line {places[2100]}: the field after the 47 of the header holds 'x', where "
        "the website's download leaves it empty (text added after the row, or a row shifted "
        "by a stray delimiter?); fix or remove the row"
    )


def test_comtrade_plus_field_named_twice_with_two_values_deep_in_a_file(tmp_path):
    rows = _plus_rows(2000)
    path = tmp_path / "twice.csv"
    places = _plus_file(path, rows, "csv")
    lines = path.read_text().split("\n")
    lines[0] += ",ref_year"
    for index, place in enumerate(places):
        lines[place - 1] += ",2015" if index == 1500 else ("," if index % 2 else ",2016")
    path.write_text("\n".join(lines))
    with pytest.raises(DataFileError) as error:
        comtrade_plus.read(path)
    assert str(error.value) == (
        f"{path}: line {places[1500]}: the field is given twice with different values, "
        "refYear '2016' and ref_year '2015'; korus cannot know which is right: keep one of them"
    )


@given(
    st.lists(st.text(alphabet=" \t\x1c\xa0\u2003NAx\x85é", max_size=4), min_size=1, max_size=60),
    st.sampled_from([{"", "NA"}, {""}, {"x"}]),
)
def test_stripped_among_judges_cells_as_str_strip_does(cells, texts):
    import pyarrow as pa

    found = columns.stripped_among(pa.chunked_array([pa.array(cells)]), texts)
    assert list(found) == [cell.strip() in texts for cell in cells]


@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.integers(0, 3), st.sampled_from(["H6", "H6", "H5"])),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from([None, "a", "z"]),
)
def test_joint_codes_give_each_rows_tuple(rows, put):
    # Columns of one value (left out of the key), one varying column or several; a value
    # put into a row by an exact reading (codes then not in order of first appearance).
    import pyarrow as pa

    coded = [columns.Coded.of(pa.array([row[n] for row in rows])) for n in range(3)]
    if put is not None:
        coded[0].put(len(rows) - 1, put)
        rows = [*rows[:-1], (put, *rows[-1][1:])]
    for chosen in ([0, 1, 2], [0, 2], [2], [1]):
        joint = columns.joint_codes([coded[n] for n in chosen])
        tuples = [tuple(row[n] for n in chosen) for row in rows]
        assert [joint.values[code] for code in joint.codes] == tuples
        assert joint.values == list(dict.fromkeys(tuples))  # in order of first appearance
        assert joint.codes.dtype == np.int32
    pair = columns.pair_codes(coded[0], coded[1])
    pairs = [row[:2] for row in rows]
    assert [pair.values[code] for code in pair.codes] == pairs
    assert pair.values == list(dict.fromkeys(pairs))


@pytest.mark.parametrize(
    "encoding", [None, "utf-8", "cp1252", "latin-1", "iso-8859-15", "utf-16", "cp500", "utf-8-sig"]
)
@pytest.mark.parametrize(
    "content",
    [
        b'a,b\n1,"x, y"\n2,z\n',  # ASCII only: read as it is where the encoding allows
        b"a,b\n1,Cura\xc3\xa7ao\n",  # UTF-8 text
        b"a,b\n1,Cura\xe7ao\n",  # cp1252 / Latin-1 text: not UTF-8
        b"\xef\xbb\xbfa,b\n1,2\n",  # a byte-order mark
        b"a,b\n1,\x002\n",  # a NUL: a binary file
    ],
    ids=["ascii", "utf-8", "cp1252", "bom", "nul"],
)
def test_text_columns_read_bytes_as_their_decoded_text(tmp_path, encoding, content):
    """``text_columns`` hands Arrow a file's bytes as they are where they are ASCII and the
    encoding reads ASCII as itself; in every encoding and content it gives the cells (or
    the error) of the file's text decoded and read by the exact reader."""
    from korus.readers.common import ENCODING, read_csv

    path = tmp_path / "data.csv"
    path.write_bytes(content)
    token = ENCODING.set(encoding)
    try:
        try:
            header, cells = columns.text_columns(path)
            found = ("read", header, [column.to_pylist() for column in cells])
        except DataFileError as exc:
            found = ("error", str(exc))
        try:
            frame = read_csv(path, header=None)
            rows = frame.fillna("").astype(str).to_numpy().tolist()
            width = range(len(rows[0]))
            expected = ("read", rows[0], [[row[n] for row in rows[1:]] for n in width])
        except DataFileError as exc:
            expected = ("error", str(exc))
    finally:
        ENCODING.reset(token)
    assert found == expected


@pytest.mark.parametrize("encoding", [None, "cp1252", "latin-1", "cp500", "utf-16"])
@pytest.mark.parametrize(
    "content", [b"ab,c\r\nde\n", b"a\xc3\xa7,b\nc\n", b"a\xe7,b\n", b"\xef\xbb\xbfa,b\n"]
)
def test_the_tail_of_a_text_is_its_utf8_bytes(tmp_path, encoding, content):
    """``utf8_tail`` gives the UTF-8 bytes of the decoded text from a character on, in
    every encoding, the file's own bytes only where they are those."""
    from korus.readers.common import ENCODING, decode, utf8_tail

    token = ENCODING.set(encoding)
    try:
        try:
            text = decode(content, tmp_path / "data.csv")
        except DataFileError:
            return  # (not text in this encoding: the reader says so first)
        for start in range(len(text) + 1):
            assert utf8_tail(content, text, start) == text[start:].encode("utf-8")
    finally:
        ENCODING.reset(token)


@settings(max_examples=600)
@given(st.text(alphabet='ab,"\n\r ', min_size=1, max_size=40))
def test_quotes_found_at_field_edges_leave_no_quote_in_a_cell(text):
    """Where ``quoted_whole_fields`` says every quote opens or closes a whole field, the
    cells Arrow reads hold no quote: the search of every cell it stands for would have
    found none (and the reading is the same as with it)."""
    data = text.encode()
    if not columns.quoted_whole_fields(data)[1]:
        return
    table = columns._arrow_table(data)
    if table is not None:
        assert not any(columns._holds(column, '"') for column in table.columns), text


def test_quotes_in_a_cell_are_not_at_field_edges():
    """The search is still made where a quote is inside a cell, escaped or left open."""
    for text in ['a,"b""c"\n', 'a,b"c\n', 'a,b"\n"c\n', 'a,"b" ,c\n', '"a"b,c\n']:
        assert not columns.quoted_whole_fields(text.encode())[1], text
    for text in ['a,"b,c"\n', 'a,"b\nc"\r\n', 'a,"",b\n', '"a","b"']:
        assert columns.quoted_whole_fields(text.encode())[1], text


@settings(max_examples=800)
@given(
    st.lists(
        st.sampled_from(
            [
                b"a",
                b",",
                b"\n",
                b"\xc3\xa7",
                b"\xe2\x82\xac",
                b"\xf0\x9f\x98\x80",
                b"\xef\xbb\xbf",
                b"\xff",
                b"\xc3",
                b"\xed\xa0\x80",
                b"\x00",
            ]
        ),
        max_size=30,
    ),
    st.integers(0, 40),
)
def test_the_head_of_utf8_text_is_the_start_of_its_decoded_text(pieces, limit):
    """``utf8_head`` gives None exactly where ``decode`` refuses the bytes (in UTF-8), and
    else the decoded text's start: every character of the first ``limit`` bytes that is
    whole in them."""
    from korus.readers.common import decode, utf8_head

    data = b"".join(pieces)
    head = utf8_head(data, limit)
    try:
        text = decode(data, Path("data.csv"))
    except DataFileError:
        assert head is None
        return
    # (a character the limit cuts is left out)
    assert head == data[:limit].decode("utf-8", errors="ignore").removeprefix("\ufeff")
    assert text.startswith(head)


@pytest.mark.parametrize("seed", range(20))
def test_line_feeds_counted_in_pieces_as_bytes_count_them(seed):
    from korus.readers.columns import _line_feeds

    rng = np.random.default_rng(seed)
    for _ in range(200):
        size = int(rng.integers(0, 80))
        data = bytes(rng.choice([10, 13, 44, 65], size=size).astype(np.uint8))
        start = int(rng.integers(0, size + 1))
        expected = (data.count(b"\n", start), data.find(b"\n\n", start) >= 0)
        for step in (1, 2, 3, 7, 1 << 24):  # (two line feeds on both sides of a piece's edge)
            assert _line_feeds(data, start, step) == expected


def _quoted_whole_fields_at_once(data: bytes) -> bool:
    """The rule, read off every quote of the bytes at once (the reference)."""
    at = [i for i, byte in enumerate(data) if byte == ord('"')]
    if len(at) % 2:
        return False
    edge = {ord(","), ord("\n"), ord("\r")}
    for opening, closing in zip(at[0::2], at[1::2], strict=True):
        if opening > 0 and data[opening - 1] not in edge:
            return False
        if closing < len(data) - 1 and data[closing + 1] not in edge:
            return False
    return True


@pytest.mark.parametrize("seed", range(20))
def test_quotes_judged_a_piece_at_a_time_as_all_at_once(seed):
    from korus.readers.columns import quoted_whole_fields

    rng = np.random.default_rng(seed)
    cells = [b"", b"a", b'"a"', b'"a,b"', b'""', b'"a""b"', b'a"', b'"a', b'"x\ny"', b'"']
    for _ in range(200):
        rows = []
        for _ in range(int(rng.integers(0, 5))):
            picked = rng.integers(0, len(cells) if seed % 2 else 6, size=int(rng.integers(1, 4)))
            rows.append(b",".join(cells[i] for i in picked))
        data = (b"\r\n" if seed % 3 == 0 else b"\n").join(rows)
        expected = _quoted_whole_fields_at_once(data)
        for step in (1, 2, 3, 5, 1 << 24):  # (a pair of quotes across a piece's edge)
            # (every quote counted, also those after the first out of place)
            assert quoted_whole_fields(data, step) == (data.count(b'"'), expected), (data, step)


def test_codes_of_wide_columns_pair_without_overflow():
    """Arrow's codes are int32: pairs and tuples of two columns of 70,000 values each
    (4.9e9 possible pairs) are told apart as the values themselves are."""
    rng = np.random.default_rng(5)
    first = [f"a{n}" for n in rng.integers(0, 70_000, 200_000)]
    second = [f"b{n}" for n in rng.integers(0, 70_000, 200_000)]
    a, b = columns.Coded.of(pa.array(first)), columns.Coded.of(pa.array(second))
    assert a.codes.dtype == np.int32 and len(a.values) > 60_000
    for joined in (columns.pair_codes(a, b), columns.joint_codes([a, b])):
        got = [joined.values[code] for code in joined.codes]
        assert got == list(zip(first, second, strict=True))
        assert len(joined.values) == len(set(zip(first, second, strict=True)))


@pytest.mark.parametrize("in_place", [False, True])
def test_a_record_longer_than_a_block_is_still_read_by_arrow(tmp_path, in_place):
    """Arrow parses in small blocks (less text in flight); a record longer than one, a cell
    of megabytes, is parsed in larger blocks, not left to the exact reading."""
    from korus.readers.filetext import LEAST, text_of

    long = "x" * (columns.BLOCKS[0] * 2) + "\n" + "y" * 100
    rows = ["a,b", "1,2", f'3,"{long}"', "4,5"]
    rows += ["6,7"] * ((LEAST // 4) if in_place else 10)  # past LEAST: read where it lies
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n")
    data = text_of(path) if in_place else path.read_bytes()
    assert (type(data) is not bytes) is in_place
    table = columns._arrow_table(data)
    assert table is not None
    cells = table.column(1)
    assert cells[2].as_py() == long and cells[3].as_py() == "5"
    assert table.num_rows == len(rows)
