"""The fuzzer: mutated inputs of every kind korus reads, each judged against what korus
must answer for it (tests/test_fuzz.py runs a bounded set, tests/fuzz_long.py thousands).

A case is made from its seed alone (``make_case``), so any case replays from its seed:

    python tests/fuzz_long.py --seed 1234 --keep case1234

Kinds of input (``KINDS``), each mutated so that it stays recognisable and the readers'
deeper paths run:

- ``csv``: the corpus's text files and files written here in the covered layouts (korus
  tidy CSV, UN Comtrade legacy and Comtrade+ CSV, CEPII BACI): cells swapped or changed,
  numbers huge, negative, non-finite or oddly written, rows repeated, removed or cut, the
  file truncated, its encoding broken, its delimiter or line ends changed, gzipped;
- ``xlsx``: Census country workbooks written with openpyxl: cells made text, numbers,
  blanks, dates or booleans, rows repeated or removed, another or a hidden sheet, the
  header moved or its columns reordered;
- ``json``: Comtrade+ answers (``{"data": [...]}`` or a bare list) and Census API answers
  (arrays of arrays): values as strings, numbers, null or nested, keys renamed, doubled or
  missing, records repeated, removed or replaced, the JSON truncated;
- ``parquet``: korus tidy Parquet files written with pyarrow: columns of the wrong type,
  nulls, extra or missing columns, the schema metadata changed, bytes flipped;
- ``cache``: korus's own cache entry of a BACI year (built by a command, in a cache folder
  of the case's own), then damaged: bits flipped in its pages or footer, truncated, its key
  edited, a file replaced by another entry's or a part removed; then asked again.

Each case knows what korus must give (``fuzz_reference``): the figures and row accounting
of a reference reading of the mutated input, or of the input before a mutation that keeps
them; or that the input is not valid, when korus must end with one clean ``Error:`` line.
korus is asked ``inspect --format json`` (its accounting), ``convert -o -`` (every figure)
and a ``deficit`` question in CSV; a figure that differs by more than a cent is a wrong
figure, as a traceback or an "unexpected failure ... bug" is a failure.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import gzip
import io
import json
import math
import os
import random
import shutil
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

import fuzz_reference as ref

CORPUS = Path(__file__).resolve().parent / "corpus"
KINDS = ("csv", "xlsx", "json", "parquet", "cache")
WEIGHTS = (40, 15, 20, 12, 13)

# Outcomes of a case, from the worst: the first three are failures.
TRACEBACK = "traceback or unclean end"  # an exception, or not one clean Error: line
BUG = "this is a bug"  # korus's "unexpected failure ... this is a bug" line
WRONG = "wrong figures"  # a figure that differs, or figures for an invalid input
REFUSED = "refused a valid input"  # a clean error where the reference reads the input
ERROR = "clean error"  # one clean Error: line for an input that is not valid
RIGHT = "right figures"  # accepted, with the reference's figures
UNJUDGED = "accepted, not judged"  # accepted where no reference knows the figures
FAILURES = (TRACEBACK, BUG, WRONG)
ORDER = (TRACEBACK, BUG, WRONG, REFUSED, RIGHT, UNJUDGED, ERROR)


@dataclass(frozen=True)
class Cause:
    """A failure korus has today: what it does, what it should do, and how to tell it in
    a failure's words ("kind (layout): steps | outcome: detail", a regular expression)."""

    does: str
    should: str
    pattern: str


# The failures the fuzzer finds in korus today, by cause (python tests/fuzz_long.py names
# each failure's cause, or says it is new). None today: each cause found so far is fixed,
# and kept as a regression case (tests/corpus/cases-fuzz.toml, tests/test_corpus_fuzz_*.py).
KNOWN_CAUSES: dict[str, Cause] = {}

# Seeds of the known failures: every one in the bounded run of tests/test_fuzz.py (skipped
# there), and one or a few of each cause from the long run; test_fuzz.py holds each as a
# strict expected failure (fixed in korus: it passes, and the seed comes off this list).
KNOWN_FAILURES: dict[int, str] = {}


def cause_of(words: str) -> str | None:
    """Return the known cause of a failure told in words (``Result.problem``), or None."""
    import re

    for name, cause in KNOWN_CAUSES.items():
        if re.search(cause.pattern, words, re.S):
            return name
    return None


# ============================================================================ cases


@dataclass
class Case:
    """One mutated input and what korus must make of it."""

    seed: int
    kind: str
    layout: str  # the input's layout before mutation
    name: str  # the data file's name
    data: bytes  # its content
    steps: list[str] = field(default_factory=list)  # the mutations, in words
    companions: dict[str, bytes] = field(default_factory=dict)  # files beside it
    expected: ref.Reading | None = None  # None: no reference (crash check only)
    question: tuple[str, str, int] | None = None  # reporter, partner, year for deficit
    answer: ref.Reading | None = None  # the reading the question sees (BACI: its pair)
    dedupe: bool = False
    check_rows: bool = True  # compare the accounting of inspect
    cache: CachePlan | None = None
    stream: bool = False  # a BACI pair question read streamed (small pieces)

    def describe(self) -> str:
        return f"seed {self.seed}: {self.kind} ({self.layout}): " + "; ".join(self.steps)


@dataclass
class CachePlan:
    """How a cache case builds its entry, and the damage done to it."""

    damage: str
    year: int
    build_with: str  # the command that builds the entry: "cache build", "inspect"...
    row_group: int
    parts_from: int
    other: bytes  # a second file (BACI: the next year) whose entry a damage may take files from
    # Which entry is damaged: "baci" (a BACI year's own), "together" (the folder's two BACI
    # years kept together, asked about as a folder) or "reading" (the store's settled
    # reading of a file of another layout, ``korus.store``).
    entry: str = "baci"
    other_name: str = ""


def make_case(seed: int) -> Case:
    """Return the case of a seed: its kind, base input, mutations and expectation."""
    rng = random.Random(seed)
    kind = rng.choices(KINDS, WEIGHTS)[0]
    maker = {
        "csv": _csv_case,
        "xlsx": _xlsx_case,
        "json": _json_case,
        "parquet": _parquet_case,
        "cache": _cache_case,
    }[kind]
    case = maker(seed, rng)
    case.kind = kind
    return case


# ============================================================================ base tables

# Countries the generated files use: korus code -> (UN Comtrade numeric, name).
COMTRADE = {
    "USA": (842, "USA"),
    "KOR": (410, "Rep. of Korea"),
    "CHN": (156, "China"),
    "JPN": (392, "Japan"),
    "DEU": (276, "Germany"),
    "MEX": (484, "Mexico"),
    "WLD": (0, "World"),
}
PRODUCTS = {
    2: ["01", "27", "84", "85", "87"],
    4: ["0101", "2709", "8471", "8542", "8703"],
    6: ["010121", "270900", "847130", "854231", "870323"],
}


@dataclass
class Figure:
    year: int
    month: int | None
    reporter: str
    partner: str
    flow: str
    product: str
    value: float


def _base_figures(rng: random.Random, whole_dollars: bool = False) -> list[Figure]:
    """Return a small, valid table of trade: a reporter's flows with a few partners over a
    few years, all goods or one product level, some years also month by month."""
    reporter = rng.choice(["USA", "USA", "KOR"])
    partners = rng.sample([c for c in COMTRADE if c != reporter], k=rng.randint(1, 4))
    first = rng.randint(2010, 2021)
    years = list(range(first, first + rng.randint(1, 3)))
    flows = ["export", "import"] + (["re-export"] if rng.random() < 0.2 else [])
    level = rng.choice(["TOTAL", "TOTAL", 2, 4, 6, "both"])
    monthly = rng.random() < 0.3
    annual = not monthly or rng.random() < 0.5
    figures = []

    def value() -> float:
        amount = rng.choice([rng.uniform(1, 1e4), rng.uniform(1e4, 1e8), rng.uniform(1e8, 5e10)])
        return float(round(amount)) if whole_dollars else round(amount, rng.choice([0, 1, 2]))

    for year in years:
        for partner in partners:
            for flow in flows:
                if level == "both":
                    products = ["TOTAL", *rng.sample(PRODUCTS[2], 2)]
                elif level == "TOTAL":
                    products = ["TOTAL"]
                else:
                    products = rng.sample(PRODUCTS[level], rng.randint(1, 3))
                for product in products:
                    months = [value() for _ in range(12)] if monthly else None
                    if months:
                        figures += [
                            Figure(year, m, reporter, partner, flow, product, v)
                            for m, v in enumerate(months, 1)
                        ]
                    if annual:
                        total = round(sum(months), 2) if months else value()
                        figures.append(Figure(year, None, reporter, partner, flow, product, total))
    if rng.random() < 0.3:
        rng.shuffle(figures)
    return figures


def _question(rng: random.Random, figures: list[Figure]) -> tuple[str, str, int]:
    """Return a deficit question the table can answer (mostly), or one it cannot."""
    pairs = sorted({(f.reporter, f.partner, f.year) for f in figures})
    if not pairs or rng.random() < 0.1:
        return ("USA", rng.choice(["KOR", "CHN", "JPN"]), rng.randint(2010, 2023))
    return rng.choice(pairs)


def _number_text(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


# ---------------------------------------------------------------------------- korus tidy

TIDY_HEADER = ref.CANONICAL


def _tidy_rows(figures: list[Figure]) -> list[list[str]]:
    rows = []
    for f in figures:
        basis = "FOB" if f.flow in ("export", "re-export") else "CIF"
        rows.append(
            [
                str(f.year),
                "" if f.month is None else str(f.month),
                f.reporter,
                f.partner,
                f.flow,
                f.product,
                "none" if f.product == "TOTAL" else "HS2012",
                _number_text(f.value),
                "fuzz source",
                basis,
                "fuzz vintage",
            ]
        )
    return rows


# ---------------------------------------------------------------------------- Comtrade legacy

LEGACY_HEADER = [
    "Classification", "Year", "Period", "Period Desc.", "Aggregate Level", "Is Leaf Code",
    "Trade Flow Code", "Trade Flow", "Reporter Code", "Reporter", "Reporter ISO",
    "Partner Code", "Partner", "Partner ISO", "2nd Partner Code", "2nd Partner",
    "2nd Partner ISO", "Customs Proc. Code", "Customs", "Mode of Transport Code",
    "Mode of Transport", "Commodity Code", "Commodity", "Qty Unit Code", "Qty Unit", "Qty",
    "Alt Qty Unit Code", "Alt Qty Unit", "Alt Qty", "Netweight (kg)", "Gross weight (kg)",
    "Trade Value (US$)", "CIF Trade Value (US$)", "FOB Trade Value (US$)", "Flag",
]  # fmt: skip
LEGACY_FLOWS = {
    "import": ("1", "Import"),
    "export": ("2", "Export"),
    "re-export": ("3", "Re-Export"),
}


def _legacy_rows(rng: random.Random, figures: list[Figure]) -> list[list[str]]:
    rows = []
    for f in figures:
        code, name = LEGACY_FLOWS[f.flow]
        period = str(f.year) if f.month is None else f"{f.year}{f.month:02d}"
        iso = "WLD" if f.partner == "WLD" else f.partner
        cells = {
            "Classification": "H4",
            "Year": str(f.year),
            "Period": period,
            "Period Desc.": period,
            "Aggregate Level": "0" if f.product == "TOTAL" else str(len(f.product)),
            "Is Leaf Code": "0",
            "Trade Flow Code": code,
            "Trade Flow": name,
            "Reporter Code": str(COMTRADE[f.reporter][0]),
            "Reporter": COMTRADE[f.reporter][1],
            "Reporter ISO": f.reporter,
            "Partner Code": str(COMTRADE[f.partner][0]),
            "Partner": COMTRADE[f.partner][1],
            "Partner ISO": iso,
            "Commodity Code": f.product,
            "Commodity": f"Goods {f.product}",
            "Qty Unit Code": "1",
            "Qty Unit": "No Quantity",
            "Trade Value (US$)": _number_text(f.value),
            "Flag": "0",
        }
        rows.append([cells.get(column, "") for column in LEGACY_HEADER])
        if rng.random() < 0.08:  # a breakdown row beside its aggregate: set aside
            broken = list(rows[-1])
            broken[LEGACY_HEADER.index("2nd Partner Code")] = rng.choice(["410", "156", "251"])
            broken[LEGACY_HEADER.index("Trade Value (US$)")] = _number_text(round(f.value / 3))
            rows.append(broken)
    return rows


# ---------------------------------------------------------------------------- Comtrade+

PLUS_FLOWS = {
    "export": ("X", "Export"),
    "import": ("M", "Import"),
    "re-export": ("RX", "Re-export"),
}


def _plus_records(rng: random.Random, figures: list[Figure]) -> list[dict]:
    records = []
    for f in figures:
        code, name = PLUS_FLOWS[f.flow]
        period = str(f.year) if f.month is None else f"{f.year}{f.month:02d}"
        record = {
            "typeCode": "C",
            "freqCode": "A" if f.month is None else "M",
            "refPeriodId": int(f"{period}01" if f.month else f"{period}0101"),
            "refYear": f.year,
            "refMonth": 52 if f.month is None else f.month,
            "period": period,
            "reporterCode": COMTRADE[f.reporter][0],
            "reporterISO": f.reporter,
            "reporterDesc": COMTRADE[f.reporter][1],
            "flowCode": code,
            "flowDesc": name,
            "partnerCode": COMTRADE[f.partner][0],
            "partnerISO": "W00" if f.partner == "WLD" else f.partner,
            "partnerDesc": COMTRADE[f.partner][1],
            "partner2Code": 0,
            "partner2ISO": "W00",
            "classificationCode": "H4",
            "cmdCode": f.product,
            "cmdDesc": f"Goods {f.product}",
            "aggrLevel": 0 if f.product == "TOTAL" else len(f.product),
            "isLeaf": False,
            "customsCode": "C00",
            "mosCode": "0",
            "motCode": 0,
            "qtyUnitCode": -1,
            "qty": 0,
            "netWgt": None,
            "cifvalue": f.value if f.flow == "import" else None,
            "fobvalue": f.value if f.flow != "import" else None,
            "primaryValue": f.value,
            "legacyEstimationFlag": 0,
            "isReported": True,
            "isAggregate": True,
        }
        records.append(record)
        roll = rng.random()
        if roll < 0.05:  # a breakdown by mode of transport: set aside
            records.append(dict(record, motCode=rng.choice([1000, 2100, 9000]), primaryValue=1.0))
        elif roll < 0.08:  # services: set aside
            records.append(dict(record, typeCode="S", primaryValue=7.0))
        elif roll < 0.1:  # domestic exports, a part of exports: set aside
            records.append(dict(record, flowCode="DX", primaryValue=3.0))
    return records


# ---------------------------------------------------------------------------- BACI

BACI_COUNTRIES = """\
country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha
156,China,China,CN,CHN
251,France,France,FR,FRA
276,Germany,Germany,DE,DEU
392,Japan,Japan,JP,JPN
410,Rep. of Korea,Republic of Korea,KR,KOR
490,"Other Asia, nes","Other Asia, not elsewhere specified",N/A,N/A
516,Namibia,Namibia,,NAM
842,USA,"USA, Puerto Rico and US Virgin Islands",US,USA
"""
BACI_ROWS = {
    156: "CHN",
    251: "FRA",
    276: "DEU",
    392: "JPN",
    410: "KOR",
    490: "",
    516: "NAM",
    842: "USA",
}
BACI_NAME = "BACI_HS92_Y{year}_V202301.csv"


def _baci_text(rng: random.Random, year: int) -> str:
    """Return a BACI year: every ordered pair of some countries, a few products each, in
    BACI's order (sometimes shuffled), some codes with their leading zero lost."""
    others = sorted(code for code in BACI_ROWS if code not in (842, 410))
    codes = sorted({842, 410, *rng.sample(others, k=rng.randint(1, len(others)))})
    lines = []
    for exporter in codes:
        for importer in codes:
            if exporter == importer:
                continue
            for chapter in sorted(rng.sample(range(1, 98), k=rng.randint(1, 3))):
                for rest in sorted(rng.sample(range(10_000), k=rng.randint(1, 3))):
                    code = f"{chapter:02d}{rest:04d}"
                    if code.startswith("0") and rng.random() < 0.2:
                        code = code[1:]
                    value = f"{rng.randrange(1, 10**7) / 1000:.3f}"
                    quantity = rng.choice(["", "  NA", "           NA", "12.5"])
                    lines.append(f"{year},{exporter},{importer},{code},{value},{quantity}")
    if rng.random() < 0.2:
        rng.shuffle(lines)
    return "t,i,j,k,v,q\n" + "\n".join(lines) + "\n"


def _baci_question(rng: random.Random, year: int) -> tuple[str, str, int]:
    reporter, partner = rng.choice([("USA", "KOR"), ("KOR", "USA"), ("USA", "CHN"), ("JPN", "KOR")])
    return reporter, partner, year if rng.random() < 0.9 else year + 1


# ============================================================================ text mutations

NUMBER_PALETTE = [
    "0", "-0", "7", "-5", "+5", ".5", "5.", "1e3", "1.5E+3", "00042", " 42 ", "12.345",
    "0.005", "0.015", "2.675", "1e-7", "3e10", "4.9e10", "1_000", "1,234.5", "1.234,5",
    "0x1F", "4.99e13", "5e13", "1e15", "99999999999999999999", "1e308", "1e400", "-1e400",
    "nan", "NaN", "inf", "-inf", "Infinity", "", " ", "NA", "(D)", "..", "-", "x", "١٢",
]  # fmt: skip
TEXT_PALETTE = [
    "", " ", "NA", "(D)", "..", "-", "x", "TOTAL", "=1+1", "Côte d'Ivoire", '"', "0101",
    "a,b", "line\nbreak", "\u00a0", "WLD", "KOR", "export", "import", "balance", "exports",
]  # fmt: skip
# Columns worth changing most, per layout (by their header names).
KEY_COLUMNS = {
    "korus-csv": ["year", "month", "value_usd", "flow", "partner", "product", "reporter", "source"],
    "comtrade-legacy": [
        "Year", "Period", "Trade Flow Code", "Reporter Code", "Partner Code", "Partner ISO",
        "Commodity Code", "Trade Value (US$)", "2nd Partner Code", "Customs Proc. Code",
        "Classification", "Aggregate Level",
    ],
    "comtrade-plus-csv": [
        "refYear", "period", "freqCode", "flowCode", "partnerCode", "partnerISO", "cmdCode",
        "primaryValue", "aggrLevel", "partner2Code", "typeCode", "reporterCode", "refMonth",
        "classificationCode", "motCode",
    ],
    "baci": ["t", "i", "j", "k", "v"],
}  # fmt: skip
CODE_PALETTE = {
    "Partner Code": [
        "410", "156", "392", "0", "999", "9999", "-1", "KOR", "4", "470", "97", "0410", "410.0",
    ],
    "Reporter Code": ["842", "410", "0", "999", "842.0"],
    "partnerCode": ["410", "156", "0", "999", "97", "410.0", "", "NA"],
    "Partner ISO": ["KOR", "CHN", "XXX", "", "W00", "kor"],
    "partnerISO": ["KOR", "CHN", "XXX", "", "W00", "kor"],
    "Commodity Code": ["TOTAL", "87", "8703", "870323", "1", "870", "87.0", "total", "8.703E+3"],
    "cmdCode": ["TOTAL", "87", "8703", "870323", "1", "870", "total", "AG2"],
    "Trade Flow Code": ["1", "2", "3", "4", "5", "X", "01"],
    "flowCode": ["X", "M", "RX", "RM", "DX", "FM", "1", "2", "x", "Q"],
    "Period": ["2016", "201601", "201613", "201600", "16", "2016-01", "2016.0", "20161"],
    "period": ["2016", "201601", "201613", "", "16", "2016-01", "20161"],
    "freqCode": ["A", "M", "Q", "", "a"],
    "typeCode": ["C", "S", "", "X", "c"],
    "2nd Partner Code": ["", "0", "410", "00"],
    "partner2Code": ["0", "", "NA", "410", "0.0"],
    "Customs Proc. Code": ["", "C00", "C01"],
    "month": ["", "1", "12", "13", "0", "1.5", "01", "1e0", "-1"],
    "year": ["2016", "16", "2016.0", "2016.5", "70000", "67552", "-2016", "FY2016", "2.016e3"],
    "flow": [
        "export", "import", "re-export", "re-import", "balance", "exports", "Export", " export",
    ],
    "t": ["2020", "2021", "02020", "0999", "999", "20200", "+2020", "0x7E4", "2020.0", " 2020"],
    "i": [
        "842", "410", "156", "999", "0", "9999", "10000", "-1", "0x34A", "00842", " 842", "490",
        "58", "97",
    ],
    "j": ["842", "410", "156", "999", "0", "9999", "10000", "-1", "0x19A", "00410", " 410 ", "490"],
    "k": ["870323", "70323", "8703", "0870323", "87032a", " 870323 ", "", "999999"],
}  # fmt: skip


def _lines(data: bytes) -> tuple[list[str], str] | None:
    """Return a text file's lines and its encoding's name, or None when it is not text."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding).split("\n"), encoding
        except UnicodeDecodeError:
            continue
    return None


def _join(lines: list[str], encoding: str) -> bytes:
    return "\n".join(lines).encode(encoding, errors="replace")


def _cells(line: str) -> tuple[list[str], str]:
    end = "\r" if line.endswith("\r") else ""
    try:
        return next(csv.reader([line.removesuffix("\r")]), []), end
    except csv.Error:
        return line.removesuffix("\r").split(","), end


def _line_of(cells: list[str], end: str, delimiter: str = ",", quoting=csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="").writerow(cells)
    return out.getvalue() + end


def _data_indexes(lines: list[str]) -> list[int]:
    return [index for index in range(1, len(lines)) if lines[index].strip()]


def _pick_column(rng: random.Random, lines: list[str], layout: str) -> int | None:
    header, _ = _cells(lines[0])
    if not header:
        return None
    wanted = [header.index(name) for name in KEY_COLUMNS.get(layout, []) if name in header]
    if wanted and rng.random() < 0.75:
        return rng.choice(wanted)
    return rng.randrange(len(header))


def _edit_cell(rng: random.Random, data: bytes, layout: str, how: str) -> tuple[bytes, str]:
    split = _lines(data)
    if split is None:
        return data, "no text to change"
    lines, encoding = split
    rows = _data_indexes(lines)
    column = _pick_column(rng, lines, layout)
    if not rows or column is None:
        return data, "no cell to change"
    index = rng.choice(rows)
    cells, end = _cells(lines[index])
    if column >= len(cells):
        return data, "no cell to change"
    header, _ = _cells(lines[0])
    name = header[column] if column < len(header) else "?"
    old = cells[column]
    if how == "number":
        new = _number_for(rng, old)
    elif how == "code" and name in CODE_PALETTE:
        new = rng.choice(CODE_PALETTE[name])
    elif how == "pad":
        new = rng.choice([" ", "  ", "\t"]) + old + rng.choice(["", " ", "  "])
    else:
        new = rng.choice(TEXT_PALETTE)
    cells[column] = new
    lines[index] = _line_of(cells, end)
    return _join(lines, encoding), f"line {index + 1}, {name!r}: {old!r} -> {new!r}"


def _number_for(rng: random.Random, old: str) -> str:
    try:
        value = float(old)
    except ValueError:
        value = None
    roll = rng.random()
    if value is not None and roll < 0.4:
        return _number_text(
            rng.choice([value * 1000, value * 1e6, -value, value + 0.001, value / 3])
        )
    if roll < 0.6:
        return str(rng.randrange(10 ** rng.randint(1, 14)))
    return rng.choice(NUMBER_PALETTE)


def _swap_cells(rng: random.Random, data: bytes, layout: str) -> tuple[bytes, str]:
    split = _lines(data)
    if split is None:
        return data, "no text"
    lines, encoding = split
    rows = _data_indexes(lines)
    if not rows:
        return data, "no row"
    index = rng.choice(rows)
    cells, end = _cells(lines[index])
    if len(cells) < 2:
        return data, "no cells to swap"
    a = _pick_column(rng, lines, layout) or 0
    a = min(a, len(cells) - 1)
    b = rng.randrange(len(cells))
    cells[a], cells[b] = cells[b], cells[a]
    lines[index] = _line_of(cells, end)
    return _join(lines, encoding), f"line {index + 1}: cells {a + 1} and {b + 1} swapped"


def _row_edit(rng: random.Random, data: bytes, how: str) -> tuple[bytes, str]:
    split = _lines(data)
    if split is None:
        return data, "no text"
    lines, encoding = split
    rows = _data_indexes(lines)
    if not rows:
        return data, "no row"
    index = rng.choice(rows)
    if how == "repeat":
        copies = rng.randint(1, 3)
        at = index + 1 if rng.random() < 0.5 else rng.choice(rows) + 1
        lines[at:at] = [lines[index]] * copies
        said = f"line {index + 1} repeated {copies}x"
    elif how == "remove":
        del lines[index]
        said = f"line {index + 1} removed"
    elif how == "swap":
        other = rng.choice(rows)
        lines[index], lines[other] = lines[other], lines[index]
        said = f"lines {index + 1} and {other + 1} swapped"
    elif how == "cut":
        cut = rng.randint(0, len(lines[index]))
        lines[index] = lines[index][:cut]
        said = f"line {index + 1} cut at {cut}"
    elif how == "blank":
        lines.insert(index, rng.choice(["", "  ", ",,,"]))
        said = f"a blank line before line {index + 1}"
    elif how == "header again":
        lines.insert(index, lines[0])
        said = f"the header again before line {index + 1}"
    elif how == "title":
        lines.insert(0, rng.choice(["Trade data", "", '"Query: USA, 2016"']))
        said = "a title line above the header"
    else:  # reorder every data row
        body = [lines[i] for i in rows]
        rng.shuffle(body)
        for i, line in zip(rows, body, strict=True):
            lines[i] = line
        said = "data rows shuffled"
    return _join(lines, encoding), said


def _columns_edit(rng: random.Random, data: bytes, how: str) -> tuple[bytes, str]:
    split = _lines(data)
    if split is None:
        return data, "no text"
    lines, encoding = split
    table = [_cells(line) if line.strip() else None for line in lines]
    width = len(table[0][0]) if table[0] else 0
    if width < 2:
        return data, "no columns"
    if how == "extra":
        at = rng.randint(0, width)
        name = rng.choice(["Extra", "note", "flowDesc", "Year "])
        value = rng.choice(["", "x", "1", "KOR"])
        for number, row in enumerate(table):
            if row is not None:
                row[0].insert(at, name if number == 0 else value)
        said = f"a column {name!r} added at {at + 1}"
    elif how == "drop":
        at = rng.randrange(width)
        for row in table:
            if row is not None and at < len(row[0]):
                del row[0][at]
        said = f"column {at + 1} dropped"
    else:
        order = list(range(width))
        rng.shuffle(order)
        for row in table:
            if row is not None and len(row[0]) == width:
                row[0][:] = [row[0][i] for i in order]
        said = "columns reordered"
    out = [
        line if row is None else _line_of(row[0], row[1])
        for line, row in zip(lines, table, strict=True)
    ]
    return _join(out, encoding), said


def _encoding_edit(rng: random.Random, data: bytes, how: str) -> tuple[bytes, str]:
    if how == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), "CRLF line ends"
    if how == "cr":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), "CR line ends"
    if how == "bom":
        return b"\xef\xbb\xbf" + data, "a UTF-8 byte-order mark"
    if how == "gzip":
        return gzip.compress(data, mtime=0), "gzipped"
    if how == "gzip cut":
        packed = gzip.compress(data, mtime=0)
        return packed[: rng.randrange(10, len(packed))], "gzipped, then cut short"
    if how == "utf16":
        split = _lines(data)
        text = "\n".join(split[0]) if split else data.decode("latin-1")
        return text.encode("utf-16"), "UTF-16"
    if how == "cp1252":
        split = _lines(data)
        if split is None:
            return data, "not text"
        lines, _ = split
        rows = _data_indexes(lines)
        if rows:
            index = rng.choice(rows)
            cells, end = _cells(lines[index])
            at = rng.randrange(len(cells))
            cells[at] = cells[at] + " Côte d'Ivoire"
            lines[index] = _line_of(cells, end)
        return "\n".join(lines).encode("cp1252", errors="replace"), "a name in cp1252"
    if how == "bad byte":
        at = rng.randrange(len(data) + 1)
        byte = rng.choice([b"\xff", b"\xe9", b"\xc3", b"\x00", b"\x80"])
        return data[:at] + byte + data[at:], f"byte {byte!r} at {at}"
    if how == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out), "bytes flipped"
    if how == "truncate":
        at = rng.randrange(len(data))
        return data[:at], f"truncated at byte {at}"
    if how == "no final newline":
        return data.rstrip(b"\r\n"), "no final line end"
    if how == "delimiter":
        split = _lines(data)
        if split is None:
            return data, "not text"
        lines, encoding = split
        delimiter = rng.choice([";", "\t", "|"])
        out = [
            _line_of(*_cells(line), delimiter=delimiter) if line.strip() else line for line in lines
        ]
        return _join(out, encoding), f"delimiter {delimiter!r}"
    if how == "quote all":
        split = _lines(data)
        if split is None:
            return data, "not text"
        lines, encoding = split
        out = [
            _line_of(*_cells(line), quoting=csv.QUOTE_ALL) if line.strip() else line
            for line in lines
        ]
        return _join(out, encoding), "every cell quoted"
    if how == "long cell":
        split = _lines(data)
        if split is None:
            return data, "not text"
        lines, encoding = split
        rows = _data_indexes(lines)
        if rows:
            index = rng.choice(rows)
            cells, end = _cells(lines[index])
            at = rng.randrange(len(cells))
            cells[at] = cells[at] + "x" * 200_000
            lines[index] = _line_of(cells, end)
        return _join(lines, encoding), "a cell 200,000 characters long"
    raise ValueError(how)


def _cell(how: str):
    return lambda rng, data, layout: _edit_cell(rng, data, layout, how)


def _rows(how: str):
    return lambda rng, data, layout: _row_edit(rng, data, how)


def _columns(how: str):
    return lambda rng, data, layout: _columns_edit(rng, data, how)


def _bytes(how: str):
    return lambda rng, data, layout: _encoding_edit(rng, data, how)


# name: (weight, function(rng, data, layout) -> (data, what was done))
TEXT_MUTATIONS = {
    "number": (14, _cell("number")),
    "code": (10, _cell("code")),
    "text": (6, _cell("text")),
    "pad": (3, _cell("pad")),
    "swap cells": (6, _swap_cells),
    "repeat": (4, _rows("repeat")),
    "remove": (4, _rows("remove")),
    "swap rows": (3, _rows("swap")),
    "shuffle": (3, _rows("shuffle")),
    "cut": (4, _rows("cut")),
    "blank": (2, _rows("blank")),
    "header again": (2, _rows("header again")),
    "title": (1, _rows("title")),
    "extra column": (2, _columns("extra")),
    "drop column": (1, _columns("drop")),
    "reorder columns": (2, _columns("reorder")),
    "crlf": (2, _bytes("crlf")),
    "cr": (1, _bytes("cr")),
    "bom": (1, _bytes("bom")),
    "gzip": (2, _bytes("gzip")),
    "gzip cut": (1, _bytes("gzip cut")),
    "utf16": (1, _bytes("utf16")),
    "cp1252": (1, _bytes("cp1252")),
    "bad byte": (1, _bytes("bad byte")),
    "flip": (2, _bytes("flip")),
    "truncate": (2, _bytes("truncate")),
    "no final newline": (1, _bytes("no final newline")),
    "delimiter": (1, _bytes("delimiter")),
    "quote all": (2, _bytes("quote all")),
    "long cell": (1, _bytes("long cell")),
}
# Mutations that keep every figure of any text layout (judged against the base's reading).
KEEPS_FIGURES = {"crlf", "bom", "gzip"}
# Mutations after which bytes are no longer text to edit line by line.
FINAL = {"gzip", "gzip cut", "utf16", "truncate", "flip"}


def _mutate_text(
    rng: random.Random, data: bytes, layout: str, count: int
) -> tuple[bytes, list[str], set[str]]:
    names = list(TEXT_MUTATIONS)
    weights = [TEXT_MUTATIONS[name][0] for name in names]
    steps, used = [], set()
    for _ in range(count):
        name = rng.choices(names, weights)[0]
        if used & FINAL:
            break
        if not data:
            break
        data, said = TEXT_MUTATIONS[name][1](rng, data, layout)
        steps.append(f"{name}: {said}")
        used.add(name)
    return data, steps, used


# ============================================================================ csv


def _csv_case(seed: int, rng: random.Random) -> Case:
    roll = rng.random()
    if roll < 0.25:
        return _corpus_case(seed, rng)
    layout = rng.choice(["korus-csv", "comtrade-legacy", "comtrade-plus-csv", "baci", "baci"])
    companions: dict[str, bytes] = {}
    name = "data.csv"
    if layout == "baci":
        year = rng.randint(1995, 2023)
        text = _baci_text(rng, year)
        question = _baci_question(rng, year)
        name = BACI_NAME.format(year=year)
        if rng.random() < 0.85:
            companions["country_codes_V202301.csv"] = BACI_COUNTRIES.encode()
    else:
        figures = _base_figures(rng, whole_dollars=layout != "korus-csv" and rng.random() < 0.5)
        question = _question(rng, figures)
        if layout == "korus-csv":
            header, rows = TIDY_HEADER, _tidy_rows(figures)
        elif layout == "comtrade-legacy":
            header, rows = LEGACY_HEADER, _legacy_rows(rng, figures)
        else:
            records = _plus_records(rng, figures)
            header = list(records[0])
            rows = [[_csv_value(record.get(column)) for column in header] for record in records]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        text = out.getvalue()
    data, steps, used = _mutate_text(rng, text.encode(), layout, rng.choice([1, 1, 2, 2, 3]))
    case = Case(seed, "csv", layout, name, data, steps, companions, question=question)
    case.dedupe = rng.random() < (0.6 if "repeat" in used else 0.1)
    case.stream = layout == "baci" and rng.random() < 0.5
    _judge_text(case)
    return case


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    return str(value)


def _corpus_case(seed: int, rng: random.Random) -> Case:
    """A case from a file of the corpus (tests/corpus), whatever its layout."""
    files = sorted(
        p
        for p in CORPUS.iterdir()
        if p.suffix in {".csv", ".gz"} and 0 < p.stat().st_size < 100_000
    )
    source = rng.choice(files)
    base = source.read_bytes()
    text = base
    if source.suffix == ".gz":
        try:
            text = gzip.decompress(base)
        except (EOFError, OSError):
            text = base
    split = _lines(text)
    layout = "other"
    if split is not None:
        layout = ref.layout_of_text("\n".join(split[0]).removeprefix("\ufeff")) or "other"
    data, steps, used = _mutate_text(rng, text, layout, rng.choice([1, 1, 2, 3]))
    case = Case(
        seed, "csv", layout, source.name.removesuffix(".gz"), data, [f"from {source.name}", *steps]
    )
    case.question = ("USA", "KOR", 2016)
    if layout in ("korus-csv", "comtrade-legacy", "comtrade-plus-csv", "baci"):
        _judge_text(case)
    elif used <= KEEPS_FIGURES:
        case.expected = _korus_reading_of(source)
        case.check_rows = False
        case.answer = None
        case.question = None
    return case


def _judge_text(case: Case) -> None:
    """Set a text case's expectation from the reference reading of its mutated bytes."""
    try:
        text = ref.text_of(case.data, ref.Leniency())  # the layout, judged as korus does
    except ref.Refused as exc:
        case.expected = ref.refused(str(exc))
        case.answer = case.expected
        return
    layout = ref.layout_of_text(text)
    readers = {
        "korus-csv": lambda: ref.read_tidy_csv(case.data, case.dedupe),
        "comtrade-legacy": lambda: ref.read_comtrade_legacy(case.data, case.dedupe),
        "comtrade-plus-csv": lambda: ref.read_comtrade_plus_csv(case.data, case.dedupe),
        "baci": lambda: ref.read_baci(case.data, _country_rows(case), dedupe=case.dedupe),
    }
    if layout is None:
        case.expected = ref.refused("not a layout korus knows")
        case.answer = case.expected
        return
    case.layout = layout
    case.expected = _reading(readers[layout])
    if layout == "baci" and case.question:
        reporter, partner, _ = case.question
        case.answer = _reading(
            lambda: ref.read_baci(case.data, _country_rows(case), (reporter, partner), case.dedupe)
        )
    else:
        case.answer = case.expected


def _reading(read) -> ref.Reading:
    try:
        return read()
    except ref.Refused as exc:
        return ref.refused(str(exc))


def _country_rows(case: Case) -> dict[int, str] | None:
    if "country_codes_V202301.csv" not in case.companions:
        return None
    return dict(BACI_ROWS)


_KORUS_READINGS: dict[str, ref.Reading] = {}


def _korus_reading_of(path: Path) -> ref.Reading:
    """Return korus's own reading of an unmutated corpus file, for a mutation that keeps its
    figures (a layout the reference does not cover: the figures must not move)."""
    if path.name not in _KORUS_READINGS:
        result = CliRunner().invoke(_cli(), ["convert", str(path), "-o", "-"])
        if result.exit_code != 0:
            _KORUS_READINGS[path.name] = ref.refused(result.stderr.strip())
        else:
            figures, sources = _figures_of(result.stdout)
            _KORUS_READINGS[path.name] = ref.Reading(figures, sources)
    return _KORUS_READINGS[path.name]


# ============================================================================ xlsx

CENSUS_PARTNERS = {
    "5800": "KOR",
    "5700": "CHN",
    "5880": "JPN",
    "4280": "DEU",
    "1220": "CAN",
    "2010": "MEX",
}
CENSUS_CODES = {
    "5800": "KOREA, SOUTH",
    "5700": "CHINA",
    "5880": "JAPAN",
    "4280": "GERMANY",
    "1220": "CANADA",
    "2010": "MEXICO",
}


def _census_rows(rng: random.Random) -> list[list]:
    """Return the cells of a Census country sheet: header, then a row per partner and year
    in millions, the last year possibly partial (its later months 0)."""
    first = rng.randint(2012, 2023)
    years = list(range(first, first + rng.randint(1, 3)))
    partial = rng.randint(1, 11) if rng.random() < 0.4 else 12
    codes = rng.sample(sorted(CENSUS_CODES), k=rng.randint(1, 4))
    extra = []
    if rng.random() < 0.5:
        extra.append(("0015", "World Total"))
    if rng.random() < 0.15:
        extra.append(("0004", "World, Seasonally Adjusted"))
    if rng.random() < 0.1:
        extra.append(("0003", "European Union"))
    rows = [list(ref.CENSUS_HEADER)]
    for year in years:
        for code, name in [(c, CENSUS_CODES[c]) for c in codes] + extra:
            cells = [year, code if rng.random() < 0.7 else int(code), name]
            published = partial if year == years[-1] else 12
            for _ in ("I", "E"):
                months = [
                    round(rng.uniform(0.1, 9000.0), 1) if m <= published else 0.0
                    for m in range(1, 13)
                ]
                cells += [*months, round(sum(months), 1)]
            rows.append(cells)
    return rows


def _xlsx_case(seed: int, rng: random.Random) -> Case:
    rows = _census_rows(rng)
    sheets = {"country": rows}
    hidden: set[str] = set()
    steps = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        steps.append(_mutate_sheet(rng, sheets, hidden))
    data = _workbook_bytes(sheets, hidden)
    case = Case(seed, "xlsx", "census-country", "country.xlsx", data, steps)
    years = [row[0] for row in rows[1:] if isinstance(row[0], int)] or [2016]
    partners = [
        CENSUS_PARTNERS[str(row[1])]
        for row in rows[1:]
        if len(row) > 1 and str(row[1]) in CENSUS_PARTNERS  # a row cut short has no code
    ]
    case.question = ("USA", rng.choice(partners or ["KOR"]), rng.choice(years))
    cells, shown_hidden = _read_workbook(data)
    case.expected = _reading(lambda: ref.read_census_country(cells, shown_hidden))
    case.answer = case.expected
    return case


def _mutate_sheet(rng: random.Random, sheets: dict, hidden: set) -> str:
    rows = sheets["country"]
    body = range(1, len(rows))
    how = rng.choices(
        [
            "text", "number", "blank", "date", "bool", "year", "code", "repeat", "remove",
            "swap", "second sheet", "hidden sheet", "hide", "title", "reorder", "extra column",
            "rename", "blank row", "spaces", "month and year",
        ],
        [6, 6, 3, 2, 2, 4, 6, 3, 3, 3, 3, 3, 1, 2, 3, 2, 2, 2, 2, 14],
    )[0]  # fmt: skip
    if not len(body) and how not in ("second sheet", "hidden sheet", "hide", "title"):
        how = "title"
    if how in ("text", "number", "blank", "date", "bool", "spaces"):
        full = [row for row in body if len(rows[row]) > 3]
        if not full:
            return "no cell to change"
        row = rng.choice(full)
        column = (
            rng.randrange(3, len(rows[row]))
            if rng.random() < 0.8
            else rng.randrange(len(rows[row]))
        )
        old = rows[row][column]
        new = {
            "text": lambda: rng.choice(
                [
                    "(D)",
                    "n/a",
                    "12.5",
                    " 7 ",
                    "1,234.5",
                    "",
                    "1e3",
                    "nan",
                    "inf",
                    "١٢",
                    "1_000",
                    "X",
                ]
            ),
            "number": lambda: rng.choice(
                [0, 0.0, -5.0, 1e7, 4.9e7, 5e7, 1e15, 1e300, 12.345, 0.05, rng.uniform(0, 1e4)]
            ),
            "blank": lambda: None,
            "date": lambda: datetime.datetime(2016, rng.randint(1, 12), 1),
            "bool": lambda: rng.choice([True, False]),
            "spaces": lambda: rng.choice(["   ", "\t"]),
        }[how]()
        rows[row][column] = new
        return f"cell {row + 1},{column + 1}: {old!r} -> {new!r}"
    if how == "month and year":  # a month changed and its year with it: still consistent
        row = rng.choice(body)
        header = [str(cell).strip() for cell in rows[0]]
        prefix, month = rng.choice("IE"), rng.choice(ref.CENSUS_MONTHS)
        if f"{prefix}{month}" not in header or f"{prefix}YR" not in header:
            return "no month to change"
        at, total = header.index(f"{prefix}{month}"), header.index(f"{prefix}YR")
        if max(at, total) >= len(rows[row]):  # a row cut short by an earlier step
            return "no month to change"
        old = rows[row][at]
        if not isinstance(old, float) or not isinstance(rows[row][total], float) or old == 0:
            return "no month to change"
        new = rng.choice([round(rng.uniform(0.1, 9000), 1), 0.1, round(old * 10, 1), 12345.6])
        rows[row][at] = new
        rows[row][total] = round(rows[row][total] - old + new, 1)
        return f"{prefix}{month} of row {row + 1}: {old} -> {new}, its year too"
    if how == "year":
        row = rng.choice(body)
        old = rows[row][0]
        rows[row][0] = rng.choice(
            [old + 1 if isinstance(old, int) else 2016, str(old), "FY2016", 2016.5, 16, 20160, None]
        )
        return f"year of row {row + 1}: {old!r} -> {rows[row][0]!r}"
    if how == "code":
        row = rng.choice(body)
        old = rows[row][1]
        rows[row][1] = rng.choice(
            ["5700", "5800", 5800.0, "9999", "0003", "0004", "15", "58OO", " 5880 ", 58000]
        )
        return f"code of row {row + 1}: {old!r} -> {rows[row][1]!r}"
    if how == "repeat":
        row = rng.choice(body)
        rows.insert(rng.randint(1, len(rows)), list(rows[row]))
        return f"row {row + 1} repeated"
    if how == "remove":
        row = rng.choice(body)
        del rows[row]
        return f"row {row + 1} removed"
    if how == "swap":
        a, b = rng.choice(body), rng.choice(body)
        rows[a], rows[b] = rows[b], rows[a]
        return f"rows {a + 1} and {b + 1} swapped"
    if how in ("second sheet", "hidden sheet"):
        name = "notes" if how == "second sheet" else "hidden"
        content = (
            [list(row) for row in rows]
            if rng.random() < 0.5
            else [["Notes"], ["Values in millions"]]
        )
        sheets[name] = content
        if how == "hidden sheet":
            hidden.add(name)
        said = "a copy of the data" if len(content) == len(rows) else "notes"
        return f"{how} {name!r} holding {said}"
    if how == "hide":
        hidden.add("country")
        return "the data sheet hidden"
    if how == "title":
        rows.insert(0, ["U.S. Trade in Goods by Country"])
        return "a title row above the header"
    if how == "reorder":
        order = list(range(len(rows[0])))
        rng.shuffle(order)
        for row in rows:
            if len(row) == len(order):
                row[:] = [row[i] for i in order]
        return "columns reordered"
    if how == "extra column":
        for number, row in enumerate(rows):
            row.append("Notes" if number == 0 else rng.choice(["", "x", 1.0]))
        return "a column added"
    if how == "rename":
        column = rng.randrange(len(rows[0]))
        old = rows[0][column]
        rows[0][column] = rng.choice([str(old).lower(), f" {old} ", f"{old}2", "IYR"])
        return f"header {old!r} -> {rows[0][column]!r}"
    rows.insert(rng.randint(1, len(rows)), [None] * 3)
    return "a blank row"


def _workbook_bytes(sheets: dict[str, list[list]], hidden: set[str]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    if all(name in hidden for name in sheets):
        book.create_sheet("cover")  # a workbook needs a visible sheet
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read_workbook(data: bytes) -> tuple[dict[str, list[list]], set[str]]:
    """Return a workbook's cells and hidden sheets as the spreadsheet library gives them."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = {
        name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in book.sheet_names
    }
    # Compared as the enum: its text, "SheetVisibleEnum.Hidden", holds "Visible".
    hidden = {
        sheet.name for sheet in book.sheets_metadata if sheet.visible != SheetVisibleEnum.Visible
    }
    return sheets, hidden


# ============================================================================ json


def _json_case(seed: int, rng: random.Random) -> Case:
    if rng.random() < 0.6:
        return _plus_json_case(seed, rng)
    return _census_api_case(seed, rng)


def _plus_json_case(seed: int, rng: random.Random) -> Case:
    figures = _base_figures(rng)
    records = _plus_records(rng, figures)
    answer: object = {
        "elapsedTime": "0.5 secs",
        "count": len(records),
        "data": records,
        "error": "",
    }
    if rng.random() < 0.15:
        answer = records
    steps = []
    text = None
    for _ in range(rng.choice([1, 1, 2, 3])):
        if text is not None:
            break
        answer, said, text = _mutate_plus(rng, answer)
        steps.append(said)
    if text is None:
        text = json.dumps(answer, indent=rng.choice([None, None, 1]))
    data = text.encode()
    case = Case(seed, "json", "comtrade-plus-json", "answer.json", data, steps)
    case.question = _question(rng, figures)
    case.dedupe = rng.random() < 0.15
    case.expected = _reading(lambda: ref.read_comtrade_plus_json(data, case.dedupe))
    case.answer = case.expected
    return case


PLUS_VALUES = [
    None, "", "NA", "12.5", " 7 ", "1,234", "abc", 0, -5, 1.005, 2.675, 1e308, float("nan"),
    float("inf"), 10**30, int("1" + "0" * 400), [1], {"v": 1}, True, "1_000", "0x10", 4.99e13,
]  # fmt: skip


def _mutate_plus(rng: random.Random, answer) -> tuple[object, str, str | None]:
    """Return (answer, words, text or None): one mutation of a Comtrade+ answer; text when
    the mutation is of the JSON text itself (truncation)."""
    records = answer["data"] if isinstance(answer, dict) else answer
    if not isinstance(records, list) or not records:
        return answer, "nothing to mutate", None
    how = rng.choices(
        [
            "value", "as string", "as number", "null", "nested", "rename", "snake", "upper",
            "remove key", "remove key everywhere", "twice spelled", "repeat", "remove",
            "swap", "not an object", "bare list", "data not a list", "error text", "count",
            "truncate", "field", "nan literal", "huge number",
        ],
        [12, 5, 4, 4, 3, 3, 3, 2, 3, 2, 3, 4, 2, 2, 1, 2, 1, 1, 1, 4, 12, 1, 2],
    )[0]  # fmt: skip
    index = rng.randrange(len(records))
    record = records[index]
    key = rng.choice(list(record)) if isinstance(record, dict) and record else None
    important = [
        "primaryValue", "refYear", "period", "freqCode", "flowCode", "partnerCode", "partnerISO",
        "reporterCode", "cmdCode", "aggrLevel", "partner2Code", "typeCode", "classificationCode",
        "refMonth", "motCode", "customsCode",
    ]  # fmt: skip
    if isinstance(record, dict) and rng.random() < 0.7:
        key = rng.choice([k for k in important if k in record] or [key])
    if how == "truncate":
        text = json.dumps(answer)
        at = rng.randrange(len(text))
        return answer, f"JSON cut at character {at}", text[:at]
    if how == "nan literal":
        text = json.dumps(answer).replace('"primaryValue": ', '"primaryValue": NaN, "x": ', 1)
        return answer, "a NaN literal for a value", text
    if how == "huge number":  # beyond a float, or beyond the digits Python converts
        digits = rng.choice([400, 5000])
        text = json.dumps(answer).replace(
            '"primaryValue": ', f'"primaryValue": 1{"0" * digits}, "x": ', 1
        )
        return answer, f"a value of {digits + 1} digits", text
    if how == "bare list" and isinstance(answer, dict):
        return records, "the data as a bare list", None
    if how == "data not a list" and isinstance(answer, dict):
        answer["data"] = rng.choice([{"0": records[0]}, "none", None, []])
        return answer, f"data is {type(answer['data']).__name__}", None
    if how == "error text" and isinstance(answer, dict):
        answer["error"] = "Request rate limit exceeded"
        return answer, "an error text beside the data", None
    if how == "count" and isinstance(answer, dict):
        answer["count"] = rng.choice([0, len(records) + 1, 100_000, "x"])
        return answer, f"count {answer['count']!r}", None
    if how == "repeat":
        records.insert(rng.randint(0, len(records)), json.loads(json.dumps(record)))
        return answer, f"record {index + 1} repeated", None
    if how == "remove":
        del records[index]
        return answer, f"record {index + 1} removed", None
    if how == "swap":
        other = rng.randrange(len(records))
        records[index], records[other] = records[other], records[index]
        return answer, f"records {index + 1} and {other + 1} swapped", None
    if how == "not an object":
        records[index] = rng.choice(["record", 7, [1, 2], None])
        return answer, f"record {index + 1} is {records[index]!r}", None
    if not isinstance(record, dict) or key is None:
        return answer, "nothing to mutate", None
    old = record.get(key)
    if how == "value":
        record[key] = rng.choice(PLUS_VALUES)
    elif how == "field":
        record[key] = rng.choice(
            CODE_PALETTE.get(key, []) + [old if old is None else str(old)] + PLUS_VALUES[:8]
        )
    elif how == "as string":
        record[key] = "" if old is None else (json.dumps(old) if not isinstance(old, str) else old)
    elif how == "as number":
        try:
            record[key] = float(old) if "." in str(old) else int(old)
        except (TypeError, ValueError):
            record[key] = 0
    elif how == "null":
        record[key] = None
    elif how == "nested":
        record[key] = rng.choice([[old], {"value": old}])
    elif how in ("rename", "snake", "upper"):
        new = {
            "rename": key + "X",
            "snake": "".join("_" + c.lower() if c.isupper() else c for c in key),
            "upper": key.upper(),
        }[how]
        records[index] = {(new if k == key else k): v for k, v in record.items()}
        return answer, f"record {index + 1}: key {key!r} -> {new!r}", None
    elif how == "remove key":
        del record[key]
        return answer, f"record {index + 1}: key {key!r} removed", None
    elif how == "remove key everywhere":
        for each in records:
            if isinstance(each, dict):
                each.pop(key, None)
        return answer, f"key {key!r} removed from every record", None
    elif how == "twice spelled":
        twin = "".join("_" + c.lower() if c.isupper() else c for c in key)
        if twin == key:
            twin = key.upper()
        record[twin] = rng.choice([old, 0, "1", None]) if rng.random() < 0.7 else old
        return (
            answer,
            f"record {index + 1}: {twin!r} = {record[twin]!r} beside {key!r} = {old!r}",
            None,
        )
    return answer, f"record {index + 1}: {key} {old!r} -> {record.get(key)!r}", None


CENSUS_API_PARTNERS = {"5800": "KOREA, SOUTH", "5700": "CHINA", "5880": "JAPAN", "4280": "GERMANY"}


def _census_api_case(seed: int, rng: random.Random) -> Case:
    """A Census API answer; the figures of each row are known, and follow each mutation."""
    from korus import countries

    flow = rng.choice(["export", "import"])
    value_field = "ALL_VAL_MO" if flow == "export" else "GEN_VAL_MO"
    product_field = rng.choice([None, "E_COMMODITY" if flow == "export" else "I_COMMODITY"])
    header = ["CTY_CODE", "CTY_NAME", value_field, "time"] + (
        [product_field] if product_field else []
    )
    year = rng.randint(2013, 2024)
    # One commodity level, as asked of the API (COMM_LVL); or with the HS2 sums of the
    # HS4 codes beside them (set aside); or a level chosen month by month, whose coarser
    # rows their parts in the answer do not add up to (refused).
    levels = rng.choice(["one", "one", "with sums", "mixed"])
    chosen = rng.choice([["87"], ["85", "87"], ["8703"], ["8703", "8542"], ["8703", "8708"]])
    rows = []
    for code in rng.sample(sorted(CENSUS_API_PARTNERS), k=rng.randint(1, 3)):
        for month in sorted(rng.sample(range(1, 13), k=rng.randint(1, 12))):
            products = [None]
            if product_field:
                products = rng.sample(["87", "85", "8703"], 1) if levels == "mixed" else chosen
            sums: dict[str, int] = {}
            for product in products:
                value = rng.randrange(1, 10**10)
                row = [code, CENSUS_API_PARTNERS[code], str(value), f"{year}-{month:02d}"]
                rows.append(row + ([product] if product else []))
                if product and len(product) == 4:
                    sums[product[:2]] = sums.get(product[:2], 0) + value
            if levels == "with sums":
                for chapter, value in sums.items():
                    row = [code, CENSUS_API_PARTNERS[code], str(value), f"{year}-{month:02d}"]
                    rows.append([*row, chapter])
    table = [header, *rows]
    broken = ""

    def key_of(row) -> tuple | None:
        country = countries.from_census(row[0])
        product = row[4] if product_field else "TOTAL"
        month = int(row[3][5:7])
        return (year, month, "USA", country.code, flow, product) if country else None

    steps = []
    for _ in range(rng.choice([1, 1, 2])):
        if broken:
            break
        how = rng.choice(
            ["shuffle", "as numbers", "indent", "extra field", "drop row", "change value",
             "null", "nested", "word", "repeat", "ragged", "truncate", "bad time",
             "rename value field", "rename time", "unknown code", "drop field"]
        )  # fmt: skip
        body = table[1:]
        index = rng.randrange(len(body)) + 1 if body else None
        if how == "shuffle":
            rng.shuffle(body)
            table[1:] = body
        elif how == "as numbers":
            for row in table[1:]:
                if isinstance(row[2], str) and row[2].isdigit():
                    row[2] = int(row[2])
        elif how == "extra field":
            table[0].append("SUMMARY_LVL")
            for row in table[1:]:
                row.append("det")
        elif how == "drop row" and index:
            del table[index]
        elif how == "change value" and index:
            table[index][2] = str(rng.randrange(10**9))
        elif how == "unknown code" and index:
            table[index][0] = "9999"
        elif how in ("null", "nested", "word") and index:
            table[index][2] = {"null": None, "nested": [table[index][2]], "word": "(D)"}[how]
            if how == "nested":  # looked at in every row, before anything else
                broken = "a value nested"
        elif how == "repeat" and index:
            table.insert(index, list(table[index]))
            broken = "a row repeated"
        elif how == "ragged" and index:
            table[index] = table[index][:-1]
            broken = "a row with a value missing"
        elif how == "truncate":
            broken = "the JSON cut short"
        elif how == "bad time" and index:
            table[index][3] = rng.choice([f"{year}-13", str(year), f"{year}-00", "2016/01"])
            broken = "a period that is not YYYY-MM"
        elif how == "rename value field":
            table[0][2] = value_field.lower()
            broken = "no value field"
        elif how == "rename time":
            table[0][3] = "TIME"
            broken = "no period"
        elif how == "drop field":
            # The name beside the code is not needed (no group codes here); the others are.
            at = rng.choice([1, 1, 2, 3])
            for row in table:
                del row[at]
            if at != 1:
                broken = "no value field" if at == 2 else "no period"
            else:
                for row in table:
                    row.insert(1, None)  # keeps the positions key_of reads
            how = f"drop field {at + 1}"
        steps.append(how)
    if table[0][1] is None:
        text_table = [[cell for i, cell in enumerate(row) if i != 1] for row in table]
    else:
        text_table = table
    text = json.dumps(text_table, indent=1 if "indent" in steps else None)
    if broken == "the JSON cut short":
        text = text[: rng.randrange(1, len(text) - 1)]
    case = Case(seed, "json", "census-api-json", "census.json", text.encode(), steps)
    if broken == "a row repeated" and rng.random() < 0.5:
        case.dedupe = True
        broken = ""
    if broken == "a row repeated" and not _repeats_a_figure(table[1:], key_of):
        # The row repeated is one korus sets aside (a partner it has no code for, or an HS2
        # sum beside its HS4 parts), or the "unknown code" step changed one of the two: no
        # figure is given twice.
        broken = ""
    if broken:
        case.expected = ref.refused(broken)
    else:
        usable = []  # (census code, key, value) of the rows of partners korus knows
        for row in table[1:]:
            key = key_of(row)
            if key is None:  # a partner korus has no code for: set aside, value unread
                continue
            if row[2] is None or not str(row[2]).strip().isdigit():
                broken = f"a value {row[2]!r}"
            else:
                usable.append((row[0], key, float(row[2])))
        if broken:
            case.expected = ref.refused(broken)
        elif not usable:
            case.expected = ref.refused("no rows korus can use")
        else:
            case.expected = _reading(lambda: _census_api_reading(usable))
    case.check_rows = False
    case.question = ("USA", rng.choice(["KOR", "CHN"]), year)
    case.answer = case.expected
    return case


def _repeats_a_figure(rows: list[list], key_of) -> bool:
    """Return whether two rows of a Census API answer are the same and each gives a figure
    korus reads: a partner it knows, at the finest commodity level of the answer (the
    coarser rows beside it are held to their parts and set aside, as unknown partners are,
    unread: the same rule 2 the reference holds every layout to, about figures)."""
    keyed = [(row, key) for row in rows if (key := key_of(row)) is not None]
    widths = {0 if key[5] == "TOTAL" else len(key[5]) for _, key in keyed}
    seen = set()
    for row, key in keyed:
        if (0 if key[5] == "TOTAL" else len(key[5])) != max(widths):
            continue
        shown = json.dumps(row)
        if shown in seen:
            return True
        seen.add(shown)
    return False


def _census_api_reading(usable: list[tuple[str, tuple, float]]) -> ref.Reading:
    """Return the figures of a Census API answer's usable rows (census code, key, value)
    by the reader's documented rules: one commodity level, the finest, each coarser row
    held to its parts (refused where they do not add up to it, else set aside); in a year
    the answer holds all twelve months of, a partner's product absent in a month is zero
    trade."""
    widths = {0 if key[5] == "TOTAL" else len(key[5]) for _, key, _ in usable}
    finest = max(widths)
    detail = [item for item in usable if len(item[1][5]) == finest and item[1][5] != "TOTAL"]
    for code, key, value in usable:
        if len(widths) == 1 or (key[5] != "TOTAL" and len(key[5]) == finest):
            continue
        prefix = "" if key[5] == "TOTAL" else key[5]
        parts = [
            part
            for other, part_key, part in detail
            if other == code and part_key[:2] == key[:2] and part_key[5].startswith(prefix)
        ]
        # Whole dollars: the parts may differ from their sum by their rounding alone.
        if abs(math.fsum(parts) - value) > 0.5 * (len(parts) + 1):
            raise ref.Refused(f"{key}: a coarser level whose parts in the answer differ")
    kept = usable if len(widths) == 1 else detail
    figures = {key: value for _, key, value in kept}
    months: dict[int, set[int]] = {}
    for key in figures:
        months.setdefault(key[0], set()).add(key[1])
    series = {(key[3], key[5]) for key in figures}
    for year, held in months.items():
        if len(held) == 12:
            reporter, flow = next(iter(figures))[2], next(iter(figures))[4]
            for partner, product in series:
                for month in range(1, 13):
                    figures.setdefault((year, month, reporter, partner, flow, product), 0.0)
    return ref.Reading(figures, {key: "census" for key in figures}, None)


# ============================================================================ parquet


def _parquet_case(seed: int, rng: random.Random) -> Case:
    import pyarrow as pa
    import pyarrow.parquet as pq

    figures = _base_figures(rng)
    rows = _tidy_rows(figures)
    columns: dict[str, list] = {
        name: [row[i] for row in rows] for i, name in enumerate(TIDY_HEADER)
    }
    columns["year"] = [int(v) for v in columns["year"]]
    columns["month"] = [int(v) if v else None for v in columns["month"]]
    columns["value_usd"] = [float(v) for v in columns["value_usd"]]
    types = {
        "year": pa.int16(),
        "month": pa.int8(),
        "value_usd": pa.float64(),
    }
    metadata = {b"korus.schema_version": b"1"}
    steps = []
    flipped = None
    checksums = False
    for _ in range(rng.choice([1, 1, 2])):
        how = rng.choices(
            ["type", "null", "extra", "drop", "rename", "metadata", "repeat", "remove", "flip",
             "truncate", "row groups", "dictionary", "value"],
            [10, 5, 3, 2, 2, 4, 3, 2, 4, 2, 2, 2, 5],
        )[0]  # fmt: skip
        steps.append(_mutate_columns(rng, how, columns, types, metadata))
        if how in ("flip", "truncate"):
            flipped = how
            # Pages with checksums: a reader can tell a damaged page (without, nobody can).
            checksums = True
            break
    arrays = {}
    for name, values in columns.items():
        kind = types.get(name, pa.string())
        try:
            arrays[name] = pa.array(values, type=kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
            steps.append(f"{name} written as text (its values do not fit {kind})")
    table = pa.table(arrays).replace_schema_metadata(metadata or None)
    out = io.BytesIO()
    size = rng.choice([None, None, 2, 5]) if "row groups" in " ".join(steps) else None
    pq.write_table(
        table, out, compression="zstd", row_group_size=size, write_page_checksum=checksums
    )
    data = out.getvalue()
    case = Case(seed, "parquet", "korus-parquet", "tidy.parquet", data, steps)
    case.question = _question(rng, figures)
    case.dedupe = rng.random() < 0.15
    if flipped:
        # What the file held before its bytes were damaged (after the steps before that).
        written = data
        base = _reading(lambda: _tidy_parquet_reference(written, case.dedupe))
        data = bytearray(data)
        if flipped == "flip":
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(4, len(data) - 4)] ^= 1 << rng.randrange(8)
        else:
            data = data[: rng.randrange(len(data))]
        case.data = bytes(data)
        case.steps[-1] += " (pages with checksums)" if checksums else ""
        case.expected = ref.Reading(
            base.figures, base.sources, base.rows, may_refuse=True, why="damaged"
        )
        if base.refused:
            case.expected = base
    else:
        case.expected = _reading(lambda: _tidy_parquet_reference(data, case.dedupe))
    case.answer = case.expected
    return case


def _tidy_parquet_bytes(figures: list[Figure]) -> bytes:
    """Return a korus tidy Parquet file of ``figures``, as korus writes one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _tidy_rows(figures)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(TIDY_HEADER)}
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    arrays["year"] = pa.array([int(v) for v in columns["year"]], pa.int16())
    arrays["month"] = pa.array([int(v) if v else None for v in columns["month"]], pa.int8())
    arrays["value_usd"] = pa.array([float(v) for v in columns["value_usd"]], pa.float64())
    table = pa.table(arrays).replace_schema_metadata({b"korus.schema_version": b"1"})
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def _tidy_parquet_reference(data: bytes, dedupe: bool) -> ref.Reading:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(io.BytesIO(data))
    version = (parquet.schema_arrow.metadata or {}).get(b"korus.schema_version")
    if version is not None:
        try:
            if int(version) != 1:
                raise ref.Refused(f"schema version {version!r}")
        except ValueError:
            raise ref.Refused(f"schema version {version!r} is not a number") from None
    return ref.read_tidy_table(parquet.read().to_pydict(), dedupe)


def _mutate_columns(
    rng: random.Random, how: str, columns: dict, types: dict, metadata: dict
) -> str:
    import decimal

    import pyarrow as pa

    count = len(next(iter(columns.values()), []))
    if not count:
        return "no rows"
    row = rng.randrange(count)
    if how == "type":
        name = rng.choice(["year", "month", "value_usd", "reporter", "partner", "flow"])
        target = rng.choice(
            {
                "year": ["float", "half", "string", "int64 big", "int64", "wrap"],
                "month": ["float", "half", "string", "int64 13"],
                "value_usd": ["string", "int64", "decimal", "bool", "float32", "string odd"],
                "reporter": ["int"],
                "partner": ["int", "large"],
                "flow": ["large", "int"],
            }[name]
        )
        if name not in columns:  # an earlier step renamed or removed it
            return f"no {name} column to change"
        values = columns[name]
        if target == "float":
            types[name] = pa.float64()
            columns[name] = [None if v is None else float(v) for v in values]
        elif target == "half":
            types[name] = pa.float64()
            columns[name] = [None if v is None else float(v) for v in values]
            columns[name][row] = (columns[name][row] or 1) + 0.5
        elif target in ("string", "string odd"):
            types[name] = pa.string()
            columns[name] = [None if v is None else str(v) for v in values]
            if target == "string odd":
                columns[name][row] = rng.choice([" 12.5 ", "1_000", "1e3", "abc", "", "1,5"])
        elif target == "int64 big":
            types[name] = pa.int64()
            columns[name][row] = rng.choice([70000, 67552, -1, 40000])
        elif target == "wrap":
            types[name] = pa.int64()
            # (A value an earlier step made text stays as it is: written as text, below.)
            columns[name] = [v + 65536 if type(v) is int else v for v in values]
        elif target == "int64":
            types[name] = pa.int64()
            # A value no integer holds (NaN, infinity) stays as it is: the column is then
            # written as text (below).
            columns[name] = [
                int(v) if isinstance(v, int | float) and math.isfinite(v) else v for v in values
            ]
        elif target == "int64 13":
            types[name] = pa.int64()
            columns[name][row] = rng.choice([13, 0, -1, 300])
        elif target == "decimal":
            # Only a column of finite numbers has decimals (one a mutation before made text,
            # or gave a missing or infinite value, stays as it is).
            if all(isinstance(v, int | float) and math.isfinite(v) for v in values):
                types[name] = pa.decimal128(20, 3)
                columns[name] = [
                    decimal.Decimal(repr(v)).quantize(decimal.Decimal("0.001")) for v in values
                ]
        elif target == "bool":
            types[name] = pa.bool_()
            columns[name] = [bool(v) for v in values]
        elif target == "float32":
            types[name] = pa.float32()
        elif target == "int":
            types[name] = pa.int64()
            columns[name] = [rng.randrange(1000) for _ in values]
        elif target == "large":
            types[name] = pa.large_string()
        return f"{name} as {target}"
    if how == "value" and "value_usd" not in columns:  # an earlier step renamed or removed it
        how = "null"
    if how == "value":
        columns["value_usd"][row] = rng.choice(
            [-5.0, 0.0, 4.99e13, 5e13, 1e16, 1e300, float("nan"), float("inf"), 12.345, 2.675]
        )
        return f"value of row {row + 1}: {columns['value_usd'][row]!r}"
    if how == "null":
        name = rng.choice(list(columns))
        columns[name][row] = None
        return f"{name} of row {row + 1} null"
    if how == "extra":
        columns[rng.choice(["note", "line", "origin", "__index_level_0__"])] = [
            rng.choice(["x", None]) for _ in range(count)
        ]
        return "an extra column"
    if how == "drop":
        name = rng.choice(list(columns))
        del columns[name]
        return f"column {name} dropped"
    if how == "rename":
        name = rng.choice(list(columns))
        columns[name.upper()] = columns.pop(name)
        types[name.upper()] = types.pop(name, pa.string())
        return f"column {name} renamed {name.upper()}"
    if how == "metadata":
        change = rng.choice([b"2", b"0", b"abc", b"", b" 1", None, b"1.0"])
        if change is None:
            metadata.clear()
        else:
            metadata[b"korus.schema_version"] = change
        return f"schema version {change!r}"
    if how == "repeat":
        for values in columns.values():
            values.append(values[row])
        return f"row {row + 1} repeated"
    if how == "remove":
        for values in columns.values():
            del values[row]
        return f"row {row + 1} removed"
    if how == "dictionary":
        types["partner"] = pa.dictionary(pa.int8(), pa.string())
        return "partner dictionary-encoded"
    return how


# ============================================================================ cache


def _cache_case(seed: int, rng: random.Random) -> Case:
    year = rng.randint(1995, 2023)
    text = _baci_text(rng, year)
    other = _baci_text(rng, year + 1).encode()
    damage = rng.choices(
        ["flip page", "flip footer", "flip digit", "truncate", "key", "written", "other entry",
         "part removed", "part of other", "garbage", "empty", "none"],
        [10, 6, 10, 6, 8, 2, 5, 3, 3, 2, 2, 2],
    )[0]  # fmt: skip
    case = Case(seed, "cache", "baci", BACI_NAME.format(year=year), text.encode(), [damage])
    case.companions["country_codes_V202301.csv"] = BACI_COUNTRIES.encode()
    case.question = _baci_question(rng, year)
    case.cache = CachePlan(
        damage,
        year,
        rng.choice(["cache build", "inspect", "deficit"]),
        rng.choice([16, 64, 256]),
        rng.choice([100, 10**9]),
        other,
        other_name=BACI_NAME.format(year=year + 1),
    )
    # Drawn last: a case of a BACI year's own entry is the one its seed always gave.
    case.cache.entry = rng.choices(["baci", "reading", "together"], [5, 4, 2])[0]
    if case.cache.entry == "reading":
        return _reading_cache_case(rng, case)
    reporter, partner, _ = case.question
    if case.cache.entry == "together":
        # The years as BACI writes them (kept together only then), asked about as a folder.
        case.data, case.cache.other = _in_baci_order(case.data), _in_baci_order(other)
        if case.cache.build_with == "inspect":  # a whole read asks for no years together
            case.cache.build_with = "cache build"
        case.steps.insert(0, "the folder's two years kept together")
        years = (case.data, case.cache.other)
        case.expected = _together([ref.read_baci(data, dict(BACI_ROWS)) for data in years])
        case.answer = _together(
            [ref.read_baci(data, dict(BACI_ROWS), (reporter, partner)) for data in years]
        )
        return case
    case.expected = _reading(lambda: ref.read_baci(case.data, dict(BACI_ROWS)))
    case.answer = _reading(lambda: ref.read_baci(case.data, dict(BACI_ROWS), (reporter, partner)))
    return case


def _in_baci_order(data: bytes) -> bytes:
    """Return a BACI year's rows in BACI's order (exporter, importer, product)."""
    header, *lines = data.decode().splitlines()
    lines.sort(key=lambda line: tuple(int(cell) for cell in line.split(",")[1:4]))
    return "\n".join([header, *lines, ""]).encode()


def _together(readings: list[ref.Reading]) -> ref.Reading:
    """Return the reading of several files read as one (each valid: BACI years)."""
    figures: dict = {}
    sources: dict = {}
    for reading in readings:
        figures |= reading.figures
        sources |= reading.sources
    rows = tuple(sum(reading.rows[at] for reading in readings) for at in range(3))
    return ref.Reading(figures, sources, rows, any(r.may_refuse for r in readings))


STORED_LAYOUTS = (
    "korus-csv", "comtrade-legacy", "comtrade-plus-csv", "comtrade-plus-json", "census-country",
    "korus-parquet",
)  # fmt: skip


def _reading_cache_case(rng: random.Random, case: Case) -> Case:
    """Turn a cache case into one of the store: a valid file of another layout, its settled
    reading kept by a first question (``korus.store``), then damaged."""
    layout = rng.choice(STORED_LAYOUTS)
    case.dedupe = rng.random() < 0.25
    case.layout = layout
    case.companions = {}
    case.name, case.data, case.expected, case.question = _stored_input(rng, layout, case.dedupe)
    other_name, case.cache.other, _, _ = _stored_input(rng, layout, case.dedupe, "other")
    case.cache.other_name = other_name
    if case.cache.build_with == "cache build":  # only BACI has a cache build
        case.cache.build_with = "convert"
    case.steps.insert(0, "its reading kept in the store")
    case.answer = case.expected
    return case


def _stored_input(
    rng: random.Random, layout: str, dedupe: bool, stem: str = "data"
) -> tuple[str, bytes, ref.Reading, tuple]:
    """Return (name, content, its reference reading, a deficit question) of a valid file of
    ``layout``; with ``dedupe``, a text file repeats a row exactly."""
    if layout == "census-country":
        rows = _census_rows(rng)
        data = _workbook_bytes({"country": rows}, set())
        years = [row[0] for row in rows[1:]]
        partners = [CENSUS_PARTNERS[str(r[1])] for r in rows[1:] if str(r[1]) in CENSUS_PARTNERS]
        question = ("USA", rng.choice(partners or ["KOR"]), rng.choice(years))
        expected = _reading(lambda: ref.read_census_country(*_read_workbook(data)))
        return f"{stem}.xlsx", data, expected, question
    figures = _base_figures(rng, whole_dollars=layout != "korus-csv" and rng.random() < 0.5)
    question = _question(rng, figures)
    if layout == "korus-parquet":
        data = _tidy_parquet_bytes(figures)
        expected = _reading(lambda: _tidy_parquet_reference(data, dedupe))
        return f"{stem}.parquet", data, expected, question
    records = _plus_records(rng, figures) if layout.startswith("comtrade-plus") else []
    if layout == "comtrade-plus-json":
        answer = {"elapsedTime": "0.5 secs", "count": len(records), "data": records, "error": ""}
        data = json.dumps(answer).encode()
        expected = _reading(lambda: ref.read_comtrade_plus_json(data, dedupe))
        return f"{stem}.json", data, expected, question
    if layout == "korus-csv":
        header, rows = TIDY_HEADER, _tidy_rows(figures)
        read = ref.read_tidy_csv
    elif layout == "comtrade-legacy":
        header, rows = LEGACY_HEADER, _legacy_rows(rng, figures)
        read = ref.read_comtrade_legacy
    else:
        header = list(records[0])
        rows = [[_csv_value(record.get(column)) for column in header] for record in records]
        read = ref.read_comtrade_plus_csv
    if dedupe:
        rows.insert(rng.randint(0, len(rows)), list(rng.choice(rows)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode()
    return f"{stem}.csv", data, _reading(lambda: read(data, dedupe)), question


def _damage_entry(rng: random.Random, case: Case, files: list[Path], other: list[Path]) -> str:
    """Damage a cache entry's files in place; return what was done."""
    damage = case.cache.damage
    main = files[0]
    data = bytearray(main.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer
    if damage == "flip page":
        target = rng.choice(files)
        data = bytearray(target.read_bytes())
        footer_start = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
        spots = [rng.randrange(4, max(5, footer_start)) for _ in range(rng.randint(1, 8))]
        for at in spots:
            data[at] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        return f"bits flipped in {target.name} at {spots}"
    if damage == "flip footer":
        # In the footer's structure (schema, row groups, statistics), before its key-value
        # metadata: bytes that are the same on every run of the seed.
        names = (b"ARROW:schema", b"korus.cache", b"korus.part", b"korus.ranges")
        found = [bytes(data).find(name, start) for name in names]
        end = min([at for at in found if at > start] or [len(data) - 8])
        spots = [rng.randrange(start, end) for _ in range(rng.randint(1, 4))]
        for at in spots:
            data[at] ^= 1 << rng.randrange(8)
        main.write_bytes(bytes(data))
        return f"bits flipped in the footer at {[at - start for at in spots]}"
    if damage == "flip digit":
        digits = _metadata_digits(bytes(data), start)
        at = rng.choice(digits)
        old = chr(data[at])
        data[at] = ord(rng.choice([d for d in "0123456789" if d != old]))
        main.write_bytes(bytes(data))
        context = bytes(data[max(start, at - 30) : at + 10]).decode("latin-1")
        return f"a digit of the footer changed ({old} -> {chr(data[at])}) in {context!r}"
    if damage == "truncate":
        cut = rng.randrange(len(data))
        main.write_bytes(bytes(data[:cut]))
        return f"cut at byte {cut} of {len(data)}"
    if damage in ("key", "written"):
        text = bytes(data)
        fields = [
            b'"size": ',
            b'"mtime_ns": ',
            b'"format": ',
            b'"schema": ',
            b'"layout": "',
            b'"source": "',
        ]
        if damage == "written":
            fields = [b'"written": "']
        field_ = rng.choice([f for f in fields if f in text[start:]] or fields[:1])
        at = text.find(field_, start) + len(field_)
        while at < len(text) and not chr(text[at]).isalnum():
            at += 1
        old = chr(text[at])
        new = "1" if old == "0" else ("0" if old.isdigit() else ("x" if old != "x" else "y"))
        data[at] = ord(new)
        main.write_bytes(bytes(data))
        name = field_.decode().strip(': "')
        return f"the key's {name} edited ({old} -> {new})"
    if damage == "other entry":
        shutil.copyfile(other[0], main)
        return "replaced by the entry of another year"
    if damage == "part removed":
        if len(files) > 1:
            files[-1].unlink()
            return f"part {files[-1].name} removed"
        return "no part to remove"
    if damage == "part of other":
        if len(files) > 1 and len(other) > 1:
            shutil.copyfile(other[1], files[1])
            return "a part replaced by another entry's"
        return "no part to replace"
    if damage == "garbage":
        main.write_bytes(b"PAR1" + os.urandom(64) + b"PAR1")
        return "replaced by garbage"
    if damage == "empty":
        main.write_bytes(b"")
        return "emptied"
    return "left as written"


def _metadata_digits(data: bytes, start: int) -> list[int]:
    """Return the places of the digits of a cache file's metadata that are the same on every
    run of a seed: the key's and the reader's numbers (not the paths, not the time it was
    written) and the row groups' ranges."""
    import re

    decoder = json.JSONDecoder()
    found = []
    key_at = data.find(b'{"format"', start)
    if key_at > 0:
        text = data[key_at:].decode("latin-1")
        key, length = decoder.raw_decode(text)
        text = text[:length]
        left_out = [json.dumps(key.get("written")), *map(json.dumps, _fingerprints(key))]
        spans = []
        for value in left_out:  # every place it is (a code list is in the key and the info)
            at = text.find(value)
            while at >= 0:
                spans.append((at, at + len(value)))
                at = text.find(value, at + 1)
        found += [
            key_at + m.start()
            for m in re.finditer(r"\d", text)
            if not any(a <= m.start() < b for a, b in spans)
        ]
    ranges_at = data.find(b"[[", key_at + 1 if key_at > 0 else start)
    if ranges_at > 0:
        text = data[ranges_at:].decode("latin-1")
        with contextlib.suppress(ValueError):
            _, length = decoder.raw_decode(text)
            found += [ranges_at + m.start() for m in re.finditer(r"\d", text[:length])]
    return found or [start]


def _fingerprints(value) -> list:
    """Return the file fingerprints (or a folder's path) held anywhere in korus's metadata:
    their numbers (inodes, times) and paths differ from one run to the next."""
    if isinstance(value, dict):
        if "inode" in value:
            return [value]
        found = [value["source"]] if isinstance(value.get("source"), str) else []
        return found + [print_ for item in value.values() for print_ in _fingerprints(item)]
    if isinstance(value, list):
        return [print_ for item in value for print_ in _fingerprints(item)]
    return []


# ============================================================================ running


@dataclass
class Result:
    """What korus did with a case, judged."""

    seed: int
    kind: str
    layout: str
    outcome: str
    detail: str = ""
    case: Case | None = None

    @property
    def problem(self) -> str | None:
        """Return the failure in words, or None when korus did what it must."""
        if self.outcome not in FAILURES:
            return None
        return (
            f"{self.case.describe() if self.case else self.seed}\n  {self.outcome}: {self.detail}"
        )


def _cli():
    from korus.cli import cli

    return cli


def run_case(seed: int, folder: Path, case: Case | None = None, keep: Path | None = None) -> Result:
    """Run korus on one case in ``folder``; return the judged Result. With ``keep``, the
    case's files (and a cache case's damaged entry) are also copied there."""
    try:
        case = case or make_case(seed)
    except Exception:
        return Result(seed, "?", "?", TRACEBACK, "the fuzzer failed:\n" + traceback.format_exc())
    try:
        return _run(case, Path(folder), keep)
    except Exception:  # the fuzzer's own failure: said, never taken for korus's
        return Result(
            seed,
            case.kind,
            case.layout,
            TRACEBACK,
            "the fuzzer failed:\n" + traceback.format_exc(),
            case,
        )


def _run(case: Case, folder: Path, keep: Path | None = None) -> Result:
    from korus import cache, store
    from korus.readers import baci_stream

    if case.kind == "cache":
        return _run_cache(case, keep)
    place = folder / f"case{case.seed}"
    place.mkdir(parents=True, exist_ok=True)
    path = place / case.name
    try:
        path.write_bytes(case.data)
        for name, content in case.companions.items():
            (place / name).write_bytes(content)
        if keep is not None:
            shutil.copytree(place, keep, dirs_exist_ok=True)
        saved = (
            baci_stream.STREAM_FROM,
            baci_stream.STREAM_CHUNK,
            cache._deferred,
            store.WORTH_SECONDS,
        )
        try:
            if case.stream:
                baci_stream.STREAM_FROM, baci_stream.STREAM_CHUNK = 0, 256
                cache._deferred = True
            # Half the cases have their reading kept in the store by the first question
            # (inspect), so that the next ones (convert, deficit) read it from there; the
            # others never keep one. Drawn apart from the case, which stays its seed's.
            kept = random.Random(case.seed * 104729 + 3).random() < 0.5
            store.WORTH_SECONDS = 0.0 if kept else math.inf
            return _probe(case, path)
        finally:
            (
                baci_stream.STREAM_FROM,
                baci_stream.STREAM_CHUNK,
                cache._deferred,
                store.WORTH_SECONDS,
            ) = saved
            cache._requested.clear()
            cache._requested_groups.clear()
            store._pending.clear()
    finally:
        shutil.rmtree(place, ignore_errors=True)


def _run_cache(case: Case, keep: Path | None = None) -> Result:
    from korus import cache, store
    from korus.readers import baci_parse

    plan = case.cache
    rng = random.Random(case.seed * 7919 + 1)
    # A folder of a fixed length (tempfile's): the key, written in the entry, is the same
    # length on every run, so the damage falls on the same bytes.
    place = Path(tempfile.mkdtemp(prefix="korus-fuzz-"))
    saved_env = os.environ.get(cache.ENV_DIR)
    saved = (cache.MIN_BYTES, cache._enabled, baci_parse.CACHE_ROW_GROUP, baci_parse.PARTS_FROM)
    saved_worth = store.WORTH_SECONDS
    try:
        os.environ[cache.ENV_DIR] = str(place / "cache")
        cache.MIN_BYTES, cache._enabled = 0, None
        baci_parse.CACHE_ROW_GROUP, baci_parse.PARTS_FROM = plan.row_group, plan.parts_from
        store.WORTH_SECONDS = 0.0  # every reading kept (a file of the store's)
        data_dir = place / "data"
        data_dir.mkdir()
        path = data_dir / case.name
        other = data_dir / plan.other_name
        for target, content in ((path, case.data), (other, plan.other)):
            target.write_bytes(content)
            os.utime(target, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
        for name, content in case.companions.items():
            (data_dir / name).write_bytes(content)
        if plan.entry == "together":
            built = _build_entry(case, data_dir)
            files = _entry_files(case, data_dir)
            other_files = _entry_files(case, path)  # a year's own entry
        else:
            built = _build_entry(case, path) and _build_entry(case, other)
            files = _entry_files(case, path)
            other_files = _entry_files(case, other)
        if not built or not files:
            return Result(
                case.seed,
                case.kind,
                case.layout,
                ERROR if case.expected.refused else TRACEBACK,
                "no cache entry was built",
                case,
            )
        case.steps[-1] = _damage_entry(rng, case, files, other_files)
        # What every question meets: the cache folder as it is after the damage (another
        # question's entries, written meanwhile, removed), as a new process would find it.
        folder = cache.cache_dir()
        damaged = {file: file.read_bytes() for file in folder.iterdir() if file.is_file()}
        if keep is not None:
            shutil.copytree(place, keep, dirs_exist_ok=True)

        def restore() -> None:
            for file in folder.iterdir():
                if file.is_file() and file not in damaged:
                    file.unlink()
            for file, content in damaged.items():
                file.write_bytes(content)
            cache._verified.clear()

        return _probe(case, data_dir if plan.entry == "together" else path, before=restore)
    finally:
        cache.wait()
        cache.MIN_BYTES, cache._enabled, baci_parse.CACHE_ROW_GROUP, baci_parse.PARTS_FROM = saved
        store.WORTH_SECONDS = saved_worth
        store._pending.clear()
        cache._verified.clear()
        cache._requested.clear()
        cache._requested_groups.clear()
        if saved_env is None:
            os.environ.pop(cache.ENV_DIR, None)
        else:
            os.environ[cache.ENV_DIR] = saved_env
        shutil.rmtree(place, ignore_errors=True)


def _entry_files(case: Case, path: Path) -> list[Path]:
    """Return the files of the entry of ``path`` (a file; for "together", the folder) that
    the case damages: its main file first, then its parts."""
    from korus import cache, cache_entries, store

    if case.cache.entry == "together" and path.is_dir():
        target = cache._group_target(os.path.realpath(path), "baci")
    elif case.cache.entry == "reading":
        rules = store.Rules(None, None, None, case.dedupe)
        target = cache._target(path, store.entry_layout(rules))
    else:
        target = cache._target(path, "baci")
    if target is None or not target.exists():
        return []
    return [target, *cache_entries._parts(target)]


def _build_entry(case: Case, path: Path) -> bool:
    """Have korus write the entry of ``path`` as the case's command does; return whether
    it is there."""
    from korus import cache

    how = case.cache.build_with
    reporter, partner, year = case.question
    options = ["--dedupe"] if case.dedupe else []
    args = {
        "cache build": ["cache", "build", "--quiet", str(path)],
        "inspect": ["inspect", str(path), "--format", "json", *options],
        "convert": ["convert", str(path), "-o", "-", *options],
        "deficit": ["deficit", "--data", str(path), "--reporter", reporter, "--partner", partner,
                    "--years", str(year), "--format", "csv", *options],
    }[how]  # fmt: skip
    saved = cache._deferred
    # A question over a folder's years asks for them kept together, as on the command line.
    cache._deferred = case.cache.entry == "together"
    try:
        CliRunner().invoke(_cli(), args)
    finally:
        cache._deferred = saved
    cache.wait()
    cache.launch(background=False)
    cache._verified.clear()
    return bool(_entry_files(case, path))


def _invoke(args: list[str]):
    from korus import cache

    result = CliRunner().invoke(_cli(), args)
    cache.wait()
    return result


def _ending(result) -> tuple[str, str]:
    """Return (outcome, detail) of a korus run that did not exit 0, or ("", "") for 0."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return TRACEBACK, "".join(traceback.format_exception(result.exception))[-2000:]
    if result.exit_code == 0:
        return "", ""
    # What a person must hear goes first, on lines of its own ("Note: ..."); then the error.
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Note: ")]
    if (
        result.exit_code == 1
        and len(lines) == 1
        and result.stderr.endswith(lines[0] + "\n")
        and lines[0].startswith("Error: ")
    ):
        if "unexpected failure" in lines[0]:
            return BUG, lines[0]
        return ERROR, lines[0]
    return TRACEBACK, f"exit {result.exit_code}: {result.stderr[-2000:]!r}"


def _probe(case: Case, path: Path, before=None) -> Result:
    """Ask korus about the file (inspect, convert, a deficit question) and judge each."""
    options = ["--dedupe"] if case.dedupe else []
    outcomes: list[tuple[str, str]] = []

    def judge(outcome: str, detail: str) -> None:
        outcomes.append((outcome, detail))

    expected = case.expected
    # inspect: the accounting.
    if before:
        before()
    result = _invoke(["inspect", str(path), "--format", "json", *options])
    ended, said = _ending(result)
    refused_by_korus = bool(ended)
    if ended:
        judge(*_refusal(ended, said, expected, "inspect"))
    elif expected is not None:
        judge(*_judge_inspect(result.stdout, case))
    else:
        judge(UNJUDGED, "inspect")
    # convert: every figure (the same reading: skipped when inspect refused cleanly).
    if not refused_by_korus or case.kind == "cache":
        if before:
            before()
        result = _invoke(["convert", str(path), "-o", "-", *options])
        ended, said = _ending(result)
        if ended:
            judge(*_refusal(ended, said, expected, "convert"))
        elif expected is not None:
            judge(*_judge_figures(result.stdout, expected))
        else:
            judge(UNJUDGED, "convert")
    # A question: korus reads with the pair in mind (BACI keeps only its rows). A year
    # korus's --years would not take (16) is no question.
    asked = case.question and 1000 <= case.question[2] <= 9999
    if asked and (not refused_by_korus or case.layout == "baci"):
        if before:
            before()
        reporter, partner, year = case.question
        result = _invoke(
            ["deficit", "--data", str(path), "--reporter", reporter, "--partner", partner,
             "--years", str(year), "--unit", "usd", "--format", "csv", *options]
        )  # fmt: skip
        ended, said = _ending(result)
        answer = _question_answer(case)
        if ended:
            judge(*_refusal(ended, said, answer, "deficit"))
        elif answer is not None:
            judge(*_judge_deficit(result.stdout, answer, case))
        else:
            judge(UNJUDGED, "deficit")
    worst = min(outcomes, key=lambda item: ORDER.index(item[0]))
    details = "; ".join(detail for outcome, detail in outcomes if outcome == worst[0])
    return Result(case.seed, case.kind, case.layout, worst[0], details, case)


def _refusal(ended: str, said: str, expected, probe: str) -> tuple[str, str]:
    if ended != ERROR:
        return ended, f"{probe}: {said}"
    if expected is None or expected.refused or expected.may_refuse:
        return ERROR, f"{probe}: {said}"
    return REFUSED, f"{probe}: {said}"


def _accepted_invalid(expected, probe: str) -> tuple[str, str]:
    return WRONG, f"{probe}: korus gave figures for an input that is not valid ({expected.why})"


def _judge_inspect(stdout: str, case: Case) -> tuple[str, str]:
    expected = case.expected
    if expected.refused:
        return _accepted_invalid(expected, "inspect")
    if not case.check_rows or expected.rows is None:
        return RIGHT, "inspect"
    found: dict = {}  # (file, field) -> count: a folder's files are added up
    for row in json.loads(stdout):
        if row["field"] in ("rows read", "rows kept", "rows set aside"):
            found.setdefault((row["file"], row["field"]), int(row["value"].replace(",", "")))
    rows = tuple(
        sum(count for (_, field), count in found.items() if field == name) if found else None
        for name in ("rows read", "rows kept", "rows set aside")
    )
    if rows != expected.rows:
        return WRONG, f"inspect: rows read, kept, set aside {rows}, expected {expected.rows}"
    return RIGHT, "inspect"


# convert's CSV guards text a spreadsheet would run as a formula with one apostrophe more
# (korus's documented CSV output): taken off again to compare the text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _unguarded(text: str) -> str:
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _figures_of(stdout: str) -> tuple[dict, dict]:
    figures: dict = {}
    sources: dict = {}
    for row in csv.DictReader(io.StringIO(stdout, newline="")):
        key = (
            int(row["year"]),
            int(row["month"]) if row["month"] else None,
            _unguarded(row["reporter"]),
            _unguarded(row["partner"]),
            row["flow"],
            _unguarded(row["product"]),
        )
        if key in figures:
            figures[key] = float("nan")  # a figure given twice: never equal
        else:
            figures[key] = float(row["value_usd"])
        sources[key] = _unguarded(row["source"])
    return figures, sources


def _same(a: float, b: float) -> bool:
    """Whether two figures agree to the cent (a rounding tie may go either way)."""
    return abs(a - b) <= 0.01 + 1e-9 * abs(b)


def _judge_figures(stdout: str, expected) -> tuple[str, str]:
    if expected.refused:
        return _accepted_invalid(expected, "convert")
    figures, _ = _figures_of(stdout)
    wanted = expected.figures
    missing = sorted((k for k in wanted if k not in figures), key=str)
    extra = sorted((k for k in figures if k not in wanted), key=str)
    differ = sorted(
        (k for k in wanted if k in figures and not _same(figures[k], wanted[k])), key=str
    )
    if not (missing or extra or differ):
        return RIGHT, "convert"
    said = []
    if differ:
        said.append(
            f"{len(differ)} figures differ, e.g. {differ[0]}: korus {figures[differ[0]]!r}, "
            f"expected {wanted[differ[0]]!r}"
        )
    if missing:
        said.append(f"{len(missing)} figures missing, e.g. {missing[0]} = {wanted[missing[0]]!r}")
    if extra:
        said.append(f"{len(extra)} figures not expected, e.g. {extra[0]} = {figures[extra[0]]!r}")
    return WRONG, "convert: " + "; ".join(said)


def _question_answer(case: Case):
    answer = case.answer
    if answer is None:
        return None
    if answer.refused:
        return answer
    reporter, partner, year = case.question
    try:
        exports, imports = ref.deficit(answer, reporter, partner, year)
    except ref.Refused as exc:
        return ref.Reading(None, why=str(exc), may_refuse=answer.may_refuse)
    balance = any(
        key[4] == "balance" and key[2] == reporter and key[3] == partner for key in answer.figures
    )
    return ref.Reading(
        {"exports": exports, "imports": imports, "balance": None if balance else exports - imports},
        may_refuse=answer.may_refuse,
        why=answer.why,
    )


def _judge_deficit(stdout: str, answer, case: Case) -> tuple[str, str]:
    if answer.refused:
        return _accepted_invalid(answer, "deficit")
    rows = list(csv.DictReader(io.StringIO(stdout)))
    if len(rows) != 1:
        return WRONG, f"deficit: {len(rows)} rows for one year"
    found = {name: float(rows[0][f"{name}_usd"]) for name in ("exports", "imports", "balance")}
    for name, value in answer.figures.items():
        if value is not None and not _same(found[name], value):
            return WRONG, f"deficit {case.question}: {name} {found[name]!r}, expected {value!r}"
    return RIGHT, "deficit"


@contextlib.contextmanager
def own_cache_folder():
    """Give korus a cache folder of the run's own (never the user's) while fuzzing."""
    from korus import cache

    saved = os.environ.get(cache.ENV_DIR)
    with tempfile.TemporaryDirectory(prefix="korus-fuzz-cache-") as folder:
        os.environ[cache.ENV_DIR] = folder
        try:
            yield Path(folder)
        finally:
            if saved is None:
                os.environ.pop(cache.ENV_DIR, None)
            else:
                os.environ[cache.ENV_DIR] = saved
