"""Errors korus raises for bad input or impossible questions.

No click here: the CLI turns a KorusError into one ``Error: ...`` line and exit 1.
"""

from __future__ import annotations


class KorusError(Exception):
    """A problem with the user's data or question, explained for a person."""


class DataFileError(KorusError):
    """A file that cannot be read as trade data (names the file, row, column or value)."""


class UnknownCountryError(KorusError):
    """A reporter or partner that no code table or name list knows."""


class DataCoverageError(KorusError):
    """A question about years, months, partners or products the data does not hold."""


class MixedSourcesError(KorusError):
    """Figures from different sources or valuation bases would be combined."""


class CacheWriteError(KorusError):
    """korus's cache folder cannot be written: read-only, full, or a file in the way."""
