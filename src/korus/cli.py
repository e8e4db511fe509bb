"""The korus command line: parse, load, compute, render. Nothing else lives here.

The group, ``main()`` and the data commands are here; the options they share are in
cli_options, and the fetch and housekeeping commands in cli_fetch and cli_admin, added to
the group below.

pandas is imported inside the commands, never at the top, so that ``--help`` is instant.
"""

from __future__ import annotations

import signal
import sys

import click

from korus import __version__, allocator
from korus.api import parse_years
from korus.cli_admin import cache, completion, config, help_topics
from korus.cli_fetch import fetch
from korus.cli_options import (
    EXIT_CODES,
    FORMATS,
    KorusGroup,
    _complete_country,
    _country_callback,
    _months_callback,
    _one_year,
    _say,
    _some_years,
    _years_callback,
    claim_period,
    emit,
    input_options,
    os_error_text,
    output_options,
    pair_options,
    printable,
)


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
    from korus import api

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
    from korus import reports  # (pandas: after the answer is read)

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
    from korus import api

    if yoy and not months:
        raise click.UsageError("--yoy goes with --months (years are always year on year)")
    if months and years:
        raise click.UsageError("give --years or --months, not both")
    table = inputs.answered(
        api.growth(flow, partner, reporter, years, months=months, settings=inputs.settings)
    )
    from korus import reports  # (pandas: after the answer is read)

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
    from korus import api

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
    from korus import reports  # (pandas: after the answer is read)

    report = reports.sectors(table, total, flow, top, output.unit, since, grouping)
    if draw == "share":
        report.series = (report.series[0], "share_pct")
    output.emit(report)


def _mirror_partner(ctx, param, value):
    """Return --partner's country; with --gaps (read first: it is eager) none, and --partner
    given on the command line is a usage error (a config file's partner is not asked for)."""
    from click.core import ParameterSource

    if not ctx.params.get("gaps"):
        return _country_callback(ctx, param, value)
    if ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
        raise click.UsageError(
            "--gaps compares the reporter with every partner: leave out --partner", ctx
        )
    return None


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--years",
    callback=_years_callback,
    help="2016, 2011-2016 or 2011,2016 [default: the last six years both sides report].",
)
@click.option("--year", metavar="YEAR", help="One year (--years too); with --gaps, required.")
@click.option(
    "--gaps",
    is_flag=True,
    is_eager=True,  # read before --partner, whose callback needs it
    help="The reporter's gaps with every partner that is a country in one year, largest "
    "first (no --partner).",
)
@click.option(
    "--flow",
    type=click.Choice(["exports", "imports"]),
    help="With --gaps: the reporter's exports beside each partner's imports from it, or its "
    "imports beside their exports.  [default: exports]",
)
@click.option("--top", type=click.IntRange(min=1), help="With --gaps: only the N largest gaps.")
@pair_options(partner_callback=_mirror_partner)
@output_options
@input_options()
def mirror(years, year, gaps, flow, top, reporter, partner, output, inputs):
    """Both sides' own figures for the same trade, side by side, with the gaps.

    The US reports its exports to Korea; Korea reports its imports from the US: the two
    should match and rarely do (CIF against FOB, timing, origin rules). The shipped data
    has the US side (Census) and Korea's side (KOSIS, Korea Customs Service).

    With --gaps, one reporter with every partner that is a country in one year (groups
    such as the World are never compared), ranked by the size of the gap; a partner one
    side gives no figure for is listed last, unranked. It needs every partner's own
    figures: a panel of all reporters (a UN Comtrade download, or a store of one) given
    with --data. Over a store the sums are made where each part is read (on a Dask cluster
    with --engine dask), and only they come back.

    \b
    Examples:
      korus mirror --partner KOR --years 2016
      korus mirror --years 2011-2016 --format csv
      korus mirror --gaps --reporter KOR --year 2016 --data comtrade-store/ --top 10
      korus mirror --gaps --reporter KOR --year 2016 --flow imports --data comtrade-store/
    """
    from korus import api

    if year is not None and years is not None:
        raise click.UsageError("give --year or --years, not both")
    if year is not None:
        try:
            years = parse_years(year)
        except ValueError as exc:
            raise click.UsageError(f"--year: {exc}") from None
        if len(years) != 1:
            raise click.UsageError(f"--year {year}: one year; for several, give --years {year}")
    if gaps:
        if years is None or len(years) != 1:
            raise click.UsageError("--gaps answers for one year: give --year YEAR")
        table = inputs.answered(
            api.mirror_gaps(years[0], reporter, flow or "exports", settings=inputs.settings)
        )
        from korus import reports_gaps  # (pandas: after the answer is read)

        output.emit(reports_gaps.mirror_gaps(table, top))
        return
    for name, value in (("--flow", flow), ("--top", top)):
        if value is not None:
            raise click.UsageError(
                f"{name} goes with --gaps (the reporter with every partner); the mirror of a "
                "pair shows both flows and the balance"
            )
    table = inputs.answered(api.mirror(partner, reporter, years, settings=inputs.settings))
    from korus import reports  # (pandas: after the answer is read)

    output.emit(reports.mirror(table, reporter, partner))


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--year",
    metavar="YEARS",
    help="The year to rank, or years (2012-2016, 2012,2016), each ranked on its own "
    "(--years too) [default: the latest whole year].",
)
@click.option("--years", "years", hidden=True)
@click.option(
    "--top", type=click.IntRange(min=1), help="Show only the first N partners (of each year)."
)
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
      korus partners --year 2014-2016 --by balance --top 3
    """
    from korus import api

    chosen = _some_years(year, years)
    if chosen and len(chosen) > 1 and (output.chart or output.plot):
        raise click.UsageError("--chart and --plot draw one year's ranking: give one --year")
    table = inputs.answered(
        api.partners(chosen, reporter, by, groups=groups, settings=inputs.settings)
    )
    from korus import reports  # (pandas: after the answer is read)

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
    from korus import api

    year = _one_year(year, years, "world")
    if year is None:
        raise click.UsageError("give the year: --year YEAR")
    table = inputs.answered(
        api.world(year, flow, by=by, reporter=reporter, settings=inputs.settings)
    )
    from korus import reports  # (pandas: after the answer is read)

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
    from korus import api

    reading = api.read(inputs.settings)
    inputs.said(reading.accounting)
    from korus import reports  # (pandas: after the answer is read)

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
    already gives is refused. Each file is in the store once its line is said: where a
    later file fails, the files before it stay.

    \b
    Examples:
      korus ingest baci/ --into trade-store/
      korus ingest comtrade-2016.csv comtrade-2017.csv --into trade-store/
      korus partners --data trade-store/ --year 2016
    """
    from korus import api

    # Each file's line as soon as it is in the store: where a later file fails, the lines
    # before the error say which files the store holds.
    api.ingest(None, into, settings=inputs.settings, tell=_say)


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
    from korus import api

    if claims_file:
        if measure or stated:
            raise click.UsageError("give a claims file or one claim's options, not both")
        table = api.check(claims_file, explain=explain, settings=inputs.settings)
    else:
        if not (measure and stated):
            raise click.UsageError("give a claims file, or --measure and --stated")
        entry = {"measure": measure, "stated": stated, "reporter": reporter, "partner": partner}
        entry.update(claim_period(year, span, month))
        for key, value in (("sector", sector), ("of", of)):
            if value is not None:
                entry[key] = value
        table = api.check(explain=explain, settings=inputs.settings, **entry)
    from korus import reports  # (pandas: after the answer is read)

    output.emit(reports.verdicts(inputs.answered(table)))
    off = int((table["verdict"] == "off").sum())
    if off and not exit_zero:
        _say(f"{off} of {len(table)} verdicts off: exit status 1 (--exit-zero for 0)")
        raise click.exceptions.Exit(1)


# Commands defined in their own modules, added in the order korus has always listed them.
cli.add_command(config)
cli.add_command(completion)
cli.add_command(help_topics)
cli.add_command(cache)
cli.add_command(fetch)


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
    allocator.choose()
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
