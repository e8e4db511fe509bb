"""korus's own housekeeping commands: config, completion, help topics and the cache.

cli.py adds them to the korus group.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from korus.cli_options import (
    EXIT_CODES,
    FORMATS,
    KorusCommand,
    KorusGroup,
    UnitType,
    _complete_country,
    _country_callback,
    _error_line,
    _say,
    printable,
)
from korus.errors import KorusError


@click.group(cls=KorusGroup, epilog=EXIT_CODES)
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


@click.command(cls=KorusCommand, epilog=EXIT_CODES)
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

    from korus.cli import cli  # the one group, which imports this module

    complete = get_completion_class(shell)(cli, {}, "korus", "_KORUS_COMPLETE")
    click.echo(complete.source())


@click.group("help", cls=KorusGroup, epilog=EXIT_CODES)
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


@click.group(cls=KorusGroup, epilog=EXIT_CODES)
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


def _data_files(given) -> tuple[list[Path], KorusError | None]:
    """Return the data files of the paths given (a folder: its data files, not its code
    lists), and the last error of a path that could not be listed (each said on its line)."""
    from korus import readers

    paths: list[Path] = []
    failed = None
    for one in given:
        try:
            paths += readers.expand([one]) if Path(one).is_dir() else [Path(one)]
        except KorusError as exc:
            failed = exc
            _error_line(str(exc))
    return paths, failed


@cache.command("build")
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--by-importer",
    "by_importer",
    multiple=True,
    type=click.Path(),
    metavar="FILE",
    help="Also keep a copy of FILE's rows in the order of importer (a BACI year): a "
    "question about one country's trade with every partner then reads only its rows. "
    "Repeatable.",
)
def cache_build(files, by_importer):
    """Write the cache entries of FILES now (a large BACI year, say; a folder: its files).

    A first read that keeps only one country pair's rows leaves this to a background
    process after its answer; run it yourself to have the entries before the next question.
    Several BACI years of one folder are also kept together, in one more entry, which a
    question over all the years reads at once. A question about one country's trade with
    every partner (``korus partners``) also has a copy of the file in the order of importer
    written after its answer (``--by-importer``).
    """
    from korus import cache as store
    from korus import readers
    from korus.errors import CacheWriteError

    if not files and not by_importer:
        raise click.UsageError("give the FILES to cache (or --by-importer FILE)")
    together: dict[tuple, dict] = {}  # (folder, reader) -> its files cached here, once each
    paths, failed = _data_files(files)
    copies, unread = _data_files(by_importer)
    failed = unread or failed
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
    for path in copies:
        try:
            module = readers.layouts()[readers.detect(path)]
            build = getattr(module, "build_by_importer", None)
            if build is None:
                raise KorusError(f"{path}: only BACI files have a copy by importer")
            companions = getattr(module, "cache_companions", None)
            state = store.build_entry(path, module.BY_IMPORTER, build, companions)
        except CacheWriteError as exc:
            _error_line(str(exc))
            sys.exit(1)
        except Exception as exc:
            failed = exc
            _error_line(str(exc) if isinstance(exc, KorusError) else f"{path}: {exc}")
            continue
        if state == "not cached":
            state = "not cached: its product codes are not all HS6 (see `korus inspect`)"
        _say(f"{path}: copy by importer: {state}")
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
