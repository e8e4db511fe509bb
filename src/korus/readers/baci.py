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

Push-down (``scan(path, pair)``): when only the trade between two countries is wanted,
their BACI codes (through the country file) select the rows on the parsed integers,
before anything becomes pandas, and only those rows become the frame; the file's other
rows are counted as set aside, "other country pairs (not asked for)", so rows read =
kept + set aside still holds. Every row is still parsed and checked for its year, codes
and value (a bad one anywhere is an error) and every country code must be known; the
product code check (6 digits, or 5 that lost their zero), the lost-zero note, repeated
flows and flows of one country to itself are checked on the pair's rows only: a full read
(``read``) checks them on every row.

One side (``one_side``): each BACI flow is two canonical rows, the exporter's export and
the importer's import; a question about one reporter's trade needs only its own rows, so
only those are built (half the rows), and a note says so.

The machinery it reads with lives beside it, a module each: ``baci_parse`` (a file parsed
whole by Arrow), ``baci_stream`` (a large file streamed for a pair, and ``build_cache``),
``baci_index`` (a cache entry read by its row groups), ``baci_years`` (a folder's years kept
together, ``build_group``), ``baci_companions`` (the code lists beside the data file and
the country mapping) and ``baci_rows`` (what they all share).

Layout and codes: CEPII, "BACI: International Trade Database at the Product-Level",
Gaulier and Zignago (2010), CEPII Working Paper 2010-23, and the Readme of each release
(www.cepii.fr, BACI page).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from korus import __version__
from korus.errors import DataFileError
from korus.readers.baci_companions import (
    _classification,
    _companion,
    _country_map,
    _given,
    _int_mapping,
    _lookup,
    _remembered_map,
    _version,
    _vintage,
    cache_companions,
)
from korus.readers.baci_index import _Cached, build_by_importer
from korus.readers.baci_parse import _parse
from korus.readers.baci_rows import (
    BY_IMPORTER,
    LAYOUT,
    NEEDED,
    PAIR_KEY,
    UNIT,
    _BrokenCache,
    _Rows,
    _Wanted,
)
from korus.readers.baci_stream import _stream, _Streamed, build_cache
from korus.readers.baci_years import _Member, _NoLines, _Together, build_group
from korus.readers.common import import_pandas_meanwhile
from korus.readers.same import same_text
from korus.schema import NOT_ASKED_FOR, Accounting, Reading

DESCRIPTION = "CEPII BACI yearly file (t,i,j,k,v,q): world trade by HS6, thousands of USD, FOB"
HEADER = ["t", "i", "j", "k", "v", "q"]
SOURCE = "CEPII BACI"
BASIS = "FOB (CEPII BACI reconciled)"
FLOW_NAMES = ("export", "import")  # each row's two records, in the order they are built
OTHER_PAIRS = f"other country pairs {NOT_ASKED_FOR}"
OTHER_TRADE = f"trade of other countries {NOT_ASKED_FOR}"
SAME_COUNTRY = "exporter and importer are one korus country (two BACI codes for one territory)"
# Write the cache in a thread while the answer is computed (the process waits for it).
BACKGROUND_CACHE = True


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
    paths: list[Path],
    pair: tuple[str, str] | None = None,
    *,
    one_side: bool = False,
    table: bool = False,
    flow: str | None = None,
) -> list[Reading] | Flows:
    """Return the Reading of each of several BACI files (a folder of years), as ``scan``
    (``read`` when ``pair`` is None) would, each file with its own companion files.

    The frames are built together, in one go: a folder of thirty years costs little more
    than one year. Files of distinct years (a folder of BACI years) give one Reading with
    each file's account; files that share a year give a Reading each, so that flows given
    twice are found and the file named.

    With ``table``, where the files give one Reading, its rows come back as ``Flows``: one
    Arrow table, text as dictionaries, never made pandas (a plan of sums reads it); files
    that share a year give their Readings as without it. With ``table`` and ``flow``
    ("export" or "import"), every country's records of that flow only: each row once, as
    its exporter's export (or its importer's import), the other record not built (world
    totals of a flow read no more).
    """
    import numpy as np

    from korus import cache

    side = pair[0] if one_side and pair is not None else None
    if pair is not None and len(paths) > 1:
        together = _read_together(paths, pair, side, table)
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
        read = _flows(parts, side, flow) if table else _readings(parts, whole=True, side=side)[0]
        if pair is not None and cache.deferred():  # the command line: keep them together
            note = cache.request_group(
                [Path(path) for path in paths], LAYOUT, build_group, cache_companions
            )
            if note:
                read.accounting[0].notes.append(note)
        return read if table else [read]
    if table and len(parts) == 1:
        return _flows(parts, side, flow)
    return _readings(parts, side=side)


def read_each(paths: list[Path], flow: str | None = None):
    """Yield the ``Flows`` of each of several BACI files (a folder of years) in turn, as
    ``read_many(paths, None, table=True, flow=flow)`` gives them together, one file's rows
    in memory at a time (cached files read ahead in threads, as many as there are cores).
    Raise ``common.Unsettled`` where a year is in two files: ``load`` reads them and says
    which flows are given twice. Thirty years read together, both records of each row:
    2.4 GB, and several times that for thirty real BACI years."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from korus import cache
    from korus.readers.common import Unsettled

    paths = [Path(path) for path in paths]
    seen: set[int] = set()

    def judged(part: _Flows) -> Flows:
        years = set(np.unique(part.year).tolist())
        if years & seen:
            raise Unsettled("a year in two files")
        seen.update(years)
        return _flows([part], None, flow)

    if not all(cache.known(path, LAYOUT, cache_companions) for path in paths):
        for path in paths:  # one at a time: a file read from its CSV uses every core
            yield judged(_read(path, None, None, None))
        return
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        ahead: deque = deque()
        waiting = iter(paths)
        for path in waiting:
            ahead.append(pool.submit(_read, path, None, None, None))
            if len(ahead) >= _workers():
                break
        while ahead:
            part = ahead.popleft().result()
            following = next(waiting, None)
            if following is not None:
                ahead.append(pool.submit(_read, following, None, None, None))
            yield judged(part)
            del part


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
        import_pandas_meanwhile()
        key = cache.source_key(path, LAYOUT, cache_companions)  # before it is read
        source = None
        # A pair's rows only, streamed: unless the cache is to be written here and now from
        # the parsed columns (a program using korus; the command line has it written after
        # its answer, ``cache.defer``).
        if pair is not None and (cache.deferred() or not cache.wanted(path)):
            source = _stream(path, name, pair, country_file)
        source = source or _parse(path, name)
    elif source is None:
        source = _Cached(hit, name, path)
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
    # One reporter's trade with every partner: its rows as importer are in every row group
    # of the entry; a copy in the order of importer is written after the answer.
    if wanted is not None and wanted.either and cache.deferred():
        missed = getattr(source, "wants_copy", False) or (hit is None and cache.wanted(path))
        if missed:
            cache.request(path, BY_IMPORTER, build_by_importer, cache_companions, "--by-importer")
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

    every = bool(keep.all())  # (the usual: the rows themselves, not a copy)
    year, exporter, importer = (a if every else a[keep] for a in (rows.t, exporters, importers))
    product, value = (a if every else a[keep] for a in (rows.k, rows.v))
    repeated = None
    involved = list(mapping) if wanted is None or wanted.either else list(wanted.codes)
    if len({mapping[code] for code in involved}) == len(involved):  # a country a BACI code
        # Rows in BACI's order (year, exporter, importer, product), each after the one
        # before, give no flow twice: no hashing of every row needed.
        order = year.astype(np.int64)  # (a new array, worked in place)
        for codes in (rows.i, rows.j):
            order *= PAIR_KEY
            order += codes if every else codes[keep]
        order *= 1_000_000
        order += product
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

    codes, classifications, vintages, joined, counts = _joined(parts, side)
    if whole or len(parts) == 1:
        # Rows by reporter, partner and flow (else as read): one country's exports to one
        # partner are then one block, which a question takes as a slice, not a copy.
        order = np.lexsort((joined["f"], joined["p"], joined["r"]))
        for name in joined:  # one column reordered at a time: never two copies of all
            joined[name] = joined[name][order]
    table = _canonical(codes, classifications, vintages, joined, _text, same_text)
    frame = table.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get, split_blocks=True)
    if whole:
        accounts = [part.accounting for part in parts]
        years = [tuple(np.unique(part.year).tolist()) for part in parts]
        return [Reading(frame, accounts, unique=True, years_of_files=years)]
    readings, start = [], 0
    for part, count in zip(parts, counts, strict=True):
        end = start + count
        piece = frame if len(parts) == 1 else frame.iloc[start:end].reset_index(drop=True)
        readings.append(Reading(piece, [part.accounting], unique=True))
        start = end
    return readings


@dataclass
class Flows:
    """The files' rows as ``_readings`` would make them one Reading, kept as one Arrow
    table (the canonical columns, text as dictionaries, rows in no order), with each
    file's account."""

    table: object  # pa.Table
    accounting: list[Accounting]
    # With one flow's records only: the other flow's table, built when asked (the trust
    # layer's rules judge every record; a question of one flow reads its own).
    other: object = None


def _flows(parts: list[_Flows], side: str | None, flow: str | None = None) -> Flows:
    """Return the rows ``_readings(parts, whole=True, side=side)`` gives, as ``Flows``:
    each text column its labels and the rows' positions in them (no text per row, no
    sort, no pandas frame); with ``flow``, only the records of that flow (``_joined``)."""
    import numpy as np
    import pyarrow as pa

    if flow is None and side is None:
        # Every record: the exports, and each row's other record made of their columns
        # (``_other_records``), not built again (11M rows: half the memory).
        exports = _flows(parts, None, FLOW_NAMES[0])
        return Flows(pa.concat_tables([exports.table, exports.other()]), exports.accounting)
    codes, classifications, vintages, joined, _ = _joined(parts, side, flow)

    def coded(values, at) -> pa.DictionaryArray:
        values = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(at.astype(np.int32, copy=False)), values)

    def same(value: str, rows: int) -> pa.DictionaryArray:
        return coded([value], np.zeros(rows, dtype=np.int32))

    table = _canonical(codes, classifications, vintages, joined, coded, same)
    if flow is None or side is not None:
        return Flows(table, [part.accounting for part in parts])
    return Flows(table, [part.accounting for part in parts], lambda: _other_records(table))


def _other_records(table):
    """Return the other record of each row of a table of one flow's records (every
    country's): the same rows, reporter and partner swapped, the flow the other one, made
    of the table's own columns (nothing copied but the flow's codes)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # (the same labels, each record pointing at the other: one dictionary for both flows'
    # tables, which can then be one table)
    flows = table["flow"]
    one = pa.scalar(1, flows.type.index_type)
    other = pa.chunked_array(
        [
            pa.DictionaryArray.from_arrays(pc.subtract(one, chunk.indices), chunk.dictionary)
            for chunk in flows.chunks
        ],
        flows.type,
    )
    columns = {"reporter": table["partner"], "partner": table["reporter"], "flow": other}
    return pa.table(
        [columns.get(name, table[name]) for name in table.column_names], table.column_names
    )


def _canonical(codes, classifications, vintages, joined, text, same):
    """Return the canonical columns of the rows ``_joined`` gives, as an Arrow table: each
    text column ``text(labels, positions)``, each column of one text ``same(text, rows)``,
    product codes as six digits, values in US dollars to the cent, whole years."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(joined["t"])
    positions, present = pd.factorize(joined["k"])  # by hashing: no sort of every row
    labels = pc.utf8_lpad(pc.cast(pa.array(present, pa.int32()), pa.string()), 6, "0")
    return pa.table(
        {
            "year": joined["t"].astype(np.int16, copy=False),
            "month": pa.nulls(rows, pa.int8()),  # whole years: all <NA>
            "reporter": text(codes, joined["r"]),
            "partner": text(codes, joined["p"]),
            "flow": text(list(FLOW_NAMES), joined["f"]),
            "product": text(labels, positions),
            "classification": text(classifications, joined["c"]),
            "value_usd": _dollars(joined["v"]),
            "source": same(SOURCE, rows),
            "basis": same(BASIS, rows),
            "vintage": text(vintages, joined["g"]),
        }
    )


def _dollars(thousands):
    """Return BACI's values (thousands of US dollars) in US dollars to the cent, as a new
    array (worked in place: no array of the rows between)."""
    import numpy as np

    dollars = np.multiply(thousands, UNIT, dtype=np.float64)
    return np.round(dollars, 2, out=dollars)


def _joined(parts: list[_Flows], side: str | None, flow: str | None = None):
    """Return (korus codes, classifications, vintages, the rows' columns, rows of each
    file) of the files' flows, each flow as the exporter's export and the importer's
    import (with ``side``, only that country's; with ``flow``, "export" or "import", only
    that record of each): the columns are numbers, the text columns positions in their
    labels."""
    import numpy as np

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
            mine = at.get(side, -1)  # (positions: each column taken without a mask's pass)
            taking = [np.flatnonzero(exporter == mine), np.flatnonzero(importer == mine)]
            part.accounting.notes.append(
                f"only {side}'s side was asked for: each flow is one row, {side}'s export or "
                "import (the other country's record of it was not built)"
            )
        count = 0
        for kind, (taken, reporter, partner) in enumerate(
            [(taking[0], exporter, importer), (taking[1], importer, exporter)]
        ):
            if flow is not None and FLOW_NAMES[kind] != flow:
                continue  # (the other record of each row: not asked for)
            columns["t"].append(part.year[taken])
            columns["r"].append(reporter[taken])
            columns["p"].append(partner[taken])
            columns["k"].append(part.product[taken])
            columns["v"].append(part.value[taken])
            columns["f"].append(np.full(len(columns["t"][-1]), kind, np.int32))
            count += len(columns["t"][-1])
        columns["c"].append(np.full(count, classifications.index(part.classification), np.int32))
        columns["g"].append(np.full(count, vintages.index(part.vintage), np.int32))
        counts.append(count)
    # Each column joined, its pieces let go as it is (a year's side is a million rows); a
    # column of one piece (one file's one record, or its rows) is that piece, not copied
    # (world totals of an 11M-row year: 150 MB less at the peak).
    joined = {}
    for name in list(columns):
        arrays = columns.pop(name)
        if len(arrays) == 1:
            joined[name] = arrays[0]
        else:
            joined[name] = np.concatenate(arrays) if arrays else np.array([], np.int32)
        del arrays
    return codes, classifications, vintages, joined, counts


def _read_together(
    paths: list[Path], pair, side: str | None, table: bool = False
) -> list[Reading] | Flows | None:
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
    return _flows(parts, side) if table else _readings(parts, whole=True, side=side)


def _text(labels, positions):
    """Return a text column: ``labels`` at ``positions``, as an Arrow array."""
    import pyarrow as pa

    labels = labels if isinstance(labels, pa.Array) else pa.array(labels, pa.large_string())
    if len(labels) == 1:  # one label (a file's classification): repeated, nothing to take
        return same_text(labels.cast(pa.large_string())[0].as_py(), len(positions))
    if len(positions) and positions.min() == positions.max():  # one reporter's side
        return same_text(labels.cast(pa.large_string())[int(positions[0])].as_py(), len(positions))
    return labels.cast(pa.large_string()).take(pa.array(positions))


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
