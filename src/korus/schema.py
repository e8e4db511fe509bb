"""The canonical frame: one long ("tidy") table that every reader returns and every metric reads.

One row is one value of trade:

=============== ========= ===============================================================
column          dtype     meaning
=============== ========= ===============================================================
year            int16     calendar year of the period
month           Int8      1-12 for a monthly value; <NA> for a whole-year total
reporter        str       country whose statistics these are (ISO 3166-1 alpha-3)
partner         str       trading partner (ISO alpha-3, or a korus group code: WLD, EUN...)
flow            str       "export", "import", "re-export" or "re-import" (kept distinct:
                          in Comtrade exports already include re-exports); "balance"
                          for a net figure as a source publishes it (never added to flows)
product         str       "TOTAL" for all goods, else the code as text ("01", "8703")
classification  str       product nomenclature ("HS2012", ...); "none" for TOTAL rows
value_usd       float64   value in US dollars, to the cent (units are converted once,
                          by the reader)
source          str       agency and table the value comes from
basis           str       valuation basis of the flow (customs value, CIF, F.A.S., FOB)
vintage         str       which release of the source: the last month it covers, or what
                          the file says about when it was published
=============== ========= ===============================================================

An annual row exists only where the source states a whole-year figure; a year that holds
only some months has monthly rows and no annual row, so it is never taken for a year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Bump when the columns or their meaning change: caches and shipped files carry it.
SCHEMA_VERSION = 1

COLUMNS: dict[str, str] = {
    "year": "int16",
    "month": "Int8",
    "reporter": "str",
    "partner": "str",
    "flow": "str",
    "product": "str",
    "classification": "str",
    "value_usd": "float64",
    "source": "str",
    "basis": "str",
    "vintage": "str",
}

FLOWS = ("export", "import", "re-export", "re-import", "balance")
# The years korus reads: trade statistics start well after 1900, and a year beyond 2100 is
# a broken cell (or a value of another column), never a period. Months are 1-12.
YEARS = (1900, 2100)
MONTHS = (1, 12)
LARGEST_VALUE = 1e16
TOTAL = "TOTAL"
# What figures from the source's total rows cover (the ``products`` column of results).
ALL_GOODS = "all goods"
KEY = ["year", "month", "reporter", "partner", "flow", "product"]
TEXT_COLUMNS = [name for name, dtype in COLUMNS.items() if dtype == "str"]


# The end of the reason given for rows a reader set aside because the question did not ask
# for them (its other country pairs, its other countries' trade): counted as any other,
# never refused by --strict, which refuses rows that could not be read as data.
NOT_ASKED_FOR = "(not asked for)"


@dataclass
class Accounting:
    """What a load did with every row it read: kept, or set aside and why."""

    file: str
    layout: str
    rows_read: int = 0
    # Which variant of the layout the file is, as korus recognised it ("website download:
    # trailing delimiter, cp1252"), and the parts of a workbook read and left aside.
    variant: str = ""
    sheets_read: list[str] = field(default_factory=list)
    sheets_left: list[str] = field(default_factory=list)
    rows_kept: int = 0
    set_aside: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # What a person must hear even without --verbose (repeats dropped by --dedupe...):
    # printed on stderr by every command.
    warnings: list[str] = field(default_factory=list)
    # How the file's places are named in messages: "line" (text), "row" (a sheet's
    # row, with the sheet named), "record" (JSON).
    line_word: str = "line"
    # What the source's own partner codes are called ("Census codes"), for the note on
    # codes that are one country.
    origin_label: str = ""
    # What, in this layout, usually makes a figure appear twice, and what to do (said
    # after the trust layer's message on repeats).
    repeat_hint: str = ""
    # Why, in this layout, a stated year may differ from its months, and what to do.
    contradiction_hint: str = (
        "check the file for a changed digit or swapped columns, or download it again"
    )

    def set_aside_rows(self, reason: str, count: int) -> None:
        if count:
            self.set_aside[reason] = self.set_aside.get(reason, 0) + int(count)

    @property
    def rows_set_aside(self) -> int:
        return sum(self.set_aside.values())

    @property
    def set_aside_unread(self) -> dict[str, int]:
        """The rows set aside because they could not be read as data (``--strict``
        refuses them), not the rows a question did not ask for (``NOT_ASKED_FOR``: a BACI
        file read for one country pair, its other pairs parsed, counted, never kept)."""
        return {
            reason: count
            for reason, count in self.set_aside.items()
            if not reason.endswith(NOT_ASKED_FOR)
        }

    def balanced(self) -> bool:
        return self.rows_read == self.rows_kept + self.rows_set_aside


@dataclass
class Reading:
    """A canonical frame together with the account of how it was read."""

    frame: pd.DataFrame
    accounting: list[Accounting]
    # No two rows share a key (KEY): the reader made sure (BACI, by construction) or the
    # trust layer did (``trust.settle``); ``trust.stack`` then looks for repeats only
    # between files, and only in the years two files share.
    unique: bool = False
    # How far apart, in US dollars, a stated whole year and the sum of its twelve months
    # may be by the source's rounding alone (``trust.check_years_against_months``). The
    # default suits whole US dollars: thirteen figures each rounded by up to half a dollar.
    tolerance: float = 6.5
    # The trust layer has checked the frame (``trust.settle``); a reader that builds its
    # canonical frame itself (BACI) leaves it False, and ``trust.stack`` checks it.
    settled: bool = False
    # Several files read as one frame, no year in two of them (a folder of BACI years):
    # the years of each account's file, so that a message names the file it is about.
    years_of_files: list[tuple[int, ...]] | None = None


def empty_frame() -> pd.DataFrame:
    """Return a canonical frame with no rows."""
    import pandas as pd

    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the canonical columns, in order, with their dtypes.

    Raises ValueError (a programming error, not a user error) when a column is missing,
    a text column holds a missing value, a flow is unknown or a month is out of range.
    """
    import pandas as pd

    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"canonical frame lacks columns {missing}")
    # Checked before the narrowing to int16 and Int8, which would wrap a year of 67552
    # round to 2016 or round a month of 1.5 (the trust layer refuses them, naming the line).
    if outside(frame["year"], *YEARS).any():
        raise ValueError(f"a year outside {YEARS[0]}-{YEARS[1]} or not a whole number")
    if outside(frame["month"], *MONTHS, missing=True).any():
        raise ValueError("month out of 1-12 or not a whole number")
    out = pd.DataFrame(
        {name: frame[name].astype(dtype) for name, dtype in COLUMNS.items()}
    ).reset_index(drop=True)
    # No source publishes finer than a cent; rounding there drops the float noise of unit
    # conversion (180549.80000000002 millions) without changing any published figure.
    values = out["value_usd"]
    # World trade is some 3 * 10^13 US dollars a year: a figure beyond 10^16 (or not a
    # number at all) is a wrong unit or a broken cell, never trade.
    bad = ~values.abs().lt(LARGEST_VALUE) | values.isna()
    if bad.any():
        from korus.errors import DataFileError

        raise DataFileError(
            f"value {values[bad].iloc[0]!r} US dollars (row {int(bad.to_numpy().argmax()) + 1} "
            "of the figures read) is not a trade figure: a wrong unit or a broken cell"
        )
    out["value_usd"] = values.round(2)
    for name in TEXT_COLUMNS:
        if out[name].isna().any():
            raise ValueError(f"canonical column {name!r} holds missing values")
    bad_flows = set(out["flow"].unique()) - set(FLOWS)
    if bad_flows:
        raise ValueError(f"unknown flows {sorted(bad_flows)}")
    return out


def outside(values, low: int, high: int, missing: bool = False):
    """Return a boolean array: which ``values`` are not whole numbers from ``low`` to
    ``high`` (booleans and text are not numbers; a missing value is outside unless
    ``missing``)."""
    import numpy as np
    import pandas as pd

    values = pd.Series(values)
    absent = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(values.dtype):
        numbers = np.full(len(values), np.nan)
    elif pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    else:  # cells of several kinds: numbers only (never True, never "2016")
        numbers = np.array([_number(value) for value in values.to_numpy(dtype=object)])
    finite = np.isfinite(numbers)
    whole = finite & (numbers == np.floor(np.where(finite, numbers, 0)))
    bad = ~(whole & (numbers >= low) & (numbers <= high))
    if missing:
        bad &= ~absent
    return bad


def _number(value) -> float:
    """Return a cell as a float if it is a number (not a boolean), else NaN."""
    import numpy as np

    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return np.nan
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: no year, no month
        return np.inf
