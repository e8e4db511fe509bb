"""Every example of the README runs, and prints what the README shows.

Two kinds of example:

- a fenced block whose lines start with ``$ korus``: each command is run by bash in a
  pseudo-terminal, as a reader would type it (so a table is a table and ``| head`` a
  pipe), and what it prints (stdout and stderr, as the terminal shows them) is compared
  line by line with the lines under it, up to the next ``$``;
- an indented ``$ korus`` line followed by ``<!-- output -->`` ... ``<!-- end of output
  -->``: korus's standard output, shown rendered (Markdown), is compared with the text
  between the markers.

Commands run in an empty folder (``examples/`` beside them), with ``COLUMNS=100`` unless
the command says otherwise, ``NO_COLOR=1``, no config file and korus on the PATH.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
WIDTH = "100"


@dataclass
class Example:
    line: int  # where the command is in the README, for messages
    command: str
    expected: list[str]
    terminal: bool  # run in a pseudo-terminal, stdout and stderr together


def examples(text: str) -> list[Example]:
    """Return the README's examples with the output each shows."""
    found: list[Example] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            block = lines[index + 1 : end]
            if block and block[0].startswith("$ "):
                found += _console(block, index + 2)
            index = end + 1
            continue
        if re.match(r"^ {4}\$ korus ", line):
            start = next(i for i in range(index + 1, len(lines)) if lines[i].strip())
            if lines[start].strip() == "<!-- output -->":
                end = lines.index("<!-- end of output -->", start)
                # Kept as they are: Markdown's line breaks are two spaces at a line's end.
                shown = _trimmed(lines[start + 1 : end], ends=False)
                found.append(Example(index + 1, line.strip()[2:], shown, terminal=False))
        index += 1
    return found


def _console(block: list[str], first_line: int) -> list[Example]:
    found = []
    starts = [i for i, line in enumerate(block) if line.startswith("$ ")] + [len(block)]
    for start, end in zip(starts, starts[1:], strict=False):
        command = block[start][2:]
        found.append(Example(first_line + start, command, _trimmed(block[start + 1 : end]), True))
    return found


def _trimmed(lines: list[str], ends: bool = True) -> list[str]:
    """Return lines without the blank lines around them and, with ``ends``, without the
    spaces at their ends (a terminal table pads its lines)."""
    lines = [line.rstrip() if ends else line for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def environment(folder: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("FORCE_COLOR", "TTY_COMPATIBLE", "KORUS_CONFIG", "TERM")
    }
    env.update(
        COLUMNS=WIDTH,
        NO_COLOR="1",
        TERM="xterm",
        XDG_CONFIG_HOME=str(folder / "config"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    return env


def run_in_terminal(command: str, folder: Path) -> list[str]:
    """Return the lines a terminal shows while bash runs ``command``."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        ["bash", "--norc", "--noprofile", "-c", command],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=folder,
        env=environment(folder),
        close_fds=True,
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    return _trimmed(output.decode("utf-8").replace("\r\n", "\n").split("\n"))


def run_in_pipe(command: str, folder: Path) -> list[str]:
    """Return the standard output of ``command`` run by bash into a pipe."""
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", command],
        cwd=folder,
        env=environment(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        timeout=300,
    )
    return _trimmed(result.stdout.split("\n"), ends=False)


EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples_of_both_kinds():
    assert sum(e.terminal for e in EXAMPLES) >= 8
    assert any(not e.terminal for e in EXAMPLES)


def test_every_command_line_of_the_readme_is_an_example_that_is_run():
    text = README.read_text(encoding="utf-8")
    shown = [line.strip()[2:] for line in text.splitlines() if re.match(r"^\s*\$ ", line)]
    assert sorted(shown) == sorted(example.command for example in EXAMPLES)


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[f"line {e.line}: {e.command[:60]}" for e in EXAMPLES]
)
def test_a_readme_example_prints_what_the_readme_shows(example, tmp_path):
    for tool in re.findall(r"\|\s*(\w+)", example.command):
        if shutil.which(tool) is None:
            pytest.skip(f"the example pipes into {tool}, which this machine lacks")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    run = run_in_terminal if example.terminal else run_in_pipe
    shown = run(example.command, tmp_path)
    if "|" in example.command:
        # The program at the end of a pipe (jq) colours its own output on a terminal;
        # korus's part went into the pipe, where it never has escape sequences.
        shown = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in shown]
    assert shown == example.expected
