"""How korus reads data: one ``Settings`` object, built once and passed in.

The command line builds it from its flags; a program or a notebook builds its own
(``korus.Settings(dedupe=True)``) or takes the defaults. Nothing else decides how files are
read: ``Settings.applied()`` is the one place that hands these choices to the readers, the
trust layer and the cache for the time of a question, and takes them back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Settings:
    """The reading rules of a question (all optional)."""

    #: Files, folders or glob patterns to read (``-`` is standard input); none: the data
    #: korus ships.
    data: tuple[str, ...] = ()
    #: Read the files as this layout instead of detecting it (``census-country``...).
    layout: str | None = None
    #: The files' text encoding; None: UTF-8, or the layout's own where the layout has one
    #: (a Comtrade+ website download is cp1252). korus never guesses one.
    encoding: str | None = None
    #: The sheet of a workbook to read where several (or a hidden one) could be meant.
    sheet: str | None = None
    #: Refuse a file with any row set aside as not data (never the rows a question did not
    #: ask for, such as a BACI file's other country pairs).
    strict: bool = False
    #: Drop rows that repeat another exactly (counted and said); otherwise an error.
    dedupe: bool = False
    #: Read and write the Parquet cache of large files.
    cache: bool = True
    #: Where a store's parts are read: "local" (this process) or "dask" (a Dask cluster;
    #: the extra korus-trade[dask]). The Dask engine reads korus stores only.
    engine: str = "local"
    #: The Dask scheduler's address (tcp://HOST:PORT); None: DASK_SCHEDULER_ADDRESS, else a
    #: local cluster started for the question.
    scheduler: str | None = None

    def __post_init__(self) -> None:
        from korus.engine import ENGINES

        if self.engine not in ENGINES:
            from korus.errors import KorusError

            raise KorusError(f"engine {self.engine!r} is not one of {', '.join(ENGINES)}")

    def with_data(self, data) -> Settings:
        """Return these settings reading ``data`` (a path or several) instead."""
        if data is None:
            return self
        paths = (data,) if isinstance(data, str | bytes) or hasattr(data, "__fspath__") else data
        return replace(self, data=tuple(str(path) for path in paths))

    @contextlib.contextmanager
    def applied(self) -> Iterator[Settings]:
        """Yield these settings in force for the readers, the trust layer and the cache."""
        from korus import cache, engine, trust
        from korus.readers.common import ENCODING, SHEET

        tokens = (
            ENCODING.set(self.encoding),
            SHEET.set(self.sheet),
            trust.RULES.set(trust.Rules(dedupe=self.dedupe)),
            engine.ENGINE.set(engine.Choice(self.engine, self.scheduler)),
        )
        cached = cache.is_enabled()
        if not self.cache:
            cache.set_enabled(False)
        try:
            yield self
        finally:
            ENCODING.reset(tokens[0])
            SHEET.reset(tokens[1])
            trust.RULES.reset(tokens[2])
            engine.ENGINE.reset(tokens[3])
            if not self.cache:
                cache.set_enabled(cached)
