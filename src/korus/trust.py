"""The trust layer: the one place where every reading is checked before a metric sees it.

Every reader maps its layout onto the canonical columns and hands the rows it mapped to
``settle``; ``stack`` checks several files together. A rule is written here once and so
holds for every layout, the shipped data, the cache and standard input alike:

1. **Periods and values.** A year is a whole number from 1900 to 2100 (``YEARS``) and a
   month a whole number from 1 to 12, or missing for a whole year: a cell that is neither
   (67552, 2016.5, 1e15, a month of 1.5) is refused, never wrapped or rounded into another
   period. A figure is a finite number; a flow (export, import, re-export, re-import)
   is never negative; no single figure exceeds ``VALUE_LIMIT_USD`` (more than a year of
   world trade: a wrong unit or a broken cell, never trade). The error names the file and
   the line.
2. **One figure, one row.** Two rows of one file with the same key (``schema.KEY``) and the
   same source code of the partner (the ``origin`` column, where a reader has one) are
   repeats. With different values they are an error naming both lines: korus cannot know
   which is right. Exact repeats are an error too, unless the user passes ``--dedupe``:
   then they are dropped, counted in the accounting and said on stderr.
3. **One country, several codes.** Rows of one key whose source codes differ (Census
   codes 7320 and 7321 are both Sudan) are the same country's parts: added, with a note.
4. **A year and its months.** Where the data states a whole year and all twelve of its
   months for the same series, the months add up to the year within the source's
   rounding (``Reading.tolerance``), or the data contradicts itself: an error naming the
   lines. Otherwise ``--years`` and ``--months`` would answer the same question twice,
   differently.
5. **Known magnitudes.** A reporter's flow of a year, added up over its partners (the
   countries, not groups), is never more than world trade that year
   (``WORLD_TRADE_BOUND_USD``): its stated whole-year figures, or, for a year the data
   gives month by month only (a partial year too), its months added up. Thousands or
   millions read as dollars are refused, naming the line of the largest figure. Where
   korus knows the reporter's own world total (the shipped US and Korean figures), a sum
   far above it is said on stderr.
6. **Stacked files.** A figure two files both give is an error (the files overlap), or,
   given exactly the same, dropped with ``--dedupe`` and counted.

The columns ``line`` (where in the file a row came from, for messages) and ``origin`` (the
source's own partner code) are the readers' to give; they are dropped here, and the frame
that leaves is canonical (``schema.canonical``).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from korus.errors import DataFileError
from korus.groups import Codes
from korus.groups import numbered as _numbered
from korus.schema import KEY, MONTHS, YEARS, Accounting, Reading, canonical, outside

if TYPE_CHECKING:
    import pandas as pd

# World merchandise trade has never reached 3 * 10^13 US dollars in a year; one figure
# above 5 * 10^13 is a unit slip (thousands read as dollars...) or a broken cell.
VALUE_LIMIT_USD = 5e13
FLOWS_NEVER_NEGATIVE = ("export", "import", "re-export", "re-import")
# Upper bounds on world merchandise trade by year, in US dollars: the WTO's world
# merchandise exports (World Trade Statistical Review; current dollars), raised by a tenth
# and rounded up to the next half trillion, so that imports valued CIF and later revisions
# stay below them. A reporter's trade with its partners, added up, cannot exceed them.
WORLD_TRADE_BOUND_USD = {
    year: bound * 1e12
    for year, bound in {
        1985: 2.5, 1986: 2.5, 1987: 3.0, 1988: 3.5, 1989: 3.5, 1990: 4.0, 1991: 4.0,
        1992: 4.5, 1993: 4.5, 1994: 5.0, 1995: 6.0, 1996: 6.0, 1997: 6.5, 1998: 6.5,
        1999: 6.5, 2000: 7.5, 2001: 7.0, 2002: 7.5, 2003: 8.5, 2004: 10.5, 2005: 12.0,
        2006: 14.0, 2007: 16.0, 2008: 18.0, 2009: 14.0, 2010: 17.0, 2011: 20.5, 2012: 20.5,
        2013: 21.0, 2014: 21.0, 2015: 18.5, 2016: 18.0, 2017: 19.5, 2018: 21.5, 2019: 21.0,
        2020: 19.5, 2021: 24.5, 2022: 27.5, 2023: 26.5, 2024: 27.0,
    }.items()
}  # fmt: skip
EARLY_BOUND_USD = 2.5e12  # before 1985 world trade never reached two trillion dollars
LATE_BOUND_USD = 35e12  # after the last year known: a generous ceiling
# A sum over partners this many times the reporter's own known world total is said.
OUT_OF_SCALE = 1.5
# Extra columns a reader may give beside the canonical ones; dropped once checked.
LINE, ORIGIN = "line", "origin"


@dataclass(frozen=True)
class Rules:
    """How the user asked repeats to be handled (``--dedupe``)."""

    dedupe: bool = False


RULES: ContextVar[Rules | None] = ContextVar("korus_rules", default=None)


def _rules() -> Rules:
    return RULES.get() or Rules()


def settle(reading: Reading, order: list[str] | None = None) -> Reading:
    """Return one file's reading checked and made canonical (see the module's rules 1-5),
    its rows sorted by ``order`` if given.

    ``reading.frame`` holds the canonical columns, and may hold ``line`` and ``origin``;
    its accounting is the file's (``reading.accounting[0]``).
    """
    account = reading.accounting[0]
    frame = reading.frame
    if len(frame):
        check_periods(frame, account)
        check_values(frame, account)
        codes = Codes(frame)  # (each column told apart once, for the rules that follow)
        if not reading.unique:
            frame = _one_row_per_figure(frame, account, codes)
        check_years_against_months(frame, [account], reading.tolerance)
        check_magnitudes(frame, account, codes if codes.frame is frame else None)
    frame = canonical(frame.drop(columns=[c for c in (LINE, ORIGIN) if c in frame.columns]))
    if order:
        frame = frame.sort_values(order, na_position="last").reset_index(drop=True)
    return Reading(
        frame,
        reading.accounting,
        unique=True,
        tolerance=reading.tolerance,
        settled=True,
    )


def stack(readings: list[Reading]) -> Reading:
    """Return several files' settled readings as one, refusing a figure two files give
    (rule 5) and a year that the months of another file contradict (rule 4)."""
    import pandas as pd

    # A reading that built its canonical frame itself (BACI) meets rules 1 and 5 here.
    for reading in readings:
        if len(reading.frame) and not reading.settled:
            _check_built(reading)
    if len(readings) == 1:
        return readings[0]
    frames = [reading.frame for reading in readings]
    frame = pd.concat(frames, ignore_index=True)
    accounting = [account for reading in readings for account in reading.accounting]
    owner = _owners(readings)
    repeats = _stacked_repeats(frame, readings)
    if repeats.any():
        # The same figure with the same value is an exact repeat, whatever the release.
        exact = repeats & frame.duplicated(subset=[*KEY, "value_usd"], keep="first")
        if (repeats & ~exact).any() or not _rules().dedupe:
            _overlap_error(frame, repeats, owner, readings)
        dropped = int(exact.sum())
        accounting.append(
            Accounting(
                file="(stacked files)",
                layout="dedupe",
                rows_read=len(frame),
                rows_kept=len(frame) - dropped,
                set_aside={"exact repeat of another file's row (--dedupe)": dropped},
                warnings=[
                    f"{dropped:,} rows repeat another file's row exactly: each kept once (--dedupe)"
                ],
            )
        )
        frame = frame[~exact].reset_index(drop=True)
    tolerance = max(reading.tolerance for reading in readings)
    check_years_against_months(frame, accounting, tolerance, owner=None)
    return Reading(frame, accounting, unique=True, tolerance=tolerance)


# ------------------------------------------------------------------------- rule 1


def _check_built(reading: Reading) -> None:
    """Rules 1 and 5 on a reading its reader built itself. A message names the file it is
    about: where the reading is several files' years as one frame, the frame is checked
    whole (quick, and nearly always silent), and, where a rule speaks, each file's years
    again on their own, with that file's account."""
    import dataclasses

    import numpy as np

    checks = (check_periods, check_values, check_magnitudes)
    files = reading.years_of_files
    if len(reading.accounting) == 1 or not files:
        for check in checks:
            check(reading.frame, reading.accounting[0])
        return
    scratch = dataclasses.replace(reading.accounting[0], notes=[], warnings=[])
    try:
        for check in checks:
            check(reading.frame, scratch)
    except DataFileError:
        pass
    else:
        if not scratch.warnings:
            return
    year = reading.frame["year"].to_numpy()
    for account, years in zip(reading.accounting, files, strict=True):
        rows = reading.frame[np.isin(year, years)]
        if len(rows):
            for check in checks:
                check(rows, account)


def check_periods(frame: pd.DataFrame, account: Accounting) -> None:
    """Raise DataFileError for the first year that is not a whole number in ``YEARS``, or
    month that is neither missing nor a whole number from 1 to 12 (the frame's columns
    may be of any number type: a reader's own, before ``schema.canonical`` narrows them)."""
    import numpy as np

    for column, (low, high), missing in (("year", YEARS, False), ("month", MONTHS, True)):
        values = frame[column]
        bad = outside(values, low, high, missing)
        if not bad.any():
            continue
        index = int(np.argmax(bad))
        cell = values.iloc[index]
        where = _where(account, frame.iloc[index])
        if column == "year":
            said = f"year {_cell(cell)} is not a year korus reads"
            if _missing(cell):
                said = "the year is missing, and every row needs one"
            raise DataFileError(
                f"{where}: {said} (a whole number from {low} to {high}): a broken cell, or "
                "another column's value; fix the file"
            )
        raise DataFileError(
            f"{where}: month {_cell(cell)} is not a month (a whole number from 1 to 12, or "
            "blank for a whole year): a broken cell, or another column's value; fix the file"
        )


def _missing(value) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cell(value) -> str:
    """Return a cell's value as a person reads it: 67552, 2016.5, 1e+15, 'abc'."""
    import numpy as np

    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def check_values(frame: pd.DataFrame, account: Accounting) -> None:
    """Raise DataFileError for the first figure that is not a finite number, a negative
    flow, or beyond ``VALUE_LIMIT_USD``."""
    import numpy as np

    values = frame["value_usd"].to_numpy(dtype="float64", na_value=np.nan)
    broken = ~np.isfinite(values)
    negative = values < 0
    if negative.any():  # the flows of the negative figures only (not a million texts)
        at = np.flatnonzero(negative)
        never = frame["flow"].iloc[at].isin(FLOWS_NEVER_NEGATIVE).to_numpy(dtype=bool)
        negative[at] = never
    huge = np.abs(np.where(broken, 0.0, values)) >= VALUE_LIMIT_USD
    bad = broken | negative | huge
    if not bad.any():
        return
    index = int(np.argmax(bad))
    row = frame.iloc[index]
    where = _where(account, row)
    what = _what(row)
    value = values[index]
    if broken[index]:
        raise DataFileError(
            f"{where}: {what} is {_number(value)}, not a figure: a broken cell; fix the file "
            "or download it again"
        )
    if negative[index]:
        raise DataFileError(
            f"{where}: {what} is negative ({_number(value)} US dollars): a {row['flow']} is "
            "never below zero; a sign slip or an adjustment row: fix or remove the row"
        )
    raise DataFileError(
        f"{where}: {what} is {_number(value)} US dollars, more than a year of world trade: "
        "a wrong unit (thousands read as dollars?) or a broken cell; fix the file or say its "
        "unit"
    )


# ------------------------------------------------------------------------- rules 2, 3


def _one_row_per_figure(
    frame: pd.DataFrame, account: Accounting, codes: Codes | None = None
) -> pd.DataFrame:
    """Return ``frame`` with one row per key: repeats refused or (--dedupe) dropped, and
    the parts of one country given under several source codes added up."""
    if not _keys_shared(frame, KEY, codes):  # the usual file: nothing repeated, nothing to add
        return frame
    origin = [ORIGIN] if ORIGIN in frame.columns else []
    same = frame.duplicated(subset=[*KEY, *origin], keep=False)
    if same.any():
        frame = _without_repeats(frame, same, [*KEY, *origin], account)
    if origin:
        frame = _merged_origins(frame, account)
    return frame


def _keys_shared(frame, keys: list[str], codes: Codes | None = None) -> bool:
    """Return whether two rows of ``frame`` may share their ``keys`` (as
    ``frame.duplicated(subset=keys).any()`` says, a missing value equal to a missing one);
    False only where none do.

    The usual reading has no repeat: this says so without hashing every row's keys. Each
    key column becomes codes of its distinct values (a column of one value drops out),
    the codes one number per row, and the numbers sorted: no two equal, no two rows
    alike. On a 1.25M-row Census API answer, 0.13 s against 0.22-0.48 s for pandas's
    ``duplicated`` of the same columns. Keys too many to number exactly say "may".
    """
    import numpy as np

    if len(frame) < 2:
        return False
    coded = codes or Codes(frame)
    combined = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for key in keys:
        numbers, values = coded(key)
        if len(values) < 2:
            continue
        span *= len(values)
        if span >= 1 << 62:
            return True
        combined *= len(values)
        combined += numbers
    combined.sort()
    return bool((combined[1:] == combined[:-1]).any())


def _without_repeats(frame, same, key: list[str], account: Accounting):
    """Return ``frame`` without its exact repeats (--dedupe), or raise for the repeats."""
    return frame[~repeats_to_drop(frame, same, key, account)]


def repeats_to_drop(frame, same, key: list[str], account: Accounting):
    """Return which rows of ``frame`` to drop as exact repeats of an earlier row (with
    --dedupe; counted and said in ``account``); raise DataFileError for a figure given two
    values, and for exact repeats without --dedupe. ``same`` marks the rows whose key
    another row shares. A reader that finds repeats its own way (BACI) calls this too, so
    that the rule and its words are the same for every layout."""
    group = frame[same]
    values = group.groupby(key, dropna=False, sort=False)["value_usd"]
    spread = values.transform("nunique")
    conflicting = spread > 1
    if conflicting.any():
        rows = group[_matching(group, group.loc[conflicting.idxmax()], key)]
        a, b = rows.iloc[0], rows[rows["value_usd"] != rows.iloc[0]["value_usd"]].iloc[0]
        count = int(conflicting.groupby([group[k] for k in key], dropna=False).any().sum())
        more = f" ({count} figures in all)" if count > 1 else ""
        raise DataFileError(
            f"{account.file}: {_line(account, b)} and {_line(account, a)} give {_what(a)} "
            f"twice with different values ({_number(b['value_usd'])} and "
            f"{_number(a['value_usd'])} US dollars){more}; korus cannot know which is right: "
            f"keep one version of each figure{_hint(account)}"
        )
    repeated = frame.duplicated(subset=key, keep="first")
    # Counted in the file's own rows where it has lines (a row of several years is one):
    # a row is set aside when every figure of it repeats another.
    if LINE in frame.columns:
        count = int(frame.loc[repeated, LINE].nunique())
        whole = repeated.groupby(frame[LINE]).transform("all")
        dropped = int(frame.loc[repeated & whole, LINE].nunique())
    else:
        count = dropped = int(repeated.sum())
    example = frame[repeated].iloc[0]
    original = frame[same.to_numpy() & ~repeated.to_numpy() & _matching(frame, example, key)]
    original = original.iloc[0]
    if not _rules().dedupe:
        raise DataFileError(
            f"{account.file}: {_rows(count)} another row exactly, e.g. "
            f"{_line(account, example)} repeats {_line(account, original)} ({_what(example)}); "
            f"remove the repeats, or pass --dedupe to drop them (they are counted){_hint(account)}"
        )
    account.rows_kept -= dropped
    account.set_aside_rows("exact repeat of another row (--dedupe)", dropped)
    account.warnings.append(
        f"{_rows(count)} another row exactly (e.g. {_line(account, example)} repeats "
        f"{_line(account, original)}): each kept once (--dedupe)"
    )
    return repeated.to_numpy()


def _merged_origins(frame, account: Accounting):
    """Return ``frame`` with the rows of one key under several source codes added up."""
    shared = frame.duplicated(subset=KEY, keep=False)
    if not shared.any():
        return frame
    parts = frame[shared]
    codes = parts.groupby("partner", sort=True)[ORIGIN].unique()
    label = account.origin_label or "source codes"
    for partner, found in codes.items():
        account.notes.append(
            f"{label} {', '.join(sorted(found))} are all {partner}: their values are added"
        )
    columns = [c for c in frame.columns if c not in (LINE, ORIGIN, "value_usd")]
    summed = (
        parts.groupby(columns, dropna=False, sort=False)
        .agg(value_usd=("value_usd", "sum"), line=(LINE, "min"))
        .reset_index()
        if LINE in frame.columns
        else parts.groupby(columns, dropna=False, sort=False)["value_usd"].sum().reset_index()
    )
    import pandas as pd

    return pd.concat([frame[~shared], summed], ignore_index=True)


# ------------------------------------------------------------------------- rule 4


def check_years_against_months(
    frame: pd.DataFrame,
    accounting: list[Accounting],
    tolerance: float,
    owner=None,
) -> None:
    """Raise DataFileError where a stated whole year and its twelve months disagree by more
    than ``tolerance`` US dollars."""
    dated = frame["month"].notna()
    if not dated.any() or dated.all():
        return
    series = ["year", "reporter", "partner", "flow", "product", "source"]
    months = frame[dated].groupby(series, observed=True, sort=False)["value_usd"]
    summed = months.sum()
    counted = months.count()
    whole = summed[counted == 12]
    if whole.empty:
        return
    annual = frame[~dated].set_index(series)["value_usd"]
    both = whole.index.intersection(annual.index)
    if both.empty:
        return
    stated = annual.loc[both]
    if stated.index.has_duplicates:  # settled files have one row per key already
        stated = stated.groupby(level=list(range(len(series)))).first()
    gap = (summed.loc[both] - stated).abs()
    wrong = gap[gap > tolerance + 1e-9 * stated.abs()]
    if wrong.empty:
        return
    key = wrong.index[0]
    year, reporter, partner, flow, product, _ = key
    account = accounting[0]
    rows = frame[
        (frame["year"] == year)
        & (frame["reporter"] == reporter)
        & (frame["partner"] == partner)
        & (frame["flow"] == flow)
        & (frame["product"] == product)
        & (frame["source"] == key[5])
    ]
    where = account.file if owner is None or len(accounting) == 1 else "the files"
    word = account.line_word
    total_at = months_at = ""
    if LINE in rows.columns and rows[LINE].notna().all() and len(rows):
        total_lines = sorted({int(x) for x in rows.loc[rows["month"].isna(), LINE]})
        month_lines = sorted({int(x) for x in rows.loc[rows["month"].notna(), LINE]})
        if total_lines == month_lines:  # one row holds the months and the total
            where += f": {word} {total_lines[0]}"
        else:
            total_at = f" ({word} {total_lines[0]})"
            months_at = f" ({word}s {month_lines[0]}-{month_lines[-1]})"
    more = f" ({len(wrong)} such totals in all)" if len(wrong) > 1 else ""
    product_text = "" if product == "TOTAL" else f", product {product}"
    raise DataFileError(
        f"{where}: the {year} total of {reporter} {flow}s, partner {partner}{product_text}, "
        f"is {_number(stated.loc[key])} US dollars{total_at} but its twelve months"
        f"{months_at} add up to {_number(summed.loc[key])}{more}: the data contradicts "
        f"itself and korus cannot know which is right; {account.contradiction_hint}"
    )


# ------------------------------------------------------------------------- rule 5


def world_bound(year: int) -> float:
    """Return the most a country's trade of one flow can be in ``year``, in US dollars."""
    if year in WORLD_TRADE_BOUND_USD:
        return WORLD_TRADE_BOUND_USD[year]
    return EARLY_BOUND_USD if year < min(WORLD_TRADE_BOUND_USD) else LATE_BOUND_USD


def check_magnitudes(frame: pd.DataFrame, account: Accounting, codes: Codes | None = None) -> None:
    """Raise DataFileError where a reporter's flow of a year, added up over its countries,
    is more than world trade that year; note on stderr a sum far above the reporter's own
    known world total. ``codes``: the frame's columns already told apart, if any."""
    import numpy as np
    import pandas as pd

    from korus import countries

    # Each text column is told apart once (its distinct values), then rows are numbers.
    coded = codes or Codes(frame)
    flow_codes, flow_names = coded("flow")
    added = [n for n, name in enumerate(flow_names) if name in ("export", "import")]
    chosen = np.isin(flow_codes, added)
    partner_codes, partner_names = coded("partner")
    # Groups are aggregates of countries: asked once a partner, never added up.
    grouped = np.array(
        [isinstance(code, str) and countries.is_group(code) for code in partner_names.tolist()],
        dtype=bool,
    )
    if grouped.any():
        chosen &= ~grouped[partner_codes]
    # A row of no reporter or year belongs to no series (the trust layer refuses it).
    chosen &= frame["reporter"].notna().to_numpy() & frame["year"].notna().to_numpy()
    if not chosen.any():
        return
    flows = frame if chosen.all() else frame[chosen]  # the usual reading: no copy of it
    partner_codes = partner_codes[chosen]
    series = ["reporter", "year", "flow"]
    key = _numbered(flows, series, coded if flows is frame else None)
    codes, products = coded("product") if flows is frame else pd.factorize(flows["product"])
    if products.hasnans:
        codes, products = pd.factorize(flows["product"])  # (a missing product is no code)
    # One level of products per series (the totals, else the coarsest level), as the
    # metrics add them; months added up to their year.
    width = _code_widths(products)[codes]
    finest = np.full(key.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(finest, key, width)
    kept = width == finest[key]
    # A series' stated whole years where it has them, else its months (a year given
    # month by month only, a partial one too, is held to world trade all the same).
    annual = flows["month"].isna().to_numpy(dtype=bool)
    stated = np.zeros(len(finest), dtype=bool)
    stated[key[kept & annual]] = True
    kept &= annual | ~stated[key]
    used = flows if kept.all() else flows[kept]
    used_key = key[kept]
    totals = pd.Series(used["value_usd"].to_numpy(dtype=float)).groupby(used_key).sum()
    # Each series' first row, in the order of the series (as np.unique's return_index).
    firsts = np.full(len(finest), len(used_key), dtype=np.int64)
    np.minimum.at(firsts, used_key, np.arange(len(used_key)))
    first = used[series].iloc[firsts[firsts < len(used_key)]]
    sums = pd.Series(totals.to_numpy(), index=pd.MultiIndex.from_frame(first))
    bounds = np.array([world_bound(int(year)) for _, year, _ in sums.index])
    over = sums.to_numpy() > bounds
    if over.any():
        at = int(np.argmax(over))
        reporter, year, flow = sums.index[at]
        rows = used[used_key == totals.index[at]]
        largest = rows.loc[rows["value_usd"].idxmax()]
        where = _where(account, largest)
        raise DataFileError(
            f"{where}: {reporter} {flow}s in {int(year)} add up to "
            f"{_number(sums.iloc[at])} US dollars over its partners, more than "
            f"world trade that year (at most {_number(world_bound(int(year)))}): a wrong unit "
            "(thousands or millions read as dollars?); korus refuses figures no country can "
            "have"
        )
    # Partners a series holds: its distinct (series, partner) pairs, counted.
    present = np.zeros(len(finest) * len(partner_names), dtype=bool)
    present[used_key.astype(np.int64) * len(partner_names) + partner_codes[kept]] = True
    partners = present.reshape(len(finest), len(partner_names)).sum(axis=1)
    counts = dict(zip(sums.index, partners[totals.index.to_numpy()], strict=True))
    for (reporter, year, flow), total in sums.items():
        known = _known_world_total(reporter, int(year), flow)
        if known and total > OUT_OF_SCALE * known:
            read = int(counts[(reporter, year, flow)])
            over = "the one partner read" if read == 1 else f"the {read:,} partners read"
            account.warnings.append(
                f"{reporter} {flow}s in {int(year)} add up to {_number(total)} US dollars over "
                f"{over}, {total / known:,.1f} times {reporter}'s own world total for "
                f"that year ({_number(known)}, as korus ships it): a unit slip?"
            )


def _code_widths(products):
    """Return each distinct product code's width in characters (the totals' 0): Arrow text
    is measured by Arrow (a 30-year panel's 80,000 codes are not made Python strings)."""
    import numpy as np

    from korus.groups import arrow_text

    arrow = arrow_text(products.array)
    if arrow is None or arrow.null_count:
        texts = products.tolist()
        return np.array([0 if p == "TOTAL" else len(p) for p in texts], dtype=np.int64)
    import pyarrow.compute as pc

    widths = pc.utf8_length(arrow).to_numpy(zero_copy_only=False).astype(np.int64)
    widths[pc.equal(arrow, "TOTAL").to_numpy(zero_copy_only=False)] = 0
    return widths


def _unique(values) -> list:
    import pandas as pd

    return list(pd.unique(values))


def _known_world_total(reporter: str, year: int, flow: str) -> float | None:
    """Return a reporter's own world total of a flow for a year, where korus ships it (the
    US from the Census, Korea from KOSIS), else None."""
    totals = _shipped_world_totals()
    return totals.get((reporter, year, flow))


_WORLD_TOTALS: dict | None = None


def _shipped_world_totals() -> dict:
    global _WORLD_TOTALS
    if _WORLD_TOTALS is None:
        from korus import dataset

        found: dict = {}
        columns = ["year", "month", "flow", "product", "value_usd"]
        for name, reporter in (("census", "USA"), ("kosis", "KOR")):
            try:
                table = dataset.shipped_table(name, columns, reporter=reporter, partner="WLD")
            except Exception:  # a missing shipped file: nothing known, nothing said
                continue
            for row in table.to_pylist():
                if row["month"] is None and row["product"] == "TOTAL":
                    found[(reporter, int(row["year"]), row["flow"])] = float(row["value_usd"])
        _WORLD_TOTALS = found
    return _WORLD_TOTALS


def _owners(readings: list[Reading]):
    import numpy as np

    return np.repeat(np.arange(len(readings)), [len(r.frame) for r in readings])


def _stacked_repeats(frame, readings: list[Reading]):
    """Return which rows of the stacked ``frame`` repeat the key of an earlier row.

    Two rows can share a key only within one year, and each file's own rows are unique
    once settled: only the years that two files share are looked at.
    """
    import pandas as pd

    owners: dict[int, int] = {}
    for reading in readings:
        for year in pd.unique(reading.frame["year"]):
            owners[int(year)] = owners.get(int(year), 0) + 1
    shared = [year for year, count in owners.items() if count > 1]
    if not shared:
        return pd.Series(False, index=frame.index)
    look = frame["year"].isin(shared)
    repeats = pd.Series(False, index=frame.index)
    repeats[look] = frame[look].duplicated(subset=KEY, keep="first").to_numpy()
    return repeats


def _overlap_error(frame, repeats, owner, readings: list[Reading]) -> None:
    first = frame[repeats].iloc[0]
    index = frame.index[repeats][0]
    other = frame.index[_matching(frame, first, KEY)][0]
    files = [readings[owner[other]].accounting[0].file, readings[owner[index]].accounting[0].file]
    count = int(repeats.sum())
    exact = bool(first["value_usd"] == frame.loc[other, "value_usd"])
    conflicting = repeats & ~frame.duplicated(subset=[*KEY, "value_usd"], keep="first")
    if conflicting.any() or not exact:
        sample = frame[conflicting].iloc[0] if conflicting.any() else first
        rows = frame[_matching(frame, sample, KEY)]
        files = [readings[owner[i]].accounting[0].file for i in rows.index[:2]]
        values = [_number(v) for v in rows["value_usd"].iloc[:2]]
        raise DataFileError(
            f"the files overlap: {count:,} figures are given more than once, with different "
            f"values, e.g. {_what(sample)}: {values[0]} US dollars in {files[0]}, "
            f"{values[1]} in {files[1]}; keep one file or one version of each figure"
        )
    raise DataFileError(
        f"the files overlap: {_rows(count)} another file's row exactly, e.g. "
        f"{_what(first)} in {files[0]} and {files[1]}; remove the repeats, or pass --dedupe "
        "to drop them (they are counted)"
    )


# ------------------------------------------------------------------------- words


def _matching(frame, row, columns: list[str]):
    """Return a boolean array: which rows of ``frame`` equal ``row`` in ``columns`` (a
    missing month equals a missing month)."""
    import numpy as np
    import pandas as pd

    mask = np.ones(len(frame), dtype=bool)
    for column in columns:
        value = row[column]
        if pd.isna(value):
            mask &= frame[column].isna().to_numpy()
        else:
            mask &= (frame[column] == value).fillna(False).to_numpy(dtype=bool)
    return mask


def _what(row) -> str:
    """Return a row's figure in words: "USA imports, partner KOR, product TOTAL, 2016-03"."""
    import pandas as pd

    month = row["month"]
    period = f"{int(row['year'])}" + ("" if pd.isna(month) else f"-{int(month):02d}")
    return (
        f"{row['reporter']} {row['flow']}s, partner {row['partner']}, product "
        f"{row['product']}, {period}"
    )


def _rows(count: int) -> str:
    return f"{count:,} row repeats" if count == 1 else f"{count:,} rows repeat"


def _hint(account: Accounting) -> str:
    return f"; {account.repeat_hint}" if account.repeat_hint else ""


def _line(account: Accounting, row) -> str:
    import pandas as pd

    line = row.get(LINE) if hasattr(row, "get") else None
    if line is None or pd.isna(line):
        return "a row"
    return f"{account.line_word} {int(line)}"


def _where(account: Accounting, row) -> str:
    line = _line(account, row)
    return account.file if line == "a row" else f"{account.file}: {line}"


def _number(value: float) -> str:
    """Return a figure as people read it: grouped, to the cent where it has cents."""
    import math

    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e15:
        return f"{value:.6g}"
    return f"{value:,.2f}".removesuffix(".00")
