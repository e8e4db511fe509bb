"""The korus command line: parse, load, compute, render. Nothing else lives here.

pandas is imported inside the commands, never at the top, so that ``--help`` is instant.
"""

from __future__ import annotations

import functools
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from korus import __version__
from korus.errors import KorusError

EXIT_CODES = """\b
Exit status: 0 success; 1 a data error (bad file, unknown partner, a year the data
does not hold); 2 a usage error (unknown option, malformed --years); 130 interrupted;
141 the reader of the output went away (| head).
"""

# The layout names of the reader modules, listed here so that --help does not import
# every reader (and pandas) just to print the choices; a test keeps the two in step.
LAYOUT_NAMES = [
    "korus-csv",
    "korus-parquet",
    "census-country",
    "census-enduse",
    "census-api-json",
    "census-api-csv",
    "census-balance-page",
    "comtrade-legacy",
    "comtrade-plus-csv",
    "comtrade-plus-json",
    "baci",
    "usitc-dataweb",
    "kosis-annual",
    "kosis-monthly",
]
FORMATS = ["auto", "table", "csv", "tsv", "json", "markdown"]


class KorusCommand(click.Command):
    """A command that refuses an option given twice with a value (``--partner CHN --partner
    MEX``): click would keep the last silently, and korus never chooses between values."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            try:
                _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            except click.UsageError:
                order = []  # the real parse below says what is wrong
            seen: set[str] = set()
            for param in order:
                if not isinstance(param, click.Option) or param.multiple or param.is_flag:
                    continue
                if param.name in seen:
                    raise click.UsageError(
                        f"{param.opts[0]} is given more than once; give it once (korus does not "
                        "choose between values)",
                        ctx,
                    )
                seen.add(param.name)
        return super().parse_args(ctx, args)


class KorusGroup(click.Group):
    """A group that turns korus's own errors into one ``Error: ...`` line and exit 1."""

    command_class = KorusCommand

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KorusError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except OSError as exc:
            # The system refused a read or a write (a missing or read-only folder, a full
            # disk): the user's to fix, so said as such, never as a bug.
            raise click.ClickException(os_error_text(exc)) from None
        except Exception as exc:
            import os

            if os.environ.get("KORUS_DEBUG"):
                raise
            # A failure korus did not foresee is a bug; still one line, never a traceback.
            raise click.ClickException(
                f"unexpected failure ({type(exc).__name__}: {exc}); this is a bug in korus: "
                "please report it with the command and file (KORUS_DEBUG=1 shows the details)"
            ) from None


def os_error_text(exc: OSError, what: str | None = None) -> str:
    """Return an operating-system error as one line for people: the path, the cause and
    what to do."""
    import errno
    import os

    path = exc.filename if exc.filename is not None else what
    cause = exc.strerror or str(exc)
    advice = {
        errno.ENOENT: "check the path (does the folder exist?)",
        errno.EACCES: "choose a place you may write to, or ask for the right to",
        errno.EPERM: "choose a place you may write to, or ask for the right to",
        errno.EROFS: "the file system is read-only: choose another place",
        errno.ENOSPC: "the disk is full: free some space or write elsewhere",
        errno.EDQUOT: "your disk quota is used up: free some space or write elsewhere",
        errno.EISDIR: "give a file, not a folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
    }.get(exc.errno, "")
    # Reads always name their file: an error without one is a write of the output.
    where = f"{os.fsdecode(path)}: " if path is not None else "cannot write the output: "
    return f"{where}{cause}" + (f"; {advice}" if advice else "")


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


def parse_months(text: str) -> list[tuple[int, int]]:
    """Return the months of ``2017-09``, ``2017-01..2017-09`` or ``2017-01,2017-03``."""
    months: set[tuple[int, int]] = set()
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d{4})-(\d{2})(?:\s*\.\.\s*(\d{4})-(\d{2}))?", part)
        if not match:
            raise ValueError(f"{part!r} is not a month (2017-09) or a range (2017-01..2017-09)")
        first = (int(match.group(1)), int(match.group(2)))
        last = (int(match.group(3)), int(match.group(4))) if match.group(3) else first
        for _year, month in (first, last):
            if not 1 <= month <= 12:
                raise ValueError(f"{part!r}: month {month} is not 01 to 12")
        start, end = first[0] * 12 + first[1] - 1, last[0] * 12 + last[1] - 1
        if end < start:
            raise ValueError(f"range {part!r} runs backwards")
        months.update((index // 12, index % 12 + 1) for index in range(start, end + 1))
    return sorted(months)


def _parsed_by(parse):
    """Return a click callback that parses an option's text; a bad text is a usage error."""

    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

    return callback


_months_callback = _parsed_by(parse_months)
_years_callback = _parsed_by(parse_years)


def _country_callback(ctx, param, value):
    from korus import countries

    try:
        return countries.resolve(value).code
    except KorusError as exc:
        # One line, exit 1: an unknown name is a question of data, not of syntax.
        raise click.ClickException(f"{param.opts[0]}: {exc}") from None


@dataclass
class Inputs:
    """How to read the data: the user's paths (none: the shipped data) and reading rules."""

    paths: tuple[str, ...] = ()
    layout: str | None = None
    encoding: str | None = None  # None: not given (UTF-8, or a layout's own encoding)
    strict: bool = False
    dedupe: bool = False
    verbose: bool = False
    sheet: str | None = None

    def load(self, shipped: str, **equal: str):
        """Return the Reading of the user's files, or of a slice of a shipped file."""
        from korus import dataset

        with self._encoding():
            reading = dataset.load(self.paths, shipped, self.layout, self.dedupe, **equal)
        return self.checked(reading)

    def load_mirror(self, reporter: str, partner: str):
        from korus import dataset

        with self._encoding():
            reading = dataset.load_mirror(self.paths, self.layout, self.dedupe, reporter, partner)
        return self.checked(reading)

    def load_files(self, paths):
        from korus import readers

        with self._encoding():
            reading = readers.load(list(paths), self.layout, self.dedupe)
        return self.checked(reading)

    def checked(self, reading):
        """Print what must be said (repeats dropped...) and the accounting (--verbose); with
        --strict, refuse any set-aside row."""
        for account in reading.accounting:
            for warning in account.warnings:
                click.echo(f"Note: {account.file}: {warning}", err=True)
        if self.verbose:
            for account in reading.accounting:
                click.echo(_accounting_line(account), err=True)
                for note in account.notes:
                    click.echo(f"  note: {note}", err=True)
        if self.strict:
            from korus.errors import DataFileError

            for account in reading.accounting:
                if account.set_aside:
                    reasons = "; ".join(f"{n} {r}" for r, n in account.set_aside.items())
                    raise DataFileError(
                        f"{account.file}: --strict: {account.rows_set_aside} rows set aside "
                        f"({reasons})"
                    )
        return reading

    def _encoding(self):
        import contextlib

        from korus.readers.common import ENCODING, SHEET

        @contextlib.contextmanager
        def scope():
            tokens = ENCODING.set(self.encoding), SHEET.set(self.sheet)
            try:
                yield
            finally:
                ENCODING.reset(tokens[0])
                SHEET.reset(tokens[1])

        return scope()


def _accounting_line(account) -> str:
    reasons = "".join(
        f"\n  set aside {count:,}: {reason}" for reason, count in account.set_aside.items()
    )
    return (
        f"{account.file}: {account.layout}; {account.rows_read:,} rows read, "
        f"{account.rows_kept:,} kept, {account.rows_set_aside:,} set aside{reasons}"
    )


def input_options(*, files_argument: bool = False):
    """Add the options that say what to read and how; the command gets one ``inputs``."""

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            if kwargs.pop("no_cache"):
                from korus import cache

                cache.set_enabled(False)
            paths = kwargs.pop("files", None) if files_argument else kwargs.pop("data")
            kwargs["inputs"] = Inputs(
                tuple(paths or ()),
                kwargs.pop("input_format"),
                kwargs.pop("encoding"),
                kwargs.pop("strict"),
                kwargs.pop("dedupe"),
                kwargs.pop("verbose"),
                kwargs.pop("sheet"),
            )
            return command(*args, **kwargs)

        options = [
            click.option(
                "--input-format",
                "input_format",
                type=click.Choice(LAYOUT_NAMES),
                help="Read the files as this layout instead of detecting it from their content.",
            ),
            click.option(
                "--encoding",
                help="Text encoding of the files (cp1252, latin-1...); korus never guesses: "
                "UTF-8 unless the layout says otherwise (a Comtrade+ website download is "
                "cp1252).  [default: utf-8]",
            ),
            click.option(
                "--sheet",
                metavar="NAME",
                help="The sheet of a workbook to read, where several (or a hidden one) could be "
                "meant; korus never guesses.",
            ),
            click.option("--strict", is_flag=True, help="Refuse any file with a row set aside."),
            click.option(
                "--dedupe",
                is_flag=True,
                help="Drop rows that repeat another exactly (counted); otherwise an error.",
            ),
            click.option(
                "--verbose",
                "-v",
                is_flag=True,
                help="Report on stderr what was read and set aside.",
            ),
            click.option(
                "--no-cache",
                "no_cache",
                is_flag=True,
                help="Neither read nor write the Parquet cache of large files.",
            ),
        ]
        if files_argument:
            options.insert(0, click.argument("files", nargs=-1, required=True))
        else:
            options.insert(
                0,
                click.option(
                    "--data",
                    "data",
                    multiple=True,
                    metavar="PATH",
                    help="Your data instead of the shipped data: a file in any layout korus "
                    "reads, a folder, a glob pattern, or - for standard input. Repeat to "
                    "stack files.",
                ),
            )
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


def output_options(command):
    """Add --unit, --format, --chart and --plot; the command gets ``output``."""

    inner = command

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        kwargs["output"] = Output(
            kwargs.pop("fmt"), kwargs.pop("unit"), kwargs.pop("chart"), kwargs.pop("plot")
        )
        return inner(*args, **kwargs)

    command = click.option(
        "--plot",
        type=click.Path(dir_okay=False),
        help="Also write the series as a labelled chart to FILE.png or FILE.svg "
        "(needs matplotlib: pip install 'korus[plot]').",
    )(wrapper)
    command = click.option(
        "--chart", is_flag=True, help="Draw the series as bars in the terminal, not a table."
    )(command)
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="auto",
        show_default=True,
        help="auto: a table on a terminal, CSV in a pipe or file.",
    )(command)
    return click.option(
        "--unit",
        type=click.Choice(["usd", "thousands", "millions", "billions"]),
        default="millions",
        show_default=True,
        help="Unit of the money values printed.",
    )(command)


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


@dataclass
class Output:
    """How to show a report: format, unit, terminal chart, chart file."""

    fmt: str = "auto"
    unit: str = "millions"
    chart: bool = False
    plot: str | None = None

    def emit(self, report) -> None:
        """Print the report on stdout: a table on a terminal, CSV into a pipe, or as asked."""
        from korus.render import render

        if self.plot:
            from korus.charts import plot_file

            plot_file(report, self.unit, self.plot)
            click.echo(f"wrote the chart to {self.plot}", err=True)
        if self.chart and self.fmt != "auto":
            raise click.UsageError("--chart draws instead of a table: leave out --format")
        if self.chart:
            import shutil

            from korus.charts import terminal_chart

            terminal_chart(report, self.unit, sys.stdout, shutil.get_terminal_size().columns)
            return
        fmt = self.fmt
        if fmt == "auto":
            fmt = "table" if sys.stdout.isatty() else "csv"
        if fmt in ("csv", "tsv", "json"):
            # Machine formats carry the table alone: what must be said goes to stderr.
            for warning in report.warnings:
                click.echo(f"Note: {warning}", err=True)
        render(report, fmt, self.unit, sys.stdout)


def emit(report, fmt: str, unit: str) -> None:
    """Print a report of a command without chart options (inspect)."""
    Output(fmt, unit).emit(report)


@click.group(cls=KorusGroup, epilog=EXIT_CODES)
@click.version_option(version=__version__, prog_name="korus")
def cli():
    """Bilateral trade statistics you can defend: balances, growth and sector shares.

    Works out of the box on the shipped data (US Census trade by partner, 1985 to
    January 2026, and by end-use category; UN Comtrade US-Korea trade by HS chapter,
    2010-2019; KOSIS Korea-reported trade), or on your files with --data. Every output
    names its source, unit and valuation basis.
    """


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--years",
    callback=_years_callback,
    help="2016, 2011-2016 or 2011,2016 [default: the last six whole years].",
)
@click.option(
    "--months",
    callback=_months_callback,
    help="Months instead of years: 2017-09, 2017-01..2017-09 or 2017-01,2017-03.",
)
@click.option(
    "--ytd",
    is_flag=True,
    help="With --months: the months added up, against the same months a year earlier.",
)
@click.option(
    "--rolling",
    type=click.IntRange(2, 60),
    help="With --months: sums of the N months ending with each month (12: a rolling year).",
)
@pair_options
@output_options
@input_options()
def deficit(years, months, ytd, rolling, reporter, partner, output, inputs):
    """Exports, imports and the balance by year, with the change from first to last.

    With --months, month by month from the data's monthly figures; a month the data does
    not hold is an error, never a zero.

    \b
    Examples:
      korus deficit --years 2011-2016
      korus deficit --partner CHN --years 2016
      korus deficit --partner Japan --years 2011,2016 --unit billions
      korus deficit --years 1985-2025 --format json | jq '.[0]'
      korus deficit --months 2017-01..2017-09 --ytd
      korus deficit --months 2024-01..2025-12 --rolling 12
    """
    from korus import metrics, reports

    if (ytd or rolling) and not months:
        raise click.UsageError("--ytd and --rolling go with --months")
    if ytd and rolling:
        raise click.UsageError("--ytd and --rolling ask two different questions: give one")
    if months and years:
        raise click.UsageError("give --years or --months, not both")
    reading = inputs.load("census", reporter=reporter, partner=partner)
    if months:
        frame = reading.frame
        if ytd:
            table = metrics.year_to_date(frame, reporter, partner, months)
            output.emit(reports.year_to_date(table, output.unit))
        elif rolling:
            table = metrics.rolling_sums(frame, reporter, partner, months, rolling)
            output.emit(reports.monthly_deficit(table, months, output.unit, rolling))
        else:
            table = metrics.monthly_flows(frame, reporter, partner, months)
            output.emit(reports.monthly_deficit(table, months, output.unit))
        return
    years = years or metrics.latest_whole_years(reading.frame, reporter, partner, 6)
    flows = metrics.bilateral_flows(reading.frame, reporter, partner, years)
    output.emit(reports.deficit(flows, output.unit))


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
@click.option(
    "--months",
    callback=_months_callback,
    help="Months instead of years: each against the same month a year earlier.",
)
@click.option(
    "--yoy",
    is_flag=True,
    help="With --months: compare each month with the same month a year earlier (the "
    "default and only comparison for months: a month against the one before mixes seasons).",
)
@pair_options
@output_options
@input_options()
def growth(years, flow, months, yoy, reporter, partner, output, inputs):
    """Year-on-year % change and compound annual growth of exports, imports or the balance.

    \b
    Examples:
      korus growth --years 2011-2016
      korus growth --years 2011-2016 --flow imports
      korus growth --years 2011-2016 --flow deficit --format csv
      korus growth --months 2017-01..2017-09 --yoy
    """
    from korus import metrics, reports

    if yoy and not months:
        raise click.UsageError("--yoy goes with --months (years are always year on year)")
    if months and years:
        raise click.UsageError("give --years or --months, not both")
    reading = inputs.load("census", reporter=reporter, partner=partner)
    if months:
        table = metrics.month_on_year(reading.frame, reporter, partner, months, flow)
        output.emit(reports.month_on_year(table, months, output.unit))
        return
    years = years or metrics.latest_whole_years(reading.frame, reporter, partner, 6)
    need = {"exports": ("export",), "imports": ("import",)}.get(flow, ("export", "import"))
    flows = metrics.bilateral_flows(reading.frame, reporter, partner, years, need)
    output.emit(reports.growth(flows, flow, output.unit))


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
    type=click.Choice(["1", "5"]),
    callback=lambda ctx, param, value: int(value) if value else None,
    help="With --by enduse: 1 for the principal categories, 5 for the codes [default: 1].",
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
@input_options()
def sectors(year, flow, by, level, sectors_file, top, since, reporter, partner, output, inputs):
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
    from korus import metrics, products, reports

    if level is not None and by != "enduse":
        raise click.UsageError("--level goes with --by enduse")
    if sectors_file is not None and by != "sector":
        raise click.UsageError("--sectors goes with --by sector")
    shipped = "census-enduse" if by == "enduse" else "comtrade"
    reading = inputs.load(shipped, reporter=reporter, partner=partner)
    family = products.family_of(reading.frame["classification"].unique())
    grouping = products.grouping(by, level, sectors_file, flow, family)
    table, total = metrics.sector_values(
        reading.frame, reporter, partner, year, flow, since, grouping
    )
    output.emit(reports.sectors(table, total, flow, top, output.unit, since, grouping))


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--years",
    callback=_years_callback,
    help="2016, 2011-2016 or 2011,2016 [default: the last six years both sides report].",
)
@pair_options
@output_options
@input_options()
def mirror(years, reporter, partner, output, inputs):
    """Both sides' own figures for the same trade, side by side, with the gaps.

    The US reports its exports to Korea; Korea reports its imports from the US: the two
    should match and rarely do (CIF against FOB, timing, origin rules). The shipped data
    has the US side (Census) and Korea's side (KOSIS, Korea Customs Service).

    \b
    Examples:
      korus mirror --partner KOR --years 2016
      korus mirror --years 2011-2016 --format csv
    """
    from korus import metrics, reports

    reading = inputs.load_mirror(reporter, partner)
    years = (
        years
        or sorted(
            set(metrics.latest_whole_years(reading.frame, reporter, partner, 1000))
            & set(metrics.latest_whole_years(reading.frame, partner, reporter, 1000))
        )[-6:]
    )
    table = metrics.mirror_flows(reading.frame, reporter, partner, years)
    output.emit(reports.mirror(table, reporter, partner))


@cli.command(epilog=EXIT_CODES)
@click.option("--year", type=int, required=True, help="The year to rank.")
@click.option("--top", type=click.IntRange(min=1), help="Show only the first N partners.")
@click.option(
    "--by",
    type=click.Choice(["balance", "exports", "imports", "total"]),
    default="total",
    show_default=True,
    help="Rank by balance (largest deficits first), exports, imports or their total.",
)
@click.option("--groups", is_flag=True, help="Also list groups (World, EU, continents).")
@click.option(
    "--reporter",
    default="USA",
    show_default=True,
    callback=_country_callback,
    help="Reporting country, as ISO3/ISO2, UN or Census code, or a name.",
)
@output_options
@input_options()
def partners(year, top, by, groups, reporter, output, inputs):
    """A reporter's partners ranked by balance, exports, imports or total trade.

    \b
    Examples:
      korus partners --year 2016 --by balance --top 3
      korus partners --year 2025 --by total --top 10
      korus partners --year 2016 --groups --format csv
    """
    from korus import countries, metrics, reports

    reading = inputs.load("census", reporter=reporter)
    table = metrics.partner_ranking(
        reading.frame, reporter, year, by, countries.is_group, include_groups=groups
    )
    output.emit(reports.partners(table, by, top, groups))


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="auto: a table on a terminal, CSV in a pipe or file.",
)
@input_options(files_argument=True)
def inspect(fmt, inputs):
    """What korus reads in data files: layout, coverage, provenance, and every row's fate.

    Prints the layout detected, reporters, partners, periods, flows, product level,
    source, basis and vintage, and the rows read, kept and set aside with the reasons.
    FILES may be files, folders, glob patterns or - for standard input.

    \b
    Examples:
      korus inspect country.xlsx
      korus inspect downloads/ --format json
    """
    from korus import reports

    reading = inputs.load_files(inputs.paths)
    emit(reports.inspection(reading, reading.frame), fmt, "usd")


@cli.command(epilog=EXIT_CODES)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write: .csv or .parquet (by --to, else by its ending); - for CSV on stdout.",
)
@click.option("--to", type=click.Choice(["csv", "parquet"]), help="The output format.")
@input_options(files_argument=True)
def convert(output, to, inputs):
    """Any file korus reads, written as korus's tidy CSV or Parquet (the canonical table).

    The output is written to a temporary file and renamed into place, so an interrupted
    run never leaves half a file.

    \b
    Examples:
      korus convert country.xlsx -o census.parquet
      korus convert comtrade/*.csv -o comtrade.csv
      korus convert baci.csv -o - | head
    """
    from pathlib import Path

    from korus.readers import tidy

    ending = output.lower().rsplit(".", 1)[-1] if "." in output else ""
    if to is None and output != "-" and ending not in ("csv", "parquet"):
        raise click.UsageError(
            f"{output}: give a file ending in .csv or .parquet, or say which with --to"
        )
    kind = to or ("parquet" if ending == "parquet" else "csv")
    if output == "-" and kind == "parquet":
        raise click.UsageError("Parquet cannot go to standard output; give -o FILE.parquet")
    reading = inputs.load_files(inputs.paths)
    if output == "-":
        tidy.canonical(reading.frame).to_csv(sys.stdout, index=False)
        return
    writer = tidy.write_parquet if kind == "parquet" else tidy.write_csv
    try:
        writer(reading.frame, Path(output))
    except OSError as exc:
        # The file is written under a temporary name beside it: name the file asked for.
        exc.filename = output
        raise
    click.echo(f"wrote {len(reading.frame):,} rows to {output}", err=True)


@cli.command(epilog=EXIT_CODES)
@click.argument("claims_file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--measure",
    type=click.Choice(
        ["exports", "imports", "balance", "deficit", "share", "pct_change", "ratio", "cagr"]
    ),
    help="One claim: what it measures.",
)
@click.option(
    "--stated",
    help='One claim: the figure as published ("$27.6B", "a decline of 2.7%", "more than halved").',
)
@click.option("--year", type=int, help="One claim: its year.")
@click.option("--years", "span", help="One claim: first and last year, 2011,2016.")
@click.option("--month", help="One claim: its month, 2017-09.")
@click.option("--sector", help="One claim: a named sector (vehicles, semiconductors...).")
@click.option(
    "--of",
    "of",
    type=click.Choice(["exports", "imports", "balance", "deficit"]),
    help="One claim: the series a share, change or ratio is of.",
)
@click.option("--explain", is_flag=True, help="Add the formula and the inputs of each figure.")
@pair_options
@output_options
@input_options()
def check(
    claims_file,
    measure,
    stated,
    year,
    span,
    month,
    sector,
    of,
    explain,
    reporter,
    partner,
    output,
    inputs,
):
    """Check published figures against the data: a verdict for each claim.

    A claim is one on the command line (--measure, --stated and its period) or many in a
    TOML file (see examples/korus-2017-article.toml). Each gets korus's own figure, computed
    through the same metrics as the other commands, and a verdict: matches at the stated
    precision; matches when rounded or truncated differently; off by how much; or cannot
    be computed from the data, and why. A claim about a sector is judged on every
    definition korus ships (HS codes on UN Comtrade data, end-use codes on Census data).

    A stated figure is read exactly or refused, never guessed: its scale (k, m, bn, tn...),
    currency, percent or percentage points, ratio (2.1 times, doubled, halved) and qualifier
    (more than, nearly, about...) in the direction it states. A figure in another currency
    or unit than US dollars cannot be judged; a share needs a sector.

    \b
    Examples:
      korus check examples/korus-2017-article.toml
      korus check --measure deficit --year 2016 --stated '$27.6 billion'
      korus check --measure pct_change --of exports --years 2011,2016 --stated '-2.7%' --explain
    """
    from korus import claims, countries, reports

    def code(text: str) -> str:
        return countries.resolve(text).code

    if claims_file:
        if measure or stated:
            raise click.UsageError("give a claims file or one claim's options, not both")
        claim_list = claims.load_claims(claims_file, code)
    else:
        if not (measure and stated):
            raise click.UsageError("give a claims file, or --measure and --stated")
        entry = {
            "id": "command line",
            "measure": measure,
            "stated": stated,
            "reporter": reporter,
            "partner": partner,
        }
        for key, value in (("year", year), ("month", month), ("sector", sector), ("of", of)):
            if value is not None:
                entry[key] = value
        if span:
            entry["years"] = span
        claim_list = [claims.claim_from(entry, code, "the claim")]
    verdicts = _judge_claims(claim_list, inputs)
    output.emit(reports.verdicts(verdicts, explain))


def _judge_claims(claim_list, inputs):
    """Return every claim's verdicts, on the user's data or the shipped files."""
    from korus import claims, dataset, metrics, products

    def loader(name, reporter, partner):
        if name == "user":
            return inputs.load_files(inputs.paths).frame
        return dataset.load_shipped(name, reporter=reporter, partner=partner).frame

    data = claims.Data(loader, metrics, products)
    return [
        verdict
        for claim in claim_list
        for verdict in claims.evaluate(
            claim, data, claims.definitions(claim, products, user=bool(inputs.paths))
        )
    ]


@cli.group(cls=KorusGroup, epilog=EXIT_CODES)
def cache():
    """The Parquet cache of large files (a BACI year): build, list or clear it.

    The first question on a large file has its columns written as Parquet in the user's
    cache folder (KORUS_CACHE_DIR, else the platform's: ~/.cache/korus on Linux), by a
    background `korus cache build` started after the answer; the entry is keyed on the
    file's path, size, modification time and korus's schema, and later questions read it.

    \b
    Examples:
      korus cache build BACI_HS92_Y2021_V202301.csv
      korus cache list
      korus cache clear
    """


@cache.command("list")
def cache_list():
    """The cache entries: the file each was made from, its size, and whether it is current."""
    from korus import cache as store

    found = store.entries()
    click.echo(f"{store.cache_dir()}: {len(found)} entries", err=True)
    for entry in found:
        state = "current" if entry.current else "stale (rebuilt on the next read)"
        together = f" ({entry.files} files together)" if entry.files > 1 else ""
        click.echo(f"{entry.source}{together}\t{entry.size:,} bytes\t{state}")


@cache.command("build")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--quiet", is_flag=True, help="Say nothing (errors still end with exit 1).")
def cache_build(files, quiet):
    """Write the cache entries of FILES now (a large BACI year, say; a folder: its files).

    A first read that keeps only one country pair's rows leaves this to a background
    process after its answer; run it yourself to have the entries before the next question.
    Several BACI years of one folder are also kept together, in one more entry, which a
    question over all the years reads at once.
    """
    from korus import cache as store
    from korus import readers

    failed = None
    together: dict[tuple, dict] = {}  # (folder, reader) -> its files cached here, once each
    paths: list[Path] = []
    for given in files:
        try:  # a folder's data files (not its code lists)
            paths += readers.expand([given]) if Path(given).is_dir() else [Path(given)]
        except KorusError as exc:
            failed = exc
            if not quiet:
                click.echo(f"Error: {exc}", err=True)
    for path in paths:
        try:
            module = readers.layouts()[readers.detect(path)]
            build = getattr(module, "build_cache", None)
            if build is None:
                raise KorusError(
                    f"{path}: the {module.LAYOUT} layout is read without a cache (only large "
                    "BACI files are cached)"
                )
            state = store.build_entry(path, module.LAYOUT, build)
            if state == "not cached":
                state = "not cached: its product codes are not all HS6 (see `korus inspect`)"
        except Exception as exc:  # each file on its own: the next is still cached
            failed = exc
            if not quiet:
                text = str(exc) if isinstance(exc, KorusError) else f"{path}: {exc}"
                click.echo(f"Error: {text}", err=True)
            continue
        if not quiet:
            click.echo(f"{path}: {state}", err=True)
        if state in ("cached", "already cached") and hasattr(module, "build_group"):
            together.setdefault((path.resolve().parent, module), {})[path.resolve()] = path
    for (folder, module), files in together.items():
        members = list(files.values())
        if len(members) < 2:
            continue
        try:
            state = store.build_group_entry(members, module.LAYOUT, module.build_group)
        except Exception as exc:
            failed, state = exc, f"not cached: {exc}"
        if state == "not cached":
            state += " (each must be one year, in BACI's order, and no two of one year)"
        elif state == "not cached for now":
            state += " (a file's own entry is missing, or writing failed: run this again)"
        if not quiet:
            click.echo(f"{folder}: {len(members)} files together: {state}", err=True)
    if failed is not None:
        sys.exit(1)


@cache.command("clear")
def cache_clear():
    """Remove every cache entry."""
    from korus import cache as store

    removed = store.clear()
    click.echo(f"removed {removed} files from {store.cache_dir()}", err=True)


def _reader_went_away(signum, frame) -> None:
    """End at once and quietly, as cat does, when the reader of the output went away
    (``| head``): first remove what korus left behind (a copy of standard input), then end
    by the signal itself, so the shell sees 141 as for any program in a pipe."""
    import os

    readers = sys.modules.get("korus.readers")
    if readers is not None:
        readers.remove_stdin_copy()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)


def main() -> None:
    """Run the korus command line."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, _reader_went_away)
    from korus import cache

    cache.defer()  # cache entries asked for are written after the answer, in the background
    code = 0
    try:
        cli(prog_name="korus", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        # Ctrl-C: outputs are written to a temporary file and renamed, so nothing is left
        # half-written; say so briefly and exit as shells expect (128 + SIGINT).
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _reader_went_away(None, None)
    _leave(code)


def _leave(code: int) -> None:
    """End the process with ``code`` once everything korus owes is done: background cache
    writes finished, output flushed, exit functions run (a temporary copy of standard input
    removed). The interpreter's own teardown (freeing every module and array, a tenth of a
    second once pandas and Arrow are loaded) is skipped: the system frees the memory."""
    import atexit
    import contextlib
    import os

    from korus import cache

    cache.wait()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_went_away(None, None)
    except (OSError, ValueError) as exc:
        # The output could not be written whole (a full disk, /dev/full): never exit 0.
        text = os_error_text(exc, "standard output") if isinstance(exc, OSError) else str(exc)
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"Error: cannot write the output: {text}\n")
        code = code or 1
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    # Files read well enough to be worth caching get their entries after the answer (also
    # when the question itself then failed: a missing year, say).
    cache.launch()
    atexit._run_exitfuncs()
    os._exit(code)
