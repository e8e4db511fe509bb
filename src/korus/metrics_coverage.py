"""What figures cover, said of the product codes they add up: "all goods", "HS 330499",
"97 HS chapters (01-99)" (``coverage``, ``coverage_of``). The distinct codes of Arrow text
are found and sorted by Arrow (``_sorted_distinct``): a 30-year panel's rows never become
a Python string each. ``metrics`` offers these under the same names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from korus.groups import arrow_text
from korus.schema import ALL_GOODS, TOTAL

if TYPE_CHECKING:
    import pandas as pd

_LEVELS = {2: "chapters", 4: "headings", 6: "subheadings"}


def coverage(rows: pd.DataFrame) -> str:
    """Return what the figures of ``rows`` cover: "all goods" (the source's total rows), or
    the products they add up ("HS 330499", "97 HS chapters (01-99)")."""
    return coverage_of(rows["product"].array, rows["classification"].array)


def coverage_of(codes: Iterable[str], classifications: Iterable[str]) -> str:
    """Return what figures adding up the product ``codes`` (of the ``classifications``)
    cover, as ``coverage`` says it of rows."""
    import pyarrow.compute as pc

    products = _distinct(codes)
    total = pc.equal(products, TOTAL)
    has_total = bool(pc.any(total).as_py())
    if has_total and len(products) == 1:
        return ALL_GOODS
    codes = products.filter(pc.invert(total)) if has_total else products
    names = _sorted_distinct(classifications).to_pylist()
    family = sorted({_family(name) for name in names if name != "none"})
    label = "/".join(family) or "products"
    if has_total:
        return f"{ALL_GOODS} in some periods, {label} products in others"
    if len(codes) <= 4:
        return f"{label} {', '.join(codes.take(pc.array_sort_indices(codes)).to_pylist())}"
    widths = pc.unique(pc.utf8_length(codes)).to_pylist()
    level = _LEVELS.get(widths[0], "codes") if len(widths) == 1 else "codes"
    # The first and the last code in sorted order (UTF-8 bytes sort as their characters
    # do): the least and the greatest, found without sorting 100,000 codes.
    ends = pc.min_max(codes)
    return f"{len(codes)} {label} {level} ({ends['min'].as_py()}-{ends['max'].as_py()})"


def _distinct(values: Iterable[str]):
    """Return the distinct texts of ``values`` as an Arrow array: in no set order where
    they are Arrow text (told apart by Arrow, not sorted), else sorted."""
    import pyarrow.compute as pc

    arrow = arrow_text(values)
    if arrow is None or arrow.null_count:
        return _sorted_distinct(values)
    return pc.unique(arrow)


def _sorted_distinct(values: Iterable[str]):
    """Return the distinct texts of ``values``, sorted (``sorted(set(values))``), as an
    Arrow array. Arrow text (a column of a frame, a plan's codes) is told apart and sorted
    by Arrow (UTF-8 bytes sort as their characters do): a 30-year panel's 100,000 codes
    never become Python strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = arrow_text(values)
    if arrow is None or arrow.null_count:
        return pa.array(sorted(set(_texts(values))), pa.large_string())
    distinct = pc.unique(arrow)
    return distinct.take(pc.array_sort_indices(distinct))


def _texts(values: Iterable[str]) -> list[str]:
    """Return ``values`` as a list of Python text, in one step where they are an array."""
    tolist = getattr(values, "tolist", None)
    return tolist() if tolist is not None else list(values)


def _family(classification: str) -> str:
    if classification.startswith("HTS"):
        return "HTS"
    if classification.startswith("HS"):
        return "HS"
    return classification
