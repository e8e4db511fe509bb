"""Measures over a whole panel, from a plan's sums (``korus.engine.plans``), never rows.

``world_products``: a year's world totals by product (HS chapter or heading), ranked, each
with its share of the whole and what it adds up. The sums come from every reporter's (or
one reporter's) figures with every partner that is a country, whole years only; the same
definitions as every korus measure (``korus.metrics``: what the figures cover, one source
at a time, a missing figure never taken for zero).

``mirror_gaps``: a reporter's figures of its trade with each partner in a year beside the
partner's own figures of the same trade, ranked by the size of the gap; a partner one side
has no figure for is listed, unranked, never compared with a zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from korus.errors import DataCoverageError

if TYPE_CHECKING:
    import pandas as pd

LEVELS = {"chapter": 2, "heading": 4}


def world_products(sums: pd.DataFrame, year: int, flow: str, by: str) -> pd.DataFrame:
    """Return each product group's world total of ``flow`` ("export" or "import") in
    ``year``, largest first: rank, year, flow, product, value (US dollars), share_pct, products
    (what it adds up), source, basis, vintage."""
    import pandas as pd

    from korus import metrics, products

    rows = sums[sums["flow"] == flow]
    if rows.empty:
        raise DataCoverageError(
            f"the data holds no {flow}s by product between countries in {year} (whole years "
            "only: a year of some months is never a year)"
        )
    families = sorted({metrics._family(name) for name in rows["classification"].unique()})
    widths = sorted({len(code) for code in rows["product"].unique()})
    if len(families) > 1 or len(widths) > 1:
        held = " and ".join(f"{width}-digit" for width in widths)
        raise DataCoverageError(
            f"the data gives {flow}s of {year} in several product lists or levels "
            f"({'/'.join(families)}, {held} codes): world totals add up one level of one "
            "list; give files of one"
        )
    metrics._one_source(rows, f"world {flow}s by product")
    digits = LEVELS[by]
    if widths[0] < digits:
        raise DataCoverageError(
            f"HS {by}s need product codes of {digits} digits; the data has {widths[0]}"
        )
    group = rows["product"].str[:digits]
    parts = rows.groupby(group, sort=True)
    out = pd.DataFrame(
        {
            "product": list(parts.groups),
            "value": parts["value_usd"].sum().round(2).to_numpy(),
            "products": [metrics.coverage(part) for _, part in parts],
        }
    )
    name = products.chapter_name if by == "chapter" else products.heading_name
    out.insert(1, "product_name", [name(code) for code in out["product"]])
    whole = out["value"].sum()
    out["share_pct"] = out["value"] / whole * 100.0 if whole else float("nan")
    out = out.sort_values(["value", "product"], ascending=[False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    out.insert(1, "year", year)
    out.insert(2, "flow", f"{flow}s")
    out["source"] = rows["source"].iloc[0]
    out["basis"] = "; ".join(sorted(rows["basis"].unique()))
    out["vintage"] = ", ".join(sorted(rows["vintage"].unique()))
    order = ["rank", "year", "flow", "product", "product_name", "value", "share_pct"]
    return out[[*order, "products", "source", "basis", "vintage"]]


def mirror_gaps(
    sums: pd.DataFrame, partial: list[tuple[str, ...]], reporter: str, year: int, flow: str
) -> pd.DataFrame:
    """Return ``reporter``'s figure of ``flow`` ("export" or "import") with each partner in
    ``year`` beside the partner's own figure of the same trade, ranked by the size of the
    gap (largest first); a partner one side gives no figure for is listed after, unranked,
    with the missing side <NA>. Data where no partner has both sides is an error.

    ``sums`` are a ``plan_gaps.MirrorYear`` plan's (each series' sums by product, of the
    rows that make up all goods); ``partial`` its series left out as partial years (their
    partners are listed too). Each side's figures come from one source. Columns: rank,
    year, reporter, partner, flow, reporter_value, partner_value, gap (reporter minus
    partner), gap_pct (of the partner's figure), reporter_products, reporter_source,
    reporter_basis, partner_products, partner_source, partner_basis, reporter_vintage,
    partner_vintage.
    """
    import pandas as pd

    from korus import metrics

    mirrored = "import" if flow == "export" else "export"
    label, other = metrics.FLOW_COLUMNS[flow], metrics.FLOW_COLUMNS[mirrored]
    word, back = ("to", "from") if flow == "export" else ("from", "to")
    own = sums[(sums["reporter"] == reporter) & (sums["flow"] == flow)]
    theirs = sums[(sums["partner"] == reporter) & (sums["flow"] == mirrored)]
    # (each side's countries told apart by pandas, not a Python text a row: 1.4M sums of
    # a BACI year's products, 1.4 s so)
    own_partners, their_reporters = _distinct(own["partner"]), _distinct(theirs["reporter"])
    listed = own_partners | their_reporters
    listed |= {p for r, p, _, _ in partial if r == reporter}
    listed |= {r for r, p, _, _ in partial if p == reporter}
    if not listed:
        raise DataCoverageError(
            f"the data holds no {reporter} {label} {word} a country in {year}, nor any "
            f"country's {other} {back} {reporter} (whole years only: a year of some months "
            "is never a year)"
        )
    metrics._one_source(own, f"{reporter}'s {label} {word} its partners")
    metrics._one_source(theirs, f"the partners' {other} {back} {reporter}")
    if not own_partners & their_reporters:
        # Nothing to compare: a list of n/a would answer nothing.
        raise DataCoverageError(
            f"no country gives both sides of its trade with {reporter} in {year} (whole years "
            f"only): the data holds {reporter}'s {label} {word} "
            f"{_countries(own['partner'].nunique())} and "
            f"{_countries(theirs['reporter'].nunique(), whose=True)} own {other} {back} "
            f"{reporter}; mirror gaps compare the two: give both sides' figures with --data"
        )
    sides = {
        "reporter": {code: _side(rows) for code, rows in own.groupby("partner")},
        "partner": {code: _side(rows) for code, rows in theirs.groupby("reporter")},
    }
    missing = dict.fromkeys(("products", "source", "basis", "vintage"), None)
    missing["value"] = float("nan")
    records = []
    for partner in sorted(listed):
        mine = sides["reporter"].get(partner, missing)
        yours = sides["partner"].get(partner, missing)
        gap = round(mine["value"] - yours["value"], 2)
        records.append(
            {
                "partner": partner,
                "reporter_value": mine["value"],
                "partner_value": yours["value"],
                "gap": gap,
                "gap_pct": gap / abs(yours["value"]) * 100.0 if yours["value"] else float("nan"),
                **{f"reporter_{key}": mine[key] for key in ("products", "source", "basis")},
                **{f"partner_{key}": yours[key] for key in ("products", "source", "basis")},
                "reporter_vintage": mine["vintage"],
                "partner_vintage": yours["vintage"],
            }
        )
    out = pd.DataFrame(records)
    # A gap with a side missing is unknown (NaN), never a figure minus 0: listed last.
    out["size"] = out["gap"].abs()
    out = out.sort_values(
        ["size", "partner"], ascending=[False, True], kind="stable", na_position="last"
    ).reset_index(drop=True)
    ranked = int(out["size"].notna().sum())
    out.insert(
        0, "rank", pd.array(list(range(1, ranked + 1)) + [None] * (len(out) - ranked), "Int64")
    )
    out.insert(1, "year", year)
    out.insert(2, "reporter", reporter)
    out.insert(4, "flow", label)
    return out.drop(columns="size")


def _distinct(column: pd.Series) -> set:
    """Return the distinct values of a column, as a set."""
    return set(column.unique().tolist())


def _countries(count: int, whose: bool = False) -> str:
    if whose:
        return f"{count} {'country' if count == 1 else 'countries'}'{'s' if count == 1 else ''}"
    return f"{count} {'country' if count == 1 else 'countries'}"


def _side(rows: pd.DataFrame) -> dict:
    """Return one side's figure with a partner (its sums of products added up, to the cent)
    and its provenance, as ``metrics.mirror_flows`` gives them."""
    from korus import metrics

    covered = metrics.coverage(rows)
    bases = sorted(rows[["flow", "basis"]].drop_duplicates().itertuples(index=False))
    return {
        "value": round(float(rows["value_usd"].sum()), 2),
        "products": covered,
        "source": rows["source"].iloc[0],
        "basis": "; ".join(
            f"{metrics.FLOW_COLUMNS[side]}: {metrics._basis_of(basis, covered)}"
            for side, basis in bases
        ),
        "vintage": ", ".join(sorted(rows["vintage"].unique())),
    }
