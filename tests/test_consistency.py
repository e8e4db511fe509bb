"""One figure, every path: the same exports, imports, balance, change and share reached
through every command korus offers agree to the cent (or to the precision the path prints),
on the shipped data and on every real trade file in ../shared/data.

The paths compared, each through the command line and its machine output (JSON, at full
precision, in US dollars) unless a figure is printed for people only:

- ``deficit --years``: the reference figure of a year (``growth --years`` for a file of
  one flow, which deficit cannot answer);
- ``deficit --months Y-01..Y-12`` (month by month, added up), ``--ytd``, ``--rolling 12``,
  and ``growth --months``, where the data has months;
- ``growth --years --flow``: each year's value, its % change on the year before, and its
  % change and CAGR from first to last (full precision in the JSON of ``--years
  FIRST,LAST``; as printed in the summary, beside the summary deficit prints);
- ``partners --year --reporter``: the pair's row;
- ``sectors --year --flow``: the whole in the summary (whole dollars, as printed) and the
  groups added up, against the all-goods figure of the same source;
- ``mirror --years``: each side's figures against ``deficit`` on that side's data;
- ``check``: a claim stated with korus's own figure at full precision matches (every
  measure, by year and by month, and sector shares against ``sectors --by sector``);
- ``convert FILE -o out.csv`` / ``-o out.parquet``: each path gives the same answer with
  ``--data out.csv`` or ``out.parquet`` as with ``--data FILE``;
- the shipped data against the agency files it is built from, and the two downloads korus
  does not read yet (xfail).

Each file is read once for the module: korus's ``readers.load`` is wrapped so that a file
read once is handed, as a fresh copy, to every later question on it (the readers of these
layouts read the whole file whatever pair is asked: only BACI's scans by pair, and no BACI
file is here). Every answer is also kept, so a question several tests ask runs once.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import shared_file
from korus import metrics, readers
from korus.cli import cli
from korus.dataset import data_dir
from korus.render import format_money, format_percent

SHIPPED = "shipped"
# The shipped files asked for themselves (--data), for the all-goods figure of the source a
# shipped breakdown comes from (sectors reads these, deficit reads the Census country file).
SHIPPED_COMTRADE = "shipped:comtrade_usa_kor_hs2.parquet"
SHIPPED_ENDUSE = "shipped:census_enduse.parquet"

COUNTRY = "census/country.xlsx"
COUNTRY_2020 = "census/country_vintage-2020.xlsx"
ENDUSE_EXPORTS = "census/enduse_exports_2013_2022.csv"
ENDUSE_IMPORTS = "census/enduse_imports_2016_2025.xlsx"
ENDUSE_IMPORTS_EXTRA = "census/enduse_imports_2014_2023_extra-columns.xlsx"
CENSUS_API = "census/api_imports_hs2_korea_monthly_2013_2021.csv"
BALANCE_PAGE = "census/balance_page_c5700_china_monthly_2001_2019.csv"
COMTRADE = "comtrade/legacy_usa_kor_hs2_2010_2019.csv"
COMTRADE_PLUS = "comtrade/plus_api_response_chn_2010.json"
KOSIS = "kosis/korea_trade_by_partner_annual.csv"
KOSIS_MONTHLY = "kosis/korea_china_monthly_2001_2019.csv"
# The DataWeb workbook as downloaded (domestic exports to China by HTS chapter, 2023) and
# the Comtrade+ website download (Thailand's imports of HS 8542 from every partner). The
# DataWeb CSV in usitc/ names its product in its file name only: korus refuses it.
DATAWEB = "downloads/DataWeb-Query-Export.xlsx"
COMTRADE_PLUS_DOWNLOAD = "downloads/comtradeplus_download_tha_imports_hs8542_2014_2024.csv"

BOTH = ("exports", "imports")


# ---------------------------------------------------------------------------- asking korus


class Korus:
    """korus's command line, asked through click's runner: each file read once, each
    question asked once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.answers: dict[tuple[str, ...], str] = {}
        self.copies: dict[tuple[str, str], Path] = {}
        self.readings: dict[tuple, object] = {}
        self._read = readers.load

    def _load(self, paths, layout=None, dedupe=False, pair=None, one_side=False, equal=None):
        """korus's readers.load, each file read once: a copy of its first reading after
        (the whole file: the pair and row filters are hints the readers may ignore)."""
        key = (tuple(str(path) for path in paths), layout, dedupe)
        if key not in self.readings:
            self.readings[key] = self._read(list(paths), layout, dedupe)
        return copy.deepcopy(self.readings[key])

    def ask(self, *args: str) -> str:
        """Return the standard output of ``korus ARGS``, which must succeed."""
        if args not in self.answers:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(readers, "load", self._load)
                result = CliRunner().invoke(cli, list(args))
            assert result.exit_code == 0, (
                f"korus {' '.join(args)} exited {result.exit_code}: {result.stderr}"
                f"{result.exception if result.exit_code != 1 else ''}"
            )
            self.answers[args] = result.stdout
        return self.answers[args]

    def records(self, *args: str) -> list[dict]:
        """Return the rows of ``korus ARGS`` as JSON, money in US dollars."""
        return json.loads(self.ask(*args, "--format", "json", "--unit", "usd"))

    def summary(self, *args: str) -> list[list[str]]:
        """Return the summary rows under the table of ``korus ARGS`` in Markdown, as printed
        in US dollars (the figures printed for people only: a change's % and CAGR over the
        span, a breakdown's whole)."""
        text = self.ask(*args, "--format", "markdown", "--unit", "usd")
        tables: list[list[list[str]]] = []
        inside = False
        for line in text.splitlines():
            if not line.startswith("|"):
                inside = False
                continue
            if not inside:
                tables.append([])
                inside = True
            if set(line) <= set("|-: "):
                continue  # the line under the header
            tables[-1].append([cell.strip() for cell in line.strip().strip("|").split("|")])
        assert len(tables) == 2, f"korus {' '.join(args)}: no summary under the table"
        return tables[1]

    def copy(self, relative: str, kind: str) -> Path:
        """Return ``korus convert FILE -o out.KIND`` of a shared file, made once."""
        key = (relative, kind)
        if key not in self.copies:
            out = self.folder / f"{relative.replace('/', '_')}.{kind}"
            self.ask("convert", str(shared_file(relative)), "-o", str(out))
            self.copies[key] = out
        return self.copies[key]

    def data(self, source: str) -> list[str]:
        """Return the --data options of a source: none for the shipped data."""
        if source == SHIPPED:
            return []
        if source.startswith("shipped:"):
            return ["--data", str(data_dir() / source.split(":", 1)[1])]
        return ["--data", str(shared_file(source))]


@pytest.fixture(scope="module")
def korus(tmp_path_factory) -> Korus:
    return Korus(tmp_path_factory.mktemp("consistency"))


def cents(count: int = 1) -> float:
    """Return how far two money figures may be apart when each side is ``count`` figures
    printed to the cent and added up: half a cent a figure either side."""
    return 0.005 * (count + 1) + 1e-6


# ---------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """A reporter-partner pair of one source and a span of whole years it holds."""

    source: str
    reporter: str
    partner: str
    first: int
    last: int
    flows: tuple[str, ...] = BOTH

    def __str__(self) -> str:
        name = self.source.rsplit("/", 1)[-1].split(".")[0].replace("shipped:", "")
        span = f"{self.first}" if self.first == self.last else f"{self.first}-{self.last}"
        return f"{name}-{self.reporter}-{self.partner}-{span}"

    @property
    def years(self) -> str:
        return f"{self.first}-{self.last}"

    @property
    def pair(self) -> list[str]:
        return ["--reporter", self.reporter, "--partner", self.partner]


# Pairs whose files hold both flows. KOSIS is Korea's side (--reporter KOR); the Census
# balance page names no partner but its file name's code c5700, China.
TWO_FLOWS = [
    Case(SHIPPED, "USA", "KOR", 2011, 2016),
    Case(SHIPPED, "USA", "CHN", 2017, 2020),
    Case(SHIPPED, "USA", "JPN", 2020, 2025),
    Case(SHIPPED, "KOR", "USA", 2011, 2016),
    Case(SHIPPED, "KOR", "CHN", 2018, 2023),
    Case(COUNTRY, "USA", "KOR", 2011, 2016),
    Case(COUNTRY_2020, "USA", "KOR", 2014, 2019),
    Case(BALANCE_PAGE, "USA", "CHN", 2014, 2019),
    Case(COMTRADE, "USA", "KOR", 2011, 2016),
    # One year only: no change, no growth rate (left out of those paths below).
    Case(COMTRADE_PLUS, "CHN", "ARG", 2010, 2010),
    Case(COMTRADE_PLUS, "CHN", "DEU", 2010, 2010),
    Case(KOSIS, "KOR", "USA", 2011, 2016),
    Case(KOSIS, "KOR", "JPN", 2018, 2023),
    Case(KOSIS_MONTHLY, "KOR", "CHN", 2014, 2019),
]

# Files that hold one flow: the end-use files (exports or imports), the Census API answer and
# the DataWeb export (imports). deficit, a balance and mirror need both flows: these files
# go through every path that asks for the flow they have.
ONE_FLOW = [
    Case(ENDUSE_EXPORTS, "USA", "KOR", 2013, 2022, ("exports",)),
    Case(ENDUSE_EXPORTS, "USA", "CHN", 2016, 2022, ("exports",)),
    Case(ENDUSE_IMPORTS, "USA", "KOR", 2016, 2025, ("imports",)),
    Case(ENDUSE_IMPORTS_EXTRA, "USA", "CHN", 2014, 2023, ("imports",)),
    Case(CENSUS_API, "USA", "KOR", 2013, 2020, ("imports",)),
    Case(DATAWEB, "USA", "CHN", 2023, 2023, ("exports",)),
    Case(COMTRADE_PLUS_DOWNLOAD, "THA", "XOA", 2014, 2024, ("imports",)),
    Case(COMTRADE_PLUS_DOWNLOAD, "THA", "CHN", 2016, 2023, ("imports",)),
]

ALL_CASES = TWO_FLOWS + ONE_FLOW
SPANS = [case for case in ALL_CASES if case.last > case.first]


def flow_cases(cases, flows=("exports", "imports", "balance", "deficit")):
    """Return (case, flow) for every flow a case's data can answer."""
    return [
        pytest.param(case, flow, id=f"{case}-{flow}")
        for case in cases
        for flow in flows
        if flow in case.flows or (flow in ("balance", "deficit") and case.flows == BOTH)
    ]


# A change (a % change, a CAGR, a summary row) is asked of exports and of the deficit where
# the data has both flows: imports go through exports' lines, the balance through the
# deficit's (its negative); of the flow a file has otherwise.
CHANGE_FLOWS = ("exports", "deficit")


def change_flows(case: Case) -> tuple[str, ...]:
    return CHANGE_FLOWS if case.flows == BOTH else case.flows


def ids(cases):
    return [pytest.param(case, id=str(case)) for case in cases]


def year_figures(korus: Korus, case: Case) -> dict[int, dict[str, float]]:
    """Return each year's exports, imports, balance and deficit: deficit --years for a pair
    with both flows, else the flow the data has, from growth --years (the one path that
    answers a single flow by year)."""
    if case.flows == BOTH:
        rows = korus.records("deficit", *korus.data(case.source), *case.pair, "--years", case.years)
        return {
            row["year"]: {
                "exports": row["exports_usd"],
                "imports": row["imports_usd"],
                "balance": row["balance_usd"],
                "deficit": -row["balance_usd"],
            }
            for row in rows
        }
    (flow,) = case.flows
    rows = korus.records(
        "growth", *korus.data(case.source), *case.pair, "--years", case.years, "--flow", flow
    )
    return {row["year"]: {flow: row["value_usd"]} for row in rows}


# ---------------------------------------------------------------------------- deficit, growth


def test_the_cases_cover_every_real_trade_file_korus_reads():
    covered = {case.source for case in ALL_CASES} - {SHIPPED}
    assert covered == {
        COUNTRY,
        COUNTRY_2020,
        ENDUSE_EXPORTS,
        ENDUSE_IMPORTS,
        ENDUSE_IMPORTS_EXTRA,
        CENSUS_API,
        BALANCE_PAGE,
        COMTRADE,
        COMTRADE_PLUS,
        KOSIS,
        KOSIS_MONTHLY,
        DATAWEB,
        COMTRADE_PLUS_DOWNLOAD,
    }


@pytest.mark.parametrize("case", ids(case for case in TWO_FLOWS))
def test_deficit_gives_every_year_asked_once_with_a_balance_of_its_flows(korus, case):
    figures = year_figures(korus, case)
    assert sorted(figures) == list(range(case.first, case.last + 1))
    for year, row in figures.items():
        # A source's own balance (the Census balance page: a year is its twelve months'
        # balances added up) may differ from exports minus imports by the page's rounding
        # of each month's three figures to 0.1 million; every other source's balance is
        # the difference.
        slack = 12 * 3 * 50_000.0 if case.source == BALANCE_PAGE else cents(2)
        assert row["balance"] == pytest.approx(row["exports"] - row["imports"], abs=slack), year


def growth_cases(cases, flows=("exports", "imports", "balance", "deficit")):
    return list(flow_cases(cases, flows))


def change_cases(cases):
    """Return (case, flow) of the flows a change is asked of (CHANGE_FLOWS), case by case."""
    return [param for case in cases for param in growth_cases([case], change_flows(case))]


# Files of one flow have no deficit: growth is what their other paths (partners, sectors,
# check, months) are compared with.
@pytest.mark.parametrize(("case", "flow"), growth_cases(TWO_FLOWS))
def test_growth_shows_each_year_the_value_deficit_gives(korus, case, flow):
    rows = korus.records(
        "growth", *korus.data(case.source), *case.pair, "--years", case.years, "--flow", flow
    )
    expected = year_figures(korus, case)
    assert [row["year"] for row in rows] == sorted(expected)
    for row in rows:
        assert row["value_usd"] == pytest.approx(expected[row["year"]][flow], abs=cents()), row


@pytest.mark.parametrize(("case", "flow"), growth_cases(SPANS))
def test_growth_on_the_year_before_is_metrics_pct_change_at_full_precision(korus, case, flow):
    rows = korus.records(
        "growth", *korus.data(case.source), *case.pair, "--years", case.years, "--flow", flow
    )
    figures = year_figures(korus, case)
    shown = {row["year"]: row["pct_change"] for row in rows[1:]}
    expected = {
        year: metrics.pct_change(figures[year - 1][flow], figures[year][flow])
        for year in range(case.first + 1, case.last + 1)
    }
    assert shown == {
        year: None if value is None else pytest.approx(value) for year, value in expected.items()
    }


# --years FIRST,LAST: the last row's change is over the whole span, at full precision.
@pytest.mark.parametrize(("case", "flow"), change_cases(SPANS))
def test_growth_from_first_to_last_year_is_metrics_pct_change_at_full_precision(korus, case, flow):
    rows = korus.records(
        "growth",
        *korus.data(case.source),
        *case.pair,
        "--years",
        f"{case.first},{case.last}",
        "--flow",
        flow,
    )
    figures = year_figures(korus, case)
    first, last = figures[case.first][flow], figures[case.last][flow]
    assert rows[-1]["years_between"] == case.last - case.first
    expected = metrics.pct_change(first, last)
    assert rows[-1]["pct_change"] == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(("case", "flow"), change_cases(SPANS))
def test_growth_summary_prints_the_change_pct_change_and_cagr_of_the_deficit_figures(
    korus, case, flow
):
    (row,) = korus.summary(
        "growth", *korus.data(case.source), *case.pair, "--years", case.years, "--flow", flow
    )[1:]
    figures = year_figures(korus, case)
    first, last = figures[case.first][flow], figures[case.last][flow]
    assert row == [
        f"{case.first} to {case.last}",
        format_money(last - first, "usd"),
        format_percent(metrics.pct_change(first, last), signed=True),
        format_percent(metrics.cagr(first, last, case.last - case.first), signed=True),
    ]


def _net_flow(first: float, last: float) -> tuple[str, str]:
    """Return the row deficit's summary shows for a balance, and the growth flow that says
    the same: a deficit in both years, a surplus in both, or a balance across zero."""
    if first < 0 and last < 0:
        return "Deficit (imports - exports)", "deficit"
    if first > 0 and last > 0:
        return "Surplus (exports - imports)", "balance"
    return "Balance", "balance"


@pytest.mark.parametrize(
    ("case", "flow"),
    [
        pytest.param(
            case,
            flow,
            id=f"{case}-{flow}",
        )
        for case in SPANS
        if case.flows == BOTH
        for flow in ("exports", "net")
    ],
)
def test_deficit_summary_says_what_growth_says_of_the_same_span(korus, case, flow):
    figures = year_figures(korus, case)
    label, growth_flow = ("Exports", "exports")
    if flow == "net":
        label, growth_flow = _net_flow(
            figures[case.first]["balance"], figures[case.last]["balance"]
        )
    summary = korus.summary("deficit", *korus.data(case.source), *case.pair, "--years", case.years)
    (row,) = [row for row in summary if row[0] == label]
    (growth,) = korus.summary(
        "growth", *korus.data(case.source), *case.pair, "--years", case.years, "--flow", growth_flow
    )[1:]
    # deficit: label, first, last, change, % change, CAGR; growth: span, change, %, CAGR.
    assert row[3:] == growth[1:]


# ---------------------------------------------------------------------------- months


@dataclass(frozen=True)
class Months:
    """The months January to ``last_month`` of ``year`` of a pair whose data has months."""

    case: Case
    year: int
    last_month: int = 12

    def __str__(self) -> str:
        return f"{self.case}-months-{self.year}-01..{self.year}-{self.last_month:02d}"

    def span(self, year: int) -> str:
        return f"{year}-01..{year}-{self.last_month:02d}"


def _months_of(source: str, reporter: str, partner: str, year: int, last: int = 12) -> Months:
    case = next(
        case
        for case in ALL_CASES
        if (case.source, case.reporter, case.partner) == (source, reporter, partner)
    )
    return Months(case, year, last)


# Left out, as their data has no months: Korea's side in the shipped data (KOSIS annual),
# the Comtrade files, KOSIS annual and the end-use files (whole years only).
MONTHS = [
    _months_of(SHIPPED, "USA", "KOR", 2016),
    _months_of(SHIPPED, "USA", "CHN", 2019),
    _months_of(SHIPPED, "USA", "JPN", 2025),
    _months_of(COUNTRY, "USA", "KOR", 2016),
    _months_of(COUNTRY_2020, "USA", "KOR", 2019),
    _months_of(COUNTRY_2020, "USA", "KOR", 2020, 8),  # the file's last months: a partial year
    _months_of(BALANCE_PAGE, "USA", "CHN", 2019),
    _months_of(KOSIS_MONTHLY, "KOR", "CHN", 2019),
    # Files of one flow: their months are compared with their years, so whole years only
    # (a part of a year of one flow has no second path: --ytd is deficit's, of both flows).
    _months_of(CENSUS_API, "USA", "KOR", 2020),
]
WHOLE_MONTHS = [months for months in MONTHS if months.last_month == 12]


def month_rows(korus: Korus, months: Months, year: int) -> list[dict]:
    """Return deficit --months month by month for ``year``'s months."""
    case = months.case
    return korus.records(
        "deficit", *korus.data(case.source), *case.pair, "--months", months.span(year)
    )


def added_up(rows: list[dict], column: str) -> float:
    values = [row[column] for row in rows]
    assert None not in values, f"a figure of {column} is missing"
    return sum(values)


@pytest.mark.parametrize(
    "months", [pytest.param(m, id=str(m)) for m in WHOLE_MONTHS if m.case.flows == BOTH]
)
def test_twelve_months_added_up_give_the_year_deficit_gives(korus, months):
    case = months.case
    rows = month_rows(korus, months, months.year)
    (year,) = korus.records(
        "deficit", *korus.data(case.source), *case.pair, "--years", str(months.year)
    )
    assert len(rows) == 12
    for column in ("exports_usd", "imports_usd", "balance_usd"):
        assert added_up(rows, column) == pytest.approx(year[column], abs=cents(12)), column


@pytest.mark.parametrize(
    "months", [pytest.param(m, id=str(m)) for m in WHOLE_MONTHS if m.case.flows == BOTH]
)
def test_a_twelve_month_year_to_date_is_the_year_and_the_year_before(korus, months):
    case = months.case
    ytd = korus.records(
        "deficit",
        *korus.data(case.source),
        *case.pair,
        "--months",
        months.span(months.year),
        "--ytd",
    )
    years = korus.records(
        "deficit",
        *korus.data(case.source),
        *case.pair,
        "--years",
        f"{months.year - 1},{months.year}",
    )
    for period, year in zip(ytd, years, strict=True):
        for column in ("exports_usd", "imports_usd", "balance_usd"):
            assert period[column] == pytest.approx(year[column], abs=cents()), (period, column)


@pytest.mark.parametrize(
    "months", [pytest.param(m, id=str(m)) for m in MONTHS if m.case.flows == BOTH]
)
def test_year_to_date_adds_up_the_months_month_by_month(korus, months):
    case = months.case
    ytd = korus.records(
        "deficit",
        *korus.data(case.source),
        *case.pair,
        "--months",
        months.span(months.year),
        "--ytd",
    )
    for period, year in zip(ytd, (months.year - 1, months.year), strict=True):
        rows = month_rows(korus, months, year)
        assert period["months"] == len(rows) == months.last_month
        for column in ("exports_usd", "imports_usd", "balance_usd"):
            expected = added_up(rows, column)
            assert period[column] == pytest.approx(expected, abs=cents(len(rows))), (year, column)


@pytest.mark.parametrize(
    "months", [pytest.param(m, id=str(m)) for m in WHOLE_MONTHS if m.case.flows == BOTH]
)
def test_a_rolling_twelve_months_ending_in_december_is_the_year(korus, months):
    case = months.case
    (rolling,) = korus.records(
        "deficit",
        *korus.data(case.source),
        *case.pair,
        "--months",
        f"{months.year}-12",
        "--rolling",
        "12",
    )
    (year,) = korus.records(
        "deficit", *korus.data(case.source), *case.pair, "--years", str(months.year)
    )
    for column in ("exports_usd", "imports_usd", "balance_usd"):
        assert rolling[column] == pytest.approx(year[column], abs=cents()), column


@pytest.mark.parametrize(
    ("months", "flow"),
    [
        pytest.param(m, flow, id=f"{m}-{flow}")
        for m in MONTHS
        if m.case.flows == BOTH
        for flow in ("exports", "deficit")
    ],
)
def test_growth_shows_each_month_the_value_deficit_gives_for_it(korus, months, flow):
    case = months.case
    rows = korus.records(
        "growth",
        *korus.data(case.source),
        *case.pair,
        "--months",
        months.span(months.year),
        "--flow",
        flow,
    )
    column = "balance_usd" if flow == "deficit" else f"{flow}_usd"
    sign = -1 if flow == "deficit" else 1
    expected = {
        (row["year"], row["month"]): pytest.approx(sign * row[column], abs=cents())
        for row in month_rows(korus, months, months.year)
    }
    assert {(row["year"], row["month"]): row["value_usd"] for row in rows} == expected


@pytest.mark.parametrize(
    "months", [pytest.param(m, id=str(m)) for m in MONTHS if m.case.flows == BOTH]
)
def test_check_judges_a_months_figures_stated_as_deficit_gives_them_as_matching(korus, months):
    case = months.case
    month = f"{months.year}-{months.last_month:02d}"
    (row,) = [r for r in month_rows(korus, months, months.year) if r["month"] == months.last_month]
    figures = {
        "exports": row["exports_usd"],
        "imports": row["imports_usd"],
        "balance": row["balance_usd"],
        "deficit": -row["balance_usd"],
    }
    path = korus.folder / f"claims-{months}.toml"
    path.write_text(
        "\n".join(
            f"[[claim]]\nid = {measure!r}\nmeasure = {measure!r}\nmonth = {month!r}\n"
            f"reporter = {case.reporter!r}\npartner = {case.partner!r}\n"
            f"stated = {stated_money(figure)!r}\n"
            for measure, figure in figures.items()
        ),
        encoding="utf-8",
    )
    verdicts = korus.records("check", *korus.data(case.source), str(path))
    assert {r["claim"]: (r["verdict"], r["value"]) for r in verdicts} == {
        measure: ("matches", pytest.approx(figure, abs=cents()))
        for measure, figure in figures.items()
    }


# Files of one flow: deficit needs both flows, so growth --months (each month beside the same
# month a year earlier) is the path that gives their months.
@pytest.mark.parametrize(
    "months", [pytest.param(m, id=str(m)) for m in WHOLE_MONTHS if m.case.flows != BOTH]
)
def test_growth_months_added_up_give_the_year_and_the_year_before(korus, months):
    case = months.case
    (flow,) = case.flows
    rows = korus.records(
        "growth",
        *korus.data(case.source),
        *case.pair,
        "--months",
        months.span(months.year),
        "--flow",
        flow,
    )
    figures = year_figures(korus, case)
    assert added_up(rows, "value_usd") == pytest.approx(figures[months.year][flow], abs=cents(12))
    assert added_up(rows, "value_year_earlier_usd") == pytest.approx(
        figures[months.year - 1][flow], abs=cents(12)
    )


# ---------------------------------------------------------------------------- partners


def partner_row(korus: Korus, case: Case) -> dict:
    by = [] if case.flows == BOTH else ["--by", case.flows[0]]
    rows = korus.records(
        "partners",
        *korus.data(case.source),
        "--reporter",
        case.reporter,
        "--year",
        str(case.last),
        *by,
    )
    (row,) = [row for row in rows if row["partner"] == case.partner]
    return row


@pytest.mark.parametrize("case", [pytest.param(case, id=str(case)) for case in TWO_FLOWS])
def test_a_partners_row_is_what_deficit_gives_for_the_pair(korus, case):
    row = partner_row(korus, case)
    expected = year_figures(korus, case)[case.last]
    assert (row["exports_usd"], row["imports_usd"], row["balance_usd"]) == (
        pytest.approx(expected["exports"], abs=cents()),
        pytest.approx(expected["imports"], abs=cents()),
        pytest.approx(expected["balance"], abs=cents()),
    )


@pytest.mark.parametrize("case", ids(ONE_FLOW))
def test_a_partners_row_of_one_flow_is_what_growth_gives_and_the_other_flow_is_missing(korus, case):
    row = partner_row(korus, case)
    (flow,) = case.flows
    other = "imports" if flow == "exports" else "exports"
    expected = year_figures(korus, case)[case.last][flow]
    assert (row[f"{flow}_usd"], row[f"{other}_usd"], row["balance_usd"]) == (
        pytest.approx(expected, abs=cents()),
        None,
        None,
    )


# ---------------------------------------------------------------------------- sectors


@dataclass(frozen=True)
class Breakdown:
    """A pair's product groups in one year: ``sectors`` on ``source``, whose all-goods figure
    is asked of ``whole`` (the same data: sectors reads the shipped Comtrade or end-use
    file, deficit the Census country file)."""

    source: str
    whole: str
    reporter: str
    partner: str
    year: int
    by: str = "chapter"
    flows: tuple[str, ...] = BOTH

    def __str__(self) -> str:
        name = self.whole.rsplit("/", 1)[-1].split(".")[0].replace("shipped:", "shipped-")
        return f"{name}-{self.reporter}-{self.partner}-{self.year}-by-{self.by}"

    @property
    def case(self) -> Case:
        return Case(self.whole, self.reporter, self.partner, self.year, self.year, self.flows)


# Left out, as they hold all goods only: the Census country files, the balance page, the
# Comtrade+ answer and both KOSIS files.
BREAKDOWNS = [
    Breakdown(SHIPPED, SHIPPED_COMTRADE, "USA", "KOR", 2011),
    Breakdown(SHIPPED, SHIPPED_COMTRADE, "USA", "KOR", 2016),
    Breakdown(SHIPPED, SHIPPED_ENDUSE, "USA", "KOR", 2016, "enduse"),
    Breakdown(SHIPPED, SHIPPED_ENDUSE, "USA", "CHN", 2022, "enduse"),
    Breakdown(COMTRADE, COMTRADE, "USA", "KOR", 2013),
    Breakdown(ENDUSE_EXPORTS, ENDUSE_EXPORTS, "USA", "KOR", 2016, "enduse", ("exports",)),
    Breakdown(ENDUSE_IMPORTS, ENDUSE_IMPORTS, "USA", "CHN", 2020, "enduse", ("imports",)),
    Breakdown(
        ENDUSE_IMPORTS_EXTRA, ENDUSE_IMPORTS_EXTRA, "USA", "KOR", 2018, "enduse", ("imports",)
    ),
    Breakdown(CENSUS_API, CENSUS_API, "USA", "KOR", 2016, "chapter", ("imports",)),
    Breakdown(DATAWEB, DATAWEB, "USA", "CHN", 2023, "chapter", ("exports",)),
]


def breakdown_flows(breakdowns, flows=("exports", "imports", "balance")):
    return [
        pytest.param(breakdown, flow, id=f"{breakdown}-{flow}")
        for breakdown in breakdowns
        for flow in flows
        if flow in breakdown.flows or (flow == "balance" and breakdown.flows == BOTH)
    ]


def sector_options(breakdown: Breakdown, flow: str) -> tuple[str, ...]:
    return (
        "--reporter",
        breakdown.reporter,
        "--partner",
        breakdown.partner,
        "--year",
        str(breakdown.year),
        "--by",
        breakdown.by,
        "--flow",
        flow,
    )


def sector_args(korus: Korus, breakdown: Breakdown, flow: str) -> list[str]:
    return ["sectors", *korus.data(breakdown.source), *sector_options(breakdown, flow)]


@pytest.mark.parametrize(("breakdown", "flow"), breakdown_flows(BREAKDOWNS))
def test_the_whole_of_a_breakdown_is_the_all_goods_figure_of_its_source(korus, breakdown, flow):
    (*_, whole) = korus.summary(*sector_args(korus, breakdown, flow))
    expected = year_figures(korus, breakdown.case)[breakdown.year][flow]
    assert whole[1] == format_money(expected, "usd")


@pytest.mark.parametrize(("breakdown", "flow"), breakdown_flows(BREAKDOWNS, BOTH))
def test_the_groups_of_a_breakdown_add_up_to_the_all_goods_flow(korus, breakdown, flow):
    rows = korus.records(*sector_args(korus, breakdown, flow))
    expected = year_figures(korus, breakdown.case)[breakdown.year][flow]
    # A group shown n/a has no row of the flow in the data: nothing of it is in the whole.
    present = [row for row in rows if row["value_usd"] is not None]
    assert added_up(present, "value_usd") == pytest.approx(expected, abs=cents(len(present)))


@pytest.mark.parametrize(("breakdown", "flow"), breakdown_flows(BREAKDOWNS, ("balance",)))
@pytest.mark.parametrize("side", BOTH)
def test_the_flows_a_breakdowns_balance_nets_add_up_to_the_all_goods_flows(
    korus, breakdown, flow, side
):
    rows = korus.records(*sector_args(korus, breakdown, flow))
    expected = year_figures(korus, breakdown.case)[breakdown.year][side]
    present = [row for row in rows if row[f"{side}_usd"] is not None]
    assert added_up(present, f"{side}_usd") == pytest.approx(expected, abs=cents(len(present)))


# The HS chapters of the Comtrade data lack imports in some chapters (HS 02 in 2013 and 2016,
# HS 02 and 14 in 2011): those chapters' balances are n/a while their exports are in the
# whole, so their balances cannot add up to it; the end-use breakdowns miss none.
COMPLETE_BALANCES = [
    breakdown
    for breakdown in BREAKDOWNS
    if breakdown.flows == BOTH and breakdown.whole == SHIPPED_ENDUSE
]


@pytest.mark.parametrize(("breakdown", "flow"), breakdown_flows(COMPLETE_BALANCES, ("balance",)))
def test_the_groups_balances_add_up_to_the_all_goods_balance_where_none_is_missing(
    korus, breakdown, flow
):
    rows = korus.records(*sector_args(korus, breakdown, flow))
    expected = year_figures(korus, breakdown.case)[breakdown.year]["balance"]
    assert added_up(rows, "value_usd") == pytest.approx(expected, abs=cents(len(rows)))


# ---------------------------------------------------------------------------- mirror


@dataclass(frozen=True)
class Mirror:
    """Both sides of a pair's trade: the reporter's figures from ``own``, the partner's from
    ``other`` (the shipped data holds both: the Census file and KOSIS)."""

    own: str
    other: str
    reporter: str
    partner: str
    first: int
    last: int

    def __str__(self) -> str:
        def name(source: str) -> str:
            return source.rsplit("/", 1)[-1].split(".")[0]

        return f"{name(self.own)}+{name(self.other)}-{self.reporter}-{self.partner}"

    def side(self, which: str) -> Case:
        if which == "reporter":
            return Case(self.own, self.reporter, self.partner, self.first, self.last)
        return Case(self.other, self.partner, self.reporter, self.first, self.last)

    def data(self, korus: Korus) -> list[str]:
        if self.own == self.other == SHIPPED:
            return []
        return [*korus.data(self.own), *korus.data(self.other)]


# Only US-Korea trade is reported by both sides in these files (the Census files and Comtrade
# for the US, KOSIS for Korea); KOSIS's Korea-China months have no Chinese side, the balance
# page's US-China none either, and the Comtrade+ answer is China's side only. The shipped
# data is the Census country file and KOSIS: the two files stacked would ask it again.
MIRRORS = [
    Mirror(SHIPPED, SHIPPED, "USA", "KOR", 2011, 2016),
    Mirror(SHIPPED, SHIPPED, "KOR", "USA", 2014, 2016),
    Mirror(COMTRADE, KOSIS, "USA", "KOR", 2012, 2016),
]


def mirror_rows(korus: Korus, mirror: Mirror) -> dict[tuple[int, str], dict]:
    rows = korus.records(
        "mirror",
        *mirror.data(korus),
        "--reporter",
        mirror.reporter,
        "--partner",
        mirror.partner,
        "--years",
        f"{mirror.first}-{mirror.last}",
    )
    return {(row["year"], row["measure"]): row for row in rows}


@pytest.mark.parametrize("mirror", [pytest.param(m, id=str(m)) for m in MIRRORS])
def test_mirror_gives_the_reporters_side_as_deficit_gives_it_on_the_reporters_data(korus, mirror):
    rows = mirror_rows(korus, mirror)
    own = year_figures(korus, mirror.side("reporter"))
    r, p = mirror.reporter, mirror.partner
    shown = {
        (year, measure): rows[(year, measure)]["reporter_value_usd"]
        for year in own
        for measure in (f"{r} to {p}", f"{p} to {r}", f"{r} balance")
    }
    expected = {
        (year, measure): pytest.approx(value, abs=cents())
        for year, figures in own.items()
        for measure, value in (
            (f"{r} to {p}", figures["exports"]),
            (f"{p} to {r}", figures["imports"]),
            (f"{r} balance", figures["balance"]),
        )
    }
    assert shown == expected


@pytest.mark.parametrize("mirror", [pytest.param(m, id=str(m)) for m in MIRRORS])
def test_mirror_gives_the_partners_side_as_deficit_gives_it_on_the_partners_data(korus, mirror):
    rows = mirror_rows(korus, mirror)
    other = year_figures(korus, mirror.side("partner"))
    r, p = mirror.reporter, mirror.partner
    shown = {
        (year, measure): rows[(year, measure)]["partner_value_usd"]
        for year in other
        for measure in (f"{r} to {p}", f"{p} to {r}", f"{r} balance")
    }
    # The partner's imports from the reporter, its exports to it, and its balance seen
    # from the reporter's side (its negative).
    expected = {
        (year, measure): pytest.approx(value, abs=cents())
        for year, figures in other.items()
        for measure, value in (
            (f"{r} to {p}", figures["imports"]),
            (f"{p} to {r}", figures["exports"]),
            (f"{r} balance", -figures["balance"]),
        )
    }
    assert shown == expected


# ---------------------------------------------------------------------------- check


def stated_money(value: float) -> str:
    """Return a figure in US dollars to the cent, as a claim would state it."""
    return f"{'-' if value < 0 else ''}${abs(value):.2f}"


def stated_percent(value: float) -> str:
    """Return a percentage to 8 decimals: far below what any figure here is known to."""
    return f"{value:.8f}%"


SERIES = ("exports", "imports", "balance", "deficit")


def series_of(case: Case) -> list[str]:
    return [flow for flow in SERIES if flow in case.flows or case.flows == BOTH]


def korus_figure(korus: Korus, case: Case, measure: str, of: str) -> float | None:
    """Return korus's own figure of a claim, from deficit's (or growth's) figures through
    korus.metrics: a level in the last year, a % change or CAGR over the span."""
    figures = year_figures(korus, case)
    if measure in SERIES:
        return figures[case.last][measure]
    first, last = figures[case.first][of], figures[case.last][of]
    if measure == "pct_change":
        return metrics.pct_change(first, last)
    return metrics.cagr(first, last, case.last - case.first)


def claims_of(case: Case) -> list[tuple[str, str]]:
    """Return (measure, of) of every claim on a case's data: each level of the last year, and
    the % change and CAGR over the span of the flows a change is asked of."""
    claims = [(flow, flow) for flow in series_of(case)]
    if case.last > case.first:
        claims += [(measure, of) for measure in ("pct_change", "cagr") for of in change_flows(case)]
    return claims


def claims_file(korus: Korus, case: Case) -> Path:
    """Return a claims file of every claim on a case's data, each stated with korus's own
    figure (written once)."""
    path = korus.folder / f"claims-{case}.toml"
    if path.exists():
        return path
    lines = []
    for measure, of in claims_of(case):
        figure = korus_figure(korus, case, measure, of)
        if figure is None:
            continue  # no figure to state: see the test of claims korus cannot compute
        period = (
            f"year = {case.last}"
            if measure in SERIES
            else f"years = [{case.first}, {case.last}]\nof = {of!r}"
        )
        stated = stated_money(figure) if measure in SERIES else stated_percent(figure)
        lines.append(
            f"[[claim]]\nid = '{measure}-{of}'\nmeasure = {measure!r}\n{period}\n"
            f"reporter = {case.reporter!r}\npartner = {case.partner!r}\nstated = {stated!r}\n"
        )
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def claim_verdicts(korus: Korus, case: Case) -> dict[str, dict]:
    """Return check's verdict on each claim of a case (one claims file, checked in one run)."""
    rows = korus.records("check", *korus.data(case.source), str(claims_file(korus, case)))
    return {row["claim"]: row for row in rows}


# The balance with China that Korea reports changes sign between 2018 (a surplus) and 2023
# (a deficit): neither a % change nor a CAGR of it is defined, so there is no figure to
# state (check's answer there is tested below).
SIGN_CHANGES = {(str(Case(SHIPPED, "KOR", "CHN", 2018, 2023)), "deficit")}


def check_cases():
    params = []
    for case in ALL_CASES:
        for measure, of in claims_of(case):
            if measure not in SERIES and (str(case), of) in SIGN_CHANGES:
                continue
            label = measure if measure in SERIES else f"{measure}-of-{of}"
            params.append(pytest.param(case, measure, of, id=f"{case}-{label}"))
    return params


@pytest.mark.parametrize(("case", "measure", "of"), check_cases())
def test_check_judges_a_claim_of_korus_own_figure_at_full_precision_as_matching(
    korus, case, measure, of
):
    verdict = claim_verdicts(korus, case)[f"{measure}-{of}"]
    figure = korus_figure(korus, case, measure, of)
    assert (verdict["verdict"], verdict["value"]) == (
        "matches",
        pytest.approx(figure, abs=cents()) if measure in SERIES else pytest.approx(figure),
    )


@pytest.mark.parametrize("measure", ["pct_change", "cagr"])
@pytest.mark.parametrize("of", ["balance", "deficit"])
def test_check_cannot_compute_a_change_of_a_balance_that_changes_sign(korus, measure, of):
    case = Case(SHIPPED, "KOR", "CHN", 2018, 2023)
    assert korus_figure(korus, case, measure, of) is None
    (verdict,) = korus.records(
        "check",
        "--measure",
        measure,
        "--of",
        of,
        "--years",
        f"{case.first},{case.last}",
        *case.pair,
        "--stated",
        "5%",
    )
    assert verdict["verdict"] == "cannot"


@dataclass(frozen=True)
class Share:
    """A sector's share of a flow in a year, on one definition: check's figure against the
    share sectors --by sector gives on the data of that definition."""

    source: str  # what check reads
    definitions: str  # what sectors reads for this definition's figure
    reporter: str
    partner: str
    year: int
    sector: str
    of: str
    definition: str

    def __str__(self) -> str:
        name = self.source.rsplit("/", 1)[-1].split(".")[0]
        return f"{name}-{self.partner}-{self.year}-{self.sector}-{self.of}-{self.definition}"


# With the shipped data check judges a sector on each definition korus ships: HS codes on the
# Comtrade chapters (which sectors --by sector reads), end-use codes on the Census end-use
# file (asked for by --data); with a file, on that file.
SHARES = [
    Share(SHIPPED, SHIPPED, "USA", "KOR", 2016, "vehicles", "balance", "HS 87"),
    Share(SHIPPED, SHIPPED_ENDUSE, "USA", "KOR", 2016, "vehicles", "balance", "end-use 3"),
    Share(SHIPPED, SHIPPED, "USA", "KOR", 2016, "vehicles", "imports", "HS 87"),
    Share(SHIPPED, SHIPPED_ENDUSE, "USA", "KOR", 2016, "vehicles", "imports", "end-use 3"),
    Share(SHIPPED, SHIPPED, "USA", "KOR", 2012, "machinery", "exports", "HS 84-85"),
    Share(SHIPPED, SHIPPED_ENDUSE, "USA", "CHN", 2020, "agriculture-food", "exports", "end-use 0"),
    Share(COMTRADE, COMTRADE, "USA", "KOR", 2013, "vehicles", "balance", "HS 87"),
    Share(ENDUSE_EXPORTS, ENDUSE_EXPORTS, "USA", "KOR", 2016, "vehicles", "exports", "end-use 3"),
    Share(ENDUSE_IMPORTS, ENDUSE_IMPORTS, "USA", "CHN", 2020, "vehicles", "imports", "end-use 3"),
    Share(CENSUS_API, CENSUS_API, "USA", "KOR", 2016, "vehicles", "imports", "HS 87"),
]


@pytest.mark.parametrize("share", [pytest.param(s, id=str(s)) for s in SHARES])
def test_check_judges_a_share_stated_as_sectors_gives_it_as_matching(korus, share):
    rows = korus.records(
        "sectors",
        *korus.data(share.definitions),
        "--reporter",
        share.reporter,
        "--partner",
        share.partner,
        "--year",
        str(share.year),
        "--by",
        "sector",
        "--flow",
        share.of,
    )
    (sector,) = [row for row in rows if row["product"] == share.sector]
    verdicts = korus.records(
        "check",
        "--exit-zero",  # the other definition's verdict may be off: this one is asked of
        *korus.data(share.source),
        "--measure",
        "share",
        "--sector",
        share.sector,
        "--of",
        share.of,
        "--year",
        str(share.year),
        "--reporter",
        share.reporter,
        "--partner",
        share.partner,
        "--stated",
        stated_percent(sector["share_pct"]),
    )
    (verdict,) = [row for row in verdicts if row["definition"] == share.definition]
    assert (verdict["verdict"], verdict["value"]) == (
        "matches",
        pytest.approx(sector["share_pct"]),
    )


# ---------------------------------------------------------------------------- convert


CLAIMS = "CLAIMS"


def questions_of(relative: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Return (label, command, options) of a question of each path the other tests ask of a
    file (of its first pair, months and breakdown), for its converted copies to answer.
    check's options are its claims file, written when asked (CLAIMS)."""
    asked = []
    case = next(case for case in ALL_CASES if case.source == relative)
    flow = "deficit" if case.flows == BOTH else case.flows[0]
    if case.flows == BOTH:
        asked.append(("deficit", "deficit", (*case.pair, "--years", case.years)))
    asked.append((f"growth-{flow}", "growth", (*case.pair, "--years", case.years, "--flow", flow)))
    by = () if case.flows == BOTH else ("--by", case.flows[0])
    asked.append(
        ("partners", "partners", ("--reporter", case.reporter, "--year", str(case.last), *by))
    )
    asked.append(("check", "check", (CLAIMS,)))
    for months in [months for months in MONTHS if months.case.source == relative][:1]:
        span = (*months.case.pair, "--months", months.span(months.year))
        if months.case.flows == BOTH:
            asked.append(("months", "deficit", span))
            asked.append(("months-ytd", "deficit", (*span, "--ytd")))
        else:
            asked.append(("months", "growth", (*span, "--flow", months.case.flows[0])))
    for breakdown in [item for item in BREAKDOWNS if item.source == relative][:1]:
        flow = "balance" if breakdown.flows == BOTH else breakdown.flows[0]
        asked.append((f"sectors-{flow}", "sectors", sector_options(breakdown, flow)))
    return asked


CONVERTED = [COUNTRY, COUNTRY_2020, ENDUSE_EXPORTS, ENDUSE_IMPORTS, ENDUSE_IMPORTS_EXTRA]
CONVERTED += [CENSUS_API, BALANCE_PAGE, COMTRADE, COMTRADE_PLUS, KOSIS, KOSIS_MONTHLY, DATAWEB]
CONVERTED += [COMTRADE_PLUS_DOWNLOAD]


# Two files are earlier or messier copies of a file converted both ways, with the same kinds
# of codes and values: a CSV copy of each (a few seconds to write and read again) would ask
# korus's CSV writer and reader nothing new, so they are converted to Parquet only.
COPIES = {COUNTRY_2020: ("parquet",), ENDUSE_IMPORTS_EXTRA: ("parquet",)}


def convert_cases():
    return [
        pytest.param(
            relative,
            kind,
            command,
            options,
            id=f"{relative.rsplit('/', 1)[-1].split('.')[0]}-{kind}-{label}",
        )
        for relative in CONVERTED
        for kind in COPIES.get(relative, ("csv", "parquet"))
        for label, command, options in questions_of(relative)
    ]


@pytest.mark.parametrize(("relative", "kind", "command", "options"), convert_cases())
def test_a_converted_file_answers_as_the_file_itself(korus, relative, kind, command, options):
    if options == (CLAIMS,):
        case = next(case for case in ALL_CASES if case.source == relative)
        options = (str(claims_file(korus, case)),)
    original = korus.records(command, "--data", str(shared_file(relative)), *options)
    converted = korus.records(command, "--data", str(korus.copy(relative, kind)), *options)
    assert converted == original


def test_every_file_converted_is_asked_every_path_it_can_answer():
    assert set(CONVERTED) == {case.source for case in ALL_CASES} - {SHIPPED}
    assert all(len(questions_of(relative)) >= 3 for relative in CONVERTED)


# ---------------------------------------------------------------------------- shipped data


# The shipped data is rebuilt from these agency files by korus's own readers: a question asked
# of the shipped data and of the file it comes from gets one answer.
BUILT_FROM = [
    pytest.param(
        COUNTRY,
        ("deficit", "--reporter", "USA", "--partner", "KOR", "--years", "2011-2016"),
        id="country-deficit",
    ),
    pytest.param(
        COUNTRY,
        ("deficit", "--reporter", "USA", "--partner", "KOR", "--months", "2016-01..2016-12"),
        id="country-months",
    ),
    pytest.param(
        KOSIS,
        ("deficit", "--reporter", "KOR", "--partner", "USA", "--years", "2011-2016"),
        id="kosis-deficit",
    ),
    pytest.param(
        COMTRADE,
        (
            "sectors",
            "--reporter",
            "USA",
            "--partner",
            "KOR",
            "--year",
            "2016",
            "--by",
            "chapter",
            "--flow",
            "balance",
        ),
        id="comtrade-sectors",
    ),
    pytest.param(
        ENDUSE_EXPORTS,
        (
            "sectors",
            "--reporter",
            "USA",
            "--partner",
            "KOR",
            "--year",
            "2016",
            "--by",
            "enduse",
            "--flow",
            "exports",
        ),
        id="enduse-exports-sectors",
    ),
    pytest.param(
        ENDUSE_IMPORTS,
        (
            "sectors",
            "--reporter",
            "USA",
            "--partner",
            "CHN",
            "--year",
            "2022",
            "--by",
            "enduse",
            "--flow",
            "imports",
        ),
        id="enduse-imports-sectors",
    ),
]


@pytest.mark.parametrize(("relative", "question"), BUILT_FROM)
def test_the_shipped_data_answers_as_the_agency_file_it_is_built_from(korus, relative, question):
    command, *options = question
    shipped = korus.records(command, *options)
    from_file = korus.records(command, *korus.data(relative), *options)
    assert shipped == from_file


# ---------------------------------------------------------------------------- downloads

DATAWEB_WORKBOOK = DATAWEB


@pytest.mark.parametrize(
    ("relative", "reading", "question", "stated"),
    [
        pytest.param(
            COMTRADE_PLUS_DOWNLOAD,
            ("--encoding", "latin-1"),
            ("--reporter", "THA", "--partner", "490", "--years", "2023", "--flow", "imports"),
            7_326_313_642.0,  # Thailand's imports of HS 8542 from "Other Asia, nes", 2023
            id="comtradeplus-download-THA-imports-2023",
        ),
        pytest.param(
            DATAWEB_WORKBOOK,
            (),
            ("--partner", "CHN", "--years", "2023", "--flow", "exports"),
            125_801_943_398.0,  # the workbook's Total: US domestic exports to China, 2023
            id="dataweb-workbook-CHN-exports-2023",
        ),
    ],
)
def test_a_download_and_its_converted_copy_give_the_figure_it_states(
    korus, relative, reading, question, stated
):
    path = shared_file(relative)
    copy = korus.folder / f"{relative.replace('/', '_')}.parquet"
    korus.ask("convert", *reading, str(path), "-o", str(copy))
    original = korus.records("growth", "--data", str(path), *reading, *question)
    converted = korus.records("growth", "--data", str(copy), *question)
    # The figures the agencies state are to the dollar; korus keeps the file's cents.
    assert [round(row["value_usd"]) for row in original] == [stated]
    assert converted == original
