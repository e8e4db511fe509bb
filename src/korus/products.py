"""Products: HS chapter names (sections, headings and named sectors come later)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

# Chapters outside the HS nomenclature that agencies use for special provisions.
SPECIAL_CHAPTERS = {
    "77": "Reserved for possible future use in the HS",
    "98": "Special classification provisions (national)",
    "99": "Special transactions and commodities not classified by kind (national)",
}


@cache
def _chapters() -> dict[str, str]:
    table = files("korus") / "tables" / "hs_chapters.csv"
    with table.open(encoding="utf-8") as handle:
        return {row["chapter"]: row["name"] for row in csv.DictReader(handle)}


def chapter_name(code: str) -> str:
    """Return the name of an HS chapter ("87" -> "Vehicles; other than railway..."), or ""."""
    return _chapters().get(code) or SPECIAL_CHAPTERS.get(code, "")
