"""Mutations of real corpus files, for the fuzz test and its long run (tests/fuzz_long.py).

A mutation is chosen by a seeded random generator, so any failing case can be replayed
from its seed.
"""

from __future__ import annotations

import random
import traceback
from pathlib import Path

from click.testing import CliRunner

CORPUS = Path(__file__).resolve().parent / "corpus"
# The readable files: mutating them reaches deepest into the readers.
SEEDS = sorted(
    p
    for p in CORPUS.iterdir()
    if p.suffix in {".csv", ".xlsx", ".gz"} and p.stat().st_size < 100_000 and p.stat().st_size
)


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _cut_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    if len(lines) > 1:
        start = rng.randrange(len(lines))
        del lines[start : start + rng.randint(1, 3)]
    if lines and rng.random() < 0.5:
        index = rng.randrange(len(lines))
        lines[index] = lines[index][: rng.randint(0, len(lines[index]))]
    return b"\n".join(lines)


def _swap_cells(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    cells = lines[index].split(b",")
    if len(cells) > 1:
        a, b = rng.randrange(len(cells)), rng.randrange(len(cells))
        cells[a], cells[b] = cells[b], cells[a]
    if rng.random() < 0.3:
        cells[rng.randrange(len(cells))] = rng.choice(
            [b"", b"NA", b"(D)", b"-1", b"1e308", b"nan", b'"', b"=1+1", b"\xff", b"0101", b"9999"]
        )
    lines[index] = b",".join(cells)
    return b"\n".join(lines)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    return b"\n".join(lines[: index + 1] + [lines[index]] * rng.randint(1, 3) + lines[index + 1 :])


MUTATIONS = [_flip_bytes, _cut_lines, _swap_cells, _truncate, _duplicate_lines]


def mutate(seed: int) -> tuple[Path, bytes]:
    """Return (the corpus file, its mutated bytes) for a seed."""
    rng = random.Random(seed)
    source = rng.choice(SEEDS)
    data = source.read_bytes()
    for _ in range(rng.randint(1, 3)):
        if data:
            data = rng.choice(MUTATIONS)(data, rng)
    return source, data


def run_case(seed: int, folder: Path) -> str | None:
    """Run korus inspect and deficit on one mutated file; return a problem, or None if fine.

    Fine means: exit 0, or exit 1 with exactly one line starting ``Error: `` that is not an
    unforeseen failure. Anything else (a traceback, an unexpected exception, exit 1 with
    the "unexpected failure" message, another status) is a problem.
    """
    from korus.cli import cli

    source, data = mutate(seed)
    path = folder / f"case{seed}{''.join(source.suffixes)}"
    path.write_bytes(data)
    runner = CliRunner()
    try:
        for args in (["inspect", str(path), "--format", "json"], ["deficit", "--data", str(path)]):
            result = runner.invoke(cli, args)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                detail = "".join(traceback.format_exception(result.exception))
                return f"seed {seed} ({source.name}) {args[0]}: exception\n{detail}"
            if result.exit_code == 0:
                continue
            # What korus must say even on the way to an error ("Note: ...") comes first.
            lines = [line for line in result.stderr.splitlines() if not line.startswith("Note: ")]
            if (
                result.exit_code != 1
                or len(lines) != 1
                or not lines[0].startswith("Error: ")
                or "unexpected failure" in lines[0]
            ):
                return (
                    f"seed {seed} ({source.name}) {args[0]}: exit {result.exit_code}: "
                    f"{result.stderr!r}"
                )
        return None
    finally:
        path.unlink(missing_ok=True)
