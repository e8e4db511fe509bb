"""Countries, groups and other trade partners: one code for each, whatever the source says.

Every reporter or partner in korus carries a *korus code*:

* ISO 3166-1 alpha-3 for countries and territories (``KOR``, ``CHN``, ``TWN``), plus ``XKX``
  for Kosovo (not in ISO, but the code the EU, the IMF and the World Bank use);
* ISO 3166-3 alpha-3 for countries that no longer exist (``SUN`` USSR, ``CSK``
  Czechoslovakia, ``YUG`` Yugoslavia, ``ANT`` Netherlands Antilles, ``SCG`` Serbia and
  Montenegro, ``DDR`` East Germany, ...);
* ``WLD`` (World) and ``EUN`` (European Union) as in the World Bank's WITS;
* codes in the ISO user-assigned range ``X..`` for other groups (``XOP`` OPEC, ``XAS``
  Asia, ...) and for partners that are part of the world total without being countries
  (``XUN`` unidentified, ``XIO`` international organisations, and each of UN Comtrade's
  "nes" areas: ``XOA`` Other Asia, nes, ``XLA`` LAIA, nes, ``XAN`` Areas, nes, ...).

``src/korus/tables/SOURCES.md`` lists every korus-specific code and where each table
comes from.

Speed matters: the CLI resolves the default partner on every run. An exact code or a
name from korus's own tables (``tables/country_aliases.csv`` and
``tables/census_schedule_c.csv``) is answered from those small CSV files; pycountry is
imported only for what they lack (ISO alpha-2 codes, ISO numerics, official ISO names,
former countries beyond the usual few, suggestions for a misspelt name).
"""

from __future__ import annotations

import csv
import functools
import unicodedata
from dataclasses import dataclass
from importlib.resources import files

from korus.errors import UnknownCountryError

__all__ = [
    "Country",
    "caveat",
    "from_census",
    "from_comtrade",
    "is_census_series",
    "is_group",
    "lookup",
    "resolve",
]


@dataclass(frozen=True)
class Country:
    """A reporter or partner: its korus code, a short English name, and what it is.

    ``kind`` is ``"country"`` (a country or territory today), ``"former"`` (one that no
    longer exists), ``"group"`` (an aggregate of countries: never add it to countries) or
    ``"other"`` (a partner that is not a country but is part of the world total).
    """

    code: str
    name: str
    kind: str

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


# Every code whose kind is not "country". Codes not listed here and known to the alias
# table are countries; ISO 3166-3 codes found only through pycountry are "former".
_KINDS: dict[str, str] = {
    # groups: aggregates, never summed with countries
    "WLD": "group",
    "EUN": "group",
    "XOP": "group",
    "XNI": "group",
    "XEU": "group",
    "XAS": "group",
    "XAF": "group",
    "XNA": "group",
    "XSC": "group",
    "XPR": "group",
    "XCD": "group",
    "XOC": "group",
    "XSS": "group",
    # partners that are part of the world total but are not countries
    "XUN": "other",
    "XIO": "other",
    "XNZ": "other",
    "XBK": "other",
    "XFZ": "other",
    # UN Comtrade's "not elsewhere specified" areas (and its special categories): each is
    # trade the reporter could not or would not give a country, part of the world total.
    # One code each, so that two of them are never taken for one partner given twice.
    "XCB": "other",
    "XEE": "other",
    "XNF": "other",
    "XCM": "other",
    "XCA": "other",
    "XLA": "other",
    "XOA": "other",
    "XEN": "other",
    "XON": "other",
    "XOE": "other",
    "XOF": "other",
    "XRA": "other",
    "XNC": "other",
    "XEF": "other",
    "XWA": "other",
    "XAN": "other",
    "XSP": "other",
    # countries and reporting units that no longer exist
    "ANT": "former",
    "SUN": "former",
    "CSK": "former",
    "YUG": "former",
    "SCG": "former",
    "DDR": "former",
    "YMD": "former",
    "XBL": "former",
}

_CENSUS_SERIES = "series"

# What a reader of a figure must know about a partner beyond its name.
_CAVEATS: dict[str, str] = {
    "XOA": (
        "Other Asia, nes (XOA, UN Comtrade code 490) is kept as an area of its own: UN "
        "Comtrade uses it for Taiwan in practice, but korus does not relabel it Taiwan (TWN)"
    ),
}


# --------------------------------------------------------------------------- tables


@functools.cache
def _table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of one CSV file shipped in ``korus/tables``, read once."""
    resource = files("korus") / "tables" / name
    with resource.open("r", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@functools.cache
def _names() -> dict[str, str]:
    """korus code -> display name: the first alias listed for each code."""
    names: dict[str, str] = {}
    for row in _table("country_aliases.csv"):
        names.setdefault(row["code"], row["alias"])
    return names


@functools.cache
def _census() -> dict[str, tuple[str, str, str]]:
    """Census Schedule C code -> (Census name, korus code, kind)."""
    return {
        row["census_code"]: (row["census_name"], row["code"], row["kind"])
        for row in _table("census_schedule_c.csv")
    }


@functools.cache
def _comtrade() -> dict[int, str]:
    """UN Comtrade numeric -> korus code, for the numerics that are not ISO's."""
    return {int(row["comtrade_code"]): row["code"] for row in _table("comtrade_codes.csv")}


@functools.cache
def _name_index() -> dict[str, str]:
    """Normalised name -> korus code, from the alias table then the Census names."""
    index: dict[str, str] = {}
    for row in _table("country_aliases.csv"):
        index.setdefault(_normalise(row["alias"]), row["code"])
    for census_name, code, kind in _census().values():
        if kind != _CENSUS_SERIES and code:
            index.setdefault(_normalise(census_name), code)
    return index


_DROPPED = frozenset("'’‘`´.")


def _normalise(text: str) -> str:
    """Case, accents, apostrophes and full stops ignored; other punctuation is a space.

    ``"Côte d'Ivoire"`` and ``"cote divoire"`` agree, so do ``"Korea, Rep."`` and
    ``"korea rep"``, ``"U.S.A."`` and ``"USA"``, ``"Trinidad & Tobago"`` and
    ``"Trinidad and Tobago"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    chars: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch) or ch in _DROPPED:
            continue
        if ch.isalnum():
            chars.append(ch)
        elif ch == "&":
            chars.append(" and ")
        else:
            chars.append(" ")
    return " ".join("".join(chars).split())


# ------------------------------------------------------------- pycountry (slow path)


def _short_name(name: str) -> str:
    """'Zaire, Republic of' -> 'Zaire'."""
    return name.split(",")[0].strip()


@functools.cache
def _iso() -> dict[str, dict[str, str]]:
    """ISO 3166-1 and 3166-3 from pycountry: alpha-2, numeric and former alpha-3 indexes."""
    import pycountry

    current = {country.alpha_3 for country in pycountry.countries}
    alpha2 = {country.alpha_2: country.alpha_3 for country in pycountry.countries}
    numeric = {country.numeric: country.alpha_3 for country in pycountry.countries}
    former: dict[str, str] = {}
    for country in pycountry.historic_countries:
        if country.alpha_3 in current:  # ATF: the old territory's code lives on
            continue
        former.setdefault(country.alpha_3, _short_name(country.name))
        code = getattr(country, "numeric", None)
        if code and code not in numeric:
            numeric[code] = country.alpha_3
    return {"alpha2": alpha2, "numeric": numeric, "former": former}


@functools.cache
def _iso_name_index() -> dict[str, str]:
    """Normalised ISO names (short, official, common; current and former) -> code."""
    import pycountry

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                index.setdefault(_normalise(value), country.alpha_3)
    former = _iso()["former"]
    for country in pycountry.historic_countries:
        if country.alpha_3 in former:
            index.setdefault(_normalise(country.name), country.alpha_3)
    return index


# ------------------------------------------------------------------------ lookups


def _known(code: str) -> Country | None:
    names = _names()
    if code in names:
        return Country(code, names[code], _KINDS.get(code, "country"))
    return None


def lookup(code: str) -> Country:
    """The partner with this korus code (``"KOR"``, ``"WLD"``); unknown codes raise.

    Raises UnknownCountryError, never KeyError.
    """
    key = str(code).strip().upper()
    found = _known(key)
    if found is not None:
        return found
    if len(key) == 3 and key.isascii() and key.isalpha():
        name = _iso()["former"].get(key)
        if name is not None:
            return Country(key, name, "former")
    raise UnknownCountryError(
        f"unknown country code {code!r}: korus codes are ISO 3166 alpha-3 (KOR, CHN, USA) "
        "or korus group codes (WLD, EUN, ...)"
    )


def caveat(code: str) -> str | None:
    """Return what must be said about a partner wherever its figures appear, or None.

    Other Asia, nes is the one today: the figures of Taiwan in practice, under a name that
    does not say so; a note keeps the reader from missing Taiwan or from misnaming it.
    """
    return _CAVEATS.get(str(code).strip().upper())


def group_codes() -> tuple[str, ...]:
    """Return korus's codes of aggregates (World, EU, continents...), sorted."""
    return tuple(sorted(code for code, kind in _KINDS.items() if kind == "group"))


def is_group(code: str) -> bool:
    """True for aggregates (World, EU, OPEC, continents, ...): never add them to countries."""
    return _KINDS.get(str(code).strip().upper()) == "group"


def _census_key(cty_code: str) -> str:
    key = str(cty_code).strip()
    if key.isascii() and key.isdigit() and len(key) < 4:
        key = key.zfill(4)  # a column read as numbers loses its leading zeros: 15 -> 0015
    return key


def from_census(cty_code: str) -> Country | None:
    """The partner behind a Census Schedule C code (``"5800"`` -> South Korea).

    None when the table lacks the code, and for the Census special series that are not
    partners (``0004`` World seasonally adjusted, NAFTA/USMCA, advanced technology
    products): ``is_census_series`` tells those apart.
    """
    row = _census().get(_census_key(cty_code))
    if row is None or row[2] == _CENSUS_SERIES or not row[1]:
        return None
    return lookup(row[1])


def is_census_series(cty_code: str) -> bool:
    """True for Census codes that are special series, not partners (0004, 0005, 0007, ...)."""
    row = _census().get(_census_key(cty_code))
    return row is not None and row[2] == _CENSUS_SERIES


def _comtrade_number(code: str | int) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code if code >= 0 else None
    if isinstance(code, float):
        return int(code) if code.is_integer() and code >= 0 else None
    text = str(code).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def from_comtrade(code: str | int) -> Country | None:
    """The partner behind a UN Comtrade / M49 numeric (842 -> USA, 410 -> KOR, 0 -> World).

    Comtrade's own numerics (``tables/comtrade_codes.csv``) come first, then ISO 3166-1
    numerics, then ISO 3166-3 ones. None when nobody knows the number.
    """
    number = _comtrade_number(code)
    if number is None:
        return None
    mapped = _comtrade().get(number)
    if mapped is not None:
        return lookup(mapped)
    if number > 999:
        return None
    alpha3 = _iso()["numeric"].get(f"{number:03d}")
    return lookup(alpha3) if alpha3 is not None else None


def resolve(text: str) -> Country:
    """The partner a person or a file means: a code, a number or a name.

    Accepted, ignoring case, accents, punctuation and surrounding spaces: ISO alpha-3 and
    alpha-2 codes, korus group codes, 1-3 digit numbers (Comtrade first, then ISO/M49
    numeric), 4-digit numbers (Census Schedule C), and names: ISO, Census, Comtrade,
    World Bank and common ones. "Korea" is South Korea. Unknown input raises
    UnknownCountryError with up to five suggestions.
    """
    raw = str(text)
    stripped = raw.strip()
    if not stripped:
        raise UnknownCountryError(
            "empty country: give a code such as KOR or a name such as 'South Korea'"
        )

    if stripped.isascii() and stripped.isdigit():
        return _resolve_number(raw, stripped)

    upper = stripped.upper()
    if len(upper) == 3:
        found = _known(upper)
        if found is not None:
            return found

    key = _normalise(stripped)
    index = _name_index()
    code = index.get(key)
    if code is None and "," in stripped:  # "Korea, Republic of" -> "Republic of Korea"
        head, _, tail = stripped.partition(",")
        code = index.get(_normalise(f"{tail} {head}"))
    if code is not None:
        return lookup(code)

    found = _resolve_slow(upper, key)
    if found is not None:
        return found
    raise UnknownCountryError(_unknown_message(raw, key))


def _resolve_number(raw: str, digits: str) -> Country:
    if len(digits) == 4:
        found = from_census(digits)
        if found is not None:
            return found
        row = _census().get(digits)
        if row is not None:  # a special series such as 0004
            raise UnknownCountryError(
                f"Census code {digits} is the series {row[0]!r}, not a trade partner"
            )
        raise UnknownCountryError(
            f"unknown country {raw.strip()!r}: no Census Schedule C code {digits} "
            "(4-digit numbers are read as Census codes, e.g. 5800 for South Korea)"
        )
    if len(digits) <= 3:
        found = from_comtrade(digits)
        if found is not None:
            return found
        raise UnknownCountryError(
            f"unknown country {raw.strip()!r}: no ISO, M49 or Comtrade numeric {digits} "
            "(1-3 digit numbers are read as those, e.g. 410 for South Korea)"
        )
    raise UnknownCountryError(
        f"unknown country {raw.strip()!r}: numbers are ISO/Comtrade numerics (3 digits) "
        "or Census Schedule C codes (4 digits)"
    )


def _resolve_slow(upper: str, key: str) -> Country | None:
    """ISO alpha-2 codes, former ISO 3166-3 codes and official ISO names, via pycountry."""
    iso = _iso()
    if len(upper) == 2 and upper.isascii() and upper.isalpha():
        alpha3 = iso["alpha2"].get(upper)
        if alpha3 is not None:
            return lookup(alpha3)
    if len(upper) == 3 and upper in iso["former"]:
        return lookup(upper)
    code = _iso_name_index().get(key)
    return lookup(code) if code is not None else None


# -------------------------------------------------------------------- suggestions


def _suggestions(key: str, limit: int = 5) -> list[str]:
    """Up to ``limit`` 'Name (CODE)' strings for the known names nearest to ``key``."""
    from difflib import SequenceMatcher

    candidates: dict[str, str] = {}
    candidates.update(_iso_name_index())
    candidates.update(_name_index())
    for code in _names():
        candidates.setdefault(code.casefold(), code)

    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    scored: list[tuple[float, str]] = []
    for name, code in candidates.items():
        best = 0.0
        for piece, penalty in [(name, 0.0)] + [(w, 0.05) for w in name.split() if len(w) >= 4]:
            matcher.set_seq1(piece)
            if matcher.real_quick_ratio() - penalty < 0.6 or matcher.quick_ratio() - penalty < 0.6:
                continue
            best = max(best, matcher.ratio() - penalty)
        if best >= 0.6:
            scored.append((best, code))
    scored.sort(key=lambda item: -item[0])

    seen: list[str] = []
    for _, code in scored:
        if code not in seen:
            seen.append(code)
        if len(seen) == limit:
            break
    return [str(lookup(code)) for code in seen]


def _unknown_message(raw: str, key: str) -> str:
    shown = raw.strip()
    hints = _suggestions(key) if key else []
    if hints:
        return f"unknown country {shown!r}: did you mean {', '.join(hints)}?"
    return (
        f"unknown country {shown!r}: give an ISO code (KOR), a Comtrade or Census number "
        "(410, 5800) or a name such as 'South Korea'"
    )


def completions(prefix: str) -> list[tuple[str, str]]:
    """Return (text, name) pairs of the codes and names that begin with ``prefix``, as a
    shell completes them: codes when the prefix is a code's start, names otherwise."""
    wanted = prefix.casefold()
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for row in _table("country_aliases.csv"):
        code, alias = row["code"], row["alias"]
        if code.casefold().startswith(wanted):
            codes.setdefault(code, _names().get(code, alias))
        if wanted and alias.casefold().startswith(wanted) and alias not in codes:
            names.setdefault(alias, code)
    names = {alias: code for alias, code in names.items() if alias not in codes}
    return sorted(codes.items()) + sorted(names.items())
