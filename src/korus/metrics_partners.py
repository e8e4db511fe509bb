"""A reporter's partners ranked: pure functions from canonical frames to result frames.

The same definitions as every korus measure (``korus.metrics``): whole years only, groups
never added to countries, one source at a time, a missing figure never taken for zero.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from korus.errors import DataCoverageError
from korus.metrics import (
    FLOW_COLUMNS,
    _basis_of,
    _coverage_error,
    _one_source,
    _product_rows,
    _rows,
    coverage,
    whole_years,
)
from korus.schema import TOTAL


def latest_reporter_year(frame: pd.DataFrame, reporter: str) -> int:
    """Return the last year for which ``reporter`` has whole-year figures with any partner."""
    rows = _rows(frame, (frame["reporter"] == reporter) & frame["flow"].isin(list(FLOW_COLUMNS)))
    years = whole_years(rows)["year"]
    if years.empty:
        raise DataCoverageError(f"the data holds no whole-year trade of {reporter}")
    return int(years.max())


def partner_ranking(
    frame: pd.DataFrame,
    reporter: str,
    year: int,
    by: str,
    is_group: Callable[[str], bool],
    include_groups: bool = False,
    covered: Callable[[pd.DataFrame], str] = coverage,
) -> pd.DataFrame:
    """Return every partner's whole-year exports, imports, balance and total with ``reporter``.

    Groups (World, EU, continents) are aggregates of partners: left out unless asked for,
    and never added to anything. Ranked by ``by`` ("balance": the largest deficits first;
    "exports", "imports", "total": the largest first), with each partner's share of the
    countries' total for that measure (not for a balance).
    Columns: rank, year, reporter, partner, exports, imports, balance, total, share_pct,
    source, basis, vintage. Figures are to the cent. ``covered`` says what rows cover
    (``metrics.coverage``; a plan's sums, whose product codes are elsewhere, give their own).
    """
    # (No copy where every row is the reporter's flows, or one block of them.)
    rows = _rows(frame, (frame["reporter"] == reporter) & frame["flow"].isin(list(FLOW_COLUMNS)))
    years = whole_years(_rows(rows, rows["year"] == year))
    if years.empty:
        raise _coverage_error(rows, year, f"{reporter} trade")
    years = _product_rows(years)
    # Asked once per partner, not once per row (a reporter's HS6 rows are millions).
    groups = [code for code in pd.unique(years["partner"]) if is_group(code)]
    grouped = years["partner"].isin(groups)
    if not include_groups:
        if grouped.all():
            held = ", ".join(sorted(years["partner"].unique()))
            raise DataCoverageError(
                f"the data holds no country among {reporter}'s partners in {year}, only groups "
                f"({held}): there is no country to rank; --groups lists the groups"
            )
        years = _rows(years, ~grouped)
    _one_source(years, f"{reporter} partner figures")
    # A partner-flow the data has no figure for is missing (NaN, shown n/a), never 0: its
    # balance and total are missing too, and a partner whose measure is missing is listed
    # after the ranked ones, without a rank.
    wide = (
        years.groupby(["partner", "flow"], observed=True)["value_usd"]
        .sum(min_count=1)
        .unstack("flow")
        .round(2)  # to the cent: the same figures however (and wherever) they were added
    )
    for side in FLOW_COLUMNS:
        if side not in wide.columns:
            wide[side] = float("nan")
    out = pd.DataFrame(
        {
            "partner": wide.index,
            "exports": wide["export"].to_numpy(),
            "imports": wide["import"].to_numpy(),
        }
    )
    out["balance"] = (out["exports"] - out["imports"]).round(2)
    # The balance a source states (a Census balance page) is the one shown, as by `deficit`.
    stated = _rows(
        frame,
        (frame["reporter"] == reporter)
        & (frame["flow"] == "balance")
        & (frame["year"] == year)
        & (frame["product"] == TOTAL)
        & frame["source"].isin(years["source"].unique()),
    )
    if len(stated):
        balances = whole_years(stated).groupby("partner", observed=True)["value_usd"].sum().round(2)
        known = out["partner"].map(balances)
        out["balance"] = known.where(known.notna(), out["balance"]).to_numpy()
    out["total"] = (out["exports"] + out["imports"]).round(2)
    out = out.sort_values(
        [by, "partner"], ascending=[by == "balance", True], kind="stable", na_position="last"
    ).reset_index(drop=True)
    if by == "balance":
        out["share_pct"] = float("nan")
    else:
        whole = out.loc[~out["partner"].map(lambda c: bool(is_group(c))), by].sum()
        out["share_pct"] = out[by] / whole * 100.0 if whole else float("nan")
    ranked = int(out[by].notna().sum())
    out.insert(
        0, "rank", pd.array(list(range(1, ranked + 1)) + [None] * (len(out) - ranked), "Int64")
    )
    out.insert(1, "year", year)
    out.insert(2, "reporter", reporter)
    # Every basis of a flow, in one order (a source gives one a flow; rows of whole years
    # and of months added up then come in any order, and never choose it).
    # Judged over the distinct pairs: a reporter's rows are millions, its bases one a flow.
    pairs = years[["flow", "basis"]].drop_duplicates()
    bases = pairs.groupby("flow", observed=True)["basis"].agg(lambda b: " / ".join(sorted(set(b))))
    covered = covered(years)
    out["products"] = covered
    out["source"] = years["source"].iloc[0]
    out["basis"] = "; ".join(
        f"{label}: {_basis_of(bases[flow], covered)}"
        for flow, label in FLOW_COLUMNS.items()
        if flow in bases
    )
    out["vintage"] = ", ".join(sorted(years["vintage"].unique()))
    return out
