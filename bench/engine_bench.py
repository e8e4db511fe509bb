"""Benchmark korus's questions over every large layout against DuckDB and Polars.

One question a layout, each asked of korus through its command line and of DuckDB and
Polars over the same file; every answer is checked to the cent against DuckDB's exact
decimals. Each case is a separate process, one run of each in turn, median of ``--runs``:

1. BACI year (11 million rows): ``korus partners --reporter USA --year 2021 --by total``,
   first read and later question, against DuckDB over the CSV and a Parquet copy, Polars,
   ``import pandas``, and ``import pandas`` plus DuckDB over the Parquet copy;
2. UN Comtrade+ HS6 answer (CSV of the API's 47 fields, 1 million rows): ``korus deficit
   --partner KOR --years 2016``, first read and again;
3. US imports by partner, HS6 and month (1 million rows), as a Census API answer saved as
   CSV (``korus growth --flow imports --years 2015-2016``) and as a DataWeb CSV in the long
   layout (``korus partners --year 2016 --by imports``), first read and again;
4. the BACI pair question (``korus deficit --years 2021``) and a folder of 30 BACI years,
   first read and later question;
5. ``korus deficit`` on the shipped data and ``korus --help``, against ``import pandas``;
6. whole-panel questions over the BACI year (``korus world --year 2021``, every reporter's
   exports by HS chapter; ``korus mirror --gaps --reporter USA``), cache written, against
   DuckDB over the CSV and the Parquet copy; the same two over the folder of years (its
   last year asked), against DuckDB over its CSVs.

    python bench/engine_bench.py run [--runs 5] [--quick] [--work DIR]
    python bench/engine_bench.py generate comtrade|census|dataweb --rows N --out FILE

See bench/README.md. Needs duckdb and polars beside korus (never korus dependencies).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import baci_bench as baci

KOR_COMTRADE, KOR_CENSUS = 410, "5800"
BACI_YEAR = baci.YEAR
COMTRADE_YEARS = (2015, 2016)
US_YEARS = (2015, 2016)

# ------------------------------------------------------------------------ the world

# Census Schedule C codes of the partners of the generated US imports, with the Census
# name (the API's CTY_NAME is it in capitals; DataWeb's Country column is it as written)
# and the ISO code korus should give them.
CENSUS_PARTNERS = [
    ("1220", "Canada", "CAN"),
    ("2010", "Mexico", "MEX"),
    ("2050", "Guatemala", "GTM"),
    ("2110", "El Salvador", "SLV"),
    ("2150", "Honduras", "HND"),
    ("2190", "Nicaragua", "NIC"),
    ("2230", "Costa Rica", "CRI"),
    ("2250", "Panama", "PAN"),
    ("2360", "Bahamas", "BHS"),
    ("2410", "Jamaica", "JAM"),
    ("2450", "Haiti", "HTI"),
    ("2470", "Dominican Republic", "DOM"),
    ("2740", "Trinidad and Tobago", "TTO"),
    ("3010", "Colombia", "COL"),
    ("3070", "Venezuela", "VEN"),
    ("3310", "Ecuador", "ECU"),
    ("3330", "Peru", "PER"),
    ("3350", "Bolivia", "BOL"),
    ("3370", "Chile", "CHL"),
    ("3510", "Brazil", "BRA"),
    ("3530", "Paraguay", "PRY"),
    ("3550", "Uruguay", "URY"),
    ("3570", "Argentina", "ARG"),
    ("4000", "Iceland", "ISL"),
    ("4010", "Sweden", "SWE"),
    ("4039", "Norway", "NOR"),
    ("4050", "Finland", "FIN"),
    ("4099", "Denmark", "DNK"),
    ("4120", "United Kingdom", "GBR"),
    ("4190", "Ireland", "IRL"),
    ("4210", "Netherlands", "NLD"),
    ("4231", "Belgium", "BEL"),
    ("4239", "Luxembourg", "LUX"),
    ("4279", "France", "FRA"),
    ("4280", "Germany", "DEU"),
    ("4330", "Austria", "AUT"),
    ("4351", "Czech Republic", "CZE"),
    ("4359", "Slovakia", "SVK"),
    ("4370", "Hungary", "HUN"),
    ("4419", "Switzerland", "CHE"),
    ("4470", "Estonia", "EST"),
    ("4490", "Latvia", "LVA"),
    ("4510", "Lithuania", "LTU"),
    ("4550", "Poland", "POL"),
    ("4621", "Russia", "RUS"),
    ("4622", "Belarus", "BLR"),
    ("4623", "Ukraine", "UKR"),
    ("4633", "Georgia", "GEO"),
    ("4634", "Kazakhstan", "KAZ"),
    ("4700", "Spain", "ESP"),
    ("4710", "Portugal", "PRT"),
    ("4730", "Malta", "MLT"),
    ("4759", "Italy", "ITA"),
    ("4791", "Croatia", "HRV"),
    ("4792", "Slovenia", "SVN"),
    ("4810", "Albania", "ALB"),
    ("4840", "Greece", "GRC"),
    ("4850", "Romania", "ROU"),
    ("4870", "Bulgaria", "BGR"),
    ("4890", "Turkey", "TUR"),
    ("4910", "Cyprus", "CYP"),
    ("5040", "Lebanon", "LBN"),
    ("5050", "Iraq", "IRQ"),
    ("5080", "Israel", "ISR"),
    ("5110", "Jordan", "JOR"),
    ("5130", "Kuwait", "KWT"),
    ("5170", "Saudi Arabia", "SAU"),
    ("5180", "Qatar", "QAT"),
    ("5200", "United Arab Emirates", "ARE"),
    ("5230", "Oman", "OMN"),
    ("5250", "Bahrain", "BHR"),
    ("5330", "India", "IND"),
    ("5350", "Pakistan", "PAK"),
    ("5360", "Nepal", "NPL"),
    ("5380", "Bangladesh", "BGD"),
    ("5420", "Sri Lanka", "LKA"),
    ("5460", "Burma", "MMR"),
    ("5490", "Thailand", "THA"),
    ("5520", "Vietnam", "VNM"),
    ("5550", "Cambodia", "KHM"),
    ("5570", "Malaysia", "MYS"),
    ("5590", "Singapore", "SGP"),
    ("5600", "Indonesia", "IDN"),
    ("5650", "Philippines", "PHL"),
    ("5660", "Macau", "MAC"),
    ("5700", "China", "CHN"),
    ("5740", "Mongolia", "MNG"),
    ("5800", "Korea, South", "KOR"),
    ("5820", "Hong Kong", "HKG"),
    ("5830", "Taiwan", "TWN"),
    ("5880", "Japan", "JPN"),
    ("6021", "Australia", "AUS"),
    ("6040", "Papua New Guinea", "PNG"),
    ("6141", "New Zealand", "NZL"),
    ("6863", "Fiji", "FJI"),
    ("7140", "Morocco", "MAR"),
    ("7210", "Algeria", "DZA"),
    ("7230", "Tunisia", "TUN"),
    ("7290", "Egypt", "EGY"),
    ("7420", "Cameroon", "CMR"),
    ("7440", "Senegal", "SEN"),
    ("7480", "Cote d'Ivoire", "CIV"),
    ("7490", "Ghana", "GHA"),
    ("7530", "Nigeria", "NGA"),
    ("7550", "Gabon", "GAB"),
    ("7620", "Angola", "AGO"),
    ("7740", "Ethiopia", "ETH"),
    ("7790", "Kenya", "KEN"),
    ("7830", "Tanzania", "TZA"),
    ("7850", "Mauritius", "MUS"),
    ("7910", "South Africa", "ZAF"),
    ("7920", "Namibia", "NAM"),
    ("7930", "Botswana", "BWA"),
]

# The generated product descriptions: goods and what a subheading says of them, in the
# HS's shape ("Meat of bovine animals; frozen, boneless"), not its text.
_GOODS = (
    ("meat of bovine animals", ("fresh or chilled", "frozen", "boneless", "carcasses")),
    ("fish fillets", ("fresh or chilled", "frozen", "of salmon", "of cod")),
    ("cheese and curd", ("grated or powdered", "processed", "fresh")),
    ("cut flowers and flower buds", ("roses", "carnations", "fresh", "dried")),
    ("coffee", ("not roasted", "roasted, not decaffeinated", "decaffeinated")),
    ("rice", ("in the husk", "husked (brown)", "broken")),
    ("soya-bean oil", ("crude", "refined, not chemically modified")),
    ("cane or beet sugar", ("raw", "refined, containing added flavouring")),
    ("wine of fresh grapes", ("sparkling", "in containers holding 2 litres or less")),
    ("petroleum oils", ("crude", "light oils and preparations", "waste oils")),
    ("medicaments", ("containing penicillins", "containing insulin", "for retail sale")),
    ("tubes, pipes and hoses", ("of plastics", "rigid", "of vulcanised rubber")),
    ("new pneumatic tyres", ("of rubber", "of a kind used on motor cars", "on buses")),
    ("plywood", ("of tropical wood", "with at least one outer ply of bamboo")),
    ("paper and paperboard", ("uncoated", "in rolls or sheets", "coated with kaolin")),
    ("woven fabrics of cotton", ("unbleached", "bleached", "printed", "of yarns of colours")),
    ("men's or boys' suits", ("of wool", "of synthetic fibres", "knitted or crocheted")),
    ("footwear", ("with outer soles of rubber", "with uppers of leather", "sports")),
    ("flat-rolled products of iron", ("of a width of 600mm or more", "hot-rolled", "plated")),
    ("wire of copper", ("of refined copper", "of copper alloys")),
    ("aluminium foil", ("not backed", "backed", "of a thickness not exceeding 0.2mm")),
    ("turbo-jets", ("of a thrust not exceeding 25kN", "parts")),
    ("pumps for liquids", ("fuel, lubricating or cooling medium pumps", "centrifugal")),
    ("taps, cocks and valves", ("pressure-reducing valves", "check valves", "parts")),
    ("ball or roller bearings", ("ball bearings", "tapered roller bearings", "parts")),
    ("electric motors and generators", ("of an output not exceeding 37.5W", "AC, multi-phase")),
    ("static converters", ("for automatic data-processing machines", "other")),
    ("telephone sets", ("for cellular networks", "line telephone sets with cordless handsets")),
    ("electronic integrated circuits", ("processors and controllers", "memories", "amplifiers")),
    ("insulated wire and cable", ("winding wire of copper", "co-axial cable", "optical fibre")),
    ("motor cars", ("with a cylinder capacity exceeding 1,500cc", "electric", "hybrid")),
    ("parts and accessories of motor vehicles", ("bumpers", "brakes", "gear boxes")),
    ("instruments for measuring or checking", ("electronic", "for liquids or gases", "parts")),
    ("seats", ("of a kind used for aircraft", "with wooden frames, upholstered", "parts")),
    ("toys", ("dolls", "puzzles", "electric trains", "other")),
)


def _descriptions(rng, products: list[str]) -> dict[str, str]:
    """Return a description of each HS6 code: "Goods; what the subheading says"."""
    found = {}
    for code in products:
        goods, states = _GOODS[int(rng.integers(len(_GOODS)))]
        state = states[int(rng.integers(len(states)))]
        found[code] = f"{goods[0].upper()}{goods[1:]}; {state}"
    return found


def _short(description: str) -> str:
    """The Census short description of a product: capitals, at most 50 characters."""
    return description.upper().replace(";", ",")[:50].rstrip(" ,")


def _counts(weights, cap: int, rows: float):
    """Return each weight's whole number of items, at most ``cap``, adding up to about
    ``rows`` (a scale found by bisection)."""
    import numpy as np

    low, high = 0.0, 1e9
    for _ in range(100):
        scale = (low + high) / 2
        total = np.minimum(cap, np.floor(weights * scale)).sum()
        low, high = (scale, high) if total < rows else (low, scale)
    return np.minimum(cap, np.floor(weights * high)).astype(np.int64)


def _weights(rng, count: int, large: int, rank: int):
    """Return gravity weights of ``count`` partners, the one at index ``large`` placed at
    ``rank`` among them (Korea is among the largest US partners)."""
    import numpy as np

    weights = rng.lognormal(0.0, 1.3, count)
    order = np.argsort(-weights)
    there = order[rank]
    weights[large], weights[there] = weights[there], weights[large]
    return weights


def _cents_text(cents) -> list[str]:
    """Whole cents as dollars: "1234" for a whole dollar, else "12.34"."""
    return [f"{c // 100}" if c % 100 == 0 else f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


# --------------------------------------------------------------------------- Comtrade+

# The API's fields in its order: the header of its answer saved as CSV.
COMTRADE_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,"
    "reporterDesc,flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,"
    "partner2ISO,partner2Desc,classificationCode,classificationSearchCode,"
    "isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,customsDesc,"
    "mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,"
    "altQtyUnitAbbr,altQty,isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,"
    "isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,legacyEstimationFlag,isReported,"
    "isAggregate"
)
COMTRADE_FIELDS = COMTRADE_HEADER.split(",")
COMTRADE_FLOWS = (("M", "Import"), ("X", "Export"))
# What every row of the answer gives alike: annual aggregate rows of HS6 goods, the USA
# reporting (the fields not named are per row, or blank).
COMTRADE_ALIKE = {
    "typeCode": "C",
    "freqCode": "A",
    "refMonth": 52,
    "reporterCode": baci.USA,
    "reporterISO": "USA",
    "reporterDesc": "USA",
    "partner2Code": 0,
    "partner2ISO": "W00",
    "partner2Desc": "World",
    "classificationSearchCode": "HS",
    "isOriginalClassification": "true",
    "aggrLevel": 6,
    "isLeaf": "true",
    "customsCode": "C00",
    "customsDesc": "TOTAL CPC",
    "mosCode": 0,
    "motCode": 0,
    "motDesc": "TOTAL MOT",
    "isQtyEstimated": "false",
    "altQtyUnitCode": -1,
    "altQtyUnitAbbr": "N/A",
    "isAltQtyEstimated": "false",
    "isNetWgtEstimated": "false",
    "isGrossWgtEstimated": "false",
    "legacyEstimationFlag": 0,
    "isReported": "true",
    "isAggregate": "false",
}


def generate_comtrade(path: Path, rows: int, seed: int = 11) -> Path:
    """Write a UN Comtrade+ answer as CSV: the USA's HS6 trade with every partner, both
    flows, ``COMTRADE_YEARS`` annual, about ``rows`` rows.

    The API's 47 fields in its order, one aggregate row per figure (partner2Code 0, motCode
    0, customsCode C00, mosCode 0), ``cmdCode`` as text with its leading zero, values in US
    dollars (whole dollars "1234", else with cents "1234.56"); a quantity in kilograms, or
    none (unit -1, "N/A") for one row in three.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    products = baci._products(np.random.default_rng(seed * 7919 + 1))
    described = _descriptions(rng, products)
    partners = [c for c in baci._countries() if c[0] != baci.USA]
    korea = [code for code, _, _ in partners].index(KOR_COMTRADE)
    weights = _weights(rng, len(partners), korea, 5)
    series = [(year, flow) for year in COMTRADE_YEARS for flow in COMTRADE_FLOWS]
    # Each year and flow its own draw of the same partners' sizes.
    sizes = np.concatenate([weights * rng.lognormal(0.0, 0.2, len(weights)) for _ in series])
    counts = _counts(sizes, len(products), rows).reshape(len(series), len(partners))
    field = {name: at for at, name in enumerate(COMTRADE_FIELDS)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COMTRADE_FIELDS)
        for (year, (flow, flow_name)), row_counts in zip(series, counts, strict=True):
            for (code, iso3, partner_name), count in zip(partners, row_counts, strict=True):
                if not count:
                    continue
                row = [COMTRADE_ALIKE.get(name, "") for name in COMTRADE_FIELDS]
                for name, given in (
                    ("refPeriodId", f"{year}0101"),
                    ("refYear", year),
                    ("period", year),
                    ("flowCode", flow),
                    ("flowDesc", flow_name),
                    ("partnerCode", code),
                    ("partnerISO", iso3),
                    ("partnerDesc", partner_name),
                    ("classificationCode", "H4" if year < 2017 else "H5"),
                ):
                    row[field[name]] = given
                chosen = np.sort(rng.choice(len(products), int(count), replace=False))
                cents = np.maximum(100, np.round(rng.lognormal(10.0, 2.6, count) * 100))
                cents = cents.astype(np.int64)
                cents = np.where(rng.random(count) < 0.7, cents // 100 * 100, cents)
                values = _cents_text(cents)
                weight = np.maximum(1, np.round(cents / 100 / rng.lognormal(1.5, 1.0, count)))
                weighed = rng.random(count) < 2 / 3
                kilos_text = [
                    str(int(w)) if known else ""
                    for w, known in zip(weight.tolist(), weighed.tolist(), strict=True)
                ]
                for at, value, kilos in zip(chosen.tolist(), values, kilos_text, strict=True):
                    product = products[at]
                    row[field["cmdCode"]], row[field["cmdDesc"]] = product, described[product]
                    row[field["qtyUnitCode"]], row[field["qtyUnitAbbr"]] = (
                        (8, "kg") if kilos else (-1, "N/A")
                    )
                    row[field["qty"]] = row[field["netWgt"]] = kilos
                    row[field["primaryValue"]] = value
                    row[field["cifvalue" if flow == "M" else "fobvalue"]] = value
                    writer.writerow(row)
    return path


# ------------------------------------------------------------- US imports (Census, DataWeb)


def _us_imports(rows: int, seed: int):
    """Yield (year, month, Census code, Census name, HS6, description, US dollars) of US
    general imports by partner, HS6 and month over ``US_YEARS``, about ``rows`` of them.

    Each partner buys from a pool of products (its size by gravity, at least three) and
    trades each of them in four months of five: a product absent in a month had no trade
    then, as in the API's answers. Every partner trades something every month, as every
    partner of the list does with the USA.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    products = baci._products(np.random.default_rng(seed * 7919 + 1))
    described = _descriptions(rng, products)
    korea = [code for code, _, _ in CENSUS_PARTNERS].index(KOR_CENSUS)
    weights = _weights(rng, len(CENSUS_PARTNERS), korea, 5)
    share = 0.8
    months = len(US_YEARS) * 12
    pools = np.maximum(3, _counts(weights, len(products), rows / (months * share)))
    chosen = [np.sort(rng.choice(len(products), int(n), replace=False)) for n in pools]
    for year in US_YEARS:
        for month in range(1, 13):
            for (code, name, _), pool in zip(CENSUS_PARTNERS, chosen, strict=True):
                traded = rng.random(len(pool)) < share
                traded[int(rng.integers(len(pool)))] = True
                traded = pool[traded]
                values = np.maximum(1, np.round(rng.lognormal(9.0, 2.4, len(traded))))
                for at, value in zip(
                    traded.tolist(), values.astype(np.int64).tolist(), strict=True
                ):
                    product = products[at]
                    yield year, month, code, name, product, described[product], value


def generate_census(path: Path, rows: int, seed: int = 21) -> Path:
    """Write US general imports by partner, HS6 and month as a Census API answer saved as
    CSV: the fields of ``get=CTY_NAME,GEN_VAL_MO,I_COMMODITY,I_COMMODITY_SDESC`` with the
    predicates ``time``, ``COMM_LVL=HS6`` and ``CTY_CODE`` after them, as the API orders
    them; every value a whole number of dollars."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        generate_census_into(handle, rows, seed)
    return path


def generate_census_into(handle, rows: int, seed: int = 21) -> None:
    """Write the rows of ``generate_census`` as CSV to an open text stream."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(
        ["CTY_NAME", "GEN_VAL_MO", "I_COMMODITY", "I_COMMODITY_SDESC", "time", "COMM_LVL"]
        + ["CTY_CODE"]
    )
    for year, month, code, name, product, description, value in _us_imports(rows, seed):
        writer.writerow(
            (
                name.upper(),
                value,
                product,
                _short(description),
                f"{year}-{month:02d}",
                "HS6",
                code,
            )
        )


def generate_census_json(path: Path, rows: int, seed: int = 21) -> Path:
    """Write the rows of ``generate_census`` as the API itself answers them: a JSON array
    of arrays of text, the header first, one array a line, no spaces."""
    text = io.StringIO()
    generate_census_into(text, rows, seed)
    lines = csv.reader(io.StringIO(text.getvalue()))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("[")
        for number, row in enumerate(lines):
            handle.write((",\n" if number else "") + json.dumps(row, separators=(",", ":")))
        handle.write("]")
    return path


DATAWEB_HEADER = ["Data Type", "Country", "HTS Number", "Description", "Year", "Month"]
DATAWEB_HEADER.append("Customs Value")


def generate_dataweb(path: Path, rows: int, seed: int = 21) -> Path:
    """Write the same kind of US imports as a DataWeb CSV in the long layout: the title
    row (trade flow), ``Data Row Count``, the header, one row per country, HTS number and
    month, and the ``Total:`` row of comma-grouped figures under them."""
    lines = list(_us_imports(rows, seed))
    total = sum(line[-1] for line in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        years = ",".join(map(str, US_YEARS))
        writer.writerow([f"General Imports|Monthly data for {years}"] + [""] * 6)
        writer.writerow(["Data Row Count", len(lines)] + [""] * 5)
        writer.writerow(DATAWEB_HEADER)
        for year, month, _, name, product, description, value in lines:
            writer.writerow(
                ("General Customs Value", name, product, description, year, month, f"{value}.00")
            )
        writer.writerow(["Total: ", "", "", "", "", "", f"{total:,}"])
    return path


# ------------------------------------------------------------------------- the answers
#
# Each tool's answer is a JSON object of figures in US dollars, exact decimals as text
# from DuckDB: {"KOR 2016 exports": "1234.5", ...}. Partners are given by the file's own
# code (BACI number, Country name) and turned into korus's codes when the answers are
# compared, outside the timed processes.


def _figures(rows, names: tuple[str, ...]) -> dict[str, str]:
    """Return {"KEY NAME": value} of rows (key, value, value...) under ``names``."""
    found = {}
    for key, *values in rows:
        for name, value in zip(names, values, strict=True):
            if value is not None:
                found[f"{key} {name}"] = str(value)
    return found


def _baci_csv(source: str) -> str:
    if source.endswith(".parquet"):
        return f"read_parquet('{source}')"
    columns = "{'t': 'SMALLINT', 'i': 'SMALLINT', 'j': 'SMALLINT', 'k': 'VARCHAR', "
    columns += "'v': 'DECIMAL(18,3)', 'q': 'VARCHAR'}"
    return f"read_csv('{source}', header = true, columns = {columns})"


def duckdb_baci_partners(source: str) -> dict:
    """USA's exports, imports and total with each partner, by BACI code (thousands x 1000)."""
    import duckdb

    usa = baci.USA
    rows = duckdb.sql(
        f"SELECT CASE WHEN i = {usa} THEN j ELSE i END AS partner, "
        f"sum(v) FILTER (i = {usa}) * 1000, sum(v) FILTER (j = {usa}) * 1000, sum(v) * 1000 "
        f"FROM {_baci_csv(source)} WHERE t = {BACI_YEAR} AND (i = {usa} OR j = {usa}) "
        "GROUP BY partner"
    ).fetchall()
    return _figures(rows, ("exports", "imports", "total"))


def polars_baci_partners(source: str) -> dict:
    import polars as pl

    usa = baci.USA
    types = {"t": pl.Int16, "i": pl.Int16, "j": pl.Int16, "k": pl.String, "v": pl.Float64}
    rows = (
        pl.scan_csv(source, schema_overrides=types | {"q": pl.String})
        .filter((pl.col("t") == BACI_YEAR) & ((pl.col("i") == usa) | (pl.col("j") == usa)))
        .group_by(
            pl.when(pl.col("i") == usa).then(pl.col("j")).otherwise(pl.col("i")).alias("partner")
        )
        .agg(
            (pl.col("v").filter(pl.col("i") == usa).sum() * 1000).alias("exports"),
            (pl.col("v").filter(pl.col("j") == usa).sum() * 1000).alias("imports"),
            (pl.col("v").sum() * 1000).alias("total"),
        )
        .collect()
        .rows()
    )
    return _figures(rows, ("exports", "imports", "total"))


def duckdb_baci_world(source: str) -> dict:
    """The year's world exports by HS chapter: every exporter's, to every importer."""
    import duckdb

    rows = duckdb.sql(
        f"SELECT substr(lpad(k, 6, '0'), 1, 2) AS chapter, sum(v) * 1000 "
        f"FROM {_baci_csv(source)} WHERE t = {BACI_YEAR} GROUP BY chapter"
    ).fetchall()
    return _figures(rows, ("exports",))


def duckdb_baci_gaps(source: str) -> dict:
    """USA's exports to each partner beside the partner's imports from USA: one BACI
    figure, both sides (by BACI code)."""
    import duckdb

    usa = baci.USA
    rows = duckdb.sql(
        f"SELECT j, sum(v) * 1000, sum(v) * 1000 FROM {_baci_csv(source)} "
        f"WHERE t = {BACI_YEAR} AND i = {usa} GROUP BY j"
    ).fetchall()
    return _figures(rows, ("exports", "imports"))


def duckdb_baci_pair(source: str) -> dict:
    """The US-Korea pair of BACI's year: exports, imports and the balance."""
    import duckdb

    usa, kor = baci.USA, baci.KOR
    rows = duckdb.sql(
        f"SELECT t, sum(v) FILTER (i = {usa}) * 1000 AS e, sum(v) FILTER (i = {kor}) * 1000 "
        f"AS m, e - m FROM {_baci_csv(source)} WHERE t = {BACI_YEAR} AND "
        f"((i = {usa} AND j = {kor}) OR (i = {kor} AND j = {usa})) GROUP BY t"
    ).fetchall()
    return _figures(rows, _BALANCE)


def duckdb_baci_years(folder: str) -> dict:
    """The US-Korea pair of every year of a folder of BACI years."""
    import duckdb

    usa, kor = baci.USA, baci.KOR
    rows = duckdb.sql(
        f"SELECT t, sum(v) FILTER (i = {usa}) * 1000 AS e, sum(v) FILTER (i = {kor}) * 1000 "
        f"AS m, e - m FROM {_baci_csv(f'{folder}/BACI_*.csv')} WHERE "
        f"(i = {usa} AND j = {kor}) OR (i = {kor} AND j = {usa}) GROUP BY t"
    ).fetchall()
    return _figures(rows, _BALANCE)


_BALANCE = ("exports", "imports", "balance")


def duckdb_comtrade_deficit(source: str) -> dict:
    """USA's exports to and imports from Korea in 2016, from a Comtrade+ CSV."""
    import duckdb

    year = COMTRADE_YEARS[-1]
    value = "CAST(primaryValue AS DECIMAL(18,2))"
    rows = duckdb.sql(
        f"SELECT refYear, sum({value}) FILTER (flowCode = 'X') AS e, "
        f"sum({value}) FILTER (flowCode = 'M') AS m, e - m "
        f"FROM read_csv('{source}', header = true, all_varchar = true) "
        f"WHERE refYear = '{year}' AND reporterCode = '{baci.USA}' AND "
        f"partnerCode = '{KOR_COMTRADE}' AND partner2Code = '0' AND customsCode = 'C00' "
        "AND motCode = '0' AND mosCode = '0' GROUP BY refYear"
    ).fetchall()
    return _figures(rows, _BALANCE)


def polars_comtrade_deficit(source: str) -> dict:
    import polars as pl

    year = COMTRADE_YEARS[-1]
    value = pl.col("primaryValue").cast(pl.Float64)
    rows = (
        pl.scan_csv(source, infer_schema=False)
        .filter(
            (pl.col("refYear") == str(year))
            & (pl.col("reporterCode") == str(baci.USA))
            & (pl.col("partnerCode") == str(KOR_COMTRADE))
            & (pl.col("partner2Code") == "0")
            & (pl.col("customsCode") == "C00")
            & (pl.col("motCode") == "0")
            & (pl.col("mosCode") == "0")
        )
        .group_by("refYear")
        .agg(
            value.filter(pl.col("flowCode") == "X").sum().alias("e"),
            value.filter(pl.col("flowCode") == "M").sum().alias("m"),
        )
        .with_columns((pl.col("e") - pl.col("m")).alias("b"))
        .collect()
        .rows()
    )
    return _figures(rows, _BALANCE)


def duckdb_census_growth(source: str) -> dict:
    """US imports from Korea by year, from a Census API answer saved as CSV."""
    import duckdb

    rows = duckdb.sql(
        "SELECT substr(time, 1, 4) AS year, sum(CAST(GEN_VAL_MO AS DECIMAL(18,2))) "
        f"FROM read_csv('{source}', header = true, all_varchar = true) "
        f"WHERE CTY_CODE = '{KOR_CENSUS}' GROUP BY year"
    ).fetchall()
    return _figures(rows, ("imports",))


def duckdb_census_json_growth(source: str) -> dict:
    """The same question of the answer as the API gives it: a JSON array of arrays."""
    import duckdb

    rows = duckdb.sql(
        "SELECT substr(r[5], 1, 4) AS year, sum(CAST(r[2] AS DECIMAL(18,2))) FROM "
        f"(SELECT json AS r FROM read_json('{source}', format = 'array', records = false, "
        "columns = {'json': 'VARCHAR[]'})) "
        f"WHERE r[7] = '{KOR_CENSUS}' GROUP BY year"
    ).fetchall()
    return _figures(rows, ("imports",))


def polars_census_growth(source: str) -> dict:
    import polars as pl

    rows = (
        pl.scan_csv(source, infer_schema=False)
        .filter(pl.col("CTY_CODE") == KOR_CENSUS)
        .group_by(pl.col("time").str.slice(0, 4))
        .agg(pl.col("GEN_VAL_MO").cast(pl.Float64).sum())
        .collect()
        .rows()
    )
    return _figures(rows, ("imports",))


def duckdb_dataweb_partners(source: str) -> dict:
    """US imports from each country in 2016, from a DataWeb CSV (long layout)."""
    import duckdb

    year = US_YEARS[-1]
    rows = duckdb.sql(
        'SELECT Country, sum(CAST("Customs Value" AS DECIMAL(18,2))) '
        f"FROM read_csv('{source}', skip = 2, header = true, all_varchar = true) "
        f"WHERE Year = '{year}' AND \"Data Type\" = 'General Customs Value' GROUP BY Country"
    ).fetchall()
    return _figures(rows, ("imports",))


def polars_dataweb_partners(source: str) -> dict:
    import polars as pl

    year = US_YEARS[-1]
    rows = (
        pl.scan_csv(source, skip_rows=2, infer_schema=False)
        .filter((pl.col("Year") == str(year)) & (pl.col("Data Type") == "General Customs Value"))
        .group_by("Country")
        .agg(pl.col("Customs Value").cast(pl.Float64).sum())
        .collect()
        .rows()
    )
    return _figures(rows, ("imports",))


ANSWERS = {
    ("baci-partners", "duckdb"): duckdb_baci_partners,
    ("baci-partners", "polars"): polars_baci_partners,
    ("baci-pair", "duckdb"): duckdb_baci_pair,
    ("baci-world", "duckdb"): duckdb_baci_world,
    ("baci-gaps", "duckdb"): duckdb_baci_gaps,
    ("baci-years", "duckdb"): duckdb_baci_years,
    ("comtrade-deficit", "duckdb"): duckdb_comtrade_deficit,
    ("comtrade-deficit", "polars"): polars_comtrade_deficit,
    ("census-growth", "duckdb"): duckdb_census_growth,
    ("census-growth", "polars"): polars_census_growth,
    ("census-json-growth", "duckdb"): duckdb_census_json_growth,
    ("dataweb-partners", "duckdb"): duckdb_dataweb_partners,
    ("dataweb-partners", "polars"): polars_dataweb_partners,
}


def korus_figures(output: str, key: str, names: dict[str, str]) -> dict[str, str]:
    """Return the figures of korus's CSV answer as the tools give them: {"KEY NAME":
    value}, KEY from the ``key`` column, NAME for each column of ``names`` (column ->
    name) that holds a figure."""
    found = {}
    for row in csv.DictReader(io.StringIO(output)):
        for column, name in names.items():
            value = row.get(column, "")
            if value not in ("", None):
                found[f"{row[key]} {name}"] = value
    return found


def differences(answer: dict, reference: dict, rename=None) -> list[str]:
    """Return where an answer differs from the reference by a cent or more, or names
    figures the other does not have (a zero and no figure are the same: no trade).
    ``rename`` turns the reference's keys into korus's."""
    if rename:
        reference = {rename(key): value for key, value in reference.items()}
    found = []
    for key in sorted(set(answer) | set(reference)):
        if Decimal(answer.get(key, "0")) == 0 == Decimal(reference.get(key, "0")):
            continue  # no trade, whether written 0 or left out
        if key not in answer:
            found.append(f"{key}: missing ({reference[key]})")
        elif key not in reference:
            found.append(f"{key}: {answer[key]} where the reference has none")
        else:
            mine = Decimal(answer[key]).quantize(Decimal("0.01"))
            theirs = Decimal(reference[key]).quantize(Decimal("0.01"))
            if mine != theirs:
                found.append(f"{key}: {mine} vs {theirs}")
    return found


# ---------------------------------------------------------------------------- timing


class Case:
    """One command timed, each run a separate process under ``/usr/bin/time``.

    A run that fails or takes longer than the timeout is recorded as such, and the case is
    not run again (a case that cannot answer is not timed five times over).
    """

    def __init__(self, label: str, command: list[str], env=None, before=None, korus=False):
        self.label, self.command, self.env, self.before = label, command, env or {}, before
        self.korus = korus  # a korus command: its cache writers are waited for
        self.walls: list[float] = []
        self.peaks: list[int] = []  # KiB
        # From the start until the cache writer korus left behind (a copy of the process
        # holding the cache folder's lock) was done; only where that was later than the end.
        self.written: list[float] = []
        self.output = ""
        self.failure = ""  # why there is no answer: "failed (exit 1): ..." or "timed out"

    def run(self, timeout: float) -> None:
        if self.failure:
            return
        if self.before:
            self.before()
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            started = time.perf_counter()
            process = subprocess.Popen(
                ["/usr/bin/time", "-f", "%M", "-o", report.name, *self.command],
                env={**os.environ, **self.env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,  # its own group: a timeout ends the command too
            )
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                self.failure = f"timed out (over {timeout:.0f} s){self._in_run()}"
                return
            wall = time.perf_counter() - started
            peak = report.read().strip().splitlines()
        if self.korus:
            baci._wait_for_cache_writers()  # a first read leaves one behind
            if _wait_for_copy(self.env.get("KORUS_CACHE_DIR")):
                self.written.append(time.perf_counter() - started)
        if process.returncode:
            last = stderr.strip().splitlines()[-1:] or [""]
            self.failure = f"failed (exit {process.returncode}{self._in_run()}): {last[0][:200]}"
            return
        self.walls.append(wall)
        self.peaks.append(int(peak[-1]))
        self.output = stdout

    def _in_run(self) -> str:
        return f" in run {len(self.walls) + 1}" if self.walls else ""

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls and not self.failure else None

    @property
    def peak(self) -> float | None:
        return statistics.median(self.peaks) / 1024 if self.peaks and not self.failure else None


def _wait_for_copy(folder: str | None) -> bool:
    """Wait until no process holds the writing lock of korus's cache ``folder`` (the copy
    of a command that writes its reading after the answer); return whether one did."""
    import fcntl

    if not folder or not (Path(folder) / ".build.lock").exists():
        return False
    handle = os.open(Path(folder) / ".build.lock", os.O_RDWR)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            fcntl.flock(handle, fcntl.LOCK_EX)
            return True
    finally:
        os.close(handle)


def timed(cases: list[Case], runs: int, timeout: float) -> None:
    """Run every case ``runs`` times, one run of each in turn (so that a slow spell of a
    shared machine falls on all of them alike)."""
    for number in range(runs):
        for case in cases:
            case.run(timeout)
            if case.failure and not case.walls:
                print(f"  {case.label}: {case.failure}", file=sys.stderr)
        print(f"  run {number + 1} of {runs} done", file=sys.stderr)


def table(cases: list[Case], title: str) -> str:
    best = min((case.wall for case in cases if case.wall), default=1.0)
    lines = [title, f"  {'case':<70} {'median s':>9} {'peak MiB':>9} {'x best':>7}"]
    for case in cases:
        if case.wall is None:
            lines.append(f"  {case.label:<70} {case.failure}")
        else:
            lines.append(
                f"  {case.label:<70} {case.wall:>9.3f} {case.peak:>9.0f} {case.wall / best:>7.2f}"
            )
            if case.written:
                label = f"  ...until its cache was written ({len(case.written)} of the runs)"
                lines.append(f"  {label:<70} {statistics.median(case.written):>9.3f}")
    return "\n".join(lines)


def ratio(what: str, top: Case, bottom: Case, memory: bool = False) -> str:
    """One line of the targets: the ratio of two medians, or why there is none."""
    if top.wall is None:
        return f"  {what:<78} none: {top.label} {top.failure}"
    if bottom.wall is None:
        return f"  {what:<78} none: {bottom.label} {bottom.failure}"
    value = top.peak / bottom.peak if memory else top.wall / bottom.wall
    return f"  {what:<78} {value:>7.2f}x"


def _clear_dir(folder: Path):
    def clear() -> None:
        if folder.exists():
            for entry in folder.iterdir():
                if entry.is_file():
                    entry.unlink()
        folder.mkdir(parents=True, exist_ok=True)

    return clear


# ------------------------------------------------------------------------------ main


def _sizes(args) -> dict:
    if args.quick:
        return {"baci": 1_000_000, "years": 3, "year_rows": 200_000, "layout": 100_000}
    return {
        "baci": args.rows,
        "years": args.years,
        "year_rows": args.year_rows,
        "layout": args.layout_rows,
    }


def _data(work: Path, sizes: dict) -> dict[str, Path]:
    """Generate (once) every input of the benchmark under ``work``."""
    path, folder = baci._data(work, sizes["baci"], sizes["years"], sizes["year_rows"])
    found = {"baci": path, "parquet": baci._parquet_copy(path), "years": folder}
    rows = sizes["layout"]
    for name, make in (
        ("comtrade", generate_comtrade),
        ("census", generate_census),
        ("dataweb", generate_dataweb),
        ("census_json", generate_census_json),
    ):
        target = work / f"{name}-{rows}.{'json' if name.endswith('json') else 'csv'}"
        if not target.exists():
            print(f"generating {target.name}", file=sys.stderr)
            partial = target.with_suffix(".partial")
            make(partial, rows)
            partial.rename(target)
        found[name] = target
    return found


def _cache_files(folder: Path) -> int:
    """Return how many entry files korus wrote in a cache folder (its lock file, which a
    writer holds, is none)."""
    if not folder.exists():
        return 0
    return sum(1 for entry in folder.glob("*") if entry.is_file() and entry.name[0] != ".")


def run(args) -> int:
    sizes = _sizes(args)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = _data(work, sizes)
    python = sys.executable
    korus = args.korus or str(Path(python).with_name("korus"))
    me = str(Path(__file__).resolve())
    caches = work / "caches"
    cache = {name: caches / name for name in ("cold", "warm", "comtrade", "census", "dataweb")}
    cache["census_json"] = caches / "census_json"
    cache["shipped"] = caches / "shipped"
    for folder in cache.values():
        folder.mkdir(parents=True, exist_ok=True)
    _clear_dir(cache["warm"])()
    usd = ["--format", "csv", "--unit", "usd"]

    def korus_case(label, arguments, where, before=None):
        return Case(
            label, [korus, *arguments], {"KORUS_CACHE_DIR": str(cache[where])}, before, True
        )

    def answer(label, question, tool, source, pandas=False):
        command = [python, me, "answer", question, tool, str(source)]
        return Case(label, [*command, "--import-pandas"] if pandas else command)

    def parsed(source, skip=0):
        """import pandas, then Arrow's parse of the file: the floor of a first read."""
        command = [python, me, "parse", str(source), "--skip", str(skip)]
        return Case("import pandas, then Arrow's parse of the CSV (fields as text)", command)

    def first_and_again(name, arguments, where):
        """korus's first read of a file (its cache folder emptied), and the same again."""
        return [
            korus_case(
                f"korus {name}, first read (empty cache)",
                arguments,
                where,
                _clear_dir(cache[where]),
            ),
            korus_case(f"korus {name}, again (after the first read)", arguments, where),
        ]

    baci_file, parquet, folder = data["baci"], data["parquet"], data["years"]
    floor = Case('python -c "import pandas"', [python, "-c", "import pandas"])
    partners = ["partners", "--reporter", "USA", "--year", str(BACI_YEAR), "--by", "total"]
    partners += [*usd, "--data", str(baci_file)]
    q1 = [
        floor,
        answer(
            "import pandas, then DuckDB over the Parquet copy",
            "baci-partners",
            "duckdb",
            parquet,
            pandas=True,
        ),
        korus_case(
            "korus partners, first read (empty cache)", partners, "cold", _clear_dir(cache["cold"])
        ),
        korus_case("korus partners, later question (cache written)", partners, "warm"),
        answer("DuckDB over the CSV", "baci-partners", "duckdb", baci_file),
        answer("DuckDB over the Parquet copy", "baci-partners", "duckdb", parquet),
        answer("Polars scan_csv", "baci-partners", "polars", baci_file),
    ]
    deficit = ["deficit", "--partner", "KOR", "--years", str(COMTRADE_YEARS[-1]), *usd]
    deficit += ["--data", str(data["comtrade"])]
    q2 = [
        *first_and_again("deficit", deficit, "comtrade"),
        answer("DuckDB over the CSV", "comtrade-deficit", "duckdb", data["comtrade"]),
        answer("Polars scan_csv", "comtrade-deficit", "polars", data["comtrade"]),
    ]
    years = f"{US_YEARS[0]}-{US_YEARS[-1]}"
    growth = ["growth", "--partner", "KOR", "--flow", "imports", "--years", years, *usd]
    growth += ["--data", str(data["census"])]
    q3 = [
        *first_and_again("growth", growth, "census"),
        answer("DuckDB over the CSV", "census-growth", "duckdb", data["census"]),
        answer("Polars scan_csv", "census-growth", "polars", data["census"]),
        parsed(data["census"]),
    ]
    answered = [*growth[:-1], str(data["census_json"])]
    q3c = [
        *first_and_again("growth", answered, "census_json"),
        answer("DuckDB over the JSON", "census-json-growth", "duckdb", data["census_json"]),
    ]
    ranked = ["partners", "--year", str(US_YEARS[-1]), "--by", "imports", *usd]
    ranked += ["--data", str(data["dataweb"])]
    q3b = [
        *first_and_again("partners", ranked, "dataweb"),
        answer("DuckDB over the CSV", "dataweb-partners", "duckdb", data["dataweb"]),
        answer("Polars scan_csv", "dataweb-partners", "polars", data["dataweb"]),
        parsed(data["dataweb"], 2),
    ]
    pair = ["deficit", "--data", str(baci_file), "--years", str(BACI_YEAR), *usd]
    first, last = BACI_YEAR - sizes["years"] + 1, BACI_YEAR
    span = ["deficit", "--data", str(folder), "--years", f"{first}-{last}", *usd]
    q4 = [
        korus_case(
            "korus deficit, first read (empty cache)", pair, "cold", _clear_dir(cache["cold"])
        ),
        korus_case("korus deficit, later question (cache written)", pair, "warm"),
        answer("DuckDB over the CSV", "baci-pair", "duckdb", baci_file),
        answer("DuckDB over the Parquet copy", "baci-pair", "duckdb", parquet),
        korus_case(
            f"korus deficit over {sizes['years']} years, first read (empty cache)",
            span,
            "cold",
            _clear_dir(cache["cold"]),
        ),
        korus_case(
            f"korus deficit over {sizes['years']} years, later question (cache written)",
            span,
            "warm",
        ),
        answer(f"DuckDB over the {sizes['years']} CSVs", "baci-years", "duckdb", folder),
    ]
    q5 = [
        korus_case(
            "korus deficit --years 2011-2016 (shipped data)",
            ["deficit", "--years", "2011-2016", "--format", "csv"],
            "shipped",
        ),
        korus_case("korus --help", ["--help"], "shipped"),
    ]
    world = ["world", "--year", str(BACI_YEAR), *usd, "--data", str(baci_file)]
    gaps = ["mirror", "--gaps", "--reporter", "USA", "--year", str(BACI_YEAR), *usd]
    gaps += ["--data", str(baci_file)]
    q6 = [
        korus_case("korus world, every reporter (cache written)", world, "warm"),
        answer("DuckDB over the CSV", "baci-world", "duckdb", baci_file),
        answer("DuckDB over the Parquet copy", "baci-world", "duckdb", parquet),
        korus_case("korus mirror --gaps --reporter USA (cache written)", gaps, "warm"),
        answer("DuckDB over the CSV (gaps)", "baci-gaps", "duckdb", baci_file),
        answer("DuckDB over the Parquet copy (gaps)", "baci-gaps", "duckdb", parquet),
    ]
    # The same two questions over the folder of years: its last year asked, every year read.
    years_glob = f"{folder}/BACI_*.csv"
    world_span = [*world[:-1], str(folder)]
    gaps_span = [*gaps[:-1], str(folder)]
    span_years = sizes["years"]
    q6 += [
        korus_case(f"korus world over the {span_years} years (cache written)", world_span, "warm"),
        answer(f"DuckDB over the {span_years} CSVs (world)", "baci-world", "duckdb", years_glob),
        korus_case(f"korus mirror --gaps over the {span_years} years", gaps_span, "warm"),
        answer(f"DuckDB over the {span_years} CSVs (gaps)", "baci-gaps", "duckdb", years_glob),
    ]
    groups = [q1, q2, q3, q3c, q3b, q4, q5, q6]
    everything = [case for group in groups for case in group]

    _compile(python)
    # The later questions asked once before, untimed: the caches they leave behind are
    # written (and waited for).
    for command in (partners, pair, span):
        with contextlib.suppress(subprocess.TimeoutExpired):  # the timed runs will say
            subprocess.run(
                [korus, *command],
                env={**os.environ, "KORUS_CACHE_DIR": str(cache["warm"])},
                capture_output=True,
                check=False,
                timeout=args.timeout,
            )
        baci._wait_for_cache_writers()

    print(f"timing {len(everything)} cases, {args.runs} runs each", file=sys.stderr)
    timed(everything, args.runs, args.timeout)

    # ------------------------------------------------------------- checking the answers
    baci_names = _baci_names(baci_file.parent)
    dataweb_names = {name: iso3 for _, name, iso3 in CENSUS_PARTNERS}

    def renamed(names):
        def rename(key: str) -> str:
            code, figure = key.rsplit(" ", 1)  # a Country column's name has spaces
            return f"{names.get(code, code)} {figure}"

        return rename

    checks: list[tuple[str, list[str] | str]] = []

    def check(label, cases, reference, key, names, rename=None):
        expected = json.loads(reference.output) if reference.output else None
        if expected is None:
            checks.append((label, f"no reference: {reference.label} {reference.failure}"))
            return
        for case in cases:
            if case.failure:
                checks.append((f"{label}: {case.label}", f"no answer: {case.failure}"))
            elif case.korus:
                found = differences(korus_figures(case.output, key, names), expected, rename)
                checks.append((f"{label}: {case.label}", found))
            else:
                found = differences(json.loads(case.output), expected)
                checks.append((f"{label}: {case.label}", found))

    three = {f"{name}_usd": name for name in ("exports", "imports", "total")}
    balance = {f"{name}_usd": name for name in _BALANCE}
    imports = {"imports_usd": "imports"}
    check("1", [q1[1], q1[2], q1[3], q1[5], q1[6]], q1[4], "partner", three, renamed(baci_names))
    check("2", [q2[0], q2[1], q2[3]], q2[2], "year", balance)
    check("3a", [q3[0], q3[1], q3[3]], q3[2], "year", {"value_usd": "imports"})
    check("3c", [q3c[0], q3c[1]], q3c[2], "year", {"value_usd": "imports"})
    check("3b", [q3b[0], q3b[1], q3b[3]], q3b[2], "partner", imports, renamed(dataweb_names))
    check("4", [q4[0], q4[1], q4[3]], q4[2], "year", balance)
    check("4", [q4[4], q4[5]], q4[6], "year", balance)
    check("6", [q6[0], q6[2]], q6[1], "product", {"value_usd": "exports"})
    gap_sides = {"reporter_value_usd": "exports", "partner_value_usd": "imports"}
    check("6", [q6[3], q6[5]], q6[4], "partner", gap_sides, renamed(baci_names))
    check("6", [q6[6]], q6[7], "product", {"value_usd": "exports"})
    check("6", [q6[8]], q6[9], "partner", gap_sides, renamed(_baci_names(folder)))

    # ------------------------------------------------------------------------ printing
    runs = args.runs
    mib = baci_file.stat().st_size / 2**20
    titles = [
        f"1. BACI year, {sizes['baci']:,} rows ({mib:,.0f} MiB CSV): USA's partners ranked by "
        f"total trade, {BACI_YEAR}",
        f"2. UN Comtrade+ HS6 answer, {_rows(data['comtrade'], 1):,} rows "
        f"({_mib(data['comtrade'])} MiB CSV, the API's 47 fields): USA-KOR deficit, "
        f"{COMTRADE_YEARS[-1]}",
        f"3a. Census API answer (CSV), US imports by partner, HS6 and month, "
        f"{_rows(data['census'], 1):,} rows ({_mib(data['census'])} MiB): imports from KOR, "
        f"growth {years}",
        f"3c. The same Census API answer as the API gives it (JSON array of arrays, "
        f"{_mib(data['census_json'])} MiB): the same question",
        f"3b. DataWeb CSV (long layout), the same kind of imports, "
        f"{_rows(data['dataweb'], 4):,} rows ({_mib(data['dataweb'])} MiB): partners by "
        f"imports, {US_YEARS[-1]}",
        f"4. BACI pair question (USA-KOR deficit {BACI_YEAR}) and a folder of "
        f"{sizes['years']} BACI years of {sizes['year_rows']:,} rows",
        "5. The shipped data, and help",
        f"6. Whole-panel questions over the BACI year (and over the folder of "
        f"{sizes['years']} years): world exports by HS chapter, {BACI_YEAR}, and USA's "
        "mirror gaps with every partner",
    ]
    for case in everything:  # the work folder's path is this machine's: not printed
        case.failure = case.failure.replace(str(work), "WORK")
    print(_about(korus, sys.argv[1:]))
    print(f"Median of {runs} runs, each case a separate process, one run of each in turn")
    for group, title in zip(groups, titles, strict=True):
        print()
        print(table(group if group is not q1 else q1, title))
        if group is q2:
            print(_cache_note(cache["comtrade"]))
        elif group is q3:
            print(_cache_note(cache["census"]))
        elif group is q3c:
            print(_cache_note(cache["census_json"]))
        elif group is q3b:
            print(_cache_note(cache["dataweb"]))
    print()
    print("Ratios (of medians of this run)")
    lines = [
        ratio("1. first read / DuckDB over the CSV, wall", q1[2], q1[4]),
        ratio("1. first read / DuckDB over the CSV, peak memory", q1[2], q1[4], memory=True),
        ratio("1. later / (import pandas + DuckDB over the Parquet copy), wall", q1[3], q1[1]),
        ratio("1. later / import pandas, wall", q1[3], q1[0]),
        ratio(
            "1. later / (import pandas + DuckDB over the Parquet copy), peak memory",
            q1[3],
            q1[1],
            memory=True,
        ),
        ratio("2. first read / DuckDB over the CSV, wall", q2[0], q2[2]),
        ratio("2. first read / DuckDB over the CSV, peak memory", q2[0], q2[2], memory=True),
        ratio("2. again / DuckDB over the CSV, wall", q2[1], q2[2]),
        ratio("2. again / import pandas, wall", q2[1], floor),
        ratio("3a. first read / DuckDB over the CSV, wall", q3[0], q3[2]),
        ratio("3a. first read / DuckDB over the CSV, peak memory", q3[0], q3[2], memory=True),
        ratio("3a. first read / (import pandas + Arrow's parse), wall", q3[0], q3[4]),
        ratio("3a. (import pandas + Arrow's parse) / DuckDB over the CSV, wall", q3[4], q3[2]),
        ratio("3a. again / import pandas, wall", q3[1], floor),
        ratio("3c. first read / DuckDB over the JSON, wall", q3c[0], q3c[2]),
        ratio("3c. first read / DuckDB over the JSON, peak memory", q3c[0], q3c[2], True),
        ratio("3c. again / import pandas, wall", q3c[1], floor),
        ratio("3b. first read / DuckDB over the CSV, wall", q3b[0], q3b[2]),
        ratio("3b. first read / DuckDB over the CSV, peak memory", q3b[0], q3b[2], memory=True),
        ratio("3b. first read / (import pandas + Arrow's parse), wall", q3b[0], q3b[4]),
        ratio("3b. (import pandas + Arrow's parse) / DuckDB over the CSV, wall", q3b[4], q3b[2]),
        ratio("3b. again / import pandas, wall", q3b[1], floor),
        ratio("4. pair, first read / DuckDB over the CSV, wall", q4[0], q4[2]),
        ratio("4. pair, first read / DuckDB over the CSV, peak memory", q4[0], q4[2], True),
        ratio("4. pair, later / import pandas, wall", q4[1], floor),
        ratio(f"4. {sizes['years']} years, first read / DuckDB over the CSVs", q4[4], q4[6]),
        ratio(f"4. {sizes['years']} years, later / import pandas, wall", q4[5], floor),
        ratio(f"4. {sizes['years']} years later / 1 year later (pair), wall", q4[5], q4[1]),
        ratio("5. korus deficit (shipped data) / import pandas, wall", q5[0], floor),
        ratio("5. korus --help / import pandas, wall", q5[1], floor),
        ratio("6. world, later / DuckDB over the CSV, wall", q6[0], q6[1]),
        ratio("6. world, later / DuckDB over the CSV, peak memory", q6[0], q6[1], True),
        ratio("6. mirror gaps, later / DuckDB over the CSV, wall", q6[3], q6[4]),
        ratio("6. mirror gaps, later / DuckDB over the CSV, peak memory", q6[3], q6[4], True),
        ratio(f"6. world over {sizes['years']} years / DuckDB over the CSVs, wall", q6[6], q6[7]),
        ratio(f"6. world over {sizes['years']} years / DuckDB, peak memory", q6[6], q6[7], True),
        ratio(f"6. gaps over {sizes['years']} years / DuckDB over the CSVs, wall", q6[8], q6[9]),
        ratio(f"6. gaps over {sizes['years']} years / DuckDB, peak memory", q6[8], q6[9], True),
    ]
    print("\n".join(lines))
    print()
    print("Each run's wall time (s), in the order run")
    for number, group in zip(("1", "2", "3a", "3c", "3b", "4", "5", "6"), groups, strict=True):
        for case in group:
            shown = " ".join(f"{wall:.3f}" for wall in case.walls) or "-"
            if case.failure:
                shown += f"  ({case.failure})"
            print(f"  {number + '.':<4}{case.label:<70} {shown}")
    print()
    print("Agreement with DuckDB over the CSV (exact decimals), to the cent")
    differ = False
    for label, found in checks:
        if isinstance(found, str):
            # An error instead of an answer is a wrong answer; a timeout is a measure of
            # speed, reported as such in the tables.
            differ = differ or "failed" in found
            print(f"  {label:<74} {found}")
        elif found:
            differ = True
            shown = "; ".join(found[:5]) + (
                f" (and {len(found) - 5} more)" if len(found) > 5 else ""
            )
            print(f"  {label:<74} differs: {shown}")
        else:
            print(f"  {label:<74} agrees")
    return 1 if differ else 0


def parse_floor(source: str, skip: int) -> int:
    """Import pandas, then parse a CSV with Arrow's reader on every core, every field as
    text (as korus parses it: codes stay text, a line break may sit in a quoted cell);
    return its rows. The least a reader that hands pandas frames to its metrics does
    before it maps one row: the floor under korus's first read of a file whose every field
    it reads (a Census API answer, a DataWeb export; of a Comtrade+ answer's 47 fields korus
    parses the 17 it reads)."""
    import csv as stdcsv

    import pandas  # noqa: F401
    import pyarrow as pa
    from pyarrow import csv

    with open(source, newline="", encoding="utf-8") as handle:
        for _ in range(skip):
            handle.readline()
        names = next(stdcsv.reader(handle))
    table = csv.read_csv(
        source,
        read_options=csv.ReadOptions(skip_rows=skip),
        parse_options=csv.ParseOptions(newlines_in_values=True),
        convert_options=csv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False
        ),
    )
    return table.num_rows


def _about(korus: str, arguments: list[str]) -> str:
    """The first line of the results: how the run was asked for, when, where, with what."""
    import duckdb
    import pandas
    import polars
    import pyarrow

    version = subprocess.run([korus, "--version"], capture_output=True, text=True, check=False)
    # The folders of this machine stay out of what is printed.
    kept, skip = [], False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in ("--work", "--korus"):
            skip = True
        elif not argument.startswith(("--work=", "--korus=")):
            kept.append(argument)
    shown = " ".join(kept)
    return (
        f"# python bench/engine_bench.py {shown}   ({date.today()}, {platform.system()}, "
        f"{os.cpu_count()} cores; {version.stdout.strip() or 'korus'}, DuckDB "
        f"{duckdb.__version__}, Polars {polars.__version__}, pandas {pandas.__version__}, "
        f"pyarrow {pyarrow.__version__}, Python {platform.python_version()})"
    )


def _rows(path: Path, above: int) -> int:
    """The data rows of a CSV: its lines less the ``above`` ones (header, title, total)."""
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b"")) - above


def _mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:,.0f}"


def _cache_note(folder: Path) -> str:
    count = _cache_files(folder)
    if count:
        return f"  korus wrote {count} cache file(s) for this file: 'again' reads them"
    return "  korus wrote no cache for this file: 'again' reads the CSV as the first read does"


def _baci_names(folder: Path) -> dict[str, str]:
    """BACI country number -> ISO3, from the generated country_codes file (842 is USA)."""
    [path] = folder.glob("country_codes_*.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["country_code"]: row["iso_3digit_alpha"] for row in csv.DictReader(handle)}


def _compile(python: str) -> None:
    """Compile korus's modules, as pip does when installing (an editable install would
    otherwise compile them in the first timed run)."""
    found = subprocess.run(
        [python, "-c", "import korus, os; print(os.path.dirname(korus.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", found], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    timing = commands.add_parser("run", help="time korus, DuckDB and Polars")
    timing.add_argument("--rows", type=int, default=11_000_000, help="rows of the BACI year")
    timing.add_argument("--years", type=int, default=30, help="BACI years in the folder")
    timing.add_argument("--year-rows", type=int, default=1_000_000, help="rows of each")
    timing.add_argument(
        "--layout-rows",
        type=int,
        default=1_000_000,
        help="rows of the Comtrade+, Census and DataWeb files",
    )
    timing.add_argument("--runs", type=int, default=5, help="runs of each case (median)")
    timing.add_argument(
        "--quick", action="store_true", help="small sizes (1M-row BACI, 100k-row layouts)"
    )
    timing.add_argument("--timeout", type=float, default=600.0, help="seconds a run may take")
    timing.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "korus-bench"))
    timing.add_argument("--korus", help="the korus command (default: beside this Python)")
    make = commands.add_parser("generate", help="write one layout's data")
    make.add_argument("layout", choices=["comtrade", "census", "census-json", "dataweb"])
    make.add_argument("--rows", type=int, default=1_000_000)
    make.add_argument("--seed", type=int)
    make.add_argument("--out", required=True)
    answer = commands.add_parser("answer", help="answer a question with one tool (JSON)")
    answer.add_argument("question", choices=sorted({q for q, _ in ANSWERS}))
    answer.add_argument("tool", choices=["duckdb", "polars"])
    answer.add_argument("source")
    answer.add_argument("--import-pandas", action="store_true", help="import pandas first")
    parse = commands.add_parser(
        "parse", help="import pandas, then Arrow's parse of a CSV, every field as text"
    )
    parse.add_argument("source")
    parse.add_argument("--skip", type=int, default=0, help="lines before the header")
    args = parser.parse_args(argv)
    if args.command == "generate":
        make_one = {
            "comtrade": generate_comtrade,
            "census": generate_census,
            "census-json": generate_census_json,
            "dataweb": generate_dataweb,
        }[args.layout]
        seed = {} if args.seed is None else {"seed": args.seed}
        print(make_one(Path(args.out), args.rows, **seed))
        return 0
    if args.command == "parse":
        print(parse_floor(args.source, args.skip))
        return 0
    if args.command == "answer":
        if args.import_pandas:
            import pandas  # noqa: F401  (the floor of any korus command, then the query)
        tool = ANSWERS.get((args.question, args.tool))
        if tool is None:
            parser.error(f"no {args.tool} answer to {args.question}")
        print(json.dumps(tool(args.source)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
