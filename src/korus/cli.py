"""The korus command line: parse, load, compute, render. Nothing else lives here.

pandas is imported inside the commands, never at the top, so that ``--help`` is instant.
"""

from __future__ import annotations

import functools
import re
import signal
import sys

import click

from korus import __version__
from korus.errors import KorusError

EXIT_CODES = """\b
Exit status: 0 success; 1 a data error (bad file, unknown partner, a year the data
does not hold); 2 a usage error (unknown option, malformed --years).
"""


class KorusGroup(click.Group):
    """A group that turns korus's own errors into one ``Error: ...`` line and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KorusError as exc:
            raise click.ClickException(str(exc)) from None


def parse_years(text: str) -> list[int]:
    """Return the years of ``2016``, ``2011-2016``, ``2011,2016`` or ``2011-2013,2016``."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d{4})(?:\s*(?:-|\.\.)\s*(\d{4}))?", part)
        if not match:
            raise ValueError(f"{part!r} is not a year (2016), a range (2011-2016) or a list")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise ValueError(f"range {part!r} runs backwards")
        years.update(range(first, last + 1))
    return sorted(years)


def _years_callback(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_years(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _country_callback(ctx, param, value):
    from korus import countries

    try:
        return countries.resolve(value).code
    except KorusError as exc:
        # One line, exit 1: an unknown name is a question of data, not of syntax.
        raise click.ClickException(f"{param.opts[0]}: {exc}") from None


def output_options(command):
    """Add the options every command shares: --unit, --format, --data, --verbose."""

    @click.option(
        "--unit",
        type=click.Choice(["usd", "thousands", "millions", "billions"]),
        default="millions",
        show_default=True,
        help="Unit of the money values printed.",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["auto", "table", "csv", "tsv", "json", "markdown"]),
        default="auto",
        show_default=True,
        help="auto: a table on a terminal, CSV in a pipe or file.",
    )
    @click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="A data file of yours instead of the shipped data (korus tidy CSV/Parquet, "
        "Census country.xlsx, Comtrade legacy CSV). Repeat to stack files.",
    )
    @click.option(
        "--verbose", "-v", is_flag=True, help="Report on stderr what was read and set aside."
    )
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(*args, **kwargs)

    return wrapper


def pair_options(command):
    """Add --reporter and --partner (any code system or common name)."""
    command = click.option(
        "--partner",
        default="KOR",
        show_default=True,
        callback=_country_callback,
        help='Partner: ISO3/ISO2, UN or Census code, or a name ("Korea", "China").',
    )(command)
    return click.option(
        "--reporter",
        default="USA",
        show_default=True,
        callback=_country_callback,
        help="Reporting country, in the same forms as --partner.",
    )(command)


def emit(report, fmt: str, unit: str, reading, verbose: bool) -> None:
    """Print the accounting (with --verbose) on stderr, then the report on stdout."""
    from korus.render import render

    if verbose:
        for account in reading.accounting:
            click.echo(_accounting_line(account), err=True)
            for note in account.notes:
                click.echo(f"  note: {note}", err=True)
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "csv"
    render(report, fmt, unit, sys.stdout)


def _accounting_line(account) -> str:
    reasons = "".join(
        f"\n  set aside {count:,}: {reason}" for reason, count in account.set_aside.items()
    )
    return (
        f"{account.file}: {account.layout}; {account.rows_read:,} rows read, "
        f"{account.rows_kept:,} kept, {account.rows_set_aside:,} set aside{reasons}"
    )


@click.group(cls=KorusGroup, epilog=EXIT_CODES)
@click.version_option(version=__version__, prog_name="korus")
def cli():
    """Bilateral trade statistics you can defend: balances, growth and sector shares.

    Works out of the box on the shipped data (US Census trade by partner, 1985 to
    January 2026; UN Comtrade US-Korea trade by HS chapter, 2010-2019), or on your files
    with --data. Every output names its source, unit and valuation basis.
    """


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--years",
    callback=_years_callback,
    help="2016, 2011-2016 or 2011,2016 [default: the last six whole years].",
)
@pair_options
@output_options
def deficit(years, reporter, partner, unit, fmt, data, verbose):
    """Exports, imports and the balance by year, with the change from first to last.

    \b
    Examples:
      korus deficit --years 2011-2016
      korus deficit --partner CHN --years 2016
      korus deficit --partner Japan --years 2011,2016 --unit billions
      korus deficit --years 1985-2025 --format json | jq '.[0]'
    """
    from korus import dataset, metrics, reports

    reading = dataset.load(data, "census", reporter=reporter, partner=partner)
    years = years or metrics.latest_whole_years(reading.frame, reporter, partner, 6)
    flows = metrics.bilateral_flows(reading.frame, reporter, partner, years)
    emit(reports.deficit(flows, unit), fmt, unit, reading, verbose)


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--years",
    callback=_years_callback,
    help="2011-2016 or 2011,2016 [default: the last six whole years].",
)
@click.option(
    "--flow",
    type=click.Choice(["exports", "imports", "balance", "deficit"]),
    default="exports",
    show_default=True,
    help="The series whose growth to show.",
)
@pair_options
@output_options
def growth(years, flow, reporter, partner, unit, fmt, data, verbose):
    """Year-on-year % change and compound annual growth of exports, imports or the balance.

    \b
    Examples:
      korus growth --years 2011-2016
      korus growth --years 2011-2016 --flow imports
      korus growth --years 2011-2016 --flow deficit --format csv
    """
    from korus import dataset, metrics, reports

    reading = dataset.load(data, "census", reporter=reporter, partner=partner)
    years = years or metrics.latest_whole_years(reading.frame, reporter, partner, 6)
    flows = metrics.bilateral_flows(reading.frame, reporter, partner, years)
    emit(reports.growth(flows, flow, unit), fmt, unit, reading, verbose)


@cli.command(epilog=EXIT_CODES)
@click.option("--year", type=int, required=True, help="The year to break down.")
@click.option(
    "--flow",
    type=click.Choice(["exports", "imports", "balance"]),
    default="balance",
    show_default=True,
    help="Which flow to break down.",
)
@click.option(
    "--by",
    type=click.Choice(["chapter", "section", "heading", "enduse", "sector"]),
    default="chapter",
    show_default=True,
    help="HS chapters, sections or headings; Census end-use categories; named sectors.",
)
@click.option(
    "--level",
    type=click.IntRange(1, 5),
    help="Digits of the end-use categories with --by enduse (1 to 5) [default: 1].",
)
@click.option(
    "--sectors",
    "sectors_file",
    type=click.Path(dir_okay=False),
    help="A TOML file of your own named sectors for --by sector (see korus's sectors.toml).",
)
@click.option("--top", type=click.IntRange(min=1), help="Show only the N largest groups.")
@click.option("--since", type=int, help="Also show each group's value in this year and the change.")
@pair_options
@output_options
def sectors(
    year, flow, by, level, sectors_file, top, since, reporter, partner, unit, fmt, data, verbose
):
    """Each product group's value, its share of the whole and, with --since, its change.

    The shipped HS data is UN Comtrade's (US-Korea, imports valued CIF); the shipped
    end-use data is the Census Bureau's (every partner, customs value). The output names
    the one it used.

    \b
    Examples:
      korus sectors --year 2016 --flow imports --top 5
      korus sectors --year 2016 --since 2011 --top 10
      korus sectors --year 2016 --by sector --flow balance
      korus sectors --year 2016 --by enduse --flow balance
      korus sectors --year 2016 --by enduse --level 5 --top 5
      korus sectors --year 2016 | csvlook
    """
    from korus import dataset, metrics, products, reports

    grouping = products.grouping(by, level, sectors_file)
    shipped = "census-enduse" if by == "enduse" else "comtrade"
    reading = dataset.load(data, shipped, reporter=reporter, partner=partner)
    table, total = metrics.sector_values(
        reading.frame, reporter, partner, year, flow, since, grouping
    )
    report = reports.sectors(table, total, flow, top, unit, since, grouping)
    emit(report, fmt, unit, reading, verbose)


def main() -> None:
    """Run the korus command line."""
    if hasattr(signal, "SIGPIPE"):
        # Like cat or csvkit: when the reader of a pipe goes away (| head), end at once and
        # quietly instead of raising BrokenPipeError on the next write.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli(prog_name="korus")
