"""UN Comtrade+ answers: the rules of one record (``comtrade_plus``): its period, countries,
product and value, each error naming the record or line, and the release it states."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from dataclasses import field as default
from typing import TYPE_CHECKING, NamedTuple

from korus import countries
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.columns import Coded, stripped_among
from korus.readers.common import is_digits, number
from korus.readers.figure_text import figures
from korus.schema import TOTAL, Accounting

if TYPE_CHECKING:
    import numpy as np

from korus.readers.comtrade_plus_terms import (
    _PRODUCT,
    BREAKDOWNS,
    CLASSIFICATIONS,
    DESCRIBED,
    FLOWS,
    OTHER_FLOWS,
    RELEASE_FIELDS,
    SERVICES,
    USED,
    WORLD_ISO,
    normalise,
)


def _period_of(cells: tuple[str, str, str, str]) -> tuple[int, int | None] | None:
    """Return (year, month) of (freqCode, period, refYear, refMonth), None if not one."""
    record = dict(zip(("freqcode", "period", "refyear", "refmonth"), cells, strict=True))
    try:
        return _period(record, "", lambda field: "")
    except DataFileError:
        return None


def _country_of(role: str, cells: tuple[str, str]) -> str | None:
    """Return the korus code of a (code, ISO) pair, None if korus does not know it."""
    record = {f"{role}code": cells[0], f"{role}iso": cells[1]}
    try:
        return _country(record, role, "", lambda field: "", {})
    except DataFileError:
        return None


def _product_of(cells: tuple[str, str, str]) -> tuple[str, str, bool] | None:
    """Return (product, classification, whether a lost zero was restored) of (cmdCode,
    classificationCode, aggrLevel), None if the product is not one korus reads."""
    product, scheme, level = cells[0], cells[1].upper(), cells[2]
    if product.upper() == TOTAL:
        return TOTAL, "none", False
    if scheme and scheme not in CLASSIFICATIONS:
        return None
    restored = _restore_zero(product, level)
    if not _PRODUCT.match(restored):
        return None
    return restored, CLASSIFICATIONS.get(scheme or "HS"), restored != product


def _row(records: _Records, index: int, name: str, word: str, cache: dict) -> tuple:
    """Return what one record gives, by the rules of one row, or raise its error:
    (origin, year, month, reporter, partner, flow, product, classification, value); a
    row set aside gives the reason alone."""
    record = records.record(index)
    place = f"{word} {records.positions[index]}"

    def where(field: str) -> str:
        return f"{place}, field {_SPELLING.get(field, field)!r}"

    def text(field: str) -> str:
        return _text(record.get(field))

    if all(not _text(value) for value in record.values()):
        return ("blank row",)
    kind = text("typecode").upper()
    if kind == "S":
        return (SERVICES,)
    if kind not in ("", "C"):
        raise DataFileError(
            f"{name}: {where('typecode')}: unknown trade type {kind!r} (expected C, goods)"
        )
    code = text("flowcode").upper()
    flow = FLOWS.get(code)
    if flow is None:
        if code in OTHER_FLOWS:
            return (f"flow {code}",)
        raise DataFileError(
            f"{name}: {where('flowcode')}: unknown flow code {code!r} "
            "(expected X, M, RX, RM or 1, 2, 3, 4)"
        )
    for field, (aggregate, label) in BREAKDOWNS.items():
        if text(field).upper() not in aggregate:
            return (f"breakdown by {label}",)
    year, month = _period(record, name, where)
    reporter = _country(record, "reporter", name, where, cache)
    partner = _country(record, "partner", name, where, cache)
    product = text("cmdcode")
    scheme = text("classificationcode").upper()
    if product.upper() == TOTAL:
        product, classification = TOTAL, "none"
    else:
        if scheme and scheme not in CLASSIFICATIONS:
            raise DataFileError(
                f"{name}: {where('classificationcode')}: product {product!r} is in "
                f"classification {scheme!r}; korus reads HS products (H0-H6, HS) or TOTAL: "
                "ask Comtrade for HS"
            )
        product = _restore_zero(product, text("aggrlevel"))
        if not _PRODUCT.match(product):
            raise DataFileError(
                f"{name}: {where('cmdcode')}: product code {product!r} is not TOTAL or a "
                "2, 4 or 6 digit HS code (leading zeros lost in a spreadsheet?)"
            )
        classification = CLASSIFICATIONS.get(scheme or "HS")
    value = number(record.get("primaryvalue"), file=name, where=where("primaryvalue"))
    origin = text("partnercode") or text("partneriso")
    return (origin, year, month, reporter, partner, flow, product, classification, value)


def _refuse_services_only(accounting: Accounting, name: str) -> None:
    """Raise DataFileError for a file whose figures are all trade in services: it would
    otherwise read as a file of no trade at all."""
    services = accounting.set_aside.get(SERVICES, 0)
    if accounting.rows_kept or not services:
        return
    others = accounting.rows_set_aside - services
    besides = f" (and {_rows(others)} set aside for other reasons)" if others else ""
    verb = "is" if services == 1 else "are"
    raise DataFileError(
        f"{name}: no goods rows: {_rows(services)} {verb} trade in services (typeCode S)"
        f"{besides}; korus reads trade in goods: download the goods figures (typeCode C)"
    )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


# Canonical spellings of normalised field names, for messages.
_SPELLING = {
    normalise(field): field
    for field in (
        "typeCode",
        "freqCode",
        "refYear",
        "refMonth",
        "period",
        "reporterCode",
        "reporterISO",
        "partnerCode",
        "partnerISO",
        "flowCode",
        "classificationCode",
        "cmdCode",
        "aggrLevel",
        "primaryValue",
        "cifvalue",
        "fobvalue",
    )
}


def _require(fields: set[str], name: str) -> None:
    missing = [
        _SPELLING[field] for field in ("flowcode", "cmdcode", "primaryvalue") if field not in fields
    ]
    for one, other in (
        ("reportercode", "reporteriso"),
        ("partnercode", "partneriso"),
        ("refyear", "period"),
    ):
        if one not in fields and other not in fields:
            missing.append(f"{_SPELLING[one]} or {_SPELLING[other]}")
    if missing:
        raise DataFileError(f"{name}: missing Comtrade+ fields {missing}")


@functools.lru_cache(maxsize=64)
def _fields(keys: tuple) -> tuple[tuple[tuple[str, object], ...], bool]:
    """Return (normalised name, key) for the keys of a record that korus reads, and
    whether a field is among them twice (two spellings: refYear and ref_year)."""
    found = tuple((normalise(key), key) for key in keys if normalise(key) in USED)
    return found, len({field for field, _ in found}) < len(found)


def _picked(record: dict, name: str, number: int) -> dict:
    """Return the fields of a JSON record that korus reads, under normalised names; a field
    given twice must be given one value (``_one_value``)."""
    fields, twice = _fields(tuple(record))
    if not twice:
        return {field: record[key] for field, key in fields}
    given: dict[str, list] = {}
    for field, key in fields:
        given.setdefault(field, []).append((key, record[key]))
    return {
        field: _one_value(field, spellings, name, f"record {number}")
        for field, spellings in given.items()
    }


def _one_value(field: str, spellings: list[tuple[object, object]], name: str, where: str):
    """Return the value of a field a record gives under several spellings ((spelling,
    value) pairs): the one value they give (blank ones aside); two different values are
    an error naming both, as korus never chooses between them. A description (``DESCRIBED``,
    only ever quoted in a message) is the first one given."""
    filled = [(spelling, value) for spelling, value in spellings if _text(value)]
    if field in DESCRIBED:
        return filled[0][1] if filled else spellings[0][1]
    for spelling, value in filled[1:]:
        first, kept = filled[0]
        if _text(value) != _text(kept):
            raise DataFileError(
                f"{name}: {where}: the field is given twice with different values, "
                f"{first!s} {_text(kept)!r} and {spelling!s} {_text(value)!r}; korus cannot "
                "know which is right: keep one of them"
            )
    return filled[0][1] if filled else spellings[0][1]


def _text(value: object) -> str:
    """Return a field as text: null is "", 32.0 is "32", a string is stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


PERIOD_HINT = "years and months are ASCII digits: fix the cell, or download the data again"


def _period(record: dict, name: str, where) -> tuple[int, int | None]:
    freq = _text(record.get("freqcode")).upper()
    period = _text(record.get("period"))
    ref_year = _text(record.get("refyear"))
    if not freq:
        freq = {4: "A", 6: "M"}.get(len(period), "")
    if freq == "A":
        year_text = ref_year or period
        if not is_digits(year_text, 4):
            raise DataFileError(
                f"{name}: {where('refyear')}: year {year_text!r} is not YYYY; {PERIOD_HINT}"
            )
        if period and period != year_text:
            raise DataFileError(
                f"{name}: {where('period')}: annual period {period!r} is not its year "
                f"{year_text!r}; {PERIOD_HINT}"
            )
        return int(year_text), None
    if freq == "M":
        if is_digits(period, 6) and 1 <= int(period[4:]) <= 12:
            return int(period[:4]), int(period[4:])
        ref_month = _text(record.get("refmonth"))
        if (
            not period
            and is_digits(ref_year, 4)
            and is_digits(ref_month)
            and 1 <= int(ref_month) <= 12
        ):
            return int(ref_year), int(ref_month)
        raise DataFileError(
            f"{name}: {where('period')}: monthly period {period!r} is not YYYYMM "
            f"(refYear {ref_year!r}, refMonth {ref_month!r}); {PERIOD_HINT}"
        )
    raise DataFileError(
        f"{name}: {where('freqcode')}: frequency {freq!r} is not A (annual) or M (monthly)"
    )


def _country(record: dict, role: str, name: str, where, cache: dict) -> str:
    code = _text(record.get(f"{role}code"))
    iso = _text(record.get(f"{role}iso")).upper()
    key = (role, code, iso)
    if key in cache:
        return cache[key]
    country = countries.from_comtrade(code) if code else None
    if country is None and iso:
        if iso in WORLD_ISO:
            country = countries.lookup("WLD")
        else:
            try:
                country = countries.lookup(iso)
            except UnknownCountryError:
                country = None
    if country is None:
        described = _text(record.get(f"{role}desc"))
        raise DataFileError(
            f"{name}: {where(f'{role}code')}: {role} code {code!r} (ISO {iso!r}"
            + (f", {described}" if described else "")
            + ") is not a Comtrade area korus knows"
        )
    cache[key] = country.code
    return country.code


def _restore_zero(product: str, level: str) -> str:
    """Return an HS code with the leading zero a spreadsheet took off (1 -> 01), if it did."""
    if is_digits(product) and is_digits(level) and len(product) == int(level) - 1:
        return product.zfill(int(level))
    return product


def _release(records: _Records, given: list[str]) -> str | None:
    """Return a vintage from a release or update date field, if the answer has one (in
    its records, or ``given`` at its top)."""
    dates = {date for date in given if date}
    for field in RELEASE_FIELDS:
        if field in records.fields:
            dates |= {date for date in records.text(field).values if date}
    return f"released {max(dates)}" if dates else None


_NONE = type(None)


class _CodedCells:
    """A CSV column of few distinct cells kept as their codes (``_Records.text``): a cell
    reads as the Arrow column's did (``column[row].as_py()``)."""

    def __init__(self, coded: Coded):
        self.coded = coded

    def __len__(self) -> int:
        return len(self.coded.codes)

    def __getitem__(self, row: int) -> _Cell:
        return _Cell(self.coded.values[int(self.coded.codes[row])])

    def arrow(self):
        """Return the column as Arrow text again."""
        import pyarrow as pa

        return pa.array(self.coded.values, pa.string()).take(pa.array(self.coded.codes))


class _Cell(NamedTuple):
    value: str

    def as_py(self) -> str:
        return self.value


@dataclass
class _Records:
    """An answer's records a column at a time: each record's place (a CSV's line, a JSON
    answer's record number) and, for each field korus reads (normalised name) that the
    records give, its cells: a column of text (CSV) or a list of JSON values."""

    name: str
    positions: np.ndarray
    fields: set[str]
    cells: dict[str, object]
    objects: list | None = None  # a JSON answer's records, read by the rules of one row
    _texts: dict = default(default_factory=dict)

    def __len__(self) -> int:
        return len(self.positions)

    def record(self, row: int) -> dict:
        """Return one record as the rules of one row read it."""
        if self.objects is not None:
            return _picked(self.objects[row], self.name, row + 1)
        return {field: column[row].as_py() for field, column in self.cells.items()}

    def release(self) -> None:
        """Let the cells go (the rows are read): only the places stay."""
        self.cells, self.objects, self._texts = {}, None, {}

    def text(self, field: str) -> Coded:
        """Return the column of a field as text (``_text``: stripped, "" for none)."""
        if field not in self._texts:
            cells = self.cells.get(field)
            if cells is None:
                found = Coded.constant("", len(self))
            elif self.objects is None:
                raw = Coded.of(cells)
                found = raw.map(str.strip)
                if len(raw.values) <= len(self) // 16:
                    # Few distinct cells: the column is kept as their codes, its Arrow
                    # text let go (a million rows of a dozen such fields: 100 MB and more).
                    self.cells[field] = _CodedCells(raw)
            else:
                found = _json_texts(cells)
            self._texts[field] = found
        return self._texts[field]

    def among(self, field: str, texts: set[str]):
        """Return where a field's text is one of ``texts``."""
        import numpy as np

        cells = self.cells.get(field)
        if cells is None:
            return np.full(len(self), "" in texts)
        if self.objects is None and field not in self._texts:
            return stripped_among(cells, texts)
        return self.text(field).map(lambda text: text in texts).array(bool)

    def figures(self, field: str):
        """Return (values, sure) of a field's figures: ``sure`` where a value is what
        ``number`` reads; the others are for the rules of one row."""
        import numpy as np
        import pyarrow as pa

        cells = self.cells.get(field)
        if cells is None:  # no records
            return np.zeros(len(self)), np.ones(len(self), dtype=bool)
        if isinstance(cells, _CodedCells):
            cells = cells.arrow()
        if self.objects is None:
            return figures(cells)
        kinds = set(map(type, cells))
        if kinds <= {str}:
            return figures(pa.array(cells, type=pa.string()))
        if kinds <= {int, float}:
            try:
                values = np.array(cells, dtype=np.float64)
            except OverflowError:
                pass
            else:
                return values, np.isfinite(values)
        values = np.zeros(len(cells))
        sure = np.zeros(len(cells), dtype=bool)
        for index, cell in enumerate(cells):
            if type(cell) in (int, float):
                try:
                    values[index] = float(cell)
                except OverflowError:
                    continue
                sure[index] = math.isfinite(values[index])
        return values, sure


def _json_texts(cells: list) -> Coded:
    """Return a column of JSON values as text (``_text``), worked out once per distinct
    value where the column holds values of one type (and nulls)."""
    import numpy as np
    import pyarrow as pa

    kinds = set(map(type, cells))
    if kinds <= {str}:
        return Coded.of(pa.array(cells, type=pa.string())).map(str.strip)
    if len(kinds - {_NONE}) <= 1 and kinds <= {int, float, bool, _NONE}:
        try:
            encoded = pa.array(cells).dictionary_encode(null_encoding="encode")
        except (pa.ArrowException, OverflowError):
            pass
        else:
            codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
            return Coded(codes, [_text(value) for value in encoded.dictionary.to_pylist()])
    return Coded.of(pa.array(list(map(_text, cells)), type=pa.string()))
