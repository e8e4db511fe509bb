"""Benchmark a korus store of a large panel on the local engine, on Dask, and in DuckDB.

    python bench/dask_bench.py generate --years 10 --rows-per-year 10000000 --into STORE
    python bench/dask_bench.py run --store STORE [--runs 5] [--reporter CODE] [--year Y]

``generate`` writes a korus store directly as Parquet parts (one a year, in the canonical
columns, sorted, with row groups, page checksums and the sealed manifest that ``korus
ingest`` writes), never through CSV: 101 reporters x 100 partners x 2 flows x 495 HS6
products a year (9,999,000 rows), whole years, seeded figures to the cent.

``run`` asks ``korus partners --reporter R --year Y``, ``korus partners --reporter R --year
FIRST-LAST`` (each year of the store ranked) and ``korus world --year Y`` (every
reporter's exports by HS chapter) of the store, each case a process of its own, one run
of each in turn, median of ``--runs``, with wall time and peak memory (``/usr/bin/time
-v``: the largest of the process and its children, so the workers of a
cluster that korus starts itself are counted):

- korus, the local engine;
- korus, ``--engine dask`` starting its own local cluster (a worker process per core);
- korus, ``--engine dask --scheduler`` on a cluster of 2 single-threaded workers started
  beforehand (their peak memory is read from the workers after the runs);
- DuckDB over the same Parquet parts (the same sums), and ``import pandas``.

Every korus answer is checked to the cent against DuckDB's sums. Needs duckdb, dask and
distributed beside korus (``pip install duckdb '.[dask]'``).
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

PRODUCTS = 495
REPORTERS = 101
FIRST_YEAR = 2007


def _countries() -> list[str]:
    """101 ISO alpha-3 codes, sorted as the store sorts them (as text): five large traders
    and the first 96 others."""
    import pycountry

    large = {"CHN", "DEU", "JPN", "KOR", "USA"}
    codes = (country.alpha_3 for country in pycountry.countries)
    others = sorted(code for code in codes if code not in large)
    return sorted(large | set(others[: REPORTERS - len(large)]))


def _products() -> list[str]:
    """495 HS6 codes as text: five in each chapter's range, 01 to 99."""
    tails = ("0100", "0110", "0200", "0390", "0900")
    return [f"{chapter:02d}{tail}" for chapter in range(1, 100) for tail in tails][:PRODUCTS]


def generate(folder: Path, years: int, rows_per_year: int, seed: int = 2016) -> None:
    """Write a store of ``years`` years into ``folder`` (made)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from korus import store

    countries, products = _countries(), _products()
    pairs = [(r, p) for r in range(len(countries)) for p in range(len(countries)) if r != p]
    per_pair = 2 * len(products)
    count = len(pairs) * per_pair
    if rows_per_year < count:  # fewer products for a smaller store
        keep = max(1, rows_per_year // (2 * len(pairs)))
        products, per_pair = products[:keep], 2 * keep
        count = len(pairs) * per_pair
    folder.mkdir(parents=True, exist_ok=True)
    random = np.random.default_rng(seed)
    reporter_index = np.repeat(np.array([r for r, _ in pairs], dtype=np.int32), per_pair)
    partner_index = np.repeat(np.array([p for _, p in pairs], dtype=np.int32), per_pair)
    flow_index = np.tile(np.repeat(np.array([0, 1], dtype=np.int32), len(products)), len(pairs))
    product_index = np.tile(np.arange(len(products), dtype=np.int32), 2 * len(pairs))
    names = pa.array(countries)
    schema = pa.schema(
        [("year", pa.int16()), ("month", pa.int8())]
        + [(name, pa.large_string()) for name in ("reporter", "partner", "flow", "product")]
        + [("classification", pa.large_string()), ("value_usd", pa.float64())]
        + [(name, pa.large_string()) for name in ("source", "basis", "vintage")]
    )
    manifest = {"format": store.STORE_FORMAT, "sources": {}}
    for year in range(FIRST_YEAR, FIRST_YEAR + years):
        cents = random.integers(100, 2_000_000_000, size=count)
        flows = pa.array(["export", "import"]).take(pa.array(flow_index))
        columns = {
            "year": pa.array(np.full(count, year, dtype=np.int16)),
            "month": pa.nulls(count, pa.int8()),
            "reporter": names.take(pa.array(reporter_index)),
            "partner": names.take(pa.array(partner_index)),
            "flow": flows,
            "product": pa.array(products).take(pa.array(product_index)),
            "classification": None,
            "value_usd": pa.array(cents / 100.0),
            "source": None,
            "basis": None,
            "vintage": None,
        }
        for name, text in (
            ("classification", "HS2007"),
            ("source", "Generated panel (bench)"),
            ("basis", "FOB"),
            ("vintage", "bench"),
        ):
            columns[name] = pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(count, dtype=np.int32)), pa.array([text])
            ).cast(pa.string())
        table = pa.table({name: columns[name] for name in schema.names}).cast(schema)
        source = f"{year:020d}"
        table = table.replace_schema_metadata({b"korus.store": source.encode()})
        pq.write_table(
            table,
            folder / f"part-{source}.parquet",
            compression="zstd",
            row_group_size=store.ROW_GROUP,
            use_dictionary=True,
            write_page_checksum=True,
        )
        file = f"generated/panel-{year}.parquet"
        manifest["sources"][source] = {
            "file": file,
            "fingerprint": None,
            "layout": "korus-parquet",
            "accounting": [
                {"file": file, "layout": "korus-parquet", "rows_read": count, "rows_kept": count}
            ],
            "tolerance": 6.5,
            "years": [year],
            "rows": count,
            "groups": _ranges(countries, reporter_index, partner_index, store.ROW_GROUP),
        }
        print(f"{year}: {count:,} rows", file=sys.stderr)
    store._write_manifest(folder, manifest)


def _ranges(countries, reporters, partners, size) -> list[list]:
    """Each row group's rows and the [min, max] of its reporters and partners (the codes are
    sorted, so an index's order is the text's)."""
    ranges = []
    for start in range(0, len(reporters), size):
        part = slice(start, min(start + size, len(reporters)))
        ranges.append(
            [
                part.stop - part.start,
                countries[int(reporters[part].min())],
                countries[int(reporters[part].max())],
                countries[int(partners[part].min())],
                countries[int(partners[part].max())],
            ]
        )
    return ranges


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    """Return wall seconds, peak MiB and stdout of a command run under /usr/bin/time -v."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env, timeout=3600
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return wall, peak / 1024, done.stdout


def duckdb_partners(folder: str, reporter: str, year: int) -> str:
    """The DuckDB side, as a program of its own: prints partner,flow,sum in cents."""
    return f"""
import duckdb
rows = duckdb.sql('''
    SELECT partner, flow, round(sum(value_usd::DECIMAL(18,2)) * 100)::BIGINT
    FROM read_parquet('{folder}/part-*.parquet')
    WHERE reporter = '{reporter}' AND year = {year} AND flow IN ('export', 'import')
    GROUP BY partner, flow ORDER BY partner, flow''').fetchall()
for row in rows:
    print(*row, sep=',')
"""


def duckdb_partners_years(folder: str, reporter: str, first: int, last: int) -> str:
    """The DuckDB side of partners over a range of years: year,partner,flow,sum in cents."""
    return f"""
import duckdb
rows = duckdb.sql('''
    SELECT year, partner, flow, round(sum(value_usd::DECIMAL(18,2)) * 100)::BIGINT
    FROM read_parquet('{folder}/part-*.parquet')
    WHERE reporter = '{reporter}' AND year BETWEEN {first} AND {last}
      AND flow IN ('export', 'import')
    GROUP BY year, partner, flow ORDER BY year, partner, flow''').fetchall()
for row in rows:
    print(*row, sep=',')
"""


def _korus_sums(output: str) -> dict[tuple[str, ...], int]:
    sums = {}
    for row in csv.DictReader(io.StringIO(output)):
        sums[(row["year"], row["partner"], "export")] = round(float(row["exports_usd"]) * 100)
        sums[(row["year"], row["partner"], "import")] = round(float(row["imports_usd"]) * 100)
    return sums


def _duckdb_sums(output: str, year: int | None = None) -> dict[tuple[str, ...], int]:
    sums = {}
    for line in output.splitlines():
        *fields, cents = line.split(",")
        key = tuple(fields) if year is None else (str(year), *fields)
        sums[key] = int(cents)
    return sums


def duckdb_world(folder: str, year: int) -> str:
    """The DuckDB side of the world question: prints chapter,sum in cents."""
    return f"""
import duckdb
rows = duckdb.sql('''
    SELECT substr(product, 1, 2), round(sum(value_usd::DECIMAL(18,2)) * 100)::BIGINT
    FROM read_parquet('{folder}/part-*.parquet')
    WHERE year = {year} AND flow = 'export' AND product <> 'TOTAL'
    GROUP BY 1 ORDER BY 1''').fetchall()
for row in rows:
    print(*row, sep=',')
"""


def _korus_world(output: str) -> dict[tuple[str, str], int]:
    return {
        (row["product"], "export"): round(float(row["value_usd"]) * 100)
        for row in csv.DictReader(io.StringIO(output))
    }


def _duckdb_world(output: str) -> dict[tuple[str, str], int]:
    sums = {}
    for line in output.splitlines():
        chapter, cents = line.split(",")
        sums[(chapter, "export")] = int(cents)
    return sums


def run(args) -> int:
    import distributed

    folder = str(Path(args.store).resolve())
    manifest = json.loads((Path(folder) / "korus-store.json").read_text())["body"]
    rows = sum(entry["rows"] for entry in manifest["sources"].values())
    years = sorted(year for entry in manifest["sources"].values() for year in entry["years"])
    year = args.year or years[len(years) // 2]
    env = {**os.environ, "KORUS_NO_CACHE": "1"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    korus = [sys.executable, "-m", "korus"]
    plain = ["--data", folder, "--year", str(year), "--format", "csv", "--unit", "usd"]
    questions = {
        f"partners --reporter {args.reporter} --year {year}": (
            [*korus, "partners", "--reporter", args.reporter, *plain],
            duckdb_partners(folder, args.reporter, year),
            _korus_sums,
            functools.partial(_duckdb_sums, year=year),
        ),
        f"partners --reporter {args.reporter} --year {years[0]}-{years[-1]} (each year)": (
            [
                *korus,
                *("partners", "--reporter", args.reporter, "--data", folder),
                *("--year", f"{years[0]}-{years[-1]}", "--format", "csv", "--unit", "usd"),
            ],
            duckdb_partners_years(folder, args.reporter, years[0], years[-1]),
            _korus_sums,
            _duckdb_sums,
        ),
        f"world --year {year} (every reporter's exports by HS chapter)": (
            [*korus, "world", *plain],
            duckdb_world(folder, year),
            _korus_world,
            _duckdb_world,
        ),
    }
    lines = [
        f"dask_bench.py run --runs {args.runs}, {date.today()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        f"store: {rows:,} rows in {len(years)} parts ({years[0]}-{years[-1]}), {_mib(folder)} MiB",
    ]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for title, (command, program, read_korus, read_duckdb) in questions.items():
            cases = {
                "korus, local engine": command,
                "korus, dask: its own local cluster": [*command, "--engine", "dask"],
                "korus, dask: 2 workers started before": [
                    *command,
                    *("--engine", "dask", "--scheduler", cluster.scheduler_address),
                ],
                "DuckDB over the Parquet parts": [sys.executable, "-c", program],
                "import pandas": [sys.executable, "-c", "import pandas"],
            }
            lines += ["", f"question: korus {title}", ""]
            lines += _measured(cases, args.runs, env, read_korus, read_duckdb)
            lines.append(
                "workers started before, peak MiB each (so far): "
                + ", ".join(f"{peak:.0f}" for peak in client.run(_peak_mib).values())
            )
    print("\n".join(lines))
    return 0


def _measured(cases: dict, runs: int, env: dict, read_korus, read_duckdb) -> list[str]:
    """Return the lines of one question's cases, each run ``runs`` times in turn; exit if a
    korus answer differs from DuckDB's by a cent."""
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    answers: dict[str, str] = {}
    for _ in range(runs):
        for name, command in cases.items():
            wall, peak, out = timed(command, env)
            results[name].append((wall, peak))
            answers[name] = out
    reference = read_duckdb(answers["DuckDB over the Parquet parts"])
    for name in cases:
        if name.startswith("korus") and read_korus(answers[name]) != reference:
            raise SystemExit(f"{name}: the answer differs from DuckDB's")
    lines = [f"{'case':44}{'median s':>10}{'peak MiB':>10}   runs (s)"]
    for name, measured in results.items():
        walls = [wall for wall, _ in measured]
        peak = max(peak for _, peak in measured)
        lines.append(
            f"{name:44}{statistics.median(walls):10.2f}{peak:10.0f}   "
            + " ".join(f"{wall:.2f}" for wall in walls)
        )
    base = statistics.median(wall for wall, _ in results["DuckDB over the Parquet parts"])
    for name in cases:
        if name.startswith("korus"):
            median = statistics.median(wall for wall, _ in results[name])
            lines.append(f"{name}: {median / base:.1f}x DuckDB's wall time")
    lines.append("every korus answer equals DuckDB's sums to the cent")
    return lines


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _mib(folder: str) -> str:
    total = sum(path.stat().st_size for path in Path(folder).glob("part-*.parquet"))
    return f"{total / 2**20:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate")
    make.add_argument("--years", type=int, default=10)
    make.add_argument("--rows-per-year", type=int, default=10_000_000)
    make.add_argument("--into", required=True)
    ask = commands.add_parser("run")
    ask.add_argument("--store", required=True)
    ask.add_argument("--runs", type=int, default=5)
    ask.add_argument("--reporter", default="KOR")
    ask.add_argument("--year", type=int)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(Path(args.into), args.years, args.rows_per_year)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
