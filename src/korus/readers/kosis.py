"""Korea's own trade statistics (KOSIS, figures of the Korea Customs Service): reporter KOR.

Two layouts:

``kosis-annual``: Korea's exports to and imports from each partner, one row per partner and
year, **US dollars**: ``iso3c, country, year, export, import, total_export, total_import,
export_kosis, import_kosis, export_cow, import_cow, export_cons_2015, import_cons_2015,
total_export_cons_2015, total_import_cons_2015, updated_at``. This is the ``trade_data``
table of the R package kdiplo (github.com/kjayhan/kdiplo, MIT), built from KOSIS table
DT_1R11006_FRM101 (exports and imports by country) and, where KOSIS has no figure, from the
Correlates of War bilateral trade data set; its documentation (``R/data.R``) says so:

- ``export_kosis`` / ``import_kosis`` are the KOSIS figures: korus reads these. ``export``
  and ``import`` equal them where KOSIS has a figure and hold the Correlates of War estimate
  where it has none (all of 1949-1964, and some small partners later). Those estimates are
  not Korea's statistics (they come from partners' reports via the IMF): they are not read,
  and a row with nothing else is set aside with that reason. A file without the
  ``_kosis`` columns is read from ``export`` and ``import`` as given, with a note.
- ``total_export`` / ``total_import`` are Korea's world totals, repeated on every row of a
  year. They are read once a year as partner ``WLD``, after checking that every row of the
  year gives the same figure; they add no rows to the accounting (each row is counted once,
  for its partner figures). The partners are checked to add up to the world total (a gap of
  more than 0.1% is noted: Korea's imports from partners the file lacks).
- the ``_cons_2015`` columns are constant 2015 dollars computed by kdiplo: not read.
- ``NA`` is R's missing value in the figure columns, but in the code column it is
  Namibia's ISO alpha-2 code, never a missing value. Codes of former territories (ANT, FXX,
  NTZ, PCZ, YMD, ...) are kept as korus's former-country codes.
- the vintage is the file's ``updated_at`` and the last year it covers.

``kosis-monthly``: a KOSIS monthly table, ``"Country","Date",Exports,Imports``, dates
``2017.09``, **thousands of US dollars**. A spreadsheet that held the dates as numbers
writes October ``2017.10`` as ``2017.1``: a ``YYYY.1`` date is read as October when the
rows around it prove it (it follows September or precedes November of its year), as January
when they prove that (it follows December or precedes February), and is otherwise an error
asking for the dates as text. A blank or ``-`` figure is a month without a figure.

Valuation (both layouts): Korea's exports FOB, imports CIF.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from korus import countries, trust
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.common import is_digits, read_csv
from korus.schema import Accounting, Reading

LAYOUTS = ("kosis-annual", "kosis-monthly")
LAYOUT = LAYOUTS[0]
DESCRIPTION = "KOSIS (Korea Customs Service): Korea's trade by partner, annual or monthly"
REPORTER = "KOR"
BASIS = {"export": "FOB", "import": "CIF"}
SOURCE_ANNUAL = "KOSIS (Korea Customs Service), exports and imports by country, annual"
SOURCE_MONTHLY = "KOSIS (Korea Customs Service), exports and imports by country, monthly"

ANNUAL_REQUIRED = ["iso3c", "country", "year", "export", "import"]
MONTHLY_HEADER = ["country", "date", "exports", "imports"]
MISSING = {"", "NA"}  # R's missing value in the annual file's figure columns
MONTHLY_MISSING = {"", "-"}  # KOSIS writes "-" where there is no figure
TOLERANCE = 0.001  # parts against the world total: 0.1%

_DATE = re.compile(r"^(\d{4})\.\s*(\d{1,2})$", re.ASCII)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$", re.ASCII)


def sniff(sample) -> str | None:
    """Return the KOSIS layout of a file (by its header), or None."""
    if sample.kind != "text":
        return None
    header = [cell.casefold() for cell in sample.cells(0)]
    if set(ANNUAL_REQUIRED) <= set(header):
        return "kosis-annual"
    if header[:4] == MONTHLY_HEADER:
        first = sample.cells(1)
        if len(first) >= 2 and _DATE.match(first[1]):
            return "kosis-monthly"
    return None


def read_layout(path: Path, layout: str) -> Reading:
    """Return the canonical frame of a KOSIS file in the given layout."""
    if layout == "kosis-monthly":
        return read_monthly(path)
    if layout == "kosis-annual":
        return read_annual(path)
    raise DataFileError(f"unknown KOSIS layout {layout!r}; korus knows {', '.join(LAYOUTS)}")


def read(path: Path) -> Reading:
    """Return the canonical frame of a KOSIS file, whichever of the two layouts it is in."""
    from korus.readers.common import take_sample

    layout = sniff(take_sample(Path(path)))
    if layout is None:
        raise DataFileError(
            f"{path}: not a KOSIS table (expected the header 'iso3c,country,year,export,"
            'import,...\' or \'"Country","Date",Exports,Imports\')'
        )
    return read_layout(path, layout)


def _value(text: str, missing: set[str], *, file: str, line: int, column: str) -> float | None:
    """A figure as a float; a missing marker is None; anything else is an error."""
    text = text.strip()
    if text in missing:
        return None
    cleaned = text.replace(",", "")
    if not _NUMBER.match(cleaned):
        shown = ", ".join(repr(m) for m in sorted(missing))
        raise DataFileError(
            f"{file}: line {line}, column {column!r}: expected a number (or {shown} for no "
            f"figure), found {text!r}"
        )
    return float(cleaned)


def _rows(table) -> list[dict[str, str]]:
    """The table's rows as dicts of text (faster than pandas' row access); a cell a short
    line lacks is empty."""
    names = list(table.columns)
    columns = [
        [value if isinstance(value, str) else "" for value in table[name].tolist()]
        for name in names
    ]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _columns(table, name: str, required: list[str]) -> dict[str, str]:
    """Map the lower-case column names the reader uses to the file's own spelling."""
    found = {column.strip().casefold(): column for column in table.columns}
    missing = [column for column in required if column not in found]
    if missing:
        raise DataFileError(f"{name}: missing KOSIS columns {missing}")
    return found


# --------------------------------------------------------------------------- annual


def read_annual(path: Path) -> Reading:
    """Return the canonical frame of a KOSIS annual by-partner table and its accounting."""
    import pandas as pd

    name = str(path)
    table = read_csv(path)  # every cell as text; "NA" stays "NA"
    columns = _columns(table, name, ANNUAL_REQUIRED)
    accounting = Accounting(file=name, layout="kosis-annual", rows_read=len(table))
    if table.empty:
        raise DataFileError(f"{name}: the file has a header but no data rows")

    has_kosis = "export_kosis" in columns and "import_kosis" in columns
    figure_columns = (
        {"export": columns["export_kosis"], "import": columns["import_kosis"]}
        if has_kosis
        else {"export": columns["export"], "import": columns["import"]}
    )
    filled_columns = {"export": columns["export"], "import": columns["import"]}
    for extra in ("export_cow", "import_cow"):
        if extra in columns:
            filled_columns[extra] = columns[extra]
    total_columns = {
        flow: columns[f"total_{flow}"]
        for flow in ("export", "import")
        if f"total_{flow}" in columns
    }
    used = {
        "iso3c",
        "country",
        "year",
        "export",
        "import",
        "export_kosis",
        "import_kosis",
        "export_cow",
        "import_cow",
        "total_export",
        "total_import",
        "updated_at",
    }
    constant = sorted(c for c in columns if c.endswith("_cons_2015"))
    other = sorted(c for c in columns if c not in used and c not in constant)
    if constant:
        accounting.notes.append(
            f"columns {', '.join(constant)} (constant 2015 dollars, computed by the file's "
            "compiler) are not read"
        )
    if other:
        accounting.notes.append(f"columns not read: {', '.join(other)}")
    if not has_kosis:
        accounting.notes.append(
            "the file has no export_kosis/import_kosis columns: export and import read as "
            "given (the file does not say which figures are KOSIS's own)"
        )

    records = []  # (line, the file's partner code, year, partner, flow, value)
    totals: dict[tuple[int, str], dict[float, int]] = defaultdict(dict)  # value -> first line
    totals_missing: dict[tuple[int, str], int] = defaultdict(int)
    partner_sums: dict[tuple[int, str], float] = defaultdict(float)
    world_rows: dict[tuple[int, str], tuple[float, int]] = {}
    not_kosis = {"export": 0, "import": 0}
    differ = 0
    for index, row in enumerate(_rows(table)):
        line = index + 2  # the header is line 1

        year_text = row[columns["year"]].strip()
        if not is_digits(year_text, 4):
            raise DataFileError(
                f"{name}: line {line}, column {columns['year']!r}: year {year_text!r} is not "
                "a 4-digit year"
            )
        year = int(year_text)
        for flow, column in total_columns.items():
            value = _value(row[column], MISSING, file=name, line=line, column=column)
            if value is None:
                totals_missing[(year, flow)] += 1
            else:
                totals[(year, flow)].setdefault(value, line)

        figures = {
            flow: _value(row[column], MISSING, file=name, line=line, column=column)
            for flow, column in figure_columns.items()
        }
        filled = {
            key: _value(row[column], MISSING, file=name, line=line, column=column)
            for key, column in filled_columns.items()
        }
        for flow in ("export", "import"):
            if figures[flow] is None and (
                filled.get(flow) is not None or filled.get(f"{flow}_cow") is not None
            ):
                not_kosis[flow] += 1
            elif (
                has_kosis
                and figures[flow] is not None
                and filled.get(flow) is not None
                and filled[flow] != figures[flow]
            ):
                differ += 1

        code = row[columns["iso3c"]].strip()
        country_name = row[columns["country"]].strip()
        partner = _partner(code, country_name)
        if not any(value is not None for value in figures.values()):
            if any(value is not None for value in filled.values()):
                accounting.set_aside_rows(
                    "no KOSIS figure: only a Correlates of War estimate that the file's "
                    "compiler filled in (not Korea's statistics)",
                    1,
                )
            else:
                accounting.set_aside_rows("no figures (export and import are NA)", 1)
            continue
        if partner is None:
            accounting.set_aside_rows(f"partner code not known to korus ({code} {country_name})", 1)
            continue
        if partner == "WLD" and total_columns:
            # The world as a partner row: the world totals are read from the total columns.
            accounting.set_aside_rows(
                "world row (Korea's world totals are read from total_export/total_import)", 1
            )
            for flow, value in figures.items():
                if value is not None:
                    world_rows[(year, flow)] = (value, line)
            continue
        accounting.rows_kept += 1
        for flow, value in figures.items():
            if value is not None:
                records.append((line, code or country_name, year, partner, flow, value))
                if not countries.is_group(partner):
                    partner_sums[(year, flow)] += value

    if not_kosis["export"] or not_kosis["import"]:
        accounting.notes.append(
            f"{not_kosis['export']} export and {not_kosis['import']} import figures are "
            "Correlates of War estimates the file's compiler filled in where KOSIS has none: "
            "not read"
        )
    if differ:
        accounting.notes.append(
            f"{differ} figures of export/import differ from export_kosis/import_kosis: the "
            "KOSIS figures are read"
        )

    world = _world_totals(name, totals, totals_missing, world_rows, accounting)
    records.extend(
        (None, "WLD", year, "WLD", flow, value) for (year, flow), value in sorted(world.items())
    )
    _check_parts(world, partner_sums, accounting)

    frame = pd.DataFrame(
        records, columns=["line", "origin", "year", "partner", "flow", "value_usd"]
    )
    frame["line"] = frame["line"].astype("Int64")
    if frame.empty:
        raise DataFileError(f"{name}: the file holds no KOSIS figure")
    last_year = int(frame["year"].max())
    updated = ""
    if "updated_at" in columns:
        stamps = sorted({s.strip() for s in table[columns["updated_at"]] if s.strip()})
        if stamps:
            updated = f"file updated {stamps[-1]}; "
    frame["month"] = pd.array([pd.NA] * len(frame), dtype="Int8")
    frame["reporter"] = REPORTER
    frame["product"] = "TOTAL"
    frame["classification"] = "none"
    frame["source"] = SOURCE_ANNUAL
    frame["basis"] = frame["flow"].map(BASIS)
    frame["vintage"] = (
        f"{updated}data through {last_year}"
        if updated
        else f"data through {last_year}; release not stated in the file"
    )
    accounting.origin_label = "partner codes"
    return trust.settle(Reading(frame, [accounting]), order=["partner", "year", "flow"])


def _partner(code: str, country_name: str) -> str | None:
    """The korus code of a partner: the ISO alpha-3 code, else the code or name resolved.

    ``NA`` (Namibia's alpha-2 code, as some tables write it) resolves to NAM.
    """
    if code:
        try:
            return countries.lookup(code).code
        except UnknownCountryError:
            pass
        try:
            return countries.resolve(code).code
        except UnknownCountryError:
            pass
    if country_name:
        try:
            return countries.resolve(country_name).code
        except UnknownCountryError:
            pass
    return None


def _world_totals(name, totals, totals_missing, world_rows, accounting) -> dict:
    """Korea's world total per (year, flow), checked to be the same on every row of a year."""
    world: dict[tuple[int, str], float] = {}
    for (year, flow), values in sorted(totals.items()):
        if len(values) > 1:
            (first, first_line), (second, second_line) = list(values.items())[:2]
            raise DataFileError(
                f"{name}: total_{flow} for {year} is {first:,.0f} on line {first_line} but "
                f"{second:,.0f} on line {second_line}; Korea's world total must be the same "
                "on every row of a year"
            )
        world[(year, flow)] = next(iter(values))
        if totals_missing.get((year, flow)):
            accounting.notes.append(
                f"total_{flow} for {year} is NA on {totals_missing[(year, flow)]} rows and "
                f"{world[(year, flow)]:,.0f} on the others: that figure is read"
            )
    for key, (value, line) in world_rows.items():
        stated = world.get(key)
        if stated is None:
            world[key] = value
        elif abs(stated - value) > TOLERANCE * abs(stated):
            accounting.notes.append(
                f"line {line}: the world row's {key[1]} for {key[0]} ({value:,.0f}) differs "
                f"from total_{key[1]} ({stated:,.0f}); total_{key[1]} is read"
            )
    if world:
        years = sorted({year for year, _ in world})
        accounting.notes.append(
            "Korea's world totals are repeated on every row of a year: read once a year as "
            f"partner WLD ({len(years)} years, {years[0]}-{years[-1]}), every row of each "
            "year checked to give the same figure"
        )
    return world


def _check_parts(world, partner_sums, accounting) -> None:
    """Note the years in which the partners do not add up to Korea's world total."""
    for flow in ("export", "import"):
        gaps = []
        for (year, kind), total in sorted(world.items()):
            if kind != flow or not total:
                continue
            parts = partner_sums.get((year, flow), 0.0)
            share = (parts - total) / total
            if abs(share) > TOLERANCE:
                gaps.append(f"{year} {share * 100:+.2f}%")
        if gaps:
            accounting.notes.append(
                f"the partners' {flow}s differ from Korea's world total by more than 0.1% in "
                f"{len(gaps)} years (partners minus total, as a share of the total): "
                f"{', '.join(gaps)}"
            )


# --------------------------------------------------------------------------- monthly


def read_monthly(path: Path) -> Reading:
    """Return the canonical frame of a KOSIS monthly table (thousands of USD)."""
    import pandas as pd

    name = str(path)
    table = read_csv(path)
    columns = _columns(table, name, MONTHLY_HEADER)
    accounting = Accounting(file=name, layout="kosis-monthly", rows_read=len(table))
    if table.empty:
        raise DataFileError(f"{name}: the file has a header but no data rows")

    parsed = []  # (line, partner, country text, year, month or None when ambiguous, raw date)
    partners: dict[str, str] = {}
    rows = _rows(table)
    for index, row in enumerate(rows):
        line = index + 2
        text = row[columns["date"]].strip()
        match = _DATE.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise DataFileError(
                f"{name}: line {line}, column {columns['date']!r}: date {text!r} is not "
                "YYYY.MM (e.g. 2017.09)"
            )
        year, digits = int(match.group(1)), match.group(2)
        month = None if digits == "1" else int(digits)
        country_text = row[columns["country"]].strip()
        if country_text not in partners:
            try:
                partners[country_text] = countries.resolve(country_text).code
            except UnknownCountryError as exc:
                raise DataFileError(
                    f"{name}: line {line}, column {columns['country']!r}: {exc}"
                ) from None
        parsed.append((line, partners[country_text], year, month, text))

    months = _resolve_months(name, parsed, accounting)

    records = []
    for row, (line, partner, year, _, _), month in zip(rows, parsed, months, strict=True):
        values = {
            flow: _value(
                row[columns[column]],
                MONTHLY_MISSING,
                file=name,
                line=line,
                column=columns[column],
            )
            for flow, column in (("export", "exports"), ("import", "imports"))
        }
        if all(value is None for value in values.values()):
            accounting.set_aside_rows("no figures (exports and imports blank)", 1)
            continue
        accounting.rows_kept += 1
        for flow, value in values.items():
            if value is not None:
                records.append((line, year, month, partner, flow, value * 1e3))

    frame = pd.DataFrame(records, columns=["line", "year", "month", "partner", "flow", "value_usd"])
    if frame.empty:
        raise DataFileError(f"{name}: the file holds no figure")
    last = frame.sort_values(["year", "month"]).iloc[-1]
    frame["month"] = frame["month"].astype("Int8")
    frame["reporter"] = REPORTER
    frame["product"] = "TOTAL"
    frame["classification"] = "none"
    frame["source"] = SOURCE_MONTHLY
    frame["basis"] = frame["flow"].map(BASIS)
    frame["vintage"] = (
        f"data through {int(last['year'])}-{int(last['month']):02d}; release not stated in the file"
    )
    accounting.repeat_hint = (
        "if the dates went through a spreadsheet, export them as text (2017.10, not 2017.1)"
    )
    return trust.settle(Reading(frame, [accounting]), order=["partner", "year", "month", "flow"])


def _resolve_months(name: str, parsed: list, accounting: Accounting) -> list[int]:
    """Return each row's month, deciding dates written ``YYYY.1`` from the rows around them.

    A spreadsheet that held ``2017.10`` as a number writes it ``2017.1``; a table written
    without leading zeros writes January ``2017.1``. The neighbouring rows of the same
    partner decide: after September or before November it is October; after December or
    before February it is January. Anything else is an error.
    """
    months: list[int | None] = [month for _, _, _, month, _ in parsed]
    october, january = [], []
    for i, (line, partner, year, month, text) in enumerate(parsed):
        if month is not None:
            continue
        before = _neighbour(parsed, i, -1, partner)
        after = _neighbour(parsed, i, 1, partner)
        says_october = before == (year, 9) or after == (year, 11)
        says_january = before == (year - 1, 12) or after == (year, 2)
        if says_october and not says_january:
            months[i] = 10
            october.append(line)
        elif says_january and not says_october:
            months[i] = 1
            january.append(line)
        else:
            raise DataFileError(
                f"{name}: line {line}: date {text!r} could be January or October (a "
                f"spreadsheet writes {year}.10 as {year}.1) and the rows around it do not "
                "tell which; export the dates as text (2017.01, 2017.10)"
            )
    if october:
        accounting.notes.append(
            f"{len(october)} dates written YYYY.1 follow September or precede November of "
            "their year: read as October (a spreadsheet wrote YYYY.10 as the number YYYY.1); "
            f"lines {', '.join(map(str, october[:12]))}{' ...' if len(october) > 12 else ''}"
        )
    if january:
        accounting.notes.append(
            f"{len(january)} dates written YYYY.1 follow December or precede February: read "
            "as January"
        )
    return months


def _neighbour(parsed: list, index: int, step: int, partner: str) -> tuple[int, int] | None:
    """(year, month) of the nearest row of the same partner before or after, if its month
    is certain."""
    position = index + step
    while 0 <= position < len(parsed):
        _, other, year, month, _ = parsed[position]
        if other == partner:
            return (year, month) if month is not None else None
        position += step
    return None
