"""Whole years of monthly rows: the rule ``metrics.whole_years`` states, worked out by the
rows' group numbers (one integer per row) instead of by their text keys.

A series' months are counted, and a year's months added up, by pandas over one integer
key: the same groups, in the same order, each summed in the order of its rows as when
grouped by the text columns themselves, so that every sum is the same to the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SERIES = ["reporter", "partner", "flow", "source"]
# What a product's year is kept by: its series, then what the figure is of.
SUMMED = ["year", *SERIES, "product", "classification", "basis", "vintage"]


def group_numbers(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's group by ``keys`` as one integer, and whether a key is missing in
    it. The integers sort as the groups do when pandas sorts them (each key's values in
    order, a missing value after every other)."""
    numbers = np.zeros(len(frame), dtype=np.int64)
    missing = np.zeros(len(frame), dtype=bool)
    for key in keys:
        if _one_value(frame[key]):
            continue  # one group whatever it holds (one source, one vintage...)
        codes, uniques = pd.factorize(frame[key], sort=True, use_na_sentinel=True)
        absent = codes < 0
        missing |= absent
        width = len(uniques) + 1  # (a missing value is the last)
        if len(numbers) and int(numbers.max()) >= (2**62) // width:
            numbers = np.unique(numbers, return_inverse=True)[1].astype(np.int64)  # (dense)
        numbers = numbers * width + np.where(absent, len(uniques), codes)
    return numbers, missing


def _one_value(column: pd.Series) -> bool:
    """Return whether every row of a column holds one and the same value, none missing,
    where that is told without hashing every row: text as the readers tell it
    (``columns._constant``: a block repeated is seen at once), numbers by comparison."""
    if not len(column):
        return False
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        from korus.readers.columns import _constant

        return _constant(column)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        values = column.to_numpy()
        return bool((values == values[0]).all())
    return False


def whole_years(frame: pd.DataFrame, rows) -> pd.DataFrame:
    """Return one row per year for every series, as ``metrics.whole_years`` says; ``rows``
    is its way of taking the rows of a mask."""
    dated = frame["month"].notna()
    if not dated.any():
        return frame  # whole years only (no copy)
    annual = rows(frame, ~dated)
    monthly = rows(frame, dated)
    series, missing = group_numbers(monthly, ["year", *SERIES])
    if len(series) and int(series.max()) >= 2**54:
        series = np.unique(series, return_inverse=True)[1].astype(np.int64)  # (room for a month)
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
    groups, _ = group_numbers(chosen, SUMMED)
    sums = chosen["value_usd"].groupby(groups, sort=True).sum()  # each group in row order
    _, firsts = np.unique(groups, return_index=True)
    summed = chosen[SUMMED].iloc[firsts].reset_index(drop=True)
    summed["value_usd"] = sums.to_numpy()
    summed["month"] = pd.arrays.IntegerArray(  # all <NA>: whole years
        np.zeros(len(summed), np.int8), np.ones(len(summed), bool)
    )
    return pd.concat([annual, summed[annual.columns]], ignore_index=True)
