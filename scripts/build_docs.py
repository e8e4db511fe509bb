"""Write korus's command-line reference (docs/cli.md) and man page (docs/korus.1) from the
click commands themselves, the reference of the Python API (in docs/api.md, between its
markers) from the functions' signatures and docstrings, and, with --charts, one picture of
each kind of chart (docs/charts/*.png) from the shipped data.

    python scripts/build_docs.py            # docs/cli.md, docs/korus.1, docs/api.md
    python scripts/build_docs.py --check    # exit 1, naming them, if any is stale
    python scripts/build_docs.py --charts   # also docs/charts/*.png (needs matplotlib)

tests/test_docs.py regenerates the texts in memory and fails when a file differs: a
change to a command's options or help, or to a function's signature or docstring, changes
its reference in the same commit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "cli.md"
MAN_PAGE = ROOT / "docs" / "korus.1"
API_PAGE = ROOT / "docs" / "api.md"
API_START = "<!-- reference: written by scripts/build_docs.py"
API_END = "<!-- end of reference -->"
CHARTS = ROOT / "docs" / "charts"
WIDTH = 80  # help text is laid out for 80 columns, the same on every machine


def commands() -> Iterator[tuple[click.Context, click.Command]]:
    """Yield every visible command and group, korus first, each with its context (so that
    its usage line names its whole path: ``korus cache build``)."""
    from korus.cli import cli

    def walk(command: click.Command, ctx: click.Context):
        yield ctx, command
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None or sub.hidden:
                    continue
                yield from walk(sub, _context(sub, name, ctx))

    yield from walk(cli, _context(cli, "korus", None))


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    return click.Context(
        command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
    )


def _help(ctx: click.Context, command: click.Command) -> str:
    return command.get_help(ctx).rstrip() + "\n"


def _anchor(path: str) -> str:
    return path.replace(" ", "-")


def reference_markdown() -> str:
    """Return docs/cli.md: every command's --help, in order, with a table of contents."""
    found = list(commands())
    lines = [
        "# korus command-line reference",
        "",
        "<!-- Written by scripts/build_docs.py from korus's own commands: do not edit it by "
        "hand. tests/test_docs.py fails when it is stale. -->",
        "",
        "Every command's `--help`, as korus prints it. See also the README and "
        "`man korus` (docs/korus.1).",
        "",
    ]
    for ctx, command in found:
        summary = command.get_short_help_str(limit=70)
        lines.append(f"- [`{ctx.command_path}`](#{_anchor(ctx.command_path)}): {summary}")
    for ctx, command in found:
        lines += ["", f"## {ctx.command_path}", "", "```text", _help(ctx, command).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _roff(text: str) -> str:
    """Return text as roff shows it literally: backslashes and hyphens escaped, a line that
    starts with a dot or an apostrophe kept from being read as a request."""
    out = []
    for line in text.splitlines():
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def man_page() -> str:
    """Return docs/korus.1: korus(1), every command's help in a section of its own."""
    from korus import __version__, environment

    found = list(commands())
    root_ctx, root = found[0]
    lines = [
        f'.TH KORUS 1 "" "korus {__version__}" "User Commands"',
        ".SH NAME",
        "korus \\- bilateral trade statistics you can defend: balances, growth and sector shares",
        ".SH SYNOPSIS",
        ".B korus",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        ".nf",
        _roff(_help(root_ctx, root)),
        ".fi",
        ".SH COMMANDS",
    ]
    for ctx, command in found[1:]:
        lines += [f".SS {_roff(ctx.command_path)}", ".nf", _roff(_help(ctx, command)), ".fi"]
    lines += [".SH ENVIRONMENT", ".nf", _roff(environment.text()), ".fi"]
    lines += [
        ".SH FILES",
        ".TP",
        ".I ~/.config/korus/config.toml",
        "defaults for the options (see \\fBkorus config show\\fR); "
        "\\fB$XDG_CONFIG_HOME\\fR or \\fB$KORUS_CONFIG\\fR move it.",
        ".TP",
        ".I ~/.cache/korus",
        "the Parquet cache of large files (\\fB$KORUS_CACHE_DIR\\fR moves it).",
        ".SH SEE ALSO",
        "The README and docs/cli.md of korus's repository.",
    ]
    return "\n".join(lines) + "\n"


def _signature(function) -> str:
    """Return a function's parameters as a call would write them (no annotations)."""
    import inspect

    parts, keywords_only = [], False
    for param in inspect.signature(function).parameters.values():
        if param.kind is param.KEYWORD_ONLY and not keywords_only:
            parts.append("*")
            keywords_only = True
        if param.kind is param.VAR_KEYWORD:
            parts.append(f"**{param.name}")
        elif param.default is param.empty:
            parts.append(param.name)
        else:
            parts.append(f"{param.name}={param.default!r}")
    return ", ".join(parts)


def _docstring(thing) -> str:
    import inspect

    return inspect.cleandoc(thing.__doc__ or "").strip()


def api_reference() -> str:
    """Return the reference of korus's Python API: each function's signature and docstring,
    the reading rules (``korus.Settings``) and the errors."""
    import dataclasses

    import korus
    from korus import errors

    lines = []
    for name in korus._API:
        function = getattr(korus, name)
        lines += [f"### korus.{name}", "", "```python", f"korus.{name}({_signature(function)})"]
        lines += ["```", "", _docstring(function), ""]
    lines += ["### korus.Settings", "", _docstring(korus.Settings), ""]
    source = Path(sys.modules["korus.settings"].__file__).read_text(encoding="utf-8")
    for field in dataclasses.fields(korus.Settings):
        # The field's own comment (``#: ...`` lines above it) is its documentation.
        block = source.split(f"    {field.name}: ", 1)[0].rstrip().splitlines()
        said = []
        while block and block[-1].strip().startswith("#:"):
            said.insert(0, block.pop().strip()[2:].strip())
        lines.append(f"- `{field.name}` (default `{field.default!r}`): {' '.join(said)}")
    lines += ["", "### Errors", ""]
    for error in (
        errors.KorusError,
        errors.DataFileError,
        errors.DataCoverageError,
        errors.UnknownCountryError,
        errors.MixedSourcesError,
    ):
        lines.append(f"- `korus.{error.__name__}`: {_docstring(error)}")
    return "\n".join(lines) + "\n"


def api_page(text: str | None = None) -> str:
    """Return docs/api.md with its reference section written from the API."""
    text = API_PAGE.read_text(encoding="utf-8") if text is None else text
    head, rest = text.split(API_START, 1)
    marker, rest = rest.split("\n", 1)
    _, tail = rest.split(API_END, 1)
    return f"{head}{API_START}{marker}\n\n{api_reference()}\n{API_END}{tail}"


def chart_reports() -> dict:
    """Return a report of each kind of chart korus draws, from the shipped data."""
    from korus import api, reports

    months = "2016-01..2017-12"
    sectors = api.sectors(2016, "imports")
    total, grouping = sectors.attrs["total"], sectors.attrs["grouping"]
    share = reports.sectors(sectors, total, "imports", 10, "millions", None, grouping)
    share.series = (share.series[0], "share_pct")
    return {
        "deficit": reports.deficit(api.deficit(years="2011-2016"), "millions"),
        "growth": reports.growth(api.growth(years="2011-2016"), "millions"),
        "sectors": reports.sectors(sectors, total, "imports", None, "millions", None, grouping),
        "sectors-share": share,
        "partners": reports.partners(api.partners(2016, by="balance"), "balance", 12, False),
        "months": reports.monthly_deficit(
            api.deficit(months=months), api.parse_months(months), "millions"
        ),
    }


def write_charts(folder: Path = CHARTS) -> list[Path]:
    """Write one PNG of each kind of chart into ``folder``; return their paths."""
    from korus.charts import plot_file

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, report in chart_reports().items():
        path = folder / f"{kind}.png"
        plot_file(report, "millions", path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument("--charts", action="store_true", help="also write docs/charts/*.png")
    options = parser.parse_args(argv)
    stale = []
    texts = ((REFERENCE, reference_markdown()), (MAN_PAGE, man_page()), (API_PAGE, api_page()))
    for path, text in texts:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if options.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        names = ", ".join(map(str, stale))
        print(f"stale: {names}; run python scripts/build_docs.py", file=sys.stderr)
        return 1
    if options.charts:
        for path in write_charts():
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
