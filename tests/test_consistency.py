"""One figure, every path: the same exports, imports, balance, change and share reached
through every command korus offers agree to the cent (or to the precision the path prints),
on the shipped data and on every real trade file in ../shared/data.

The paths compared, each through the command line and its machine output (JSON, at full
precision, in US dollars) unless a figure is printed for people only:

- ``deficit --years``: the reference figure of a year;
- ``deficit --months Y-01..Y-12`` (month by month, added up) and ``--ytd``;
- ``growth --years --flow``: each year's value, and its % change and CAGR from first to last
  (full precision in the JSON of ``--years FIRST,LAST``; as printed in the summary);
- ``partners --year --reporter``: each partner's row;
- ``sectors --year --flow``: the whole in the summary (whole dollars, as printed) and the
  groups added up, against the all-goods figure of the same source;
- ``mirror --years``: each side's figures against ``deficit`` on that side's data;
- ``check``: a claim stated with korus's own figure at full precision matches;
- ``convert FILE -o out.csv`` / ``-o out.parquet``: every question gives the same answer
  with ``--data out.csv`` or ``out.parquet`` as with ``--data FILE``.

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
DATAWEB = "usitc/dataweb_general_imports_hts330499_monthly.csv"

BOTH = ("exports", "imports")
STATED_BALANCE = (
    "the Census balance page states its own balance, which deficit, months and check report; "
    "{path} computes exports minus imports instead (each rounded to 0.1 million where "
    "published), so the two differ by up to a few hundred thousand dollars"
)


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

    def _load(self, paths, layout=None, dedupe=False, pair=None, one_side=False):
        """korus's readers.load, each file read once: a copy of its first reading after."""
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
    Case(COUNTRY, "USA", "MEX", 2020, 2025),
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
    Case(DATAWEB, "USA", "KOR", 2015, 2023, ("imports",)),
    Case(DATAWEB, "USA", "FRA", 2015, 2023, ("imports",)),
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


def _growth_xfail(case: Case, flow: str):
    if case.source == BALANCE_PAGE and flow == "deficit":
        return pytest.mark.xfail(
            strict=True, reason=STATED_BALANCE.format(path="growth --flow deficit")
        )
    return None


def growth_cases(cases, flows=("exports", "imports", "balance", "deficit")):
    params = []
    for param in flow_cases(cases, flows):
        case, flow = param.values
        mark = _growth_xfail(case, flow)
        params.append(pytest.param(case, flow, id=param.id, marks=[mark] if mark else []))
    return params


@pytest.mark.parametrize(("case", "flow"), growth_cases(ALL_CASES))
def test_growth_shows_each_year_the_value_deficit_gives(korus, case, flow):
    rows = korus.records(
        "growth", *korus.data(case.source), *case.pair, "--years", case.years, "--flow", flow
    )
    expected = year_figures(korus, case)
    assert [row["year"] for row in rows] == sorted(expected)
    for row in rows:
        assert row["value_usd"] == pytest.approx(expected[row["year"]][flow], abs=cents()), row


@pytest.mark.parametrize(("case", "flow"), growth_cases(SPANS))
def test_growth_from_first_to_last_year_is_metrics_pct_change_at_full_precision(korus, case, flow):
    # --years FIRST,LAST: the last row's change is over the whole span, at full precision.
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


@pytest.mark.parametrize(("case", "flow"), growth_cases(SPANS))
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
            # The Census balance page's deficits: deficit's summary row is of the page's
            # own balance, growth --flow deficit of exports minus imports.
            marks=[
                pytest.mark.xfail(
                    strict=True, reason=STATED_BALANCE.format(path="growth --flow deficit")
                )
            ]
            if case.source == BALANCE_PAGE and flow == "net"
            else [],
        )
        for case in SPANS
        if case.flows == BOTH
        for flow in ("exports", "imports", "net")
    ],
)
def test_deficit_summary_says_what_growth_says_of_the_same_span(korus, case, flow):
    figures = year_figures(korus, case)
    label, growth_flow = {"exports": ("Exports", "exports"), "imports": ("Imports", "imports")}.get(
        flow, (None, None)
    )
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
    _months_of(COUNTRY, "USA", "MEX", 2025),
    _months_of(COUNTRY_2020, "USA", "KOR", 2019),
    _months_of(COUNTRY_2020, "USA", "KOR", 2020, 8),  # the file's last months: a partial year
    _months_of(BALANCE_PAGE, "USA", "CHN", 2019),
    _months_of(KOSIS_MONTHLY, "KOR", "CHN", 2019),
    # Files of one flow: their months are compared with their years, so whole years only
    # (a part of a year of one flow has no second path: --ytd is deficit's, of both flows).
    _months_of(CENSUS_API, "USA", "KOR", 2020),
    _months_of(DATAWEB, "USA", "KOR", 2016),
    _months_of(DATAWEB, "USA", "FRA", 2023),
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
    assert None not in values, f"a month without {column}"
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


def _partners_xfail(case: Case) -> list:
    if case.source == BALANCE_PAGE:
        return [pytest.mark.xfail(strict=True, reason=STATED_BALANCE.format(path="partners"))]
    return []


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=str(case), marks=_partners_xfail(case)) for case in TWO_FLOWS]
)
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
    Breakdown(DATAWEB, DATAWEB, "USA", "KOR", 2016, "chapter", ("imports",)),
]


def breakdown_flows(breakdowns, flows=("exports", "imports", "balance")):
    return [
        pytest.param(breakdown, flow, id=f"{breakdown}-{flow}")
        for breakdown in breakdowns
        for flow in flows
        if flow in breakdown.flows or (flow == "balance" and breakdown.flows == BOTH)
    ]


def sector_args(korus: Korus, breakdown: Breakdown, flow: str) -> list[str]:
    return [
        "sectors",
        *korus.data(breakdown.source),
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
    ]


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
