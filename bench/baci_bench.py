"""Benchmark korus on CEPII BACI-layout data against DuckDB and Polars.

Generates BACI-layout years (seeded), asks each tool the same question (US-Korea totals
both ways, the balance, and the top 10 HS chapters of US imports from Korea with their
shares), checks that every tool gives the same figures to the cent, and prints the median
wall time and peak memory of each case, each run a separate process.

    python bench/baci_bench.py generate --rows 11000000 --out DIR
    python bench/baci_bench.py run [--rows 11000000] [--runs 5] [--work DIR]

See bench/README.md. Needs duckdb and polars beside korus (never korus dependencies).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USA, KOR = 842, 410  # BACI's codes: 842 is the USA with Puerto Rico and the Virgin Islands
RELEASE = "V202301"
YEAR = 2021
HEADER = "t,i,j,k,v,q\n"


# ----------------------------------------------------------------------- generating


def _countries() -> list[tuple[int, str, str]]:
    """(BACI code, ISO3, name) of the countries of the generated world, by code."""
    import pycountry

    rows = []
    for country in pycountry.countries:
        number = int(country.numeric)
        if number == 492:  # Monaco: number 492 is another thing in UN Comtrade
            continue
        if number == 840:
            number = 842  # BACI's USA
        rows.append((number, country.alpha_3, country.name))
    return sorted(rows)


def _products(rng) -> list[str]:
    """About 5,000 HS6 codes over the 96 chapters; chapters 01-09 start with a zero."""
    codes = []
    for chapter in range(1, 98):
        if chapter == 77:  # reserved in the HS
            continue
        count = int(rng.integers(15, 90))
        for rest in sorted(rng.choice(10_000, size=count, replace=False)):
            codes.append(f"{chapter:02d}{int(rest):04d}")
    return codes


def _plan(rng, countries, products, rows: int):
    """Return each ordered pair's number of products: a gravity model, capped at all HS6."""
    import numpy as np

    weights = rng.lognormal(0.0, 1.3, len(countries))
    order = np.argsort(-weights)
    codes = [code for code, _, _ in countries]
    # The USA and Korea are among the largest traders, as in the real data.
    for code, rank in ((USA, 0), (KOR, 7)):
        here, there = codes.index(code), order[rank]
        weights[here], weights[there] = weights[there], weights[here]
    # Exports and imports of a country differ a little: the two directions of a pair too.
    outer = np.outer(
        weights * rng.lognormal(0.0, 0.3, len(weights)),
        weights * rng.lognormal(0.0, 0.3, len(weights)),
    )
    np.fill_diagonal(outer, 0.0)
    low, high = 0.0, 1e6
    for _ in range(80):  # the scale that gives the asked number of rows
        scale = (low + high) / 2
        total = np.minimum(len(products), np.floor(outer * scale)).sum()
        low, high = (scale, high) if total < rows else (low, scale)
    return np.minimum(len(products), np.floor(outer * high)).astype(np.int64)


def _text_milli(values):
    """Whole thousandths as decimal text with three decimals (1234 -> "1.234")."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(values)
    whole = pc.cast(pc.divide(values, 1000), pa.string())
    rest = pc.subtract(values, pc.multiply(pc.divide(values, 1000), 1000))
    part = pc.utf8_lpad(pc.cast(rest, pa.string()), 3, "0")
    return pc.binary_join_element_wise(whole, part, ".")


def generate(out: Path, rows: int, year: int = YEAR, seed: int = 1, shuffle: bool = False) -> Path:
    """Write one BACI-layout year of about ``rows`` rows, with its country_codes file.

    Rows are sorted by exporter, importer and product, as CEPII's files are (``shuffle``:
    in random order). ``v`` has three decimals (thousands of USD: whole dollars); ``q`` is
    a number, blank or a space-padded ``NA``; ``k`` keeps its leading zero.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    countries = _countries()
    with open(out / f"country_codes_{RELEASE}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "country_code",
                "country_name_abbreviation",
                "country_name_full",
                "iso_2digit_alpha",
                "iso_3digit_alpha",
            ]
        )
        for code, iso3, name in countries:
            writer.writerow([code, name, name, iso3[:2], iso3])
    product_rng = np.random.default_rng(seed * 7919 + 1)  # one product list for every year
    products = _products(product_rng)
    plan = _plan(rng, countries, products, rows)
    labels = pa.array(products)
    codes = np.array([code for code, _, _ in countries], dtype=np.int64)
    na_texts = pa.array(["", "  NA", "           NA"])
    path = out / f"BACI_HS92_Y{year}_{RELEASE}.csv"
    batches = []
    for exporter in range(len(countries)):
        counts = plan[exporter]
        if not counts.sum():
            continue
        permutation = rng.permutation(len(products))
        parts = []
        for importer in np.flatnonzero(counts):
            start = int(rng.integers(len(products)))
            chosen = permutation[(start + np.arange(counts[importer])) % len(products)]
            parts.append(np.sort(chosen))
        product = np.concatenate(parts)
        n = len(product)
        importer = np.repeat(codes[np.flatnonzero(counts)], counts[np.flatnonzero(counts)])
        value = np.maximum(1, np.round(rng.lognormal(3.0, 2.6, n) * 1000)).astype(np.int64)
        tonnes = np.maximum(1, np.round(rng.lognormal(1.0, 2.5, n) * 1000)).astype(np.int64)
        kind = rng.integers(0, 10, n)  # 0-5 a quantity, 6-7 blank, 8-9 a padded NA
        quantity = pc.if_else(
            pa.array(kind < 6),
            _text_milli(tonnes),
            pc.take(na_texts, pa.array(np.where(kind < 8, 0, kind - 7))),
        )
        batches.append(
            pa.record_batch(
                {
                    "t": pa.array(np.full(n, year, np.int64)),
                    "i": pa.array(np.full(n, codes[exporter])),
                    "j": pa.array(importer),
                    "k": pc.take(labels, pa.array(product)),
                    "v": _text_milli(value),
                    "q": quantity,
                }
            )
        )
    table = pa.Table.from_batches(batches)
    if shuffle:
        table = table.take(pa.array(rng.permutation(table.num_rows)))
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as handle:
        handle.write(HEADER.encode())
        pacsv.write_csv(table, handle, options)
    return path


def generate_years(out: Path, years: list[int], rows: int, seed: int = 1) -> list[Path]:
    """Write one BACI-layout file a year into one folder (each year its own seed)."""
    return [generate(out, rows, year, seed=seed + year) for year in years]


# ------------------------------------------------------------------------- the question


def answer_duckdb(source: str, year: int) -> dict:
    """The question in DuckDB SQL, over a CSV file (exact decimals) or a Parquet file."""
    import duckdb

    con = duckdb.connect()
    if source.endswith(".parquet"):
        scan = f"read_parquet('{source}')"
    else:
        columns = "{'t': 'SMALLINT', 'i': 'SMALLINT', 'j': 'SMALLINT', 'k': 'VARCHAR', "
        columns += "'v': 'DECIMAL(18,3)', 'q': 'VARCHAR'}"
        scan = f"read_csv('{source}', header = true, columns = {columns})"
    con.execute(
        f"CREATE TEMP TABLE pair AS SELECT i, j, k, v FROM {scan} WHERE t = {year} AND "
        f"((i = {USA} AND j = {KOR}) OR (i = {KOR} AND j = {USA}))"
    )
    exports, imports = con.execute(
        f"SELECT sum(v) FILTER (i = {USA}), sum(v) FILTER (i = {KOR}) FROM pair"
    ).fetchone()
    chapters = con.execute(
        f"SELECT substr(k, 1, 2) AS chapter, sum(v) AS value FROM pair WHERE i = {KOR} "
        "GROUP BY chapter ORDER BY value DESC LIMIT 10"
    ).fetchall()
    return _answer(
        float(exports) * 1e3, float(imports) * 1e3, [(c, float(v) * 1e3) for c, v in chapters]
    )


def answer_polars(source: str, year: int) -> dict:
    """The question in Polars, a lazy scan of the CSV file."""
    import polars as pl

    types = {"t": pl.Int16, "i": pl.Int16, "j": pl.Int16, "k": pl.String, "v": pl.Float64}
    pair = (
        pl.scan_csv(source, schema_overrides=types | {"q": pl.String})
        .filter(
            (pl.col("t") == year)
            & (
                ((pl.col("i") == USA) & (pl.col("j") == KOR))
                | ((pl.col("i") == KOR) & (pl.col("j") == USA))
            )
        )
        .select("i", "k", "v")
        .collect()
    )
    exports = pair.filter(pl.col("i") == USA)["v"].sum()
    imports = pair.filter(pl.col("i") == KOR)
    chapters = (
        imports.group_by(pl.col("k").str.slice(0, 2).alias("chapter"))
        .agg(pl.col("v").sum())
        .sort("v", descending=True)
        .head(10)
    )
    return _answer(
        exports * 1e3,
        imports["v"].sum() * 1e3,
        [(c, v * 1e3) for c, v in chapters.iter_rows()],
    )


def _answer(exports: float, imports: float, chapters: list[tuple[str, float]]) -> dict:
    return {
        "exports": exports,
        "imports": imports,
        "balance": exports - imports,
        "chapters": [[code, value, value / imports * 100] for code, value in chapters],
    }


def answer_korus(deficit_csv: str, sectors_csv: str) -> dict:
    """The question from korus's two CSV answers (values in US dollars)."""
    totals = next(csv.DictReader(io.StringIO(deficit_csv)))
    chapters = [
        [row["product"], float(row["value_usd"]), float(row["share_pct"])]
        for row in csv.DictReader(io.StringIO(sectors_csv))
    ]
    return {
        "exports": float(totals["exports_usd"]),
        "imports": float(totals["imports_usd"]),
        "balance": float(totals["balance_usd"]),
        "chapters": chapters,
    }


def differences(answer: dict, reference: dict) -> list[str]:
    """Return where an answer differs from the reference: by a cent or more, a share by
    more than 1e-9 points, or other chapters."""
    found = []
    for what in ("exports", "imports", "balance"):
        if round(answer[what], 2) != round(reference[what], 2):
            found.append(f"{what} {answer[what]:.2f} vs {reference[what]:.2f}")
    mine, theirs = answer["chapters"], reference["chapters"]
    if [row[0] for row in mine] != [row[0] for row in theirs]:
        found.append(f"chapters {[r[0] for r in mine]} vs {[r[0] for r in theirs]}")
    else:
        for (code, value, share), (_, other, other_share) in zip(mine, theirs, strict=True):
            if round(value, 2) != round(other, 2) or abs(share - other_share) > 1e-9:
                found.append(
                    f"chapter {code}: {value:.2f} ({share}%) vs {other:.2f} ({other_share}%)"
                )
    return found


# ---------------------------------------------------------------------------- timing


class Case:
    """One command timed: its label, the command, its environment and what runs before it."""

    def __init__(self, label: str, command: list[str], env: dict | None = None, before=None):
        self.label, self.command, self.env, self.before = label, command, env or {}, before
        self.walls: list[float] = []
        self.peaks: list[int] = []  # KiB
        self.output = ""

    def run(self) -> None:
        if self.before:
            self.before()
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            started = time.perf_counter()
            result = subprocess.run(
                ["/usr/bin/time", "-f", "%M", "-o", report.name, *self.command],
                env={**os.environ, **self.env},
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - started
            peak = report.read().strip().splitlines()
        if result.returncode:
            raise SystemExit(f"{self.label} failed ({result.returncode}): {result.stderr.strip()}")
        _wait_for_cache_writers()  # a first read leaves one behind: not on the next case's time
        self.walls.append(wall)
        self.peaks.append(int(peak[-1]))
        self.output = result.stdout

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> float:
        return statistics.median(self.peaks) / 1024


def timed(cases: list[Case], runs: int) -> None:
    """Run every case ``runs`` times, one run of each in turn (so that a slow spell of a
    shared machine falls on all of them alike)."""
    for number in range(runs):
        for case in cases:
            case.run()
        print(f"  run {number + 1} of {runs} done", file=sys.stderr)


def _wait_for_cache_writers(timeout: float = 600.0) -> None:
    """Wait until no background ``korus cache build`` (started by a first read after its
    answer) is running, so that it never runs during the next case."""
    deadline = time.monotonic() + timeout
    time.sleep(0.05)  # the writer is started as the first read ends
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["pgrep", "-f", "korus cache build"], capture_output=True, check=False
        )
        if found.returncode != 0:  # none (or no pgrep: nothing to wait for)
            return
        time.sleep(0.1)


def _clear(folder: Path):
    def clear() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    return clear


def _unkeep(folder: Path):
    """Remove the cache entries of files kept together (a folder's years), so that the
    next case writes them again."""

    def unkeep() -> None:
        for entry in folder.glob("*-together-*"):
            entry.unlink()

    return unkeep


def table(cases: list[Case], title: str) -> str:
    best = min(case.wall for case in cases)
    lines = [title, f"  {'case':<66} {'median s':>9} {'peak MiB':>9} {'x best':>7}"]
    for case in cases:
        lines.append(
            f"  {case.label:<66} {case.wall:>9.3f} {case.peak:>9.0f} {case.wall / best:>7.2f}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ main


def _data(work: Path, rows: int, years: int, year_rows: int) -> tuple[Path, Path]:
    one = work / f"year-{rows}"
    path = one / f"BACI_HS92_Y{YEAR}_{RELEASE}.csv"
    if not path.exists():
        print(f"generating {rows:,} rows in {one}", file=sys.stderr)
        generate(one, rows)
    folder = work / f"{years}-years-of-{year_rows}"
    wanted = [YEAR - years + 1 + n for n in range(years)]
    if not all((folder / f"BACI_HS92_Y{y}_{RELEASE}.csv").exists() for y in wanted):
        print(f"generating {years} years of {year_rows:,} rows in {folder}", file=sys.stderr)
        generate_years(folder, wanted, year_rows)
    return path, folder


def _parquet_copy(path: Path) -> Path:
    """The same data as Parquet (DuckDB writes it once, untimed)."""
    import duckdb

    target = path.with_suffix(".parquet")
    if not target.exists():
        columns = "{'t': 'SMALLINT', 'i': 'SMALLINT', 'j': 'SMALLINT', 'k': 'VARCHAR', "
        columns += "'v': 'DECIMAL(18,3)', 'q': 'VARCHAR'}"
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{path}', header = true, columns = {columns})) "
            f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        )
    return target


def run(args) -> int:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path, folder = _data(work, args.rows, args.years, args.year_rows)
    parquet = _parquet_copy(path)
    python = sys.executable
    korus = args.korus or str(Path(python).with_name("korus"))
    me = str(Path(__file__).resolve())
    cold, warm = work / "cache-cold", work / "cache-warm"
    shutil.rmtree(warm, ignore_errors=True)
    year = str(YEAR)
    deficit = [korus, "deficit", "--data", str(path), "--years", year]
    sectors = [korus, "sectors", "--data", str(path), "--year", year, "--flow", "imports"]
    sectors += ["--top", "10"]
    machine = ["--format", "csv", "--unit", "usd"]
    last = YEAR
    first = YEAR - args.years + 1
    one_year = folder / f"BACI_HS92_Y{last}_{RELEASE}.csv"
    span = [korus, "deficit", "--data", str(folder), "--years", f"{first}-{last}", *machine]
    single = [korus, "deficit", "--data", str(one_year), "--years", str(last), *machine]

    floor = Case('python -c "import pandas"', [python, "-c", "import pandas"])
    first_read = [
        floor,
        Case(
            "korus deficit, first read (cold cache: reads CSV, writes cache)",
            [*deficit, *machine],
            {"KORUS_CACHE_DIR": str(cold)},
            _clear(cold),
        ),
        Case(
            "korus cache build (the writer a first read starts after its answer)",
            [korus, "cache", "build", str(path)],
            {"KORUS_CACHE_DIR": str(cold)},
            _clear(cold),
        ),
        Case(
            "korus deficit, cache off (KORUS_NO_CACHE=1)",
            [*deficit, *machine],
            {"KORUS_NO_CACHE": "1"},
        ),
        Case(
            "korus deficit, later question (warm cache)",
            [*deficit, *machine],
            {"KORUS_CACHE_DIR": str(warm)},
        ),
        Case(
            "korus sectors, later question (warm cache)",
            [*sectors, *machine],
            {"KORUS_CACHE_DIR": str(warm)},
        ),
        Case("DuckDB over the CSV", [python, me, "answer", "duckdb", str(path), year]),
        Case(
            "DuckDB over the same data as Parquet",
            [python, me, "answer", "duckdb", str(parquet), year],
        ),
        Case("Polars scan_csv", [python, me, "answer", "polars", str(path), year]),
    ]
    years_cases = [
        Case(
            f"korus deficit over 1 year of {args.year_rows:,} rows (warm)",
            single,
            {"KORUS_CACHE_DIR": str(warm)},
        ),
        Case(
            f"korus deficit over {args.years} years, one folder (warm)",
            span,
            {"KORUS_CACHE_DIR": str(warm)},
        ),
        Case(
            f"korus deficit over {args.years} years, first read (cold)",
            span,
            {"KORUS_CACHE_DIR": str(cold)},
            _clear(cold),
        ),
        Case(
            f"korus cache build, {args.years} years kept together (their own entries there)",
            [korus, "cache", "build", *map(str, sorted(folder.glob("BACI_*.csv")))],
            {"KORUS_CACHE_DIR": str(warm)},
            _unkeep(warm),
        ),
    ]
    # korus's modules compiled, as pip compiles them when installing (with an editable
    # install and PYTHONDONTWRITEBYTECODE set, each run would compile them anew).
    package = subprocess.run(
        [python, "-c", "import korus, os; print(os.path.dirname(korus.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", package], check=True)
    # Warm the caches (untimed) and check that push-down is wired into the command line.
    subprocess.run(
        [korus, "cache", "build", str(path)],
        env={**os.environ, "KORUS_CACHE_DIR": str(warm)},
        check=True,
        capture_output=True,
    )
    for command in ([*deficit, *machine], span):
        subprocess.run(
            command,
            env={**os.environ, "KORUS_CACHE_DIR": str(warm)},
            check=True,
            capture_output=True,
        )
        _wait_for_cache_writers()  # the years kept together, say
    verbose = subprocess.run(
        [*deficit, *machine, "--verbose"],
        env={**os.environ, "KORUS_CACHE_DIR": str(warm)},
        capture_output=True,
        text=True,
        check=True,
    )
    if "other country pairs (not asked for)" not in verbose.stderr:
        print(
            "warning: this korus reads the whole file (pair push-down is not wired into the "
            "command line): the korus rows measure a full read",
            file=sys.stderr,
        )

    print(
        f"timing {len(first_read) + len(years_cases)} cases, {args.runs} runs each", file=sys.stderr
    )
    timed(first_read + years_cases, args.runs)

    # Every answer against DuckDB's over the CSV (exact decimals), to the cent.
    cold_read, _, no_cache, warm_deficit, warm_sectors, duck = first_read[1:7]
    sectors_from_csv = subprocess.run(
        [*sectors, *machine],
        env={**os.environ, "KORUS_NO_CACHE": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    reference = json.loads(duck.output)
    answers = {case.label: json.loads(case.output) for case in first_read[6:]}
    answers["korus, first read (deficit cold, sectors from the CSV)"] = answer_korus(
        cold_read.output, sectors_from_csv
    )
    answers["korus, cache off (deficit and sectors)"] = answer_korus(
        no_cache.output, sectors_from_csv
    )
    answers["korus, later questions (deficit and sectors, warm)"] = answer_korus(
        warm_deficit.output, warm_sectors.output
    )
    disagreements = {label: differences(answer, reference) for label, answer in answers.items()}
    span_rows = list(csv.DictReader(io.StringIO(years_cases[1].output)))
    checked_years = _check_years(folder, span_rows)

    size = path.stat().st_size / 2**20
    print()
    print(
        table(
            first_read,
            f"One year, {args.rows:,} rows ({size:,.0f} MiB CSV); median of {args.runs} runs, "
            "each a separate process",
        )
    )
    print()
    print(table(years_cases, f"A folder of {args.years} years of {args.year_rows:,} rows each"))
    print()
    targets = [
        ("first read, wall time vs DuckDB over the CSV", cold_read.wall / duck.wall, 1.2),
        ("first read, peak memory vs DuckDB over the CSV", cold_read.peak / duck.peak, 2.0),
        (
            "later question (deficit) vs python -c 'import pandas'",
            warm_deficit.wall / floor.wall,
            1.2,
        ),
        (
            "later question (sectors) vs python -c 'import pandas'",
            warm_sectors.wall / floor.wall,
            1.2,
        ),
        (f"{args.years} years vs 1 year (warm)", years_cases[1].wall / years_cases[0].wall, 1.5),
    ]
    print("Targets (ratios of medians of this run)")
    for what, ratio, target in targets:
        verdict = "holds" if ratio <= target else "missed"
        print(f"  {what:<66} {ratio:>6.2f}x  (target <= {target}x: {verdict})")
    print()
    print("Each run's wall time (s), in the order run")
    for case in first_read + years_cases:
        print(f"  {case.label:<66} {' '.join(f'{wall:.3f}' for wall in case.walls)}")
    print()
    print("Agreement with DuckDB over the CSV (exact decimals), to the cent")
    for label, found in disagreements.items():
        print(f"  {label:<66} {'agrees' if not found else '; '.join(found)}")
    print(f"  {f'korus over {args.years} years, each year':<66} {checked_years}")
    return 0 if not any(disagreements.values()) and checked_years == "agrees" else 1


def _check_years(folder: Path, rows: list[dict]) -> str:
    """Check korus's totals over the folder against DuckDB's, year by year (untimed)."""
    import duckdb

    columns = "{'t': 'SMALLINT', 'i': 'SMALLINT', 'j': 'SMALLINT', 'k': 'VARCHAR', "
    columns += "'v': 'DECIMAL(18,3)', 'q': 'VARCHAR'}"
    found = duckdb.sql(
        f"SELECT t, sum(v) FILTER (i = {USA}) * 1000, sum(v) FILTER (i = {KOR}) * 1000 "
        f"FROM read_csv('{folder}/BACI_*.csv', header = true, columns = {columns}) "
        f"WHERE (i = {USA} AND j = {KOR}) OR (i = {KOR} AND j = {USA}) GROUP BY t"
    ).fetchall()
    expected = {int(t): (round(float(e), 2), round(float(m), 2)) for t, e, m in found}
    got = {
        int(row["year"]): (round(float(row["exports_usd"]), 2), round(float(row["imports_usd"]), 2))
        for row in rows
    }
    if got != expected:
        wrong = sorted(year for year in expected if got.get(year) != expected[year])
        return f"differs in {wrong}"
    return "agrees"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="write BACI-layout data")
    make.add_argument("--rows", type=int, default=11_000_000)
    make.add_argument("--year", type=int, default=YEAR)
    make.add_argument("--years", type=int, default=1, help="this many years, ending at --year")
    make.add_argument("--seed", type=int, default=1)
    make.add_argument("--shuffle", action="store_true", help="rows in random order")
    make.add_argument("--out", required=True)
    timing = commands.add_parser("run", help="time korus, DuckDB and Polars")
    timing.add_argument("--rows", type=int, default=11_000_000, help="rows of the one year")
    timing.add_argument("--runs", type=int, default=5, help="runs of each case (median)")
    timing.add_argument("--years", type=int, default=30, help="years in the folder")
    timing.add_argument("--year-rows", type=int, default=1_000_000, help="rows of each")
    timing.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "korus-bench"))
    timing.add_argument("--korus", help="the korus command (default: beside this Python)")
    answer = commands.add_parser("answer", help="answer the question with one tool (JSON)")
    answer.add_argument("tool", choices=["duckdb", "polars"])
    answer.add_argument("source")
    answer.add_argument("year", type=int)
    args = parser.parse_args(argv)
    if args.command == "generate":
        out = Path(args.out)
        if args.years > 1:
            years = list(range(args.year - args.years + 1, args.year + 1))
            paths = generate_years(out, years, args.rows, args.seed)
        else:
            paths = [generate(out, args.rows, args.year, args.seed, args.shuffle)]
        for path in paths:
            print(path)
        return 0
    if args.command == "answer":
        tool = answer_duckdb if args.tool == "duckdb" else answer_polars
        print(json.dumps(tool(args.source, args.year)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
