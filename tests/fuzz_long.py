"""The long fuzz run: many mutated corpus files through korus, counting any traceback.

    python tests/fuzz_long.py --cases 10000 [--start 0]

Prints the number of cases, how many read, how many ended in a clear error, and every
problem with the seed that replays it (tests/fuzzing.py: ``mutate(seed)``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzzing import run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="korus long fuzz run")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    problems = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.start, args.start + args.cases):
            problem = run_case(seed, Path(folder))
            if problem:
                problems.append(problem)
                print(problem, file=sys.stderr)
            if (seed - args.start + 1) % 1000 == 0:
                print(f"{seed - args.start + 1} cases, {len(problems)} problems", file=sys.stderr)
    elapsed = time.monotonic() - started
    print(
        f"{args.cases} cases in {elapsed:.0f} s: {len(problems)} problems "
        "(tracebacks or unforeseen failures)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
