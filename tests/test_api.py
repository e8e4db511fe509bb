"""korus from Python: the README's figures through the API alone, as a notebook would."""

from __future__ import annotations

import subprocess
import sys

import pytest

import korus
from conftest import make_frame
from korus.readers.tidy import write_csv


def test_importing_korus_loads_no_pandas():
    code = "import sys, korus; print('pandas' in sys.modules, callable(korus.deficit))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_the_deficit_with_korea_more_than_doubled_from_2011_to_2016():
    table = korus.deficit(partner="Korea", years=range(2011, 2017))
    assert table["year"].tolist() == list(range(2011, 2017))
    balance = table.set_index("year")["balance"] / 1e6
    assert round(balance[2011], 1) == -13199.7
    assert round(balance[2016], 1) == -27624.6
    assert round(table.set_index("year")["exports"][2016] / 1e6, 1) == 42262.2
    assert set(table["products"]) == {"all goods"}
    assert table["source"].iloc[0].startswith("US Census Bureau")


def test_the_deficit_carries_its_accounting_in_attrs():
    table = korus.deficit(partner="KOR", years="2016")
    accounting = table.attrs["accounting"]
    assert accounting and all(account.balanced() for account in accounting)


def test_growth_gives_the_cagr_inputs_of_the_readme():
    table = korus.growth("exports", partner="KOR", years="2011-2016")
    from korus import metrics

    first, last = table["value"].iloc[0], table["value"].iloc[-1]
    assert round(metrics.pct_change(first, last), 2) == -2.76
    assert table["measure"].unique().tolist() == ["exports"]


def test_autos_are_29_9_percent_of_us_imports_from_korea_in_2016():
    table = korus.sectors(year=2016, flow="imports")
    first = table.iloc[0]
    assert first["product"] == "87"
    assert round(first["value"] / 1e6, 1) == 21517.0
    assert round(first["share_pct"], 1) == 29.9
    assert round(table.attrs["total"] / 1e6, 1) == 71887.6


def test_sectors_default_to_the_latest_whole_year_of_product_figures():
    table = korus.sectors(flow="imports")
    assert set(table["year"]) == {2019}


def test_the_readme_claims_get_the_readme_verdicts():
    verdicts = korus.check("examples/korus-2017-article.toml")
    counts = verdicts["verdict"].value_counts().to_dict()
    assert counts == {"cannot": 9, "off": 5, "matches": 4, "matches-rounded": 1}
    row = verdicts.set_index("claim").loc["deficit-2016"]
    assert row["verdict"] == "matches" and round(row["value"] / 1e9, 2) == 27.62


def test_one_claim_is_checked_from_keywords():
    verdicts = korus.check(measure="deficit", year=2016, stated="$27.6 billion")
    assert verdicts["verdict"].tolist() == ["matches"]


def test_partners_rank_china_first_by_balance_in_2016():
    table = korus.partners(year=2016, by="balance")
    assert table["partner"].head(3).tolist() == ["CHN", "JPN", "DEU"]


def test_mirror_gives_both_sides_of_us_korea_trade_in_2016():
    table = korus.mirror(partner="KOR", years=2016)
    balance = table[table["measure"] == "USA balance"].iloc[0]
    assert round(balance["reporter_value"] / 1e6, 1) == -27624.6
    assert round(balance["partner_value"] / 1e6, 1) == -23246.4


def test_mirror_carries_each_sides_provenance_in_columns_vintage_too():
    row = korus.mirror(partner="KOR", years=2016).iloc[0]
    assert row["reporter_source"].startswith("US Census Bureau")
    assert row["partner_source"].startswith("KOSIS")
    assert row["reporter_vintage"] == "data through 2026-01"
    assert row["partner_vintage"].endswith("data through 2023")


def test_load_reads_a_file_with_the_settings_given(tmp_path):
    rows = [(2016, None, "export", "TOTAL", 10.0), (2016, None, "export", "TOTAL", 10.0)]
    frame = make_frame(rows)
    path = tmp_path / "twice.csv"
    write_csv(frame, path)
    with pytest.raises(korus.DataFileError, match="repeats another row exactly"):
        korus.load(path)
    loaded = korus.load(path, settings=korus.Settings(dedupe=True))
    assert loaded["value_usd"].tolist() == [10.0]
    assert loaded.attrs["accounting"][0].warnings


def test_a_question_the_data_cannot_answer_is_a_korus_error():
    with pytest.raises(korus.DataCoverageError, match="2026 holds January only"):
        korus.deficit(years=2026)


def test_a_single_year_question_refuses_a_range():
    with pytest.raises(korus.KorusError, match="is not one year"):
        korus.sectors(year="2015-2016")


def test_partners_over_a_range_ranks_each_year():
    table = korus.partners(year="2015-2016")
    assert table.groupby("year")["rank"].min().to_dict() == {2015: 1, 2016: 1}
    one = korus.partners(year=2016)
    both = table[table["year"] == 2016].reset_index(drop=True)
    assert both[["partner", "exports", "imports"]].equals(one[["partner", "exports", "imports"]])


def test_ingest_keeps_files_in_a_store_the_questions_read(tmp_path):
    store = tmp_path / "store"
    said = korus.ingest("examples/my-trade.csv", store)
    assert said == ["examples/my-trade.csv: added (4 rows)"]
    table = korus.deficit(years="2015-2016", data=store)
    assert (table["balance"] / 1e6).round(1).tolist() == [-28291.3, -27624.6]
    assert set(table["source"]) == {"my agency's table 3"}
    assert korus.ingest("examples/my-trade.csv", store) == ["examples/my-trade.csv: unchanged"]


def test_a_claims_span_may_be_written_with_an_en_dash():
    verdicts = korus.check(measure="pct_change", of="exports", years="2011–2016", stated="-2.7%")
    assert verdicts[["korus", "verdict"]].iloc[0].tolist() == ["-2.76%", "matches-rounded"]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("deficit", ["deficit", "--years", "2016"]),
        ("deficit", ["deficit", "--months", "2017-01..2017-09", "--ytd"]),
        ("growth", ["growth", "--years", "2011-2016"]),
        ("sectors", ["sectors", "--year", "2016"]),
        ("partners", ["partners", "--year", "2016"]),
        ("mirror", ["mirror", "--years", "2016"]),
        ("check", ["check", "--measure", "deficit", "--year", "2016", "--stated", "$27.6bn"]),
        ("check", ["check", "examples/korus-2017-article.toml"]),
        ("ingest", ["ingest", "examples/my-trade.csv", "--into", "never-written"]),
    ],
)
def test_each_command_is_a_thin_call_of_its_api_function(runner, monkeypatch, name, args):
    """The command line answers through the API: with the API's function replaced, the
    command says what the replacement says (and computes nothing of its own)."""
    from korus import api
    from korus.cli import cli

    def asked(*given, **keywords):
        raise korus.KorusError(f"answered by korus.{name}")

    monkeypatch.setattr(api, name, asked)
    result = runner.invoke(cli, [*args, "--format", "csv"] if name != "ingest" else args)
    assert result.exit_code == 1
    assert result.stderr == f"Error: answered by korus.{name}\n"
