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
    import numpy as np
    import pandas as pd

    path = Path(path)
    name = str(path)
    accounting = Accounting(file=name, layout=LAYOUT)
    table = _table(path, name)
    accounting.rows_read = table.num_rows
    if table.num_rows == 0:
        raise DataFileError(f"{name}: the file has a BACI header but no data rows")

    # Codes are read as text and parsed once per distinct value (a few thousand at most).
    t = _Codes(table, "t", name, r"\d{4}", "expected a year of 4 digits")
    k = _Codes(
        table,
        "k",
        name,
        r"\d{5,6}",
        "expected an HS6 product code of 6 digits (or 5 that lost their leading zero)",
    )
    i = _Codes(table, "i", name, r"\d{1,4}", "expected a BACI country code (a number)")
    j = _Codes(table, "j", name, r"\d{1,4}", "expected a BACI country code (a number)")
    values = _values(table, name)
    years = t.rows().astype(np.int16)
    products = k.rows()
    padded = k.count(lambda text: len(text) == 5)

    # Companion files: classification, release, and the country table.
    country_file = _given(country_codes, name, "country codes") or _companion(
        path, "country_codes_V*.csv"
    )
    product_file = _given(product_codes, name, "product codes") or _companion(
        path, "product_codes_HS*_V*.csv"
    )
    classification = _classification(path, product_file, accounting)
    vintage = _vintage(path, country_file, product_file, accounting)

    # Map each BACI code present to a korus code (a few hundred codes, not 10 million rows).
    mapping = _country_map((i, j), country_file, name, accounting)
    korus_codes = sorted(set(mapping.values()))
    position = {code: index for index, code in enumerate(korus_codes)}
    exporters = i.rows(lambda code: position[mapping[code]])
    importers = j.rows(lambda code: position[mapping[code]])

    keep = exporters != importers
    if not keep.all():
        accounting.set_aside_rows(
            "exporter and importer are one korus country (two BACI codes for one territory)",
            int((~keep).sum()),
        )
    accounting.rows_kept = int(keep.sum())
    if padded:
        accounting.notes.append(
            f"{padded:,} product codes k had 5 digits, their leading zero lost; restored "
            "to 6 digits (10121 -> 010121)"
        )

    # One flow per (year, exporter, importer, product): a row given twice would double it;
    # two BACI codes mapped to one korus code are added together.
    hs6 = pd.DataFrame(
        {
            "year": years[keep],
            "exporter": exporters[keep],
            "importer": importers[keep],
            "product": products[keep],
            "value": values[keep],
        }
    )
    key = ["year", "exporter", "importer", "product"]
    repeated = hs6.duplicated(key, keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(keep)[repeated]  # the file rows behind the repeated flows
        _refuse_repeats(rows, (t, i, j, k), name)
        hs6 = hs6.groupby(key, sort=False)["value"].sum().reset_index()
        accounting.notes.append(
            "flows of BACI codes that map to one korus country were added together ("
            + ", ".join(f"{code} -> {korus}" for code, korus in _merged(mapping))
            + ")"
        )
    del table, years, products, values, exporters, importers, keep

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


def _table(path: Path, name: str, as_text: bool = False):
    """Return the five needed columns, codes as text (``v`` as float unless ``as_text``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _header(path, name)
    types = {column: pa.string() for column in NEEDED}
    if not as_text:
        types["v"] = pa.float64()
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    try:
        with pa.input_stream(str(path), compression="gzip" if gzipped else None) as stream:
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=header, skip_rows=1, encoding="utf8", block_size=1 << 24
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
        if not as_text and "conversion error" in str(exc):
            _bad_value(_table(path, name, as_text=True), name)
        raise DataFileError(f"{name}: not readable as a BACI CSV ({_arrow_message(exc)})") from None
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{name}: cannot be read ({exc})") from None


def _arrow_message(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


class _Codes:
    """A text column of codes: its distinct values, parsed once, and each row's position."""

    def __init__(self, table, column: str, name: str, pattern: str, what: str):
        import numpy as np
        import pyarrow.compute as pc

        distinct = pc.unique(table[column])
        self.positions = pc.index_in(table[column], value_set=distinct).to_numpy()
        self.texts = [text.strip() for text in distinct.to_pylist()]
        for index, text in enumerate(self.texts):
            if not re.fullmatch(pattern, text):
                line = int(np.argmax(self.positions == index)) + 2
                raise DataFileError(
                    f"{name}: line {line}, column {column!r}: {what}, "
                    f"found {distinct[index].as_py()!r}"
                )
        self.numbers = [int(text) for text in self.texts]
        self.column = column

    def rows(self, convert=None):
        """Return each row's number (or ``convert(number)``) as a numpy array."""
        import numpy as np

        per_value = self.numbers if convert is None else [convert(n) for n in self.numbers]
        return np.asarray(per_value, dtype=np.int32)[self.positions]

    def count(self, test) -> int:
        """Return how many rows hold a text for which ``test(text)`` is true."""
        import numpy as np

        chosen = np.array([test(text) for text in self.texts], dtype=bool)
        return int(chosen[self.positions].sum())

    def first_line(self, number: int) -> int | None:
        """Return the file line of the first row holding ``number``, or None."""
        import numpy as np

        wanted = [index for index, value in enumerate(self.numbers) if value == number]
        if not wanted:
            return None
        return int(np.argmax(np.isin(self.positions, wanted))) + 2


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

    values = table["v"].to_numpy()
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


def _refuse_repeats(rows, columns, name: str) -> None:
    """Raise when a flow (same t, i, j, k in the file) is given twice."""
    import pandas as pd

    source = pd.DataFrame({codes.column: codes.rows()[rows] for codes in columns})
    again = source.duplicated(keep="first").to_numpy()
    if again.any():
        first = source[again].iloc[0]
        line = int(rows[again.argmax()]) + 2
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
    """Return BACI code -> (name, ISO3 or "") from a country codes file of either layout."""
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
        raise DataFileError(
            f"{path}: not a BACI country codes file: the header is {header}; expected "
            "country_code, country_name_abbreviation, ..., iso_3digit_alpha or country_code, "
            f"country_name, country_iso2, country_iso3 (for the data file {name})"
        )
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


def _country_map(columns, country_file, name, accounting) -> dict[int, str]:
    """Return BACI code -> korus code for every code in the data, with notes on fallbacks."""
    listed = {} if country_file is None else _country_rows(country_file, name)
    if country_file is None:
        accounting.notes.append(
            "no country codes file beside the data: exporter and importer codes read as UN "
            "Comtrade numerics (BACI uses them)"
        )
    mapping: dict[int, str] = {}
    fallback, not_listed, differ = [], [], []
    for code in sorted({number for codes in columns for number in codes.numbers}):
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
            column, line = next(
                (codes.column, codes.first_line(code))
                for codes in columns
                if codes.first_line(code) is not None
            )
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
