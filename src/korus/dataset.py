"""The dataset that ships with korus: where it is and how to read a slice of it fast."""

from __future__ import annotations

from pathlib import Path

from korus.errors import KorusError
from korus.schema import Accounting, Reading

# name -> (file, what it holds)
SHIPPED = {
    "census": (
        "census_country.parquet",
        "US Census Bureau: US trade in goods with every partner, monthly, 1985 on",
    ),
    "comtrade": (
        "comtrade_usa_kor_hs2.parquet",
        "UN Comtrade: US trade with South Korea by HS chapter, annual 2010-2019",
    ),
    "kosis": (
        "kosis_kor_partners.parquet",
        "KOSIS (Korea Customs Service): Korea's trade with every partner, annual",
    ),
    "census-enduse": (
        "census_enduse.parquet",
        "US Census Bureau: US trade by partner and end-use category, exports 2013-2022, "
        "imports 2016-2025",
    ),
}


def data_dir() -> Path:
    """Return the folder of the shipped data: inside the installed package, else the source tree."""
    installed = Path(__file__).resolve().parent / "data"
    if (installed / SHIPPED["census"][0]).exists():
        return installed
    # Running from a source checkout (an editable install): data/ sits beside src/.
    return Path(__file__).resolve().parents[2] / "data"


def shipped_path(name: str) -> Path:
    path = data_dir() / SHIPPED[name][0]
    if not path.exists():
        raise KorusError(
            f"the shipped data file {SHIPPED[name][0]} is missing from {path.parent}; "
            "reinstall korus"
        )
    return path


def shipped_table(name: str, columns: list[str] | None = None, **equal: str):
    """Return the rows of a shipped file whose columns equal the given values, as an Arrow
    table of ``columns`` (all: None)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = shipped_path(name)
    parquet = pq.ParquetFile(path)
    # The files are sorted by reporter and partner in small row groups, so the groups'
    # min/max statistics tell which few hold the rows asked for: read only those.
    groups = [
        index
        for index in range(parquet.num_row_groups)
        if may_hold(parquet.metadata.row_group(index), parquet.schema_arrow.names, equal)
    ]
    wanted = None if columns is None else sorted(set(columns) | set(equal))
    table = parquet.read_row_groups(groups, columns=wanted)
    for column, value in equal.items():
        table = table.filter(pc.equal(table[column], value))
    return table


def load_shipped(name: str, **equal: str) -> Reading:
    """Return the rows of a shipped file whose columns equal the given values."""
    from korus.schema import canonical

    path = shipped_path(name)
    frame = canonical(shipped_table(name, **equal).to_pandas())
    accounting = Accounting(
        file=f"korus shipped data: {path.name}",
        layout="korus-parquet",
        rows_read=len(frame),
        rows_kept=len(frame),
    )
    return Reading(frame, [accounting])


def load(
    paths: tuple[str, ...] | list[str],
    shipped: str,
    layout: str | None = None,
    dedupe: bool = False,
    **equal: str,
) -> Reading:
    """Return the user's files stacked, or, when none are given, a slice of a shipped file."""
    if paths:
        from korus.readers import load as load_files

        # The countries asked for let a reader of a large file (BACI) keep only their rows,
        # and only the reporter's records of them: a pair's, or one reporter's with every
        # partner (partner None).
        pair = (equal["reporter"], equal.get("partner")) if "reporter" in equal else None
        return load_files(list(paths), layout, dedupe, pair, one_side=pair is not None, equal=equal)
    if shipped == "census" and equal.get("reporter", "USA") != "USA":
        # The shipped totals reported by another country are Korea's own (KOSIS).
        shipped = "kosis"
    return load_shipped(shipped, **equal)


def load_mirror(
    paths: tuple[str, ...] | list[str],
    layout: str | None,
    dedupe: bool,
    reporter: str,
    partner: str,
) -> Reading:
    """Return both sides' reports of their trade: the user's files, or the shipped ones.

    Shipped: the US side from the Census file, Korea's side from KOSIS.
    """
    import pandas as pd

    if paths:
        from korus.readers import load as load_files

        return load_files(list(paths), layout, dedupe, (reporter, partner))
    readings = [
        load_shipped(name, reporter=a, partner=b)
        for name in ("census", "kosis")
        for a, b in ((reporter, partner), (partner, reporter))
    ]
    frame = pd.concat([r.frame for r in readings if len(r.frame)], ignore_index=True)
    return Reading(frame, [account for r in readings for account in r.accounting])


def may_hold(group, names: list[str], equal: dict[str, str]) -> bool:
    """Return whether a row group's statistics allow rows with the given column values."""
    for column, value in equal.items():
        statistics = group.column(names.index(column)).statistics
        if statistics is None or not statistics.has_min_max:
            continue
        if not statistics.min <= value <= statistics.max:
            return False
    return True
