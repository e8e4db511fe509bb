"""The long fuzz run: thousands of mutated inputs through korus, each judged (tests/fuzzing.py).

    python tests/fuzz_long.py --cases 10000 [--start 0] [--jobs 2]
    python tests/fuzz_long.py --seed 1234 [--keep FOLDER]    # one case, told in full

Prints every failure with the seed that replays it, then the counts: cases run per kind of
input, clean errors, accepted with right figures, tracebacks (or endings that are not one
clean Error: line), "this is a bug", wrong figures, and the run time; then the distinct
failures, each with its seeds. Exit status 1 when a traceback, a bug or a wrong figure was
seen (known failures included: tests/fuzzing.py KNOWN_FAILURES lists them).
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzzing  # noqa: E402

_FOLDER: Path | None = None


def _start_worker() -> None:
    global _FOLDER
    # A folder and a korus cache folder of the worker's own, removed when it ends.
    _FOLDER = Path(tempfile.mkdtemp(prefix="korus-fuzz-run-"))
    import atexit
    import os
    import shutil

    os.environ["KORUS_CACHE_DIR"] = str(_FOLDER / "korus-cache")
    atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)


def _one(seed: int) -> tuple:
    result = fuzzing.run_case(seed, _FOLDER)
    described = result.case.describe() if result.case else f"seed {seed}"
    cause = fuzzing.cause_of(result.problem) if result.problem else None
    return seed, result.kind, result.layout, result.outcome, result.detail, described, cause


def signature(layout: str, outcome: str, detail: str) -> str:
    """Return what tells one failure from another: its outcome, layout and the first
    probe's message without paths, numbers or quoted values."""
    first = detail.split("; ")[0].split("\n")[0]
    if outcome == fuzzing.TRACEBACK and "Traceback" in detail:
        frames = re.findall(r'File "[^"]*/(korus/[^"]+)", line \d+, in (\w+)', detail)
        last = detail.strip().splitlines()[-1]
        first = f"{frames[-1] if frames else ''} {last.split(':')[0]}"
    first = re.sub(r"/\S+/", "", first)
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", first)
    first = re.sub(r"\d+", "#", first)
    return f"{outcome} | {layout} | {first[:160]}"


def main() -> int:
    parser = argparse.ArgumentParser(description="korus long fuzz run")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="processes working at once")
    parser.add_argument("--seed", type=int, help="run this one case and tell it in full")
    parser.add_argument("--keep", type=Path, help="with --seed: copy the case's files here")
    args = parser.parse_args()
    if args.seed is not None:
        return _replay(args.seed, args.keep)

    started = time.monotonic()
    kinds: collections.Counter = collections.Counter()
    outcomes: collections.Counter = collections.Counter()
    by_kind: collections.Counter = collections.Counter()
    distinct: dict[str, list[int]] = {}
    seeds = range(args.start, args.start + args.cases)
    jobs = max(1, args.jobs)
    with fuzzing.own_cache_folder():
        if jobs == 1:
            _start_worker()
            results = map(_one, seeds)
            pool = None
        else:
            pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_start_worker)
            results = pool.imap_unordered(_one, seeds, chunksize=8)
        try:
            for done, row in enumerate(results, 1):
                seed, kind, layout, outcome, detail, described, cause = row
                kinds[kind] += 1
                outcomes[outcome] += 1
                by_kind[(kind, outcome)] += 1
                if outcome in (*fuzzing.FAILURES, fuzzing.REFUSED):
                    known = f" (known: {cause})" if cause else ""
                    print(f"{described}{known}\n  {outcome}: {detail}", file=sys.stderr)
                    name = f"known: {cause}" if cause else signature(layout, outcome, detail)
                    distinct.setdefault(name, []).append(seed)
                if done % 500 == 0:
                    failures = sum(outcomes[name] for name in fuzzing.FAILURES)
                    print(
                        f"{done} cases, {failures} failures, {time.monotonic() - started:.0f} s",
                        file=sys.stderr,
                    )
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    elapsed = time.monotonic() - started
    print(_summary(args, kinds, outcomes, by_kind, distinct, elapsed))
    return 1 if any(outcomes[name] for name in fuzzing.FAILURES) else 0


def _summary(args, kinds, outcomes, by_kind, distinct, elapsed) -> str:
    lines = [
        f"{args.cases} cases (seeds {args.start}-{args.start + args.cases - 1}) in {elapsed:.0f} s"
    ]
    lines.append("cases run per kind of input: " + ", ".join(
        f"{kind} {kinds[kind]}" for kind in fuzzing.KINDS if kinds[kind]
    ))  # fmt: skip
    lines.append(f"  clean errors:                     {outcomes[fuzzing.ERROR]}")
    lines.append(f"  accepted with right figures:      {outcomes[fuzzing.RIGHT]}")
    lines.append(f"  accepted, not judged:             {outcomes[fuzzing.UNJUDGED]}")
    lines.append(f"  refused what the reference reads: {outcomes[fuzzing.REFUSED]}")
    lines.append(f"  tracebacks or unclean endings:    {outcomes[fuzzing.TRACEBACK]}")
    lines.append(f"  'this is a bug':                  {outcomes[fuzzing.BUG]}")
    lines.append(f"  wrong figures:                    {outcomes[fuzzing.WRONG]}")
    lines.append("by kind: " + "; ".join(
        f"{kind}: " + ", ".join(f"{outcome} {by_kind[(kind, outcome)]}"
                                for outcome in fuzzing.ORDER if by_kind[(kind, outcome)])
        for kind in fuzzing.KINDS if kinds[kind]
    ))  # fmt: skip
    if distinct:
        lines.append(
            "distinct failures by cause (new ones first; known: fuzzing.KNOWN_CAUSES), and "
            f"refusals of what the reference reads ({len(distinct)}):"
        )
        for name, found in sorted(distinct.items(), key=_new_first):
            shown = ", ".join(map(str, sorted(found)[:8])) + (" ..." if len(found) > 8 else "")
            lines.append(f"  {len(found):5} x {name}\n          seeds {shown}")
    return "\n".join(lines)


def _new_first(item) -> tuple:
    name, seeds = item
    return (name.startswith("known: "), -len(seeds))


def _replay(seed: int, keep: Path | None) -> int:
    """Run one case and tell what it was, what korus must do and what it did."""
    with fuzzing.own_cache_folder(), tempfile.TemporaryDirectory() as folder:
        try:
            case = fuzzing.make_case(seed)
        except Exception:
            print(fuzzing.run_case(seed, Path(folder)).detail)
            return 1
        result = fuzzing.run_case(seed, Path(folder), case, keep=keep)
    print(case.describe())
    expected = case.expected
    if expected is None:
        print("expected: not judged (no reference for this input)")
    elif expected.refused:
        print(f"expected: one clean error ({expected.why})")
    else:
        count = len(expected.figures)
        print(
            f"expected: {count} figures, rows {expected.rows}"
            + (f"; korus may also refuse ({expected.why})" if expected.may_refuse else "")
        )
    if case.question:
        print(f"question: deficit {case.question}")
    print(f"outcome: {result.outcome}\n  {result.detail}")
    if keep is not None:
        print(f"files kept in {keep}")
    return 1 if result.outcome in fuzzing.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
