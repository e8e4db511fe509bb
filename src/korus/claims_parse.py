"""Reading claims: a claims file (TOML), or one claim from keywords, checked field by field
(``load_claims``, ``claim_from``), and the small grammar that reads a stated figure with
its precision (``parse_stated``): a wording it does not read exactly is refused
(``ClaimError``), never guessed.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from korus.errors import KorusError

MEASURES = ("exports", "imports", "balance", "deficit", "share", "pct_change", "ratio", "cagr")
SERIES = ("exports", "imports", "balance", "deficit")
FIELDS = ("id", "text", "measure", "of", "reporter", "partner", "year", "years", "month")
FIELDS += ("sector", "stated")


class ClaimError(KorusError):
    """A claim korus cannot judge as written: a field or a stated figure it cannot read."""


@dataclass(frozen=True)
class Stated:
    """A figure as it was published: its value, kind, precision and wording."""

    text: str
    value: float  # signed; in the currency's units for money, percent, or a ratio
    kind: str  # "money", "quantity", "percent", "points", "ratio" or "number"
    decimals: int  # digits after the point, as written
    scale: float = 1.0  # 1e9 for "billion"
    qualifier: str = ""  # "more than", "at least", "less than", "at most", "nearly", "about"
    currency: str = ""  # "USD", another currency as written ("€", "won"), "" when unstated
    unit: str = ""  # a non-money unit as written ("barrels")
    direction: int = 0  # -1 or +1 when a sign or a word of change says which way, else 0
    change_word: str = ""  # the word of change ("decline", "up"), if any
    word: str = ""  # a ratio stated as a word ("doubled", "halved")
    per_year: bool = False  # "5% a year"
    digits: str = ""  # the number as written, without thousands separators


# ---------------------------------------------------------------------------- the grammar
#
# figure   := [article] [change [of|by]] [qualifier] ( ratio-word | amount ) [change]
# amount   := [sign] [currency] [sign] NUMBER suffix
# suffix   := percent [points | per-year] | points | times | [scale] [currency | unit]
#
# Each table maps a phrase (a tuple of normalised tokens) to what it means; the longest
# phrase is tried first, so "per cent" is one phrase and "% points" another.

_ARTICLES = {("a",): "a", ("an",): "an"}
_DOWN = ("decline", "declined", "down", "fell", "fall", "drop", "dropped", "decrease")
_DOWN += ("decreased", "lower", "shrank", "contraction", "contracted", "slump", "slumped")
_UP = ("up", "rise", "rose", "increase", "increased", "grew", "growth", "gain", "gained")
_UP += ("higher", "jump", "jumped", "climbed")
_CHANGES = {(word,): -1 for word in _DOWN} | {(word,): 1 for word in _UP}
# After the number only nouns and adjectives read ("a 2.7% decline", "2.7% higher").
_TRAILING = ("decline", "drop", "fall", "decrease", "lower", "contraction", "down", "rise")
_TRAILING += ("increase", "gain", "growth", "higher", "up", "jump")
_TRAILING_CHANGES = {(word,): _CHANGES[(word,)] for word in _TRAILING}
_JOINERS = {("of",): "of", ("by",): "by"}
_QUALIFIERS = {
    ("more", "than"): "more than",
    ("over",): "more than",
    ("above",): "more than",
    ("at", "least"): "at least",
    ("less", "than"): "less than",
    ("under",): "less than",
    ("below",): "less than",
    ("at", "most"): "at most",
    ("nearly",): "nearly",
    ("almost",): "nearly",
    ("about",): "about",
    ("around",): "about",
    ("roughly",): "about",
    ("some",): "about",
    ("approximately",): "about",
    ("~",): "about",
}
_RATIO_WORDS = {
    ("doubled",): 2.0,
    ("tripled",): 3.0,
    ("trebled",): 3.0,
    ("quadrupled",): 4.0,
    ("halved",): 0.5,
}
_SIGNS = {("-",): -1, ("−",): -1, ("–",): -1, ("minus",): -1, ("+",): 1, ("plus",): 1}
_USD_BEFORE = {("$",), ("us$",), ("us", "$"), ("u.s", "$"), ("usd",)}
_USD_AFTER = {("usd",), ("dollars",), ("dollar",), ("us", "dollars"), ("u.s", "dollars")}
_USD_AFTER |= {("us", "dollar"), ("u.s", "dollar")}
_CODES = ("eur", "gbp", "jpy", "krw", "cny", "rmb", "cad", "aud", "chf", "inr", "hkd", "twd")
_CODES += ("sgd", "mxn", "brl", "sek", "nok", "dkk")
_CURRENCY_WORDS = ("won", "yen", "yuan", "renminbi", "euro", "euros", "pound", "pounds")
_CURRENCY_WORDS += ("sterling", "rupee", "rupees", "peso", "pesos", "ruble", "rubles")
_CURRENCY_WORDS += ("rouble", "roubles", "franc", "francs", "rand", "baht", "dong", "ringgit")
_CURRENCY_WORDS += ("rupiah", "lira", "real", "reais", "krona", "kronor", "krone", "kroner")
_CURRENCY_WORDS += ("riyal", "dirham")
_OTHER_BEFORE = {(code,) for code in _CODES}
_OTHER_AFTER = {(word,) for word in _CODES + _CURRENCY_WORDS}
_OTHER_AFTER |= {("korean", "won"), ("japanese", "yen"), ("chinese", "yuan")}
_UNITS = ("barrels", "barrel", "bbl", "tons", "ton", "tonnes", "tonne", "kg", "kilograms")
_UNITS += ("kilogram", "units", "unit", "vehicles", "cars", "pieces", "containers", "teu")
_UNITS += ("teus", "bushels", "ounces", "oz", "litres", "liters", "gallons", "kwh", "mwh")
_UNITS += ("gwh", "twh", "jobs")
_UNIT_PHRASES = {(unit,) for unit in _UNITS} | {("metric", "tons"), ("metric", "tonnes")}
_SCALES = {
    ("k",): 1e3,
    ("thousand",): 1e3,
    ("m",): 1e6,
    ("mn",): 1e6,
    ("mln",): 1e6,
    ("million",): 1e6,
    ("b",): 1e9,
    ("bn",): 1e9,
    ("bln",): 1e9,
    ("billion",): 1e9,
    ("t",): 1e12,
    ("tn",): 1e12,
    ("trn",): 1e12,
    ("trillion",): 1e12,
}
# These letters are units as well as scales ("5 t" of steel, "5 m" of cable).
_AMBIGUOUS_SCALES = ("m", "t")
_PERCENT = {("%",), ("percent",), ("per", "cent"), ("pct",)}
_POINTS_AFTER_PERCENT = {("points",), ("point",), ("pts",)}
_POINTS = {("pp",), ("ppt",), ("ppts",), ("p.p",), ("percentage", "points")}
_POINTS |= {("percentage", "point"), ("points",), ("point",), ("pts",)}
_TIMES = {("times",), ("x",), ("fold",), ("-", "fold")}
_PER_YEAR = {("a", "year"), ("per", "year"), ("annually",), ("per", "annum")}

_TOKEN = re.compile(
    r"""
      (?P<number>\d+(?:,\d+)*(?:\.\d+)?|\.\d+)
    | (?P<prefixed>[A-Z]{1,3}\$)          # US$, C$, HK$: a dollar of some country
    | (?P<dotted>(?:[A-Za-z]\.){2,})      # U.S., p.p.
    | (?P<word>[A-Za-z]+\.?)              # a trailing period of an abbreviation (bn.)
    | (?P<space>\s+)
    | (?P<symbol>.)
    """,
    re.VERBOSE,
)
_SYMBOLS = set("%~+-−–")


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "word", "symbol", or "other" (a character no figure holds)
    text: str  # as written
    key: str  # normalised: lower case, no trailing period


def _tokens(text: str) -> list[_Token]:
    """Return the tokens of a stated figure; a number not written as korus reads numbers
    is an error."""
    tokens = []
    for match in _TOKEN.finditer(text):
        kind, written = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "number":
            _check_number(written, text)
            tokens.append(_Token("number", written, written.replace(",", "")))
        elif kind == "symbol":
            # A character no figure holds stays a token of its own, so that the reader
            # names it with what came before it.
            known = written in _SYMBOLS or unicodedata.category(written) == "Sc"
            tokens.append(_Token("symbol" if known else "other", written, written))
        else:
            tokens.append(_Token("word", written, written.lower().rstrip(".")))
    return tokens


def _check_number(written: str, text: str) -> None:
    groups = written.split(".")[0].split(",")
    if len(groups) > 1 and not (
        1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])
    ):
        raise _unreadable(
            text,
            f"{written!r} is not a number korus reads: thousands are separated by commas in "
            "groups of three (1,234.5), and the decimal mark is a point",
        )


def _unreadable(text: str, reason: str) -> ClaimError:
    return ClaimError(
        f"stated figure {text!r} cannot be read: {reason}. Write one figure as published, "
        "such as '$27.6 billion', 'a decline of 2.7%', 'about 90%' or 'more than doubled'"
    )


class _Reader:
    """Reads a stated figure's tokens from left to right, phrase by phrase."""

    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.at = 0

    def accept(self, phrases) -> tuple[object, str] | None:
        """Return (meaning, words as written) of the longest phrase next, taking it."""
        for length in (3, 2, 1):
            keys = tuple(token.key for token in self.tokens[self.at : self.at + length])
            if len(keys) < length or any(
                token.kind == "number" for token in self.tokens[self.at : self.at + length]
            ):
                continue
            if keys in phrases:
                meaning = phrases[keys] if isinstance(phrases, dict) else keys
                written = " ".join(t.text for t in self.tokens[self.at : self.at + length])
                self.at += length
                return meaning, _tidy(written)
        return None

    def number(self) -> _Token | None:
        if self.at < len(self.tokens) and self.tokens[self.at].kind == "number":
            self.at += 1
            return self.tokens[self.at - 1]
        return None

    def rest(self) -> str:
        return " ".join(token.text for token in self.tokens[self.at :])

    def done(self) -> str:
        return " ".join(token.text for token in self.tokens[: self.at])


def _tidy(written: str) -> str:
    return written.replace("$ ", "$").replace(" $", "$") if "$" in written else written


def parse_stated(text: str) -> Stated:
    """Return a stated figure read by korus's grammar; a wording it cannot read exactly is a
    ``ClaimError`` naming the text and why."""
    raw = text.strip()
    tokens = _tokens(raw)
    numbers = [token.text for token in tokens if token.kind == "number"]
    if len(numbers) > 1:
        raise _unreadable(
            raw, f"it holds {len(numbers)} numbers ({', '.join(numbers)}); a claim states one"
        )
    reader = _Reader(raw, tokens)
    article = reader.accept(_ARTICLES)
    change = reader.accept(_CHANGES)
    if change:
        reader.accept(_JOINERS)
    qualifier = reader.accept(_QUALIFIERS)
    ratio_word = reader.accept(_RATIO_WORDS)
    if ratio_word:
        if article or change:
            raise _unreadable(raw, f"{ratio_word[1]!r} already says the change")
        _expect_end(reader)
        return Stated(
            raw,
            ratio_word[0],
            "ratio",
            0,
            qualifier=qualifier[0] if qualifier else "",
            word=ratio_word[1].lower(),
        )
    sign = reader.accept(_SIGNS)
    before = _currency_before(reader)
    if sign is None:
        sign = reader.accept(_SIGNS)
    number = reader.number()
    if number is None and numbers:
        words = reader.rest().split(numbers[0])[0].strip()
        raise _unreadable(raw, f"korus does not read {words!r} before the number")
    if number is None:
        raise _unreadable(raw, "no number in it")
    stated = _amount(raw, reader, number, before)
    if change is None and sign is None:
        change = reader.accept(_TRAILING_CHANGES)
    _expect_end(reader)
    if change and sign:
        raise _unreadable(
            raw, f"it has both a word of change ({change[1]!r}) and a sign ({sign[1]!r})"
        )
    if article and not change:
        raise _unreadable(raw, f"{article[1]!r} with no word of change such as 'decline'")
    if stated.kind in ("percent", "points", "ratio") and before:
        raise _unreadable(raw, f"a currency ({before[1]!r}) with a {stated.kind} figure")
    direction = (change or sign or (0, ""))[0]
    value = -stated.value if direction < 0 else stated.value
    return replace(
        stated,
        value=value,
        qualifier=qualifier[0] if qualifier else "",
        direction=direction,
        change_word=change[1].lower() if change else "",
    )


def _currency_before(reader: _Reader) -> tuple[str, str] | None:
    """Return (currency, as written) of a currency written before the number, taking it."""
    usd = reader.accept(_USD_BEFORE)
    if usd:
        return "USD", usd[1]
    other = reader.accept(_OTHER_BEFORE)
    if other:
        return other[1], other[1]
    if reader.at < len(reader.tokens):
        token = reader.tokens[reader.at]
        # Any currency sign but the plain dollar, and any dollar of another country (C$).
        is_sign = token.kind == "symbol" and unicodedata.category(token.text) == "Sc"
        if is_sign or (token.kind == "word" and token.text.endswith("$")):
            reader.at += 1
            return token.text, token.text
    return None


def _amount(raw: str, reader: _Reader, number: _Token, before: tuple[str, str] | None) -> Stated:
    """Return the figure of a number with what follows it: percent, points, times, or an
    amount with its scale and its currency or unit."""
    digits = number.key
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    magnitude = float(digits)
    common = {"decimals": decimals, "digits": digits}
    if reader.accept(_PERCENT):
        if reader.accept(_POINTS_AFTER_PERCENT):
            return Stated(raw, magnitude, "points", **common)
        per_year = reader.accept(_PER_YEAR) is not None
        return Stated(raw, magnitude, "percent", per_year=per_year, **common)
    if reader.accept(_POINTS):
        return Stated(raw, magnitude, "points", **common)
    if reader.accept(_TIMES):
        return Stated(raw, magnitude, "ratio", **common)
    scale = reader.accept(_SCALES)
    factor = scale[0] if scale else 1.0
    after = reader.accept(_USD_AFTER)
    currency_after = ("USD", after[1]) if after else None
    if currency_after is None:
        other = reader.accept(_OTHER_AFTER)
        currency_after = (other[1], other[1]) if other else None
    unit = reader.accept(_UNIT_PHRASES) if currency_after is None else None
    if before and currency_after and before[0] != currency_after[0]:
        raise _unreadable(raw, f"two currencies ({before[1]!r} and {currency_after[1]!r})")
    currency = (before or currency_after or ("", ""))[0]
    if unit and before:
        raise _unreadable(raw, f"a currency ({before[1]!r}) and a unit ({unit[1]!r})")
    if scale and scale[1].lower().rstrip(".") in _AMBIGUOUS_SCALES and not (currency or unit):
        raise _unreadable(
            raw,
            f"{scale[1]!r} alone could be a scale or a unit (t for tonnes, m for metres): "
            "write the currency ('$5.2bn') or the scale in full ('5.2 billion')",
        )
    value = magnitude * factor
    if unit:
        return Stated(raw, value, "quantity", scale=factor, unit=unit[1], **common)
    if currency or scale:
        return Stated(raw, value, "money", scale=factor, currency=currency, **common)
    return Stated(raw, value, "number", **common)


def _expect_end(reader: _Reader) -> None:
    if reader.at < len(reader.tokens):
        read = reader.done()
        raise _unreadable(
            reader.text,
            f"korus does not read {reader.rest()!r}"
            + (f" after {read!r}" if read else "")
            + " in a figure",
        )


# What each measure's figure is, and the kinds of stated figure that can say it.
_MEASURE_KINDS = {
    "exports": ("money", "quantity"),
    "imports": ("money", "quantity"),
    "balance": ("money", "quantity"),
    "deficit": ("money", "quantity"),
    "share": ("percent",),
    "pct_change": ("percent",),
    "cagr": ("percent",),
    "ratio": ("ratio", "number"),
}
_MEASURE_WORDS = {
    "exports": "an amount of US dollars ('$42.3 billion')",
    "share": "a percentage ('65%')",
    "pct_change": "a percentage ('-2.7%')",
    "cagr": "a percentage a year ('5% a year')",
    "ratio": "a ratio ('2.1 times', 'doubled')",
}
_KIND_WORDS = {
    "money": "an amount of money",
    "quantity": "a quantity",
    "percent": "a percentage",
    "points": "in percentage points (a difference of two percentages, not a percentage)",
    "ratio": "a ratio",
    "number": "a number without a unit",
}


def _fitted(stated: Stated, measure: str, where: str) -> Stated:
    """Return the stated figure as the measure reads it; a figure of another kind than the
    measure's is an error saying both."""
    if stated.kind not in _MEASURE_KINDS[measure]:
        needs = _MEASURE_WORDS.get(measure, _MEASURE_WORDS["exports"])
        hint = ""
        if stated.kind == "number":
            hint = " (write the unit as published: '$27.6 billion', '2.7%')"
        raise ClaimError(
            f"{where}: stated figure {stated.text!r} is {_KIND_WORDS[stated.kind]}, but a "
            f"{measure} is {needs}{hint}"
        )
    if stated.change_word and measure == "ratio":
        raise ClaimError(
            f"{where}: stated figure {stated.text!r} has a word of change "
            f"({stated.change_word!r}); a ratio says the change itself ('2.1 times', 'doubled')"
        )
    if stated.change_word and measure not in ("pct_change", "cagr"):
        raise ClaimError(
            f"{where}: stated figure {stated.text!r} states a change ({stated.change_word!r}), "
            f"but a {measure} is a level: give the level, or use measure pct_change"
        )
    if stated.per_year and measure != "cagr":
        raise ClaimError(
            f"{where}: stated figure {stated.text!r} is a yearly rate: use measure cagr"
        )
    return replace(stated, kind="ratio") if stated.kind == "number" else stated


@dataclass
class Claim:
    """One published claim to check."""

    text: str
    measure: str
    stated: Stated
    reporter: str = "USA"
    partner: str = "KOR"
    year: int | None = None
    years: tuple[int, int] | None = None
    month: tuple[int, int] | None = None
    sector: str | None = None
    of: str = "balance"  # for share / pct_change / ratio / cagr: the series measured
    id: str = ""


def load_claims(path: Path, resolve: Callable[[str], str]) -> list[Claim]:
    """Return the claims of a TOML file: ``[[claim]]`` tables (see examples/)."""
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KorusError(f"{path}: no such claims file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KorusError(f"{path}: not a valid TOML claims file ({exc})") from None
    entries = table.get("claim")
    if not isinstance(entries, list) or not entries:
        raise KorusError(f"{path}: no [[claim]] tables")
    claims = []
    for index, entry in enumerate(entries, start=1):
        name = f" ({entry['id']})" if isinstance(entry.get("id"), str) and entry["id"] else ""
        claims.append(claim_from(entry, resolve, f"{path}: claim {index}{name}"))
    return claims


def claim_from(entry: dict, resolve: Callable[[str], str], where: str) -> Claim:
    """Return a claim from its fields, checking each; errors name the claim and the field."""
    unknown = [key for key in entry if key not in FIELDS]
    if unknown:
        raise ClaimError(
            f"{where}: unknown field {', '.join(map(repr, unknown))}; a claim has the fields "
            f"{', '.join(FIELDS)}"
        )
    measure = str(entry.get("measure", ""))
    if measure not in MEASURES:
        raise ClaimError(f"{where}: measure {measure!r} is not one of {', '.join(MEASURES)}")
    if "stated" not in entry:
        raise ClaimError(f"{where}: 'stated' (the figure as published) is missing")
    if not isinstance(entry["stated"], str):
        raise ClaimError(
            f"{where}: stated {entry['stated']!r} must be the figure as published, in quotes "
            '(stated = "$27.6 billion"), so that its currency, scale and precision are kept'
        )
    of = str(entry.get("of", "balance" if measure in ("share",) else "exports"))
    if measure in ("pct_change", "ratio", "cagr", "share") and of not in SERIES:
        raise ClaimError(f"{where}: 'of' must be one of {', '.join(SERIES)}")
    if measure == "share" and not entry.get("sector"):
        raise ClaimError(
            f'{where}: a share needs a sector (sector = "vehicles"): without one it would be '
            "the share of all goods in all goods"
        )
    try:
        stated = parse_stated(entry["stated"])
    except ClaimError as exc:
        raise ClaimError(f"{where}: {exc}") from None
    claim = Claim(
        text=str(entry.get("text", "")),
        measure=measure,
        stated=_fitted(stated, measure, where),
        reporter=resolve(str(entry.get("reporter", "USA"))),
        partner=resolve(str(entry.get("partner", "KOR"))),
        sector=entry.get("sector"),
        of=of,
        id=str(entry.get("id", "")),
    )
    periods = [key for key in ("year", "years", "month") if key in entry]
    if len(periods) > 1:
        raise ClaimError(f"{where}: give one period, not {' and '.join(periods)}")
    if "month" in entry:
        claim.month = _month(entry["month"], where)
    if "years" in entry:
        claim.years = _span(entry["years"], where)
    if "year" in entry:
        claim.year = _year(entry["year"], where, "year")
    needs_span = measure in ("pct_change", "ratio", "cagr") and claim.month is None
    if needs_span and claim.years is None:
        raise ClaimError(f"{where}: a {measure} needs years = [first, last]")
    if not needs_span and claim.year is None and claim.month is None:
        raise ClaimError(f"{where}: a {measure} needs a year (or a month)")
    return claim


def _year(value: object, where: str, name: str) -> int:
    """Return a year given as a whole number (2016) or its four digits as text."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return value
    raise ClaimError(f"{where}: {name} {value!r} is not a year: write a whole year, such as 2016")


def _span(value: object, where: str) -> tuple[int, int]:
    """Return (first, last) of ``[2011, 2016]`` or of the text "2011,2016" or "2011-2016"
    (an en or em dash too, as pasted from an article)."""
    if isinstance(value, str):
        parts = re.split(r"\s*(?:,|\.\.|-|–|—)\s*", value.strip())
    elif isinstance(value, list):
        parts = value
    else:
        parts = [value]
    if len(parts) != 2:
        raise ClaimError(
            f"{where}: years {value!r} is not a span: give the first and the last year, "
            "such as [2011, 2016]"
        )
    first, last = (_year(part, where, "years") for part in parts)
    if first >= last:
        raise ClaimError(f"{where}: years {value!r}: the first year must come before the last")
    return first, last


def _month(value: object, where: str) -> tuple[int, int]:
    """Return (year, month) of a month written YYYY-MM."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ClaimError(f"{where}: month {value!r} is not a month: write YYYY-MM, such as 2017-09")
    return int(match.group(1)), int(match.group(2))
