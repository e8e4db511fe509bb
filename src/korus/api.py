"""korus from Python: the questions the command line asks, as functions returning frames.

Every function reads the data through the same readers, trust layer and metrics as the
command line (which is a thin skin over this module), and returns a pandas DataFrame whose
rows carry their provenance in columns (``products``, ``source``, ``basis``, ``vintage``)
and whose ``attrs`` hold the rest: ``attrs["accounting"]`` (what each file gave: rows
read, kept and set aside, and why; ``schema.Accounting``), and, where a question has
them, its whole (``attrs["total"]``) or the grouping used (``attrs["grouping"]``).
Errors are ``korus.KorusError`` subclasses with a message for people.

    >>> import korus
    >>> korus.deficit(partner="KOR", years=range(2011, 2017))      # doctest: +SKIP
    >>> korus.sectors(year=2016, flow="imports").head(5)            # doctest: +SKIP

Countries are any code or name korus knows ("KOR", "Korea", 410, "5800"); years an int,
a range, a list or a text such as "2011-2016"; months pairs ``(2017, 9)`` or "2017-09".
``data`` is a file, a folder, a glob or a list of them (default: the data korus ships);
``settings`` a ``korus.Settings`` for the reading rules (encoding, sheet, dedupe...).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from korus.errors import DataCoverageError, KorusError, MixedSourcesError
from korus.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from korus.schema import Reading

YEARS_SHOWN = 6  # the default span: the last six whole years


# ------------------------------------------------------------------------- arguments


def country(value: object) -> str:
    """Return korus's code of a country given as any code or name it knows."""
    from korus import countries

    return countries.resolve(str(value)).code


def years_of(value: object) -> list[int] | None:
    """Return the sorted years of an int, an iterable of ints or a text ("2011-2016",
    "2011,2016"); None stays None."""
    if value is None:
        return None
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return parse_years(value)
    if isinstance(value, Iterable):
        found = sorted({int(year) for year in value})
        if not found:
            raise KorusError("no years given")
        return found
    raise KorusError(f"{value!r} is not a year, a range of years or a list of them")


def months_of(value: object) -> list[tuple[int, int]] | None:
    """Return the months of a text ("2017-01..2017-09") or of (year, month) pairs."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_months(value)
    months = sorted({(int(year), int(month)) for year, month in value})
    for year, month in months:
        if not 1 <= month <= 12:
            raise KorusError(f"month {year}-{month:02d} is not 01 to 12")
    return months


def parse_years(text: str) -> list[int]:
    """Return the years of ``2016``, ``2011-2016``, ``2011,2016`` or ``2011-2013,2016``."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d{4})(?:\s*(?:-|\.\.|–|—)\s*(\d{4}))?", part)
        if not match:
            raise ValueError(f"{part!r} is not a year (2016), a range (2011-2016) or a list")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise ValueError(f"range {part!r} runs backwards")
        years.update(range(first, last + 1))
    return sorted(years)


def parse_months(text: str) -> list[tuple[int, int]]:
    """Return the months of ``2017-09``, ``2017-01..2017-09`` or ``2017-01,2017-03``; a
    month may have one digit (``2017-1``), a range an en or em dash (``2017-01–2017-09``)."""
    months: set[tuple[int, int]] = set()
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:\s*(?:\.\.|–|—)\s*(\d{4})-(\d{1,2}))?", part)
        if not match:
            raise ValueError(f"{part!r} is not a month (2017-09) or a range (2017-01..2017-09)")
        first = (int(match.group(1)), int(match.group(2)))
        last = (int(match.group(3)), int(match.group(4))) if match.group(3) else first
        for _year, month in (first, last):
            if not 1 <= month <= 12:
                raise ValueError(f"{part!r}: month {month} is not 01 to 12")
        start, end = first[0] * 12 + first[1] - 1, last[0] * 12 + last[1] - 1
        if end < start:
            raise ValueError(f"range {part!r} runs backwards")
        months.update((index // 12, index % 12 + 1) for index in range(start, end + 1))
    return sorted(months)


def _settings(data, settings: Settings | None) -> Settings:
    return (settings or Settings()).with_data(data)


# ------------------------------------------------------------------------- reading


def read(settings: Settings, shipped: str = "census", **equal: str) -> Reading:
    """Return the Reading of the settings' files, or of a slice of a shipped file, checked
    by the trust layer (and, with ``strict``, with no row set aside)."""
    from korus import dataset, engine

    with settings.applied():
        engine.require_store(settings)
        reading = dataset.load(settings.data, shipped, settings.layout, settings.dedupe, **equal)
    return _strict(reading, settings)


def read_mirror(settings: Settings, reporter: str, partner: str) -> Reading:
    """Return both sides' reports of their trade: the settings' files, or the shipped ones."""
    from korus import dataset, engine

    with settings.applied():
        engine.require_store(settings)
        reading = dataset.load_mirror(
            settings.data, settings.layout, settings.dedupe, reporter, partner
        )
    return _strict(reading, settings)


def _strict(reading: Reading, settings: Settings) -> Reading:
    _strict_accounting(reading.accounting, settings)
    return reading


def _strict_accounting(accounting, settings: Settings) -> None:
    """With ``strict``, refuse a file with any row set aside that could not be read as
    data (rows a question did not ask for are not: ``Accounting.set_aside_unread``)."""
    if settings.strict:
        from korus.errors import DataFileError

        for account in accounting:
            unread = account.set_aside_unread
            if unread:
                reasons = "; ".join(f"{n} {r}" for r, n in unread.items())
                raise DataFileError(
                    f"{account.file}: --strict: {sum(unread.values())} rows set aside ({reasons})"
                )


class _Accounts(list):
    """An answer's accounting, one Accounting a file: shared by the frames made from the
    answer, never copied (pandas copies a frame's attrs deeply at every step, and a folder
    of years holds thousands of notes and counts)."""

    def __deepcopy__(self, memo) -> _Accounts:
        return self


def _with(frame: pd.DataFrame, reading: Reading, **attrs) -> pd.DataFrame:
    frame.attrs["accounting"] = _Accounts(reading.accounting)
    frame.attrs.update(attrs)
    return frame


def load(data=None, *, settings: Settings | None = None) -> pd.DataFrame:
    """Return the canonical frame of files (or of the data korus ships: US trade with every
    partner, from the Census), with its accounting in ``attrs["accounting"]``."""
    settings = _settings(data, settings)
    reading = read(settings)
    return _with(reading.frame, reading)


# ------------------------------------------------------------------------- questions


def deficit(
    partner: object = "KOR",
    reporter: object = "USA",
    years: object = None,
    *,
    months: object = None,
    ytd: bool = False,
    rolling: int | None = None,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return exports, imports and the balance of ``reporter`` with ``partner`` by year
    (default: the last six whole years), or by month with ``months``; ``ytd`` adds the
    months up against the same months a year earlier, ``rolling`` gives sums of the N
    months ending with each month. The balance is the source's own where it states one."""
    reporter, partner = country(reporter), country(partner)
    years, months = years_of(years), months_of(months)
    if (ytd or rolling) and not months:
        raise KorusError("ytd and rolling go with months")
    if ytd and rolling:
        raise KorusError("ytd and rolling ask two different questions: give one")
    if months and years:
        raise KorusError("give years or months, not both")
    reading = read(_settings(data, settings), "census", reporter=reporter, partner=partner)
    # metrics imports pandas: only now, so that the command line's import of pandas in a
    # thread goes on beside the reading, not before it.
    from korus import metrics

    frame = reading.frame
    if months:
        if ytd:
            table = metrics.year_to_date(frame, reporter, partner, months)
        elif rolling:
            table = metrics.rolling_sums(frame, reporter, partner, months, rolling)
        else:
            table = metrics.monthly_flows(frame, reporter, partner, months)
            stated = "balance_stated" in table.columns
            table = metrics.trade_balance(table)
            return _with(table, reading, balance_stated=stated)
        return _with(table, reading)
    years = years or metrics.latest_whole_years(frame, reporter, partner, YEARS_SHOWN)
    flows = metrics.bilateral_flows(frame, reporter, partner, years)
    stated = "balance_stated" in flows.columns
    return _with(metrics.trade_balance(flows), reading, balance_stated=stated)


def growth(
    flow: str = "exports",
    partner: object = "KOR",
    reporter: object = "USA",
    years: object = None,
    *,
    months: object = None,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return each year's value of ``flow`` ("exports", "imports", "balance" or
    "deficit") and its change on the year before; with ``months``, each month against the
    same month a year earlier. Needs only the flows the series is made of."""
    if flow not in ("exports", "imports", "balance", "deficit"):
        raise KorusError(f"flow {flow!r} is not exports, imports, balance or deficit")
    reporter, partner = country(reporter), country(partner)
    years, months = years_of(years), months_of(months)
    if months and years:
        raise KorusError("give years or months, not both")
    reading = read(_settings(data, settings), "census", reporter=reporter, partner=partner)
    from korus import metrics  # (pandas: imported beside the reading, see ``deficit``)

    if months:
        table = metrics.month_on_year(reading.frame, reporter, partner, months, flow)
        return _with(table, reading)
    years = years or metrics.latest_whole_years(reading.frame, reporter, partner, YEARS_SHOWN)
    need = {"exports": ("export",), "imports": ("import",)}.get(flow, ("export", "import"))
    flows = metrics.trade_balance(
        metrics.bilateral_flows(reading.frame, reporter, partner, years, need)
    )
    if flow == "deficit":
        flows = flows.assign(deficit=-flows["balance"])
    return _with(metrics.year_on_year(flows, flow), reading)


def sectors(
    year: object = None,
    flow: str = "balance",
    by: str = "chapter",
    partner: object = "KOR",
    reporter: object = "USA",
    *,
    level: int | None = None,
    sectors_file: str | None = None,
    since: int | None = None,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return each product group's value in ``year`` (default: the latest whole year of
    product figures), its share of the whole and, with ``since``, its change. ``by``:
    "chapter", "section", "heading" (HS), "enduse" (Census end-use, ``level`` 1 or 5) or
    "sector" (named sectors, korus's or ``sectors_file``). The whole is in
    ``attrs["total"]``, the grouping in ``attrs["grouping"]``."""
    from korus import products

    if flow not in ("exports", "imports", "balance"):
        raise KorusError(f"flow {flow!r} is not exports, imports or balance")
    if level is not None and by != "enduse":
        raise KorusError("level goes with by='enduse'")
    if sectors_file is not None and by != "sector":
        raise KorusError("sectors_file goes with by='sector'")
    reporter, partner = country(reporter), country(partner)
    shipped = "census-enduse" if by == "enduse" else "comtrade"
    reading = read(_settings(data, settings), shipped, reporter=reporter, partner=partner)
    from korus import metrics  # (pandas: imported beside the reading, see ``deficit``)

    family = products.family_of(reading.frame["classification"].unique())
    grouping = products.grouping(by, level, sectors_file, flow, family)
    if year is None:
        year = metrics.latest_product_year(reading.frame, reporter, partner, grouping)
    table, total = metrics.sector_values(
        reading.frame, reporter, partner, one_year(year), flow, since, grouping
    )
    return _with(table, reading, total=total, grouping=grouping)


def partners(
    year: object = None,
    reporter: object = "USA",
    by: str = "total",
    *,
    groups: bool = False,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return ``reporter``'s partners ranked by "total", "exports", "imports" or "balance"
    in ``year`` (default: the latest whole year), with shares; groups (World, EU...) only
    with ``groups``. A partner with a flow the data lacks is listed last, unranked.
    ``year`` may be several years ("2012-2016", a list): each is ranked on its own, one
    after the other. Over korus stores the reporter's trade is summed where it is read
    (``korus.engine.plan_partners``: only sums come back, on either engine)."""
    from korus import countries, engine
    from korus.engine import plan_partners

    if by not in ("balance", "exports", "imports", "total"):
        raise KorusError(f"by {by!r} is not balance, exports, imports or total")
    reporter = country(reporter)
    years = years_of(year)
    settings = _settings(data, settings)

    def ranked(frame, **covered) -> pd.DataFrame:
        # (pandas only for the ranking: the plan's sums need none)
        import pandas as pd

        from korus import metrics_partners

        chosen = years or [metrics_partners.latest_reporter_year(frame, reporter)]
        tables = [
            metrics_partners.partner_ranking(
                frame, reporter, one, by, countries.is_group, include_groups=groups, **covered
            )
            for one in chosen
        ]
        return tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)

    with settings.applied():
        engine.require_store(settings)
        sums = plan_partners.partner_sums(settings, reporter, years)
    if sums is not None:
        _strict_accounting(sums.accounting, settings)
        try:
            table = ranked(sums.frame, covered=sums.covered)
        except (DataCoverageError, MixedSourcesError):
            pass  # said from the rows, as for files: what is missing, which sources
        else:
            table.attrs["accounting"] = _Accounts(sums.accounting)
            return table
    reading = read(settings, "census", reporter=reporter)
    table = None
    # The rows' sums, as a store's (only sums become pandas); what is missing, and which
    # sources, are said from the rows.
    with contextlib.suppress(DataCoverageError, MixedSourcesError):
        if len(reading.frame):
            sums = plan_partners.frame_sums(reading.frame, reporter, years, reading.accounting)
            table = ranked(sums.frame, covered=sums.covered)
    return _with(ranked(reading.frame) if table is None else table, reading)


def mirror(
    partner: object = "KOR",
    reporter: object = "USA",
    years: object = None,
    *,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return each side's own figures for the same trade, side by side, with the gaps
    (default: the last six years both sides report)."""
    reporter, partner = country(reporter), country(partner)
    reading = read_mirror(_settings(data, settings), reporter, partner)
    from korus import metrics  # (pandas: imported beside the reading, see ``deficit``)

    years = (
        years_of(years)
        or sorted(
            set(metrics.latest_whole_years(reading.frame, reporter, partner, 1000))
            & set(metrics.latest_whole_years(reading.frame, partner, reporter, 1000))
        )[-YEARS_SHOWN:]
    )
    return _with(metrics.mirror_flows(reading.frame, reporter, partner, years), reading)


def check(
    claims=None,
    *,
    explain: bool = False,
    data=None,
    settings: Settings | None = None,
    **claim,
) -> pd.DataFrame:
    """Return korus's verdict on each claim: ``claims`` is a TOML claims file's path or a
    list of claims as dicts (the file's fields); or one claim from keywords (``measure``,
    ``stated``, ``year``/``years``/``month``, ``sector``, ``of``, ``reporter``,
    ``partner``)."""
    from pathlib import Path

    from korus import claims as judged
    from korus import dataset, engine, metrics, products

    settings = _settings(data, settings)
    engine.require_store(settings)
    if claims is not None and claim:
        raise KorusError("give a claims file or one claim's fields, not both")
    if claims is None:
        if not claim:
            raise KorusError("give a claims file, a list of claims, or one claim's fields")
        claim.setdefault("id", "command line")
        claim_list = [judged.claim_from(claim, country, "the claim")]
    elif isinstance(claims, str | Path):
        claim_list = judged.load_claims(claims, country)
    else:
        claim_list = [
            judged.claim_from(dict(entry), country, f"claim {index}")
            for index, entry in enumerate(claims, start=1)
        ]
    accounting: list = []

    def loader(name: str, reporter: str, partner: str):
        if name == "user":
            reading = read(settings)
        else:
            reading = dataset.load_shipped(name, reporter=reporter, partner=partner)
        accounting.extend(reading.accounting)
        return reading.frame

    source = judged.Data(loader, metrics, products)
    verdicts = [
        verdict
        for item in claim_list
        for verdict in judged.evaluate(
            item, source, judged.definitions(item, products, user=bool(settings.data))
        )
    ]
    frame = judged.verdict_table(verdicts, explain)
    frame.attrs["accounting"] = _Accounts(accounting)
    return frame


def ingest(data, into, *, settings: Settings | None = None, tell=None) -> list[str]:
    """Read files (any layout korus reads) into the store at ``into``, a folder a team can
    share and read with ``data=into``; return one line per file: added, replaced or
    unchanged. ``tell``, if given, is called with each line as its file is done: a file
    that fails leaves the files before it in the store."""
    from korus import store

    settings = _settings(data, settings)
    return store.ingest(list(settings.data), into, settings, tell)


def world(
    year: object,
    flow: str = "exports",
    *,
    by: str = "chapter",
    reporter: object = None,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return a year's world totals of ``flow`` ("exports" or "imports") by HS chapter (or
    heading, ``by``): the sums of every reporter's figures (or ``reporter``'s) with every
    partner that is a country, ranked, with shares. Summed where the data is (a store's
    parts, on the engine in force); ``attrs["partial"]`` lists the series left out as
    partial years."""
    from korus import countries, engine, panel
    from korus.engine import plans

    if flow not in ("exports", "imports"):
        raise KorusError(f"flow {flow!r} is not exports or imports")
    if by not in panel.LEVELS:
        raise KorusError(f"by {by!r} is not {' or '.join(panel.LEVELS)}")
    settings = _settings(data, settings)
    if not settings.data:
        raise KorusError(
            "world totals by product need every reporter's trade by product (a BACI year, a "
            "Comtrade bulk download, or a store of them): give it with --data"
        )
    year = one_year(year)
    reporter = None if reporter is None else country(reporter)
    side = flow[:-1]
    plan = plans.ProductYear(year, (side,), countries.group_codes(), reporter)
    with settings.applied():
        engine.require_store(settings)
        sums = plans.product_year_sums(settings, plan)
    _strict_accounting(sums.accounting, settings)
    table = panel.world_products(sums.frame, year, side, by)
    accounting = list(sums.accounting)
    if sums.partial:
        accounting.append(_partial_note("(world totals)", year, sums.partial))
    table.attrs["accounting"] = _Accounts(accounting)
    table.attrs["partial"] = sums.partial
    return table


def mirror_gaps(
    year: object,
    reporter: object = "USA",
    flow: str = "exports",
    *,
    data=None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return ``reporter``'s mirror gaps with every partner that is a country in ``year``:
    its exports to each (``flow`` "exports") beside the partner's own imports from it, or
    its imports beside the partner's exports ("imports"), ranked by the size of the gap;
    a partner one side has no figure for is listed last, unranked. Summed where the data
    is (a store's parts, on the engine in force); ``attrs["partial"]`` lists the series
    left out as partial years."""
    from korus import countries, engine, panel
    from korus.engine import plan_gaps

    if flow not in ("exports", "imports"):
        raise KorusError(f"flow {flow!r} is not exports or imports")
    settings = _settings(data, settings)
    reporter = country(reporter)
    if countries.is_group(reporter):
        raise KorusError(
            f"{reporter} is a group ({countries.lookup(reporter).name}), not a country: mirror "
            "gaps compare a country's figures with its partners'; give a country"
        )
    if not settings.data:
        raise KorusError(
            f"mirror gaps with every partner need each partner's own figures of its trade with "
            f"{reporter}, and the shipped data holds both sides only for USA and KOR (korus "
            "mirror --reporter USA --partner KOR): give a panel of every reporter's figures "
            "(a UN Comtrade download of all reporters, or a store of one) with --data"
        )
    year = one_year(year)
    plan = plan_gaps.MirrorYear(year, reporter, flow[:-1], countries.group_codes())
    with settings.applied():
        engine.require_store(settings)
        sums = plan_gaps.mirror_year_sums(settings, plan)
    _strict_accounting(sums.accounting, settings)
    table = panel.mirror_gaps(sums.frame, sums.partial, reporter, year, flow[:-1])
    accounting = list(sums.accounting)
    if sums.partial:
        accounting.append(_partial_note("(mirror gaps)", year, sums.partial))
    table.attrs["accounting"] = _Accounts(accounting)
    table.attrs["partial"] = sums.partial
    return table


def _partial_note(what: str, year: int, partial: list[tuple[str, ...]]):
    """Return the note naming the series a panel question left out as partial years."""
    from korus.schema import Accounting

    shown = ", ".join(
        f"{r} {f}s {'to' if f == 'export' else 'from'} {p}" for r, p, f, _ in partial[:5]
    )
    more = f" and {len(partial) - 5} more" if len(partial) > 5 else ""
    return Accounting(
        file=what,
        layout="partial years",
        warnings=[
            f"left out, holding only some months of {year} (a partial year is never a year): "
            f"{shown}{more}"
        ],
    )


def one_year(value: object) -> int:
    """Return the one year a question about a single year needs; a range is an error."""
    years = years_of(value)
    if not years or len(years) != 1:
        raise KorusError(f"{value!r} is not one year: this question takes a single year")
    return years[0]
