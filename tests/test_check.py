"""korus check: published claims against the data, with verdicts a reader can follow."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from korus import claims
from korus.cli import cli

ARTICLE = Path(__file__).resolve().parents[1] / "examples" / "korus-2017-article.toml"


def verdicts(runner, *args):
    result = runner.invoke(cli, ["check", *args, "--format", "csv"])
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
    stated = claims.parse_stated(text)
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
    assert claims.judge(value, claims.parse_stated(text))[0] == verdict


def test_a_claims_file_with_an_unknown_measure_is_an_error(runner, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nmeasure = "surplus"\nyear = 2016\nstated = "1"\n')
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: claim 1: measure 'surplus' is not one of")
