"""The README's figures, reproduced as a notebook would: through ``import korus`` alone.

Two checks, both against text people read:

- docs/api.md, the API's worked example, is run as it is shown (its ``>>>`` blocks) and
  every output compared;
- the figures of the README's deficit, sectors, mirror and check examples (which
  tests/test_readme.py holds to what the command line prints) are read out of the README
  and recomputed here with the API's functions and pandas, each compared at the precision
  the README shows it. The notebook part uses nothing of korus but ``import korus``.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


# --- what the README shows -----------------------------------------------------------------


def readme_block(command: str) -> list[str]:
    """Return the lines the README shows under ``$ command``, up to the block's end."""
    lines = README.splitlines()
    start = lines.index(f"$ {command}")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("```", "$ ")))
    return lines[start + 1 : end]


def readme_markdown_output(command: str) -> list[str]:
    """Return the lines between the output markers under the README's ``$ command``."""
    lines = README.splitlines()
    start = lines.index(f"    $ {command}")
    first = lines.index("<!-- output -->", start)
    return lines[first + 1 : lines.index("<!-- end of output -->", first)]


def number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").replace("+", ""))


def same_as_shown(value: float, shown: str) -> bool:
    """Return whether ``value`` is what ``shown`` says, rounded as it is shown."""
    digits = len(shown.rstrip("%").split(".")[1]) if "." in shown else 0
    return round(value, digits) == number(shown)


def test_same_as_shown_compares_at_the_precision_shown():
    assert same_as_shown(-13199.723426, "-13,199.7")
    assert same_as_shown(109.2816, "+109.3%")
    assert not same_as_shown(-13199.76, "-13,199.7")
    assert not same_as_shown(109.2816, "+109.2%")


def cells(line: str) -> list[str]:
    """Return the cells of a table line printed for people (two spaces or more apart)."""
    return re.split(r"\s{2,}", line.strip())


def markdown_cells(line: str) -> list[str]:
    """Return a Markdown table row's cells, their escapes (\\$, \\_, \\&) undone."""
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [re.sub(r"\\([\\$_&|*`])", r"\1", part.strip()) for part in parts]


# --- the notebook ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def korus():
    import korus

    return korus


def test_the_readmes_deficit_table_is_the_apis(korus):
    shown = [cells(line) for line in readme_block("korus deficit --years 2011-2016")]
    years = [row for row in shown if re.fullmatch(r"\d{4}", row[0])]
    assert [int(row[0]) for row in years] == list(range(2011, 2017))
    deficit = korus.deficit(partner="Korea", years=range(2011, 2017)).set_index("year")
    millions = deficit[["exports", "imports", "balance"]] / 1e6
    for year, exports, imports, balance in years:
        for column, text in (("exports", exports), ("imports", imports), ("balance", balance)):
            assert same_as_shown(millions.loc[int(year), column], text), (year, column)

    summary = {row[0]: row[1:] for row in shown if row[0] in ("Exports", "Imports")}
    summary["Deficit"] = next(row[1:] for row in shown if row[0].startswith("Deficit"))
    series = {
        "Exports": millions["exports"],
        "Imports": millions["imports"],
        "Deficit": -millions["balance"],
    }
    for name, (first, last, change, pct, cagr) in summary.items():
        values = series[name]
        start, end = values.iloc[0], values.iloc[-1]
        assert same_as_shown(start, first) and same_as_shown(end, last), name
        assert same_as_shown(end - start, change), name
        assert same_as_shown((end / start - 1) * 100, pct), name
        assert same_as_shown(((end / start) ** (1 / 5) - 1) * 100, cagr), name


def test_the_readmes_deficit_source_basis_and_vintage_are_the_apis(korus):
    shown = readme_block("korus deficit --years 2011-2016")
    heads = ("Source: ", "Basis: ", "Vintage: ")
    said = dict(line.split(": ", 1) for line in shown if line.startswith(heads))
    row = korus.deficit(partner="KOR", years="2011-2016").iloc[-1]
    assert said["Source"] == row["source"] + "."
    assert said["Basis"] == row["basis"] + "."
    assert said["Vintage"] == row["vintage"] + "."


def test_the_readmes_sectors_table_is_the_apis(korus):
    shown = readme_block("korus sectors --year 2016 --flow imports --top 5")
    rows = [cells(line) for line in shown if re.match(r"^\s+\d{2}\s", line)]
    assert len(rows) == 5
    sectors = korus.sectors(year=2016, flow="imports", partner="KOR")
    top = sectors.head(5)
    assert top["product"].tolist() == [row[0] for row in rows]
    for (_, product), (code, _name, value, share) in zip(top.iterrows(), rows, strict=True):
        assert same_as_shown(product["value"] / 1e6, value), code
        # The table shows three significant figures of a share: 29.9%, 3.36%.
        assert f"{product['share_pct']:.3g}%" == share, code
    whole = next(cells(line) for line in shown if line.strip().startswith("All "))
    assert whole[0] == f"All {len(sectors)} chapters, 2016"
    assert same_as_shown(sectors.attrs["total"] / 1e6, whole[1])
    assert f"Basis: {sectors['basis'].iloc[0]}." in shown


def test_the_readmes_mirror_table_is_the_apis(korus):
    shown = readme_block("korus mirror --partner KOR --years 2016")
    rows = [cells(line) for line in shown if line.strip().startswith("2016 ")]
    mirror = korus.mirror(partner="KOR", years=2016).set_index("measure")
    assert [row[1] for row in rows] == mirror.index.tolist()
    for _, measure, ours, theirs, gap, gap_pct in rows:
        figures = mirror.loc[measure]
        assert same_as_shown(figures["reporter_value"] / 1e6, ours), measure
        assert same_as_shown(figures["partner_value"] / 1e6, theirs), measure
        assert same_as_shown(figures["gap"] / 1e6, gap), measure
        assert f"{figures['gap_pct']:+.3g}%" == gap_pct, measure
    caption = " ".join(line.strip() for line in shown)
    for side, code in (("reporter", "USA"), ("partner", "KOR")):
        first = mirror.iloc[0]
        said = f"{first[side + '_source']} ({first[side + '_basis']}); {first[side + '_vintage']}."
        assert f"As {code} reports: {said}" in caption


def test_the_readmes_check_verdicts_are_the_apis(korus):
    shown = readme_markdown_output("korus check examples/korus-2017-article.toml --format markdown")
    table = [markdown_cells(line) for line in shown if line.startswith("| ")]
    header = table.index(["Claim", "Definition", "Stated", "korus", "Verdict", "Detail"])
    counts_at = table.index(["Verdict", "Count"])
    claims = table[header + 1 : counts_at]
    counts = dict(table[counts_at + 1 :])

    verdicts = korus.check(str(ROOT / "examples" / "korus-2017-article.toml"))
    assert len(verdicts) == len(claims) == 19
    for (_, row), (claim, definition, stated, figure, verdict, detail) in zip(
        verdicts.iterrows(), claims, strict=True
    ):
        assert (row["claim"], row["definition"], row["stated"]) == (claim, definition, stated)
        assert (row["korus"], row["verdict_text"], row["detail"]) == (figure, verdict, detail)
    found = verdicts["verdict_text"].value_counts().to_dict()
    assert found == {name: int(count) for name, count in counts.items()}
    assert found["off"] == 5  # and so `korus check` exits 1, as the README says


# --- docs/api.md, run as it is shown ---------------------------------------------------------


def test_the_worked_example_of_docs_api_md_prints_what_it_shows(monkeypatch):
    import pandas as pd

    monkeypatch.chdir(ROOT)  # its paths are the repository's (examples/...)
    with pd.option_context("display.width", 80, "display.max_columns", 20):
        failed, tried = doctest.testfile(
            str(ROOT / "docs" / "api.md"),
            module_relative=False,
            optionflags=doctest.NORMALIZE_WHITESPACE,
            report=True,
            verbose=False,
        )
    assert tried >= 25
    assert failed == 0, "docs/api.md: an example printed something else (see the output above)"


def test_every_function_of_the_api_is_in_the_worked_example():
    import korus

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    example = text.split("## Reference", 1)[0]
    for name in korus._API:
        if name != "ingest":  # writes a store: shown in the README, tested in test_store.py
            assert f"korus.{name}(" in example, name
