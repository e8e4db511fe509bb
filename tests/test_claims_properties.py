"""Properties of korus check's verdicts (hypothesis): a stated figure is generated from a
value and a wording (scale words, currencies, qualifiers, percent or points, ratios), and
the verdict must follow from the value, the stated precision and the qualifier's direction.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import make_frame
from korus import claims, claims_parse, metrics, products
from korus.claims_parse import parse_stated

SCALES = {
    1e3: ["k", "K", "thousand"],
    1e6: ["mn", "mln", "million", "Mn.", "MLN", "Million"],
    1e9: ["b", "B", "bn", "bln", "billion", "Bn.", "BLN", "Billion"],
    1e12: ["tn", "trn", "trillion", "Tn.", "TRILLION"],
}
# One-letter m and t are units too (metres, tonnes): read as scales beside a currency only.
WITH_CURRENCY_ONLY = {1e6: ["m", "M"], 1e12: ["t", "T"]}
USD_BEFORE = ["$", "US$", "USD ", "US $", "U.S. $"]
USD_AFTER = [" dollars", " USD", " U.S. dollars", " US dollars"]
OTHER_BEFORE = ["€", "£", "¥", "₩", "EUR ", "C$", "HK$", "KRW "]
OTHER_AFTER = [" won", " yen", " euros", " pounds", " yuan", " EUR", " Korean won"]
UNITS = [" barrels", " tons", " tonnes", " units", " metric tons", " kg"]
PERCENT = ["%", " %", " percent", " per cent"]
POINTS = [" pp", " percentage points", " points", "% points", " ppts"]


@st.composite
def written_numbers(draw):
    """Return (digits as an integer, decimals, the number as written with separators)."""
    decimals = draw(st.integers(0, 2))
    digits = draw(st.integers(1, 10**7))
    number = digits / 10**decimals
    return digits, decimals, f"{number:,.{decimals}f}"


@st.composite
def dollar_wordings(draw):
    """Return (digits, decimals, scale, the stated text) of an amount in US dollars."""
    digits, decimals, number = draw(written_numbers())
    scale = draw(st.sampled_from(sorted(SCALES)))
    before = draw(st.sampled_from(USD_BEFORE + [""]))
    after = "" if before else draw(st.sampled_from(USD_AFTER))
    spellings = SCALES[scale] + (WITH_CURRENCY_ONLY.get(scale, []) if before or after else [])
    word = draw(st.sampled_from(spellings))
    gap = draw(st.sampled_from(["", " "]))
    return digits, decimals, scale, f"{before}{number}{gap}{word}{after}"


@given(dollar_wordings(), st.floats(-0.49, 0.49))
@example((276, 1, 1e9, "$27.6B"), 0.0)
@example((276, 1, 1e9, "US$27.6B"), 0.0)
@example((276, 1, 1e9, "$27.6 bln"), 0.0)
def test_a_dollar_figure_written_from_koruss_value_at_its_precision_matches(wording, nudge):
    digits, decimals, scale, text = wording
    value = (digits + nudge) / 10**decimals * scale
    assert claims.judge(value, parse_stated(text)) == ("matches", "at the stated precision")


@given(dollar_wordings(), st.floats(1.01, 1000), st.booleans())
def test_a_dollar_figure_off_by_more_than_its_precision_is_off(wording, steps, below):
    digits, decimals, scale, text = wording
    if below and digits - steps <= 0:
        below = False  # a figure of the other sign is a question of the balance's sign
    value = (digits - steps if below else digits + steps) / 10**decimals * scale
    verdict, detail = claims.judge(value, parse_stated(text))
    assert verdict == "off"
    assert detail.startswith("off by " + ("-" if below else "+"))


@given(written_numbers(), st.sampled_from(sorted(SCALES)), st.data())
@example((276, 1, "27.6"), 1e9, None)
def test_a_figure_in_another_currency_cannot_be_judged(number, scale, data):
    _, _, written = number
    word = SCALES[scale][-1]
    if data is None:
        before, after = "€", ""
    else:
        before = data.draw(st.sampled_from(OTHER_BEFORE + [""]))
        after = "" if before else data.draw(st.sampled_from(OTHER_AFTER))
    named = (before or after).strip()
    stated = parse_stated(f"{before}{written} {word}{after}")
    assert claims.judge(27.6e9, stated) == (
        "cannot",
        f"cannot judge: currency (stated in {named}; korus's figures are in US dollars)",
    )


@given(written_numbers(), st.sampled_from(sorted(SCALES)), st.sampled_from(UNITS))
def test_a_figure_in_a_non_money_unit_cannot_be_judged(number, scale, unit):
    _, _, written = number
    stated = parse_stated(f"{written} {SCALES[scale][-1]}{unit}")
    assert claims.judge(27.6e9, stated) == (
        "cannot",
        f"cannot judge: unit (stated in {unit.strip()}; korus's figures are values in US dollars)",
    )


@given(written_numbers(), st.sampled_from(PERCENT), st.sampled_from(POINTS))
def test_percent_and_percentage_points_are_told_apart(number, percent, points):
    digits, decimals, written = number
    as_percent, as_points = parse_stated(written + percent), parse_stated(written + points)
    assert (as_percent.kind, as_points.kind) == ("percent", "points")
    assert as_percent.value == as_points.value == digits / 10**decimals
    assert as_percent.decimals == as_points.decimals == decimals


QUALIFIERS = {
    "more than": "more than",
    "over": "more than",
    "above": "more than",
    "at least": "at least",
    "less than": "less than",
    "under": "less than",
    "below": "less than",
    "at most": "at most",
}
HOLDS = {
    "more than": lambda size, bound: size > bound,
    "at least": lambda size, bound: size >= bound,
    "less than": lambda size, bound: size < bound,
    "at most": lambda size, bound: size <= bound,
}


@given(
    st.sampled_from(sorted(QUALIFIERS)),
    st.integers(1, 500),
    st.sampled_from(["", "a decline of ", "down ", "up "]),
    st.floats(-1000, 1000),
)
@example("more than", 2, "a decline of ", -2.76)
@example("less than", 5, "up ", -2.76)
@example("less than", 2, "a decline of ", 1.0)
def test_a_qualifier_decides_the_verdict_in_the_direction_it_states(word, bound, change, value):
    stated = parse_stated(f"{change}{word} {bound}%")
    verdict, _ = claims.judge(value, stated)
    way = -1 if change in ("a decline of ", "down ") else 1
    size = way * value
    holds = HOLDS[QUALIFIERS[word]](size, bound)
    if change:  # a stated direction must be the figure's direction
        holds = holds and size > 0
    assert verdict == ("matches" if holds else "off")


@given(
    st.sampled_from(["nearly", "almost", "about", "around", "roughly", "~"]),
    st.integers(1, 500),
    st.integers(-100, 100),
)
@example("nearly", 90, 0)
@example("about", 47, 50)  # exactly at the edge of the reach: included
@example("nearly", 47, -50)
def test_nearly_never_reaches_the_figure_and_about_reaches_both_ways(word, bound, hundredths):
    stated = parse_stated(f"{word} {bound}%")
    # The figure lies ``hundredths`` of twice the reach away, so the edges are exact.
    value = bound + hundredths / 100 * 2 * claims.about_tolerance(stated)
    verdict, _ = claims.judge(value, stated)
    nearly = word in ("nearly", "almost")
    holds = -50 <= hundredths < 0 if nearly else -50 <= hundredths <= 50
    assert verdict == ("matches" if holds else "off")


RATIO_WORDS = {
    "more than doubled": lambda r: r > 2,
    "more than halved": lambda r: r < 0.5,
    "less than doubled": lambda r: r < 2,
    "less than halved": lambda r: r > 0.5,
    "at least tripled": lambda r: r >= 3,
    "over quadrupled": lambda r: r > 4,
    "nearly doubled": lambda r: 1.8 <= r < 2,
    "almost tripled": lambda r: 2.7 <= r < 3,
    "nearly halved": lambda r: 0.5 < r <= 0.5 / 0.9,
    "about doubled": lambda r: 1.8 <= r <= 2.2,
    "roughly halved": lambda r: 1.8 <= 1 / r <= 2.2,
    "doubled": lambda r: 1.9 <= r <= 2.1,
    "halved": lambda r: 1.9 <= 1 / r <= 2.1,
}


@given(st.sampled_from(sorted(RATIO_WORDS)), st.floats(0.05, 8))
@example("more than halved", 2.09)
@example("nearly doubled", 2.09)
@example("nearly doubled", 1.95)
@example("more than doubled", 2.09)
def test_a_ratio_words_qualifier_decides_the_verdict_in_its_direction(words, ratio):
    verdict, _ = claims.judge(ratio, parse_stated(words))
    assert verdict == ("matches" if RATIO_WORDS[words](ratio) else "off")


@st.composite
def deficits(draw):
    """Return a frame of one year's exports and imports (cents) and the deficit's text."""
    exports = draw(st.integers(0, 10**14)) / 100
    imports = exports + draw(st.integers(1, 10**14)) / 100
    frame = make_frame(
        [(2016, None, "export", "TOTAL", exports), (2016, None, "import", "TOTAL", imports)]
    )
    scale = draw(st.sampled_from(sorted(SCALES)))
    decimals = draw(st.integers(0, 2))
    # Written the way a story rounds: half up, from the figure as the agency published it.
    shown = Decimal(repr(imports - exports)) / Decimal(repr(scale))
    number = shown.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return frame, f"${number:,.{decimals}f} {SCALES[scale][-1]}"


def _deficit_of(imports: float) -> pd.DataFrame:
    return make_frame(
        [(2016, None, "export", "TOTAL", 0.0), (2016, None, "import", "TOTAL", imports)]
    )


@given(deficits())
@example((_deficit_of(27.65e9), "$27.7 billion"))  # halfway, rounded up as stories do
@example((_deficit_of(27.65e9), "$27.6 billion"))  # halfway, rounded to even
def test_a_deficit_stated_as_korus_computes_it_matches_end_to_end(case):
    frame, text = case
    claim = claims_parse.claim_from(
        {"measure": "deficit", "year": 2016, "stated": text}, str, "the claim"
    )
    data = claims.Data(lambda *_: frame, metrics, products)
    (verdict,) = claims.evaluate(claim, data, [claims.Definition("all goods", "user", None, None)])
    assert (verdict.verdict, verdict.detail) == ("matches", "at the stated precision")
