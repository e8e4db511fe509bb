"""Every environment variable korus reads, and what it does (``korus help environment``).

A test reads korus's source for the variables it reads and fails when one is not listed
here: add a variable's line in the same change that reads it.
"""

from __future__ import annotations

# name -> what it does
VARIABLES = {
    "KORUS_CONFIG": "the config file to read instead of the default place (see `korus config "
    "show`); a file it names must exist",
    "XDG_CONFIG_HOME": "where the config file is looked for when KORUS_CONFIG is not set: "
    "$XDG_CONFIG_HOME/korus/config.toml (else ~/.config/korus/config.toml)",
    "HOME": "the home folder, for ~ in paths and the default config and cache folders",
    "KORUS_CACHE_DIR": "the folder of the Parquet cache of large files (it wins over the "
    "config file's cache_dir)",
    "XDG_CACHE_HOME": "where the cache folder is when KORUS_CACHE_DIR is not set, on Linux: "
    "$XDG_CACHE_HOME/korus (else ~/.cache/korus)",
    "LOCALAPPDATA": "where the cache folder is on Windows when KORUS_CACHE_DIR is not set",
    "KORUS_NO_CACHE": "1, true, yes or on: neither read nor write the cache (as --no-cache)",
    "ARROW_DEFAULT_MEMORY_POOL": "the allocator Arrow takes its memory from (system, "
    "jemalloc or mimalloc); when it is not set, the korus command sets jemalloc where "
    "Arrow is built with it (the least memory, freed memory given to the next array), "
    "else system (the C library's)",
    "JE_ARROW_MALLOC_CONF": "the options of Arrow's jemalloc; when it is not set, the korus "
    "command sets dirty_decay_ms:100,muzzy_decay_ms:0 (memory Arrow frees is given back "
    "after a tenth of a second, for the arrays made next)",
    "KORUS_DEBUG": "any value: an unexpected failure shows its Python traceback instead of one "
    "line",
    "NO_COLOR": "any non-empty value: no escape sequences at all on a terminal (no colour, no "
    "bold, no progress bar)",
    "FORCE_COLOR": "any non-empty value: a table keeps its bold and dim text in a pipe or a "
    "file (NO_COLOR wins)",
    "TERM": "dumb: no escape sequences and no progress bar, as with NO_COLOR",
    "COLUMNS": "the width of tables and terminal charts, instead of the terminal's",
    "CENSUS_API_KEY": "korus fetch census: the key of the Census API (needed; free at "
    "https://api.census.gov/data/key_signup.html); sent, never written or shown",
    "COMTRADE_API_KEY": "korus fetch comtrade: the key of UN Comtrade+ (without one, the "
    "keyless preview of 500 records an answer); sent, never written or shown",
    "KORUS_CENSUS_API": "korus fetch census: the base address of a mirror of the Census API "
    "(default https://api.census.gov/data)",
    "KORUS_COMTRADE_API": "korus fetch comtrade: the base address of a mirror of Comtrade+ "
    "(default https://comtradeapi.un.org)",
    "KORUS_COMTRADE_MAX_RECORDS": "korus fetch comtrade: your plan's cap on the records of "
    "one answer, as --max-records (default 100000)",
    "HTTPS_PROXY": "korus fetch: the proxy to reach https:// addresses through (also "
    "https_proxy), as for any Python program",
    "HTTP_PROXY": "korus fetch: the proxy for http:// addresses (also http_proxy)",
    "NO_PROXY": "korus fetch: the hosts reached without the proxy (also no_proxy)",
    "DASK_SCHEDULER_ADDRESS": "--engine dask: the Dask scheduler (tcp://HOST:PORT), as "
    "--scheduler; unset: a local cluster started for the question. Dask's own "
    "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT (default 30s) bounds the wait for it and for "
    "a worker",
    "_KORUS_COMPLETE": "set by the shell completion script korus completion prints; not for "
    "people to set",
}


def text(width: int = 80) -> str:
    """Return the variables and what each does, for people: each name at the start of a
    line, what it does beside it, wrapped to ``width`` columns."""
    import textwrap

    names = max(len(name) for name in VARIABLES)
    indent = " " * (names + 2)
    return "".join(
        textwrap.fill(
            what,
            width,
            initial_indent=f"{name:<{names}}  ",
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        + "\n"
        for name, what in VARIABLES.items()
    )
