"""Time the column-wise readers (Census API, DataWeb, Comtrade+): korus before and after,
and DuckDB.

Three questions over generated files (``engine_bench.py generate census|dataweb|comtrade``),
each case a separate process under ``/usr/bin/time -v``, one run of each case in turn,
median wall time and peak memory (maximum resident set) of ``--runs`` runs, the cache off:

- ``korus growth --partner KOR --flow imports --years 2015-2016`` over a Census API
  answer saved as CSV;
- ``korus partners --year 2016 --by imports`` over a DataWeb CSV (long layout);
- ``korus deficit --partner KOR --years 2016`` over a Comtrade+ answer saved as CSV (the
  API's 47 fields, HS6, the USA and every partner);
- DuckDB's answer to each over the same CSV (``engine_bench.py``'s queries);
- ``python -c "import pandas"``, the floor of any korus command.

"Before" is korus from another source tree (``--before SRC``: a checkout's ``src`` of the
commit before the change), run with the same Python. The answers of before and after are
compared (the same output, byte for byte); the script exits 1 if they differ. Where the
reader before is too slow to run at ``--rows`` (the Comtrade+ reader took 100 s for a
million rows), ``--before-rows N`` runs it on a file of N rows, and korus after on that
file too, so that before and after are compared on the same file. ``--layouts`` chooses
the questions.

    python bench/columnar_bench.py --before /path/to/old/src --rows 1000000 --runs 5
    python bench/columnar_bench.py --before /path/to/old/src --layouts comtrade \
        --before-rows 200000
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUESTIONS = {
    "census": ["growth", "--partner", "KOR", "--flow", "imports", "--years", "2015-2016"],
    "dataweb": ["partners", "--year", "2016", "--by", "imports"],
    "comtrade": ["deficit", "--partner", "KOR", "--years", "2016"],
}
DUCKDB = {
    "census": "duckdb_census_growth",
    "dataweb": "duckdb_dataweb_partners",
    "comtrade": "duckdb_comtrade_deficit",
}


def timed(command: list[str], env: dict) -> tuple[float, float, bytes]:
    """Return (wall seconds, peak MiB, standard output) of one run."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr.decode()[-2000:]}")
    said = done.stderr.decode()
    clock = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", said)
    hours, minutes, seconds = clock.groups()
    wall = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", said).group(1)) / 1024
    return wall, peak, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="src folder of korus before")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--before-rows", type=int, default=None, help="rows of the files korus before reads"
    )
    parser.add_argument(
        "--layouts", default=",".join(QUESTIONS), help="questions to time (comma-separated)"
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "korus-bench")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import engine_bench

    args.work.mkdir(parents=True, exist_ok=True)
    layouts = [layout for layout in args.layouts.split(",") if layout]
    makers = {
        "census": engine_bench.generate_census,
        "dataweb": engine_bench.generate_dataweb,
        "comtrade": engine_bench.generate_comtrade,
    }
    before_rows = args.before_rows or args.rows
    files, before_files = {}, {}
    for layout in layouts:
        for rows, found in ((args.rows, files), (before_rows, before_files)):
            found[layout] = args.work / f"columnar-{layout}-{rows}.csv"
            if not found[layout].exists():
                makers[layout](found[layout], rows)
    env = {**os.environ, "KORUS_NO_CACHE": "1"}
    before_env = {**env, "PYTHONPATH": str(Path(args.before).resolve())}
    korus = [sys.executable, "-m", "korus"]
    cases = {}
    for layout in layouts:
        question = QUESTIONS[layout]
        asked = [*question, "--data", str(files[layout]), "--format", "csv"]
        asked_before = [*question, "--data", str(before_files[layout]), "--format", "csv"]
        if before_rows != args.rows:
            cases[f"{layout}: korus before, {before_rows:,} rows"] = (
                korus + asked_before,
                before_env,
            )
            cases[f"{layout}: korus after, {before_rows:,} rows"] = (korus + asked_before, env)
        else:
            cases[f"{layout}: korus before"] = (korus + asked, before_env)
        cases[f"{layout}: korus after"] = (korus + asked, env)
        query = f"import engine_bench as e; e.{DUCKDB[layout]}({str(files[layout])!r})"
        cases[f"{layout}: DuckDB over the CSV"] = (
            [sys.executable, "-c", query],
            {
                **env,
                "PYTHONPATH": str(HERE),
            },
        )
    cases["import pandas"] = ([sys.executable, "-c", "import pandas"], env)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    outputs: dict[str, bytes] = {}
    for _ in range(args.runs):
        for name, (command, environment) in cases.items():
            wall, peak, out = timed(command, environment)
            results[name].append((wall, peak))
            outputs[name] = out
    lines = [
        f"columnar_bench.py --layouts {','.join(layouts)} --rows {args.rows:,}"
        + (f" --before-rows {before_rows:,}" if before_rows != args.rows else "")
        + f" --runs {args.runs}, {date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        f"{'case':46} {'median s':>9} {'peak MiB':>9}   runs (s)",
    ]
    medians = {}
    for name, found in results.items():
        wall = statistics.median(w for w, _ in found)
        peak = statistics.median(p for _, p in found)
        medians[name] = (wall, peak)
        runs = " ".join(f"{w:.2f}" for w, _ in found)
        lines.append(f"{name:46} {wall:9.2f} {peak:9.0f}   {runs}")
    lines.append("")
    same = True
    for layout in layouts:
        if before_rows != args.rows:
            label = f", {before_rows:,} rows"
            after_same = medians[f"{layout}: korus after{label}"]
        else:
            label = ""
            after_same = medians[f"{layout}: korus after"]
        before = medians[f"{layout}: korus before{label}"]
        after = medians[f"{layout}: korus after"]
        duck = medians[f"{layout}: DuckDB over the CSV"]
        said = (outputs[f"{layout}: korus before{label}"], outputs[f"{layout}: korus after{label}"])
        agree = said[0] == said[1]
        same &= agree
        lines.append(
            f"{layout}: after/before {after_same[0] / before[0]:.2f}x wall, "
            f"{after_same[1] / before[1]:.2f}x memory{' (same file)' if label else ''}; "
            f"after/DuckDB {after[0] / duck[0]:.1f}x wall, {after[1] / duck[1]:.1f}x memory; "
            f"answers before and after {'identical' if agree else 'DIFFER'}"
        )
    print("\n".join(lines))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
