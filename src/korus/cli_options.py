"""The shared parts of korus's commands: the options every command takes (what to read,
how to show it, which pair of countries), the command and group classes that turn errors
into one line, and the printing of reports and notes.

Nothing here imports korus.cli, nor pandas at the top, so that ``--help`` is instant.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

import click

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
    found = _some_years(year, years)
    if found is not None and len(found) != 1:
        spelling, text = ("--years", years) if years is not None else ("--year", year)
        raise click.UsageError(f"{spelling} {text}: {command} answers for one year; give one")
    return None if found is None else found[0]


def _some_years(year: str | None, years: str | None) -> list[int] | None:
    """Return the years of --year or --years (None: the command's default); both options
    given is a usage error."""
    if year is not None and years is not None:
        raise click.UsageError("give --year or --years, not both (they are one option)")
    spelling, text = ("--years", years) if years is not None else ("--year", year)
    if text is None:
        return None
    try:
        return parse_years(text)
    except ValueError as exc:
        raise click.UsageError(f"{spelling}: {exc}") from None


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
    # Written by a copy of this process, which ends now; under --verbose here, so that a
    # failure to write can be said.
    if not verbose and store.write_pending_apart():
        return
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
            from korus.readers.common import import_pandas_meanwhile

            if settings.engine != "local":
                from korus.command import resume_collector

                resume_collector()  # (a cluster's client lasts: see ``korus.command``)
            # The command reads data first: pandas is imported beside that reading (the
            # commands import their reports, and so pandas, once they have their answer).
            import_pandas_meanwhile()
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
            click.option(
                "--strict",
                is_flag=True,
                help="Refuse any file with a row set aside as not data (never the rows a "
                "question did not ask for).",
            ),
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


def pair_options(command=None, *, partner_callback=None):
    """Add --reporter and --partner (any code system or common name); ``partner_callback``
    reads --partner instead of the usual country callback (mirror --gaps takes none)."""
    if command is None:
        return functools.partial(pair_options, partner_callback=partner_callback)
    command = click.option(
        "--partner",
        default="KOR",
        show_default=True,
        callback=partner_callback or _country_callback,
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


def claim_period(year: str | None, span: str | None, month: str | None) -> dict:
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
