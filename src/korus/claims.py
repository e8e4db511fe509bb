"""Claims: published figures checked against the data, with a verdict a reader can follow.

A claim names a measure, its countries, its period(s), an optional sector, and the figure as
it was stated ("$27.6 billion", "2.7%", "more than doubled", "about 90%"). korus computes
its own figure through the same metrics as every other command and says whether the stated
figure matches at the precision it was stated, matches when rounded or truncated
differently, is off (by how much), or cannot be computed from the data (and why, and what
data would settle it).

No I/O here but reading a claims file: the data comes through a ``Data`` object.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from korus.errors import DataCoverageError, KorusError, MixedSourcesError

MEASURES = ("exports", "imports", "balance", "deficit", "share", "pct_change", "ratio", "cagr")
SERIES = ("exports", "imports", "balance", "deficit")
SCALES = {
    "trillion": 1e12,
    "billion": 1e9,
    "bn": 1e9,
    "million": 1e6,
    "mn": 1e6,
    "thousand": 1e3,
}


@dataclass
class Stated:
    """A figure as it was published: its value, unit, precision and wording."""

    text: str
    value: float  # in US dollars, percent, or a ratio
    kind: str  # "money", "percent" or "ratio"
    decimals: int  # digits after the point, as written
    scale: float = 1.0  # 1e9 for "billion"
    qualifier: str = ""  # "about", "more than", "less than", "" (exact as rounded)


WORD_RATIOS = {"doubled": 2.0, "tripled": 3.0, "quadrupled": 4.0, "halved": 0.5}
NEGATIVE_WORDS = ("decline", "declined", "down", "fell", "fall", "drop", "dropped", "decrease")


def parse_stated(text: str) -> Stated:
    """Return a stated figure read from its wording; an unreadable one is an error."""
    raw = text.strip()
    lower = raw.lower()
    qualifier = ""
    for words, name in (
        (("more than", "over", "above", "at least"), "more than"),
        (("less than", "under", "below", "nearly", "almost"), "less than"),
        (("about", "around", "roughly", "some", "approximately", "~"), "about"),
    ):
        for word in words:
            if lower.startswith(word + " ") or (word == "~" and lower.startswith(word)):
                qualifier = name
                lower = lower[len(word) :].strip()
                break
        if qualifier:
            break
    for word, ratio in WORD_RATIOS.items():
        if lower == word or lower.endswith(" " + word):
            return Stated(raw, ratio, "ratio", 0, 1.0, qualifier or "exactly")
    negative = any(word in lower.split() for word in NEGATIVE_WORDS) or lower.startswith("-")
    match = re.search(r"(\d[\d,]*(?:\.(\d+))?)", lower)
    if not match:
        raise KorusError(f"stated figure {raw!r}: no number in it")
    number = float(match.group(1).replace(",", ""))
    decimals = len(match.group(2) or "")
    rest = lower[match.end() :].strip()
    if "%" in rest or rest.startswith("percent") or rest.startswith("per cent"):
        return Stated(raw, -number if negative else number, "percent", decimals, 1.0, qualifier)
    if rest.startswith(("times", "x ", "-fold", "fold")) or rest == "x":
        return Stated(raw, number, "ratio", decimals, 1.0, qualifier)
    scale = next((factor for word, factor in SCALES.items() if rest.startswith(word)), 1.0)
    value = number * scale
    return Stated(raw, -value if negative else value, "money", decimals, scale, qualifier)


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


@dataclass
class Verdict:
    """korus's answer to one claim on one definition of its sector (or none)."""

    claim: Claim
    verdict: str  # matches, matches-rounded, off, cannot
    figure: float | None = None
    shown: str = ""
    detail: str = ""
    definition: str = ""
    source: str = ""
    basis: str = ""
    vintage: str = ""
    inputs: list[str] = field(default_factory=list)
    formula: str = ""


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
    return [
        claim_from(entry, resolve, f"{path}: claim {index}")
        for index, entry in enumerate(entries, start=1)
    ]


def claim_from(entry: dict, resolve: Callable[[str], str], where: str) -> Claim:
    """Return a claim from its fields, checking each; errors name the claim and the field."""
    measure = str(entry.get("measure", ""))
    if measure not in MEASURES:
        raise KorusError(f"{where}: measure {measure!r} is not one of {', '.join(MEASURES)}")
    if "stated" not in entry:
        raise KorusError(f"{where}: 'stated' (the figure as published) is missing")
    of = str(entry.get("of", "balance" if measure in ("share",) else "exports"))
    if measure in ("pct_change", "ratio", "cagr", "share") and of not in SERIES:
        raise KorusError(f"{where}: 'of' must be one of {', '.join(SERIES)}")
    claim = Claim(
        text=str(entry.get("text", "")),
        measure=measure,
        stated=parse_stated(str(entry["stated"])),
        reporter=resolve(str(entry.get("reporter", "USA"))),
        partner=resolve(str(entry.get("partner", "KOR"))),
        sector=entry.get("sector"),
        of=of,
        id=str(entry.get("id", "")),
    )
    if "month" in entry:
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(entry["month"]))
        if not match:
            raise KorusError(f"{where}: month {entry['month']!r} is not YYYY-MM")
        claim.month = (int(match.group(1)), int(match.group(2)))
    if "years" in entry:
        years = entry["years"]
        if not (isinstance(years, list) and len(years) == 2):
            raise KorusError(f"{where}: years must be [first, last]")
        claim.years = (int(years[0]), int(years[1]))
    if "year" in entry:
        claim.year = int(entry["year"])
    needs_span = measure in ("pct_change", "ratio", "cagr") and claim.month is None
    if needs_span and claim.years is None:
        raise KorusError(f"{where}: a {measure} needs years = [first, last]")
    if not needs_span and claim.year is None and claim.month is None:
        raise KorusError(f"{where}: a {measure} needs a year (or a month)")
    return claim


# ---------------------------------------------------------------------------- verdicts


def _shown(value: float, stated: Stated) -> str:
    """Return korus's figure written the way the stated one was."""
    if stated.kind == "percent":
        return f"{value:+.2f}%" if stated.value < 0 or value < 0 else f"{value:.2f}%"
    if stated.kind == "ratio":
        return f"{value:.2f} times"
    scale = stated.scale if stated.scale > 1 else 1e6
    word = {1e12: "trillion", 1e9: "billion", 1e6: "million", 1e3: "thousand"}.get(scale, "")
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value) / scale:,.{max(stated.decimals, 1) + 1}f} {word}".strip()


def judge(value: float, stated: Stated) -> tuple[str, str]:
    """Return (verdict, detail) for korus's ``value`` against the ``stated`` figure."""
    step = 10.0**-stated.decimals
    figure = value / stated.scale if stated.kind == "money" else value
    target = stated.value / stated.scale if stated.kind == "money" else stated.value
    if stated.kind == "ratio" and stated.qualifier in ("exactly", ""):
        stated.qualifier = stated.qualifier or "exactly"
    if stated.qualifier == "more than":
        ok = figure > target if target >= 0 else figure < target
        return (
            ("matches", f"{_fmt(figure, stated)} is more than {_fmt(target, stated)}")
            if ok
            else (
                "off",
                f"{_fmt(figure, stated)} is not more than {_fmt(target, stated)}",
            )
        )
    if stated.qualifier == "less than":
        ok = abs(figure) < abs(target)
        return (
            ("matches", f"{_fmt(figure, stated)} is less than {_fmt(target, stated)}")
            if ok
            else (
                "off",
                f"{_fmt(figure, stated)} is not less than {_fmt(target, stated)}",
            )
        )
    if stated.qualifier == "exactly" and stated.kind == "ratio":
        # "doubled": read as about twice, within 5%.
        ok = abs(figure - target) <= 0.05 * target
        return ("matches" if ok else "off", f"the ratio is {figure:.2f}")
    if stated.qualifier == "about":
        # "about 90%": within half of the last written digit's place, widened to a tenth
        # of the figure for round numbers (about 90 means 85 to 95, not 89.5 to 90.5).
        tolerance = max(step * 5 if stated.decimals == 0 else step / 2, abs(target) * 0.05)
        off = figure - target
        if abs(off) <= tolerance:
            return "matches", f"within the 'about' of {_fmt(target, stated)}"
        return "off", f"off by {_difference(off, stated)} ({_relative(off, target)})"
    rounded = round(figure / step) * step
    if math.isclose(rounded, target, abs_tol=step / 1000):
        return "matches", "at the stated precision"
    truncated = math.trunc(figure / step) * step
    if math.isclose(truncated, target, abs_tol=step / 1000):
        return (
            "matches-rounded",
            f"when truncated, not rounded: korus's {_fmt(figure, stated, extra=1)} rounds to "
            f"{_fmt(rounded, stated)}",
        )
    if math.isclose(abs(rounded), abs(target), abs_tol=step / 1000):
        return "matches-rounded", "in size, with the opposite sign"
    off = figure - target
    return "off", f"off by {_difference(off, stated)} ({_relative(off, target)})"


def _difference(off: float, stated: Stated) -> str:
    if stated.kind == "percent":
        return f"{off:+.{stated.decimals + 1}f} percentage points"
    return _fmt(off, stated, signed=True, extra=2)


def _relative(off: float, target: float) -> str:
    return f"{off / abs(target) * 100:+.1f}% of the stated figure" if target else "n/a"


def _fmt(value: float, stated: Stated, signed: bool = False, extra: int = 0) -> str:
    decimals = stated.decimals + extra
    sign = "+" if signed else ""
    if stated.kind == "percent":
        return f"{value:{sign}.{decimals}f}%"
    if stated.kind == "ratio":
        return f"{value:{sign}.{max(decimals, 2)}f} times"
    word = {1e12: " trillion", 1e9: " billion", 1e6: " million", 1e3: " thousand"}.get(
        stated.scale, ""
    )
    return f"{value:{sign},.{decimals}f}{word}"


# ---------------------------------------------------------------------------- evaluation


@dataclass
class Definition:
    """One way of computing a sector (or all goods) from one data source."""

    label: str  # "all goods", "HS 87", "end-use 3"
    frame_name: str  # the shipped file or "user" data
    grouping: object | None  # a products.Grouping, None for all goods
    group: str | None  # the group key within the grouping


class Data:
    """The figures a claim can draw on: frames by name, and how to load them."""

    def __init__(self, loader: Callable[[str, str, str], object], metrics, products) -> None:
        self._loader = loader
        self._cache: dict = {}
        self.metrics = metrics
        self.products = products

    def frame(self, name: str, reporter: str, partner: str):
        key = (name, reporter, partner)
        if key not in self._cache:
            self._cache[key] = self._loader(name, reporter, partner)
        return self._cache[key]


def definitions(claim: Claim, products, user: bool) -> list[Definition]:
    """Return the ways korus can compute a claim: all goods from the data for its reporter,
    or each definition of its sector korus ships (HS codes on the Comtrade chapters,
    end-use codes on the Census end-use data); with the user's data, on that data."""
    if claim.sector is None:
        name = "user" if user else ("census" if claim.reporter == "USA" else "kosis")
        return [Definition("all goods", name, None, None)]
    sectors = {sector.key: sector for sector in products.load_sectors()}
    if claim.sector not in sectors:
        raise KorusError(
            f"claim {claim.id or claim.text!r}: unknown sector {claim.sector!r}; "
            f"korus knows {', '.join(sectors)}"
        )
    sector = sectors[claim.sector]
    found = []
    for family, codes, name, label in (
        (products.HS, sector.hs, "comtrade", "HS"),
        (products.ENDUSE, sector.enduse, "census-enduse", "end-use"),
    ):
        if codes:
            grouping = products.grouping("sector", family=family)
            found.append(
                Definition(
                    f"{label} {', '.join(codes)}", "user" if user else name, grouping, sector.key
                )
            )
    return found


def evaluate(claim: Claim, data: Data, definitions: list[Definition]) -> list[Verdict]:
    """Return korus's verdicts on a claim, one per definition it can be judged on."""
    verdicts = []
    for definition in definitions:
        try:
            verdicts.append(_evaluate_one(claim, data, definition))
        except (DataCoverageError, MixedSourcesError) as exc:
            verdicts.append(
                Verdict(
                    claim,
                    "cannot",
                    detail=(
                        f"cannot be computed from the data: {exc}. "
                        + _what_would(claim, definition)
                    ),
                    definition=definition.label,
                )
            )
    return verdicts


def _what_would(claim: Claim, definition: Definition) -> str:
    """Return what data would settle a claim korus cannot compute."""
    period = "monthly " if claim.month else ""
    if claim.years:
        period = f"{claim.years[0]} and {claim.years[1]} "
    products = f"by product ({definition.label}) " if definition.grouping is not None else ""
    return (
        f"It would take {claim.reporter}-reported {period}figures {products}for trade with "
        f"{claim.partner} (for example a Comtrade+ answer or the reporter's own statistics): "
        "korus check FILE --data THAT_FILE"
    )


def _series_value(series: str, exports: float, imports: float) -> float:
    return {
        "exports": exports,
        "imports": imports,
        "balance": exports - imports,
        "deficit": imports - exports,
    }[series]


def _values(claim: Claim, data: Data, definition: Definition, year: int) -> tuple:
    """Return (exports, imports, whole exports, whole imports, provenance) for one year."""
    metrics = data.metrics
    frame = data.frame(definition.frame_name, claim.reporter, claim.partner)
    if definition.grouping is None:
        flows = metrics.bilateral_flows(frame, claim.reporter, claim.partner, [year])
        row = flows.iloc[0]
        provenance = (row["source"], row["basis"], row["vintage"])
        return row["exports"], row["imports"], row["exports"], row["imports"], provenance
    table, _ = metrics.sector_values(
        frame, claim.reporter, claim.partner, year, "balance", None, definition.grouping
    )
    match = table[table["product"] == definition.group]
    if not len(match):
        # The data may be too coarse for the definition (a heading asked of chapters).
        reasons = getattr(definition.grouping, "notes", [])
        raise DataCoverageError(
            reasons[-1] if reasons else f"no trade in {definition.label} in {year}"
        )
    exports, imports = float(match["exports"].sum()), float(match["imports"].sum())
    # The whole is all goods of the same data, so a share never mixes sources.
    whole = metrics.bilateral_flows(frame, claim.reporter, claim.partner, [year]).iloc[0]
    row = table.iloc[0]
    provenance = (row["source"], row["basis"], row["vintage"])
    return exports, imports, whole["exports"], whole["imports"], provenance


def _evaluate_one(claim: Claim, data: Data, definition: Definition) -> Verdict:
    measure, stated = claim.measure, claim.stated
    if claim.month is not None:
        return _evaluate_month(claim, data, definition)
    inputs: list[str] = []
    if measure in SERIES:
        exports, imports, _, _, provenance = _values(claim, data, definition, claim.year)
        value = _series_value(measure, exports, imports)
        inputs = [
            f"{claim.year} exports {exports / 1e6:,.1f}, imports {imports / 1e6:,.1f} million USD"
        ]
        formula = {
            "exports": "exports",
            "imports": "imports",
            "balance": "exports - imports",
            "deficit": "imports - exports",
        }[measure] + f" in {claim.year}"
        if stated.kind == "money" and stated.value < 0 < value:
            value = -value
    elif measure == "share":
        exports, imports, all_exports, all_imports, provenance = _values(
            claim, data, definition, claim.year
        )
        part = _series_value(claim.of, exports, imports)
        whole = _series_value(claim.of, all_exports, all_imports)
        value = part / whole * 100.0
        formula = f"{claim.of} of {definition.label} / {claim.of} of all goods x 100, {claim.year}"
        inputs = [
            f"{definition.label}: {part / 1e6:,.1f}; all goods: {whole / 1e6:,.1f} million USD"
        ]
    else:
        first, last = claim.years
        a = _values(claim, data, definition, first)
        b = _values(claim, data, definition, last)
        provenance = b[4]
        then = _series_value(claim.of, a[0], a[1])
        now = _series_value(claim.of, b[0], b[1])
        inputs = [f"{claim.of} {first}: {then / 1e6:,.1f}; {last}: {now / 1e6:,.1f} million USD"]
        if measure == "pct_change":
            value = data.metrics.pct_change(then, now)
            formula = f"({claim.of} {last} - {claim.of} {first}) / |{claim.of} {first}| x 100"
        elif measure == "ratio":
            value = now / then if then else None
            formula = f"{claim.of} {last} / {claim.of} {first}"
        else:
            value = data.metrics.cagr(then, now, last - first)
            formula = f"({claim.of} {last} / {claim.of} {first}) ^ (1 / {last - first}) - 1"
        if value is None:
            raise DataCoverageError(f"the {measure} is not defined for these values")
    verdict, detail = judge(value, stated)
    return Verdict(
        claim,
        verdict,
        value,
        _shown(value, stated),
        detail,
        definition.label,
        *provenance,
        inputs=inputs,
        formula=formula,
    )


def _evaluate_month(claim: Claim, data: Data, definition: Definition) -> Verdict:
    metrics = data.metrics
    year, month = claim.month
    if definition.grouping is not None:
        raise DataCoverageError(
            f"{definition.label} by month: korus ships no monthly product figures"
        )
    frame = data.frame(definition.frame_name, claim.reporter, claim.partner)
    if claim.measure in SERIES:
        flows = metrics.monthly_flows(frame, claim.reporter, claim.partner, [(year, month)])
        row = flows.iloc[0]
        value = _series_value(claim.measure, row["exports"], row["imports"])
        formula = f"{claim.measure} in {year}-{month:02d}"
        inputs = [
            f"{year}-{month:02d}: exports {row['exports'] / 1e6:,.1f}, "
            f"imports {row['imports'] / 1e6:,.1f} million USD"
        ]
    elif claim.measure in ("pct_change", "ratio"):
        table = metrics.month_on_year(
            frame, claim.reporter, claim.partner, [(year, month)], claim.of
        )
        row = table.iloc[0]
        if claim.measure == "pct_change":
            value = row["pct_change"]
            formula = f"{claim.of} {year}-{month:02d} against {year - 1}-{month:02d}, % change"
        else:
            value = row["value"] / row["value_year_earlier"]
            formula = f"{claim.of} {year}-{month:02d} / {claim.of} {year - 1}-{month:02d}"
        inputs = [
            f"{row['value'] / 1e6:,.1f} against {row['value_year_earlier'] / 1e6:,.1f} "
            "million USD a year earlier"
        ]
    else:
        raise DataCoverageError(f"a monthly {claim.measure} is not something korus computes")
    verdict, detail = judge(value, claim.stated)
    return Verdict(
        claim,
        verdict,
        value,
        _shown(value, claim.stated),
        detail,
        definition.label,
        row["source"],
        row["basis"],
        row["vintage"],
        inputs=inputs,
        formula=formula,
    )
