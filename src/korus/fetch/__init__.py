"""Today's figures from the agencies' APIs: the US Census Bureau's international trade API
and UN Comtrade+.

``korus fetch`` writes each API's own answer in the layout korus already reads (a Census
API JSON array of arrays; a Comtrade+ JSON answer) and, beside it, a record of how it was
fetched (``FILE.korus.json``: the requests with their keys left out, when, from where) that
the readers turn into the vintage.

- ``http``: one GET with a timeout, no redirect followed, a rate limit waited out a bounded
  number of times; every network failure a ``FetchError`` naming the cause and the fix.
- ``census``, ``comtrade``: the requests a question takes (exact URLs from korus's country
  codes), each answer checked (HTML, a refused key, nothing published, a capped or cut
  answer), and the rows that are not the detail asked for (a breakdown, a coarser
  level, a country grouping) set aside and counted, never summed.
- ``parts``: a long fetch in parts, each written atomically in a folder beside the
  output; a second run fetches only the parts that are missing.
- ``sidecar``: the record beside the output, and the vintage the readers take from it.
- ``run``: the command's work, from the question to the files written.

Nothing here is imported by ``korus --help``: the command imports it when it runs.
"""

from __future__ import annotations

from korus.errors import KorusError


class FetchError(KorusError):
    """An API that did not answer with the data asked for: the cause and the fix, one line,
    never a key."""


class CappedAnswer(Exception):
    """An answer that holds as many records as the API gives in one call: probably cut
    short. The request is split and asked again, or refused."""

    def __init__(self, records: int) -> None:
        super().__init__(f"{records} records")
        self.records = records
