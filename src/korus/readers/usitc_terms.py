"""DataWeb's words, as korus reads them: the month and period patterns, measures and data
types, trade flows, classifications and breakdowns, the Query Parameters' keys and
sections, units; and the helpers that compare cells of text (``_norm``, ``_text``).
"""

from __future__ import annotations

import datetime
import re

HEADER_ROWS = 60  # the header is looked for among a table's first rows

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTH.update({name[:3]: number for name, number in list(_MONTH.items())})
_MONTH["sept"] = 9
_YEAR = re.compile(r"^\d{4}$", re.ASCII)
_ANY_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
_QUARTER = re.compile(r"^(q[1-4]|quarter [1-4]|[1-4](st|nd|rd|th) quarter)$")
_MONTH_YEAR = re.compile(r"^([a-z]+) (\d{4})$", re.ASCII)
_YEAR_MONTH = re.compile(r"^(\d{4}) (\d{1,2})$", re.ASCII)

# Measures: the values of trade korus reads, one per trade flow.
GENERAL, CONSUMPTION, TOTAL_EXPORTS, DOMESTIC, FOREIGN = (
    "general",
    "consumption",
    "total",
    "domestic",
    "foreign",
)
MEASURES = {
    GENERAL: ("import", "general imports, customs value"),
    CONSUMPTION: ("import", "imports for consumption, customs value"),
    TOTAL_EXPORTS: ("export", "total exports, F.A.S."),
    DOMESTIC: ("export", "domestic exports, F.A.S."),
    FOREIGN: ("re-export", "foreign exports (re-exports), F.A.S."),
}
FLOW_NAMES = {
    GENERAL: "General Imports",
    CONSUMPTION: "Imports for Consumption",
    TOTAL_EXPORTS: "Total Exports",
    DOMESTIC: "Domestic Exports",
    FOREIGN: "Foreign Exports",
}
# Within one flow, the measure korus keeps where a file has several, in that order.
PREFERRED = {
    "import": (GENERAL, CONSUMPTION),
    "export": (TOTAL_EXPORTS, DOMESTIC),
    "re-export": (FOREIGN,),
}
SET_ASIDE_MEASURE = {
    CONSUMPTION: "imports for consumption (the file also has general imports, the basis "
    "korus keeps for US imports)",
    DOMESTIC: "domestic exports (a part of total exports, which the file also has)",
}
# A trade flow named in words: a sheet's title, the Query Parameters, a data type.
TRADE_FLOWS = {
    GENERAL: re.compile(r"\bgeneral imports?\b|\bimports? general\b"),
    CONSUMPTION: re.compile(
        r"\bimports? for consumption\b|\bconsumption imports?\b|\bimports? consumption\b"
    ),
    TOTAL_EXPORTS: re.compile(r"\btotal exports?\b|\bexports? total\b"),
    DOMESTIC: re.compile(r"\bdomestic exports?\b|\bexports? domestic\b"),
    FOREIGN: re.compile(r"\bforeign exports?\b|\bexports? foreign\b|\bre exports?\b"),
}
IMPORTS, EXPORTS = (GENERAL, CONSUMPTION), (TOTAL_EXPORTS, DOMESTIC, FOREIGN)

# DataWeb data types (normalised: lower case, punctuation as spaces) that name their flow.
DATA_TYPES = {
    "general customs value": GENERAL,
    "general imports": GENERAL,
    "general imports customs value": GENERAL,
    "general import customs value": GENERAL,
    "imports for consumption": CONSUMPTION,
    "imports for consumption customs value": CONSUMPTION,
    "consumption customs value": CONSUMPTION,
    "total exports": TOTAL_EXPORTS,
    "total exports value": TOTAL_EXPORTS,
    "total exports fas value": TOTAL_EXPORTS,
    "total fas value": TOTAL_EXPORTS,
    "domestic exports": DOMESTIC,
    "domestic exports value": DOMESTIC,
    "domestic exports fas value": DOMESTIC,
    "domestic fas value": DOMESTIC,
    "foreign exports": FOREIGN,
    "foreign exports fas value": FOREIGN,
    "foreign fas value": FOREIGN,
}
# Data types that are a value of trade only together with the trade flow: the flows each
# can belong to.
NEEDS_FLOW = {
    "customs value": IMPORTS,
    "fas value": EXPORTS,
    "f a s value": EXPORTS,
    "value": IMPORTS + EXPORTS,
}
# Measures that are not the value of trade korus reads: (pattern on the normalised name, why)
NOT_READ = (
    (
        r"landed duty paid",
        "landed duty-paid value: customs value plus freight, insurance and duties, not the "
        "customs value korus reads for US imports",
    ),
    (
        r"\bcif\b|charges insurance|insurance and freight",
        "CIF value: customs value plus freight and insurance, not the customs value korus "
        "reads for US imports",
    ),
    (r"import charges", "import charges: freight and insurance, not trade"),
    (r"calculated dut|\bduties\b|\bduty\b", "calculated duties: duties, not trade"),
    (r"dutiable", "dutiable value: only the part of imports that pays duty"),
    (r"quantity|weight|\bunits?\b", "a quantity, not a value"),
    (r"\bvessel\b|\bair\b|containeri", "value by mode of transport: a part of the total value"),
    (r"balance", "trade balance: korus computes balances from exports and imports"),
)

_THOUSANDS = re.compile(r"\b(1 ?000|thousands?) (of )?(us |u s )?dollars|\bin thousands\b")
_MILLIONS = re.compile(r"\b(1 ?000 ?000|millions?) (of )?(us |u s )?dollars|\bin millions\b")
_HTS_LABELLED = re.compile(
    r"\bhts\s*(?:numbers?|codes?|items?|subheadings?|headings?|chapters?)?\s*[:#=-]?\s*"
    r"(\d[\d.]*\d)"
)
_HTS_DOTTED = re.compile(r"(?<![\d.])(\d{4}\.\d{2}(?:\.\d{2}){0,2}|\d{4}\.\d{2}\.\d{4})(?![\d.])")
_ALL_GOODS = re.compile(
    r"\ball (commodities|products|goods|merchandise|hts)\b|\btotal all merchandise\b"
)
_HTS_CODE = re.compile(r"^\d{4}\.\d{2}(\.\d{2}(\.\d{2})?|\.\d{4})?$|^\d{2}$|^\d{4}$|^\d{6,10}$")
_TOTAL_LABEL = re.compile(r"^total\s*:?$")
_YEAR_TO_DATE = re.compile(r"year[ _-]*to[ _-]*date|\bytd\b")
# Product code columns, by the classification they hold.
_PRODUCT_COLUMN = re.compile(r"^(hts|sitc|naics|schedule b)(?=\b|\d)")
CLASSIFICATIONS = {"hts": "HTS", "schedule b": "HTS", "sitc": "SITC", "naics": "NAICS"}
# Columns that split a country's figure into parts (a row per district, per program...).
BREAKDOWNS = re.compile(r"^(customs )?district\b|^port\b|\bprogram\b|^rate provision|^state\b")

# Query Parameters: the keys that tell the sheet, and the sections of its steps.
QUERY_KEYS = {
    "download date",
    "trade flow",
    "classification system",
    "data to report",
    "years",
    "timeframe aggregation",
    "country list",
    "country aggregation",
    "commodity list",
    "commodity aggregation",
    "commodity aggregation level",
    "district aggregation",
}
SECTIONS = (
    ("trade flow", "flow"),
    ("classification", "flow"),
    ("data and years", "data"),
    ("year", "data"),
    ("countr", "countries"),
    ("commodit", "commodities"),
    ("program", "programs"),
    ("provision", "provisions"),
    ("district", "districts"),
    ("layout", "layout"),
)
_QUANTITY_UNIT = re.compile(
    r"\b(kilo|kg|tons?|tonnes?|lit(er|re)s?|metric|pounds?|grams?|dozens?|square|cubic|"
    r"quantit|pieces?|barrels?|gallons?)"
)
UNITS = (
    (re.compile(r"\bbillions?\b"), 1e9, "billions"),
    (re.compile(r"\bmillions?\b"), 1e6, "millions"),
    (re.compile(r"\bthousands?\b|\b1 ?000\b"), 1e3, "thousands"),
    (re.compile(r"^(no conversion|none|dollars|us dollars|u s dollars|actual|\$)$"), 1.0, ""),
)


# --------------------------------------------------------------------------- text and names


def _norm(value: object) -> str:
    """Return text in lower case with punctuation as spaces: 'Landed Duty-Paid Value' ->
    'landed duty paid value'."""
    return " ".join(re.sub(r"[^0-9a-z&$]+", " ", _text(value).casefold()).split())


def _text(value: object) -> str:
    """Return a cell as text: a whole float without its '.0', a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _shown(value: object) -> str:
    """Return a cell's text for a message on one line (a cell may hold line breaks)."""
    return " ".join(_text(value).split())


def _flow_named(text: str) -> str | None:
    """Return the one trade flow that ``text`` names, or None (none, or several)."""
    key = _norm(text)
    named = [flow for flow, pattern in TRADE_FLOWS.items() if pattern.search(key)]
    return named[0] if len(named) == 1 else None


def _not_read(name: str) -> str | None:
    """Return why a measure korus does not read is set aside, or None."""
    key = _norm(name)
    for pattern, reason in NOT_READ:
        if re.search(pattern, key):
            return reason
    return None


def _is_measure_name(name: str) -> bool:
    """Return whether a name is one of a DataWeb measure (a value, a quantity, duties...)."""
    key = _norm(name)
    return key in DATA_TYPES or key in NEEDS_FLOW or _not_read(key) is not None
