"""What the cache tests share: BACI years written by the tests, a cache folder of each
test's own, reading as the command line does, and the figures of a reading."""

from __future__ import annotations

import os
import random
from pathlib import Path

from korus import cache, readers
from korus.readers import baci, baci_parse, baci_years

COUNTRIES = """\
country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha
156,China,China,CN,CHN
251,France,France,FR,FRA
276,Germany,Germany,DE,DEU
392,Japan,Japan,JP,JPN
410,Rep. of Korea,Republic of Korea,KR,KOR
490,"Other Asia, nes","Other Asia, not elsewhere specified",N/A,N/A
516,Namibia,Namibia,,NAM
842,USA,"USA, Puerto Rico and US Virgin Islands",US,USA
"""
CODES = [156, 251, 276, 392, 410, 490, 516, 842]
PAIR = ("USA", "KOR")


def make_year(
    folder: Path,
    year: int = 2020,
    *,
    shuffle: bool = False,
    seed: int = 7,
    extra: tuple[str, ...] = (),
    products: int = 25,
) -> Path:
    """A BACI year of every ordered pair of 8 countries, in BACI's order (exporter, importer,
    product) unless ``shuffle``; some product codes start with 0 and a few lost it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "country_codes_V202301.csv").write_text(COUNTRIES)
    lines = []
    for exporter in CODES:
        for importer in CODES:
            if exporter == importer:
                continue
            chosen = sorted(rng.sample(range(1, 98), k=products // 5))
            for chapter in chosen:
                for rest in sorted(rng.sample(range(10_000), k=5)):
                    code = f"{chapter:02d}{rest:04d}"
                    if code.startswith("0") and rng.random() < 0.1:
                        code = code[1:]  # a code that lost its leading zero
                    value = f"{rng.randrange(1, 10**7) / 1000:.3f}"
                    quantity = rng.choice(["", "  NA", "           NA", "12.5"])
                    lines.append(f"{year},{exporter},{importer},{code},{value},{quantity}")
    lines.extend(extra)
    if shuffle:
        rng.shuffle(lines)
    path = folder / f"BACI_HS92_Y{year}_V202301.csv"
    path.write_text("t,i,j,k,v,q\n" + "\n".join(lines) + "\n")
    return path


def read(path: Path, pair=PAIR):
    """Read a file (the pair only, or all of it with pair=None); wait for its cache (written
    in a thread, or asked for and then written here, as the command line has it written in
    the background)."""
    try:
        return baci.read(path) if pair is None else baci.scan(path, pair)
    finally:  # also after an error in the question: the command line does the same
        cache.wait()
        cache.launch(background=False)


def totals(reading) -> tuple[float, float]:
    frame = reading.frame
    usa = frame[(frame["reporter"] == "USA") & (frame["partner"] == "KOR")]
    by_flow = usa.groupby("flow")["value_usd"].sum()
    return round(by_flow["export"], 2), round(by_flow["import"], 2)


def from_cache(reading) -> bool:
    return any("read from korus's cache" in note for note in reading.accounting[0].notes)


def entry_of(path: Path) -> cache.Hit | None:
    """The valid cache entry of a BACI file, as a read finds it (with its code lists)."""
    return cache.find(path, "baci", baci.cache_companions)


def same_size_other_values(path: Path) -> None:
    """Change the values of a file without changing its size or modification time."""
    stat = path.stat()
    shift = str.maketrans("123456789", "234567891")
    header, *rows = path.read_text().split("\n")
    changed = [header]
    for row in rows:
        cells = row.split(",")
        if len(cells) == 6:
            cells[4] = cells[4].translate(shift)
        changed.append(",".join(cells))
    path.write_text("\n".join(changed))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def own_cache(tmp_path: Path, monkeypatch) -> Path:
    """A cache folder of the test's own, caching every file, in row groups of 64 rows."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KORUS_CACHE_DIR", str(folder))
    monkeypatch.delenv("KORUS_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "_enabled", None)
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    monkeypatch.setattr(baci_parse, "CACHE_ROW_GROUP", 64)
    monkeypatch.setattr(baci_parse, "PARTS_FROM", 2000)  # in parts when the machine has cores
    monkeypatch.setattr(cache, "_requested", [])
    monkeypatch.setattr(cache, "_requested_groups", [])
    monkeypatch.setattr(baci_years, "GROUP_ROW_GROUP", 256)
    monkeypatch.setattr(baci_years, "GROUP_BUCKET", 1000)  # years merged a thousand rows at a time
    return folder


def csv_totals(path: Path, exporter: int = 842, importer: int = 410) -> tuple[float, float]:
    """The pair's (export, import) in US dollars, added up from the CSV's own lines: what
    ``totals`` of a reading must give, worked out without korus."""
    dollars = {(exporter, importer): 0, (importer, exporter): 0}
    for line in path.read_text().splitlines()[1:]:
        _, i, j, _, value, _ = line.split(",")
        if (int(i), int(j)) in dollars:  # v is in thousands of dollars, to the dollar
            thousands, _, rest = value.partition(".")
            dollars[int(i), int(j)] += int(thousands) * 1000 + int(rest.ljust(3, "0"))
    return float(dollars[exporter, importer]), float(dollars[importer, exporter])


def together(reading) -> bool:
    notes = [" ".join(account.notes) for account in reading.accounting]
    return all("cache of the folder's files, kept together" in note for note in notes)


def ask(paths, *, one_side: bool = False):
    """Ask a question of several files as the command line does: entries asked for are
    written after the answer (here, in this process)."""
    cache.defer(True)
    try:
        return readers.load(paths, pair=PAIR, one_side=one_side)
    finally:
        cache.defer(False)
        cache.wait()
        cache.launch(background=False)


def years_folder(tmp_path, years=(2017, 2018, 2019, 2020)) -> tuple[Path, list[Path]]:
    folder = tmp_path / "years"
    return folder, [make_year(folder, year, seed=year, products=50) for year in years]
