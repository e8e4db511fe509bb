"""The US Census Bureau's international trade API: the requests a question takes, and each
answer checked.

Endpoints: ``{base}/timeseries/intltrade/{exports|imports}/{hs|enduse|naics}``, base
``https://api.census.gov/data`` (``KORUS_CENSUS_API`` for a mirror). Fields asked for
(``get=``): ``CTY_NAME``, the product field (``E_COMMODITY``/``I_COMMODITY``,
``E_ENDUSE``/``I_ENDUSE``, ``NAICS``) and its short description, and the month's value:
``ALL_VAL_MO`` (total exports, F.A.S.), ``GEN_VAL_MO`` (general imports) or, with
``--basis consumption``, ``CON_VAL_MO`` (imports for consumption). Predicates, which the
API appends to the answer as columns: ``CTY_CODE`` (Census Schedule C; ``-`` is the total
for all countries), the product field for ``--commodity`` (with ``*`` below its level),
``COMM_LVL`` (HS2/HS4/HS6/HS10, NA3/NA4/NA6: one commodity level, not several),
``SUMMARY_LVL=DET`` (countries, not their groupings) and ``time=from YYYY-MM to YYYY-MM``.
End-use has no ``COMM_LVL`` here: its level is the code's width (1: the principal
categories, 5: the codes), held client-side like every other level.

The key goes in the query (``key=``, from ``CENSUS_API_KEY``); the API takes no header.
What the API answers instead of data, each said as what it is: a redirect or an HTML page
(a missing or refused key, a maintenance page), HTTP 204 (nothing published for those
months, or no such trade), HTTP 400 with its message (a field or code it does not know).

A fetch is split into one part per Census code and calendar year.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files

from korus import countries
from korus.fetch import FetchError, http
from korus.fetch.http import Request, Response
from korus.fetch.parts import Assembled

API = "Census API"
BASE = "https://api.census.gov/data"
BASE_VARIABLE = "KORUS_CENSUS_API"
KEY_VARIABLE = "CENSUS_API_KEY"
KEY_SIGNUP = "https://api.census.gov/data/key_signup.html"

FLOWS = ("exports", "imports")
BYS = ("hs", "enduse", "naics")
LEVELS = {
    "hs": ("HS2", "HS4", "HS6", "HS10"),
    "enduse": ("1", "5"),
    "naics": ("NA3", "NA4", "NA6"),
}
DEFAULT_LEVEL = {"hs": "HS2", "enduse": "1", "naics": "NA3"}
BASES = ("general", "consumption")
WORLD = "-"  # CTY_CODE of the total for all countries
DETAIL = "DET"  # SUMMARY_LVL of a country (CGP: a grouping of countries)


def product_field(flow: str, by: str) -> str:
    """Return the API's product field of an endpoint (I_COMMODITY, E_ENDUSE, NAICS...)."""
    if by == "naics":
        return "NAICS"
    side = "E" if flow == "exports" else "I"
    return f"{side}_COMMODITY" if by == "hs" else f"{side}_ENDUSE"


def value_field(flow: str, basis: str) -> str:
    """Return the API's field of the month's value for a flow on a basis."""
    if flow == "exports":
        return "ALL_VAL_MO"
    return "CON_VAL_MO" if basis == "consumption" else "GEN_VAL_MO"


def width(level: str) -> int:
    """Return the digits of a level's codes: HS6 -> 6, NA3 -> 3, end-use 5 -> 5."""
    return int(level.lstrip("HSNA"))


@dataclass(frozen=True)
class Question:
    """US trade with some partners in some months, by product, as the Census API gives it."""

    flow: str
    by: str
    partners: tuple[str, ...]  # korus codes
    months: tuple[tuple[int, int], ...]
    level: str | None = None
    commodity: str | None = None
    basis: str = "general"

    def checked(self) -> Question:
        """Return the question with its level settled; one korus cannot ask is an error."""
        if self.flow not in FLOWS or self.by not in BYS:
            raise FetchError(f"the Census API has no {self.flow} by {self.by}")
        level = (self.level or DEFAULT_LEVEL[self.by]).upper()
        if level not in LEVELS[self.by]:
            raise FetchError(
                f"--level {self.level} is not a level of --by {self.by}: give one of "
                f"{', '.join(LEVELS[self.by])}"
            )
        if self.basis not in BASES:
            raise FetchError(f"--basis {self.basis}: give general or consumption")
        if self.basis != "general" and self.flow != "imports":
            raise FetchError("--basis consumption is a basis of imports: give --flow imports")
        commodity = self.commodity
        if commodity is not None:
            commodity = commodity.strip()
            if not (commodity.isascii() and commodity.isdigit()) or len(commodity) > width(level):
                raise FetchError(
                    f"--commodity {self.commodity}: give a code of digits no longer than the "
                    f"level ({level}: {width(level)} digits), such as 87"
                )
        if not self.months:
            raise FetchError("no months asked for: give --months, such as 2017-01..2017-09")
        return Question(
            self.flow,
            self.by,
            tuple(dict.fromkeys(self.partners)),
            tuple(sorted(set(self.months))),
            level,
            commodity,
            self.basis,
        )


@dataclass(frozen=True)
class Part:
    """One request of a fetch: one Census code, months of one calendar year."""

    request: Request
    partner: str  # korus code
    code: str  # Census CTY_CODE asked for
    months: tuple[tuple[int, int], ...]

    def split(self) -> list[Part]:
        """Return smaller parts: none (a part is already one code and one year)."""
        return []


def census_codes(partner: str) -> list[str]:
    """Return the Census Schedule C codes of a korus partner code (two for a country the
    Census has split, such as Israel); ``-`` for the World."""
    if partner == "WLD":
        return [WORLD]
    if countries.is_group(partner):
        raise FetchError(
            f"--partner {partner} is a group: korus fetch census asks the Census API for "
            "countries (SUMMARY_LVL=DET); give its countries, or WLD for all countries"
        )
    table = files("korus") / "tables" / "census_schedule_c.csv"
    with table.open("r", encoding="utf-8", newline="") as handle:
        found = [
            row["census_code"]
            for row in csv.DictReader(handle)
            if row["code"] == partner and row["kind"] != "series"
        ]
    if not found:
        raise FetchError(
            f"--partner {partner}: the Census names no country so (no Schedule C code in "
            "korus's table); the Census API cannot be asked for it"
        )
    return found


def plan(question: Question, base: str, key: str | None) -> list[Part]:
    """Return the requests a question takes: one per Census code and calendar year."""
    question = question.checked()
    parts = []
    for partner in question.partners:
        for code in census_codes(partner):
            for year in sorted({year for year, _ in question.months}):
                for run in _runs([m for m in question.months if m[0] == year]):
                    url = _url(base, question, code, run)
                    request = Request(
                        url,
                        API,
                        BASE_VARIABLE,
                        key=key,
                        key_param="key",
                        key_variable=KEY_VARIABLE,
                    )
                    parts.append(Part(request, partner, code, tuple(run)))
    return parts


def _runs(months: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Return months as runs of consecutive months."""
    runs: list[list[tuple[int, int]]] = []
    for month in sorted(months):
        if runs and runs[-1][-1][0] * 12 + runs[-1][-1][1] + 1 == month[0] * 12 + month[1]:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def _month(month: tuple[int, int]) -> str:
    return f"{month[0]}-{month[1]:02d}"


def _url(base: str, question: Question, code: str, run: list[tuple[int, int]]) -> str:
    product = product_field(question.flow, question.by)
    fields = ["CTY_NAME", product, f"{product}_SDESC", value_field(question.flow, question.basis)]
    query = [("get", ",".join(fields)), ("CTY_CODE", code)]
    if question.commodity:
        below = len(question.commodity) < width(question.level)
        query.append((product, question.commodity + ("*" if below else "")))
    if question.by != "enduse":
        query.append(("COMM_LVL", question.level))
    if code != WORLD:
        query.append(("SUMMARY_LVL", DETAIL))
    first, last = _month(run[0]), _month(run[-1])
    query.append(("time", first if first == last else f"from {first} to {last}"))
    flow_path = f"{base.rstrip('/')}/timeseries/intltrade/{question.flow}/{question.by}"
    return f"{flow_path}?{_encoded(query)}"


def _encoded(query: list[tuple[str, str]]) -> str:
    from urllib.parse import quote_plus

    # The API's documented style: commas, wildcards and dashes as they are, spaces as +.
    return "&".join(f"{name}={quote_plus(value, safe=',*-')}" for name, value in query)


def _whom(question_flow: str, partner: str) -> str:
    return f"exports to {partner}" if question_flow == "exports" else f"imports from {partner}"


def _months_text(months) -> str:
    months = sorted(months)
    if len(months) == 1:
        return _month(months[0])
    return f"{_month(months[0])}..{_month(months[-1])}"


def answer(part: Part, question: Question, response: Response) -> list:
    """Return the answer of a part (the JSON array of arrays), or raise ``FetchError``
    saying what the API answered instead of data and what to do."""
    request, status, host = part.request, response.status, part.request.host
    refused = (
        f"{API}: the key in {KEY_VARIABLE} was refused ({{}}): check the key you set (a new "
        f"key works once activated from the link in its e-mail); get one at {KEY_SIGNUP}"
    )
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        if "key" in location.lower():
            raise FetchError(refused.format(f"HTTP {status}, sent to {location}"))
        raise FetchError(
            f"{API}: {host} redirected the request to {location or 'another address'} (HTTP "
            f"{status}) instead of answering: check {BASE_VARIABLE} (korus follows no "
            "redirect: it is how the API turns away a request without a valid key)"
        )
    if response.headers.get("x-datawebapi-keyerror") or status in (401, 403):
        raise FetchError(refused.format(f"HTTP {status}: {response.said()}"))
    if status == 200 and response.looks_like_html():
        said = response.said()
        if "key" in said.lower() or b"key" in response.body.lower():
            raise FetchError(refused.format(f"it answered with a page saying {said!r}"))
        raise FetchError(
            f"{API}: {host} answered with an HTML page ({said!r}) instead of data: the API "
            f"may be down for maintenance, or {BASE_VARIABLE} points at a web site; try again "
            "later"
        )
    if status == 204:
        raise FetchError(
            f"{API}: no figures for {_whom(question.flow, part.partner)} (Census code "
            f"{part.code}) in {_months_text(part.months)} (HTTP 204, no content): the Census "
            "publishes a month about five weeks after it ends, so these months may not be "
            "out yet, or there was no such trade; ask for months already published"
        )
    http.refuse_unless_data(
        API,
        request,
        response,
        BASE_VARIABLE,
        "dataset",
        "check --commodity and --level (a code the API does not know is refused so)",
    )
    return _parsed(part, response)


def _parsed(part: Part, response: Response) -> list:
    host = part.request.host
    data = http.json_answer(API, host, response, b"[", BASE_VARIABLE)
    if (
        not isinstance(data, list)
        or not data
        or not isinstance(data[0], list)
        or not all(isinstance(name, str) for name in data[0])
        or not all(isinstance(row, list) and len(row) == len(data[0]) for row in data[1:])
    ):
        raise FetchError(
            f"{API}: the answer from {host} is JSON but not the API's array of arrays (a "
            "header of field names, then rows of as many values)"
        )
    return data


def assemble(question: Question, answers: list[tuple[Part, list]]) -> Assembled:
    """Return the output of a fetch from its parts' answers: one header, the rows of the
    detail asked for; each other row set aside and counted, never summed."""
    question = question.checked()
    product = product_field(question.flow, question.by)
    wanted = [value_field(question.flow, question.basis), product, "CTY_CODE", "time"]
    header: list[str] | None = None
    kept: list[list] = []
    set_aside: Counter = Counter()
    seen_months: set[tuple[int, int]] = set()
    for part, data in answers:
        names = data[0]
        missing = [name for name in wanted if name not in names]
        if missing:
            raise FetchError(
                f"{API}: the answer to {part.request.shown()} lacks the fields "
                f"{', '.join(missing)} korus asked for: the API may have changed; please "
                "report it"
            )
        if header is None:
            header = names
        elif names != header:
            raise FetchError(
                f"{API}: two parts of the fetch answered with different fields ({header} and "
                f"{names}): run the same command again"
            )
        rows, aside, months = _detail(part, question, names, data[1:])
        kept.extend(rows)
        set_aside.update(aside)
        seen_months |= months
    notes = []
    absent = sorted(set(question.months) - seen_months)
    if absent and kept:
        shown = ", ".join(_month(month) for month in absent[:6])
        more = f" and {len(absent) - 6} more" if len(absent) > 6 else ""
        notes.append(
            f"no rows for {shown}{more}: not published yet, or no such trade; those months "
            "are missing from the output, never zero"
        )
    if not kept:
        reasons = "; ".join(f"{count:,} {reason}" for reason, count in set_aside.items())
        raise FetchError(
            f"{API}: the answers hold no rows of the detail asked for"
            + (f" ({reasons})" if reasons else "")
            + ": nothing to write"
        )
    text = "[" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in [header, *kept])
    return Assembled(text + "]\n", len(kept), set_aside, notes)


def _detail(part: Part, question: Question, names: list[str], rows: list[list]):
    """Return the rows of the detail a part asked for, the others' reasons counted, and the
    months the kept rows hold."""
    at = {name: names.index(name) for name in names}
    product = product_field(question.flow, question.by)
    digits = width(question.level)
    asked = set(part.months)
    kept, aside, months = [], Counter(), set()

    def cell(row: list, name: str) -> str:
        value = row[at[name]] if name in at else ""
        return "" if value is None else str(value).strip()

    for row in rows:
        summary = cell(row, "SUMMARY_LVL")
        level = cell(row, "COMM_LVL")
        code = cell(row, product)
        country = cell(row, "CTY_CODE")
        if part.code != WORLD and summary and summary != DETAIL:
            reason = f"country grouping (SUMMARY_LVL {summary}) beside the countries (DET)"
        elif country != part.code:
            reason = f"partner not asked for (CTY_CODE {country or 'empty'})"
        elif code.upper() in ("", "-", "TOTAL"):
            reason = "all-goods total beside the products"
        elif level and question.by != "enduse" and level != question.level:
            reason = f"commodity level {level} beside the {question.level} asked for"
        elif len(code) != digits:
            reason = f"{len(code)}-digit code beside the {digits}-digit level asked for"
        else:
            month = _month_of(cell(row, "time"))
            if month not in asked:
                reason = "month not asked for"
            else:
                kept.append(row)
                months.add(month)
                continue
        aside[reason] += 1
    return kept, aside, months


def _month_of(text: str) -> tuple[int, int] | None:
    year, _, month = text.partition("-")
    if year.isdigit() and month.isdigit():
        return int(year), int(month)
    return None
