"""USITC DataWeb downloads (XLSX or CSV): US trade by partner and product, as DataWeb writes it.

DataWeb (https://dataweb.usitc.gov) publishes the US Census Bureau's trade statistics. A
download is a workbook (``DataWeb-Query-Export.xlsx``, sometimes a CSV); its name is the same
for every query and is never taken as evidence of anything. What it holds:

- a **Query Parameters** sheet: the query as the user built it, one ``key, value`` row each,
  under step titles (``Step 1: Trade Flow and Classification System``...): download date,
  trade flow (General Imports, Imports for Consumption, Total Exports, Domestic Exports,
  Foreign Exports), classification system (HTS Items, SITC, NAICS), data to report
  (Customs Value, FAS Value, CIF Value, Landed Duty-Paid Value, Calculated Duties,
  quantities...), years and timeframe (annual, monthly; full years or year to date),
  countries (a list, or all) and whether they are broken out, commodities (all, or a list)
  with the digits they are broken out at, and programs, rate provisions and districts.
  korus reads it as the file's own description: what a data sheet does not say (product,
  partner, measure, unit, trade flow) comes from there, and where both say something they
  must agree. A CSV may carry the same ``key, value`` lines above its table.
- one or more **data sheets** (one per measure, named like "FAS Value", "Customs Value",
  "First Unit of Quantity"): a title row (``Domestic Exports|Annual Data``), a ``Data Row
  Count`` row, the header, the rows, and a ``Total:`` row of comma-grouped text numbers.
  The header has a ``Data Type`` column, and an ``HTS Number`` (or ``SITC Number``,
  ``NAICS Number``) column with ``Description``, and a ``Country`` column, as the query broke
  them out; its periods are one of:

  - a column per year: ``2021, 2022, 2023`` (annual data);
  - ``Year, January, ..., December`` (monthly data, a row per country-year);
  - a column per month: ``January 2023, ..., 2023-12``;
  - long: ``Year`` and a value column (``Value``, ``FAS Value``...), a row per year, or
    with ``Month`` too, a row per month.

Reading:

- reporter USA. Partners from the Country column by name ("Korea, South" is KOR; "All
  Countries" is the world, WLD, a group never added to countries). Without a Country column,
  the Query Parameters' countries give the partner: one country is that country, all
  countries the world total (WLD); several countries added together are no one partner and
  are refused.
- the measure of a row from its Data Type, else from its sheet's name, the value column's
  name or the Query Parameters' data to report; its trade flow from the data type where it
  names one ("General Customs Value"), else from the sheet's title or the Query Parameters
  (two sources that disagree are an error):

  ============================= ========= =============================================
  trade flow, measure           flow      basis
  ============================= ========= =============================================
  General Imports, customs      import    general imports, customs value
  Imports for Consumption       import    imports for consumption, customs value
  Total Exports, FAS            export    total exports, F.A.S.
  Domestic Exports, FAS         export    domestic exports, F.A.S. (no re-exports: noted)
  Foreign Exports, FAS          re-export foreign exports (re-exports), F.A.S.
  ============================= ========= =============================================

  CIF and landed duty-paid values, import charges, dutiable value, calculated duties,
  quantities, transport-mode values and balances are set aside with their reason, and a
  sheet of them is left aside, named in the accounting with why. One measure per flow:
  general imports before imports for consumption, total exports before domestic exports;
  one measure on two sheets is refused, never added.
- product: the code as text at the level the file gives (``3304.99`` -> ``"330499"``,
  chapter ``"01"`` keeps its zero), classification "HTS" (or "SITC", "NAICS"); without a
  product column, from the Query Parameters (all commodities: "TOTAL"; one code: that code)
  or the lines above the table ("HTS 3304.99", "All Commodities"); a file that does not say
  its product is refused. The coverage (all goods by chapter, a list of codes, one code) is
  noted.
- a query that selected import programs, rate provisions or districts holds only a part of
  US trade, and one broken out by district or program holds parts of each figure: both
  refused with the reason.
- blank cells are figures the file does not give, never zeros: no row. A ``Total:`` row
  and a ``Data Row Count`` are checked against the rows and noted.
- vintage: the download date the Query Parameters give, and the last period with a figure.

The machinery it reads with lives beside it: ``usitc_terms`` (DataWeb's words),
``usitc_sheets`` (the Query Parameters and the data sheets' shapes), ``usitc_fields`` (a
table's flow, measure, unit, product and partner) and ``usitc_table`` (a table's rows and
their checks).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from korus import trust
from korus.errors import DataFileError
from korus.readers.columns import Coded
from korus.readers.common import WORKBOOK_MAGIC, sheet_refusal
from korus.readers.same import put_same, sorted_rows
from korus.readers.usitc_fields import _refuse_parts
from korus.readers.usitc_sheets import (
    SHAPE_WORDS,
    Download,
    Query,
    TableReading,
    _columns,
    _csv_download,
    _is_query_sheet,
    _xlsx_download,
)
from korus.readers.usitc_table import _read_table
from korus.readers.usitc_terms import (
    DOMESTIC,
    HEADER_ROWS,
    MEASURES,
    PREFERRED,
    SET_ASIDE_MEASURE,
    _norm,
)
from korus.schema import Accounting, Reading

LAYOUT = "usitc-dataweb"
DESCRIPTION = "USITC DataWeb download (XLSX or CSV): US trade by country and product"
SOURCE = "USITC DataWeb (US Census Bureau trade data)"
REPORTER = "USA"


# --------------------------------------------------------------------------- reading


def read(path: Path) -> Reading:
    """Return the canonical frame of a DataWeb download (XLSX or CSV) and its row accounting."""
    path = Path(path)
    with open(path, "rb") as probe:
        is_xlsx = probe.read(4) in WORKBOOK_MAGIC  # .xlsx or an old binary .xls
    download = _xlsx_download(path) if is_xlsx else _csv_download(path)
    file = str(path)
    query = download.query
    if query:
        _refuse_parts(query, file)
    accounting = Accounting(file=file, layout=LAYOUT)
    accounting.repeat_hint = (
        "a query broken out by district or port gives a row per part: export it without "
        "breakdowns (one row per country and period)"
    )

    readings = []
    for table in download.tables:
        readings.append(_read_table(table, query, accounting))
        table.rows = table.rows.head(0)  # its cells are read: their memory is let go

    # One measure per flow: the preferred one present; the others' rows are set aside.
    rows_by_measure: dict[str, int] = defaultdict(int)
    tables_of: dict[str, list[TableReading]] = defaultdict(list)
    for reading in readings:
        for measure, count in reading.rows_by_measure.items():
            rows_by_measure[measure] += count
            tables_of[measure].append(reading)
    kept = set()
    for order in PREFERRED.values():
        present = [measure for measure in order if rows_by_measure.get(measure)]
        if present:
            kept.add(present[0])
            for other in present[1:]:
                accounting.set_aside_rows(SET_ASIDE_MEASURE[other], rows_by_measure[other])
    for measure in kept:
        if len(tables_of[measure]) > 1:
            # Two sheets of one measure: never added (korus cannot know which is meant).
            sheets = [reading.table.sheet or "the file" for reading in tables_of[measure]]
            raise DataFileError(sheet_refusal(file, sheets, frozenset(), MEASURES[measure][1]))
    if DOMESTIC in kept:
        accounting.notes.append(
            "exports are domestic exports only (US goods, without re-exports of foreign "
            "goods): lower than the Census's total exports, and kept under their own basis"
        )

    parts = []
    for reading in readings:
        count = sum(reading.rows_by_measure.get(measure, 0) for measure in kept)
        accounting.rows_kept += count
        if count:
            parts.append((reading, _frame(reading, kept), count))
        reading.figures = {}  # (in the frame now: their memory is let go)
        _note_sheet(reading, kept, download)
    _note_sheets(download, readings, accounting)
    if not parts:
        reasons = "; ".join(f"{n} {reason}" for reason, n in accounting.set_aside.items())
        raise DataFileError(
            f"{file}: the file holds no figure korus reads (set aside: {reasons or 'nothing'})"
        )
    accounting.variant = " / ".join(
        dict.fromkeys(_variant(download, reading) for reading, _, _ in parts)
    )
    vintage = _vintage([frame for _, frame, _ in parts], query)
    for _, frame, _ in parts:
        put_same(frame, vintage=vintage)
    frame = _settled(parts, accounting)
    frame = sorted_rows(frame, ["partner", "product", "flow", "year", "month"])
    # Each table passed the trust layer on its own (``_settled``); the tables are of
    # different flows, so no figure can be in two of them.
    return Reading(frame.reset_index(drop=True), [accounting], unique=True, settled=True)


def _frame(reading: TableReading, kept: set[str]):
    """Return the figures of a table's kept measures as a frame for the trust layer."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    figures = reading.figures
    frame = pd.DataFrame(
        {
            "line": figures["line"],
            "year": figures["year"],
            "month": pd.array(figures["month"], dtype="Int8"),
            "partner": figures["partner"],
            "measure": figures["measure"],
            "product": figures["product"],
            "value_usd": np.asarray(figures["value"], dtype="float64"),
        },
        copy=False,  # (the figures' own arrays, let go once the frame is made: no copy)
    )
    chosen = frame["measure"].isin(kept).to_numpy()
    if not chosen.all():
        frame = frame[chosen].reset_index(drop=True)
    measures = Coded.of(pa.array(frame["measure"].array))
    frame["flow"] = measures.map(lambda key: MEASURES[key][0]).strings(slice(None))
    frame["basis"] = measures.map(lambda key: MEASURES[key][1]).strings(slice(None))
    put_same(frame, reporter=REPORTER)
    total = (frame["product"] == "TOTAL").to_numpy()
    kinds = Coded(total.astype(np.int64), [reading.classification, "none"])
    frame["classification"] = kinds.strings(slice(None))
    put_same(frame, source=SOURCE)
    return frame.drop(columns="measure")


def _settled(parts: list[tuple], accounting: Accounting):
    """Return the frames of the tables read, each passed through the trust layer with its
    own places named (a row of one sheet is never called a row of another)."""
    import pandas as pd

    if len(parts) == 1:
        reading, frame, _ = parts[0]
        accounting.line_word = reading.table.line_word
        return trust.settle(Reading(frame, [accounting])).frame
    frames = []
    for reading, frame, count in parts:
        part = Accounting(
            file=accounting.file,
            layout=LAYOUT,
            rows_kept=count,
            line_word=reading.table.line_word,
            repeat_hint=accounting.repeat_hint,
        )
        frames.append(trust.settle(Reading(frame, [part])).frame)
        accounting.rows_kept -= count - part.rows_kept
        for reason, n in part.set_aside.items():
            accounting.set_aside_rows(reason, n)
        accounting.notes.extend(part.notes)
        accounting.warnings.extend(part.warnings)
    return pd.concat(frames, ignore_index=True)


def _vintage(frames: list, query: Query) -> str:
    """Return the vintage: the last period with a figure (of the tables' frames), and the
    download date if said."""
    import numpy as np

    years = np.concatenate([frame["year"].to_numpy(dtype="int64") for frame in frames])
    months = [frame["month"].to_numpy(dtype="float64", na_value=np.nan) for frame in frames]
    months = np.concatenate(months)
    dated = ~np.isnan(months)
    if dated.any():
        last = int(np.max(years[dated] * 13 + months[dated]))
        through = f"{last // 13}-{last % 13:02d}"
    else:
        through = str(int(years.max()))
    downloaded = query.get("download date") if query else ""
    if downloaded:
        return f"data through {through}; downloaded from DataWeb {downloaded}"
    return f"data through {through}; release not stated in the file"


def _note_sheet(reading: TableReading, kept: set[str], download: Download) -> None:
    """Record why a sheet none of whose rows is kept is left aside."""
    sheet = reading.table.sheet
    if sheet is None or any(reading.rows_by_measure.get(measure) for measure in kept):
        return
    reasons = [SET_ASIDE_MEASURE[measure] for measure, n in reading.rows_by_measure.items() if n]
    reasons += [reason for reason in reading.reasons if reason]
    download.left[sheet] = "; ".join(dict.fromkeys(reasons)) or "no figure korus reads"


def _note_sheets(download: Download, readings: list, accounting: Accounting) -> None:
    """Record in ``accounting`` the sheets read and left aside, and why each is left."""
    if download.container != "workbook":
        return
    read = {reading.table.sheet for reading in readings if reading.table.sheet not in download.left}
    accounting.sheets_read = [
        sheet for sheet in download.sheets if sheet in read or sheet == download.query_sheet
    ]
    accounting.sheets_left = [sheet for sheet in download.sheets if sheet in download.left]
    if download.query_sheet is not None:
        accounting.notes.append(
            f"sheet {download.query_sheet!r} read as the file's description of its query: "
            f"{_describe(download.query)}"
        )
    for sheet in accounting.sheets_left:
        accounting.notes.append(f"sheet {sheet!r} left aside: {download.left[sheet]}")


def _describe(query: Query) -> str:
    """Return what the Query Parameters say of the data, in a line."""
    countries_chosen = query.entries.get("countries", {})
    commodities = query.entries.get("commodities", {})
    years = ", ".join(
        text for text in (query.get("years"), query.get("timeframe aggregation")) if text
    )
    country = countries_chosen.get("country list") or countries_chosen.get("countries", "")
    if "all" in _norm(countries_chosen.get("select type", "")) or not country:
        country = countries_chosen.get("select type", "")
    commodity = commodities.get("commodity list") or commodities.get("commodities", "")
    if "all" in _norm(commodities.get("select type", "")) or not commodity:
        commodity = commodities.get("select type", "")
    level = commodities.get("commodity aggregation level", "")
    if level and "break out" in _norm(commodities.get("commodity aggregation", "")):
        commodity += f", broken out at {level} digits"
    said = [
        query.get("trade flow"),
        query.get("classification system"),
        query.get("data to report"),
        f"years {years}" if years else "",
        f"countries: {country}" if country else "",
        f"commodities: {commodity}" if commodity else "",
    ]
    return "; ".join(text for text in said if text) or "nothing korus reads"


def _variant(download: Download, reading: TableReading) -> str:
    """Return the variant of a table as ``korus inspect`` shows it."""
    container = download.container
    if download.query_sheet is not None:
        container += " with Query Parameters"
    elif download.query:
        container += " with query lines"
    parts = [SHAPE_WORDS[reading.table.columns.shape], reading.product_words, reading.partner_words]
    return f"{container}: {'; '.join(parts)}"


# --------------------------------------------------------------------------- detection


def sniff(sample) -> bool:
    """Return whether a file is a DataWeb download: a table header with a Data Type or HTS
    Number column and year or month columns, within its first rows or on one of its sheets
    (with a Query Parameters sheet, a header with a Country column will do)."""
    if sample.kind == "text":
        return any(
            (columns := _columns(sample.cells(i))) is not None and columns.identified
            for i in range(len(sample.lines))
        )
    if sample.kind == "xlsx":
        loose = any(_is_query_sheet(rows) for rows in sample.sheets.values())
        for rows in sample.sheets.values():
            for row in rows[:HEADER_ROWS]:
                columns = _columns(row)
                if columns is not None and (columns.identified or loose):
                    return True
    return False
