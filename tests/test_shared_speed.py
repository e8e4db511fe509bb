"""The shared speed layer gives what the plain pandas and Arrow steps give.

Columns of one text held once (``readers.same.put_same``, ``taken``), rows chosen
without a copy (``metrics._rows``), a plan of sums grouped by dictionary codes
(``engine.plan_partners``) and the command line's choice of Arrow's allocator: each
is held here to the plain computation it stands for, on seeded random frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from korus import allocator, countries
from korus.engine.plan_partners import PartnerYears
from korus.engine.plans import plain
from korus.metrics import _rows
from korus.readers.same import SAME_BLOCK, put_same, same_text, taken

SEEDS = range(6)


def _frame(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "year": rng.integers(2010, 2013, rows),
            "partner": rng.choice(["KOR", "CAN", "MEX", "Åland"], rows),
            "value_usd": rng.random(rows) * 1e6,
            "month": pd.array(rng.integers(1, 13, rows), dtype="Int8"),
        },
        index=rng.permutation(rows) + 7,
    )
    frame.loc[frame.index[: rows // 5], "partner"] = None  # missing text too
    return frame


@pytest.mark.parametrize("seed", SEEDS)
def test_a_column_of_one_text_equals_pandas_own_fill(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 3 * SAME_BLOCK))
    ours = _frame(rng, rows)
    theirs = ours.copy()
    put_same(ours, source="UN Comtrade (Comtrade+)", vintage="release 2024-05-01", n=None)
    theirs["source"] = "UN Comtrade (Comtrade+)"
    theirs["vintage"] = "release 2024-05-01"
    theirs["n"] = None
    pd.testing.assert_frame_equal(ours, theirs)
    assert list(ours.columns) == list(theirs.columns)
    if rows > SAME_BLOCK:
        # held once: every chunk is one block of the text, not a copy per row
        cells = ours["source"].array._pa_array
        assert cells.num_chunks == -(-rows // SAME_BLOCK)
        assert cells.nbytes < theirs["source"].array._pa_array.nbytes


@pytest.mark.parametrize("rows", [0, 1, SAME_BLOCK, SAME_BLOCK + 1, 3 * SAME_BLOCK - 5])
def test_same_text_holds_the_text_in_every_row(rows):
    cells = same_text("FOB", rows)
    assert len(cells) == rows
    assert cells.type == pa.large_string()
    assert set(cells.to_pylist()) <= {"FOB"}


@pytest.mark.parametrize("seed", SEEDS)
def test_taken_rows_equal_pandas_take(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 5000))
    frame = _frame(rng, rows)
    put_same(frame, source="CEPII BACI", basis="FOB")
    order = rng.permutation(rows)  # (a reordering: every row, once)
    pd.testing.assert_frame_equal(taken(frame, order), frame.take(order))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["all", "none", "block", "some"])
def test_rows_chosen_without_a_copy_equal_a_boolean_index(seed, kind):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(2, 3000))
    frame = _frame(rng, rows)
    put_same(frame, source="US Census Bureau")
    mask = np.zeros(rows, dtype=bool)
    if kind == "all":
        mask[:] = True
    elif kind == "block":
        start = int(rng.integers(0, rows - 1))
        mask[start : int(rng.integers(start + 1, rows + 1))] = True
    elif kind == "some":
        mask = rng.random(rows) < 0.4
    chosen = _rows(frame, pd.Series(mask, index=frame.index))
    pd.testing.assert_frame_equal(chosen, frame[mask])
    if kind == "all":
        assert chosen is frame


@pytest.mark.parametrize("seed", SEEDS)
def test_sums_grouped_by_dictionary_codes_equal_sums_of_plain_text(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 4000))
    text = {
        "reporter": rng.choice(["USA", "KOR"], rows),
        "partner": rng.choice(["KOR", "CAN", "WLD", "EUR", "JPN"], rows),
        "flow": rng.choice(["export", "import", "balance", "re-export"], rows),
        "product": rng.choice(["TOTAL", "87", "8703", "870323", "010121"], rows),
        "classification": rng.choice(["HS", "H4"], rows),
        "source": rng.choice(["a", "b"], rows),
        "basis": rng.choice(["FOB", "CIF"], rows),
        "vintage": rng.choice(["v1", "v2"], rows),
    }
    months = rng.integers(0, 13, rows)
    table = pa.table(
        {
            "year": pa.array(rng.integers(2015, 2018, rows), pa.int16()),
            "month": pa.array(months, pa.int8(), mask=months == 0),
            **{name: pa.array(values, pa.large_string()) for name, values in text.items()},
            # whole dollars: sums exact in any order
            "value_usd": rng.integers(0, 10**9, rows).astype(np.float64),
        }
    )
    # as a kept reading gives them: row groups read as chunks, each its own dictionary
    cut = sorted(rng.integers(0, rows, 3))
    pieces = [table.slice(a, b - a) for a, b in zip([0, *cut], [*cut, rows], strict=True)]
    coded = pa.concat_tables(
        [
            piece.cast(
                pa.schema(
                    [
                        pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
                        if pa.types.is_large_string(f.type)
                        else f
                        for f in piece.schema
                    ]
                )
            )
            for piece in pieces
        ]
    )
    plan = PartnerYears("USA", None, countries.group_codes())

    def ordered(result):
        return result.sort_by([(name, "ascending") for name in result.column_names])

    for ours, theirs in zip(plan.sums(coded), plan.sums(plain(table)), strict=True):
        assert ours.schema == theirs.schema
        assert ordered(ours).equals(ordered(theirs))


def test_the_command_line_chooses_jemalloc_where_arrow_has_it_unless_the_user_chose(
    monkeypatch, tmp_path
):
    import os

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    monkeypatch.delenv("JE_ARROW_MALLOC_CONF", raising=False)
    allocator.choose()
    import pyarrow as pa

    expected = "jemalloc" if "jemalloc" in pa.supported_memory_backends() else "system"
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == expected
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    allocator.choose()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "mimalloc"

    # An Arrow whose build header says nothing of jemalloc (or has none) gets the system's.
    for text in ("#define ARROW_MIMALLOC\n", "// #define ARROW_JEMALLOC is off\n", None):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        (folder / "include" / "arrow" / "util").mkdir(parents=True)
        if text is not None:
            (folder / "include" / "arrow" / "util" / "config.h").write_text(text)
        spec = type("Spec", (), {"submodule_search_locations": [str(folder)]})()
        monkeypatch.setattr("importlib.util.find_spec", lambda name, spec=spec: spec)
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
        allocator.choose()
        assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    (folder / "include" / "arrow" / "util" / "config.h").write_text("#define ARROW_JEMALLOC\n")
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    allocator.choose()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"


def test_jemalloc_gives_freed_memory_back_soon_unless_the_user_set_its_options(monkeypatch):
    import os

    monkeypatch.delenv("JE_ARROW_MALLOC_CONF", raising=False)
    allocator.choose()
    assert os.environ["JE_ARROW_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:0"
    monkeypatch.setenv("JE_ARROW_MALLOC_CONF", "narenas:1")
    allocator.choose()
    assert os.environ["JE_ARROW_MALLOC_CONF"] == "narenas:1"


@pytest.mark.parametrize("seed", range(40))
def test_keys_shared_says_what_pandas_duplicated_says(seed):
    from korus.trust import _keys_shared

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 60))
    frame = pd.DataFrame(
        {
            "year": rng.integers(2015, 2015 + int(rng.integers(1, 3)), rows),
            "month": pd.array(rng.integers(1, 4, rows), dtype="Int8"),
            "reporter": pd.array(["USA"] * rows, dtype="str"),
            "partner": pd.array(rng.choice(["KOR", "CAN", "MEX"], rows), dtype="str"),
            "product": pd.array(rng.choice(["87", "8703", "TOTAL"], rows), dtype="str"),
        }
    )
    if rows:
        put_same(frame, flow="import")
        missing = rng.random(rows) < 0.2  # missing months and partners: equal to one another
        frame.loc[missing, "month"] = pd.NA
        frame.loc[rng.random(rows) < 0.1, "partner"] = None
    keys = ["year", "month", "reporter", "partner", "flow", "product"][: int(rng.integers(2, 7))]
    if rows and seed % 2:  # half the frames have every row once: the usual reading
        frame = frame.drop_duplicates(subset=keys)
    assert _keys_shared(frame, keys) == bool(frame.duplicated(subset=keys).any())


def test_keys_too_many_to_number_say_they_may_be_shared():
    from korus.trust import _keys_shared

    rows = 200_000
    frame = pd.DataFrame({name: np.arange(rows) for name in "abcd"})  # (2e5)^4 > 2^62
    assert not frame.duplicated().any()
    assert _keys_shared(frame, list("abcd")) is True
    assert _keys_shared(frame, list("abc")) is False


@pytest.mark.parametrize("seed", range(40))
def test_a_column_of_one_text_is_told_as_every_row_tells_it(seed):
    """``same._constant`` (a column of one text, whose rows a reordering need not
    move) gives what a look at every row gives, for columns of one block repeated
    (``same_text``), of blocks of two texts, of slices, and of plain rows."""
    import random

    import pyarrow as pa

    from korus.readers import same

    draw = random.Random(seed)
    texts = ["USA", "KOR", "FOB", ""]
    chunks = []
    for _ in range(draw.randint(1, 4)):
        kind = draw.choice(["same", "same", "slice", "rows"])
        count = draw.randint(1, 70_000)
        if kind == "same":
            chunks.extend(same.same_text(draw.choice(texts[:2]), count).chunks)
        elif kind == "slice":
            block = same.same_text(draw.choice(texts[:2]), count).chunks[0]
            start = draw.randint(0, len(block) - 1)
            chunks.append(block.slice(start, draw.randint(1, len(block) - start)))
        else:
            chunks.append(pa.array([draw.choice(texts) for _ in range(count)], pa.large_string()))
    cells = pa.chunked_array(chunks, pa.large_string())
    column = pd.Series(pd.arrays.ArrowStringArray(cells))
    assert same._constant(column) is (len(set(cells.to_pylist())) == 1)


# What figures cover, told apart by Arrow: the same words as Python's sorted(set(...)).
CODES = ["TOTAL", "01", "02", "99", "0101", "8703", "870323", "870324", "Ω1", "é2", "a", "Z"]


def _coverage_by_python(codes, classifications) -> str:
    """``metrics.coverage_of`` as it was written over Python lists (the reference)."""
    from korus.metrics import _LEVELS, ALL_GOODS, _family
    from korus.schema import TOTAL

    products = sorted(set(codes))
    if products == [TOTAL]:
        return ALL_GOODS
    codes = [code for code in products if code != TOTAL]
    family = sorted({_family(name) for name in set(classifications) if name != "none"})
    label = "/".join(family) or "products"
    if TOTAL in products:
        return f"{ALL_GOODS} in some periods, {label} products in others"
    if len(codes) <= 4:
        return f"{label} {', '.join(codes)}"
    widths = {len(code) for code in codes}
    level = _LEVELS.get(widths.pop(), "codes") if len(widths) == 1 else "codes"
    return f"{len(codes)} {label} {level} ({codes[0]}-{codes[-1]})"


@pytest.mark.parametrize("seed", range(60))
def test_coverage_told_by_arrow_says_what_python_says(seed):
    from korus import metrics

    rng = np.random.default_rng(seed)
    pool = list(rng.choice(CODES, size=int(rng.integers(1, len(CODES) + 1)), replace=False))
    if seed % 3 == 0:  # many codes of one width, and the totals sometimes
        pool = [f"{n:06d}" for n in rng.choice(999_999, size=200, replace=False)]
        pool += ["TOTAL"] if seed % 2 else []
    rows = int(rng.integers(1, 400))
    codes = [pool[i] for i in rng.integers(0, len(pool), size=rows)]
    kinds = ["HS", "HS92", "HTS", "none", "Census end-use"]
    names = [kinds[i] for i in rng.integers(0, 1 + seed % len(kinds), size=rows)]
    expected = _coverage_by_python(codes, names)
    frame = pd.DataFrame({"product": codes, "classification": names}, dtype="str")
    chunked = pa.chunked_array([pa.array(codes[: rows // 2]), pa.array(codes[rows // 2 :])])
    assert metrics.coverage(frame) == expected
    assert metrics.coverage_of(chunked, pa.array(names).dictionary_encode()) == expected
    assert metrics.coverage_of(pa.array(codes).dictionary_encode(), names) == expected
    assert metrics.coverage_of(iter(codes), iter(names)) == expected
    # Each year's distinct values, as the frame of plain Python text gives them.
    years = rng.integers(1990, 1990 + 1 + seed % 7, size=rows)
    frame["year"] = years
    plain = frame.astype({"product": object})
    by_arrow, by_python = metrics._by_year(frame, "product"), metrics._by_year(plain, "product")
    assert by_arrow.keys() == by_python.keys()
    for year, values in by_arrow.items():
        assert values.to_pylist() == sorted(set(by_python[year]))
        held = {code for code, at in zip(codes, years, strict=True) if at == year}
        assert sorted(set(by_python[year])) == sorted(held)
    # A column of one text in every row (a seed in five: one classification) too.
    plain = frame.astype({"classification": object})
    by_arrow = metrics._by_year(frame, "classification")
    by_python = metrics._by_year(plain, "classification")
    assert by_arrow.keys() == by_python.keys() == set(years.tolist())
    for year, values in by_arrow.items():
        assert values.to_pylist() == sorted(set(by_python[year]))


@pytest.mark.parametrize("seed", range(30))
def test_series_numbered_from_codes_as_pandas_groupby_numbers_them(seed):
    from korus.trust import _numbered

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 300))
    reporters = np.array(["USA", "KOR", "DEU", None], dtype=object)[rng.integers(0, 4, rows)]
    years = rng.choice([1990.0, 2016.0, 2001.0, np.nan], size=rows)
    flows = np.array(["import", "export", "balance"], dtype=object)[rng.integers(0, 3, rows)]
    frame = pd.DataFrame({"reporter": reporters, "year": years, "flow": flows})
    if seed % 2:
        frame = frame.astype({"reporter": "str", "flow": "str"})
    if seed % 3 == 0:
        frame["year"] = frame["year"].astype("Int16")
    columns = ["reporter", "year", "flow"]
    expected = frame.groupby(columns, observed=True, dropna=False).ngroup().to_numpy()
    assert _numbered(frame, columns).tolist() == expected.tolist()


@pytest.mark.parametrize("seed", range(40))
def test_rows_sorted_by_their_keys_numbered_are_as_pandas_sorts_them(seed):
    from korus.readers.same import sorted_rows

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 400))
    partners = np.array(["KOR", "USA", "DEU", "Été", "ZZZ", "abc"], dtype=object)
    products = np.array(["TOTAL", "01", "0101", "870323", "99", "A1"], dtype=object)
    frame = pd.DataFrame(
        {
            "partner": partners[rng.integers(0, 1 + seed % 6, rows)],
            "product": products[rng.integers(0, 6, rows)],
            "year": rng.integers(1990, 1990 + 1 + seed % 30, rows).astype("int16"),
            "month": pd.array(rng.integers(1, 13, rows), dtype="Int8"),
            "value_usd": rng.random(rows),
        }
    ).astype({"partner": "str", "product": "str"})
    frame.loc[rng.random(rows) < 0.2, "month"] = pd.NA  # whole years: sorted last
    if seed % 2:
        frame = frame.drop_duplicates(["partner", "product", "year", "month"])
    frame = frame.sample(frac=1, random_state=seed)  # (rows in any order, the index too)
    keys = ["partner", "product", "year", "month"]
    ours = sorted_rows(frame, keys)
    expected = frame.sort_values(keys, na_position="last")
    if not frame.duplicated(keys).any():  # (with rows alike, pandas's own sort is used)
        assert ours.index.tolist() == expected.index.tolist()
    pd.testing.assert_frame_equal(ours, expected)


@pytest.mark.parametrize("rows", [1, 2, 5, SAME_BLOCK + 3])
def test_a_columns_codes_told_once_are_pandas_own(rows):
    from korus.trust import Codes

    frame = pd.DataFrame({"year": np.arange(rows) % 3})
    put_same(frame, reporter="USA")  # one text, held once
    frame["flow"] = pd.array(["import"] * rows, dtype="str")  # one text, in every row
    frame["partner"] = pd.array(["KOR", "DEU"] * (rows // 2) + ["KOR"] * (rows % 2), dtype="str")
    frame["product"] = pd.array(["01"] * (rows - 1) + [None], dtype="str")  # one missing
    codes = Codes(frame)
    for name in frame.columns:
        ours, values = codes(name)
        theirs, expected = pd.factorize(frame[name], use_na_sentinel=False)
        assert ours.tolist() == theirs.tolist()
        assert ours.dtype == theirs.dtype
        assert values.equals(expected) and values.dtype == expected.dtype
        assert codes(name)[0] is ours  # (told once)
        ranked, ordered = codes.sorted(name)
        theirs, expected = pd.factorize(frame[name], sort=True, use_na_sentinel=False)
        assert ranked.tolist() == theirs.tolist() and ordered.equals(expected)


@pytest.mark.parametrize("distinct", [3, 40, 400])  # (few keys counted, many sorted)
def test_series_of_many_or_few_possible_keys_are_numbered_as_pandas_numbers_them(distinct):
    from korus.trust import _numbered

    rng = np.random.default_rng(distinct)
    rows = 500
    frame = pd.DataFrame(
        {
            "reporter": pd.array([f"R{n}" for n in rng.integers(0, distinct, rows)], dtype="str"),
            "year": rng.integers(1990, 1990 + distinct, rows),
            "flow": pd.array([f"F{n}" for n in rng.integers(0, distinct, rows)], dtype="str"),
        }
    )
    columns = ["reporter", "year", "flow"]
    expected = frame.groupby(columns, observed=True, dropna=False).ngroup().to_numpy()
    assert _numbered(frame, columns).tolist() == expected.tolist()


@pytest.mark.parametrize("seed", range(40))
def test_each_years_provenance_is_that_of_its_own_rows(seed):
    """A panel's products, vintages and bases, each year's told from the year's own rows
    (and the whole's from all of them where a year asked for holds none)."""
    from korus import metrics
    from korus.schema import ALL_GOODS

    rng = np.random.default_rng(seed)
    years = sorted(rng.choice(range(1995, 2020), size=int(rng.integers(2, 6)), replace=False))
    pool = [f"{n:06d}" for n in rng.choice(999_999, size=12, replace=False)] + ["TOTAL"]
    parts = []
    for number, year in enumerate(years):
        size = int(rng.integers(1, 30))
        if (seed + number) % 4 == 0 or seed % 5 == 1:
            chosen = ["TOTAL"] * size  # a year of totals only (every year: all goods)
        else:
            chosen = [pool[i] for i in rng.integers(0, len(pool) - (seed % 2), size=size)]
        parts.append(
            pd.DataFrame(
                {
                    "year": year,
                    "flow": rng.choice(["export", "import"], size),
                    "product": chosen,
                    "classification": rng.choice(["HS", "HTS", "none"][: 1 + seed % 3], size),
                    "vintage": rng.choice(["2021 release", "2023 release"][: 1 + seed % 2], size),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True).astype(
        {name: "str" for name in ("flow", "product", "classification", "vintage")}
    )
    rows["year"] = rows["year"].astype("int16")
    rows["source"] = "US Census Bureau"
    rows["basis"] = rows["flow"].map({"export": "total exports, FAS", "import": "general, CIF"})
    asked = [*years, 2030] if seed % 3 == 0 else years  # a year of no rows: the whole's
    out = metrics._provenance(pd.DataFrame({"year": asked}), rows)
    whole = metrics.coverage(rows)
    for year, products, vintage in zip(asked, out["products"], out["vintage"], strict=True):
        own = rows[rows["year"] == year]
        held = own if len(own) else rows
        assert products == (metrics.coverage(own) if len(own) else whole)
        assert vintage == ", ".join(sorted(set(held["vintage"])))
    export_basis = "total exports, FAS" if whole == ALL_GOODS else "exports (domestic and"
    assert out["basis"].iloc[0].startswith(f"exports: {export_basis}")


@pytest.mark.parametrize("seed", range(20))
def test_code_widths_are_the_characters_of_each_code_and_the_totals_none(seed):
    from korus.trust import _code_widths

    rng = np.random.default_rng(seed)
    pool = ["TOTAL", "01", "0101", "010121", "9999AA", "Ünïcode", "TOTALS", ""]
    codes = [pool[i] for i in rng.integers(0, len(pool), size=int(rng.integers(1, 40)))]
    expected = [0 if code == "TOTAL" else len(code) for code in pd.unique(pd.Series(codes))]
    for dtype in ("str", object):
        products = pd.factorize(pd.Series(codes, dtype=dtype))[1]
        assert _code_widths(products).tolist() == expected


def test_the_readers_asked_about_companion_files_are_those_that_tell_them():
    import importlib

    from korus import readers

    telling = [
        name
        for name in readers.MODULES
        if hasattr(importlib.import_module(f"korus.readers.{name}"), "companion")
    ]
    assert list(readers.COMPANIONS) == telling


@pytest.mark.parametrize("seed", range(30))
def test_coded_text_is_each_rows_value_and_one_text_in_every_row_is_held_once(seed):
    from korus.readers.columns import Coded

    rng = np.random.default_rng(seed)
    values = ["KOR", "USA", None, "Åland"][: 1 + seed % 4]
    rows = int(rng.integers(SAME_BLOCK + 1, 3 * SAME_BLOCK)) if seed % 5 == 0 else seed * 7
    codes = rng.integers(0, len(values), rows).astype(np.int32)
    if seed % 3 == 0 and rows:
        codes[:] = codes[0]  # one value in every row
    at = np.sort(rng.choice(rows, size=rows // 2, replace=False)) if seed % 2 else slice(None)
    got = Coded(codes, list(values)).strings(at)
    chosen = codes[at]
    expected = pd.array([values[code] for code in chosen], dtype="str")
    assert got.dtype == expected.dtype
    pd.testing.assert_extension_array_equal(got, expected)
    one = len(chosen) and type(values[chosen[0]]) is str and (chosen == chosen[0]).all()
    if one and len(chosen) > SAME_BLOCK:
        chunks = pa.array(got).chunks
        assert len(chunks) > 1
        assert len({chunk.buffers()[2].address for chunk in chunks}) == 1
