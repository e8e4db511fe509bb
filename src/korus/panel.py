"""Measures over a whole panel, from a plan's sums (``korus.engine.plans``), never rows.

``world_products``: a year's world totals by product (HS chapter or heading), ranked, each
with its share of the whole and what it adds up. The sums come from every reporter's (or
one reporter's) figures with every partner that is a country, whole years only; the same
definitions as every korus measure (``korus.metrics``: what the figures cover, one source
at a time, a missing figure never taken for zero).
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
