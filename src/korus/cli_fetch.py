"""korus fetch: today's figures from the agencies' APIs (korus.fetch, imported when run).

cli.py adds the group to the korus group.
"""

from __future__ import annotations

import sys

import click

from korus.cli_options import (
    EXIT_CODES,
    KorusGroup,
    _complete_country,
    _months_callback,
    _say,
    _years_callback,
)
from korus.errors import KorusError


@click.group(cls=KorusGroup, epilog=EXIT_CODES)
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
    from korus.command import resume_collector

    resume_collector()  # (a fetch waits on the network: see ``korus.command``)


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
