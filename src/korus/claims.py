"""Claims: published figures checked against the data, with a verdict a reader can follow.

A claim names a measure, its countries, its period(s), an optional sector, and the figure as
it was stated ("$27.6 billion", "2.7%", "more than doubled", "about 90%"). korus computes
its own figure through the same metrics as every other command and says whether the stated
figure matches at the precision it was stated, matches when rounded or truncated
differently, is off (by how much), or cannot be judged (a figure in another currency or
unit) or computed from the data (and why, and what data would settle it).

A stated figure is read by a small grammar (``parse_stated``), never by searching the text
for a number: a wording the grammar does not read exactly is refused, not guessed.

Claims are read in ``claims_parse`` (a claims file, its fields, the stated figure's
grammar); this module judges them: the verdicts (``judge``) and korus's own figures
(``evaluate``). No I/O here: the data comes through a ``Data`` object.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from korus.claims_parse import SERIES, Claim, Stated
from korus.claims_parse import claim_from as claim_from  # for the API
from korus.claims_parse import load_claims as load_claims  # for the API
from korus.errors import DataCoverageError, KorusError, MixedSourcesError


def cannot_judge(stated: Stated) -> str:
    """Return why korus cannot judge a stated figure against its US-dollar data, or ''."""
    if stated.kind == "money" and stated.currency not in ("", "USD"):
        return (
            f"cannot judge: currency (stated in {stated.currency}; korus's figures are in "
            "US dollars)"
        )
    if stated.kind == "quantity":
        return (
            f"cannot judge: unit (stated in {stated.unit}; korus's figures are values in "
            "US dollars)"
        )
    return ""


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


# ---------------------------------------------------------------------------- verdicts

# A ratio stated as a word carries no digits: "doubled" is read as within 5% of twice,
# "about doubled" within 10%, "nearly doubled" from 10% below twice up to it.
WORD_TOLERANCE = 0.05
WORD_ABOUT = 0.10
WORD_NEARLY = 0.10


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
    reason = cannot_judge(stated)
    if reason:
        return "cannot", reason
    if stated.word:
        return _judge_word(value, stated)
    figure = value / stated.scale
    target = stated.value / stated.scale
    if stated.qualifier:
        return _judge_qualified(figure, target, stated)
    step = 10.0**-stated.decimals
    off = figure - target
    # Within half a step either way: a figure exactly halfway may be rounded up or to even.
    if abs(off) <= step / 2 * (1 + 1e-9):
        return "matches", "at the stated precision"
    steps = _steps(figure, step)
    if math.isclose(math.trunc(steps) * step, target, abs_tol=step / 1000):
        return (
            "matches-rounded",
            f"when truncated, not rounded: korus's {_fmt(figure, stated, extra=1)} rounds to "
            f"{_fmt(round(steps) * step, stated)}",
        )
    # A balance is written with either sign (a deficit of 27.6 or a balance of -27.6); a
    # percentage or a ratio of the opposite sign is a different claim.
    if stated.kind == "money" and abs(abs(figure) - abs(target)) <= step / 2 * (1 + 1e-9):
        return "matches-rounded", "in size, with the opposite sign"
    return "off", f"off by {_difference(off, stated)} ({_relative(off, target)})"


def _steps(figure: float, step: float) -> float:
    """Return ``figure`` in steps of ``step``, a whole number where division missed it by a
    rounding error (2.8 / 0.1 is 27.999...: 28 steps, not 27)."""
    steps = figure / step
    nearest = round(steps)
    return float(nearest) if math.isclose(steps, nearest, rel_tol=1e-9) else steps


def about_tolerance(stated: Stated) -> float:
    """Return how far from the stated figure "about" reaches, in the stated scale's units.

    At least half of the last written digit's place (what rounding allows) and 5% of the
    figure; a round number reaches half its last non-zero digit's place ("about 90" is 85
    to 95), but never more than a tenth of the figure ("about 100" is not 50 to 150).
    """
    target = abs(stated.value / stated.scale)
    tolerance = max(10.0**-stated.decimals / 2, 0.05 * target)
    whole = stated.digits.split(".")[0].lstrip("0")
    zeros = len(whole) - len(whole.rstrip("0")) if stated.decimals == 0 else 0
    if zeros:
        tolerance = max(tolerance, min(10.0**zeros / 2, 0.10 * target))
    return tolerance


_RELATIONS = {
    "more than": lambda m, t: m > t,
    "at least": lambda m, t: m >= t,
    "less than": lambda m, t: m < t,
    "at most": lambda m, t: m <= t,
}


def _judge_qualified(figure: float, target: float, stated: Stated) -> tuple[str, str]:
    """Return the verdict on a qualified figure, compared in the direction it states.

    "A decline of more than 2%" is judged on the size of the decline: -2.5% is more than
    it, -1.5% and +3% are not.
    """
    sign = stated.direction or (-1 if target < 0 else 1)
    size, bound = sign * figure, sign * target
    shown, stated_shown = _fmt(figure, stated, extra=2), _fmt(target, stated)
    in_size = ", in size" if sign < 0 else ""
    if stated.direction and size <= 0:
        way = "a fall" if stated.direction < 0 else "a rise"
        return "off", f"{shown} is not {way}: the stated figure is {stated_shown}"
    qualifier = stated.qualifier
    slack = 1e-9 * max(1.0, abs(bound))
    if qualifier in _RELATIONS:
        ok = _RELATIONS[qualifier](size, bound)
        return (
            "matches" if ok else "off",
            f"{shown} is {'' if ok else 'not '}{qualifier} {stated_shown}{in_size}",
        )
    tolerance = about_tolerance(stated)
    if qualifier == "nearly":
        ok = bound - tolerance - slack <= size < bound
        lowest = _fmt(sign * (bound - tolerance), stated, extra=2)
        return (
            "matches" if ok else "off",
            f"{shown} is {'' if ok else 'not '}nearly {stated_shown}{in_size} (from {lowest} up "
            f"to, not reaching, {stated_shown})",
        )
    off = figure - target
    if abs(off) <= tolerance + slack:
        return "matches", f"within the 'about' of {stated_shown}"
    return "off", f"off by {_difference(off, stated)} ({_relative(off, target)})"


def _judge_word(ratio: float, stated: Stated) -> tuple[str, str]:
    """Return the verdict on a ratio stated as a word ("more than halved").

    A word of shrinking is judged as the inverse of growth: "more than halved" is a fall to
    below half, "nearly halved" a fall to a bit above half.
    """
    word, target = stated.word, stated.value
    if not ratio > 0:
        return "off", f"the ratio is {ratio:.2f}: the figure changed sign, so it was not {word}"
    shrinks = target < 1
    size, bound = (1 / ratio, 1 / target) if shrinks else (ratio, target)

    def times(x: float) -> float:
        return 1 / x if shrinks else x

    qualifier = stated.qualifier
    if qualifier in _RELATIONS:
        ok = _RELATIONS[qualifier](size, bound)
        flipped = {"more than": "less than", "less than": "more than", "at least": "at most"}
        relation = flipped.get(qualifier, "at least") if shrinks else qualifier
        return (
            "matches" if ok else "off",
            f"{ratio:.2f} times is {'' if ok else 'not '}{relation} {target:.2f} times",
        )
    if qualifier == "nearly":
        ok = bound * (1 - WORD_NEARLY) <= size < bound
        edge = times(bound * (1 - WORD_NEARLY))
        way = "down" if shrinks else "up"
        return (
            "matches" if ok else "off",
            f"{ratio:.2f} times is {'' if ok else 'not '}nearly {target:.2f} times (from "
            f"{edge:.2f} {way} to, not reaching, {target:.2f})",
        )
    reach = WORD_ABOUT if qualifier == "about" else WORD_TOLERANCE
    ok = abs(size - bound) <= reach * bound + 1e-12
    low, high = sorted((times(bound * (1 - reach)), times(bound * (1 + reach))))
    return (
        "matches" if ok else "off",
        f"the ratio is {ratio:.2f} ('{_word_phrase(stated)}': {low:.2f} to {high:.2f} times)",
    )


def _word_phrase(stated: Stated) -> str:
    return f"{stated.qualifier} {stated.word}" if stated.qualifier else stated.word


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
    reason = cannot_judge(claim.stated)
    if reason:
        # Nothing to compute: no figure in US dollars could settle it.
        return [Verdict(claim, "cannot", detail=reason, definition=d.label) for d in definitions]
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
    """Return what data would settle a claim korus cannot compute, and the ``korus fetch``
    command that would fetch it where an API korus asks has it."""
    period = "monthly " if claim.month else ""
    if claim.years:
        period = f"{claim.years[0]} and {claim.years[1]} "
    products = f"by product ({definition.label}) " if definition.grouping is not None else ""
    wanted = f"It would take {claim.reporter}-reported {period}figures {products}for trade with "
    fetch = _fetch_command(claim, definition)
    if fetch is None:
        return (
            f"{wanted}{claim.partner} (for example a Comtrade+ answer or the reporter's own "
            "statistics): korus check FILE --data THAT_FILE"
        )
    return f"{wanted}{claim.partner}: {fetch}"


def _fetch_command(claim: Claim, definition: Definition) -> str | None:
    """Return the ``korus fetch`` command (then ``korus check``) that would fetch what a claim
    needs: the Census API for the US's own figures, UN Comtrade+ for another reporter's;
    None where neither has them (end-use categories are the US's alone)."""
    if claim.month is not None and definition.grouping is not None:
        return None  # monthly figures by product: not something korus computes yet
    series = claim.measure if claim.measure in SERIES else claim.of
    flows = [_COLUMNS[flow] for flow in FLOWS[series]]
    family, _, codes = definition.label.partition(" ")
    digits = len(codes.split("-")[0].split(",")[0]) if definition.grouping is not None else 0
    if claim.month is not None:
        year, month = claim.month
        months = [(year - 1, month)] if claim.measure in ("pct_change", "ratio") else []
        months.append((year, month))
        census_months = ",".join(f"{y}-{m:02d}" for y, m in months)
        periods = f"--months {census_months}"
    else:
        years = list(claim.years) if claim.years else [claim.year]
        census_months = ",".join(f"{y}-01..{y}-12" for y in years)
        periods = f"--years {','.join(str(y) for y in years)}"
    if claim.reporter == "USA":
        if family == "end-use":
            product = "--by enduse --level 5"
        else:
            product = f"--by hs --level HS{digits or 2}"
        commands = [
            f"korus fetch census --flow {flow} {product} --partner {claim.partner} "
            f"--months {census_months} -o {flow}.json"
            for flow in flows
        ]
        files = " ".join(f"--data {flow}.json" for flow in flows)
        return f"{' && '.join(commands)}, then korus check FILE {files}"
    if family == "end-use":
        return None
    level = f" --level HS{digits}" if digits else ""
    flow = f" --flow {flows[0]}" if len(flows) == 1 else ""
    name = f"{claim.reporter}-{claim.partner}.json".lower()
    return (
        f"korus fetch comtrade --reporter {claim.reporter} --partner {claim.partner} {periods}"
        f"{level}{flow} -o {name}, then korus check FILE --data {name}"
    )


# The flows each series is made of: a claim about one flow needs only that flow's figures.
FLOWS = {
    "exports": ("export",),
    "imports": ("import",),
    "balance": ("export", "import"),
    "deficit": ("export", "import"),
}
_COLUMNS = {"export": "exports", "import": "imports"}


def _series_value(series: str, exports: float, imports: float) -> float:
    if series == "exports":
        return exports
    if series == "imports":
        return imports
    return exports - imports if series == "balance" else imports - exports


def _row_value(series: str, row) -> float:
    """Return a series from a row of flows: the balance the source states where it states
    one (the figure every other command shows), else computed from the flows."""
    import math

    stated = row.get("balance_stated") if hasattr(row, "get") else None
    if series in ("balance", "deficit") and stated is not None and not math.isnan(stated):
        return stated if series == "balance" else -stated
    return _series_value(series, row.get("exports", 0.0), row.get("imports", 0.0))


def _millions(value: float) -> str:
    import math

    return "n/a" if value is None or math.isnan(value) else f"{value / 1e6:,.1f}"


def _present(values, what: str) -> float:
    """Return the sum of figures that must all be there; a missing one is never a zero."""
    import math

    total = 0.0
    for value in values:
        if value is None or math.isnan(value):
            raise DataCoverageError(f"the data has no figure for {what}")
        total += float(value)
    return total


@dataclass
class _YearFigures:
    """One year's figure of a series on one definition, with what it was computed from."""

    value: float
    flows: dict[str, float]  # "exports"/"imports" -> US dollars, the flows the series needs
    provenance: tuple[str, str, str]
    whole: float | None = None  # the same series for all goods (for a share)

    def described(self, year: int) -> str:
        parts = ", ".join(f"{name} {value / 1e6:,.1f}" for name, value in self.flows.items())
        return f"{year} {parts} million USD"


def _year_figures(
    claim: Claim, data: Data, definition: Definition, year: int, series: str, whole: bool
) -> _YearFigures:
    """Return one year's ``series`` on a definition, from only the flows the series needs
    (and the all-goods figure beside it when ``whole``)."""
    metrics = data.metrics
    frame = data.frame(definition.frame_name, claim.reporter, claim.partner)
    need = FLOWS[series]
    if definition.grouping is None:
        row = metrics.bilateral_flows(frame, claim.reporter, claim.partner, [year], need=need)
        row = row.iloc[0]
        flows = {_COLUMNS[flow]: float(row[_COLUMNS[flow]]) for flow in need}
        value = _row_value(series, row)
        provenance = (row["source"], row["basis"], row["vintage"])
        return _YearFigures(value, flows, provenance, value if whole else None)
    flow = series if series in ("exports", "imports") else "balance"
    table, _ = metrics.sector_values(
        frame, claim.reporter, claim.partner, year, flow, None, definition.grouping
    )
    match = table[table["product"] == definition.group]
    if not len(match):
        # The data may be too coarse for the definition (a heading asked of chapters).
        reasons = getattr(definition.grouping, "notes", [])
        raise DataCoverageError(
            reasons[-1] if reasons else f"no trade in {definition.label} in {year}"
        )
    if flow == "balance":
        flows = {
            name: _present(match[name], f"{name} of {definition.label} in {year}")
            for name in ("exports", "imports")
        }
    else:
        flows = {series: _present(match["value"], f"{series} of {definition.label} in {year}")}
    value = _series_value(series, flows.get("exports", 0.0), flows.get("imports", 0.0))
    first = table.iloc[0]
    provenance = (first["source"], first["basis"], first["vintage"])
    total = None
    if whole:
        # The whole is all goods of the same data, so a share never mixes sources.
        row = metrics.bilateral_flows(frame, claim.reporter, claim.partner, [year], need=need)
        total = _row_value(series, row.iloc[0])
    return _YearFigures(value, flows, provenance, total)


def _evaluate_one(claim: Claim, data: Data, definition: Definition) -> Verdict:
    measure, stated = claim.measure, claim.stated
    if claim.month is not None:
        return _evaluate_month(claim, data, definition)
    inputs: list[str] = []
    if measure in SERIES:
        figures = _year_figures(claim, data, definition, claim.year, measure, whole=False)
        value, provenance = figures.value, figures.provenance
        inputs = [figures.described(claim.year)]
        formula = {
            "exports": "exports",
            "imports": "imports",
            "balance": "exports - imports",
            "deficit": "imports - exports",
        }[measure] + f" in {claim.year}"
        # A deficit written as a negative balance ("-$27.6 billion") is the same claim.
        if measure == "deficit" and stated.value < 0 < value:
            value = -value
    elif measure == "share":
        figures = _year_figures(claim, data, definition, claim.year, claim.of, whole=True)
        part, whole, provenance = figures.value, figures.whole, figures.provenance
        value = part / whole * 100.0
        formula = f"{claim.of} of {definition.label} / {claim.of} of all goods x 100, {claim.year}"
        inputs = [
            f"{definition.label}: {part / 1e6:,.1f}; all goods: {whole / 1e6:,.1f} million USD"
        ]
    else:
        first, last = claim.years
        then = _year_figures(claim, data, definition, first, claim.of, whole=False).value
        after = _year_figures(claim, data, definition, last, claim.of, whole=False)
        now, provenance = after.value, after.provenance
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
        flows = metrics.monthly_flows(
            frame, claim.reporter, claim.partner, [(year, month)], need=FLOWS[claim.measure]
        )
        row = flows.iloc[0]
        value = _row_value(claim.measure, row)
        formula = f"{claim.measure} in {year}-{month:02d}"
        inputs = [
            f"{year}-{month:02d}: exports {_millions(row['exports'])}, "
            f"imports {_millions(row['imports'])} million USD"
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


VERDICT_WORDS = {
    "matches": "matches",
    "matches-rounded": "matches, rounded differently",
    "off": "off",
    "cannot": "cannot be computed",
}


def verdict_table(items: list[Verdict], explain: bool = False):
    """Return the verdicts as a frame: one row per claim and definition, with the stated
    figure, korus's figure (``value``, in ``value_unit``), the verdict and its detail, and
    the figure's source, basis and vintage; ``explain`` adds the formula and its inputs."""
    import pandas as pd

    rows = []
    for item in items:
        claim = item.claim
        row = {
            "claim": claim.id or claim.text,
            "text": claim.text,
            "definition": item.definition,
            "stated": claim.stated.text,
            "korus": item.shown,
            # A figure in US dollars is a sum or difference of figures to the cent: shown
            # to the cent, without the float noise of the arithmetic (...0.12999997).
            "value": (
                round(item.figure, 2)
                if item.figure is not None and claim.stated.kind in ("money", "quantity")
                else item.figure
            ),
            "value_unit": {
                "money": "USD",
                "quantity": "USD",
                "percent": "percent",
                "ratio": "ratio",
            }[claim.stated.kind],
            "verdict": item.verdict,
            "detail": item.detail,
            "source": item.source,
            "basis": item.basis,
            "vintage": item.vintage,
        }
        if explain:
            row["formula"] = item.formula
            row["inputs"] = "; ".join(item.inputs)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.insert(7, "verdict_text", frame["verdict"].map(VERDICT_WORDS))
    return frame
