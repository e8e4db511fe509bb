"""CEPII BACI: world trade flows reconciled by CEPII, one CSV file a year.

Header ``t,i,j,k,v,q`` (some releases quote it: ``"t","i","j","k","v","q"``): ``t`` year,
``i`` exporter and ``j`` importer (BACI numeric country codes, UN Comtrade's numerics), ``k``
HS6 product (text: ``010121``; a ``k`` of five digits has lost its leading zero and gets it
back, counted in a note), ``v`` value in **thousands of US dollars**, FOB, as reconciled by
CEPII from the exporter's and the importer's declarations, ``q`` quantity in tonnes (blank
or a space-padded ``NA`` when unknown; korus keeps no quantities and does not read it).

Companion files, found beside the data file (the newest release by name, preferring the
data file's own release and HS version when its name states them) or given as
``read(path, country_codes=..., product_codes=...)``:

- ``country_codes_V*.csv``: ``country_code, country_name_abbreviation, country_name_full,
  iso_2digit_alpha, iso_3digit_alpha`` (to V202301) or ``country_code, country_name,
  country_iso2, country_iso3`` (later releases). Codes map to the ISO3 code it gives (also
  where UN Comtrade's code differs: 58 Belgium-Luxembourg is BEL there, noted); where it
  gives none (``N/A``: "Other Asia, nes") or lacks a code, the code is read as a UN
  Comtrade numeric through ``countries.from_comtrade``, and a note says so. Without the
  file every code is read that way (BACI uses Comtrade's numerics), with a note. Where two
  BACI codes of one file map to one korus code (276 Germany and 280 the former FRG are both
  DEU), their flows are added together, noted.
- ``product_codes_HS*_V*.csv``: only its name is used: its HS version gives the
  classification (HS92 is HS1992, HS17 HS2017). Its codes have lost their leading zeros and
  are not needed. Without it the data file's name (``BACI_HS92_Y2019_V202301.csv``) is
  asked, else the classification is "HS (version not stated)".

The vintage is the release in the companion file names (``V202301`` -> "BACI V202301"),
else in the data file's name, else "release not stated in the file".

Each BACI row is one flow from ``i`` to ``j``. It is written twice in the canonical frame:
as reporter ``i``, flow export, partner ``j``, and as reporter ``j``, flow import, partner
``i``, both on the basis "FOB (CEPII BACI reconciled)", so that a balance reads the same as
for reported data (and, unlike reported data, the two sides agree by construction). The
frame holds the HS6 rows only: korus's metrics roll them up into chapters, sections or
sectors. ``rows_read`` counts the file's data rows and ``rows_kept`` the data rows kept
(each gives two rows of the frame); a row whose exporter and importer are one
korus country (two BACI codes for one territory) is set aside, counted.

A year file has 10 million rows or more: the five needed columns are read by
``pyarrow.csv`` with explicit types (codes as text) and turned into the canonical frame by
array operations, never row by row.

Layout and codes: CEPII, "BACI: International Trade Database at the Product-Level",
Gaulier and Zignago (2010), CEPII Working Paper 2010-23, and the Readme of each release
(www.cepii.fr, BACI page).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from korus import countries
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.common import take_sample
from korus.schema import Accounting, Reading, canonical

LAYOUT = "baci"
DESCRIPTION = "CEPII BACI yearly file (t,i,j,k,v,q): world trade by HS6, thousands of USD, FOB"
HEADER = ["t", "i", "j", "k", "v", "q"]
NEEDED = ["t", "i", "j", "k", "v"]
SOURCE = "CEPII BACI"
BASIS = "FOB (CEPII BACI reconciled)"
NO_RELEASE = "release not stated in the file"
NO_VERSION = "HS (version not stated)"
UNIT = 1e3  # v is in thousands of US dollars
HS_YEARS = {"92": "1992", "96": "1996", "02": "2002", "07": "2007", "12": "2012"}
# Columns of the two country-code layouts: code, name, ISO3.
COUNTRY_COLUMNS = (
    ("country_code", "country_name_abbreviation", "iso_3digit_alpha"),
    ("country_code", "country_name", "country_iso3"),
)
NO_ISO = {"", "N/A"}  # the country file gives no ISO3 ("Other Asia, nes")
OTHER_PAIRS = "other country pairs (not asked for)"
SAME_COUNTRY = "exporter and importer are one korus country (two BACI codes for one territory)"
MAX_CODE = 9999  # BACI country codes have at most 4 digits
BLOCK_BYTES = 1 << 24  # Arrow's CSV reader parses blocks of this size in parallel
# The cache: the needed columns sorted by exporter and importer, in row groups small enough
# that a country pair's rows are in a few of them (their i/j statistics tell which).
CACHE_ROW_GROUP = 65_536
CACHE_COLUMNS = ["t", "i", "j", "k", "lost_zero", "v", "row"]
CACHE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["t", "i", "j", "lost_zero"],
    "column_encoding": {
        "k": "DELTA_BINARY_PACKED",
        "v": "BYTE_STREAM_SPLIT",
        "row": "DELTA_BINARY_PACKED",
    },
    "row_group_size": CACHE_ROW_GROUP,
}
# Write the cache in a thread while the answer is computed (the process waits for it).
BACKGROUND_CACHE = True

_VERSION = re.compile(r"V(\d{6})", re.I)
_HS = re.compile(r"HS(\d{2})", re.I)


def sniff(sample) -> bool:
    """Return whether a file is a BACI data file: its header is exactly t,i,j,k,v[,q]."""
    if sample.kind != "text":
        return False
    header = [cell.lower() for cell in sample.cells(0)]
    return header in (HEADER, NEEDED)


def companion(sample) -> str | None:
    """Return what a file is when it is one of BACI's code lists (read beside the data)."""
    if sample.kind != "text":
        return None
    header = [cell.lower() for cell in sample.cells(0)]
    if header[:1] == ["country_code"]:
        return "BACI country code list"
    if header == ["code", "description"]:
        return "BACI product code list"
    return None


def read(
    path: Path, country_codes: Path | None = None, product_codes: Path | None = None
) -> Reading:
    """Return the canonical frame of a BACI file and its row accounting.

    ``country_codes`` and ``product_codes`` name the companion files; by default they are
    looked for beside the data file.
    """
    return _read(Path(path), None, country_codes, product_codes)


def scan(
    path: Path,
    pair: tuple[str, str] | None,
    country_codes: Path | None = None,
    product_codes: Path | None = None,
) -> Reading:
    """Return the canonical frame of a BACI file's trade between two korus countries only.

    ``pair`` is two korus country codes (``("USA", "KOR")``): the rows whose exporter and
    importer are those two countries, either way, are kept; the file's other rows are set
    aside as "other country pairs (not asked for)", counted, and never become a frame.
    ``pair=None`` reads the whole file (``read``).
    """
    return _read(Path(path), pair, country_codes, product_codes)


def _read(path, pair, country_codes, product_codes, use_cache: bool = True) -> Reading:
    import numpy as np
    import pandas as pd

    from korus import cache

    name = str(path)
    accounting = Accounting(file=name, layout=LAYOUT)
    hit = cache.find(path, LAYOUT) if use_cache else None
    source = _Cached(hit, name) if hit else _parse(path, name)
    accounting.rows_read = source.rows
    if source.rows == 0:
        raise DataFileError(f"{name}: the file has a BACI header but no data rows")
    if hit is None and cache.wanted(path):
        source.write_cache(path, background=BACKGROUND_CACHE)

    # Companion files: classification, release, and the country table.
    country_file = _given(country_codes, name, "country codes") or _companion(
        path, "country_codes_V*.csv"
    )
    product_file = _given(product_codes, name, "product codes") or _companion(
        path, "product_codes_HS*_V*.csv"
    )
    classification = _classification(path, product_file, accounting)
    vintage = _vintage(path, country_file, product_file, accounting)

    # Map each BACI code of the file to a korus code (a few hundred codes, never per row).
    mapping = _country_map(source.codes, source.first_line, country_file, name, accounting)
    wanted = None
    if pair is not None:
        asked = {str(code) for code in pair}
        wanted = sorted(code for code, korus in mapping.items() if korus in asked)
    try:
        rows = source.rows_of(wanted)
    except _BrokenCache:
        cache.discard(hit.path)
        return _read(path, pair, country_codes, product_codes, use_cache=False)
    del source

    korus_codes = sorted(set(mapping.values()))
    position = {code: index for index, code in enumerate(korus_codes)}
    lookup = np.zeros(MAX_CODE + 1, dtype=np.int32)
    for code, korus in mapping.items():
        lookup[code] = position[korus]
    exporters = lookup[rows.i]
    importers = lookup[rows.j]

    if pair is not None:
        others = accounting.rows_read - len(rows)
        accounting.set_aside_rows(OTHER_PAIRS, others)
        if others:
            accounting.notes.append(
                f"only trade between {pair[0]} and {pair[1]} was asked for: product codes and "
                "repeated flows are checked on its rows; the other rows were parsed (years, "
                "country codes and values) but set aside"
            )
    keep = exporters != importers
    if not keep.all():
        accounting.set_aside_rows(SAME_COUNTRY, int((~keep).sum()))
    accounting.rows_kept = int(keep.sum())
    padded = int(rows.lost_zero.sum())
    if padded:
        accounting.notes.append(
            f"{padded:,} product codes k had 5 digits, their leading zero lost; restored "
            "to 6 digits (10121 -> 010121)"
        )

    # One flow per (year, exporter, importer, product): a row given twice would double it;
    # two BACI codes mapped to one korus code are added together.
    hs6 = pd.DataFrame(
        {
            "year": rows.t[keep],
            "exporter": exporters[keep],
            "importer": importers[keep],
            "product": rows.k[keep],
            "value": rows.v[keep],
        }
    )
    key = ["year", "exporter", "importer", "product"]
    repeated = hs6.duplicated(key, keep=False).to_numpy()
    if repeated.any():
        chosen = np.flatnonzero(keep)[repeated]  # the file rows behind the repeated flows
        _refuse_repeats(rows, chosen, name)
        hs6 = hs6.groupby(key, sort=False)["value"].sum().reset_index()
        accounting.notes.append(
            "flows of BACI codes that map to one korus country were added together ("
            + ", ".join(f"{code} -> {korus}" for code, korus in _merged(mapping))
            + ")"
        )
    del rows, exporters, importers, keep
    if hit is not None:
        accounting.notes.append(
            f"read from korus's cache of the file ({hit.path}; `korus cache clear` removes it)"
        )

    accounting.notes.append(
        "each BACI row gives the exporter's export and the importer's import (both FOB, "
        "CEPII's reconciled value)"
    )
    return Reading(canonical(_frame(hs6, korus_codes, classification, vintage)), [accounting])


def _frame(hs6, korus_codes, classification: str, vintage: str):
    """Return the frame of the HS6 flows, each as the exporter's export and importer's import."""
    import numpy as np
    import pandas as pd

    # Each text column is taken from its few distinct labels by position, in pyarrow: no
    # Python string per row, and canonical() finds the columns already text.
    codes, labels = _code_text(hs6["product"].to_numpy(), 6)
    rows = 2 * len(hs6)
    exporter, importer = hs6["exporter"].to_numpy(), hs6["importer"].to_numpy()
    year, value = hs6["year"].to_numpy(), hs6["value"].to_numpy()
    constant = np.zeros(rows, np.int8)
    return pd.DataFrame(
        {
            "year": np.concatenate([year, year]),
            "month": pd.arrays.IntegerArray(constant, np.ones(rows, bool)),  # all <NA>
            "reporter": _text(korus_codes, np.concatenate([exporter, importer])),
            "partner": _text(korus_codes, np.concatenate([importer, exporter])),
            "flow": _text(["export", "import"], np.repeat(np.array([0, 1], np.int8), len(hs6))),
            "product": _text(labels, np.concatenate([codes, codes])),
            "classification": _text([classification], constant),
            "value_usd": np.concatenate([value, value]) * UNIT,
            "source": _text([SOURCE], constant),
            "basis": _text([BASIS], constant),
            "vintage": _text([vintage], constant),
        }
    )


# ------------------------------------------------------------------------ the data file


@dataclass
class _Rows:
    """The rows a read materialises, as numpy arrays; ``line`` is each row's file line."""

    t: object  # int16 years
    i: object  # int16 exporter codes
    j: object  # int16 importer codes
    k: object  # int32 HS6 codes (leading zero restored by printing with 6 digits)
    lost_zero: object  # bool: k was written with 5 digits
    v: object  # float64 thousands of US dollars
    line: object  # int64 file line numbers (the header is line 1)

    def __len__(self) -> int:
        return len(self.t)


class _BrokenCache(Exception):
    """A cache file that could not be read to the end: it is removed and the source read."""


def _parse(path: Path, name: str) -> _Parsed:
    """Return the five needed columns of a BACI CSV, parsed and checked on every row.

    Arrow's multithreaded CSV reader parses t, i and j as integers and v as a float,
    keeping k as text (its leading zero). Years must have 4 digits, country codes at most
    4 and values be 0 or more; any cell that does not parse, or is out of range, sends the
    file to the exact reading of every code as text (``_parse_text``), whose error names
    the line and column.
    """
    import numpy as np
    import pyarrow as pa

    header = _header(path, name)
    types = {"t": pa.int16(), "i": pa.int16(), "j": pa.int16(), "k": pa.string()}
    types["v"] = pa.float64()
    try:
        table = _csv(path, name, header, types)
    except _Unparsed:
        return _parse_text(path, name, header)
    t, i, j = (_numbers(table[column]) for column in ("t", "i", "j"))
    if len(t) and (
        t.min() < 1000
        or t.max() > 9999
        or min(i.min(), j.min()) < 0
        or max(i.max(), j.max()) > MAX_CODE
    ):
        return _parse_text(path, name, header)
    values = _values(table, name)
    return _Parsed(name, t, i, j, table["k"], values, np.arange(len(t), dtype=np.int64) + 2)


def _parse_text(path: Path, name: str, header: list[str]) -> _Parsed:
    """Return the needed columns read as text and checked code by code (the exact reading).

    Slower than ``_parse``: used when a cell of t, i or j is not a plain integer (a code
    with spaces around it is still read) or a value is not a number (an error naming it).
    """
    import numpy as np
    import pyarrow as pa

    types = {column: pa.string() for column in NEEDED}
    types["v"] = pa.float64()
    try:
        table = _csv(path, name, header, types)
    except _Unparsed:
        table = _csv(path, name, header, {column: pa.string() for column in NEEDED})
        _bad_value(table, name)
        raise DataFileError(
            f"{name}: not readable as a BACI CSV (a value is not a number)"
        ) from None
    lines = np.arange(table.num_rows, dtype=np.int64) + 2
    t = _Codes(table["t"], "t", name, r"\d{4}", "expected a year of 4 digits", lines)
    i = _Codes(table["i"], "i", name, r"\d{1,4}", "expected a BACI country code (a number)", lines)
    j = _Codes(table["j"], "j", name, r"\d{1,4}", "expected a BACI country code (a number)", lines)
    values = _values(table, name)
    as_int16 = (codes.rows().astype(np.int16) for codes in (t, i, j))
    return _Parsed(name, *as_int16, table["k"], values, lines)


class _Unparsed(Exception):
    """A cell did not convert to its column's type."""


def _csv(path: Path, name: str, header: list[str], types: dict):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    try:
        with pa.input_stream(str(path), compression="gzip" if gzipped else None) as stream:
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=header, skip_rows=1, encoding="utf8", block_size=BLOCK_BYTES
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=types,
                    include_columns=NEEDED,
                    null_values=[],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except pa.ArrowInvalid as exc:
        if "conversion error" in str(exc):
            raise _Unparsed() from None
        raise DataFileError(f"{name}: not readable as a BACI CSV ({_arrow_message(exc)})") from None
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{name}: cannot be read ({exc})") from None


def _numbers(column):
    """Return an Arrow column (chunked or not) as a numpy array, without a copy when it can."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        if column.num_chunks != 1:
            return column.to_numpy()
        column = column.chunk(0)
    return column.to_numpy(zero_copy_only=False)


class _Parsed:
    """A BACI CSV parsed in full: every row's t, i, j and v as numbers, k still as text."""

    def __init__(self, name, t, i, j, k, v, lines):
        import numpy as np

        self.name = name
        self.t, self.i, self.j, self.k, self.v, self.lines = t, i, j, k, v, lines
        self.rows = len(t)
        present = np.zeros(MAX_CODE + 1, dtype=bool)
        present[i] = True
        present[j] = True
        self.codes = [int(code) for code in np.flatnonzero(present)]

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code, exporter first."""
        import numpy as np

        for column, values in (("i", self.i), ("j", self.j)):
            found = np.flatnonzero(values == code)
            if len(found):
                return column, int(self.lines[found[0]])
        return None

    def rows_of(self, wanted: list[int] | None) -> _Rows:
        """Return the rows whose exporter and importer are both among ``wanted`` (all: None).

        The filter runs on the parsed numbers, before any row becomes Python or pandas;
        k is checked and converted on the chosen rows only.
        """
        import pyarrow as pa

        if wanted is None:
            k, lost = _hs6(self.k, self.lines, self.name)
            return _Rows(self.t, self.i, self.j, k, lost, self.v, self.lines)
        chosen = _chosen(self.i, self.j, wanted)
        k, lost = _hs6(self.k.take(pa.array(chosen)), self.lines[chosen], self.name)
        return _Rows(
            self.t[chosen],
            self.i[chosen],
            self.j[chosen],
            k,
            lost,
            self.v[chosen],
            self.lines[chosen],
        )

    def write_cache(self, path: Path, background: bool) -> None:
        """Keep the parsed columns as korus's cache of ``path`` for the next read."""
        from korus import cache

        write = cache.write_in_background if background else cache.write
        write(
            path,
            LAYOUT,
            self._cache_table,
            {"rows": self.rows, "codes": self.codes},
            **CACHE_OPTIONS,
        )

    def _cache_table(self):
        """Return the cache's table: every row, sorted by exporter and importer; None when a
        product code of the file is not HS6 (the file is then read from CSV each time)."""
        import numpy as np
        import pyarrow as pa

        try:
            k, lost = _hs6(self.k, self.lines, self.name)
        except DataFileError:
            return None
        t, i, j, v = self.t, self.i, self.j, self.v
        row = np.arange(self.rows, dtype=np.int32)
        pair = (i.astype(np.int32) << 16) | j.astype(np.int32)
        if len(pair) > 1 and (np.diff(pair) < 0).any():
            order = np.argsort(j, kind="stable")  # radix sorts on int16: two passes
            order = order[np.argsort(i[order], kind="stable")]
            t, i, j, k, lost, v, row = (a[order] for a in (t, i, j, k, lost, v, row))
        return pa.table({"t": t, "i": i, "j": j, "k": k, "lost_zero": lost, "v": v, "row": row})


class _Cached:
    """A BACI file read from korus's cache: the pair's row groups only, by their statistics."""

    def __init__(self, hit, name: str):
        self.hit = hit
        self.name = name
        self.rows = int(hit.info["rows"])
        self.codes = [int(code) for code in hit.info["codes"]]

    def _groups(self, wanted: list[int] | None) -> list[int]:
        metadata = self.hit.parquet.metadata
        if wanted is None:
            return list(range(metadata.num_row_groups))
        names = self.hit.parquet.schema_arrow.names
        columns = names.index("i"), names.index("j")
        groups = []
        for index in range(metadata.num_row_groups):
            group = metadata.row_group(index)
            for column in columns:
                statistics = group.column(column).statistics
                if statistics is not None and statistics.has_min_max:
                    low, high = statistics.min, statistics.max
                    if not any(low <= code <= high for code in wanted):
                        break
            else:
                groups.append(index)
        return groups

    def rows_of(self, wanted: list[int] | None) -> _Rows:
        import numpy as np

        try:
            table = self.hit.parquet.read_row_groups(
                self._groups(wanted), columns=CACHE_COLUMNS, use_threads=False
            )
            arrays = {column: _numbers(table[column]) for column in CACHE_COLUMNS}
        except Exception as exc:  # a damaged page: the cache is rebuilt from the source
            raise _BrokenCache(str(exc)) from None
        if wanted is not None:
            chosen = _chosen(arrays["i"], arrays["j"], wanted)
            arrays = {column: values[chosen] for column, values in arrays.items()}
        elif len(arrays["row"]) != self.rows:
            raise _BrokenCache("rows missing")
        order = np.argsort(arrays["row"], kind="stable")  # back to the file's order
        if (order != np.arange(len(order))).any():
            arrays = {column: values[order] for column, values in arrays.items()}
        return _Rows(
            arrays["t"],
            arrays["i"],
            arrays["j"],
            arrays["k"],
            arrays["lost_zero"],
            arrays["v"],
            arrays["row"].astype(np.int64) + 2,
        )

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code (an error's words)."""
        import numpy as np

        rows = self.rows_of(None)
        for column, values in (("i", rows.i), ("j", rows.j)):
            found = np.flatnonzero(values == code)
            if len(found):
                return column, int(rows.line[found[0]])
        return None


def _chosen(i, j, wanted: list[int]):
    """Return the positions of the rows whose exporter and importer are both in ``wanted``."""
    import numpy as np

    member = np.zeros(MAX_CODE + 1, dtype=bool)
    member[wanted] = True
    return np.flatnonzero(member[i] & member[j])


def _hs6(texts, lines, name: str):
    """Return (codes as int32, lost leading zero) of k texts; an error names a bad code.

    Fast when every code is 5 or 6 ASCII digits; otherwise each distinct text is checked
    (spaces around a code are allowed).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(texts, pa.ChunkedArray) and texts.num_chunks == 1:
        texts = texts.chunk(0)
    if len(texts) == 0:
        return np.array([], np.int32), np.array([], bool)
    lengths = pc.binary_length(texts)
    shortest, longest = pc.min_max(lengths).values()
    if (
        shortest.as_py() >= 5
        and longest.as_py() <= 6
        and pc.all(pc.ascii_is_decimal(texts)).as_py()
    ):
        return _numbers(pc.cast(texts, pa.int32())), _numbers(pc.equal(lengths, 5))
    codes = _Codes(
        texts,
        "k",
        name,
        r"\d{5,6}",
        "expected an HS6 product code of 6 digits (or 5 that lost their leading zero)",
        lines,
    )
    return codes.rows(), codes.flags(lambda text: len(text) == 5)


def _header(path: Path, name: str) -> list[str]:
    head = take_sample(path).head  # the first bytes, gunzipped
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise DataFileError(f"{name}: the header is not UTF-8 text; not a BACI file") from None
    cells = [cell.strip().lower() for cell in next(csv.reader([first]), [])]
    missing = [column for column in NEEDED if column not in cells]
    if missing:
        raise DataFileError(
            f"{name}: missing BACI columns {missing} (the header is {first.strip()!r}; "
            "expected t,i,j,k,v,q)"
        )
    return cells


def _arrow_message(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


class _Codes:
    """A text column of codes: its distinct values, parsed once, and each row's position."""

    def __init__(self, column, name_column: str, name: str, pattern: str, what: str, lines):
        import numpy as np
        import pyarrow.compute as pc

        distinct = pc.unique(column)
        self.positions = pc.index_in(column, value_set=distinct).to_numpy()
        self.texts = [text.strip() for text in distinct.to_pylist()]
        for index, text in enumerate(self.texts):
            if not re.fullmatch(pattern, text):
                line = int(lines[int(np.argmax(self.positions == index))])
                raise DataFileError(
                    f"{name}: line {line}, column {name_column!r}: {what}, "
                    f"found {distinct[index].as_py()!r}"
                )
        self.numbers = [int(text) for text in self.texts]

    def rows(self):
        """Return each row's number as a numpy int32 array."""
        import numpy as np

        return np.asarray(self.numbers, dtype=np.int32)[self.positions]

    def flags(self, test):
        """Return, for each row, whether ``test(text)`` holds for its text."""
        import numpy as np

        return np.array([test(text) for text in self.texts], dtype=bool)[self.positions]


def _bad_value(table, name: str) -> None:
    """Raise the error for the first ``v`` that is not a number (the file read as text)."""
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(table["v"])
    bad = pc.invert(pc.match_substring_regex(trimmed, r"^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$"))
    if pc.any(bad).as_py():
        index = int(pc.index(bad, True).as_py())
        raise DataFileError(
            f"{name}: line {index + 2}, column 'v': expected a value in thousands of US "
            f"dollars, found {table['v'][index].as_py()!r}"
        )


def _values(table, name: str):
    import numpy as np

    values = _numbers(table["v"])
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        index = int(np.argmax(bad))
        raise DataFileError(
            f"{name}: line {index + 2}, column 'v': expected a value of 0 or more (thousands "
            f"of US dollars), found {table['v'][index].as_py()!r}"
        )
    return values


def _text(labels: list[str], positions):
    """Return a text column: ``labels`` at ``positions`` (built in pyarrow, then pandas)."""
    import pyarrow as pa

    coded = pa.DictionaryArray.from_arrays(pa.array(positions), pa.array(labels, pa.large_string()))
    return coded.cast(pa.large_string()).to_pandas()


def _code_text(numbers, width: int):
    """Return (positions, labels): whole numbers as zero-padded codes (10121 -> "010121")."""
    import pandas as pd

    positions, present = pd.factorize(numbers)
    return positions, [f"{int(code):0{width}d}" for code in present]


def _refuse_repeats(rows: _Rows, chosen, name: str) -> None:
    """Raise when a flow (same t, i, j, k in the file) is given twice."""
    import pandas as pd

    source = pd.DataFrame(
        {"t": rows.t[chosen], "i": rows.i[chosen], "j": rows.j[chosen], "k": rows.k[chosen]}
    )
    again = source.duplicated(keep="first").to_numpy()
    if again.any():
        first = source[again].iloc[0]
        line = int(rows.line[chosen[again.argmax()]])
        raise DataFileError(
            f"{name}: line {line}: the flow of year {first['t']}, exporter {first['i']}, "
            f"importer {first['j']}, product {int(first['k']):06d} is given twice; a BACI "
            "file gives each flow once"
        )


def _merged(mapping: dict[int, str]) -> list[tuple[int, str]]:
    by_code: dict[str, list[int]] = {}
    for code, korus in mapping.items():
        by_code.setdefault(korus, []).append(code)
    return sorted(
        (code, korus) for korus, codes in by_code.items() if len(codes) > 1 for code in codes
    )


# ------------------------------------------------------------------- companion files


def _given(path: Path | None, name: str, what: str) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{name}: the BACI {what} file {str(path)!r} does not exist")
    return path


def _release(path: Path) -> str | None:
    found = _VERSION.search(path.name)
    return found.group(1) if found else None


def _hs(path: Path) -> str | None:
    found = _HS.search(path.name)
    return found.group(1) if found else None


def _companion(data: Path, pattern: str) -> Path | None:
    """Return the companion file beside ``data``: the data's own release and HS, else newest."""
    found = [candidate for candidate in data.parent.glob(pattern) if candidate.is_file()]
    hs = _hs(data)
    if hs and "HS" in pattern:
        found = [candidate for candidate in found if _hs(candidate) == hs] or found
    release = _release(data)
    if release:
        found = [candidate for candidate in found if _release(candidate) == release] or found
    if not found:
        return None
    return max(found, key=lambda candidate: (_release(candidate) or "", candidate.name))


def _classification(data: Path, product_file: Path | None, accounting: Accounting) -> str:
    versions = set() if product_file is None else {_hs(product_file)} - {None}
    if product_file is not None and len(versions) == 1:
        return _hs_name(versions.pop())
    if product_file is None:
        from_name = _hs(data)
        if from_name:
            accounting.notes.append(
                f"no product codes file beside the data: HS version HS{from_name} taken "
                "from the data file's name"
            )
            return _hs_name(from_name)
        accounting.notes.append(
            "no product codes file beside the data and no HS version in its name: "
            f"classification {NO_VERSION!r}"
        )
    else:
        accounting.notes.append(
            f"the product codes file {product_file.name} states no HS version: "
            f"classification {NO_VERSION!r}"
        )
    return NO_VERSION


def _hs_name(version: str) -> str:
    return f"HS{HS_YEARS.get(version, '20' + version)}"


def _vintage(
    data: Path, country_file: Path | None, product_file: Path | None, accounting: Accounting
) -> str:
    releases = {
        _release(companion) for companion in (product_file, country_file) if companion is not None
    } - {None}
    if len(releases) > 1:
        accounting.notes.append(
            f"the companion files are of different releases ({', '.join(sorted(releases))}); "
            "the newest is taken as the vintage"
        )
    if releases:
        release = max(releases)
        own = _release(data)
        if own and own != release:
            accounting.notes.append(
                f"the data file's name says release V{own}, its companion files V{release}"
            )
        return f"BACI V{release}"
    own = _release(data)
    if own:
        accounting.notes.append(f"release V{own} taken from the data file's name")
        return f"BACI V{own}"
    return NO_RELEASE


def _country_rows(path: Path, name: str) -> dict[int, tuple[str, str]]:
    """Return BACI code -> (name, ISO3 or "") from a country codes file of either layout.

    Read once per process for each version of the file (a folder of years shares one).
    """
    stat = path.stat()
    try:
        return dict(_country_table(path, stat.st_size, stat.st_mtime_ns))
    except _NotCountryFile as exc:
        raise DataFileError(
            f"{path}: not a BACI country codes file: the header is {exc.header}; expected "
            "country_code, country_name_abbreviation, ..., iso_3digit_alpha or country_code, "
            f"country_name, country_iso2, country_iso3 (for the data file {name})"
        ) from None


class _NotCountryFile(Exception):
    def __init__(self, header: list[str]):
        super().__init__(header)
        self.header = header


@lru_cache(maxsize=8)
def _country_table(path: Path, size: int, mtime_ns: int) -> dict[int, tuple[str, str]]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        import gzip

        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # older releases: names in Latin-1
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    for code_column, name_column, iso_column in COUNTRY_COLUMNS:
        if {code_column, name_column, iso_column} <= set(header):
            break
    else:
        raise _NotCountryFile(header)
    at = {column: header.index(column) for column in (code_column, name_column, iso_column)}
    rows: dict[int, tuple[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        code = row[at[code_column]].strip() if len(row) > at[code_column] else ""
        if not code.isdigit():
            raise DataFileError(
                f"{path}: line {line}, column {code_column!r}: expected a country code "
                f"(a number), found {code!r}"
            )
        cells = [row[at[column]].strip() if len(row) > at[column] else "" for column in at]
        rows[int(code)] = (cells[1], cells[2].upper())
    return rows


def _country_map(codes, first_line, country_file, name, accounting) -> dict[int, str]:
    """Return BACI code -> korus code for every code in the data, with notes on fallbacks.

    ``codes`` are the distinct codes of the file's i and j columns; ``first_line(code)``
    gives the (column, line) an error names.
    """
    listed = {} if country_file is None else _country_rows(country_file, name)
    if country_file is None:
        accounting.notes.append(
            "no country codes file beside the data: exporter and importer codes read as UN "
            "Comtrade numerics (BACI uses them)"
        )
    mapping: dict[int, str] = {}
    fallback, not_listed, differ = [], [], []
    for code in sorted(codes):
        comtrade = countries.from_comtrade(code)
        label, iso = listed.get(code, ("", ""))
        country = None
        if iso and iso not in NO_ISO:
            try:
                country = countries.lookup(iso)
            except UnknownCountryError:
                country = None
        if country is None:
            country = comtrade
            if country is not None and country_file is not None:
                (fallback if code in listed else not_listed).append(
                    f"{code}{f' ({label})' if label else ''} -> {country.code}"
                )
        elif comtrade is not None and comtrade.code != country.code:
            differ.append(f"{code} ({label}) {country.code}, Comtrade {comtrade.code}")
        if country is None:
            column, line = first_line(code)
            source = f"the country codes file {country_file.name}" if country_file else None
            raise DataFileError(
                f"{name}: line {line}, column {column!r}: BACI country code {code}"
                + (f" ({label})" if label else "")
                + " is not a country korus knows"
                + (f" (neither in {source} nor a UN Comtrade numeric)" if source else "")
                + "; give the release's country_codes file beside the data"
            )
        mapping[code] = country.code
    if fallback:
        accounting.notes.append(
            "codes with no ISO3 in the country codes file, read as UN Comtrade numerics: "
            + ", ".join(fallback)
        )
    if not_listed:
        accounting.notes.append(
            "codes missing from the country codes file, read as UN Comtrade numerics: "
            + ", ".join(not_listed)
        )
    if differ:
        accounting.notes.append(
            "the country codes file's ISO3 is used where UN Comtrade's differs: "
            + "; ".join(differ)
        )
    return mapping
