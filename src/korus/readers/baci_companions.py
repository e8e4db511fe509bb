"""BACI's companion files: the country and product code lists beside a data file.

They give the classification (the product list's HS version), the vintage (the release in
the names) and the mapping of BACI country codes to korus's (the country list's ISO3, else
UN Comtrade's numerics); see ``baci`` for the rules. Their fingerprints are part of a
cache entry's key (``cache_companions``).
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from pathlib import Path

from korus import __version__, countries
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.baci_rows import MAX_CODE
from korus.readers.common import is_digits
from korus.schema import Accounting

NO_RELEASE = "release not stated in the file"
NO_VERSION = "HS (version not stated)"
HS_YEARS = {"92": "1992", "96": "1996", "02": "2002", "07": "2007", "12": "2012"}
# Columns of the two country-code layouts: code, name, ISO3.
COUNTRY_COLUMNS = (
    ("country_code", "country_name_abbreviation", "iso_3digit_alpha"),
    ("country_code", "country_name", "country_iso3"),
)
NO_ISO = {"", "N/A"}  # the country file gives no ISO3 ("Other Asia, nes")

_VERSION = re.compile(r"V(\d{6})", re.I)
_HS = re.compile(r"HS(\d{2})", re.I)


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
