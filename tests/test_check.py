"""korus check: published claims against the data, with verdicts a reader can follow."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import make_frame
from korus import claims, claims_parse
from korus.cli import cli

ARTICLE = Path(__file__).resolve().parents[1] / "examples" / "korus-2017-article.toml"


def verdicts(runner, *args):
    # The verdicts themselves: a claim off would make check exit 1 (tested on its own).
    result = runner.invoke(cli, ["check", *args, "--format", "csv", "--exit-zero"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture(scope="module")
def article():
    from click.testing import CliRunner

    rows = verdicts(CliRunner(), str(ARTICLE))
    return {(row["claim"], row["definition"]): row for row in rows}


def test_every_claim_of_the_article_gets_a_verdict(article):
    ids = {claim for claim, _ in article}
    assert len(ids) == 14
    assert all(row["verdict"] in claims_verdicts() for row in article.values())


def claims_verdicts():
    return {"matches", "matches-rounded", "off", "cannot"}


def test_export_figures_are_judged_on_the_census_data(article):
    exports = article[("exports-2016", "all goods")]
    assert round(float(exports["value"]) / 1e6, 1) == 42262.2
    assert exports["verdict"] == "matches"
    assert exports["source"].startswith("US Census Bureau")
    assert exports["basis"].endswith("imports: general imports, customs value")
    decline = article[("exports-decline", "all goods")]
    assert round(float(decline["value"]), 2) == -2.76
    assert decline["verdict"] == "matches-rounded"  # the story truncated -2.76 to 2.7


def test_the_deficit_claims_match_the_census_figures(article):
    assert round(float(article[("deficit-2011", "all goods")]["value"]) / 1e6, 1) == 13199.7
    assert round(float(article[("deficit-2016", "all goods")]["value"]) / 1e6, 1) == 27624.6
    doubled = article[("deficit-doubled", "all goods")]
    assert doubled["verdict"] == "matches" and float(doubled["value"]) > 2


def test_the_autos_claim_is_judged_on_each_definition_korus_ships(article):
    hs = article[("autos-deficit", "HS 87")]
    assert round(float(hs["value"]) / 1e6, 1) == 19321.1
    assert hs["source"] == "UN Comtrade (legacy CSV)"
    assert round(float(article[("autos-share", "HS 87")]["value"]), 1) == 65.2
    assert round(float(article[("autos-growth", "HS 87")]["value"]), 1) == 70.8
    enduse = article[("autos-deficit", "end-use 3")]
    assert round(float(enduse["value"]) / 1e6, 1) == 22558.3
    assert enduse["source"].startswith("US Census Bureau, U.S. trade by end-use")
    assert round(float(article[("autos-share", "end-use 3")]["value"]), 1) == 81.7
    growth = article[("autos-growth", "end-use 3")]
    assert growth["verdict"] == "cannot"
    assert "no Census end-use products for 2011" in growth["detail"]


def test_claims_the_shipped_data_cannot_settle_say_what_would(article):
    korea = article[("korea-exports-sep-2017", "all goods")]
    assert korea["verdict"] == "cannot"
    assert "no monthly figures of KOR with WLD" in korea["detail"]
    assert "KOR-reported monthly figures" in korea["detail"]


def test_one_claim_on_the_command_line_with_its_formula(runner):
    rows = verdicts(
        runner,
        "--measure",
        "deficit",
        "--year",
        "2016",
        "--stated",
        "$27.6 billion",
        "--explain",
    )
    assert rows[0]["verdict"] == "matches"
    assert rows[0]["formula"] == "imports - exports in 2016"
    assert rows[0]["inputs"] == "2016 exports 42,262.2, imports 69,886.8 million USD"


@pytest.mark.parametrize(
    ("text", "value", "kind", "decimals", "qualifier"),
    [
        ("$27.6 billion", 27.6e9, "money", 1, ""),
        ("2.7%", 2.7, "percent", 1, ""),
        ("a decline of 2.7 percent", -2.7, "percent", 1, ""),
        ("about 90%", 90.0, "percent", 0, "about"),
        ("more than doubled", 2.0, "ratio", 0, "more than"),
        ("$24 billion", 24e9, "money", 0, ""),
        ("1,234.5 million", 1234.5e6, "money", 1, ""),
    ],
)
def test_stated_figures_are_read_with_their_precision(text, value, kind, decimals, qualifier):
    stated = claims_parse.parse_stated(text)
    assert (stated.value, stated.kind, stated.decimals, stated.qualifier) == pytest.approx(
        (value, kind, decimals, qualifier)
    )


@pytest.mark.parametrize(
    ("value", "text", "verdict"),
    [
        (27.6245e9, "$27.6 billion", "matches"),
        (27.66e9, "$27.6 billion", "matches-rounded"),
        (27.0e9, "$27.6 billion", "off"),
        (-2.76, "-2.7%", "matches-rounded"),
        (-2.74, "-2.7%", "matches"),
        (86.0, "about 90%", "matches"),
        (81.7, "about 90%", "off"),
        (2.09, "more than doubled", "matches"),
        (1.95, "more than doubled", "off"),
    ],
)
def test_verdicts_follow_the_stated_precision(value, text, verdict):
    assert claims.judge(value, claims_parse.parse_stated(text))[0] == verdict


def test_a_claims_file_with_an_unknown_measure_is_an_error(runner, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nmeasure = "surplus"\nyear = 2016\nstated = "1"\n')
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: claim 1: measure 'surplus' is not one of")


# ---------------------------------------------------------------------------- the audit's
# wrong verdicts, each one of a class: the 2016 deficit is 27,624.6 million USD on the
# shipped Census data, 2.09 times the 2011 one; exports fell 2.76% from 2011 to 2016.


def one_verdict(runner, *args):
    """Return (korus's figure as shown, verdict, detail) of a one-claim check."""
    result = runner.invoke(cli, ["check", *args, "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    return row["korus"] or "", row["verdict"], row["detail"]


def refusal(runner, *args):
    """Return the error line of a check korus refuses."""
    result = runner.invoke(cli, ["check", *args])
    assert result.exit_code == 1, result.output
    return result.stderr


DEFICIT_2016 = ("--measure", "deficit", "--year", "2016", "--stated")
DEFICIT_RATIO = ("--measure", "ratio", "--of", "deficit", "--years", "2011,2016", "--stated")
EXPORTS_CHANGE = ("--measure", "pct_change", "--of", "exports", "--years", "2011,2016")


@pytest.mark.parametrize("stated", ["$27.6B", "US$27.6B", "$27.6 bln", "$27.6 B", "US$ 27.6 Bln."])
def test_a_dollar_figure_with_an_abbreviated_scale_is_read_in_billions(runner, stated):
    assert one_verdict(runner, *DEFICIT_2016, stated) == (
        "$27.62 billion",
        "matches",
        "at the stated precision",
    )


@pytest.mark.parametrize(
    ("stated", "named"),
    [("€27.6 billion", "€"), ("27.6 billion won", "won"), ("C$27.6 billion", "C$")],
)
def test_a_figure_in_another_currency_cannot_be_judged(runner, stated, named):
    assert one_verdict(runner, *DEFICIT_2016, stated) == (
        "",
        "cannot",
        f"cannot judge: currency (stated in {named}; korus's figures are in US dollars)",
    )


def test_a_figure_in_a_non_money_unit_cannot_be_judged(runner):
    assert one_verdict(runner, *DEFICIT_2016, "27.6 billion barrels") == (
        "",
        "cannot",
        "cannot judge: unit (stated in barrels; korus's figures are values in US dollars)",
    )


def test_more_than_halved_is_off_for_a_deficit_that_doubled(runner):
    assert one_verdict(runner, *DEFICIT_RATIO, "more than halved") == (
        "2.09 times",
        "off",
        "2.09 times is not less than 0.50 times",
    )


def test_nearly_doubled_is_off_for_a_deficit_that_more_than_doubled(runner):
    assert one_verdict(runner, *DEFICIT_RATIO, "nearly doubled") == (
        "2.09 times",
        "off",
        "2.09 times is not nearly 2.00 times (from 1.80 up to, not reaching, 2.00)",
    )


def test_about_doubled_matches_a_ratio_within_a_tenth_of_two(runner):
    assert one_verdict(runner, *DEFICIT_RATIO, "about doubled") == (
        "2.09 times",
        "matches",
        "the ratio is 2.09 ('about doubled': 1.80 to 2.20 times)",
    )


def test_a_percent_sign_elsewhere_in_the_text_is_not_read_as_the_figures_unit(runner):
    assert refusal(runner, *DEFICIT_2016, "$27.6 billion, up 5%") == (
        "Error: the claim: stated figure '$27.6 billion, up 5%' cannot be read: it holds 2 "
        "numbers (27.6, 5); a claim states one. Write one figure as published, such as "
        "'$27.6 billion', 'a decline of 2.7%', 'about 90%' or 'more than doubled'\n"
    )


def test_a_text_with_words_korus_does_not_read_is_refused_not_guessed(runner):
    assert refusal(runner, *DEFICIT_2016, "27.6 billion dollars or so") == (
        "Error: the claim: stated figure '27.6 billion dollars or so' cannot be read: korus "
        "does not read 'or so' after '27.6 billion dollars' in a figure. Write one figure as "
        "published, such as '$27.6 billion', 'a decline of 2.7%', 'about 90%' or 'more than "
        "doubled'\n"
    )


def test_a_share_without_a_sector_is_refused(runner):
    args = ("--measure", "share", "--of", "deficit", "--year", "2016", "--stated", "50%")
    assert refusal(runner, *args) == (
        'Error: the claim: a share needs a sector (sector = "vehicles"): without one it would '
        "be the share of all goods in all goods\n"
    )


def test_percentage_points_stated_for_a_percent_change_are_refused(runner):
    assert refusal(runner, *EXPORTS_CHANGE, "--stated", "3 percentage points") == (
        "Error: the claim: stated figure '3 percentage points' is in percentage points (a "
        "difference of two percentages, not a percentage), but a pct_change is a percentage "
        "('-2.7%')\n"
    )


def test_a_percentage_stated_for_a_money_measure_is_refused(runner):
    assert refusal(runner, *DEFICIT_2016, "27.6%") == (
        "Error: the claim: stated figure '27.6%' is a percentage, but a deficit is an amount "
        "of US dollars ('$42.3 billion')\n"
    )


def test_a_decline_of_more_than_is_judged_on_the_size_of_the_decline(runner):
    assert one_verdict(runner, *EXPORTS_CHANGE, "--stated", "a decline of more than 2%") == (
        "-2.76%",
        "matches",
        "-2.76% is more than -2%, in size",
    )


def test_a_rise_of_less_than_is_off_for_a_decline(runner):
    assert one_verdict(runner, *EXPORTS_CHANGE, "--stated", "up less than 5%") == (
        "-2.76%",
        "off",
        "-2.76% is not a rise: the stated figure is 5%",
    )


def test_a_growth_stated_for_a_decline_of_the_same_size_is_off(runner):
    assert one_verdict(runner, *EXPORTS_CHANGE, "--stated", "2.8%") == (
        "-2.76%",
        "off",
        "off by -5.56 percentage points (-198.6% of the stated figure)",
    )


def test_negative_exports_are_not_taken_for_the_exports(runner):
    args = ("--measure", "exports", "--year", "2016", "--stated", "-$42.3 billion")
    assert one_verdict(runner, *args) == (
        "$42.26 billion",
        "matches-rounded",
        "in size, with the opposite sign",
    )


def test_a_deficit_written_as_a_negative_balance_matches(runner):
    assert one_verdict(runner, *DEFICIT_2016, "-$27.6 billion") == (
        "-$27.62 billion",
        "matches",
        "at the stated precision",
    )


def claims_file(tmp_path, lines):
    path = tmp_path / "claims.toml"
    path.write_text('[[claim]]\nid = "deficit"\n' + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ['measure = "deficit"', "year = 2016.9", 'stated = "$27.6 billion"'],
            "year 2016.9 is not a year: write a whole year, such as 2016",
        ),
        (
            ['measure = "deficit"', "year = true", 'stated = "$27.6 billion"'],
            "year True is not a year: write a whole year, such as 2016",
        ),
        (
            ['measure = "deficit"', 'month = "2017-9"', 'stated = "$27.6 billion"'],
            "month '2017-9' is not a month: write YYYY-MM, such as 2017-09",
        ),
        (
            ['measure = "deficit"', 'month = "2017-13"', 'stated = "$27.6 billion"'],
            "month '2017-13' is not a month: write YYYY-MM, such as 2017-09",
        ),
        (
            ['measure = "ratio"', "years = [2011.5, 2016]", 'stated = "doubled"'],
            "years 2011.5 is not a year: write a whole year, such as 2016",
        ),
        (
            ['measure = "ratio"', "years = [2016, 2011]", 'stated = "doubled"'],
            "years [2016, 2011]: the first year must come before the last",
        ),
    ],
)
def test_a_period_that_is_not_a_whole_year_or_month_is_refused(runner, tmp_path, lines, message):
    path = claims_file(tmp_path, lines)
    assert refusal(runner, str(path)) == f"Error: {path}: claim 1 (deficit): {message}\n"


def test_a_misspelt_field_is_refused_not_ignored(runner, tmp_path):
    path = claims_file(
        tmp_path, ['measure = "deficit"', "year = 2016", 'sectr = "vehicles"', 'stated = "$24bn"']
    )
    assert refusal(runner, str(path)) == (
        f"Error: {path}: claim 1 (deficit): unknown field 'sectr'; a claim has the fields id, "
        "text, measure, of, reporter, partner, year, years, month, sector, stated\n"
    )


def test_a_stated_figure_written_as_a_toml_number_is_refused(runner, tmp_path):
    path = claims_file(tmp_path, ['measure = "deficit"', "year = 2016", "stated = 27.6"])
    assert refusal(runner, str(path)) == (
        f"Error: {path}: claim 1 (deficit): stated 27.6 must be the figure as published, in "
        'quotes (stated = "$27.6 billion"), so that its currency, scale and precision are kept\n'
    )


@pytest.fixture
def imports_only(tmp_path):
    """A file of US imports from Korea only (hand-made figures), no exports."""
    from korus.readers.tidy import write_csv

    path = tmp_path / "imports.csv"
    write_csv(
        make_frame(
            [(2015, None, "import", "TOTAL", 71.8e9), (2016, None, "import", "TOTAL", 69.9e9)]
        ),
        path,
    )
    return path


def test_an_imports_claim_is_judged_on_a_file_of_imports_only(runner, imports_only):
    args = ("--measure", "imports", "--year", "2016", "--stated", "$69.9 billion")
    assert one_verdict(runner, *args, "--data", str(imports_only)) == (
        "$69.90 billion",
        "matches",
        "at the stated precision",
    )


def test_an_imports_change_is_judged_on_a_file_of_imports_only(runner, imports_only):
    args = ("--measure", "pct_change", "--of", "imports", "--years", "2015,2016")
    assert one_verdict(runner, *args, "--stated", "-2.6%", "--data", str(imports_only)) == (
        "-2.65%",
        "matches",
        "at the stated precision",
    )


def test_a_deficit_claim_on_a_file_of_imports_only_cannot_be_computed(runner, imports_only):
    figure, verdict, detail = one_verdict(
        runner, *DEFICIT_2016, "$27.6 billion", "--data", str(imports_only)
    )
    assert (figure, verdict) == ("", "cannot")
    assert detail.startswith(
        "cannot be computed from the data: the data holds no USA exports to KOR for 2016 (it "
        "has no exports at all); a missing flow is never taken for zero."
    )
