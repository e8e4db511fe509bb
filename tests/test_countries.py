"""korus.countries: every way a person or a file names a trade partner."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import shared_file
from korus import countries
from korus.countries import (
    Country,
    from_census,
    from_comtrade,
    is_census_series,
    is_group,
    lookup,
    resolve,
)
from korus.errors import KorusError, UnknownCountryError

SRC = Path(countries.__file__).resolve().parents[1]


def _rows(name: str) -> list[dict[str, str]]:
    resource = files("korus") / "tables" / name
    with resource.open("r", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------- accepted forms

ACCEPTED = [
    # codes
    ("KOR", "KOR"),
    ("kor", "KOR"),
    ("KR", "KOR"),
    ("kr", "KOR"),
    ("CHN", "CHN"),
    ("CN", "CHN"),
    ("USA", "USA"),
    ("US", "USA"),
    ("DE", "DEU"),
    ("WLD", "WLD"),
    ("EUN", "EUN"),
    # ISO / M49 / Comtrade numerics
    ("410", "KOR"),
    ("408", "PRK"),
    ("156", "CHN"),
    ("840", "USA"),
    ("842", "USA"),
    ("250", "FRA"),
    ("251", "FRA"),
    ("381", "ITA"),
    ("757", "CHE"),
    ("699", "IND"),
    ("579", "NOR"),
    ("490", "XOA"),
    ("158", "TWN"),
    ("036", "AUS"),
    ("36", "AUS"),
    ("0", "WLD"),
    ("97", "EUN"),
    # Census Schedule C
    ("5800", "KOR"),
    ("5790", "PRK"),
    ("5700", "CHN"),
    ("1220", "CAN"),
    ("5880", "JPN"),
    ("4280", "DEU"),
    ("0015", "WLD"),
    ("0003", "EUN"),
    # names
    ("Korea", "KOR"),
    ("South Korea", "KOR"),
    ("Korea, South", "KOR"),
    ("Republic of Korea", "KOR"),
    ("Rep. of Korea", "KOR"),
    ("Korea, Republic of", "KOR"),
    ("Korea, Rep.", "KOR"),
    ("North Korea", "PRK"),
    ("Korea, North", "PRK"),
    ("DPRK", "PRK"),
    ("Dem. People's Rep. of Korea", "PRK"),
    ("China", "CHN"),
    ("Japan", "JPN"),
    ("Germany", "DEU"),
    ("United States", "USA"),
    ("United States of America", "USA"),
    ("Viet Nam", "VNM"),
    ("Vietnam", "VNM"),
    ("Taiwan", "TWN"),
    ("Taiwan, Province of China", "TWN"),
    ("Other Asia, nes", "XOA"),
    ("Hong Kong", "HKG"),
    ("China, Hong Kong SAR", "HKG"),
    ("Russia", "RUS"),
    ("Russian Federation", "RUS"),
    ("UK", "GBR"),
    ("Turkey", "TUR"),
    ("Türkiye", "TUR"),
    ("Turkiye", "TUR"),
    ("Czech Republic", "CZE"),
    ("Czechia", "CZE"),
    ("Cote d'Ivoire", "CIV"),
    ("Côte d'Ivoire", "CIV"),
    ("Côte d’Ivoire", "CIV"),
    ("Rep. of Moldova", "MDA"),
    ("Bolivia (Plurinational State of)", "BOL"),
    ("Iran", "IRN"),
    ("Burma", "MMR"),
    ("Macau", "MAC"),
    ("Kosovo", "XKX"),
    ("Congo (Kinshasa)", "COD"),
    ("Trinidad & Tobago", "TTO"),
    ("St. Lucia", "LCA"),
    ("Hellenic Republic", "GRC"),  # official ISO name: slow path
    # groups and others
    ("World", "WLD"),
    ("European Union", "EUN"),
    ("EU", "EUN"),
    ("EU-27", "EUN"),
    ("OPEC", "XOP"),
    ("Unidentified Countries", "XUN"),
    ("International Organizations", "XIO"),
    # former
    ("USSR", "SUN"),
    ("Czechoslovakia", "CSK"),
    ("Yugoslavia", "YUG"),
    ("Serbia and Montenegro", "SCG"),
    ("Netherlands Antilles", "ANT"),
]


@pytest.mark.parametrize(("text", "code"), ACCEPTED)
def test_each_accepted_form_resolves_to_its_code(text, code):
    assert resolve(text).code == code


def test_surrounding_spaces_and_case_are_ignored():
    assert resolve("  kOrEa \t").code == "KOR"
    assert resolve(" 5800 ").code == "KOR"


def test_resolve_returns_the_same_country_as_lookup():
    assert resolve("Korea") == lookup("KOR") == Country("KOR", "South Korea", "country")


# ----------------------------------------------------------------------------- Korea


@pytest.mark.parametrize(
    "text", ["Korea", "korea", "KOREA", "South Korea", "Korea, South", "Rep. of Korea", "ROK"]
)
def test_korea_alone_means_south_korea_never_north(text):
    found = resolve(text)
    assert found.code == "KOR"
    assert found.code != "PRK"


def test_no_alias_that_mentions_korea_without_north_or_dem_leads_to_prk():
    for row in _rows("country_aliases.csv"):
        alias = row["alias"].casefold()
        if row["code"] == "PRK":
            assert any(mark in alias for mark in ("north", "dem", "dpr", "n. korea")), row


def test_north_korea_names_resolve_to_prk():
    for text in ("North Korea", "Korea, North", "DPRK", "Korea, Dem. People's Rep."):
        assert resolve(text).code == "PRK"


# ------------------------------------------------------------------------- numerics


def test_comtrade_842_and_iso_840_are_both_the_united_states():
    assert resolve("842").code == "USA"
    assert resolve("840").code == "USA"
    assert from_comtrade(842).code == "USA"
    assert from_comtrade(840).code == "USA"


def test_from_comtrade_accepts_numbers_and_digit_strings():
    assert from_comtrade(410).code == "KOR"
    assert from_comtrade("410").code == "KOR"
    assert from_comtrade(" 0 ").code == "WLD"
    assert from_comtrade(0).code == "WLD"


def test_from_comtrade_answers_none_for_unknown_numbers():
    assert from_comtrade(999) is None
    assert from_comtrade(457) is None  # Sarawak: deliberately unmapped
    assert from_comtrade("abc") is None
    assert from_comtrade(-1) is None


def test_comtrade_world_and_eu_are_groups():
    assert from_comtrade(0).kind == "group"
    assert from_comtrade(97).kind == "group"


def test_comtrade_492_is_europe_eu_nes_not_monaco():
    assert from_comtrade(492).code == "XEN"
    assert resolve("Monaco").code == "MCO"


def test_each_nes_area_of_the_comtrade_partner_list_is_a_partner_of_its_own():
    path = shared_file("reference/country_codes/comtrade_plus_partners.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        areas = {
            int(row["id"]): row["country"]
            for row in csv.DictReader(handle)
            if row["country"].endswith(", nes") or row["country"] == "Special Categories"
        }
    assert len(areas) == 17
    found = {number: from_comtrade(number) for number in areas}
    assert len({country.code for country in found.values()}) == len(areas)
    assert {number: (country.name, country.kind) for number, country in found.items()} == {
        number: (name, "other") for number, name in areas.items()
    }


def test_comtrade_490_is_other_asia_nes_never_taiwan():
    assert from_comtrade(490) == Country("XOA", "Other Asia, nes", "other")
    assert resolve("Other Asia, nes").code == "XOA"
    assert resolve("Taiwan").code == "TWN"


def test_other_asia_nes_carries_the_note_that_it_is_taiwan_in_practice():
    assert countries.caveat("XOA") == (
        "Other Asia, nes (XOA, UN Comtrade code 490) is kept as an area of its own: UN "
        "Comtrade uses it for Taiwan in practice, but korus does not relabel it Taiwan (TWN)"
    )


def test_four_digit_numbers_are_census_codes_three_digit_are_iso_or_comtrade():
    assert resolve("5800").code == "KOR"  # Census
    assert resolve("410").code == "KOR"  # ISO
    with pytest.raises(UnknownCountryError, match="Census"):
        resolve("0410")  # four digits are never read as ISO 410


def test_unknown_four_digit_number_raises():
    with pytest.raises(UnknownCountryError, match="Census"):
        resolve("9999")


def test_number_with_five_digits_raises():
    with pytest.raises(UnknownCountryError):
        resolve("12345")


# --------------------------------------------------------------------------- Census


def test_census_5800_is_south_korea_and_5790_is_north_korea():
    assert from_census("5800").code == "KOR"
    assert from_census("5790").code == "PRK"


def test_census_codes_that_lost_their_leading_zeros_are_padded():
    assert from_census("15").code == "WLD"
    assert from_census("0015").code == "WLD"


def test_census_unknown_code_is_none():
    assert from_census("9999") is None


def test_census_special_series_are_not_partners():
    for code in ("0004", "0005", "0006", "0007", "0021", "0022"):
        assert from_census(code) is None
        assert is_census_series(code)
    assert not is_census_series("5800")
    assert not is_census_series("9999")


def test_census_series_code_given_to_resolve_raises_and_names_the_series():
    with pytest.raises(UnknownCountryError, match="Seasonally Adjusted"):
        resolve("0004")


def test_census_codes_that_share_a_country_map_to_the_same_code():
    pairs = [("5080", "5081"), ("4801", "4802"), ("7320", "7321"), ("7740", "7749")]
    for first, second in pairs:
        assert from_census(first).code == from_census(second).code
    assert from_census("5082").code == from_census("5083").code == "PSE"


def test_census_former_and_other_codes():
    assert from_census("4610") == Country("SUN", "USSR", "former")
    assert from_census("4350").kind == "former"
    assert from_census("4790").kind == "former"
    assert from_census("4799").kind == "former"
    assert from_census("2771").kind == "former"
    assert from_census("5160").code == "XNZ"
    assert from_census("8220") == Country("XUN", "Unidentified Countries", "other")
    assert from_census("8500").code == "XIO"


def test_census_table_has_one_row_per_code_and_the_four_columns():
    rows = _rows("census_schedule_c.csv")
    assert list(rows[0]) == ["census_code", "census_name", "code", "kind"]
    codes = [row["census_code"] for row in rows]
    assert len(codes) == len(set(codes)) == 265
    assert all(len(code) == 4 and code.isdigit() for code in codes)


def test_every_census_code_maps_to_a_code_that_lookup_knows():
    for row in _rows("census_schedule_c.csv"):
        if row["kind"] == "series":
            assert row["code"] == ""
            continue
        found = lookup(row["code"])
        assert found.kind == row["kind"], row
        assert from_census(row["census_code"]) == found


def test_every_census_zero_code_is_a_group_or_a_series():
    for row in _rows("census_schedule_c.csv"):
        if row["census_code"].startswith("0"):
            assert row["kind"] in {"group", "series"}, row


# -------------------------------------------------------------------------- Comtrade


def test_every_comtrade_code_maps_to_a_code_that_lookup_knows():
    rows = _rows("comtrade_codes.csv")
    assert list(rows[0]) == ["comtrade_code", "code"]
    numbers = [int(row["comtrade_code"]) for row in rows]
    assert len(numbers) == len(set(numbers))
    for row in rows:
        assert from_comtrade(row["comtrade_code"]) == lookup(row["code"])


def test_comtrade_table_holds_only_numbers_iso_lacks_or_uses_otherwise():
    import pycountry

    for row in _rows("comtrade_codes.csv"):
        iso = pycountry.countries.get(numeric=f"{int(row['comtrade_code']):03d}")
        if iso is not None:
            assert row["comtrade_code"] == "492"  # Monaco in ISO, Europe EU nes in Comtrade


# --------------------------------------------------------------------------- aliases


def test_aliases_never_point_two_ways_once_normalised():
    seen: dict[str, str] = {}
    for row in _rows("country_aliases.csv"):
        key = countries._normalise(row["alias"])
        assert seen.setdefault(key, row["code"]) == row["code"], row
    for row in _rows("census_schedule_c.csv"):
        if row["code"]:
            key = countries._normalise(row["census_name"])
            assert seen.setdefault(key, row["code"]) == row["code"], row


def test_every_alias_code_is_known_to_lookup():
    for row in _rows("country_aliases.csv"):
        assert lookup(row["code"]).code == row["code"]


def test_every_iso_country_has_a_display_name_in_the_alias_table():
    import pycountry

    codes = {row["code"] for row in _rows("country_aliases.csv")}
    assert {country.alpha_3 for country in pycountry.countries} <= codes


def test_every_alias_resolves_to_its_code():
    for row in _rows("country_aliases.csv"):
        assert resolve(row["alias"]).code == row["code"], row


def test_display_names_are_short_english_names():
    assert lookup("KOR").name == "South Korea"
    assert lookup("PRK").name == "North Korea"
    assert lookup("CHN").name == "China"
    assert lookup("USA").name == "United States"
    assert lookup("WLD").name == "World"
    assert lookup("EUN").name == "European Union"


def test_normalisation_ignores_accents_case_and_punctuation():
    assert countries._normalise("Côte d’Ivoire") == countries._normalise("COTE D'IVOIRE")
    assert countries._normalise("Korea,   Rep.") == "korea rep"
    assert countries._normalise("U.S.A.") == "usa"


# ---------------------------------------------------------------------------- groups


def test_world_and_eu_are_groups_and_countries_are_not():
    assert is_group("WLD")
    assert is_group("EUN")
    assert not is_group("KOR")
    assert not is_group("USA")
    assert not is_group("XUN")  # part of the world total: summed with countries
    assert not is_group("SUN")


def test_every_korus_group_is_a_group_kind():
    for code in ("WLD", "EUN", "XOP", "XEU", "XAS", "XAF", "XNA", "XSC", "XPR", "XCD", "XOC"):
        assert lookup(code).kind == "group"
        assert is_group(code)
    assert lookup("XSS").kind == "group"


def test_is_group_is_false_for_unknown_codes():
    assert not is_group("ZZZ")


# --------------------------------------------------------------------------- lookup


def test_lookup_of_unknown_code_raises_unknown_country_not_key_error():
    with pytest.raises(UnknownCountryError):
        lookup("ZZZ")
    with pytest.raises(UnknownCountryError):
        lookup("")


def test_lookup_knows_former_countries_beyond_the_tables():
    assert lookup("DDR").kind == "former"
    assert lookup("PUS").kind == "former"


def test_current_code_wins_over_a_withdrawn_one_with_the_same_letters():
    assert lookup("ATF").kind == "country"


def test_unknown_country_error_is_a_korus_error():
    assert issubclass(UnknownCountryError, KorusError)


# ---------------------------------------------------------------------- unknown names


def test_misspelt_korea_suggests_south_korea():
    with pytest.raises(UnknownCountryError) as caught:
        resolve("Koria")
    message = str(caught.value)
    assert message.startswith("unknown country 'Koria': did you mean ")
    assert "South Korea (KOR)" in message
    assert message.index("South Korea (KOR)") < message.index("North Korea (PRK)")


def test_suggestions_list_at_most_five_names():
    with pytest.raises(UnknownCountryError) as caught:
        resolve("Chna")
    listed = str(caught.value).split("did you mean ", 1)[1]
    assert listed.count("(") <= 5
    assert "China (CHN)" in listed


def test_nonsense_raises_without_suggestions_but_with_a_hint():
    with pytest.raises(UnknownCountryError, match="South Korea"):
        resolve("xyzzy")


def test_empty_text_raises():
    with pytest.raises(UnknownCountryError):
        resolve("   ")


@pytest.mark.parametrize("text", ["Koria", "xyzzy", "9999", "0004", "12345", "QQ", ""])
def test_unknown_country_messages_never_say_error(text):
    with pytest.raises(UnknownCountryError) as caught:
        resolve(text)
    assert "error" not in str(caught.value).casefold()


@given(st.text(max_size=12))
def test_resolve_either_answers_a_known_country_or_raises_unknown_country(text):
    try:
        found = resolve(text)
    except UnknownCountryError:
        return
    assert lookup(found.code) == found


# ------------------------------------------------------------------------- fast path


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    return set(result.stdout.split())


def test_exact_codes_and_table_names_do_not_import_pycountry():
    modules = _modules_after(
        "from korus.countries import resolve, lookup, from_census, from_comtrade, is_group\n"
        "assert resolve('KOR').code == 'KOR'\n"
        "assert resolve('Korea').code == 'KOR'\n"
        "assert resolve('Rep. of Korea').code == 'KOR'\n"
        "assert resolve('5800').code == 'KOR'\n"
        "assert resolve('842').code == 'USA'\n"
        "assert lookup('WLD').kind == 'group'\n"
        "assert from_census('5790').code == 'PRK'\n"
        "assert is_group('EUN')"
    )
    assert "korus.countries" in modules
    assert "pycountry" not in modules
    assert "pandas" not in modules
    assert "click" not in modules


def test_alpha2_codes_use_pycountry():
    modules = _modules_after("from korus.countries import resolve\nresolve('KR')")
    assert "pycountry" in modules
