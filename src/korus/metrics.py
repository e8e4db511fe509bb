"""Trade metrics: pure functions from canonical frames to result frames. No I/O, no printing.

Values stay in US dollars here; the display unit is the renderer's business.

The measures of change (``pct_change``, ``cagr``, ``undefined_because``, ``change_between``)
are defined in ``metrics_change`` and offered here under the same names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np
import pandas as pd

from korus.errors import DataCoverageError, MixedSourcesError
from korus.groups import arrow_text
from korus.metrics_change import Change as Change
from korus.metrics_change import cagr as cagr
from korus.metrics_change import change_between as change_between
from korus.metrics_change import pct_change
from korus.metrics_change import undefined_because as undefined_because
from korus.metrics_coverage import _LEVELS as _LEVELS
from korus.metrics_coverage import _family as _family
from korus.metrics_coverage import _sorted_distinct
from korus.metrics_coverage import coverage as coverage
from korus.metrics_coverage import coverage_of as coverage_of
from korus.schema import ALL_GOODS, TOTAL

FLOW_COLUMNS = {"export": "exports", "import": "imports"}


def _rows(frame: pd.DataFrame, mask) -> pd.DataFrame:
    """Return the rows of ``frame`` where ``mask`` holds: without a copy when they are all
    the frame (a reader that read one country pair's rows only), one block of it (a
    reader that keeps one reporter's rows with one partner together), or none of it."""
    chosen = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(chosen) == len(frame):
        return frame
    if not len(chosen):
        # (Arrow joins a column's chunks to take from it, even to take no row.)
        return frame.iloc[:0]
    if len(chosen) and chosen[-1] - chosen[0] + 1 == len(chosen):
        return frame.iloc[chosen[0] : chosen[-1] + 1]
    return frame[mask]


def whole_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Return one row per year for every series: the stated annual rows, else 12 months added.

    Where a source states a whole-year figure (month <NA>) that row is used, never added to
    its months. Where it has only months, a year counts only when all twelve months are in
    the data for that reporter, partner, flow and source; each product's year is then the
    sum of its months (a product absent in a published month had no trade in it). A year
    with fewer months is left out: it is a partial year, never a year.
    """
    from korus import metrics_years

    return metrics_years.whole_years(frame, _rows)


def _month_names(months) -> list[str]:
    return [pd.Timestamp(year=2000, month=int(m), day=1).strftime("%B") for m in months]


def _coverage_error(frame: pd.DataFrame, year: int, what: str) -> DataCoverageError:
    monthly = frame[(frame["year"] == year) & frame["month"].notna()]
    years = sorted(int(y) for y in whole_years(frame)["year"].unique())
    if len(monthly):
        months = sorted(int(m) for m in monthly["month"].unique())
        missing = [m for m in range(1, 13) if m not in months]
        vintage = ", ".join(sorted(monthly["vintage"].unique()))
        if months == list(range(1, months[-1] + 1)):
            names = _month_names(months)
            held = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
            text = f"{year} holds {held} only ({vintage}): a partial year is not a year"
        else:
            text = (
                f"{year} lacks {', '.join(_month_names(missing))} ({vintage}): a year with a "
                "month missing is not a year, and a missing month is never taken for zero"
            )
        later = [y for y in years if y > year]
        earlier = [y for y in years if y < year]
        if earlier and not later:
            text += f"; choose years up to {earlier[-1]}"
        return DataCoverageError(text)
    span = f"{years[0]}-{years[-1]}" if years else "no whole years"
    return DataCoverageError(f"the data holds no {what} for {year} (it covers {span})")


def _missing_flow(
    annual: pd.DataFrame, reporter: str, partner: str, flow: str, year: int
) -> DataCoverageError:
    label = FLOW_COLUMNS[flow]
    years = sorted(int(y) for y in annual.loc[annual["flow"] == flow, "year"].unique())
    held = f"{label} only for {years[0]}-{years[-1]}" if years else f"no {label} at all"
    word = "to" if flow == "export" else "from"
    return DataCoverageError(
        f"the data holds no {reporter} {label} {word} {partner} for {year} (it has {held}); "
        "a missing flow is never taken for zero"
    )


def _one_source(frame: pd.DataFrame, what: str) -> None:
    sources = sorted(frame["source"].unique())
    if len(sources) > 1:
        raise MixedSourcesError(
            f"{what} would mix sources ({'; '.join(sources)}); give one source's file with --data"
        )


def _product_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that make up all goods, per year and flow: the TOTAL row where there is one,
    else the coarsest product level present (never both: that would count twice)."""
    if frame.empty:
        return frame
    is_total = frame["product"] == TOTAL
    width = frame["product"].str.len()
    if not is_total.any() and width.min() == width.max():
        return frame  # one product level throughout (a BACI file's HS6): all of it
    keys = [frame["year"], frame["flow"]]
    has_total = is_total.groupby(keys, observed=True).transform("any")
    coarsest = width.groupby(keys, observed=True).transform("min")
    chosen = is_total | (~has_total & (width == coarsest))
    return frame if chosen.all() else frame[chosen]


def bilateral_flows(
    frame: pd.DataFrame,
    reporter: str,
    partner: str,
    years: list[int],
    need: tuple[str, ...] = ("export", "import"),
) -> pd.DataFrame:
    """Return whole-year exports and imports of ``reporter`` with ``partner``, one row a year.

    Columns: year, reporter, partner, exports, imports (US dollars), source, basis, vintage.
    Exports and imports come from all-goods rows (TOTAL), or, where the data has only
    products, from the sum of its coarsest product level. Every asked year must be a whole
    year the data holds; figures from two sources are never combined.
    """
    # One mask, one copy of the rows (a large frame is filtered once, not step by step).
    both = (frame["reporter"] == reporter) & (frame["partner"] == partner)
    in_pair = both & ((frame["flow"] == "export") | (frame["flow"] == "import"))
    if not in_pair.any():
        raise DataCoverageError(f"the data holds no trade of {reporter} with {partner}")
    annual = whole_years(_rows(frame, in_pair & frame["year"].isin(years)))
    # Which (year, flow) the whole years hold, worked out once (not a pass per year).
    held_years = set(annual["year"].unique().tolist())
    held = {
        flow: set(annual.loc[annual["flow"] == flow, "year"].unique().tolist()) for flow in need
    }
    for year in years:
        if year not in held_years:
            raise _coverage_error(frame[in_pair], year, f"{reporter}-{partner} trade")
        for flow in need:
            if year not in held[flow]:
                raise _missing_flow(annual, reporter, partner, flow, year)
    rows = _product_rows(annual)
    _one_source(rows, f"{reporter}-{partner} totals")
    values = rows.groupby(["year", "flow"], observed=True)["value_usd"].sum().unstack("flow")
    out = pd.DataFrame(
        {
            "year": values.index.astype(int),
            "reporter": reporter,
            "partner": partner,
            "exports": values.get("export", pd.Series(float("nan"), index=values.index)).to_numpy(),
            "imports": values.get("import", pd.Series(float("nan"), index=values.index)).to_numpy(),
        }
    )
    out = _provenance(out, rows).sort_values("year").reset_index(drop=True)
    balances = _rows(frame, both & (frame["flow"] == "balance"))
    stated = _stated_balances(balances, reporter, partner, years, rows["source"].iloc[0])
    if stated is not None:
        out["balance_stated"] = stated.reindex(out["year"]).to_numpy()
    return out


def _stated_balances(frame, reporter, partner, years, source) -> pd.Series | None:
    """Return the balance a source publishes for every asked year, or None where it has none.

    A published balance was computed from unrounded figures; where a source gives one
    (the Census balance pages), korus reports it rather than the difference of the
    rounded exports and imports.
    """
    rows = frame[
        (frame["reporter"] == reporter)
        & (frame["partner"] == partner)
        & (frame["flow"] == "balance")
        & (frame["source"] == source)
    ]
    if rows.empty:
        return None
    annual = whole_years(rows[rows["year"].isin(years)])
    annual = annual[annual["product"] == TOTAL]
    if set(annual["year"]) != set(years):
        return None
    return annual.groupby("year")["value_usd"].sum()


def _basis_of(text: str, covered: str) -> str:
    """Return a flow's basis as shown for figures covering ``covered``: the Census's "total
    exports" (domestic and foreign goods) says "total" only of all goods."""
    if covered == ALL_GOODS:
        return text
    return text.replace("total exports", "exports (domestic and foreign goods)")


def _by_year(rows: pd.DataFrame, column: str) -> dict[int, list]:
    """Return each year's distinct values of ``column`` in ``rows`` (where the column is
    Arrow text: an Arrow array of them, sorted, found by one sort of the rows by year and
    value, never made Python strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    years = rows["year"].to_numpy(dtype="int64")
    arrow = arrow_text(rows[column].array)
    if arrow is not None and not arrow.null_count and len(arrow):
        ends = pc.min_max(arrow)
        if ends["min"].as_py() == ends["max"].as_py():
            # One text in every row (a source's classification, a release): each year's
            # is that one, found without sorting the rows.
            one = arrow.slice(0, 1)
            return {int(year): one for year in np.unique(years)}
        keys = [("year", "ascending"), ("value", "ascending")]
        order = pc.sort_indices(pa.table({"year": years, "value": arrow}), sort_keys=keys)
        years, values = years[order.to_numpy()], arrow.take(order)
        first = np.ones(len(years), dtype=bool)  # a row that is not its previous one again
        first[1:] = years[1:] != years[:-1]
        first[1:] |= pc.not_equal(values[1:], values[:-1]).to_numpy(zero_copy_only=False)
        years, values = years[first], values.filter(pa.array(first))
        cuts = [0, *(np.flatnonzero(np.diff(years)) + 1).tolist(), len(years)]
        return {
            int(years[start]): values.slice(start, end - start)
            for start, end in zip(cuts[:-1], cuts[1:], strict=True)
        }
    pairs = rows[["year", column]].drop_duplicates()
    years = pairs["year"].to_numpy(dtype="int64")
    order = np.argsort(years, kind="stable")
    values = np.asarray(pairs[column].tolist(), dtype=object)[order]
    years = years[order]
    cuts = np.flatnonzero(np.diff(years)) + 1
    return {
        int(part[0]): list(chosen)
        for part, chosen in zip(np.split(years, cuts), np.split(values, cuts), strict=True)
        if len(part)
    }


def _provenance(out: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Return ``out`` with what its figures cover (``products``), the source, both flows'
    bases and the vintages of ``rows``."""
    if "year" in out.columns and "month" not in out.columns and rows["year"].nunique() > 1:
        # Each year's own coverage and release: a source may give totals for some years
        # only, and a file may hold years of several releases.
        # Each year's distinct codes, classifications and vintages: the distinct pairs
        # once, cut by year (a 30-year folder's rows are not cut into 30 frames).
        products = _by_year(rows, "product")
        classifications = _by_year(rows, "classification")
        by_year = {
            year: coverage_of(codes, classifications.get(year, []))
            for year, codes in products.items()
        }
        # The whole coverage is "all goods" where every year's is (the years hold every
        # row); it is worked out from the rows again only for a year they do not hold.
        out["products"] = out["year"].map(by_year)
        whole = bool(by_year) and all(text == ALL_GOODS for text in by_year.values())
        covered = ALL_GOODS if whole else None
        if out["products"].isna().any():
            covered = coverage(rows)
            out["products"] = out["products"].fillna(covered)
        released = {
            year: ", ".join(_sorted_distinct(names).to_pylist())
            for year, names in _by_year(rows, "vintage").items()
        }
        out["vintage"] = out["year"].map(released)
        if out["vintage"].isna().any():
            out["vintage"] = out["vintage"].fillna(", ".join(sorted(rows["vintage"].unique())))
    else:
        covered = coverage(rows)
        out["products"] = covered
        out["vintage"] = ", ".join(sorted(rows["vintage"].unique()))
    basis = rows[["flow", "basis"]].drop_duplicates("flow").set_index("flow")["basis"]
    out["source"] = rows["source"].iloc[0]
    out["basis"] = "; ".join(
        f"{label}: {_basis_of(basis[flow], covered)}"
        for flow, label in FLOW_COLUMNS.items()
        if flow in basis
    )
    out = out[[*(c for c in out.columns if c != "vintage"), "vintage"]]
    return out


def trade_balance(flows: pd.DataFrame) -> pd.DataFrame:
    """Return ``flows`` with a ``balance`` column: exports minus imports, or the balance the
    source publishes where ``flows`` carries one (``balance_stated``)."""
    out = flows.copy()
    if "balance" in out.columns:
        return out
    position = out.columns.get_loc("imports") + 1
    if "balance_stated" in out.columns:
        out.insert(position, "balance", out.pop("balance_stated"))
    else:
        out.insert(position, "balance", out["exports"] - out["imports"])
    return out


def year_on_year(flows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Return each year's value of ``measure`` and its % change on the year before.

    The first year has no change (null); a year whose previous year is not in the frame
    (2011,2016) is compared with the one listed before it, and ``years_between`` says so.
    """
    out = flows[["year", "reporter", "partner", measure]].rename(columns={measure: "value"})
    out.insert(3, "measure", measure)
    previous = out["value"].shift(1)
    out["change"] = out["value"] - previous
    out["pct_change"] = [
        None if pd.isna(before) else pct_change(before, now)
        for before, now in zip(previous, out["value"], strict=True)
    ]
    out["pct_change"] = out["pct_change"].astype("float64")
    out["years_between"] = out["year"].diff().astype("Int64")
    for column in ("products", "source", "basis", "vintage"):
        out[column] = flows[column]
    return out


class ProductGrouping(Protocol):
    """How product codes roll up into groups (korus.products.Grouping is one)."""

    family: str

    def matches(self, classification: str) -> bool: ...

    def members(self, codes: Iterable[str]) -> list[tuple[str, str]]: ...


class HSChapters:
    """The default grouping: HS codes of any length rolled up into their chapters."""

    family = "HS"

    def matches(self, classification: str) -> bool:
        return classification.startswith(("HS", "HTS"))

    def members(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        return [(code, code[:2]) for code in codes]


def _base_products(pair: pd.DataFrame, grouping: ProductGrouping) -> pd.DataFrame:
    """Rows of one product classification at one level: the finest the data has."""
    classifications = pair["classification"]
    matching = [name for name in classifications.unique() if grouping.matches(name)]
    products = _rows(pair, (pair["product"] != TOTAL) & classifications.isin(matching))
    if products.empty:
        return products
    widths = products["product"].str.len()
    return _rows(products, widths == widths.max())


def sector_values(
    frame: pd.DataFrame,
    reporter: str,
    partner: str,
    year: int,
    flow: str,
    since: int | None = None,
    grouping: ProductGrouping | None = None,
) -> tuple[pd.DataFrame, float]:
    """Return each product group's value in ``year`` with its share, and the whole's value.

    Groups come from ``grouping`` (HS chapters when None) over the finest product level
    of its classification that the data has; the whole is the sum of all those products, so
    shares of chapters add to 100% (named sectors may overlap and need not).
    ``flow`` is "exports", "imports" or "balance" (exports minus imports per group). A
    group none of whose products has a row of a flow in a year has no figure there (NaN,
    shown n/a): missing, never 0, and listed last. A share of a balance is a share of a
    net figure: groups in surplus count against a deficit, so a group can exceed 100%.
    With ``since``, adds the group's value then and its change.
    With ``since``, each group's change is also its contribution to the whole's change:
    the changes add up to the whole's change, and ``contribution_pp`` (the change in
    percentage points of the whole's value in ``since``) to the whole's % change.
    Columns: year, reporter, partner, flow, product[, exports, imports (for a balance)],
    value, share_pct[, value_since, change, pct_change, contribution_pp], source, basis,
    vintage. Sorted largest first (for a deficit, the most negative first).
    """
    pair = _rows(
        frame,
        (frame["reporter"] == reporter)
        & (frame["partner"] == partner)
        & frame["flow"].isin(list(FLOW_COLUMNS)),
    )
    grouping = grouping or HSChapters()
    base = whole_years(_base_products(pair, grouping))
    family = grouping.family
    if base.empty:
        raise DataCoverageError(
            f"the data holds no {family} product detail for {reporter} with {partner}; "
            "this breakdown needs a file by product of that classification"
        )
    years = [year] if since is None else [since, year]
    for wanted in years:
        if not (base["year"] == wanted).any():
            have = sorted(base["year"].unique())
            raise DataCoverageError(
                f"the data holds no {family} products for {wanted} (it has {have[0]}-{have[-1]})"
            )
    base = _rows(base, base["year"].isin(years))
    needed = (
        list(FLOW_COLUMNS) if flow == "balance" else ["export" if flow == "exports" else "import"]
    )
    for wanted in years:
        for side in needed:
            if not ((base["year"] == wanted) & (base["flow"] == side)).any():
                raise _missing_flow(whole_years(pair), reporter, partner, side, wanted)
    _one_source(base, "sector figures")
    # product x (flow, year): a product the data has no row for in a flow and year is
    # missing there (NaN), never a zero.
    wide = base.groupby(["product", "flow", "year"], observed=True)["value_usd"].sum()
    wide = wide.unstack(["flow", "year"])
    if flow == "balance":
        basis_flows = list(FLOW_COLUMNS)
    else:
        basis_flows = ["export" if flow == "exports" else "import"]
    # The whole is every product's figure of the flow, as in the data: for a balance,
    # all exports less all imports.
    whole = {
        (side, wanted): float(wide[(side, wanted)].sum()) if (side, wanted) in wide else 0.0
        for side in FLOW_COLUMNS
        for wanted in years
    }

    def whole_of(wanted: int) -> float:
        if flow == "balance":
            return whole[("export", wanted)] - whole[("import", wanted)]
        return whole[(basis_flows[0], wanted)]

    total = whole_of(year)
    codes = list(wide.index)
    pairs = grouping.members(codes)
    if not pairs:
        raise DataCoverageError(f"no {family} product of the data falls in the groups asked for")
    membership = pd.DataFrame(pairs, columns=["code", "group"])

    def per_group(side: str, wanted: int) -> pd.Series:
        """The group's figure of one flow and year: the sum over its products that have
        one; missing (NaN) when none of them has."""
        if (side, wanted) not in wide:
            values = pd.Series(float("nan"), index=membership["code"])
        else:
            values = wide[(side, wanted)].reindex(membership["code"])
        summed = values.set_axis(membership["group"]).groupby(level=0, sort=False)
        return summed.sum(min_count=1)

    def measure_of(wanted: int) -> pd.Series:
        if flow == "balance":
            return per_group("export", wanted) - per_group("import", wanted)
        return per_group(basis_flows[0], wanted)

    value = measure_of(year)
    out = pd.DataFrame({"product": value.index})
    if flow == "balance":
        # A balance is shown with the two flows it nets, so each figure can be checked.
        for side, label in FLOW_COLUMNS.items():
            out[label] = per_group(side, year).reindex(value.index).to_numpy()
    out["value"] = value.to_numpy()
    out["share_pct"] = out["value"] / total * 100.0 if total else float("nan")
    if since is not None:
        out["value_since"] = measure_of(since).reindex(value.index).to_numpy()
        out["change"] = out["value"] - out["value_since"]
        out["pct_change"] = [
            pct_change(a, b) for a, b in zip(out["value_since"], out["value"], strict=True)
        ]
        out["pct_change"] = out["pct_change"].astype("float64")
        # Each group's part in the whole's change, in percentage points of the whole's
        # value then: over groups that partition the whole they add up to its % change.
        base_total = whole_of(since)
        out["contribution_pp"] = (
            out["change"] / abs(base_total) * 100.0 if base_total else float("nan")
        )
    # Ranked by value; a group whose figure is missing is listed last, never ranked as 0.
    out = out.sort_values("value", ascending=bool(total < 0), kind="stable", na_position="last")
    out.insert(0, "year", year)
    out.insert(1, "reporter", reporter)
    out.insert(2, "partner", partner)
    out.insert(3, "flow", flow)
    bases = base[["flow", "basis"]].drop_duplicates("flow").set_index("flow")["basis"]
    out["source"] = base["source"].iloc[0]
    out["basis"] = "; ".join(f"{FLOW_COLUMNS[f]}: {bases[f]}" for f in basis_flows if f in bases)
    used = base[base["flow"].isin(basis_flows)]
    out["vintage"] = "; ".join(sorted(used["vintage"].unique()))
    return out.reset_index(drop=True), total


def latest_product_year(
    frame: pd.DataFrame, reporter: str, partner: str, grouping: ProductGrouping | None = None
) -> int:
    """Return the last year for which the pair has whole-year product figures of the
    grouping's classification."""
    pair = frame[(frame["reporter"] == reporter) & (frame["partner"] == partner)]
    base = whole_years(_base_products(pair, grouping or HSChapters()))
    if base.empty:
        raise DataCoverageError(
            f"the data holds no whole-year product figures of {reporter} with {partner}"
        )
    return int(base["year"].max())


def latest_whole_years(frame: pd.DataFrame, reporter: str, partner: str, count: int) -> list[int]:
    """Return the last ``count`` years for which the pair has whole-year figures."""
    pair = frame[(frame["reporter"] == reporter) & (frame["partner"] == partner)]
    years = sorted(int(year) for year in whole_years(pair)["year"].unique())
    if not years:
        raise DataCoverageError(f"the data holds no whole-year trade of {reporter} with {partner}")
    return years[-count:]


def mirror_flows(
    frame: pd.DataFrame, reporter: str, partner: str, years: list[int]
) -> pd.DataFrame:
    """Return each side's own figures for the same trade, with the gap between them.

    For every year three rows: "A to B", A's exports beside B's imports from A; "B to A",
    A's imports beside B's exports to A; "A balance", A's balance beside B's balance seen
    from A's side (its negative). Each side's figures
    come from its own source; nothing is combined across sources within a figure.
    Columns: year, measure, reporter_value, partner_value, gap (reporter minus partner),
    gap_pct (of the partner's figure), reporter_products, reporter_source, reporter_basis,
    partner_products, partner_source, partner_basis, reporter_vintage, partner_vintage.
    """
    own = bilateral_flows(frame, reporter, partner, years).set_index("year")
    other = bilateral_flows(frame, partner, reporter, years).set_index("year")
    rows = []
    for year in years:
        a, b = own.loc[year], other.loc[year]
        for measure, mine, theirs in (
            (f"{reporter} to {partner}", a["exports"], b["imports"]),
            (f"{partner} to {reporter}", a["imports"], b["exports"]),
            (f"{reporter} balance", a["exports"] - a["imports"], b["imports"] - b["exports"]),
        ):
            gap = mine - theirs
            rows.append(
                {
                    "year": year,
                    "measure": measure,
                    "reporter_value": mine,
                    "partner_value": theirs,
                    "gap": gap,
                    "gap_pct": gap / abs(theirs) * 100.0 if theirs else float("nan"),
                    "reporter_products": a["products"],
                    "reporter_source": a["source"],
                    "reporter_basis": a["basis"],
                    "partner_products": b["products"],
                    "partner_source": b["source"],
                    "partner_basis": b["basis"],
                    "reporter_vintage": a["vintage"],
                    "partner_vintage": b["vintage"],
                }
            )
    return pd.DataFrame(rows)


def _month_label(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def monthly_flows(
    frame: pd.DataFrame,
    reporter: str,
    partner: str,
    months: list[tuple[int, int]],
    need: tuple[str, ...] = ("export", "import"),
) -> pd.DataFrame:
    """Return each asked month's exports and imports of ``reporter`` with ``partner``.

    A month the data does not hold is an error, never a zero; only the flows in ``need``
    must be there (a flow that is not is missing, NaN). Figures come from all-goods rows
    (TOTAL) or, where the data has only products, the sum of its coarsest level. Where the
    source publishes the month's balance itself (the Census balance pages), it is given
    as ``balance_stated`` and is the balance korus reports, as for years.
    Columns: year, month, reporter, partner, exports, imports[, balance_stated], source,
    basis, vintage.
    """
    pair = frame[
        (frame["reporter"] == reporter)
        & (frame["partner"] == partner)
        & frame["flow"].isin([*FLOW_COLUMNS, "balance"])
        & frame["month"].notna()
    ]
    balances = pair[pair["flow"] == "balance"]
    pair = pair[pair["flow"] != "balance"]
    if pair.empty:
        raise DataCoverageError(
            f"the data holds no monthly figures of {reporter} with {partner}"
            + (" (only whole years)" if len(frame) else "")
        )
    held = set(zip(pair["year"].astype(int), pair["month"].astype(int), strict=True))
    for year, month in months:
        for flow in need:
            label = FLOW_COLUMNS[flow]
            has = pair[(pair["year"] == year) & (pair["month"] == month) & (pair["flow"] == flow)]
            if has.empty:
                first, last = min(held), max(held)
                raise DataCoverageError(
                    f"the data holds no {reporter} {label} for {_month_label(year, month)} "
                    f"(it has months {_month_label(*first)} to {_month_label(*last)}); a "
                    "missing month is never taken for zero"
                )
    wanted = pd.MultiIndex.from_tuples(months, names=["year", "month"])
    keys = pd.MultiIndex.from_arrays(
        [pair["year"].astype(int), pair["month"].astype(int)], names=["year", "month"]
    )
    rows = pair[keys.isin(wanted)]
    rows = pd.concat([_product_rows(group) for _, group in rows.groupby("month", observed=True)])
    _one_source(rows, f"{reporter}-{partner} monthly figures")
    values = rows.pivot_table(
        index=["year", "month"], columns="flow", values="value_usd", aggfunc="sum"
    ).reindex(wanted)
    missing = pd.Series(float("nan"), index=values.index)
    out = pd.DataFrame(
        {
            "year": [y for y, _ in months],
            "month": [m for _, m in months],
            "reporter": reporter,
            "partner": partner,
            "exports": values.get("export", missing).to_numpy(),
            "imports": values.get("import", missing).to_numpy(),
        }
    )
    stated = balances[
        (balances["product"] == TOTAL) & (balances["source"] == rows["source"].iloc[0])
    ]
    if len(stated):
        keys = pd.MultiIndex.from_arrays(
            [stated["year"].astype(int), stated["month"].astype(int)], names=["year", "month"]
        )
        by_month = pd.Series(stated["value_usd"].to_numpy(), index=keys)
        if wanted.isin(by_month.index).all():
            out["balance_stated"] = by_month.reindex(wanted).to_numpy()
    return _provenance(out, rows)


def months_a_year_earlier(months: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(year - 1, month) for year, month in months]


def year_to_date(frame: pd.DataFrame, reporter: str, partner: str, months) -> pd.DataFrame:
    """Return the asked months added up, beside the same months a year earlier.

    The months must run within one year (a year-to-date or any stretch of it); both
    periods must be whole in the data. Rows: the earlier period, then the asked one.
    Columns: period, months, reporter, partner, exports, imports, balance, source, basis,
    vintage.
    """
    if len({year for year, _ in months}) != 1:
        raise DataCoverageError("a year-to-date comparison takes months of one year")
    rows = []
    for period in (months_a_year_earlier(months), months):
        flows = trade_balance(monthly_flows(frame, reporter, partner, period))
        label = f"{_month_label(*period[0])}..{_month_label(*period[-1])}"
        rows.append(
            {
                "period": label,
                "months": len(period),
                "reporter": reporter,
                "partner": partner,
                "exports": flows["exports"].sum(),
                "imports": flows["imports"].sum(),
                # The months' balances added up: the source's own where it states them.
                "balance": flows["balance"].sum(),
                "products": flows["products"].iloc[0],
                "source": flows["source"].iloc[0],
                "basis": flows["basis"].iloc[0],
                "vintage": flows["vintage"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


def month_on_year(
    frame: pd.DataFrame, reporter: str, partner: str, months, measure: str
) -> pd.DataFrame:
    """Return each month's value of ``measure`` beside the same month a year earlier.

    Columns: year, month, reporter, partner, measure, value, value_year_earlier, change,
    pct_change, source, basis, vintage.
    """
    need = {"exports": ("export",), "imports": ("import",)}.get(measure, ("export", "import"))
    now = trade_balance(monthly_flows(frame, reporter, partner, months, need))
    then = trade_balance(
        monthly_flows(frame, reporter, partner, months_a_year_earlier(months), need)
    )
    for table in (now, then):
        table["deficit"] = -table["balance"]
    out = now[["year", "month", "reporter", "partner"]].copy()
    out["measure"] = measure
    out["value"] = now[measure].to_numpy()
    out["value_year_earlier"] = then[measure].to_numpy()
    out["change"] = out["value"] - out["value_year_earlier"]
    out["pct_change"] = pd.array(
        [pct_change(a, b) for a, b in zip(out["value_year_earlier"], out["value"], strict=True)],
        dtype="float64",
    )
    for column in ("products", "source", "basis", "vintage"):
        out[column] = now[column]
    return out


def rolling_sums(
    frame: pd.DataFrame, reporter: str, partner: str, months, window: int = 12
) -> pd.DataFrame:
    """Return, for each asked month, the sums of the ``window`` months ending with it.

    Every month of every window must be in the data. Columns: year, month, reporter,
    partner, exports, imports, balance (each a sum over the window), source, basis, vintage.
    """
    first_year, first_month = months[0]
    start = (first_year * 12 + first_month - 1) - (window - 1)
    span = [(index // 12, index % 12 + 1) for index in range(start, start + window - 1)]
    flows = trade_balance(monthly_flows(frame, reporter, partner, span + list(months)))
    sums = flows[["exports", "imports", "balance"]].rolling(window).sum().iloc[window - 1 :]
    out = flows.iloc[window - 1 :][["year", "month", "reporter", "partner"]].copy()
    out["exports"] = sums["exports"].to_numpy()
    out["imports"] = sums["imports"].to_numpy()
    # The months' balances added up: the source's own where it states them.
    out["balance"] = sums["balance"].to_numpy()
    for column in ("products", "source", "basis", "vintage"):
        out[column] = flows[column].iloc[0]
    return out.reset_index(drop=True)
