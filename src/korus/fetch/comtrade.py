"""UN Comtrade+ (API v1): the requests a question takes, and each answer checked.

Endpoint: ``{base}/data/v1/get/C/{A|M}/HS``, base ``https://comtradeapi.un.org``
(``KORUS_COMTRADE_API`` for a mirror), with the key in the ``Ocp-Apim-Subscription-Key``
header (``COMTRADE_API_KEY``). Without a key, the keyless preview
``{base}/public/v1/preview/C/{A|M}/HS`` is used when the request fits its limit (500
records an answer), and korus says so.

Parameters: ``reporterCode``, ``period`` (years, or YYYYMM months), ``partnerCode``,
``partner2Code=0``, ``cmdCode`` (``TOTAL``, ``AG2``/``AG4``/``AG6`` for every code of a
level, or codes), ``flowCode`` (``M,X``), ``customsCode=C00``, ``motCode=0`` (without
these three the API splits a partner's trade by second partner, customs procedure and
mode of transport, and the parts sit beside their total), ``maxRecords``, ``format=JSON``,
``breakdownMode=classic`` and ``includeDesc=true``. Countries are Comtrade's numerics
(USA 842, France 251, Italy 381, Norway 579, Switzerland 757, India 699: Comtrade's own,
not ISO's; the others ISO 3166's).

Comtrade+ caps the records of one answer, by plan (free, premium, preview), and the caps
change: korus sends ``maxRecords`` (``--max-records``, the plan's cap), plans each part to
stay under it from the most records it can hold, and takes an answer that reaches it as
cut short: the part is split by period, then partner, then flow, and asked again; one that
cannot be split is refused. An answer of no records (``count: 0``, no error), one that
says more records than it holds, and one that is cut off are errors, never an empty or a
short file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace

from korus import countries
from korus.fetch import CappedAnswer, FetchError, http
from korus.fetch.http import Request, Response
from korus.fetch.parts import Assembled

API = "Comtrade+"
BASE = "https://comtradeapi.un.org"
BASE_VARIABLE = "KORUS_COMTRADE_API"
KEY_VARIABLE = "COMTRADE_API_KEY"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
KEY_SIGNUP = "https://comtradedeveloper.un.org (subscribe to the free comtrade - v1 product)"
# The keyless preview's documented cap on one answer.
PREVIEW_RECORDS = 500
# The free plan's cap on one answer when this was written; plans differ and caps change:
# --max-records (or KORUS_COMTRADE_MAX_RECORDS) gives one's own.
DEFAULT_MAX_RECORDS = 100_000
# Periods in one request at most, so that a long fetch is split into parts.
PERIODS_PER_PART = 12

LEVELS = {"TOTAL": "TOTAL", "HS2": "AG2", "HS4": "AG4", "HS6": "AG6"}
# The most codes a level holds in any HS edition (97-99 chapters, about 1,230 headings,
# about 5,600 subheadings), with room: what one period of one partner may take.
CODES_AT_MOST = {"TOTAL": 1, "HS2": 99, "HS4": 1_300, "HS6": 6_000}
FLOWS = {"exports": ("X",), "imports": ("M",), "both": ("M", "X")}
# Comtrade's numerics where they are not ISO 3166's (territories counted with the country).
OWN_NUMERICS = {"USA": 842, "FRA": 251, "ITA": 381, "NOR": 579, "CHE": 757, "IND": 699}
# Breakdown fields and the value of the aggregate row.
BREAKDOWNS = (
    ("partner2Code", {"0", ""}, "second partner"),
    ("customsCode", {"C00", ""}, "customs procedure"),
    ("motCode", {"0", ""}, "mode of transport"),
    ("mosCode", {"0", ""}, "mode of supply"),
)


def numeric(code: str) -> int:
    """Return Comtrade's numeric for a korus country code (842 for USA, 0 for WLD)."""
    if code in OWN_NUMERICS:
        number = OWN_NUMERICS[code]
    elif code == "WLD":
        number = 0
    else:
        number = _iso_numeric(code)
        if number is None:
            import csv
            from importlib.resources import files

            table = files("korus") / "tables" / "comtrade_codes.csv"
            with table.open("r", encoding="utf-8", newline="") as handle:
                rows = csv.DictReader(handle)
                found = [int(row["comtrade_code"]) for row in rows if row["code"] == code]
            number = max(found) if found else None
    back = countries.from_comtrade(number) if number is not None else None
    if back is None or back.code != code:
        raise FetchError(f"{code}: korus knows no UN Comtrade code for it")
    return number


def _iso_numeric(code: str) -> int | None:
    import pycountry

    found = pycountry.countries.get(alpha_3=code)
    return int(found.numeric) if found is not None else None


@dataclass(frozen=True)
class Question:
    """A reporter's trade with some partners in some years or months, as Comtrade+ gives it."""

    reporter: str
    partners: tuple[str, ...]
    periods: tuple[str, ...]  # "2016" or "201609"
    flow: str = "both"
    level: str = "TOTAL"
    commodities: tuple[str, ...] = ()

    @property
    def frequency(self) -> str:
        return "M" if len(self.periods[0]) == 6 else "A"

    def checked(self) -> Question:
        """Return the question in order; one korus cannot ask is an error."""
        if not self.periods:
            raise FetchError("no periods asked for: give --years or --months")
        if len({len(period) for period in self.periods}) > 1:
            raise FetchError("give years or months, not both")
        for period in self.periods:
            if not (period.isdigit() and len(period) in (4, 6)):
                raise FetchError(f"period {period!r} is not a year (2016) or a month (201609)")
        level = self.level.upper()
        if level not in LEVELS:
            raise FetchError(f"--level {self.level}: give one of {', '.join(LEVELS)}")
        codes = tuple(dict.fromkeys(code.strip() for code in self.commodities if code.strip()))
        for code in codes:
            if not (code.isdigit() and len(code) in (2, 4, 6)):
                raise FetchError(f"--commodity {code}: give HS codes of 2, 4 or 6 digits")
        if self.flow not in FLOWS:
            raise FetchError(f"--flow {self.flow}: give exports, imports or both")
        partners = tuple(dict.fromkeys(self.partners))
        if self.reporter in partners:
            raise FetchError(f"--partner {self.reporter} is the reporter itself")
        return Question(
            self.reporter, partners, tuple(sorted(set(self.periods))), self.flow, level, codes
        )

    def most_records(self, periods: int, partners: int, flows: int) -> int:
        """Return the most records an answer for so many periods, partners and flows holds."""
        codes = len(self.commodities) or CODES_AT_MOST[self.level]
        return periods * partners * flows * codes


@dataclass(frozen=True)
class Part:
    """One request of a fetch: some periods, partners and flows of one reporter."""

    request: Request
    question: Question  # the part's own slice of the fetch's question
    base: str
    max_records: int
    preview: bool = False

    def split(self) -> list[Part]:
        """Return the part as two smaller ones (by period, else partner, else flow), or none
        when it is one period, partner and flow already."""
        q = self.question
        flows = FLOWS[q.flow]
        for name, values in (("periods", q.periods), ("partners", q.partners)):
            if len(values) > 1:
                half = len(values) // 2
                return [
                    _part(replace(q, **{name: chunk}), self.base, self.request, self.max_records)
                    for chunk in (values[:half], values[half:])
                ]
        if len(flows) > 1:
            return [
                _part(replace(q, flow=flow), self.base, self.request, self.max_records)
                for flow in ("imports", "exports")
            ]
        return []


def plan(
    question: Question, base: str, key: str | None, max_records: int = DEFAULT_MAX_RECORDS
) -> list[Part]:
    """Return the requests a question takes: periods and partners grouped so that each
    part's most records stay under the cap (the preview's without a key)."""
    question = question.checked()
    preview = not key
    cap = min(max_records, PREVIEW_RECORDS) if preview else max_records
    flows = len(FLOWS[question.flow])
    # An answer that reaches the cap is taken as cut short: a part must stay below it.
    room = cap - 1
    one = question.most_records(1, 1, flows)
    if one > room:
        if preview:
            raise FetchError(
                f"{KEY_VARIABLE} is not set, and one period of one partner may take {one:,} "
                f"records, more than the keyless preview gives ({PREVIEW_RECORDS}): get a key "
                f"at {KEY_SIGNUP} and set {KEY_VARIABLE}, or ask for a coarser --level"
            )
        if len(FLOWS[question.flow]) > 1 and question.most_records(1, 1, 1) <= room:
            flows = 1
        else:
            raise FetchError(
                f"one period of one partner may take {one:,} records, more than --max-records "
                f"{cap:,} allows in one answer: ask for a coarser --level or fewer --commodity "
                "codes, or give your plan's cap with --max-records"
            )
    per_period = question.most_records(1, 1, flows)
    periods = max(1, min(PERIODS_PER_PART, room // per_period))
    partners = max(1, room // (per_period * periods))
    request = Request(
        "", API, BASE_VARIABLE, key=key, key_header=KEY_HEADER, key_variable=KEY_VARIABLE
    )
    flow_slices = [question.flow] if flows == len(FLOWS[question.flow]) else ["imports", "exports"]
    parts = []
    for flow in flow_slices:
        for first in range(0, len(question.partners), partners):
            for start in range(0, len(question.periods), periods):
                slice_ = replace(
                    question,
                    flow=flow,
                    partners=question.partners[first : first + partners],
                    periods=question.periods[start : start + periods],
                )
                parts.append(_part(slice_, base, request, cap))
    return parts


def _part(question: Question, base: str, request: Request, max_records: int) -> Part:
    preview = not request.key
    where = "public/v1/preview" if preview else "data/v1/get"
    cmd = ",".join(question.commodities) if question.commodities else LEVELS[question.level]
    query = [
        ("reporterCode", str(numeric(question.reporter))),
        ("period", ",".join(question.periods)),
        ("partnerCode", ",".join(str(numeric(code)) for code in question.partners)),
        ("partner2Code", "0"),
        ("cmdCode", cmd),
        ("flowCode", ",".join(FLOWS[question.flow])),
        ("customsCode", "C00"),
        ("motCode", "0"),
        ("maxRecords", str(max_records)),
        ("format", "JSON"),
        ("breakdownMode", "classic"),
        ("includeDesc", "true"),
    ]
    text = "&".join(f"{name}={value}" for name, value in query)
    url = f"{base.rstrip('/')}/{where}/C/{question.frequency}/HS?{text}"
    return Part(replace(request, url=url), question, base, max_records, preview)


def answer(part: Part, response: Response) -> dict:
    """Return the answer of a part (the JSON object), or raise ``FetchError`` saying what
    the API answered instead of data and what to do (``CappedAnswer`` for one that reaches
    the cap: the caller splits the part)."""
    request, status, host = part.request, response.status, part.request.host
    if status in (401, 403) and not part.preview:
        said = response.said()
        if status == 403 and "quota" in said.lower():
            raise FetchError(
                f"{API}: the quota of the key in {KEY_VARIABLE} is used up (HTTP 403: {said}): "
                "run the same command again once it is replenished; the parts already fetched "
                "are kept"
            )
        raise FetchError(
            f"{API}: the key in {KEY_VARIABLE} was refused (HTTP {status}: {said}): check the "
            f"key you set (the primary or secondary key of your subscription); get one at "
            f"{KEY_SIGNUP}"
        )
    if status in (401, 403):
        raise FetchError(
            f"{API}: the keyless preview refused the request (HTTP {status}: "
            f"{response.said()}): get a key at {KEY_SIGNUP} and set {KEY_VARIABLE}"
        )
    if 300 <= status < 400:
        raise FetchError(
            f"{API}: {host} redirected the request to "
            f"{response.headers.get('location') or 'another address'} (HTTP {status}) instead "
            f"of answering: check {BASE_VARIABLE}"
        )
    if status == 200 and response.looks_like_html():
        raise FetchError(
            f"{API}: {host} answered with an HTML page ({response.said()!r}) instead of data: "
            f"the API may be down for maintenance, or {BASE_VARIABLE} points at a web site; "
            "try again later"
        )
    http.refuse_unless_data(
        API,
        request,
        response,
        BASE_VARIABLE,
        "endpoint",
        "if your plan allows fewer records an answer, give its cap with --max-records",
    )
    data = _parsed(part, response)
    records = data["data"]
    count = data.get("count")
    if not records:
        error = str(data.get("error") or "").strip()
        q = part.question
        raise FetchError(
            f"{API}: no records for {q.reporter} with {', '.join(q.partners)} in "
            f"{', '.join(q.periods)} (count {count if count is not None else 0}"
            + (f"; it says: {error}" if error else ", and no error")
            + f"): {q.reporter} has not reported these periods yet, or the request is "
            f"malformed; check the request: {request.shown()}"
        )
    if isinstance(count, int) and not isinstance(count, bool) and count > len(records):
        raise FetchError(
            f"{API}: the answer from {host} says {count:,} records but holds "
            f"{len(records):,}: it was cut short; run the same command again"
        )
    if len(records) >= part.max_records:
        raise CappedAnswer(len(records))
    return data


def _parsed(part: Part, response: Response) -> dict:
    host = part.request.host
    data = http.json_answer(API, host, response, b"{", BASE_VARIABLE)
    if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
        raise FetchError(
            f"{API}: the answer from {host} is JSON but not a Comtrade+ answer "
            '({"count": n, "data": [...]})'
        )
    data.setdefault("data", [])
    if not all(isinstance(record, dict) for record in data["data"]):
        raise FetchError(f"{API}: the answer from {host} holds records that are not objects")
    return data


def capped(part: Part, records: int) -> FetchError:
    """Return the error for an answer that reached the cap and cannot be split."""
    return FetchError(
        f"{API}: the answer for one period, partner and flow reached {records:,} records, the "
        f"most one answer gives (--max-records {part.max_records:,}): it is probably cut "
        "short; ask for a coarser --level or fewer --commodity codes, or give your plan's "
        "cap with --max-records"
    )


def assemble(question: Question, answers: list[tuple[Part, dict]]) -> Assembled:
    """Return the output of a fetch from its parts' answers: one Comtrade+ answer holding
    the records of the detail asked for; each other record set aside and counted."""
    question = question.checked()
    kept: list[dict] = []
    set_aside: Counter = Counter()
    for part, data in answers:
        for record in data["data"]:
            reason = _aside(part.question, record)
            if reason:
                set_aside[reason] += 1
            else:
                kept.append(record)
    if not kept:
        reasons = "; ".join(f"{count:,} {reason}" for reason, count in set_aside.items())
        raise FetchError(
            f"{API}: the answers hold no records of the detail asked for ({reasons}): nothing "
            "to write"
        )
    body = ",\n".join(json.dumps(record, ensure_ascii=False) for record in kept)
    text = f'{{"count": {len(kept)},\n"data": [\n{body}\n],\n"error": ""}}\n'
    return Assembled(text, len(kept), set_aside, [])


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _aside(question: Question, record: dict) -> str | None:
    """Return why a record is not the detail asked for, or None when it is."""
    for name, aggregate, label in BREAKDOWNS:
        value = _text(record.get(name)).upper()
        if value not in aggregate:
            return f"breakdown by {label} ({name} {value}) beside its total"
    if _text(record.get("typeCode")).upper() not in ("", "C"):
        return "services, not goods"
    if _text(record.get("reporterCode")) != str(numeric(question.reporter)):
        return f"reporter not asked for (reporterCode {_text(record.get('reporterCode'))})"
    partners = {str(numeric(code)) for code in question.partners}
    partner = _text(record.get("partnerCode"))
    if partner not in partners:
        return f"partner not asked for (partnerCode {partner or 'empty'})"
    flow = _text(record.get("flowCode")).upper()
    if flow not in FLOWS[question.flow]:
        return f"flow not asked for (flowCode {flow or 'empty'})"
    if _text(record.get("period")) not in question.periods:
        return f"period not asked for ({_text(record.get('period')) or 'empty'})"
    code = _text(record.get("cmdCode")).upper()
    if question.commodities:
        if code not in question.commodities:
            return f"product not asked for (cmdCode {code or 'empty'})"
    elif question.level == "TOTAL":
        if code != "TOTAL":
            return f"product code {code} beside the all-goods total asked for"
    elif code == "TOTAL":
        return f"all-goods total beside the {question.level} codes"
    elif len(code) != int(question.level[2:]):
        return f"{len(code)}-digit code beside the {question.level} codes asked for"
    return None
