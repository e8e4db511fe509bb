"""Rebuild korus's shipped dataset from the official downloads, with korus's own readers.

    python scripts/build_data.py --census-country country.xlsx \
        --comtrade-legacy legacy_usa_kor_hs2_2010_2019.csv --out data/

Writes data/census_country.parquet and data/comtrade_usa_kor_hs2.parquet (the canonical
frame, zstd) and prints what each reader kept and set aside.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Rows per Parquet row group: small enough that a question about one partner reads a few
# groups of the sorted file, large enough to keep the file compact.
ROW_GROUP_SIZE = 2048


def build(census_country: Path, comtrade_legacy: Path, out: Path) -> dict[str, Path]:
    """Read the official files and write the shipped Parquet files; return their paths."""
    from korus.readers import census_country as census_reader
    from korus.readers import comtrade_legacy as comtrade_reader
    from korus.readers.tidy import write_parquet

    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, reader, source in (
        ("census_country.parquet", census_reader.read, census_country),
        ("comtrade_usa_kor_hs2.parquet", comtrade_reader.read, comtrade_legacy),
    ):
        reading = reader(source)
        frame = reading.frame.sort_values(
            ["reporter", "partner", "year", "month", "flow", "product"]
        )
        write_parquet(frame, out / name, row_group_size=ROW_GROUP_SIZE)
        written[name] = out / name
        for account in reading.accounting:
            print(
                f"{name}: {account.rows_read} rows read from {source.name}, "
                f"{account.rows_kept} kept, {account.set_aside or 'none set aside'}",
                file=sys.stderr,
            )
            for note in account.notes:
                print(f"  note: {note}", file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--census-country", type=Path, required=True, help="Census country.xlsx")
    parser.add_argument(
        "--comtrade-legacy", type=Path, required=True, help="Comtrade legacy CSV, USA-KOR HS2"
    )
    parser.add_argument("--out", type=Path, default=Path("data"), help="output folder")
    args = parser.parse_args(argv)
    build(args.census_country, args.comtrade_legacy, args.out)


if __name__ == "__main__":
    main()
