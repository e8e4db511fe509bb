"""What a DataWeb table's rows are, from the table, its sheet and the Query Parameters: the
trade flow, measure, unit and timeframe, the product (code, coverage, classification) and
the partner; and the queries that hold only a part of US trade (``_refuse_parts``).
"""

from __future__ import annotations

import re

from korus import countries
from korus.errors import DataFileError, UnknownCountryError
from korus.readers.common import code_text, is_digits
from korus.readers.usitc_sheets import SHAPE_WORDS, Query, Table, TableReading
from korus.readers.usitc_terms import (
    _ALL_GOODS,
    _HTS_CODE,
    _HTS_DOTTED,
    _HTS_LABELLED,
    _MILLIONS,
    _QUANTITY_UNIT,
    _THOUSANDS,
    _YEAR_TO_DATE,
    CLASSIFICATIONS,
    DATA_TYPES,
    FLOW_NAMES,
    NEEDS_FLOW,
    UNITS,
    _flow_named,
    _is_measure_name,
    _norm,
    _not_read,
    _shown,
    _text,
)
from korus.schema import Accounting

# --------------------------------------------------------------------------- what the query says


def _refuse_parts(query: Query, file: str) -> None:
    """Raise DataFileError where the query holds only a part of US trade, or parts of each
    figure (programs, rate provisions or districts selected or broken out)."""
    parts = (
        ("programs", "use all programs", "import programs"),
        ("provisions", "use all provision codes", "rate provision codes"),
        ("districts", "use all districts", "districts"),
    )
    for section, whole, what in parts:
        values = query.entries.get(section, {})
        choice = values.get("select type", "")
        if choice and _norm(choice) != whole:
            raise DataFileError(
                f"{file}: {query.where} selects {what} ({choice!r}): the figures are only the "
                f"part of US trade under them, not the trade korus compares; download the "
                f"query with all {what}"
            )
        for key, value in values.items():
            if "aggregation" in key and "break out" in _norm(value):
                raise DataFileError(
                    f"{file}: {query.where}: {value!r}: each figure is split into parts by "
                    f"{what}; korus reads one figure per country, product and period: "
                    f"download the query with {what} aggregated"
                )


def _query_flow(query: Query, file: str) -> str | None:
    """Return the measure of the Query Parameters' trade flow, or None where they say none."""
    text = query.get("trade flow")
    if not text:
        return None
    flow = _flow_named(text)
    if flow is None:
        raise DataFileError(
            f"{file}: {query.where}: trade flow {text!r} is not one korus reads (General "
            "Imports, Imports for Consumption, Total Exports, Domestic Exports, Foreign "
            "Exports)"
        )
    return flow


def _unit(table: Table, query: Query, file: str) -> tuple[float, str]:
    """Return the factor to US dollars and its words: from the Query Parameters' units or
    the lines above the table ("In 1,000 Dollars"); dollars where neither says."""
    stated = []
    for key in ("unit conversion", "units", "value units"):
        text = query.get(key)
        if not text:
            continue
        match = next((unit for unit in UNITS if unit[0].search(_norm(text))), None)
        if match is None and _QUANTITY_UNIT.search(_norm(text)):
            continue  # a conversion of quantities, which korus does not read
        if match is None:
            raise DataFileError(
                f"{file}: {query.where}: unit {text!r} is not one korus knows (dollars, "
                "thousands, millions or billions of dollars)"
            )
        stated.append((match[1], match[2], f"{query.where} ({text!r})"))
    title = _norm(table.title)
    if _MILLIONS.search(title):
        stated.append((1e6, "millions", "the lines above the table"))
    elif _THOUSANDS.search(title):
        stated.append((1e3, "thousands", "the lines above the table"))
    if len({factor for factor, _, _ in stated}) > 1:
        said = "; ".join(f"{where}: {words or 'dollars'}" for _, words, where in stated)
        raise DataFileError(
            f"{file}: the file gives two units for its figures ({said}); korus cannot know "
            "which is right"
        )
    if not stated:
        return 1.0, ""
    factor, words, where = stated[0]
    return factor, (f"figures in {words} of US dollars (as {where} says)" if words else "")


def _check_timeframe(table: Table, query: Query) -> None:
    """Raise DataFileError where the Query Parameters' timeframe contradicts the table."""
    said = _norm(query.get("timeframe aggregation")) if query else ""
    if not said:
        return
    shape = table.columns.shape
    monthly = shape in ("months", "month columns", "long months")
    if ("annual" in said and monthly) or ("month" in said and not monthly):
        raise DataFileError(
            f"{table.file}: {query.where} says the timeframe is "
            f"{query.get('timeframe aggregation')!r} but {table.named()} has "
            f"{SHAPE_WORDS[shape]}: the file contradicts itself; download it again"
        )
    if "quarter" in said:
        raise DataFileError(
            f"{table.file}: {query.where}: the timeframe is quarterly; korus reads DataWeb "
            "monthly or annual data: download the query with monthly or annual periods"
        )


def _year_to_date(table: Table, query: Query) -> bool:
    """Return whether the table's year columns are parts of years (year to date)."""
    choice = _norm(query.get("select type", "data")) if query else ""
    if choice:
        if _YEAR_TO_DATE.search(choice):
            return True
        if "full year" not in choice and table.columns.shape in ("years", "long years"):
            raise DataFileError(
                f"{table.file}: {query.where} selects the years as "
                f"{query.get('select type', 'data')!r}: its year figures may be parts of "
                "years; download full years, or monthly data"
            )
        return False
    title = table.title.casefold()
    if table.columns.part_year or not _YEAR_TO_DATE.search(title):
        return False
    return "annual" not in title


def _table_flow(table: Table, query: Query) -> str | None:
    """Return the trade flow the table's title and the Query Parameters name (they must
    agree), or None where neither does."""
    from_title = _flow_named(table.title)
    from_query = _query_flow(query, table.file) if query else None
    if from_title and from_query and from_title != from_query:
        raise DataFileError(
            f"{table.file}: {query.where} gives trade flow {FLOW_NAMES[from_query]!r} but "
            f"{table.named()} says {FLOW_NAMES[from_title]!r}: the file contradicts itself; "
            "download it again"
        )
    return from_query or from_title


def _measure(text: str, flow: str | None, *, file: str, where: str):
    """Return (measure, None) for a value korus keeps, or (None, reason) to set it aside."""
    key = _norm(text)
    named = DATA_TYPES.get(key)
    if named is not None:
        if flow is not None and flow != named:
            raise DataFileError(
                f"{file}: {where}: data type {text!r} is {FLOW_NAMES[named]} but the file's "
                f"trade flow is {FLOW_NAMES[flow]}: the file contradicts itself; download it "
                "again"
            )
        return named, None
    if key in NEEDS_FLOW:
        choices = NEEDS_FLOW[key]
        if flow in choices:
            return flow, None
        if flow is not None:
            raise DataFileError(
                f"{file}: {where}: data type {text!r} is not a measure of "
                f"{FLOW_NAMES[flow]}: the file contradicts itself; download it again"
            )
        names = " or ".join(FLOW_NAMES[choice].casefold() for choice in choices)
        raise DataFileError(
            f"{file}: {where}: data type {text!r} does not say which trade flow it is "
            f"({names}) and nothing else in the file does; download the query with its Query "
            f"Parameters sheet, or add the trade flow (e.g. '{FLOW_NAMES[choices[0]]}') above "
            "the header"
        )
    reason = _not_read(key)
    if reason is not None:
        return None, reason
    raise DataFileError(
        f"{file}: {where}: unknown DataWeb data type {text!r}; korus reads customs values of "
        "imports and F.A.S. values of exports, and sets aside duties, CIF and landed "
        "duty-paid values and quantities"
    )


def _table_measure(table: Table, query: Query, flow: str | None):
    """Return the measure of a table without a Data Type column: from its value column's
    name, its sheet's name, the Query Parameters' data to report or its title."""
    columns = table.columns
    where = table.named()
    names = []
    if columns.value is not None:
        names.append(
            (_text(table.header[columns.value]), table.where(table.header_at, columns.value))
        )
    if table.sheet is not None and _is_measure_name(table.sheet):
        names.append((table.sheet, f"sheet {table.sheet!r}"))
    reported = [part for part in query.get("data to report").split(",") if part.strip()]
    if len(reported) == 1:
        names.append((reported[0].strip(), f"{query.where}, data to report"))
    for text, place in names:
        if _norm(text) != "value" or flow is not None:
            return _measure(text, flow, file=table.file, where=place)
    title = _norm(table.title)
    for key, measure in DATA_TYPES.items():
        if re.search(rf"\b{key}\b", title):
            return measure, None
    if flow is not None:
        return flow, None
    reason = _not_read(title)
    if reason is not None:
        return None, reason
    raise DataFileError(
        f"{table.file}: {where} has no Data Type column and nothing in the file says what its "
        "figures are; download the query with its Query Parameters sheet, or add a line "
        "such as 'General Imports' or 'Total Exports' above the header"
    )


# --------------------------------------------------------------------------- products


def _table_product(table: Table, query: Query, result: TableReading, accounting: Accounting):
    """Return (the product of every row, or None where a column gives it; classification),
    and say in ``accounting`` what goods the file covers."""
    file = table.file
    columns = table.columns
    system = _norm(query.get("classification system")) if query else ""
    said = next((name for word, name in CLASSIFICATIONS.items() if system.startswith(word)), "")
    if system and not said:
        raise DataFileError(
            f"{file}: {query.where}: classification system {query.get('classification system')!r}"
            " is not one korus reads (HTS items, SITC, NAICS)"
        )
    commodities = query.entries.get("commodities", {}) if query else {}
    choice = _norm(commodities.get("select type", ""))
    given = commodities.get("commodity list") or commodities.get("commodities", "")
    listed = [code.strip() for code in given.split(",") if code.strip()]
    level = commodities.get("commodity aggregation level", "").strip()
    if columns.product is not None:
        kind = columns.classification
        if said and said != kind:
            raise DataFileError(
                f"{file}: {query.where} gives classification "
                f"{query.get('classification system')!r} but {table.named()} has a "
                f"{_text(table.header[columns.product])!r} column: the file contradicts itself"
            )
        result.product_words = f"by {kind} number"
        if "use all" in choice:
            digits = f"{level}-digit " if level.isdigit() else ""
            what = "chapter" if level == "2" and kind == "HTS" else f"{digits}{kind} code"
            _coverage(accounting, f"all goods, by {what}", query.where)
        elif listed:
            _coverage(accounting, f"{kind} {', '.join(listed)}", query.where, part=True)
        else:
            _coverage(
                accounting,
                f"the {kind} codes in the file; it does not say whether they are all goods",
                "",
            )
        return None, kind
    kind = said or "HTS"
    if query and (choice or listed):
        if "break out" in _norm(commodities.get("commodity aggregation", "")):
            raise DataFileError(
                f"{file}: {query.where} breaks the commodities out but {table.named()} has no "
                "product column: the file contradicts itself; download it again"
            )
        if "use all" in choice:
            code, where = "TOTAL", query.where
        elif len(listed) == 1:
            code, where = _code(listed[0], kind, file=file, where=query.where), query.where
        else:
            raise DataFileError(
                f"{file}: the figures are the sum of several commodities ({_shown(given)}) "
                f"and {table.named()} has no product column: no one product korus can name; "
                "download the query with the commodities broken out"
            )
    else:
        code, where, kind = _title_product(table), "the lines above the table", "HTS"
        if code is None:
            described = f"no commodity in {query.where}" if query else "no Query Parameters"
            raise DataFileError(
                f"{file}: the file does not say which product its figures are for: no HTS "
                f"Number column, {described} and no HTS code above the table (a file's name "
                "is never taken for its content); download the query with its Query "
                "Parameters sheet, or broken out by HTS number"
            )
    if code == "TOTAL":
        result.product_words = f"no product column, all goods from {where}"
        _coverage(accounting, "all goods, one total", where)
    else:
        result.product_words = f"no product column, {kind} {code} from {where}"
        _coverage(accounting, f"{kind} {code}", where, part=True)
    return code, kind


def _coverage(accounting: Accounting, what: str, where: str, part: bool = False) -> None:
    """Note the goods a file covers (as ``where`` says); a part of all goods is also said on
    every command, for any total korus gives from the file is a total of that part only."""
    said = f" ({where})" if where else ""
    note = f"coverage: {what}" + (", not all goods" if part else "") + said
    if note in accounting.notes:
        return
    accounting.notes.append(note)
    if part:
        accounting.warnings.append(
            f"the file covers {what} only, not all goods: any total korus gives from it is a "
            "total of those goods"
        )


def _title_product(table: Table) -> str | None:
    """Return the product the lines above a table name ('HTS 3304.99', 'All Commodities')."""
    text = table.title
    lowered = text.casefold()
    codes = {match.group(1).rstrip(".") for match in _HTS_LABELLED.finditer(lowered)}
    codes |= set(_HTS_DOTTED.findall(text))
    digits = {_hts(code, file=table.file, where="the lines above the table") for code in codes}
    if len(digits) > 1:
        raise DataFileError(
            f"{table.file}: the lines above the table name several HTS codes "
            f"({', '.join(sorted(digits))}) and the table has no HTS Number column, so "
            "korus cannot tell which figures are which; export the data broken out by HTS "
            "number"
        )
    if digits:
        return digits.pop()
    if _ALL_GOODS.search(lowered):
        return "TOTAL"
    return None


def _hts(text: str, *, file: str, where: str) -> str:
    """Return an HTS code as digits ('3304.99' -> '330499'); anything else is an error."""
    if not _HTS_CODE.match(text):
        raise DataFileError(
            f"{file}: {where}: HTS number {text!r} is not an HTS code such as 3304.99 or "
            "330499 (a spreadsheet may have dropped a leading or trailing zero: keep the "
            "column as text)"
        )
    digits = text.replace(".", "")
    if len(digits) % 2:
        raise DataFileError(
            f"{file}: {where}: HTS number {text!r} has an odd number of digits (a leading "
            "zero lost in a spreadsheet? keep the column as text)"
        )
    return digits


def _code(text: str, classification: str, *, file: str, where: str) -> str:
    """Return a product code as text, checked for its classification."""
    if classification == "HTS":
        return _hts(text, file=file, where=where)
    if not is_digits(text, *range(1, 7)):
        raise DataFileError(
            f"{file}: {where}: {classification} code {text!r} is not a code of digits"
        )
    return text


def _row_product(table: Table, position: int, value: object, classification, query) -> str:
    """Return a row's product code as text at the level the file gives."""
    where = table.where(position, table.columns.product)
    level = ""
    if query:
        level = query.entries.get("commodities", {}).get("commodity aggregation level", "")
    level = level.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A code stored as a number has lost its leading zeros; they come back only where
        # the query says how many digits each code has.
        if not (float(value).is_integer() and is_digits(level)):
            raise DataFileError(
                f"{table.file}: {where}: {classification} number {_text(value)!r} is stored "
                "as a number: a leading or trailing zero may be lost and korus does not guess "
                "it; keep the column as text"
            )
        text = code_text(value, int(level), file=table.file, where=where)
    else:
        text = _text(value)
    if _norm(text) in ("total", "all", "all commodities", "total all merchandise"):
        return "TOTAL"
    code = _code(text, classification, file=table.file, where=where)
    if is_digits(level) and len(code) != int(level):
        raise DataFileError(
            f"{table.file}: {where}: {classification} number {text!r} has {len(code)} digits "
            f"but {query.where} says the commodities are broken out at {level}: the file "
            "contradicts itself"
        )
    return code


# --------------------------------------------------------------------------- partners


def _table_partner(table: Table, query: Query, result: TableReading) -> str | None:
    """Return the partner of every row of a table without a Country column (from the Query
    Parameters), or None where the column gives it."""
    file = table.file
    chosen = query.entries.get("countries", {}) if query else {}
    if table.columns.country is not None:
        result.partner_words = "by country"
        return None
    if not chosen:
        raise DataFileError(
            f"{file}: the file does not say which country its figures are for: no Country "
            "column and no Query Parameters naming the countries; download the query with "
            "its Query Parameters sheet, or with the countries broken out"
        )
    if "break out" in _norm(chosen.get("country aggregation", "")):
        raise DataFileError(
            f"{file}: {query.where} breaks the countries out but {table.named()} has no "
            "Country column: the file contradicts itself; download it again"
        )
    choice = _norm(chosen.get("select type", ""))
    text = (chosen.get("country list") or chosen.get("countries", "")).strip()
    if "all countries" in choice or _norm(text) in ("all countries", "world"):
        result.partner_words = f"no country column, all countries (WLD) from {query.where}"
        return "WLD"
    names = _country_list(text, file=file, where=query.where)
    if len(names) == 1:
        code = names[0]
        result.partner_words = f"no country column, {text} from {query.where}"
        return code
    raise DataFileError(
        f"{file}: the figures are the sum of several countries ({_shown(text)}) and "
        f"{table.named()} has no Country column: no one partner korus can name; download "
        "the query with the countries broken out"
    )


def _country_list(text: str, *, file: str, where: str) -> list[str]:
    """Return the korus codes of a list of country names ('Korea, South, Japan'): the
    longest names first, as a name may hold a comma."""
    if not text:
        raise DataFileError(f"{file}: {where} names no country (an empty country list)")
    parts = [part.strip() for part in re.split(r"[;,]", text)]
    codes = []
    index = 0
    while index < len(parts):
        for width in (3, 2, 1):
            name = ", ".join(parts[index : index + width])
            if index + width > len(parts) or not name:
                continue
            try:
                codes.append(countries.resolve(name).code)
            except UnknownCountryError:
                continue
            index += width
            break
        else:
            raise DataFileError(
                f"{file}: {where}: country {parts[index]!r} is not one korus knows; give "
                "its name as DataWeb writes it"
            )
    return list(dict.fromkeys(codes))


def _row_partner(table: Table, position: int, value: object) -> str | None:
    """Return the korus code of a Country cell, or None for a name korus does not know."""
    text = _text(value)
    if not text:
        raise DataFileError(
            f"{table.file}: {table.where(position, table.columns.country)}: empty country"
        )
    try:
        return countries.resolve(text).code
    except UnknownCountryError:
        return None
