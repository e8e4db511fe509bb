"""A generated multi-year trade panel in korus's tidy CSV, one file a year, for the tests of
stores and engines: four reporters trading with each other and the World, twelve HS
chapters, whole years 2014-2017 and the months of 2018. Seeded: the same figures every run.
"""

from __future__ import annotations

from pathlib import Path

COUNTRIES = ("USA", "KOR", "CHN", "DEU")
CHAPTERS = tuple(f"{number:02d}" for number in (1, 2, 3, 27, 30, 39, 61, 72, 84, 85, 87, 90))
YEARS = (2014, 2015, 2016, 2017)
MONTHLY_YEAR = 2018
HEADER = "year,month,reporter,partner,flow,product,classification,value_usd,source,basis,vintage"


def write_panel(folder: Path, seed: int = 20161) -> list[Path]:
    """Write the panel's files into ``folder`` (made); return their paths."""
    import numpy as np

    random = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in (*YEARS, MONTHLY_YEAR):
        months = range(1, 13) if year == MONTHLY_YEAR else [None]
        lines = [HEADER]
        for reporter in COUNTRIES:
            for flow in ("export", "import"):
                for month in months:
                    world = {}
                    for partner in COUNTRIES:
                        if partner == reporter:
                            continue
                        for chapter in CHAPTERS:
                            cents = int(random.integers(1, 5_000_000_000))
                            world[chapter] = world.get(chapter, 0) + cents
                            lines.append(
                                _line(year, month, reporter, partner, flow, chapter, cents)
                            )
                    # The World is more than the three partners: others trade too.
                    for chapter, cents in world.items():
                        lines.append(_line(year, month, reporter, "WLD", flow, chapter, cents * 2))
        path = folder / f"panel-{year}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _line(year, month, reporter, partner, flow, chapter, cents) -> str:
    basis = "FOB" if flow == "export" else "CIF"
    month_text = "" if month is None else str(month)
    return (
        f"{year},{month_text},{reporter},{partner},{flow},{chapter},HS2012,"
        f"{cents // 100}.{cents % 100:02d},Generated panel,{basis},2025-01"
    )
