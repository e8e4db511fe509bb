"""Rebuild korus's shipped dataset from the official downloads, with korus's own readers.

    python scripts/build_data.py \
        --census-country country.xlsx \
        --census-enduse enduse_exports_2013_2022.csv --census-enduse enduse_imports_2016_2025.xlsx \
        --comtrade-legacy legacy_usa_kor_hs2_2010_2019.csv \
        --kosis-annual korea_trade_by_partner_annual.csv \
        --out data/

Writes the canonical frame (zstd Parquet, sorted by reporter and partner in small row
groups) of each source to data/, and prints what each reader kept and set aside.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Rows per Parquet row group: small enough that a question about one partner reads a few
# groups of the sorted file, large enough to keep the file compact.
ROW_GROUP_SIZE = 2048

# shipped file -> (reader layout, option name)
OUTPUTS = {
    "census_country.parquet": ("census-country", "census_country"),
    "census_enduse.parquet": ("census-enduse", "census_enduse"),
    "comtrade_usa_kor_hs2.parquet": ("comtrade-legacy", "comtrade_legacy"),
    "kosis_kor_partners.parquet": ("kosis-annual", "kosis_annual"),
}


def build(out: Path, **sources: list[Path] | Path) -> dict[str, Path]:
    """Read the official files (option name -> path or paths), write the shipped files."""
    import pandas as pd

    from korus.readers import read_file
    from korus.readers.tidy import write_parquet

    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (layout, option) in OUTPUTS.items():
        given = sources.get(option)
        if not given:
            continue
        paths = given if isinstance(given, list) else [given]
        readings = [read_file(Path(path), layout) for path in paths]
        frame = pd.concat([reading.frame for reading in readings], ignore_index=True)
        frame = frame.sort_values(
            ["reporter", "partner", "year", "month", "flow", "product"], na_position="last"
        )
        write_parquet(frame, out / name, row_group_size=ROW_GROUP_SIZE)
        written[name] = out / name
        for reading in readings:
            for account in reading.accounting:
                print(
                    f"{name}: {account.rows_read} rows read from {Path(account.file).name}, "
                    f"{account.rows_kept} kept, {account.set_aside or 'none set aside'}",
                    file=sys.stderr,
                )
                for note in account.notes:
                    print(f"  note: {note}", file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--census-country", type=Path, help="Census country.xlsx")
    parser.add_argument(
        "--census-enduse",
        type=Path,
        action="append",
        help="Census end-use file by partner (exports or imports); give both",
    )
    parser.add_argument("--comtrade-legacy", type=Path, help="Comtrade legacy CSV, USA-KOR HS2")
    parser.add_argument(
        "--kosis-annual", type=Path, help="KOSIS annual table of Korea's trade by partner"
    )
    parser.add_argument("--out", type=Path, default=Path("data"), help="output folder")
    args = parser.parse_args(argv)
    build(
        args.out,
        census_country=args.census_country,
        census_enduse=args.census_enduse,
        comtrade_legacy=args.comtrade_legacy,
        kosis_annual=args.kosis_annual,
    )


if __name__ == "__main__":
    main()
