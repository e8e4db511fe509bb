"""The korus command line: parse, load, compute, render. Nothing else lives here.

pandas is imported inside the commands, never at the top, so that ``--help`` is instant.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from korus import __version__
from korus.api import parse_months, parse_years
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
FORMATS = ["auto", "table", "csv", "tsv", "json", "jsonl", "markdown"]
MACHINE_FORMATS = ("csv", "tsv", "json", "jsonl")
UNITS = ["usd", "thousands", "millions", "billions"]
# The reporters the shipped data holds: a question about another needs its file.
SHIPPED_REPORTERS = ("USA", "KOR")


class UnitType(click.ParamType):
    """A unit of money: usd, thousands, millions or billions, or a common short spelling
    of one (k, m, mn, bn, million...); anything else is refused with the nearest."""

    name = "unit"

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(UNITS) + "]"

    def convert(self, value, param, ctx):
        from korus.render import UNIT_SPELLINGS, unit_named

        if unit_named(value):
            return unit_named(value)
        import difflib

        text = str(value).strip().lower()
        near = difflib.get_close_matches(text, UNITS + list(UNIT_SPELLINGS), n=1, cutoff=0.5)
        hint = f"; did you mean {unit_named(near[0])}?" if near else ""
        self.fail(
            f"{value!r} is not a unit{hint} (usd, thousands, millions or billions; "
            "also k, m, mn, b, bn)",
            param,
            ctx,
        )

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(unit) for unit in UNITS if unit.startswith(incomplete.lower())]


def _complete_country(ctx, param, incomplete):
    """Return the codes and names of countries that begin with what is typed."""
    from click.shell_completion import CompletionItem

    from korus import countries

    return [CompletionItem(text, help=name) for text, name in countries.completions(incomplete)]


def _set_quiet(ctx: click.Context, param, value: bool) -> None:
    if value:
        ctx.meta["korus.quiet"] = True  # meta is shared by a command and its group


def _set_no_config(ctx: click.Context, param, value: bool) -> None:
    if value:
        ctx.meta["korus.no_config"] = True


def _shared_options() -> list[click.Option]:
    """Return the options every korus command and group has: -q/--quiet and --no-config."""
    return [
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_quiet,
            help="Print no notes on stderr (errors are still shown).",
        ),
        click.Option(
            ["--no-config"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_no_config,
            help="Ignore the config file (see `korus config show`).",
        ),
    ]


# config file setting -> the name of the option it is the default of
CONFIG_OPTIONS = {
    "reporter": "reporter",
    "partner": "partner",
    "unit": "unit",
    "format": "fmt",
    "data": "data",
    "encoding": "encoding",
}


def _configure(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """Make the config file's settings the defaults of ``command``'s options (a flag still
    wins); unless --no-config is given. A config file korus cannot use is said when the
    command runs, so that --help and --no-config still work."""
    given = args[: args.index("--")] if "--" in args else args
    if "--no-config" in given or ctx.meta.get("korus.no_config"):
        return
    if "korus.config" not in ctx.meta and "korus.config_error" not in ctx.meta:
        from korus import config

        try:
            ctx.meta["korus.config"] = found = config.load()
        except config.ConfigError as exc:
            ctx.meta["korus.config_error"] = exc
            return
        cache_dir = found.values.get("cache_dir")
        if cache_dir and not os.environ.get("KORUS_CACHE_DIR"):
            # The cache (and the background `korus cache build` it starts) reads its folder
            # from the environment; the environment, when set, wins over the file.
            os.environ["KORUS_CACHE_DIR"] = str(cache_dir)
            ctx.meta["korus.cache_dir_from_config"] = True
    found = ctx.meta.get("korus.config")
    if found is None:
        return
    params = {param.name: param for param in command.params}
    defaults = {}
    for key, value in found.values.items():
        param = params.get(CONFIG_OPTIONS.get(key))
        if param is None:
            continue
        if getattr(param, "multiple", False) and isinstance(value, str):
            value = [value]  # one partner in the file, an option taking several (fetch)
        defaults[param.name] = value
    if defaults:
        ctx.default_map = {**(ctx.default_map or {}), **defaults}


class KorusCommand(click.Command):
    """A command with korus's shared options that refuses an option given twice with a
    value (``--partner CHN --partner MEX``): click would keep the last silently, and korus
    never chooses between values."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_shared_options())

    def invoke(self, ctx: click.Context):
        if ctx.meta.get("korus.config_error") is not None and not ctx.meta.get("korus.no_config"):
            raise ctx.meta["korus.config_error"]
        return super().invoke(ctx)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            _configure(self, ctx, args)
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_shared_options())

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KorusError as exc:
            raise click.ClickException(printable(str(exc))) from None
        except click.ClickException as exc:
            # A value the user typed, or a file's text, is shown in the message, not obeyed.
            exc.message = printable(exc.message)
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except OSError as exc:
            # The system refused a read or a write (a missing or read-only folder, a full
            # disk): the user's to fix, so said as such, never as a bug.
            raise click.ClickException(printable(os_error_text(exc))) from None
        except Exception as exc:
            import os

            if os.environ.get("KORUS_DEBUG"):
                raise
            # A failure korus did not foresee is a bug; still one line, never a traceback.
            raise click.ClickException(
                printable(
                    f"unexpected failure ({type(exc).__name__}: {exc}); this is a bug in korus: "
                    "please report it with the command and file (KORUS_DEBUG=1 shows the details)"
                )
            ) from None


def printable(text: object) -> str:
    """Return text with its control characters shown, never obeyed (see korus.render)."""
    from korus.render import printable as shown

    return shown(text)


def _quiet() -> bool:
    """Return whether -q/--quiet was given to the command running (or its group)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get("korus.quiet"))


def _say(text: str) -> None:
    """Print a line for people on stderr, its control characters shown escaped; nothing
    with -q/--quiet."""
    if not _quiet():
        click.echo(printable(text), err=True)


def _error_line(text: str) -> None:
    """Print an error line on stderr, with or without --quiet."""
    click.echo(printable(f"Error: {text}"), err=True)


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


def _one_year(year: str | None, years: str | None, command: str) -> int | None:
    """Return the one year of --year or --years (None: the command's default); a range or a
    list is a usage error, and so is both options given."""
    if year is not None and years is not None:
        raise click.UsageError("give --year or --years, not both (they are one option)")
    spelling, text = ("--years", years) if years is not None else ("--year", year)
    if text is None:
        return None
    try:
        found = parse_years(text)
    except ValueError as exc:
        raise click.UsageError(f"{spelling}: {exc}") from None
    if len(found) != 1:
        raise click.UsageError(f"{spelling} {text}: {command} answers for one year; give one")
    return found[0]


def _country_callback(ctx, param, value):
    from korus import countries

    if value is None:  # an option with no default (world --reporter: every reporter)
        return None
    try:
        return countries.resolve(value).code
    except KorusError as exc:
        # One line, exit 1: an unknown name is a question of data, not of syntax.
        raise click.ClickException(f"{param.opts[0]}: {exc}") from None


@dataclass
class Inputs:
    """How to read the data (``korus.Settings``, built once from the flags) and whether to
    tell what was read (--verbose)."""

    settings: object
    verbose: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        return self.settings.data

    def said(self, accounting) -> None:
        """Print what must be said of the reading (repeats dropped...) and, with
        --verbose, its accounting."""
        for account in accounting:
            for warning in account.warnings:
                _say(f"Note: {account.file}: {warning}")
        if self.verbose:
            for account in accounting:
                _say(_accounting_line(account))
                for note in account.notes:
                    _say(f"  note: {note}")

    def answered(self, frame):
        """Return a question's frame once what its reading must say is said."""
        self.said(frame.attrs.get("accounting", []))
        return frame


def _accounting_line(account) -> str:
    reasons = "".join(
        f"\n  set aside {count:,}: {reason}" for reason, count in account.set_aside.items()
    )
    return (
        f"{account.file}: {account.layout}; {account.rows_read:,} rows read, "
        f"{account.rows_kept:,} kept, {account.rows_set_aside:,} set aside{reasons}"
    )


def _keep_readings(verbose: bool) -> None:
    """Once the answer is out, write the readings worth keeping in the store (a file read
    slowly is read fast next time); a failure to write leaves the answer as it is, and is
    said under --verbose."""
    import contextlib

    from korus import cache, store

    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()  # the answer first: a pipeline need not wait for the store
    failures = store.write_pending()
    if verbose:
        for failure in [*cache.wait(), *failures]:
            _say(f"  note: korus's cache was not written: {failure}")


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _with_data_hint(exc: KorusError, reporter: str | None, settings) -> KorusError:
    """Return the error of a question about a reporter the shipped data does not hold,
    saying how to ask it of the reporter's own data; other errors as they are."""
    from korus.errors import DataCoverageError

    if (
        isinstance(exc, DataCoverageError)
        and reporter is not None
        and reporter not in SHIPPED_REPORTERS
        and not settings.data
    ):
        return DataCoverageError(
            f"{exc}; the shipped data holds what {' and '.join(SHIPPED_REPORTERS)} report: for "
            f"{reporter}'s own figures, give a file of them with --data FILE"
        )
    return exc


def input_options(*, files_argument: bool = False, engine: bool = True):
    """Add the options that say what to read and how; the command gets one ``inputs``.
    ``engine``: the command reads stores and offers --engine and --scheduler."""

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            if kwargs.pop("no_cache"):
                from korus import cache

                cache.set_enabled(False)
            from korus.settings import Settings

            paths = kwargs.pop("files", None) if files_argument else kwargs.pop("data")
            if kwargs.get("scheduler") and kwargs.get("engine") != "dask":
                raise click.UsageError("--scheduler goes with --engine dask")
            settings = Settings(
                data=tuple(paths or ()),
                layout=kwargs.pop("input_format"),
                encoding=kwargs.pop("encoding"),
                strict=kwargs.pop("strict"),
                dedupe=kwargs.pop("dedupe"),
                sheet=kwargs.pop("sheet"),
                engine=kwargs.pop("engine", "local"),
                scheduler=kwargs.pop("scheduler", None),
            )
            kwargs["inputs"] = inputs = Inputs(settings, kwargs.pop("verbose"))
            reporter = kwargs.get("reporter")
            if reporter is not None and reporter == kwargs.get("partner"):
                raise click.UsageError(
                    f"--reporter and --partner are both {reporter}: give two countries"
                )
            if "-" in settings.data and _stdin_is_terminal():
                _say(
                    "Reading the data from standard input (--data -): paste or type it, then "
                    "end it with Ctrl-D (Ctrl-Z and Enter on Windows)."
                )
            try:
                return command(*args, **kwargs)
            except KorusError as exc:
                raise _with_data_hint(exc, reporter, settings) from None
            finally:
                _keep_readings(inputs.verbose)

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
        if engine:
            options += [
                click.option(
                    "--engine",
                    type=click.Choice(["local", "dask"]),
                    default="local",
                    show_default=True,
                    help="Where a store's parts are read: here, or on a Dask cluster (needs "
                    "korus-trade[dask]; reads stores made by korus ingest).",
                ),
                click.option(
                    "--scheduler",
                    metavar="ADDRESS",
                    help="The Dask scheduler for --engine dask (tcp://HOST:PORT); default: "
                    "DASK_SCHEDULER_ADDRESS, else a local cluster started for the question.",
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


def _columns_callback(ctx, param, value):
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise click.BadParameter("give column names, separated by commas", ctx=ctx, param=param)
    return names


def output_options(command=None, *, chart: bool = False, summary: bool = False):
    """Add --unit, --format and --columns, with ``summary`` --summary and with ``chart``
    --chart and --plot (for commands that draw); the command gets ``output``."""
    if command is None:
        return functools.partial(output_options, chart=chart, summary=summary)

    inner = command

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        kwargs["output"] = Output(
            kwargs.pop("fmt"),
            kwargs.pop("unit"),
            kwargs.pop("chart", False),
            kwargs.pop("plot", None),
            kwargs.pop("columns"),
            kwargs.pop("summary", False),
        )
        return inner(*args, **kwargs)

    command = wrapper
    if chart:
        command = click.option(
            "--plot",
            type=click.Path(dir_okay=False),
            help="Also write the series as a labelled chart to FILE.png or FILE.svg "
            "(needs matplotlib: pip install '.[plot]' in a clone, or 'korus-trade[plot]').",
        )(command)
        command = click.option(
            "--chart", is_flag=True, help="Draw the series as bars in the terminal, not a table."
        )(command)
    if summary:
        command = click.option(
            "--summary",
            is_flag=True,
            help="Machine formats: the summary rows (change, % change, CAGR, the whole) "
            'instead of the rows; JSON: {"rows": [...], "summary": [...]}.',
        )(command)
    command = click.option(
        "--columns",
        metavar="A,B,C",
        callback=_columns_callback,
        help="Machine formats: only these columns, in this order (names as in the CSV).",
    )(command)
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="auto",
        show_default=True,
        help="auto: a table on a terminal, CSV in a pipe or file; jsonl: one JSON object a line.",
    )(command)
    return click.option(
        "--unit",
        type=UnitType(),
        default="millions",
        show_default=True,
        help="Unit of the money values printed (also k, m, mn, b, bn).",
    )(command)


def pair_options(command):
    """Add --reporter and --partner (any code system or common name)."""
    command = click.option(
        "--partner",
        default="KOR",
        show_default=True,
        callback=_country_callback,
        shell_complete=_complete_country,
        help='Partner: ISO3/ISO2, UN or Census code, or a name ("Korea", "China").',
    )(command)
    return click.option(
        "--reporter",
        default="USA",
        show_default=True,
        callback=_country_callback,
        shell_complete=_complete_country,
        help="Reporting country, in the same forms as --partner.",
    )(command)


@dataclass
class Output:
    """How to show a report: format, unit, terminal chart, chart file, columns, summary."""

    fmt: str = "auto"
    unit: str = "millions"
    chart: bool = False
    plot: str | None = None
    columns: list[str] | None = None
    summary: bool = False

    def emit(self, report) -> None:
        """Print the report on stdout: a table on a terminal, CSV into a pipe, or as asked."""
        from korus.render import ColumnsError, escapes_wanted, render

        fmt = self.fmt
        if fmt == "auto":
            fmt = "table" if sys.stdout.isatty() and not self.chart else "csv"
        if self.columns and (self.chart or fmt not in MACHINE_FORMATS):
            raise click.UsageError(
                "--columns chooses the columns of the machine formats: add --format csv "
                "(or tsv, json, jsonl)"
            )
        if self.plot:
            from korus.charts import plot_file

            plot_file(report, self.unit, self.plot)
            _say(f"wrote the chart to {self.plot}")
        if self.chart and self.fmt != "auto":
            raise click.UsageError("--chart draws instead of a table: leave out --format")
        if self.chart:
            import shutil

            from korus.charts import terminal_chart

            terminal_chart(report, self.unit, sys.stdout, shutil.get_terminal_size().columns)
            return
        if fmt in MACHINE_FORMATS:
            # Machine formats carry the table alone: what must be said goes to stderr.
            for warning in report.warnings:
                _say(f"Note: {warning}")
        try:
            render(
                report,
                fmt,
                self.unit,
                sys.stdout,
                columns=self.columns,
                summary=self.summary,
                styled=escapes_wanted(sys.stdout),
            )
        except ColumnsError as exc:
            raise click.UsageError(f"--columns: {exc}") from None


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
@output_options(chart=True, summary=True)
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
    from korus import api, reports

    if (ytd or rolling) and not months:
        raise click.UsageError("--ytd and --rolling go with --months")
    if ytd and rolling:
        raise click.UsageError("--ytd and --rolling ask two different questions: give one")
    if months and years:
        raise click.UsageError("give --years or --months, not both")
    table = inputs.answered(
        api.deficit(
            partner,
            reporter,
            years,
            months=months,
            ytd=ytd,
            rolling=rolling,
            settings=inputs.settings,
        )
    )
    if not months:
        output.emit(reports.deficit(table, output.unit))
    elif ytd:
        output.emit(reports.year_to_date(table, output.unit))
    else:
        output.emit(reports.monthly_deficit(table, months, output.unit, rolling))


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
@output_options(chart=True, summary=True)
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
    from korus import api, reports

    if yoy and not months:
        raise click.UsageError("--yoy goes with --months (years are always year on year)")
    if months and years:
        raise click.UsageError("give --years or --months, not both")
    table = inputs.answered(
        api.growth(flow, partner, reporter, years, months=months, settings=inputs.settings)
    )
    if months:
        output.emit(reports.month_on_year(table, months, output.unit))
    else:
        output.emit(reports.growth(table, output.unit))


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--year",
    metavar="YEAR",
    help="The year to break down (--years too) [default: the latest whole year of product "
    "figures].",
)
@click.option("--years", "years", hidden=True)
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
@click.option(
    "--draw",
    type=click.Choice(["value", "share"]),
    default="value",
    show_default=True,
    help="What --chart and --plot draw: each group's value, or its share of the whole.",
)
@pair_options
@output_options(chart=True, summary=True)
@input_options()
def sectors(
    year, years, flow, by, level, sectors_file, top, since, draw, reporter, partner, output, inputs
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
      korus sectors --year 2016 --flow imports --top 10 --draw share --plot shares.png
      korus sectors --year 2016 | csvlook
    """
    from korus import api, reports

    year = _one_year(year, years, "sectors")
    if level is not None and by != "enduse":
        raise click.UsageError("--level goes with --by enduse")
    if sectors_file is not None and by != "sector":
        raise click.UsageError("--sectors goes with --by sector")
    table = inputs.answered(
        api.sectors(
            year,
            flow,
            by,
            partner,
            reporter,
            level=level,
            sectors_file=sectors_file,
            since=since,
            settings=inputs.settings,
        )
    )
    total, grouping = table.attrs["total"], table.attrs["grouping"]
    report = reports.sectors(table, total, flow, top, output.unit, since, grouping)
    if draw == "share":
        report.series = (report.series[0], "share_pct")
    output.emit(report)


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
    from korus import api, reports

    table = inputs.answered(api.mirror(partner, reporter, years, settings=inputs.settings))
    output.emit(reports.mirror(table, reporter, partner))


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--year",
    metavar="YEAR",
    help="The year to rank (--years too) [default: the latest whole year].",
)
@click.option("--years", "years", hidden=True)
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
    shell_complete=_complete_country,
    help="Reporting country, as ISO3/ISO2, UN or Census code, or a name.",
)
@output_options(chart=True)
@input_options()
def partners(year, years, top, by, groups, reporter, output, inputs):
    """A reporter's partners ranked by balance, exports, imports or total trade.

    \b
    Examples:
      korus partners --year 2016 --by balance --top 3
      korus partners --year 2025 --by total --top 10
      korus partners --year 2016 --groups --format csv
    """
    from korus import api, reports

    year = _one_year(year, years, "partners")
    table = inputs.answered(
        api.partners(year, reporter, by, groups=groups, settings=inputs.settings)
    )
    output.emit(reports.partners(table, by, top, groups))


@cli.command(epilog=EXIT_CODES)
@click.option("--year", metavar="YEAR", help="The year (--years too).  [required]")
@click.option("--years", "years", hidden=True)
@click.option(
    "--flow",
    type=click.Choice(["exports", "imports"]),
    default="exports",
    show_default=True,
    help="Which flow to add up.",
)
@click.option(
    "--by",
    type=click.Choice(["chapter", "heading"]),
    default="chapter",
    show_default=True,
    help="The product groups: HS chapters (2 digits) or headings (4 digits).",
)
@click.option("--top", type=click.IntRange(min=1), help="Show only the N largest groups.")
@click.option(
    "--reporter",
    default=None,
    callback=_country_callback,
    shell_complete=_complete_country,
    help="Only this reporter's figures.  [default: every reporter's]",
)
@output_options(chart=True)
@input_options()
def world(year, years, flow, by, top, reporter, output, inputs):
    """World totals by product: every reporter's trade with every country, by HS group.

    Adds up, for one year, each product's exports (or imports) over every reporter (or
    one) and every partner that is a country (groups such as the World are never added),
    from whole years only. Over a korus store the sums are made where each part is read
    (on a Dask cluster with --engine dask), and only they come back.

    \b
    Examples:
      korus world --data baci-store/ --year 2021 --top 10
      korus world --data baci-store/ --year 2021 --flow imports --by heading --format csv
    """
    from korus import api, reports

    year = _one_year(year, years, "world")
    if year is None:
        raise click.UsageError("give the year: --year YEAR")
    table = inputs.answered(
        api.world(year, flow, by=by, reporter=reporter, settings=inputs.settings)
    )
    output.emit(reports.world_products(table, by, top, reporter))


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
    from korus import api, reports

    reading = api.read(inputs.settings)
    inputs.said(reading.accounting)
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
    from korus import api

    reading = api.read(inputs.settings)
    inputs.said(reading.accounting)
    if output == "-":
        tidy.write_csv_stream(reading.frame, sys.stdout)
        return
    writer = tidy.write_parquet if kind == "parquet" else tidy.write_csv
    try:
        writer(reading.frame, Path(output))
    except OSError as exc:
        # The file is written under a temporary name beside it: name the file asked for.
        exc.filename = output
        raise
    _say(f"wrote {len(reading.frame):,} rows to {output}")


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--into",
    required=True,
    type=click.Path(file_okay=False),
    help="The store's folder (made if need be): read it later with --data FOLDER.",
)
@input_options(files_argument=True, engine=False)
def ingest(into, inputs):
    """Read files of any layout into a store of your own: a folder a team can share.

    Each file is read once, through the same readers and checks as any question, and kept
    as Parquet in korus's canonical columns with its accounting; `--data STORE` then
    answers as the files would, reading only the rows a question needs. A file ingested
    again is replaced only if it changed; a file whose figures another source of the store
    already gives is refused.

    \b
    Examples:
      korus ingest baci/ --into trade-store/
      korus ingest comtrade-2016.csv comtrade-2017.csv --into trade-store/
      korus partners --data trade-store/ --year 2016
    """
    from korus import api

    for line in api.ingest(None, into, settings=inputs.settings):
        _say(line)


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
@click.option("--year", metavar="YEAR", help="One claim: its year.")
@click.option(
    "--years",
    "span",
    help="One claim: its first and last year, 2011-2016 or 2011,2016 (or one year, 2016).",
)
@click.option("--month", help="One claim: its month, 2017-09.")
@click.option("--sector", help="One claim: a named sector (vehicles, semiconductors...).")
@click.option(
    "--of",
    "of",
    type=click.Choice(["exports", "imports", "balance", "deficit"]),
    help="One claim: the series a share, change or ratio is of.",
)
@click.option("--explain", is_flag=True, help="Add the formula and the inputs of each figure.")
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when a claim is off (by default 1, like a linter).",
)
@pair_options
@output_options(summary=True)
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
    exit_zero,
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

    Like a linter, check exits 1 when a claim is off (--exit-zero: 0); a claim that cannot
    be computed from the data is not off.

    \b
    Examples:
      korus check examples/korus-2017-article.toml
      korus check --measure deficit --year 2016 --stated '$27.6 billion'
      korus check --measure pct_change --of exports --years 2011,2016 --stated '-2.7%' --explain
    """
    from korus import api, reports

    if claims_file:
        if measure or stated:
            raise click.UsageError("give a claims file or one claim's options, not both")
        table = api.check(claims_file, explain=explain, settings=inputs.settings)
    else:
        if not (measure and stated):
            raise click.UsageError("give a claims file, or --measure and --stated")
        entry = {"measure": measure, "stated": stated, "reporter": reporter, "partner": partner}
        entry.update(_claim_period(year, span, month))
        for key, value in (("sector", sector), ("of", of)):
            if value is not None:
                entry[key] = value
        table = api.check(explain=explain, settings=inputs.settings, **entry)
    output.emit(reports.verdicts(inputs.answered(table)))
    off = int((table["verdict"] == "off").sum())
    if off and not exit_zero:
        _say(f"{off} of {len(table)} verdicts off: exit status 1 (--exit-zero for 0)")
        raise click.exceptions.Exit(1)


def _claim_period(year: str | None, span: str | None, month: str | None) -> dict:
    """Return the period of a claim given on the command line, its options read as every
    command reads them: --year or --years 2016 one year, --years 2011-2016 (or 2011,2016,
    an en dash too) the first and the last, --month 2017-9 one month."""
    options = (("--year", year), ("--years", span), ("--month", month))
    given = [name for name, value in options if value]
    if len(given) > 1:
        raise click.UsageError(f"give one period, not {' and '.join(given)}")
    if month:
        try:
            found = parse_months(month)
        except ValueError as exc:
            raise click.UsageError(f"--month: {exc}") from None
        if len(found) != 1:
            raise click.UsageError(f"--month {month}: a claim is of one month; give one")
        return {"month": f"{found[0][0]}-{found[0][1]:02d}"}
    text = year or span
    if not text:
        return {}
    spelling = "--year" if year else "--years"
    try:
        years = parse_years(text)
    except ValueError as exc:
        raise click.UsageError(f"{spelling}: {exc}") from None
    if len(years) == 1:
        return {"year": years[0]}
    if year:
        raise click.UsageError(
            f"--year {text}: --year is one year; for a first and a last, give --years {text}"
        )
    if text.count(",") > 1 or ("," in text and len(years) != 2):
        raise click.UsageError(
            f"{spelling} {text}: a claim is of one year, or of a first and a last "
            "(--years 2011-2016 or 2011,2016)"
        )
    return {"years": [years[0], years[-1]]}


@cli.group(cls=KorusGroup, epilog=EXIT_CODES)
def config():
    """The config file: defaults for options you would otherwise repeat.

    korus reads $KORUS_CONFIG, else $XDG_CONFIG_HOME/korus/config.toml, else
    ~/.config/korus/config.toml (TOML). Its settings: reporter, partner, unit, format,
    data (a path or a list of paths), encoding and cache_dir. A flag on the command line
    wins; --no-config ignores the file. Keys, tokens, secrets and passwords are refused
    there: they live in the environment only.

    \b
    Example config.toml:
      partner = "Japan"
      unit = "billions"
      data = ["~/trade/census"]

    \b
    Examples:
      korus config show
      korus config show --unit bn
      korus --no-config config show
    """


@config.command("show")
@click.option(
    "--reporter", default="USA", callback=_country_callback, shell_complete=_complete_country
)
@click.option(
    "--partner", default="KOR", callback=_country_callback, shell_complete=_complete_country
)
@click.option("--unit", type=UnitType(), default="millions")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto")
@click.option("--data", multiple=True, metavar="PATH")
@click.option("--encoding")
@click.pass_context
def config_show(ctx, reporter, partner, unit, fmt, data, encoding):
    """The settings in force and where each comes from: default, config file, environment
    or flag (give a command's flags to see them win)."""
    from click.core import ParameterSource

    from korus import config as settings_file

    found = ctx.meta.get("korus.config")
    if found is None:
        path, how = settings_file.location()
        state = "ignored (--no-config)" if ctx.meta.get("korus.no_config") else "none there"
    else:
        path, how = found.path, found.found_by
        state = "read" if found.exists else "none there"
    click.echo(printable(f"config file: {path} ({state}; found by {how})"))
    sources = {
        ParameterSource.COMMANDLINE: "flag",
        ParameterSource.ENVIRONMENT: "environment",
        ParameterSource.DEFAULT_MAP: "config file",
        ParameterSource.DEFAULT: "default",
    }
    rows = []
    for name, option, value in (
        ("reporter", "reporter", reporter),
        ("partner", "partner", partner),
        ("unit", "unit", unit),
        ("format", "fmt", fmt),
        ("data", "data", ", ".join(data) or "(the data korus ships)"),
        ("encoding", "encoding", encoding or "utf-8 (or the layout's own)"),
    ):
        rows.append((name, str(value), sources[ctx.get_parameter_source(option)]))
    from korus import cache as store

    if ctx.meta.get("korus.cache_dir_from_config"):
        where = "config file"
    elif os.environ.get("KORUS_CACHE_DIR"):
        where = "environment (KORUS_CACHE_DIR)"
    else:
        where = "default"
    rows.append(("cache_dir", str(store.cache_dir()), where))
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for name, value, source in rows:
        click.echo(printable(f"{name:<{width}}  {value:<{value_width}}  {source}"))


SHELLS = ["bash", "zsh", "fish"]


@cli.command(epilog=EXIT_CODES)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """The shell completion script for SHELL: commands, options, partner and reporter
    names, layouts and the choices of --by, --flow, --unit and --format.

    \b
    bash, in ~/.bashrc:
      eval "$(korus completion bash)"
    zsh, in ~/.zshrc:
      eval "$(korus completion zsh)"
    fish:
      korus completion fish > ~/.config/fish/completions/korus.fish

    \b
    Examples:
      korus completion bash > ~/.local/share/bash-completion/completions/korus
      korus completion zsh
    """
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)(cli, {}, "korus", "_KORUS_COMPLETE")
    click.echo(complete.source())


@cli.group("help", cls=KorusGroup, epilog=EXIT_CODES)
def help_topics():
    """Help on a topic beyond the commands' own --help.

    \b
    Examples:
      korus help environment
    """


@help_topics.command("environment")
def help_environment():
    """Every environment variable korus reads, and what it does."""
    from korus import environment

    click.echo(environment.text(), nl=False)


@cli.group(cls=KorusGroup, epilog=EXIT_CODES)
def cache():
    """The Parquet cache of large files (a BACI year): build, list or clear it.

    The first question on a large file has its columns written as Parquet in the user's
    cache folder (KORUS_CACHE_DIR, else the platform's: ~/.cache/korus on Linux), by a
    background `korus cache build` started after the answer; the entry is keyed on the
    file's fingerprint (path, inode, size, times and a hash of sampled blocks), that of
    its code lists and korus's schema, and later questions read it.

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
    _say(f"{store.cache_dir()}: {len(found)} entries")
    for entry in found:
        state = "current" if entry.current else "stale (rebuilt on the next read)"
        together = f" ({entry.files} files together)" if entry.files > 1 else ""
        fields = (f"{entry.source}{together}", f"{entry.size:,} bytes", state)
        click.echo("\t".join(printable(field) for field in fields))


@cache.command("build")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def cache_build(files):
    """Write the cache entries of FILES now (a large BACI year, say; a folder: its files).

    A first read that keeps only one country pair's rows leaves this to a background
    process after its answer; run it yourself to have the entries before the next question.
    Several BACI years of one folder are also kept together, in one more entry, which a
    question over all the years reads at once.
    """
    from korus import cache as store
    from korus import readers
    from korus.errors import CacheWriteError

    failed = None
    together: dict[tuple, dict] = {}  # (folder, reader) -> its files cached here, once each
    paths: list[Path] = []
    for given in files:
        try:  # a folder's data files (not its code lists)
            paths += readers.expand([given]) if Path(given).is_dir() else [Path(given)]
        except KorusError as exc:
            failed = exc
            _error_line(str(exc))
    for path in paths:
        try:
            layout = readers.detect(path)
            module = readers.layouts()[layout]
            build = getattr(module, "build_cache", None)
            if build is None:
                # The layout detected, not the module's first: a tidy Parquet file is
                # korus-parquet, though its reader also reads korus-csv.
                raise KorusError(
                    f"{path}: the {layout} layout is read without a cache (only large "
                    "BACI files are cached)"
                )
            companions = getattr(module, "cache_companions", None)
            state = store.build_entry(path, module.LAYOUT, build, companions)
            if state == "not cached":
                state = "not cached: its product codes are not all HS6 (see `korus inspect`)"
        except CacheWriteError as exc:  # the folder's: every other file would fail the same
            _error_line(str(exc))
            sys.exit(1)
        except Exception as exc:  # each file on its own: the next is still cached
            failed = exc
            _error_line(str(exc) if isinstance(exc, KorusError) else f"{path}: {exc}")
            continue
        _say(f"{path}: {state}")
        if state in ("cached", "already cached") and hasattr(module, "build_group"):
            together.setdefault((path.resolve().parent, module), {})[path.resolve()] = path
    for (folder, module), files in together.items():
        members = list(files.values())
        if len(members) < 2:
            continue
        try:
            state = store.build_group_entry(
                members, module.LAYOUT, module.build_group, module.cache_companions
            )
        except CacheWriteError as exc:
            _error_line(str(exc))
            sys.exit(1)
        except Exception as exc:
            failed, state = exc, f"not cached: {exc}"
        if state == "not cached":
            state += " (each must be one year, in BACI's order, and no two of one year)"
        elif state == "not cached for now":
            state += " (a file's own entry is missing or damaged: run this again)"
        _say(f"{folder}: {len(members)} files together: {state}")
    if failed is not None:
        sys.exit(1)


@cache.command("clear")
def cache_clear():
    """Remove every cache entry (only files korus wrote: anything else is left alone)."""
    from korus import cache as store

    removed, left = store.clear()
    _say(f"removed {removed} files from {store.cache_dir()}")
    if left:
        _say(f"left alone (not written by korus): {', '.join(left)}")


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
        # Without standalone mode click returns an exit status asked for with Exit.
        returned = cli(prog_name="korus", standalone_mode=False)
        code = returned if isinstance(returned, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        # The one error edge: a file's name or text inside a message is shown, not obeyed.
        exc.message = printable(exc.message)
        exc.show()
        code = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        # Ctrl-C: outputs are written to a temporary file and renamed, so nothing is left
        # half-written; say so briefly and exit as shells expect (128 + SIGINT).
        _say("Interrupted.")
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


# --- korus fetch: today's figures from the agencies' APIs (korus.fetch, imported when run)


@cli.group(cls=KorusGroup, epilog=EXIT_CODES)
def fetch():
    """Today's figures from the Census and UN Comtrade APIs, in the layout korus reads.

    Keys come from the environment only, are sent and never written or shown:
    CENSUS_API_KEY (needed: https://api.census.gov/data/key_signup.html) and
    COMTRADE_API_KEY (without one, Comtrade+'s keyless preview is used when the request
    fits it). Beside FILE, FILE.korus.json records the requests (no key), when and where:
    korus reads it as the vintage. A long fetch is split into parts kept in FILE.parts/
    until the output is written: after a failure, the same command fetches only the
    parts still missing. KORUS_CENSUS_API and KORUS_COMTRADE_API point korus at a mirror.

    \b
    Examples:
      korus fetch census --flow imports --partner KOR --months 2016-01..2016-12 -o imports.json
      korus fetch comtrade --reporter USA --partner KOR --years 2016 -o usa-kor.json
      korus fetch comtrade --partner KOR --years 2016 -o - | korus deficit --data - --years 2016
    """


def _fetch_options(command):
    """Add -o, --dry-run, --timeout and --verbose to a fetch command."""
    for option in reversed(
        [
            click.option(
                "-o",
                "--output",
                type=click.Path(dir_okay=False, allow_dash=True),
                help="The file to write (the API's own JSON); - for standard output.",
            ),
            click.option(
                "--dry-run", is_flag=True, help="Print the requests (one URL a line), no key."
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=60.0,
                show_default=True,
                help="Seconds to wait for each answer.",
            ),
            click.option("--verbose", "-v", is_flag=True, help="Report each request on stderr."),
        ]
    ):
        command = option(command)
    return command


def _codes(values: tuple[str, ...], option: str = "--partner") -> tuple[str, ...]:
    """Return korus's codes of countries given as codes or names (repeated, or KOR,CHN)."""
    from korus import countries

    found = []
    for given in (part.strip() for value in values for part in value.split(",")):
        try:
            found.append(countries.resolve(given).code)
        except KorusError as exc:
            raise click.ClickException(f"{option}: {exc}") from None
    return tuple(found)


def _fetched(job, output, dry_run, timeout, verbose) -> None:
    from korus.fetch import run

    if output is None and not dry_run:
        raise click.UsageError("give -o FILE (or -o - for standard output), or --dry-run")
    run.run(
        job, output, dry_run=dry_run, timeout=timeout, out=sys.stdout, say=_say, verbose=verbose
    )


@fetch.command("census", epilog=EXIT_CODES)
@click.option("--flow", type=click.Choice(["exports", "imports"]), required=True)
@click.option("--by", type=click.Choice(["hs", "enduse", "naics"]), default="hs", show_default=True)
@click.option(
    "--level",
    help="HS2, HS4, HS6 or HS10 (--by hs); NA3, NA4 or NA6 (naics); 1 or 5 (enduse) "
    "[default: HS2, NA3, 1].",
)
@click.option(
    "--partner",
    multiple=True,
    required=True,
    shell_complete=_complete_country,
    help="A partner (repeat, or KOR,CHN); WLD: all.",
)
@click.option("--months", required=True, callback=_months_callback, help="2017-01..2017-09.")
@click.option("--commodity", help="Only this code and its parts (87: HS chapter 87).")
@click.option(
    "--basis",
    type=click.Choice(["general", "consumption"]),
    default="general",
    show_default=True,
    help="Imports: general imports (GEN_VAL_MO) or imports for consumption (CON_VAL_MO).",
)
@_fetch_options
def fetch_census(flow, by, level, partner, months, commodity, basis, **options):
    """US exports or imports by product and partner, monthly, from the Census API.

    \b
    Examples:
      korus fetch census --flow imports --partner KOR --months 2016-01..2016-12 -o imports.json
      korus fetch census --flow exports --by enduse --level 5 --partner KOR \
        --months 2017-01..2017-09 -o exports.json
    """
    from korus.fetch import census, run

    question = census.Question(flow, by, _codes(partner), tuple(months), level, commodity, basis)
    _fetched(run.census_job(question, run.environment(), options["dry_run"]), **options)


@fetch.command("comtrade", epilog=EXIT_CODES)
@click.option(
    "--reporter",
    default="USA",
    show_default=True,
    shell_complete=_complete_country,
    help="The reporting country.",
)
@click.option(
    "--partner",
    multiple=True,
    required=True,
    shell_complete=_complete_country,
    help="A partner (repeat, or KOR,CHN); WLD: all.",
)
@click.option("--years", callback=_years_callback, help="2016, 2011-2016 or 2011,2016.")
@click.option("--months", callback=_months_callback, help="Monthly figures: 2017-01..2017-09.")
@click.option(
    "--flow",
    type=click.Choice(["exports", "imports", "both"]),
    default="both",
    show_default=True,
)
@click.option(
    "--level",
    type=click.Choice(["TOTAL", "HS2", "HS4", "HS6"], case_sensitive=False),
    default="TOTAL",
    show_default=True,
    help="All goods, or every code of an HS level.",
)
@click.option("--commodity", help="HS codes instead of a level: 87 or 8703,8708.")
@click.option(
    "--max-records",
    type=click.IntRange(min=1),
    help="Your plan's cap on one answer (KORUS_COMTRADE_MAX_RECORDS) [default: 100000].",
)
@_fetch_options
def fetch_comtrade(
    reporter, partner, years, months, flow, level, commodity, max_records, **options
):
    """A reporter's trade with its partners, annual or monthly, from UN Comtrade+.

    \b
    Examples:
      korus fetch comtrade --reporter USA --partner KOR --years 2016 -o usa-kor.json
      korus fetch comtrade --reporter KOR --partner WLD --months 2017-09 --level HS4 -o kor.json
    """
    from korus.fetch import comtrade, run

    if (years is None) == (months is None):
        raise click.UsageError("give --years or --months (one of them)")
    periods = [str(y) for y in years] if years else [f"{y}{m:02d}" for y, m in months]
    codes = tuple(commodity.split(",")) if commodity else ()
    (reporter_code,) = _codes((reporter,), "--reporter")
    question = comtrade.Question(
        reporter_code, _codes(partner), tuple(periods), flow, level.upper(), codes
    )
    _fetched(run.comtrade_job(question, run.environment(), max_records, _say), **options)
