"""UN Comtrade+ answers: the layout's names, codes and constants (``comtrade_plus``).

Field names and codes: UN Comtrade+ API documentation (comtradeplus.un.org, "Data items"
and the reference lists of flows and customs/transport codes); snake_case names as written
by ropensci/comtradr (``ct_pretty_cols``).
"""

from __future__ import annotations

import functools
import re

from korus.readers import comtrade_legacy
from korus.readers.common import LINE

LAYOUT_CSV = "comtrade-plus-csv"
LAYOUT_JSON = "comtrade-plus-json"
LAYOUT = LAYOUT_JSON
LAYOUTS = (LAYOUT_CSV, LAYOUT_JSON)
DESCRIPTION = (
    "UN Comtrade+ (API v1) answer, JSON or CSV, or the website's CSV download "
    "(refYear,reporterCode,...,primaryValue)"
)
SOURCE = "UN Comtrade (Comtrade+)"
NO_RELEASE = "release not stated in the file"

FLOWS = {
    "X": "export",
    "M": "import",
    "RX": "re-export",
    "RM": "re-import",
    "2": "export",
    "1": "import",
    "3": "re-export",
    "4": "re-import",
}
# Comtrade+ flows that are parts or variants of the four above: never added to them.
OTHER_FLOWS = {
    "DX": "domestic exports",
    "FM": "foreign imports",
    "MIP": "imports for inward processing",
    "XIP": "exports after inward processing",
    "MOP": "imports after outward processing",
    "XOP": "exports for outward processing",
}
SERVICES = "services (typeCode S): korus reads trade in goods"
# Comtrade's valuation of each flow and its classification codes, as in the legacy files.
BASIS = comtrade_legacy.BASIS
CONTRADICTION_HINT = comtrade_legacy.CONTRADICTION_HINT
CLASSIFICATIONS = comtrade_legacy.CLASSIFICATIONS
# Breakdown fields (normalised names) and the values that mean "all": the aggregate row.
# None of these fields has a code "NA": there it is R's missing value (comtradr's CSV).
BREAKDOWNS = {
    "partner2code": ({"", "NA", "0"}, "second partner"),
    "customscode": ({"", "NA", "C00"}, "customs procedure"),
    "motcode": ({"", "NA", "0"}, "mode of transport"),
    "moscode": ({"", "NA", "0"}, "mode of supply"),
}
MISSING = {"", "NA"}  # in value fields (cifvalue, fobvalue): no value
WORLD_ISO = {"W00", "WLD"}
# Fields that would say when the figures were released (normalised names).
RELEASE_FIELDS = ("lastreleased", "releasedate", "lastupdated", "lastupdate", "publicationdate")
# Answer sizes at which the API stops (free key, subscription): the answer is cut short.
API_LIMITS = {100_000, 250_000}
# The comtradeplus.un.org website writes its CSV downloads in Windows-1252 and ends every
# data row with one more delimiter than the header has (an empty last field): the
# download's own shape, which korus reads as such (see ``read_csv_answer``).
WEBSITE_ENCODING = "cp1252"
WEBSITE_VARIANT = "website download: trailing delimiter"

# The fields korus reads (normalised names); the others (quantities, descriptions of
# breakdowns, flags) are left in the file.
USED = frozenset(
    {
        "typecode",
        "freqcode",
        "refyear",
        "refmonth",
        "period",
        "reportercode",
        "reporteriso",
        "reporterdesc",
        "flowcode",
        "partnercode",
        "partneriso",
        "partnerdesc",
        "classificationcode",
        "cmdcode",
        "aggrlevel",
        "primaryvalue",
        "cifvalue",
        "fobvalue",
        *BREAKDOWNS,
        *RELEASE_FIELDS,
    }
)

# The fields korus only quotes (in an error naming a country code it does not know): given
# twice with different values, neither changes a figure.
DESCRIBED = frozenset({"reporterdesc", "partnerdesc"})

_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:')
_LINE = LINE  # a line as a file opened with newline="" cuts it
_PRODUCT = re.compile(r"^(\d{2}|\d{4}|\d{6})$", re.ASCII)
_VALUE_FIELDS = {"flowcode", "cmdcode", "primaryvalue"}


@functools.lru_cache(maxsize=1024)
def normalise(name: object) -> str:
    """Return a field name without case, underscores, spaces or a BOM: refYear == ref_year."""
    return re.sub(r"[\s_]", "", str(name).lstrip("\ufeff")).lower()
