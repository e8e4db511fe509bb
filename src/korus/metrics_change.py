"""The measures of change, defined once: % change, CAGR, why either is undefined, and the
first-to-last change of a series. Every command and ``check`` use them, through
``metrics`` (which offers them under the same names).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

# The one definition of each measure of change, used by every command and by `check`.
#
# % change = (last - first) / |first| x 100: how far the value moved, as a share of its size
# at the start; its sign is the direction the value moved. A balance of -13.2 that becomes
# -27.6 fell by 109% (the same deficit, measured as imports - exports = 13.2 -> 27.6,
# grew by 109%).
#
# CAGR over n years = the constant yearly % change that leads from first to last:
# sign x ((|last| / |first|) ^ (1/n) - 1) x 100, the sign chosen so that the CAGR always
# has the sign of the % change (a value that fell has a negative rate, a negative balance
# that deepened included); over one year it equals the % change.
#
# Neither is defined (None, shown n/a) when the first value is 0 (no percentage of
# nothing), or when the value changes sign between first and last (a surplus that became
# a deficit has moved across zero: no percentage says that); the CAGR neither when the
# last value is 0 or the span is under a year. ``undefined_because`` says which.


def pct_change(first: float, last: float) -> float | None:
    """Return the change from ``first`` to ``last`` in percent of ``first``'s size (see the
    definitions above), or None where it is not defined."""
    if undefined_because(first, last) is not None:
        return None
    return (last - first) / abs(first) * 100.0


def cagr(first: float, last: float, years: int) -> float | None:
    """Return the compound annual growth rate in percent over ``years`` years (see the
    definitions above), or None where it is not defined."""
    if years < 1 or last == 0 or undefined_because(first, last) is not None:
        return None
    growth = (abs(last) / abs(first)) ** (1.0 / years) - 1.0
    return (growth if first > 0 else -growth) * 100.0


def undefined_because(first: float, last: float) -> str | None:
    """Return why a % change from ``first`` to ``last`` is not defined, else None."""
    if math.isnan(first) or math.isnan(last):
        return "a value is missing"
    if first == 0:
        return "the first value is 0 (no percentage of nothing)"
    if (first < 0 < last) or (last < 0 < first):
        return "the value changes sign (no percentage across zero)"
    return None


@dataclass(frozen=True)
class Change:
    """First-to-last change of one series."""

    first_year: int
    last_year: int
    first: float
    last: float
    change: float
    pct_change: float | None
    cagr: float | None


def change_between(series: pd.Series) -> Change:
    """Return the change from the first to the last value of a year-indexed series."""
    first_year, last_year = int(series.index[0]), int(series.index[-1])
    first, last = float(series.iloc[0]), float(series.iloc[-1])
    return Change(
        first_year,
        last_year,
        first,
        last,
        last - first,
        pct_change(first, last),
        cagr(first, last, last_year - first_year),
    )
