"""Products: the HS hierarchy, Census end-use categories and named sectors, with their names.

A :class:`Grouping` says how product codes roll up into the groups a table shows: HS
chapters, sections or headings; end-use categories at 1 to 5 digits; or named sectors
(korus's own ``tables/sectors.toml`` or the user's file). Pure lookups, no pandas.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from korus.errors import DataCoverageError, KorusError

HS = "HS"
ENDUSE = "Census end-use"
BY = ("chapter", "section", "heading", "enduse", "sector")

# Chapters outside the HS nomenclature that agencies use for special provisions.
SPECIAL_CHAPTERS = {
    "77": "Reserved for possible future use in the HS",
    "98": "Special classification provisions (national)",
    "99": "Special transactions and commodities not classified by kind (national)",
}


def _table(name: str) -> list[dict[str, str]]:
    resource = files("korus") / "tables" / name
    if not resource.is_file():
        return []
    with resource.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@cache
def _chapters() -> dict[str, tuple[str, str]]:
    return {row["chapter"]: (row["section"], row["name"]) for row in _table("hs_chapters.csv")}


@cache
def _sections() -> dict[str, str]:
    return {row["section"]: row["name"] for row in _table("hs_sections.csv")}


@cache
def _headings() -> dict[str, str]:
    return {row["heading"]: row["name"] for row in _table("hs_headings.csv")}


@cache
def _enduse(flow: str) -> dict[str, str]:
    return {row["code"]: row["description"] for row in _table(f"enduse_{flow}s.csv")}


def chapter_name(code: str) -> str:
    """Return the name of an HS chapter ("87" -> "Vehicles; other than railway..."), or ""."""
    found = _chapters().get(code)
    return found[1] if found else SPECIAL_CHAPTERS.get(code, "")


def section_of(chapter: str) -> str | None:
    """Return the HS section (Roman numeral) of a chapter, or None for 77/98/99."""
    found = _chapters().get(chapter)
    return found[0] if found and found[0] in _sections() else None


def section_name(section: str) -> str:
    return _sections().get(section, "")


def heading_name(code: str) -> str:
    return _headings().get(code, "")


def _plain_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _same_enduse_name(code: str) -> bool:
    exported, imported = _enduse("export").get(code), _enduse("import").get(code)
    return bool(exported and imported) and _plain_name(exported) == _plain_name(imported)


def enduse_name(code: str, flow: str = "export") -> str:
    """Return the Census end-use name of a code; 5-digit lists differ for exports and imports."""
    names = _enduse("import" if flow == "import" else "export")
    return names.get(code) or _enduse("export").get(code) or _enduse("import").get(code, "")


@dataclass(frozen=True)
class Sector:
    key: str
    name: str
    hs: tuple[str, ...] = ()
    enduse: tuple[str, ...] = ()


def _parse_range(text: str, where: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(text))
    if not match or (match.group(2) and len(match.group(2)) != len(match.group(1))):
        raise KorusError(f"{where}: {text!r} is not a code or a range of codes of one length")
    return match.group(1), match.group(2) or match.group(1)


def load_sectors(path: Path | None = None) -> list[Sector]:
    """Return the named sectors of a TOML file (korus's own when ``path`` is None)."""
    where = str(path) if path else "korus sectors.toml"
    try:
        if path is None:
            text = (files("korus") / "tables" / "sectors.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except FileNotFoundError:
        raise KorusError(f"{where}: no such sectors file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KorusError(f"{where}: not a valid TOML sectors file ({exc})") from None
    sectors = []
    for key, spec in table.items():
        if not isinstance(spec, dict) or not ({"hs", "enduse"} & set(spec)):
            raise KorusError(f"{where}: sector [{key}] needs a list 'hs' or 'enduse' of codes")
        for family in ("hs", "enduse"):
            for code in spec.get(family, []):
                _parse_range(code, f"{where}: sector [{key}] {family}")
        sectors.append(
            Sector(
                key,
                str(spec.get("name", key)),
                tuple(str(c) for c in spec.get("hs", [])),
                tuple(str(c) for c in spec.get("enduse", [])),
            )
        )
    return sectors


def _in_ranges(code: str, ranges: Iterable[str]) -> bool:
    for spec in ranges:
        low, high = _parse_range(spec, "sector")
        if low <= code[: len(low)] <= high:
            return True
    return False


@dataclass
class Grouping:
    """How product codes roll up into the groups of a table."""

    by: str
    family: str  # HS or Census end-use
    level: int | None = None  # end-use digits
    sectors: list[Sector] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flow: str | None = None  # exports, imports or balance: end-use codes differ by flow

    def matches(self, classification: str) -> bool:
        """Return whether rows of this classification are products this grouping reads."""
        if self.family == HS:
            return classification.startswith(("HS", "HTS"))
        return classification == ENDUSE

    def members(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        """Return (product code, group) pairs; a product may sit in several sectors."""
        codes = sorted(set(codes))
        width = max((len(c) for c in codes), default=0)
        pairs: list[tuple[str, str]] = []
        if self.by == "chapter":
            pairs = [(c, c[:2]) for c in codes]
        elif self.by == "heading":
            self._need(width, 4, "HS headings")
            pairs = [(c, c[:4]) for c in codes]
        elif self.by == "section":
            pairs = [(c, section_of(c[:2]) or f"chapter {c[:2]}") for c in codes]
        elif self.by == "enduse":
            level = self.level or 1
            self._need(width, level, f"{level}-digit end-use categories")
            pairs = [(c, self._enduse_group(c, level)) for c in codes]
        else:
            for sector in self.sectors:
                ranges = sector.hs if self.family == HS else sector.enduse
                if not ranges:
                    continue
                needed = max(len(_parse_range(r, "sector")[0]) for r in ranges)
                if width < needed:
                    self.notes.append(
                        f"{sector.name}: needs {needed}-digit {self.family} codes; "
                        f"the data has {width} digits, so it is not shown"
                    )
                    continue
                pairs += [(c, sector.key) for c in codes if _in_ranges(c, ranges)]
        return pairs

    def _enduse_group(self, code: str, level: int) -> str:
        # Census's export and import end-use lists share the six principal categories
        # (exports' 6, minimum-value and miscellaneous shipments, is part of "other goods",
        # imports' 5) but not every 5-digit code: export 00000 is wheat, import 00000 green
        # coffee. A balance per code is only meaningful where both lists name the code
        # alike; the rest are kept together under their category, so totals still add up.
        category = "5" if code[0] == "6" else code[0]
        if level == 1:
            return category
        if self.flow == "balance" and not _same_enduse_name(code):
            return f"{category} other"
        return code[:level]

    def _need(self, width: int, digits: int, what: str) -> None:
        if width < digits:
            raise DataCoverageError(
                f"{what} need product codes of {digits} digits; the data has {width}"
            )

    def name(self, group: str, flow: str = "export") -> str:
        """Return the display name of a group."""
        if self.by == "chapter":
            return chapter_name(group)
        if self.by == "heading":
            return heading_name(group)
        if self.by == "section":
            return (
                section_name(group) if not group.startswith("chapter") else chapter_name(group[-2:])
            )
        if self.by == "enduse":
            if group.endswith(" other"):
                return (
                    f"{enduse_name(group[0], flow)}: codes that the export and import "
                    "lists name differently"
                )
            if group == "5" and self.flow != "imports":
                return "Other goods (military, minimum-value and miscellaneous shipments)"
            return enduse_name(group, flow)
        sector = next((s for s in self.sectors if s.key == group), None)
        if sector is None:
            return group
        codes = sector.hs if self.family == HS else sector.enduse
        label = "HS" if self.family == HS else "end-use"
        return f"{sector.name} ({label} {', '.join(codes)})"


def grouping(
    by: str,
    level: int | None = None,
    sectors_file: Path | None = None,
    flow: str | None = None,
    family: str = HS,
) -> Grouping:
    """Return the grouping for ``korus sectors --by``; named sectors in ``family``'s codes."""
    if by == "enduse":
        if level is not None and level not in (1, 5):
            raise KorusError(f"end-use level {level}: give 1 (categories) or 5 (codes)")
        return Grouping(by, ENDUSE, level or 1, flow=flow)
    if by == "sector":
        return Grouping(by, family, sectors=load_sectors(sectors_file), flow=flow)
    return Grouping(by, HS, flow=flow)


def family_of(classifications: Iterable[str]) -> str:
    """Return the product family a frame's classifications belong to: HS first."""
    values = set(classifications)
    if any(str(v).startswith(("HS", "HTS")) for v in values):
        return HS
    return ENDUSE if ENDUSE in values else HS
