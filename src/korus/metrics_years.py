"""Whole years of monthly rows: the rule ``metrics.whole_years`` states, worked out by the
rows' group numbers (``groups.numbered``: one integer per row) instead of by their text.

A series' months are counted, and a year's months added up, by pandas over one integer
key: the same groups, in the same order, each summed in the order of its rows as when
grouped by the text columns themselves, so that every sum is the same to the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from korus import groups

SERIES = ["reporter", "partner", "flow", "source"]
# What a product's year is kept by: its series, then what the figure is of.
SUMMED = ["year", *SERIES, "product", "classification", "basis", "vintage"]


def whole_years(frame: pd.DataFrame, rows) -> pd.DataFrame:
    """Return one row per year for every series, as ``metrics.whole_years`` says; ``rows``
    is its way of taking the rows of a mask."""
    dated = frame["month"].notna()
    if not dated.any():
        return frame  # whole years only (no copy)
    annual = rows(frame, ~dated)
    monthly = rows(frame, dated)
    series = groups.numbered(monthly, ["year", *SERIES])  # (0 to rows - 1: room for a month)
    missing = np.zeros(len(monthly), dtype=bool)  # a series a key of which is missing: none
    for name in SERIES:
        if monthly[name].hasnans:
            missing |= monthly[name].isna().to_numpy()
    # How many distinct months each series holds (none: a series with a key missing).
    month = monthly["month"].to_numpy(dtype=np.int64, na_value=0) + 128  # (0-255: int8)
    distinct = np.unique(series[~missing] * 256 + month[~missing])
    held, months = np.unique(distinct // 256, return_counts=True)
    candidates = held[months == 12]
    if not len(candidates):
        return annual
    # Each candidate's keys, from its first row: a year also stated is not added up.
    numbers, firsts = np.unique(series, return_index=True)
    heads = firsts[np.searchsorted(numbers, candidates)]
    keys = monthly[["year", *SERIES]].iloc[heads].itertuples(index=False, name=None)
    stated = set()
    if len(annual):
        stated = set(annual[["year", *SERIES]].drop_duplicates().itertuples(index=False, name=None))
    whole = [number for number, key in zip(candidates, keys, strict=True) if key not in stated]
    if not whole:
        return annual
    chosen = rows(monthly, np.isin(series, whole))
    summing = groups.numbered(chosen, SUMMED)
    sums = chosen["value_usd"].groupby(summing, sort=True).sum()  # each group in row order
    _, firsts = np.unique(summing, return_index=True)
    summed = chosen[SUMMED].iloc[firsts].reset_index(drop=True)
    summed["value_usd"] = sums.to_numpy()
    summed["month"] = pd.arrays.IntegerArray(  # all <NA>: whole years
        np.zeros(len(summed), np.int8), np.ones(len(summed), bool)
    )
    return pd.concat([annual, summed[annual.columns]], ignore_index=True)
