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

Reading a year fast: a year file has 10 million rows or more. The five needed columns
are parsed by Arrow's multithreaded CSV reader with explicit types: ``t``, ``i`` and ``j``
as integers (Arrow also takes spaces around them and extra leading zeros; anything else,
or a value out of range, sends the file to the exact reading of every code as text, whose
errors name the line), ``v`` as a float, ``k`` as text, so its leading zero is kept. The
frame is built by array operations, never row by row.

Push-down (``scan(path, pair)``): when only the trade between two countries is wanted,
their BACI codes (through the country file) select the rows on the parsed integers,
before anything becomes pandas, and only those rows become the frame; the file's other
rows are counted as set aside, "other country pairs (not asked for)", so rows read =
kept + set aside still holds. Every row is still parsed and checked for its year, codes
and value (a bad one anywhere is an error) and every country code must be known; the
product code check (6 digits, or 5 that lost their zero), the lost-zero note, repeated
flows and flows of one country to itself are checked on the pair's rows only: a full read
(``read``) checks them on every row.

Streamed (a plain CSV of 64 MiB or more, read for a pair): the file is cut into one part
per core at line ends, each part parsed by its own thread in pieces of a few MiB (t, i, j
and v; k only for the pieces that hold a row of the pair), each piece checked and dropped
but for the pair's rows, so memory stays small whatever the file's size. Anything unusual
(a cell that does not parse, a value out of range, a gzipped file) sends the file to the
whole reading above, whose errors name the line: the same frame, or the same error.

The cache (``korus.cache``): the first read of a large file also keeps its needed columns
as Parquet in korus's cache folder: a whole read writes it in a thread while the answer is
computed (a large file in parts, one thread each, up to one per core); a streamed read has
kept too little, so the command line has ``korus cache build`` write it in the background
after the answer (``build_cache``). The rows are kept in BACI's own
order, exporter then importer (sorted that way first when the file is not), with exporter
and importer as one key ``ij = i * 10000 + j`` whose row-group statistics give each
group's exact key range, so that a pair's rows are read from one or two small row groups
of each part; ``k`` is kept as an integer (printed with 6 digits) with a lost-zero flag,
``v`` as a float, zstd throughout. A year that is the same on every row, a flag that no
row has, the file's country codes and their mapping (reused while the country file is
unchanged) go to the metadata. A later read of the file, of either kind, reads the cache
instead of the CSV: the same frame, the same accounting and notes, the same errors with
the lines of the CSV. The entry's key holds the fingerprints of the file and of the code
lists beside it (``cache_companions``): an edited or newly added code list has the file
read again. A file whose product codes are not all HS6 is not cached (a full
read must find the error each time).

A folder's years kept together (``build_group``, ``read_many``): once each year of a
folder (files in BACI's order, one year each) has its entry, a pair question over them has
them merged into one more entry, sorted by ``ij`` then year, a slice of keys at a time
(memory holds one slice, never the folder). A later pair question over any of those files
reads the pair's few row groups of it once, cuts them by year and builds each file's
part as its own entry would: the same frame, accounting and notes (but the one that
says where the rows came from). It keeps no file lines: a repeated flow or an unknown
code (an error that names a line) sends the question to the years' own entries.

One side (``one_side``): each BACI flow is two canonical rows, the exporter's export and
the importer's import; a question about one reporter's trade needs only its own rows, so
only those are built (half the rows), and a note says so.

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

from korus import __version__, countries
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.common import is_digits, said, take_sample
from korus.schema import Accounting, Reading
from korus.trust import VALUE_LIMIT_USD

LAYOUT = "baci"
DESCRIPTION = "CEPII BACI yearly file (t,i,j,k,v,q): world trade by HS6, thousands of USD, FOB"
HEADER = ["t", "i", "j", "k", "v", "q"]
NEEDED = ["t", "i", "j", "k", "v"]
SOURCE = "CEPII BACI"
BASIS = "FOB (CEPII BACI reconciled)"
NO_RELEASE = "release not stated in the file"
NO_VERSION = "HS (version not stated)"
UNIT = 1e3  # v is in thousands of US dollars
# The largest v that can be a trade figure: the trust layer's limit, in BACI's unit.
LARGEST_V = VALUE_LIMIT_USD / UNIT
HS_YEARS = {"92": "1992", "96": "1996", "02": "2002", "07": "2007", "12": "2012"}
# Columns of the two country-code layouts: code, name, ISO3.
COUNTRY_COLUMNS = (
    ("country_code", "country_name_abbreviation", "iso_3digit_alpha"),
    ("country_code", "country_name", "country_iso3"),
)
NO_ISO = {"", "N/A"}  # the country file gives no ISO3 ("Other Asia, nes")
OTHER_PAIRS = "other country pairs (not asked for)"
OTHER_TRADE = "trade of other countries (not asked for)"
SAME_COUNTRY = "exporter and importer are one korus country (two BACI codes for one territory)"
MAX_CODE = 9999  # BACI country codes have at most 4 digits
BLOCK_BYTES = 1 << 20  # Arrow parses blocks of this size in parallel (smaller: less memory)
# The cache: the needed columns sorted by exporter and importer, in row groups small enough
# that a country pair's rows are in a few of them (their statistics of ij tell which).
CACHE_ROW_GROUP: int | None = None  # rows per row group; None: by the file's size (_row_group)
PAIR_KEY = MAX_CODE + 1  # the cache keeps exporter and importer as one key: i * 10000 + j
CACHE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["t", "lost_zero"],
    "column_encoding": {
        "ij": "DELTA_BINARY_PACKED",
        "k": "DELTA_BINARY_PACKED",
        "v": "BYTE_STREAM_SPLIT",
        "row": "DELTA_BINARY_PACKED",
    },
    "write_statistics": ["ij"],  # row groups are chosen by its min and max
}
PARTS_FROM = 4_000_000  # rows from which a cache is written in parts, in parallel
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
    return _readings([_read(Path(path), None, country_codes, product_codes)])[0]


def scan(
    path: Path,
    pair: tuple[str, str] | None,
    country_codes: Path | None = None,
    product_codes: Path | None = None,
    *,
    one_side: bool = False,
) -> Reading:
    """Return the canonical frame of a BACI file's trade between two korus countries only.

    ``pair`` is two korus country codes (``("USA", "KOR")``): the rows whose exporter and
    importer are those two countries, either way, are kept; the file's other rows are set
    aside as "other country pairs (not asked for)", counted, and never become a frame.
    ``pair=None`` reads the whole file (``read``). Each kept flow gives two canonical rows,
    the exporter's export and the importer's import; with ``one_side``, only the first
    country's (its exports to the second and its imports from it: half the rows, each
    flow once), and a note says so.
    """
    side = pair[0] if one_side and pair is not None else None
    return _readings([_read(Path(path), pair, country_codes, product_codes)], side=side)[0]


def read_many(
    paths: list[Path], pair: tuple[str, str] | None = None, *, one_side: bool = False
) -> list[Reading]:
    """Return the Reading of each of several BACI files (a folder of years), as ``scan``
    (``read`` when ``pair`` is None) would, each file with its own companion files.

    The frames are built together, in one go: a folder of thirty years costs little more
    than one year. Files of distinct years (a folder of BACI years) give one Reading with
    each file's account; files that share a year give a Reading each, so that flows given
    twice are found and the file named.
    """
    import numpy as np

    from korus import cache

    side = pair[0] if one_side and pair is not None else None
    if pair is not None and len(paths) > 1:
        together = _read_together(paths, pair, side)
        if together is not None:
            return together
    if len(paths) > 1 and all(cache.known(Path(path), LAYOUT, cache_companions) for path in paths):
        # Every file cached: read in threads (Arrow reads and decodes without the GIL).
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=_workers()) as pool:
            parts = list(pool.map(lambda path: _read(Path(path), pair, None, None), paths))
    else:  # one at a time: a file read from its CSV uses every core (and shows progress)
        parts = [_read(Path(path), pair, None, None) for path in paths]
    years = [set(np.unique(part.year).tolist()) for part in parts] if len(parts) > 1 else []
    if years and sum(map(len, years)) == len(set().union(*years)):
        # No year in two files: no flow can be given twice; one frame, every file's account.
        reading = _readings(parts, whole=True, side=side)[0]
        if pair is not None and cache.deferred():  # the command line: keep them together
            note = cache.request_group(
                [Path(path) for path in paths], LAYOUT, build_group, cache_companions
            )
            if note:
                reading.accounting[0].notes.append(note)
        return [reading]
    return _readings(parts, side=side)


def _workers() -> int:
    import os

    return max(1, min(4, os.cpu_count() or 1))


def _read(path: Path, pair, country_codes, product_codes) -> _Flows:
    """Read from korus's cache of the file when there is one, else from the file itself; a
    cache that turns out damaged while read is removed and the file read instead. The
    cache's files are closed once read (a folder of years never holds them all open)."""
    from korus import cache

    hit = cache.find(path, LAYOUT, cache_companions)
    if hit is not None:
        try:
            return _read_from(path, pair, country_codes, product_codes, hit)
        except _BrokenCache:
            hit.close()
            cache.discard(hit.path)
        finally:
            hit.close()
    return _read_from(path, pair, country_codes, product_codes, None)


@dataclass
class _Flows:
    """One file's flows, ready to become its part of a canonical frame."""

    accounting: Accounting
    year: object  # int16 years
    exporter: object  # positions in korus_codes
    importer: object
    product: object  # int32 HS6 codes
    value: object  # float64 thousands of US dollars
    korus_codes: list[str]
    classification: str
    vintage: str


def _read_from(path: Path, pair, country_codes, product_codes, hit, source=None) -> _Flows:
    import numpy as np

    from korus import cache

    name = str(path)
    accounting = Accounting(file=name, layout=LAYOUT)
    # Companion files: classification, release, and the country table.
    country_file = _given(country_codes, name, "country codes") or _companion(
        path, "country_codes_V*.csv"
    )
    product_file = _given(product_codes, name, "product codes") or _companion(
        path, "product_codes_HS*_V*.csv"
    )
    key = None
    if hit is None:
        _import_pandas_meanwhile()
        key = cache.source_key(path, LAYOUT, cache_companions)  # before it is read
        source = None
        # A pair's rows only, streamed: unless the cache is to be written here and now from
        # the parsed columns (a program using korus; the command line has it written after
        # its answer, ``cache.defer``).
        if pair is not None and (cache.deferred() or not cache.wanted(path)):
            source = _stream(path, name, pair, country_file)
        source = source or _parse(path, name)
    elif source is None:
        source = _Cached(hit, name)
    accounting.rows_read = source.rows
    if source.rows == 0:
        raise DataFileError(f"{name}: the file has a BACI header but no data rows")

    classification = _classification(path, product_file, accounting)
    vintage = _vintage(path, country_file, product_file, accounting)

    # Map each BACI code of the file to a korus code (a few hundred codes, never per row).
    # (Remembered in the cache with the country file's version: a later read skips it.)
    known = _remembered_map(hit, country_file)
    if known is None:
        notes = len(accounting.notes)
        mapping = _country_map(source.codes, source.first_line, country_file, name, accounting)
        known = {
            "file": _version(country_file),
            "korus": __version__,
            "mapping": mapping,
            "notes": accounting.notes[notes:],
        }
    else:
        mapping = _int_mapping(tuple(known["mapping"].items()))
        accounting.notes.extend(known["notes"])
    wanted = None
    if pair is not None:
        asked = {str(code) for code in pair if code is not None}
        codes = tuple(sorted(code for code, korus in mapping.items() if korus in asked))
        wanted = _Wanted(codes, either=pair[1] is None)
    rows = source.rows_of(wanted)
    cached = None
    if hit is not None:
        cached = (
            f"read from korus's cache of {hit.what} ({hit.path}; `korus cache clear` removes it)"
        )
    elif key is not None and cache.wanted(path):
        cached = _cache_later(path, source, key, known)
    del source

    korus_codes, lookup = _lookup(tuple(mapping.items()))
    exporters = lookup[rows.i]
    importers = lookup[rows.j]

    if pair is not None:
        others = accounting.rows_read - len(rows)
        accounting.set_aside_rows(OTHER_PAIRS if pair[1] is not None else OTHER_TRADE, others)
        asked_for = (
            f"{pair[0]}'s trade" if pair[1] is None else f"trade between {pair[0]} and {pair[1]}"
        )
        if others:
            accounting.notes.append(
                f"only {asked_for} was asked for: product codes and repeated flows are "
                "checked on its rows; the other rows were parsed (years, country codes and "
                "values) but set aside"
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
    import pandas as pd

    year, exporter, importer = rows.t[keep], exporters[keep], importers[keep]
    product, value = rows.k[keep], rows.v[keep]
    repeated = None
    involved = list(mapping) if wanted is None or wanted.either else list(wanted.codes)
    if len({mapping[code] for code in involved}) == len(involved):  # a country a BACI code
        # Rows in BACI's order (year, exporter, importer, product), each after the one
        # before, give no flow twice: no hashing of every row needed.
        order = (year.astype(np.int64) * PAIR_KEY + rows.i[keep]) * PAIR_KEY
        order = (order + rows.j[keep]) * 1_000_000 + product
        repeated = False if bool((order[1:] > order[:-1]).all()) else None
    if repeated is None:
        flow = ((year.astype(np.int64) * 1000 + exporter) * 1000 + importer) * 1_000_000
        repeated = pd.Series(flow + product).duplicated(keep=False).to_numpy()
    if repeated is not False and repeated.any():
        chosen = np.flatnonzero(keep)[repeated]  # the file rows behind the repeated flows
        drop = _repeats_to_drop(rows, chosen, mapping, accounting)
        if drop.any():  # exact repeats, with --dedupe: each kept once
            keep[chosen[drop]] = False
            year, exporter, importer = rows.t[keep], exporters[keep], importers[keep]
            product, value = rows.k[keep], rows.v[keep]
            flow = ((year.astype(np.int64) * 1000 + exporter) * 1000 + importer) * 1_000_000
            repeated = pd.Series(flow + product).duplicated(keep=False).to_numpy()
    if repeated is not False and repeated.any():
        hs6 = (
            pd.DataFrame({"y": year, "e": exporter, "i": importer, "p": product, "v": value})
            .groupby(["y", "e", "i", "p"], sort=False)["v"]
            .sum()
            .reset_index()
        )
        year, exporter, importer, product, value = (hs6[c].to_numpy() for c in "yeipv")
        accounting.notes.append(
            "flows of BACI codes that map to one korus country were added together ("
            + ", ".join(f"{code} -> {korus}" for code, korus in _merged(mapping))
            + ")"
        )
    del rows, exporters, importers, keep
    if cached:
        accounting.notes.append(cached)

    accounting.notes.append(
        "each BACI row gives the exporter's export and the importer's import (both FOB, "
        "CEPII's reconciled value)"
    )
    return _Flows(
        accounting, year, exporter, importer, product, value, korus_codes, classification, vintage
    )


def _cache_later(path: Path, source, key: dict, known: dict) -> str | None:
    """Have korus's cache of a file read from its source written (asked for, or written
    from what was parsed); return the note that says so, or why not."""
    from korus import cache
    from korus.errors import CacheWriteError

    blocked = cache.unwritable()
    if blocked:
        return f"korus's cache of the file is not written: {blocked}"
    if isinstance(source, _Streamed):  # its rows are gone: the cache reads the file again
        return cache.request(path, LAYOUT, build_cache, cache_companions) or (
            "korus could not cache this file before (`korus cache build` says why)"
        )
    try:
        source.write_cache(path, key, {"countries": known}, background=BACKGROUND_CACHE)
    except CacheWriteError as exc:
        return f"korus's cache of the file is not written: {exc}"
    except Exception:  # a cache is a convenience: the read itself has checked the file
        return None
    return "writing korus's cache of the file for the next read"


def _import_pandas_meanwhile() -> None:
    """Import pandas in a thread while Arrow parses (it releases the GIL), unless imported.

    The frame needs pandas only at the end; the command line has usually imported it
    already, a program that calls ``read`` first may not have.
    """
    import sys
    import threading

    if "pandas" not in sys.modules:
        threading.Thread(target=__import__, args=("pandas",), daemon=True).start()


def _readings(parts: list[_Flows], whole: bool = False, side: str | None = None) -> list[Reading]:
    """Return each file's Reading: its flows as canonical rows, each flow as the exporter's
    export and the importer's import; with ``side`` (a korus code), only as that country's
    export or import (the flows it is not party to give no row).

    The files' rows are built as one Arrow table, each text column taken from its few
    distinct labels by position (no Python string per row), turned into pandas once and
    cut into the files' frames (views, not copies); with ``whole``, one Reading of all the
    files, with each file's account. Each frame is already in the canonical
    columns, order and dtypes, values rounded to the cent, so ``canonical()`` would return
    it unchanged (a test holds it to that) and is not asked to, which would cost more than
    the rest for a year's few thousand rows.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = sorted({code for part in parts for code in part.korus_codes})
    at = {code: index for index, code in enumerate(codes)}
    classifications = sorted({part.classification for part in parts})
    vintages = sorted({part.vintage for part in parts})
    columns: dict[str, list] = {name: [] for name in ("t", "r", "p", "f", "k", "v", "c", "g")}
    counts = []
    lookups: dict[int, object] = {}  # by the korus codes' list (files often share one)
    for part in parts:  # each file's exports, then its imports
        lookup = lookups.get(id(part.korus_codes))
        if lookup is None:
            lookup = np.array([at[code] for code in part.korus_codes] or [0], dtype=np.int32)
            lookups[id(part.korus_codes)] = lookup
        exporter, importer = lookup[part.exporter], lookup[part.importer]
        if side is None:
            taking = [slice(None), slice(None)]
        else:  # the side's exports and imports: the rows it is exporter, importer of
            taking = [exporter == at.get(side, -1), importer == at.get(side, -1)]
            part.accounting.notes.append(
                f"only {side}'s side was asked for: each flow is one row, {side}'s export or "
                "import (the other country's record of it was not built)"
            )
        count = 0
        for flow, (taken, reporter, partner) in enumerate(
            [(taking[0], exporter, importer), (taking[1], importer, exporter)]
        ):
            columns["t"].append(part.year[taken])
            columns["r"].append(reporter[taken])
            columns["p"].append(partner[taken])
            columns["k"].append(part.product[taken])
            columns["v"].append(part.value[taken])
            columns["f"].append(np.full(len(columns["t"][-1]), flow, np.int8))
            count += len(columns["t"][-1])
        columns["c"].append(np.full(count, classifications.index(part.classification)))
        columns["g"].append(np.full(count, vintages.index(part.vintage)))
        counts.append(count)
    joined = {
        name: np.concatenate(arrays) if arrays else np.array([], np.int32)
        for name, arrays in columns.items()
    }
    if whole or len(parts) == 1:
        # Rows by reporter, partner and flow (else as read): one country's exports to one
        # partner are then one block, which a question takes as a slice, not a copy.
        order = np.lexsort((joined["f"], joined["p"], joined["r"]))
        joined = {name: values[order] for name, values in joined.items()}
    rows = len(joined["t"])
    positions, present = pd.factorize(joined["k"])  # by hashing: no sort of every row
    labels = pc.utf8_lpad(pc.cast(pa.array(present, pa.int32()), pa.string()), 6, "0")
    table = pa.table(
        {
            "year": joined["t"].astype(np.int16),
            "month": pa.nulls(rows, pa.int8()),  # whole years: all <NA>
            "reporter": _text(codes, joined["r"]),
            "partner": _text(codes, joined["p"]),
            "flow": _text(["export", "import"], joined["f"]),
            "product": _text(labels, positions),
            "classification": _text(classifications, joined["c"]),
            "value_usd": np.round(joined["v"].astype(np.float64) * UNIT, 2),
            "source": _same(SOURCE, rows),
            "basis": _same(BASIS, rows),
            "vintage": _text(vintages, joined["g"]),
        }
    )
    frame = table.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get, split_blocks=True)
    if whole:
        return [Reading(frame, [part.accounting for part in parts], unique=True)]
    readings, start = [], 0
    for part, count in zip(parts, counts, strict=True):
        end = start + count
        piece = frame if len(parts) == 1 else frame.iloc[start:end].reset_index(drop=True)
        readings.append(Reading(piece, [part.accounting], unique=True))
        start = end
    return readings


# ------------------------------------------------------------------------ the data file


@dataclass
class _Rows:
    """The rows a read materialises, as numpy arrays, in the file's order."""

    t: object  # int16 years
    i: object  # int16 exporter codes
    j: object  # int16 importer codes
    k: object  # int32 HS6 codes (printed with 6 digits: the leading zero comes back)
    lost_zero: object  # bool: k was written with 5 digits
    v: object  # float64 thousands of US dollars
    row: object  # int64 data row of each (0 is the row after the header); None: 0, 1, 2...

    def __len__(self) -> int:
        return len(self.t)

    def line(self, index: int) -> int:
        """Return the file line of a row (the header is line 1)."""
        return int(index if self.row is None else self.row[index]) + 2


class _BrokenCache(Exception):
    """A cache file that could not be read to the end: it is removed and the source read."""


class _Unparsed(Exception):
    """A cell did not convert to its column's type."""


def _parse(path: Path, name: str) -> _Parsed:
    """Return the five needed columns of a BACI CSV, parsed and checked on every row.

    Arrow's multithreaded CSV reader parses t, i and j as integers and v as a float, and
    keeps k as text (its leading zero). Years must have 4 digits, country codes at most 4
    and values be 0 or more: a cell that does not parse as a number, or is out of range,
    sends the file to the exact reading of every code as text (``_parse_text``), whose
    error names the line and column.
    """

    header = _header(path, name)
    try:
        table = _codes_as_numbers(_csv(path, name, header, _parse_types()))
    except _Unparsed:
        return _parse_text(path, name, header)
    if table is None:  # a code that is not plain digits (0x34A, other scripts' digits)
        return _parse_text(path, name, header)
    if table.num_rows:
        years = _range(table["t"])
        codes = _range(table["i"]), _range(table["j"])
        if years[0] < 1000 or years[1] > 9999 or min(low for low, _ in codes) < 0:
            return _parse_text(path, name, header)
        if max(high for _, high in codes) > MAX_CODE:
            return _parse_text(path, name, header)
    _check_values(table["v"], name)
    return _Parsed(name, table)


def _range(column) -> tuple[int, int]:
    import pyarrow.compute as pc

    low, high = pc.min_max(column).values()
    return low.as_py(), high.as_py()


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
    except _Unparsed as exc:
        try:
            texts = _csv(path, name, header, {column: pa.string() for column in NEEDED})
        except _Unparsed as inner:  # not even text: bytes that are not UTF-8
            found = re.search(r"column #(\d+)", str(inner))
            at = int(found.group(1)) if found else len(header)
            where = f"column {header[at]!r}" if at < len(header) else "a column"
            raise DataFileError(
                f"{name}: {where} holds bytes that are not UTF-8 text ({said(inner)}); BACI files "
                "are UTF-8"
            ) from None
        _bad_value(texts, name)
        raise DataFileError(f"{name}: not readable as a BACI CSV ({exc})") from None
    country = "expected a BACI country code (a number)"
    year = "expected a year of 4 digits"
    t = _Codes(table["t"], "t", name, r"\d{4}", year, None, CODE_HINT)
    i = _Codes(table["i"], "i", name, r"\d{1,4}", country, None, CODE_HINT)
    j = _Codes(table["j"], "j", name, r"\d{1,4}", country, None, CODE_HINT)
    _check_values(table["v"], name)
    columns = {"t": t, "i": i, "j": j}
    columns = {column: pa.array(codes.rows().astype(np.int16)) for column, codes in columns.items()}
    return _Parsed(name, pa.table({**columns, "k": table["k"], "v": table["v"]}))


def _csv(path: Path, name: str, header: list[str], types: dict):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from korus import progress

    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    try:
        with (
            pa.OSFile(str(path)) as raw,
            progress.task(f"reading {path.name}", total=size) as bar,
        ):
            bar.follow(raw.tell)  # the bytes Arrow's reader has taken so far
            stream = pa.CompressedInputStream(raw, "gzip") if gzipped else raw
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=header, skip_rows=1, encoding="utf8", block_size=BLOCK_BYTES
                ),
                convert_options=_convert(types, NEEDED),
            )
    except pa.ArrowInvalid as exc:
        if "conversion error" in str(exc):
            raise _Unparsed(_arrow_message(exc)) from None
        raise DataFileError(f"{name}: not readable as a BACI CSV ({_arrow_message(exc)})") from None
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{name}: cannot be read ({said(exc)})") from None


def _types() -> dict:
    """Return the Arrow types the needed columns are parsed as: t, i and j integers, k text
    (its leading zero kept), v a float."""
    import pyarrow as pa

    return {"t": pa.int16(), "i": pa.int16(), "j": pa.int16(), "k": pa.string(), "v": pa.float64()}


def _parse_types() -> dict:
    """Return the Arrow types the needed columns are read as: t, i and j as text,
    dictionary-encoded (a file holds a few hundred distinct codes, each then read once by
    ``_codes_as_numbers``: Arrow's own integer parsing takes 0x34A for 842), k text, v a
    float."""
    import pyarrow as pa

    codes = pa.dictionary(pa.int32(), pa.string())
    return {**_types(), "t": codes, "i": codes, "j": codes}


# A code as BACI writes it: ASCII digits, perhaps with spaces around (Arrow's reading took
# those too); anything else goes to the exact reading, which names the cell.
_PLAIN_CODE = re.compile(r"[ \t]*[0-9]{1,8}[ \t]*", re.ASCII)


def _codes_as_numbers(table):
    """Return a table read with ``_parse_types`` with t, i and j as int16 numbers; None when
    a code is not plain ASCII digits of a 16-bit number."""
    import numpy as np
    import pyarrow as pa

    columns = {}
    for name in table.column_names:
        column = table[name]
        if not pa.types.is_dictionary(column.type):
            columns[name] = column
            continue
        chunks = []
        for chunk in column.chunks:
            texts = chunk.dictionary.to_pylist()
            if not all(_PLAIN_CODE.fullmatch(text) for text in texts):
                return None
            numbers = np.array([int(text) for text in texts] or [0], dtype=np.int32)
            if numbers.max() > np.iinfo(np.int16).max:
                return None
            indices = chunk.indices.to_numpy(zero_copy_only=False)
            chunks.append(pa.array(numbers.astype(np.int16)[indices], pa.int16()))
        columns[name] = pa.chunked_array(chunks, pa.int16())
    return pa.table(columns)


def _convert(types: dict, names: list[str]):
    """Return Arrow's options for converting ``names`` of a BACI CSV to ``types``: no cell
    is taken for a missing value (an empty or "NA" cell is an error, not a null)."""
    import pyarrow.csv as pacsv

    return pacsv.ConvertOptions(
        column_types=types,
        include_columns=names,
        null_values=[],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


def _numbers(column):
    """Return an Arrow column (chunked or not) as a numpy array, without a copy when it can."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        if column.num_chunks != 1:
            return column.to_numpy()
        column = column.chunk(0)
    return column.to_numpy(zero_copy_only=False)


class _Parsed:
    """A BACI CSV parsed in full: an Arrow table of t, i, j (int16), k (text) and v.

    Its batches are worked on one at a time as numpy views: no copy of a whole column.
    """

    def __init__(self, name: str, table):
        import pyarrow.compute as pc

        self.name = name
        self.table = table
        self.rows = table.num_rows
        found = {code for column in ("i", "j") for code in pc.unique(table[column]).to_pylist()}
        self.codes = sorted(found)

    def _batches(self):
        """Yield (first row, batch) of the table's record batches."""
        start = 0
        for batch in self.table.to_batches():
            yield start, batch
            start += batch.num_rows

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code, exporter first."""
        import numpy as np

        for column in ("i", "j"):
            for start, batch in self._batches():
                found = np.flatnonzero(_numbers(batch[column]) == code)
                if len(found):
                    return column, start + int(found[0]) + 2
        return None

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the rows ``wanted`` chooses (all: None).

        The filter runs on the parsed numbers, batch by batch, before any row becomes a
        Python object or pandas; k is checked and converted on the chosen rows only.
        """
        import numpy as np
        import pyarrow as pa

        if wanted is None:
            chosen, table = None, self.table
        else:
            positions, parts = [], []
            for start, batch in self._batches():
                mine = wanted.mask(_numbers(batch["i"]), _numbers(batch["j"]))
                if mine.any():
                    found = np.flatnonzero(mine)
                    positions.append(start + found)
                    parts.append(batch.take(pa.array(found)))  # batch by batch: no big copy
            chosen = np.concatenate(positions) if positions else np.array([], np.int64)
            table = pa.Table.from_batches(parts, schema=self.table.schema)
        k, lost = _hs6(table["k"], chosen, self.name)
        t, i, j, v = (_numbers(table[column]) for column in ("t", "i", "j", "v"))
        return _Rows(t, i, j, k, lost, v, chosen)

    def write_cache(self, path: Path, key: dict, info: dict, background: bool):
        """Keep the parsed columns as korus's cache of ``path`` for the next read, with
        ``info`` (JSON) beside them; ``key`` is the file as it was before it was read.
        Return the entry's main file (None: not written), or None when written in the
        background."""
        from korus import cache

        write = cache.write_in_background if background else cache.write
        size = _row_group(self.rows)
        build = lambda: self._cache_table(size, info)  # noqa: E731
        return write(path, LAYOUT, build, key=key, index="ij", **CACHE_OPTIONS, row_group_size=size)

    def _cache_table(self, size: int, info: dict):
        """Return (schema, pieces, info) for the cache: every row, in the order of exporter
        and importer, as tables of ``size`` rows (a row group each); None when a product
        code is not HS6 (such a file is read from its CSV each time).

        A year that is the same on every row (a BACI file is one year) and a lost-zero flag
        that no row has are kept in ``info``, not as columns. When the file is in BACI's
        own order, each parsed batch is converted, written and freed in turn, so the cache
        costs little memory; otherwise the rows are sorted first (a copy of every column).
        """
        import numpy as np
        import pyarrow as pa

        table, self.table = self.table, None
        lost_any = _hs6_scan(table["k"])
        if lost_any is None:
            return None
        years = _range(table["t"]) if table.num_rows else (0, 0)
        in_order = _in_order(table)
        info = {"rows": table.num_rows, "codes": self.codes, "in_file_order": in_order, **info}
        names = ["t", "ij", "k", "lost_zero", "v"]
        if years[0] == years[1]:
            info["year"] = years[0]
            names.remove("t")
        if not lost_any:
            info["lost_zero"] = False
            names.remove("lost_zero")
        types = {"t": pa.int16(), "ij": pa.int32(), "k": pa.int32()}
        types |= {"lost_zero": pa.bool_(), "v": pa.float64(), "row": pa.int32()}

        def convert(batch) -> dict:
            k, lost = _hs6_fast(batch["k"])
            i, j = _numbers(batch["i"]), _numbers(batch["j"])
            columns = {"ij": i.astype(np.int32) * PAIR_KEY + j, "k": k, "lost_zero": lost}
            columns |= {name: batch[name] for name in ("t", "v")}
            return {name: columns[name] for name in names}

        parts = _parts(table.num_rows, size)
        if not in_order:  # sorted here: a copy of every column, one at a time
            i, j = _numbers(table["i"]), _numbers(table["j"])
            order = np.argsort(j, kind="stable").astype(np.int32)  # radix sorts of int16
            del j
            order = order[np.argsort(i[order], kind="stable")]
            del i
            columns = convert(table)
            del table  # the text codes go
            for name in list(columns):
                columns[name] = _take(columns[name], order)
            columns["row"] = order
            names.append("row")
            schema = pa.schema([(name, types[name]) for name in names])
            whole = pa.table(columns, schema=schema)
            slices = [whole.slice(at, size) for at in range(0, whole.num_rows, size)]
            share = -(-len(slices) // parts)
            return schema, [slices[at : at + share] for at in range(0, len(slices), share)], info

        schema = pa.schema([(name, types[name]) for name in names])
        batches = table.to_batches()
        del table
        # The batches in as many runs of about equal rows as there are parts, each part
        # written by its own thread.
        runs, share, room = [[]], -(-info["rows"] // parts), -(-info["rows"] // parts)
        while batches:
            batch = batches.pop(0)
            while batch.num_rows:
                if not room:
                    runs.append([])
                    room = share
                runs[-1].append(batch.slice(0, room))
                taken = min(room, batch.num_rows)
                batch, room = batch.slice(taken), room - taken

        def pieces(run):
            pending = None
            while run:
                piece = pa.table(convert(run.pop(0)), schema=schema)  # frees the batch
                pending = piece if pending is None else pa.concat_tables([pending, piece])
                while pending.num_rows >= size:
                    yield pending.slice(0, size)
                    pending = pending.slice(size)
            if pending is not None and pending.num_rows:
                yield pending

        return schema, [pieces(run) for run in runs], info


def _row_group(rows: int) -> int:
    """Return the rows of a cache row group: about a 128th of the file, 8,192 to 32,768.

    Small groups waste little of what a pair reads (a pair's rows are in one or two); many
    groups cost time to look through: a year of 11 million rows gets 336 of 32,768.
    """
    if CACHE_ROW_GROUP:
        return CACHE_ROW_GROUP
    return min(32_768, max(8_192, 1 << (rows // 128).bit_length()))


def _parts(rows: int, size: int) -> int:
    """Return how many files (and threads) write a cache: one per core, up to 4, for a file
    of 4 million rows or more (a year of BACI); else one (each file costs a little to read,
    which a folder of small years would pay many times)."""
    import os

    return max(1, min(4, os.cpu_count() or 1)) if rows >= PARTS_FROM else 1


def _take(values, order):
    """Return the values (an Arrow column or a numpy array) at the positions ``order``."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        return values.take(pa.array(order))
    return values[order]


def _in_order(table) -> bool:
    """Return whether the rows are sorted by exporter, then importer (BACI's own order)."""
    import numpy as np

    previous = None
    for batch in table.to_batches():
        if not batch.num_rows:
            continue
        i, j = _numbers(batch["i"]), _numbers(batch["j"])
        if previous is not None and (i[0], j[0]) < previous:
            return False
        step = np.diff(i)
        if not ((step > 0) | ((step == 0) & (np.diff(j) >= 0))).all():
            return False
        previous = (i[-1], j[-1])
    return True


def build_cache(path: Path) -> bool:
    """Write korus's cache of a BACI file (``korus cache build``); return whether written.

    The file is read in full and checked as a first read would (a file korus cannot read
    raises its error); a file whose product codes are not all HS6 is not cached.
    """
    from korus import cache

    path = Path(path)
    name = str(path)
    key = cache.source_key(path, LAYOUT, cache_companions)  # before it is read
    streamed = _build_streamed(path, name, key)
    if streamed is not None:
        return streamed
    source = _parse(path, name)
    if source.rows == 0:
        raise DataFileError(f"{name}: the file has a BACI header but no data rows")
    country_file = _companion(path, "country_codes_V*.csv")
    accounting = Accounting(file=name, layout=LAYOUT)
    mapping = _country_map(source.codes, source.first_line, country_file, name, accounting)
    known = {
        "file": _version(country_file),
        "korus": __version__,
        "mapping": mapping,
        "notes": accounting.notes,
    }
    return source.write_cache(path, key, {"countries": known}, background=False) is not None


class _OutOfOrder(Exception):
    """Rows not in exporter, importer order: the cache is written from a whole, sorted read."""


class _NotHS6(Exception):
    """A product code that is not 5 or 6 digits: such a file is not cached."""


def _build_streamed(path: Path, name: str, key: dict | None) -> bool | None:
    """Write the cache of a large plain BACI CSV in BACI's own order while it is parsed:
    one part per core, each parsed piece by piece and written by its own thread, so that
    memory stays small. Return True (written), False (product codes not all HS6: not
    cached), or None when the whole reading must do it (a small, gzipped or unsorted file,
    or anything it must look at more closely; it raises the errors)."""
    import threading

    import numpy as np
    import pyarrow as pa

    from korus import cache
    from korus.errors import CacheWriteError

    split = _split(path, name)
    if split is None or key is None:
        return None
    header, bounds = split
    parts = len(bounds) - 1
    schema = pa.schema(
        [("t", pa.int16()), ("ij", pa.int32()), ("k", pa.int32())]
        + [("lost_zero", pa.bool_()), ("v", pa.float64())]
    )
    size = _row_group(path.stat().st_size // 32)  # a BACI row is some 32 bytes
    rows, first, last = [0] * parts, [None] * parts, [None] * parts
    present = [np.zeros(MAX_CODE + 1, dtype=bool) for _ in range(parts)]
    years, lost_any = [[] for _ in range(parts)], [False] * parts
    done = [threading.Event() for _ in range(parts)]
    failures: list[BaseException] = []

    def pieces(number: int):
        pending = None
        try:
            for chunk in _chunks(path, bounds[number], bounds[number + 1]):
                if failures:
                    raise _Anomaly  # another part has failed: stop
                table = _piece(chunk, header, NEEDED)
                if not table.num_rows:
                    continue
                t, i, j, v = _plain_numbers(table)
                ij = i.astype(np.int32) * PAIR_KEY + j
                if (np.diff(ij) < 0).any() or (last[number] is not None and ij[0] < last[number]):
                    raise _OutOfOrder
                first[number] = ij[0] if first[number] is None else first[number]
                last[number] = ij[-1]
                checked = _hs6_fast(table.column("k"))
                if checked is None:
                    raise _NotHS6
                k, lost = checked
                rows[number] += table.num_rows
                present[number][i] = True
                present[number][j] = True
                years[number] += [int(t.min()), int(t.max())]
                lost_any[number] = lost_any[number] or bool(lost.any())
                piece = pa.table({"t": t, "ij": ij, "k": k, "lost_zero": lost, "v": v}, schema)
                pending = piece if pending is None else pa.concat_tables([pending, piece])
                while pending.num_rows >= size:  # a row group each
                    yield pending.slice(0, size)
                    pending = pending.slice(size)
            if pending is not None and pending.num_rows:
                yield pending
        except BaseException as exc:
            failures.append(exc)
            raise
        finally:
            done[number].set()

    def info() -> dict:
        for event in done:
            event.wait()
        if failures:
            raise failures[0]
        ends = [(low, high) for low, high in zip(first, last, strict=True) if low is not None]
        if any(ends[at][1] > ends[at + 1][0] for at in range(len(ends) - 1)):
            raise _OutOfOrder
        if not sum(rows):
            raise _Anomaly  # no data rows: the whole reading says so
        codes = [int(code) for code in np.flatnonzero(np.logical_or.reduce(present))]
        country_file = _companion(path, "country_codes_V*.csv")
        accounting = Accounting(file=name, layout=LAYOUT)
        mapping = _country_map(
            codes, lambda code: _parse(path, name).first_line(code), country_file, name, accounting
        )
        known = {
            "file": _version(country_file),
            "korus": __version__,
            "mapping": mapping,
            "notes": accounting.notes,
        }
        out = {"rows": sum(rows), "codes": codes, "in_file_order": True, "countries": known}
        seen = [year for part in years for year in part]
        if min(seen) == max(seen):
            out["year"] = seen[0]
        if not any(lost_any):
            out["lost_zero"] = False
        return out

    build = lambda: (schema, [pieces(number) for number in range(parts)], info)  # noqa: E731
    try:
        written = cache.write(
            path, LAYOUT, build, key=key, index="ij", **CACHE_OPTIONS, row_group_size=size
        )
    except CacheWriteError:
        raise
    except Exception:  # the whole reading decides, and names the line of an error
        written = None
    if written is not None:
        return True
    if any(isinstance(failure, _NotHS6) for failure in failures):
        return False
    return None


# Streamed push-down: a year file is parsed in parts, one thread each, chunk by chunk; only
# the asked pair's rows are kept, so memory stays small whatever the file's size.
STREAM_CHUNK = 4 << 20  # bytes parsed at a time by one thread
STREAM_FROM = 64 << 20  # smaller files are parsed whole (``_parse``): as fast, simpler


class _Anomaly(Exception):
    """Something the streamed scan leaves to the full reading, whose errors name the line."""


class _Streamed:
    """A BACI CSV scanned for one country pair's rows: every row parsed, in parallel parts,
    and checked for its year, country codes and value; only the pair's rows kept.

    Anything unusual (a cell that does not parse, a year, code or value out of range, a
    gzipped file) makes ``_stream`` return None, and the file is read by ``_parse``, whose
    errors name the line: the streamed scan gives the same frame, or stands aside.
    """

    def __init__(self, name: str, rows: int, codes: list[int], table, positions, reparse):
        self.name = name
        self.rows = rows
        self.codes = codes
        self.table = table  # the kept rows: t, i, j, k (text), v
        self.positions = positions  # their data rows in the file
        self._reparse = reparse

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a code (an error's words): the
        file is parsed again, in full (an error path)."""
        return self._reparse().first_line(code)

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the kept rows ``wanted`` chooses (all: None)."""
        import numpy as np
        import pyarrow as pa

        i, j = _numbers(self.table["i"]), _numbers(self.table["j"])
        chosen = wanted.positions(i, j) if wanted is not None else np.arange(len(i))
        table = self.table.take(pa.array(chosen))
        positions = self.positions[chosen]
        k, lost = _hs6(table["k"], positions, self.name)
        t, i, j, v = (_numbers(table[column]) for column in ("t", "i", "j", "v"))
        return _Rows(t, i, j, k, lost, v, positions)


def _stream(path: Path, name: str, pair, country_file: Path | None) -> _Streamed | None:
    """Scan a large plain BACI CSV for ``pair``'s rows; None when the file is small, gzipped
    or anything in it needs the full reading (``_parse``)."""
    import threading

    import numpy as np
    import pyarrow as pa

    from korus import progress

    split = _split(path, name)
    if split is None:
        return None
    header, bounds = split
    parts = len(bounds) - 1
    size = path.stat().st_size
    start = bounds[0]
    listed = _country_rows(country_file, name) if country_file is not None else {}
    asked = {str(code) for code in pair if code is not None}
    either = pair[1] is None  # one reporter's trade with every partner
    member = np.zeros(MAX_CODE + 1, dtype=bool)
    decided = np.zeros(MAX_CODE + 1, dtype=bool)
    lock = threading.Lock()
    # k (text, the costliest column to convert) is parsed only for the pieces that hold a
    # row of the pair (a few: BACI's rows are in exporter, importer order); in a file of
    # another order, where most pieces would need a second parse, once a few have, it is
    # parsed with the rest.
    second_parses = [0] * parts
    done = [0] * parts
    results: list[list | None] = [None] * parts
    failures: list[BaseException] = []

    def learn(present) -> None:
        """Decide, once per code, whether a code seen in the file is one of the pair's."""
        new = np.flatnonzero(present & ~decided)
        if not len(new):
            return
        with lock:
            for code in new:
                if not decided[code]:
                    country = _country_of(int(code), listed)[0]
                    member[code] = country is not None and country.code in asked
                    decided[code] = True

    def scan(number: int) -> None:
        found = []
        try:
            for chunk in _chunks(path, bounds[number], bounds[number + 1]):
                if failures:
                    return
                with_k = second_parses[number] >= 4
                table = _piece(chunk, header, NEEDED if with_k else ["t", "i", "j", "v"])
                done[number] += len(chunk)
                if not table.num_rows:
                    continue
                t, i, j, v = _plain_numbers(table)
                present = np.zeros(MAX_CODE + 1, dtype=bool)
                present[i] = True
                present[j] = True
                learn(present)
                mine = np.flatnonzero(
                    (member[i] | member[j]) if either else (member[i] & member[j])
                )
                kept = table.take(pa.array(mine))
                if len(mine) and not with_k:
                    second_parses[number] += 1
                    texts = _piece(chunk, header, ["k"])
                    if texts.num_rows != table.num_rows:
                        raise _Anomaly
                    kept = kept.add_column(3, "k", texts.column("k").take(pa.array(mine)))
                elif not with_k:
                    kept = kept.add_column(3, "k", pa.array([], pa.string()))
                found.append((table.num_rows, present, kept.select(NEEDED), mine))
            results[number] = found
        except BaseException as exc:  # looked at by the calling thread
            failures.append(exc)

    with progress.task(f"reading {path.name}", total=size) as bar:
        bar.follow(lambda: start + sum(done))
        threads = [threading.Thread(target=scan, args=(n,)) for n in range(parts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for failure in failures:
        if not isinstance(failure, pa.ArrowInvalid | _Anomaly | OSError):
            raise failure
    if failures:
        return None
    rows, present = 0, np.zeros(MAX_CODE + 1, dtype=bool)
    tables, positions = [], []
    for found in results:
        for count, seen, kept, mine in found:
            present |= seen
            tables.append(kept)
            positions.append(mine + rows)
            rows += count
    schema = pa.schema([(column, _types()[column]) for column in NEEDED])
    table = pa.Table.from_batches(
        [batch for kept in tables for batch in kept.to_batches()], schema=schema
    )
    kept_rows = np.concatenate(positions) if positions else np.array([], np.int64)
    return _Streamed(
        name,
        rows,
        [int(code) for code in np.flatnonzero(present)],
        table,
        kept_rows.astype(np.int64),
        lambda: _parse(path, name),
    )


def _split(path: Path, name: str) -> tuple[list[str], list[int]] | None:
    """Return (header, part bounds) of a large plain BACI CSV cut into one part per core at
    line ends; None when it is small, gzipped or has no line end in its first 64 KiB."""
    import os

    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if size < STREAM_FROM or head[:2] == b"\x1f\x8b" or b"\n" not in head:
        return None
    header = _header(path, name)
    start = head.index(b"\n") + 1
    parts = max(1, min(4, os.cpu_count() or 1))
    bounds = [start]
    with open(path, "rb") as handle:
        for number in range(1, parts):
            handle.seek(start + (size - start) * number // parts)
            handle.readline()  # to the start of the next line
            bounds.append(max(bounds[-1], handle.tell()))
    bounds.append(size)
    return header, bounds


def _piece(chunk, header: list[str], names: list[str]):
    """Return one piece of a streamed file parsed (``names`` of its columns), after checking
    that it is text as the whole reading requires; raise ``_Anomaly`` when it is not."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not chunk.obj.isascii():  # BACI is ASCII; else it must be UTF-8 text, as the
        try:  # whole reading checks (in every column it parses)
            str(chunk, "utf-8")
        except UnicodeDecodeError:
            raise _Anomaly from None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(chunk),
            read_options=pacsv.ReadOptions(
                column_names=header, use_threads=False, block_size=BLOCK_BYTES
            ),
            convert_options=_convert(_parse_types(), names),
        )
    except pa.ArrowInvalid:
        raise _Anomaly from None
    table = _codes_as_numbers(table)
    if table is None:
        raise _Anomaly
    return table


def _plain_numbers(table):
    """Return t, i, j, v of a parsed piece as numpy arrays; raise ``_Anomaly`` for a year,
    country code or value that the whole reading would look at more closely."""
    import numpy as np

    t, i, j, v = (_numbers(table.column(name)) for name in "tijv")
    if t.min() < 1000 or t.max() > 9999 or min(i.min(), j.min()) < 0:
        raise _Anomaly
    if max(i.max(), j.max()) > MAX_CODE or not (
        np.isfinite(v).all() and v.min() >= 0 and v.max() < LARGEST_V
    ):
        raise _Anomaly
    return t, i, j, v


def _chunks(path: Path, start: int, end: int):
    """Yield the bytes from ``start`` to ``end`` of a file in pieces of about
    ``STREAM_CHUNK``, each ending at the end of a line, as memoryviews (each piece is read
    into a buffer of its own, once: no copy of it is made)."""
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        at, pending = start, b""
        while True:
            want = max(0, min(STREAM_CHUNK, end - at))
            block = bytearray(len(pending) + want)
            block[: len(pending)] = pending
            got = handle.readinto(memoryview(block)[len(pending) :]) if want else 0
            at += got
            filled = len(pending) + got
            last = got == 0 or at >= end
            cut = filled if last else block.rfind(b"\n", 0, filled) + 1
            if cut:
                yield memoryview(block)[:cut]
            pending = bytes(block[cut:filled])
            if last:
                return


class _RowGroups:
    """Every row group of every file of a cache entry, in order: its file, its number in the
    file, its min and max of the key ij, its rows, and its first row in the entry."""

    def __init__(self, hit):
        import numpy as np

        self.hit = hit
        groups = []
        for number, (parquet, ranges) in enumerate(zip(hit.files, hit.ranges, strict=True)):
            if ranges is None:  # no ranges kept: the groups' own statistics
                metadata = parquet.metadata
                column = parquet.schema_arrow.names.index("ij")
                ranges = [
                    [
                        *_minmax(metadata.row_group(g).column(column).statistics),
                        metadata.row_group(g).num_rows,
                    ]
                    for g in range(metadata.num_row_groups)
                ]
            groups += [[number, g, *extent] for g, extent in enumerate(ranges)]
        table = np.asarray(groups, dtype=np.int64).reshape(-1, 5)
        self.file, self.group, self.low, self.high, self.size = table.T
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)

    def chosen(self, wanted: _Wanted | None):
        """Return the row groups (over all files) that may hold a row ``wanted`` chooses
        (all: None): those whose min-max range of ``ij`` holds a pair's key; every group
        for one reporter's trade with every partner (its imports are in all of them)."""
        import numpy as np

        if wanted is None or wanted.either:
            return np.arange(len(self.group))
        keys = np.unique([a * PAIR_KEY + b for a in wanted.codes for b in wanted.codes])
        at = np.searchsorted(keys, self.low)  # the first key at or above each group's min
        chosen = at < len(keys)
        chosen[chosen] = keys[at[chosen]] <= self.high[chosen]
        return np.flatnonzero(chosen)

    def read(self, chosen, names: list[str]) -> dict:
        """Return the columns ``names`` of the row groups ``chosen``, as numpy arrays, the
        key ij as exporter i and importer j, and a lost-zero flag (False where not kept);
        a damaged or short entry raises ``_BrokenCache`` (it is removed, the source read)."""
        import numpy as np
        import pyarrow as pa

        count = int(self.size[chosen].sum())
        try:
            tables = [
                parquet.read_row_groups(
                    [int(g) for g in self.group[chosen][self.file[chosen] == f]],
                    columns=names,
                    use_threads=False,
                )
                for f, parquet in enumerate(self.hit.files)
                if (self.file[chosen] == f).any()
            ]
            table = pa.concat_tables(tables) if tables else None
            arrays = {name: _numbers(table[name]) for name in names} if tables else None
        except Exception as exc:  # a damaged page: the cache is rebuilt from the source
            raise _BrokenCache(str(exc)) from None
        if arrays is None:
            arrays = {name: np.array([], np.int32) for name in names}
            arrays["v"] = np.array([], np.float64)
        if len(arrays["ij"]) != count:
            raise _BrokenCache("rows missing")
        key = arrays.pop("ij")
        arrays["i"] = (key // PAIR_KEY).astype(np.int16)
        arrays["j"] = (key % PAIR_KEY).astype(np.int16)
        if "lost_zero" not in arrays:
            arrays["lost_zero"] = np.zeros(count, dtype=bool)
        return arrays


class _Cached:
    """A BACI file read from korus's cache: the pair's row groups only, by their statistics."""

    def __init__(self, hit, name: str):
        self.hit = hit
        self.name = name
        self.rows = int(hit.info["rows"])
        self.codes = [int(code) for code in hit.info["codes"]]
        self.in_file_order = bool(hit.info["in_file_order"])
        self.groups = _RowGroups(hit)

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        """Return the rows ``wanted`` chooses (all: None), reading only the row groups whose
        statistics allow them."""
        import numpy as np

        info = self.hit.info
        names = ["ij", "k", "v"]  # and what info does not stand in for:
        names += [] if "year" in info else ["t"]
        names += [] if info.get("lost_zero") is False else ["lost_zero"]
        names += [] if self.in_file_order else ["row"]
        chosen_groups = self.groups.chosen(wanted)
        arrays = self.groups.read(chosen_groups, names)
        count = len(arrays["i"])
        if wanted is None and count != self.rows:
            raise _BrokenCache("rows missing")
        if "t" not in arrays:
            arrays["t"] = np.full(count, info["year"], dtype=np.int16)
        if self.in_file_order:
            if wanted is None:
                arrays["row"] = None
            else:
                start, size = self.groups.start, self.groups.size
                arrays["row"] = np.concatenate(
                    [np.arange(start[g], start[g] + size[g]) for g in chosen_groups]
                    or [np.array([], np.int64)]
                )
        if wanted is not None:
            chosen = wanted.positions(arrays["i"], arrays["j"])
            arrays = {name: values[chosen] for name, values in arrays.items()}
        if not self.in_file_order:
            order = np.argsort(arrays["row"], kind="stable")  # back to the file's order
            arrays = {name: values[order] for name, values in arrays.items()}
            arrays["row"] = arrays["row"].astype(np.int64)
        return _Rows(
            arrays["t"],
            arrays["i"],
            arrays["j"],
            arrays["k"],
            arrays["lost_zero"],
            arrays["v"],
            arrays["row"],
        )

    def first_line(self, code: int) -> tuple[str, int] | None:
        """Return (column, line) of the first row holding a country code (an error's words)."""
        import numpy as np

        rows = self.rows_of(None)
        for column, values in (("i", rows.i), ("j", rows.j)):
            found = np.flatnonzero(values == code)
            if len(found):
                return column, rows.line(int(found[0]))
        return None


# ----------------------------------------------------------- a folder's years, together

# Keeping a folder's years together (``build_group``): rows merged this many at a time.
GROUP_BUCKET = 500_000
GROUP_ROW_GROUP: int | None = None  # rows per row group; None: by the rows (_group_row_group)


class _NoLines(Exception):
    """A file line was asked of rows read from a folder's years kept together, which do not
    keep them (an error's words): the years are read from their own entries instead."""


class _UnknownLines:
    def __getitem__(self, index):
        raise _NoLines


def _read_together(paths: list[Path], pair, side: str | None) -> list[Reading] | None:
    """Return the Reading of a folder's years from their entry kept together (one file
    sorted by exporter, importer and year: a pair's rows of every year are a few row
    groups), as the years' own entries would give it; None when there is no such entry,
    or an error needs the files' lines."""
    import os

    from korus import cache

    hit = cache.find_group(paths, LAYOUT, cache_companions)
    if hit is None:
        return None
    try:
        try:
            shared = hit.info["countries"]
            members = {
                member["source"]: dict(member["info"], countries=shared[member["countries"]])
                for member in hit.info["members"]
            }
            together = _Together(hit)
            sources = [_Member(together, members[os.path.realpath(path)]) for path in paths]
        except (KeyError, IndexError, TypeError, ValueError) as exc:  # not korus's writing
            raise _BrokenCache(str(exc)) from None
        if len({source.year for source in sources}) < len(sources):
            return None  # a file given twice: its own entries (the repeat is then refused)
        parts = []
        for path, source in zip(paths, sources, strict=True):
            part = cache.Hit(hit.path, hit.files, source.info, hit.ranges, hit.what)
            parts.append(_read_from(Path(path), pair, None, None, part, source))
    except _NoLines:
        return None
    except _BrokenCache:
        hit.close()  # before it is removed (Windows)
        cache.discard(hit.path)
        return None
    finally:
        hit.close()
    return _readings(parts, whole=True, side=side)


class _Together:
    """A folder's years kept together: the rows of the countries asked for, read once
    for all the years, then cut by year."""

    def __init__(self, hit):
        self.groups = _RowGroups(hit)
        self.names = list(hit.files[0].schema_arrow.names)  # ij, t, k, v (lost_zero)
        if not {"ij", "t", "k", "v"} <= set(self.names):
            raise _BrokenCache(f"columns {self.names}")
        self._read: dict[tuple, dict] = {}  # the wanted codes -> their rows, by year

    def rows(self, wanted: _Wanted, year: int) -> _Rows:
        import numpy as np

        if wanted not in self._read:
            arrays = self.groups.read(self.groups.chosen(wanted), self.names)
            chosen = wanted.positions(arrays["i"], arrays["j"])
            by_year = chosen[np.argsort(arrays["t"][chosen], kind="stable")]
            self._read[wanted] = {name: values[by_year] for name, values in arrays.items()}
        arrays = self._read[wanted]
        start, end = np.searchsorted(arrays["t"], [year, year + 1])
        cut = {name: values[start:end] for name, values in arrays.items()}
        return _Rows(
            cut["t"], cut["i"], cut["j"], cut["k"], cut["lost_zero"], cut["v"], _UnknownLines()
        )


class _Member:
    """One year of a folder's years kept together, read as its own entry would be."""

    def __init__(self, together: _Together, info: dict):
        self.together = together
        self.info = info
        self.rows = int(info["rows"])
        self.codes = [int(code) for code in info["codes"]]
        self.year = int(info["year"])

    def rows_of(self, wanted: _Wanted | None) -> _Rows:
        if wanted is None:  # a whole read: each year's own entry
            raise _NoLines
        return self.together.rows(wanted, self.year)

    def first_line(self, code: int) -> tuple[str, int] | None:
        raise _NoLines


def build_group(paths: list[Path]) -> bool | None:
    """Keep several BACI years of one folder together, as one more cache entry
    (``cache.write_group``): every year's rows in the order of exporter and importer, then
    year, so that a question about one pair over all the years reads a few row groups of
    one file. Return True when it was written.

    It is made from the years' own entries, merged a slice of exporter-importer keys at a
    time (a real folder of thirty years is 300 million rows). Files that can never be kept
    together give False: one not in BACI's order, or of more than one year, or two files
    of one year, or not all of one folder. A file without a current entry of its own, or
    a write that failed, give None: not now.
    """
    import pyarrow as pa

    from korus import cache
    from korus.errors import CacheWriteError

    key = cache.group_key(paths, LAYOUT, cache_companions)  # before they are read
    if key is None:
        return False
    hits = []
    try:
        for real in (member["path"] for member in key["members"]):  # each file once
            hit = cache.find(Path(real), LAYOUT, cache_companions)
            if hit is None:
                return None
            hits.append((int(hit.info.get("year", -1)), real, hit))
            if not hit.info.get("in_file_order") or "year" not in hit.info:
                return False
        if len({year for year, _, _ in hits}) != len(hits):
            return False
        hits.sort(key=lambda held: held[0])
        lost = any(hit.info.get("lost_zero") is not False for _, _, hit in hits)
        types = {"ij": pa.int32(), "t": pa.int16(), "k": pa.int32(), "v": pa.float64()}
        types |= {"lost_zero": pa.bool_()} if lost else {}
        schema = pa.schema(list(types.items()))
        # Each year's info as its own entry has it, the country mapping (the same for most
        # years) kept once and named by its place.
        shared, members = [], []
        for _, real, hit in hits:
            own = dict(hit.info)
            countries = own.pop("countries", None)
            if countries not in shared:
                shared.append(countries)
            members.append({"source": real, "info": own, "countries": shared.index(countries)})
        info = {"countries": shared, "members": members}
        rows = sum(int(hit.info["rows"]) for _, _, hit in hits)
        size = _group_row_group(rows)
        pieces = _merged_years([hit for _, _, hit in hits], schema, size, rows)
        try:
            written = cache.write_group(
                paths,
                LAYOUT,
                lambda: (schema, [pieces], info),
                key=key,
                index="ij",
                **CACHE_OPTIONS,
                row_group_size=size,
            )
        except CacheWriteError:
            raise
        except Exception:  # a year's entry that turned out damaged: not now
            written = None
        return True if written is not None else None
    finally:
        for _, _, hit in hits:
            hit.close()


def _group_row_group(rows: int) -> int:
    """Return the rows of a row group of years kept together: 65,536 to a million, so that
    a footer holds about 2,000 groups at most (a pair's rows of every year are in a few)."""
    if GROUP_ROW_GROUP:
        return GROUP_ROW_GROUP
    return min(1 << 20, max(65_536, 1 << (rows // 2048).bit_length()))


def _merged_years(hits: list, schema, size: int, rows: int):
    """Yield every row of the years' entries (``hits``, by year), in the order of ij then
    year, as tables of ``size`` rows (the last may be shorter).

    Each entry is already in the order of ij: the keys are cut into slices of about
    ``GROUP_BUCKET`` rows (judged by the row groups' ranges), and each slice is taken
    from every year, sorted (stably: years stay in order) and handed on, so that memory
    holds one slice and a row group of each year, never the folder.
    """
    import numpy as np
    import pyarrow as pa

    sources = [_RowGroups(hit) for hit in hits]
    highs = np.concatenate([source.high for source in sources])
    counts = np.concatenate([source.size for source in sources])
    if not len(highs) or rows == 0:
        raise _BrokenCache("no rows to keep together")
    order = np.argsort(highs, kind="stable")
    seen = np.cumsum(counts[order])
    marks = np.searchsorted(seen, np.arange(GROUP_BUCKET, int(seen[-1]), GROUP_BUCKET))
    bounds = sorted(set(highs[order][marks].tolist())) + [PAIR_KEY * PAIR_KEY]
    state = [[0, None] for _ in sources]  # each year's next row group and rows left over
    carry, given = None, 0
    for bound in bounds:
        taken = []
        for number, (source, hit) in enumerate(zip(sources, hits, strict=True)):
            following, left = state[number]
            tables = [] if left is None else [left]
            while following < len(source.group) and source.low[following] <= bound:
                tables.append(_entry_rows(source, following, hit.info["year"], schema))
                following += 1
            left = None
            if tables:
                table = pa.concat_tables(tables)
                cut = int(np.searchsorted(table["ij"].to_numpy(), bound, side="right"))
                taken.append(table.slice(0, cut))
                left = table.slice(cut) if cut < table.num_rows else None
            state[number] = [following, left]
        if not taken and carry is None:
            continue
        bucket = carry  # rows carried over: sorted, and before every row taken now
        if taken:
            fresh = pa.concat_tables(taken)
            fresh = fresh.take(pa.array(np.argsort(fresh["ij"].to_numpy(), kind="stable")))
            bucket = fresh if carry is None else pa.concat_tables([carry, fresh])
        whole = bucket.num_rows // size * size
        for at in range(0, whole, size):
            given += size
            yield bucket.slice(at, size)
        carry = bucket.slice(whole).combine_chunks() if whole < bucket.num_rows else None
    if carry is not None:
        given += carry.num_rows
        yield carry
    if given != rows:
        raise _BrokenCache(f"{given} rows kept together of {rows}")


def _entry_rows(source: _RowGroups, number: int, year: int, schema):
    """Return a row group of a year's entry in the columns of years kept together."""
    import numpy as np
    import pyarrow as pa

    parquet = source.hit.files[int(source.file[number])]
    present = [name for name in schema.names if name in parquet.schema_arrow.names]
    table = parquet.read_row_group(int(source.group[number]), columns=present, use_threads=False)
    columns = {name: table[name] for name in present}
    columns["t"] = pa.array(np.full(table.num_rows, year, dtype=np.int16))
    if "lost_zero" in schema.names and "lost_zero" not in columns:
        columns["lost_zero"] = pa.array(np.zeros(table.num_rows, dtype=bool))
    return pa.table([columns[name] for name in schema.names], schema=schema)


def _minmax(statistics) -> list[int]:
    """Return a row group's [min, max] from its statistics; the widest range without them."""
    if statistics is None or not statistics.has_min_max:
        return [0, PAIR_KEY * PAIR_KEY]
    return [statistics.min, statistics.max]


@dataclass(frozen=True)
class _Wanted:
    """The rows a question needs: those between countries of ``codes`` (BACI codes of a
    pair, both ways), or with ``either``, those with a country of ``codes`` on either side
    (one reporter's trade with every partner)."""

    codes: tuple[int, ...]
    either: bool = False

    def mask(self, i, j):
        """Return a boolean array: which rows of exporters ``i`` and importers ``j`` it
        chooses."""
        import numpy as np

        member = np.zeros(MAX_CODE + 1, dtype=bool)
        member[list(self.codes)] = True
        return (member[i] | member[j]) if self.either else (member[i] & member[j])

    def positions(self, i, j):
        """Return the positions of the rows it chooses."""
        import numpy as np

        return np.flatnonzero(self.mask(i, j))


def _hs6(texts, rows, name: str):
    """Return (codes as int32, lost leading zero) of k texts; an error names a bad code.

    ``rows`` are the texts' data rows in the file (None: 0, 1, 2...). Fast when every code
    is 5 or 6 ASCII digits; otherwise each distinct text is checked (spaces around a code
    are allowed), exactly as ``\\d{5,6}``.
    """
    checked = _hs6_fast(texts)
    if checked is not None:
        return checked
    codes = _Codes(
        texts,
        "k",
        name,
        r"\d{5,6}",
        "expected an HS6 product code of 6 digits (or 5 that lost their leading zero)",
        rows,
    )
    return codes.rows(), codes.flags(lambda text: len(text) == 5)


def _hs6_chunks(texts):
    """Return, per non-empty chunk, (chunk, code lengths, digit bytes) when every k text is
    5 or 6 ASCII digits; else None. Looks at the bytes of the Arrow buffers only."""
    import numpy as np
    import pyarrow as pa

    found = []
    for chunk in texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]:
        if not len(chunk):
            continue
        if chunk.null_count or chunk.type != pa.string():
            return None
        _, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        lengths = np.diff(offsets)
        if lengths.min() < 5 or lengths.max() > 6:
            return None
        digits = np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]
        if digits.min() < 48 or digits.max() > 57:  # not all of "0" to "9"
            return None
        found.append((chunk, lengths, digits))
    return found


def _hs6_scan(texts) -> bool | None:
    """Return whether any k text has 5 digits, when every one is 5 or 6 ASCII digits; else
    None."""
    chunks = _hs6_chunks(texts)
    if chunks is None:
        return None
    return any(lengths.min() == 5 for _, lengths, _ in chunks)


def _hs6_fast(texts):
    """Return (codes as int32, lost leading zero) when every text is 5 or 6 ASCII digits,
    else None; worked out from the bytes of the Arrow buffers (no Python string per row)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = _hs6_chunks(texts)
    if chunks is None:
        return None
    codes, lost = [], []
    for chunk, lengths, digits in chunks:
        shortest = lengths.min()
        if shortest == 6:  # the usual case: six digits a code, summed column by column
            table = digits.reshape(-1, 6)
            number = table[:, 0].astype(np.int32)
            for column in range(1, 6):
                number *= 10
                number += table[:, column]
            number -= 48 * 111_111  # the byte of "0" (48) in each of the six places
            codes.append(number)
        else:
            codes.append(_numbers(pc.cast(chunk, pa.int32())))
        lost.append(lengths == 5)
    if not codes:
        return np.array([], np.int32), np.array([], bool)
    if len(codes) == 1:
        return codes[0], lost[0]
    return np.concatenate(codes), np.concatenate(lost)


def _header(path: Path, name: str) -> list[str]:
    head = take_sample(path).head  # the first bytes, gunzipped
    try:
        # The first line, whatever its end: LF, CRLF or a CR alone (old Mac files).
        first = re.split(rb"\r\n|\r|\n", head, maxsplit=1)[0].decode("utf-8-sig")
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


# What to do about a year or country code that is not one (0x19A, ٤١٠, 8 42).
CODE_HINT = (
    "BACI writes its codes in ASCII digits: a broken cell, fix it or download the file again"
)


def _arrow_message(exc: Exception) -> str:
    return said(str(exc).strip().splitlines()[0])


class _Codes:
    """A text column of codes: its distinct values, parsed once, and each row's position."""

    def __init__(self, column, name_column: str, name: str, pattern: str, what: str, rows, hint=""):
        import numpy as np
        import pyarrow.compute as pc

        distinct = pc.unique(column)
        self.positions = _numbers(pc.index_in(column, value_set=distinct))
        self.texts = [text.strip() for text in distinct.to_pylist()]
        for index, text in enumerate(self.texts):
            if not re.fullmatch(pattern, text, re.ASCII):  # BACI's digits are ASCII's
                at = int(np.argmax(self.positions == index))
                line = (at if rows is None else int(rows[at])) + 2
                raise DataFileError(
                    f"{name}: line {line}, column {name_column!r}: {what}, "
                    f"found {distinct[index].as_py()!r}" + (f"; {hint}" if hint else "")
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


def _check_values(values, name: str) -> None:
    """Raise for the first value that is not a finite number of 0 or more, or that is more
    than a year of world trade (``trust.VALUE_LIMIT_USD``)."""
    import numpy as np
    import pyarrow.compute as pc

    if not len(values):
        return
    low, high = pc.min_max(values).values()
    if pc.all(pc.is_finite(values)).as_py() and low.as_py() >= 0 and high.as_py() < LARGEST_V:
        return
    numbers = _numbers(values)
    index = int(np.argmax(~np.isfinite(numbers) | (numbers < 0) | (numbers >= LARGEST_V)))
    if np.isfinite(numbers[index]) and numbers[index] >= LARGEST_V:
        raise DataFileError(
            f"{name}: line {index + 2}, column 'v': {values[index].as_py()!r} thousands of US "
            "dollars is more than a year of world trade: a wrong unit or a broken cell; fix "
            "the file or download it again"
        )
    raise DataFileError(
        f"{name}: line {index + 2}, column 'v': expected a value of 0 or more (thousands "
        f"of US dollars), found {values[index].as_py()!r}"
    )


def _text(labels, positions):
    """Return a text column: ``labels`` at ``positions``, as an Arrow array."""
    import pyarrow as pa

    labels = labels if isinstance(labels, pa.Array) else pa.array(labels, pa.large_string())
    if len(labels) == 1:  # one label (a file's classification): repeated, nothing to take
        return pa.repeat(labels.cast(pa.large_string())[0], len(positions))
    return labels.cast(pa.large_string()).take(pa.array(positions))


def _same(text: str, count: int):
    """Return a text column of one value, as an Arrow array."""
    import pyarrow as pa

    return pa.repeat(pa.scalar(text, pa.large_string()), count)


def _repeats_to_drop(rows: _Rows, chosen, mapping: dict, accounting: Accounting):
    """Return which of the ``chosen`` file rows (those whose flow another row shares) to
    drop as exact repeats; the trust layer's rule decides, and raises for a flow given
    twice (two values, or exact without --dedupe), naming both lines. Two BACI codes of
    one korus country are not repeats of each other: their flows are added."""
    import numpy as np
    import pandas as pd

    from korus import trust
    from korus.schema import KEY

    exporters, importers = rows.i[chosen], rows.j[chosen]
    frame = pd.DataFrame(
        {
            "year": rows.t[chosen],
            "month": pd.array([pd.NA] * len(chosen), dtype="Int8"),
            "reporter": [mapping.get(int(code), str(code)) for code in exporters],
            "partner": [mapping.get(int(code), str(code)) for code in importers],
            "flow": "export",
            "product": [f"{int(code):06d}" for code in rows.k[chosen]],
            "value_usd": rows.v[chosen] * UNIT,
            "origin": [f"{i}>{j}" for i, j in zip(exporters, importers, strict=True)],
            "line": [rows.line(int(index)) for index in chosen],
        }
    )
    key = [*KEY, "origin"]
    accounting.repeat_hint = "a BACI file gives each flow once"
    same = frame.duplicated(subset=key, keep=False)
    if not same.any():
        return np.zeros(len(chosen), dtype=bool)
    return trust.repeats_to_drop(frame, same, key, accounting)


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
    folder = data.parent
    try:
        changed = folder.stat().st_mtime_ns
    except OSError:
        return None
    found = [folder / name for name in _matching(folder, changed, pattern)]
    hs = _hs(data)
    if hs and "HS" in pattern:
        found = [candidate for candidate in found if _hs(candidate) == hs] or found
    release = _release(data)
    if release:
        found = [candidate for candidate in found if _release(candidate) == release] or found
    if not found:
        return None
    return max(found, key=lambda candidate: (_release(candidate) or "", candidate.name))


def cache_companions(path: Path) -> list[Path]:
    """Return the companion files beside a BACI data file that shape its figures, as a
    read finds them (its country codes and product codes files): their fingerprints are
    part of the key of its cache entry, so that an edited or newly added one has the file
    read again."""
    found = (
        _companion(Path(path), "country_codes_V*.csv"),
        _companion(Path(path), "product_codes_HS*_V*.csv"),
    )
    return [companion for companion in found if companion is not None]


@lru_cache(maxsize=64)
def _matching(folder: Path, changed: int, pattern: str) -> tuple[str, ...]:
    """Return the names of the files of ``folder`` that match ``pattern``: looked for once
    per process while the folder is unchanged (a folder of thirty years asks sixty times)."""
    return tuple(sorted(path.name for path in folder.glob(pattern) if path.is_file()))


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

    Read once per process for each writing of the file (a folder of years shares one).
    """
    try:
        return dict(_country_table(path, _writing(path)))
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


def _writing(path: Path) -> str:
    """Return what tells one writing of a companion file from another (its fingerprint:
    an edit with its modification time put back is another writing)."""
    import json

    from korus import cache

    found = cache.fingerprint(path)
    if found is None:
        raise DataFileError(f"{path}: the file cannot be read")
    return json.dumps(found, sort_keys=True)


@lru_cache(maxsize=8)
def _country_table(path: Path, writing: str) -> dict[int, tuple[str, str]]:
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
        if not is_digits(code):
            raise DataFileError(
                f"{path}: line {line}, column {code_column!r}: expected a country code "
                f"(a number), found {code!r}"
            )
        cells = [row[at[column]].strip() if len(row) > at[column] else "" for column in at]
        rows[int(code)] = (cells[1], cells[2].upper())
    return rows


def _version(path: Path | None) -> dict | None:
    """Return what tells one writing of a companion file from another (its fingerprint)."""
    if path is None:
        return None
    from korus import cache

    return cache.fingerprint(path)


def _remembered_map(hit, country_file: Path | None) -> dict | None:
    """Return the country mapping a cache file remembers, if made from this country file by
    this korus; else None."""
    if hit is None:
        return None
    known = hit.info.get("countries")
    if not known or known.get("korus") != __version__:
        return None
    return known if known.get("file") == _version(country_file) else None


def _country_map(codes, first_line, country_file, name, accounting) -> dict[int, str]:
    """Return BACI code -> korus code for every code in the data, with notes on fallbacks.

    ``codes`` are the distinct codes of the file's i and j columns; ``first_line(code)``
    gives the (column, line) an error names. Worked out once per process for each set of
    codes and country file (a folder of years asks the same question thirty times).
    """
    version = None
    if country_file is not None:
        _country_rows(country_file, name)  # an error names the data file; read once
        version = _writing(country_file)
    mapping, notes, unknown = _codes_map(
        tuple(sorted(codes)), None if country_file is None else str(country_file), version
    )
    if unknown is not None:
        code, label = unknown
        column, line = first_line(code)
        source = f"the country codes file {country_file.name}" if country_file else None
        raise DataFileError(
            f"{name}: line {line}, column {column!r}: BACI country code {code}"
            + (f" ({label})" if label else "")
            + " is not a country korus knows"
            + (f" (neither in {source} nor a UN Comtrade numeric)" if source else "")
            + "; give the release's country_codes file beside the data"
        )
    accounting.notes.extend(notes)
    return dict(mapping)


@lru_cache(maxsize=16)
def _int_mapping(items: tuple) -> dict[int, str]:
    """Return a remembered mapping (JSON: text keys) with integer keys (not to be changed:
    the years of a folder share it)."""
    return {int(code): korus for code, korus in items}


@lru_cache(maxsize=16)
def _lookup(items: tuple) -> tuple[list[str], object]:
    """Return the korus codes of a mapping's (BACI code, korus code) ``items``, sorted, and
    an array that gives each BACI code's position among them (read only: shared)."""
    import numpy as np

    korus_codes = sorted({korus for _, korus in items})
    position = {code: index for index, code in enumerate(korus_codes)}
    lookup = np.zeros(MAX_CODE + 1, dtype=np.int32)
    lookup[[code for code, _ in items]] = [position[korus] for _, korus in items]
    lookup.flags.writeable = False
    return korus_codes, lookup


@lru_cache(maxsize=16)
def _codes_map(codes: tuple[int, ...], country_file: str | None, version):
    """Return (mapping, notes, None), or (None, None, (code, label)) for an unknown code."""
    listed = {} if country_file is None else _country_table(Path(country_file), version)
    notes = []
    if country_file is None:
        notes.append(
            "no country codes file beside the data: exporter and importer codes read as UN "
            "Comtrade numerics (BACI uses them)"
        )
    mapping: dict[int, str] = {}
    fallback, not_listed, differ = [], [], []
    for code in codes:
        label = listed.get(code, ("", ""))[0]
        country, comtrade, by_iso = _country_of(code, listed)
        if not by_iso:
            if country is not None and country_file is not None:
                (fallback if code in listed else not_listed).append(
                    f"{code}{f' ({label})' if label else ''} -> {country.code}"
                )
        elif comtrade is not None and comtrade.code != country.code:
            differ.append(f"{code} ({label}) {country.code}, Comtrade {comtrade.code}")
        if country is None:
            return None, None, (code, label)
        mapping[code] = country.code
    if fallback:
        notes.append(
            "codes with no ISO3 in the country codes file, read as UN Comtrade numerics: "
            + ", ".join(fallback)
        )
    if not_listed:
        notes.append(
            "codes missing from the country codes file, read as UN Comtrade numerics: "
            + ", ".join(not_listed)
        )
    if differ:
        notes.append(
            "the country codes file's ISO3 is used where UN Comtrade's differs: "
            + "; ".join(differ)
        )
    return mapping, tuple(notes), None


def _country_of(code: int, listed: dict) -> tuple:
    """Return (korus country or None, UN Comtrade's country or None, whether the country
    file's ISO3 gave it) of a BACI code: the country file's ISO3, else the Comtrade numeric."""
    comtrade = countries.from_comtrade(code)
    iso = listed.get(code, ("", ""))[1]
    if iso and iso not in NO_ISO:
        try:
            return countries.lookup(iso), comtrade, True
        except UnknownCountryError:
            pass
    return comtrade, comtrade, False
