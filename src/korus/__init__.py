"""korus: bilateral trade statistics you can defend.

The Python API (see ``korus.api``): ``korus.load(...)`` gives a canonical frame with its
accounting; ``korus.deficit``, ``growth``, ``sectors``, ``partners``, ``mirror`` and
``check`` answer the command line's questions as pandas DataFrames with their provenance;
``korus.ingest`` reads files into a store; ``korus.Settings`` holds the reading rules;
errors are ``korus.KorusError`` subclasses. See docs/api.md.
Importing korus stays cheap: pandas is loaded by the first question.
"""

from korus.errors import (
    DataCoverageError,
    DataFileError,
    KorusError,
    MixedSourcesError,
    UnknownCountryError,
)

__version__ = "0.1.0"

_API = ("load", "deficit", "growth", "sectors", "partners", "mirror", "check", "ingest")

__all__ = [
    *_API,
    "Settings",
    "KorusError",
    "DataFileError",
    "DataCoverageError",
    "MixedSourcesError",
    "UnknownCountryError",
    "__version__",
]


def __getattr__(name: str):
    # The API's functions are found on first use, so `import korus` imports no pandas.
    if name in _API:
        from korus import api

        return getattr(api, name)
    if name == "Settings":
        from korus.settings import Settings

        return Settings
    raise AttributeError(f"module 'korus' has no attribute {name!r}")
