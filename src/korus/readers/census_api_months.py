"""What a Census API answer leaves out: the months of a complete year without trade,
written as 0.0 (``_with_absent_months_as_zero``), and the December year-to-date of a
product without trade in December, whose year is then its months added up
(``_years_from_months_where_december_is_short``); see ``census_api``.
"""

from __future__ import annotations

from korus.readers.columns import numbered_as_met
from korus.schema import Accounting


def _with_absent_months_as_zero(frame, accounting: Accounting, has_products: bool):
    """Return ``frame`` with a 0.0 row for each month the API left out of a complete year.

    The API answers only the partner-months (and products) that had trade. Where the answer
    holds all twelve months of a year (for any partner), its question covered that year:
    a partner, or a product of a partner, of the answer that is absent in one of those
    months had no trade then. Such months are written as 0.0 (line unknown) and counted in
    a note; a year the answer does not cover whole is left as it is (a partial year).
    """
    import numpy as np
    import pandas as pd

    month = frame["month"].to_numpy(dtype="float64", na_value=np.nan)
    dated = np.flatnonzero(~np.isnan(month))
    if not len(dated):
        return frame
    year = frame["year"].to_numpy()[dated].astype(np.int64)
    month = month[dated].astype(np.int64)
    held = np.unique(year * 13 + month)
    found_years, months_found = np.unique(held // 13, return_counts=True)
    complete = [int(y) for y, n in zip(found_years, months_found, strict=True) if n == 12]
    if not complete:
        return frame
    # Each partner (and product) of the answer, numbered in order of first appearance;
    # the periods of the complete years numbered 0..P-1, and -1 for the others.
    whole = len(dated) == len(frame)  # (every row dated, the usual answer: no copy taken)
    partner, partners = pd.factorize(frame["partner"] if whole else frame["partner"].take(dated))
    product, products = pd.factorize(frame["product"] if whole else frame["product"].take(dated))
    # Each series (a partner's product) numbered as met, with its first row.
    key = partner.astype(np.int64) * len(products) + product
    series, first = numbered_as_met(key, len(partners) * len(products))
    series = series.astype(np.int64)  # (its places in a table of series and periods)
    count = len(first)
    period = np.searchsorted(complete, year) * 12 + month - 1
    period = np.where(np.isin(year, complete), period, -1)
    width = 12 * len(complete)
    inside = period >= 0
    present = np.zeros(count * width, dtype=bool)
    present[series[inside] * width + period[inside]] = True
    absent = np.flatnonzero(~present)
    if not len(absent):
        return frame
    absent_series, absent_period = absent // width, absent % width
    # A partner-month with no row at all, or a product's month where the partner traded
    # other products: told apart by whether the partner has any row in that month.
    traded = np.zeros(len(partners) * width, dtype=bool)
    traded[partner[inside] * width + period[inside]] = True
    of_partner = partner[first[absent_series]]
    silent = ~traded[of_partner * width + absent_period]
    years = _years_text(complete)
    why = (
        f"the API leaves out months without trade, and the answer holds all twelve months "
        f"of {years}"
    )

    def when(at: int) -> str:
        return f"{complete[at // 12]}-{at % 12 + 1:02d}"

    rank = _ranks(partners)
    quiet = np.unique(absent_period[silent] * len(partners) + of_partner[silent])
    if len(quiet):
        shown_periods, shown_partners = quiet // len(partners), quiet % len(partners)
        order = np.lexsort((rank[shown_partners], shown_periods))[:3]
        shown = [f"{partners[shown_partners[i]]} {when(shown_periods[i])}" for i in order]
        accounting.notes.append(
            f"{len(quiet):,} partner-months absent from the answer taken as zero trade "
            f"({_listed(shown, len(quiet))}): {why}"
        )
    if has_products:
        others = np.flatnonzero(~silent)
        if len(others):
            of_product = product[first[absent_series[others]]]
            order = _first_three(
                (_ranks(products)[of_product], rank[of_partner[others]], absent_period[others]),
                (len(products), len(partners)),
            )
            shown = [
                f"{partners[of_partner[others[i]]]} {products[of_product[i]]} "
                f"{when(absent_period[others[i]])}"
                for i in order
            ]
            accounting.notes.append(
                f"{len(others):,} product-months absent from the answer taken as zero trade, "
                f"where the partner traded other products ({_listed(shown, len(others))}): "
                f"{why}"
            )
    rows = frame[["origin", "partner", "product", "classification"]].iloc[
        dated[first[absent_series]]
    ]
    added = pd.DataFrame(
        {
            "line": np.full(len(absent), np.nan),
            "origin": rows["origin"].array,
            "year": np.asarray(complete, dtype=np.int64)[absent_period // 12],
            "month": absent_period % 12 + 1,
            "partner": rows["partner"].array,
            "product": rows["product"].array,
            "classification": rows["classification"].array,
            "value_usd": np.zeros(len(absent)),
        }
    )
    return pd.concat([frame, added[frame.columns]], ignore_index=True)


def _first_three(keys: tuple, spans: tuple) -> list[int]:
    """Return the places of the first three rows in the order ``np.lexsort(keys)`` gives
    (the last key first), where no two rows share all their keys and each key but the last
    is below its span: a pick of three, not a sort of every row."""
    import numpy as np

    combined = keys[-1].astype(np.int64)
    for key, span in zip(keys[-2::-1], spans[::-1], strict=True):
        combined = combined * span + key
    smallest = np.argpartition(combined, 2)[:3] if len(combined) > 3 else np.arange(len(combined))
    return [int(at) for at in smallest[np.argsort(combined[smallest])]]


def _ranks(values):
    """Return each value's place among ``values`` in sorted order."""
    import numpy as np

    texts = values.tolist() if hasattr(values, "tolist") else list(values)  # (not a value a step)
    order = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank


def _listed(shown: list[str], count: int) -> str:
    more = f" and {count - len(shown):,} more" if count > len(shown) else ""
    return ", ".join(shown) + more


def _years_text(years: list[int]) -> str:
    """Return years as runs: [2013, 2014, 2015, 2019] -> "2013-2015, 2019"."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


def _years_from_months_where_december_is_short(frame, accounting: Accounting, year_field):
    """Return ``frame`` without the annual rows of a partner's year in which some product
    has months but no December year-to-date.

    Metrics take a partner's year from its annual rows where it has any; a product the API
    gave no December row for (no trade in December) has none, and would be left out of the
    year. Such a year is its months added up instead (the annual rows were held to them).
    """
    annual = frame["month"].isna()
    if not annual.any() or annual.all():
        return frame
    stated = set(
        zip(
            frame.loc[annual, "partner"],
            frame.loc[annual, "year"],
            frame.loc[annual, "product"],
            strict=True,
        )
    )
    products = frame.loc[~annual, ["partner", "year", "product"]].drop_duplicates()
    short = {
        (partner, year)
        for partner, year, product in products.itertuples(index=False)
        if (partner, year, product) not in stated
    }
    with_annual = {(partner, year) for partner, year, _ in stated}
    short &= with_annual
    if not short:
        return frame
    import numpy as np

    pairs = zip(frame["partner"], frame["year"], strict=True)
    dropped = annual.to_numpy() & np.array([pair in short for pair in pairs], dtype=bool)
    shown = [f"{partner} {year}" for partner, year in sorted(short, key=lambda p: (p[1], p[0]))]
    accounting.notes.append(
        f"December's {year_field} not used as the whole year for {len(short):,} partner-years "
        f"({_listed(shown[:3], len(short))}): some of their products have no December row, so "
        "each of those years is its twelve months added up"
    )
    return frame[~dropped]
