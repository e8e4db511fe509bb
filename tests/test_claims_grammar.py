"""The grammar of stated figures: each wording read exactly, or refused with the reason."""

from __future__ import annotations

import pytest

from korus import claims, claims_parse
from korus.claims_parse import ClaimError, parse_stated

REFUSED = (
    ". Write one figure as published, such as '$27.6 billion', 'a decline of 2.7%', "
    "'about 90%' or 'more than doubled'"
)


def read(text):
    """Return the parts of a stated figure a verdict depends on."""
    s = parse_stated(text)
    return (s.kind, s.value, s.decimals, s.scale, s.qualifier, s.currency, s.unit, s.direction)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("$27.6B", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("US$27.6B", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("$27.6 bln", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("$ 27.6 Bn.", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("U.S. $27.6 billion", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("27.6 billion U.S. dollars", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("USD 27.6bn", ("money", 27.6e9, 1, 1e9, "", "USD", "", 0)),
        ("$500k", ("money", 500e3, 0, 1e3, "", "USD", "", 0)),
        ("$1.25 trn", ("money", 1.25e12, 2, 1e12, "", "USD", "", 0)),
        ("$450 mln", ("money", 450e6, 0, 1e6, "", "USD", "", 0)),
        ("27.6bn", ("money", 27.6e9, 1, 1e9, "", "", "", 0)),
        ("$42,262,200,000", ("money", 42_262_200_000, 0, 1.0, "", "USD", "", 0)),
        ("-$27.6 billion", ("money", -27.6e9, 1, 1e9, "", "USD", "", -1)),
        ("$-27.6 billion", ("money", -27.6e9, 1, 1e9, "", "USD", "", -1)),
        ("€27.6 billion", ("money", 27.6e9, 1, 1e9, "", "€", "", 0)),
        ("27.6 trillion Korean won", ("money", 27.6e12, 1, 1e12, "", "Korean won", "", 0)),
        ("HK$27.6 billion", ("money", 27.6e9, 1, 1e9, "", "HK$", "", 0)),
        ("27.6 billion barrels", ("quantity", 27.6e9, 1, 1e9, "", "", "barrels", 0)),
        ("5 m tonnes", ("quantity", 5e6, 0, 1e6, "", "", "tonnes", 0)),
        ("a decline of 2.7 percent", ("percent", -2.7, 1, 1.0, "", "", "", -1)),
        ("a 2.7% decline", ("percent", -2.7, 1, 1.0, "", "", "", -1)),
        ("fell by more than 2%", ("percent", -2.0, 0, 1.0, "more than", "", "", -1)),
        ("up 35 per cent", ("percent", 35.0, 0, 1.0, "", "", "", 1)),
        ("−2.7%", ("percent", -2.7, 1, 1.0, "", "", "", -1)),
        ("~90%", ("percent", 90.0, 0, 1.0, "about", "", "", 0)),
        ("at most 3%", ("percent", 3.0, 0, 1.0, "at most", "", "", 0)),
        ("3.5 pp", ("points", 3.5, 1, 1.0, "", "", "", 0)),
        ("3.5 % points", ("points", 3.5, 1, 1.0, "", "", "", 0)),
        ("3.5 percentage points", ("points", 3.5, 1, 1.0, "", "", "", 0)),
        ("2.1x", ("ratio", 2.1, 1, 1.0, "", "", "", 0)),
        ("roughly 2.1-fold", ("ratio", 2.1, 1, 1.0, "about", "", "", 0)),
        ("more than halved", ("ratio", 0.5, 0, 1.0, "more than", "", "", 0)),
        ("nearly tripled", ("ratio", 3.0, 0, 1.0, "nearly", "", "", 0)),
    ],
)
def test_each_wording_is_read_into_its_value_kind_precision_and_qualifier(text, parts):
    assert read(text) == pytest.approx(parts)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("$27.6 billion, up 5%", "it holds 2 numbers (27.6, 5); a claim states one"),
        ("2.7% (2016)", "it holds 2 numbers (2.7, 2016); a claim states one"),
        (
            "27.6 billion dollars or so",
            "korus does not read 'or so' after '27.6 billion dollars' in a figure",
        ),
        (
            "27,6 billion",
            "'27,6' is not a number korus reads: thousands are separated by commas in groups "
            "of three (1,234.5), and the decimal mark is a point",
        ),
        ("down -2%", "it has both a word of change ('down') and a sign ('-')"),
        ("€27.6 billion dollars", "two currencies ('€' and 'dollars')"),
        ("$5%", "a currency ('$') with a percent figure"),
        ("a 2.7%", "'a' with no word of change such as 'decline'"),
        (
            "27.6 t",
            "'t' alone could be a scale or a unit (t for tonnes, m for metres): write the "
            "currency ('$5.2bn') or the scale in full ('5.2 billion')",
        ),
        ("twenty billion", "no number in it"),
        ("", "no number in it"),
        ("about a 3% decline", "korus does not read 'a' before the number"),
        ("roughly some 90%", "korus does not read 'some' before the number"),
    ],
)
def test_a_wording_the_grammar_cannot_read_exactly_is_refused_with_the_reason(text, reason):
    with pytest.raises(ClaimError) as error:
        parse_stated(text)
    assert str(error.value) == f"stated figure {text!r} cannot be read: {reason}{REFUSED}"


@pytest.mark.parametrize(
    ("value", "text", "verdict"),
    [
        (27.65e9, "$27.7 billion", ("matches", "at the stated precision")),
        (27.65e9, "$27.6 billion", ("matches", "at the stated precision")),
        (2.8, "2.7%", ("off", "off by +0.10 percentage points (+3.7% of the stated figure)")),
        (
            -2.8,
            "2.8%",
            ("off", "off by -5.60 percentage points (-200.0% of the stated figure)"),
        ),
        (2.0, "about 7%", ("off", "off by -5.0 percentage points (-71.4% of the stated figure)")),
        (6.6, "about 7%", ("matches", "within the 'about' of 7%")),
        (
            88.0,
            "about 100%",
            ("off", "off by -12.0 percentage points (-12.0% of the stated figure)"),
        ),
        (
            90.0,
            "nearly 90%",
            ("off", "90.00% is not nearly 90% (from 85.00% up to, not reaching, 90%)"),
        ),
        (
            86.0,
            "almost 90%",
            ("matches", "86.00% is nearly 90% (from 85.00% up to, not reaching, 90%)"),
        ),
        (27.0e9, "at least $27 billion", ("matches", "27.00 billion is at least 27 billion")),
        (
            0.4,
            "more than halved",
            ("matches", "0.40 times is less than 0.50 times"),
        ),
        (
            0.52,
            "nearly halved",
            ("matches", "0.52 times is nearly 0.50 times (from 0.56 down to, not reaching, 0.50)"),
        ),
        (
            -0.3,
            "more than halved",
            ("off", "the ratio is -0.30: the figure changed sign, so it was not halved"),
        ),
        (
            27.6e9,
            "€27.6 billion",
            ("cannot", "cannot judge: currency (stated in €; korus's figures are in US dollars)"),
        ),
    ],
)
def test_verdicts_respect_precision_and_each_qualifiers_direction(value, text, verdict):
    assert claims.judge(value, parse_stated(text)) == verdict


@pytest.mark.parametrize(
    ("measure", "text", "message"),
    [
        (
            "deficit",
            "27.6",
            "stated figure '27.6' is a number without a unit, but a deficit is an amount of US "
            "dollars ('$42.3 billion') (write the unit as published: '$27.6 billion', '2.7%')",
        ),
        (
            "pct_change",
            "doubled",
            "stated figure 'doubled' is a ratio, but a pct_change is a percentage ('-2.7%')",
        ),
        (
            "ratio",
            "109%",
            "stated figure '109%' is a percentage, but a ratio is a ratio ('2.1 times', 'doubled')",
        ),
        (
            "share",
            "3 pp",
            "stated figure '3 pp' is in percentage points (a difference of two percentages, "
            "not a percentage), but a share is a percentage ('65%')",
        ),
        (
            "deficit",
            "up $2 billion",
            "stated figure 'up $2 billion' states a change ('up'), but a deficit is a level: "
            "give the level, or use measure pct_change",
        ),
        ("pct_change", "5% a year", "stated figure '5% a year' is a yearly rate: use measure cagr"),
        (
            "ratio",
            "up 2.1",
            "stated figure 'up 2.1' has a word of change ('up'); a ratio says the change itself "
            "('2.1 times', 'doubled')",
        ),
    ],
)
def test_a_stated_figure_of_another_kind_than_its_measure_is_refused(measure, text, message):
    entry = {"measure": measure, "stated": text, "sector": "vehicles", "of": "deficit"}
    entry |= {"year": 2016} if measure in ("deficit", "share") else {"years": [2011, 2016]}
    with pytest.raises(ClaimError) as error:
        claims_parse.claim_from(entry, str, "the claim")
    assert str(error.value) == f"the claim: {message}"


def test_a_yearly_rate_is_read_for_a_compound_growth_claim():
    entry = {"measure": "cagr", "stated": "5% a year", "of": "exports", "years": [2011, 2016]}
    stated = claims_parse.claim_from(entry, str, "the claim").stated
    assert (stated.kind, stated.value, stated.per_year) == ("percent", 5.0, True)


def test_a_bare_number_for_a_ratio_is_read_as_times():
    entry = {"measure": "ratio", "stated": "2.1", "of": "deficit", "years": [2011, 2016]}
    assert claims_parse.claim_from(entry, str, "the claim").stated.kind == "ratio"
