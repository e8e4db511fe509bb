"""korus's cache files damaged at random: every answer is the right figure or one clear error.

The cache of a folder of two BACI years (each year's entry, one in two parts, and the years
kept together) is written once; each example puts it back as written, damages one of its
files (a bit flipped in the footer or anywhere, bytes overwritten, the file cut short) and
asks three questions: a pair over one year, the whole year, the pair over the folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cachework import PAIR, ask, make_year, own_cache, read
from korus import cache, readers
from korus.errors import KorusError
from korus.readers import baci, baci_parse

MUTATIONS = ["a bit of the footer", "a bit anywhere", "bytes overwritten", "cut short"]


@pytest.fixture
def written(tmp_path, monkeypatch) -> dict:
    """The folder's cache as written, the answers to expect, and where things are."""
    folder = own_cache(tmp_path, monkeypatch)
    monkeypatch.setattr(cache, "_deferred", False)
    monkeypatch.setattr(baci_parse, "_parts", lambda rows, size: 2 if rows > 1400 else 1)
    years = tmp_path / "years"
    paths = [make_year(years, 2019, seed=1), make_year(years, 2020, seed=2, products=30)]
    cache.set_enabled(False)
    expected = {
        "pair": read(paths[1]).frame,
        "whole": read(paths[1], None).frame,
        "folder": readers.load([years], pair=PAIR).frame,
    }
    cache.set_enabled(True)
    for path in paths:
        assert cache.build_entry(path, "baci", baci.build_cache, baci.cache_companions)
    assert cache.build_group_entry(paths, "baci", baci.build_group, baci.cache_companions)
    kept = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
    assert len([name for name in kept if name.endswith(".parquet")]) == 4
    yield {"folder": folder, "kept": kept, "paths": paths, "years": years, "expected": expected}
    cache.wait()


def damage(path: Path, how: str, where: float, bit: int, noise: bytes) -> None:
    data = bytearray(path.read_bytes())
    if how == "a bit of the footer":
        length = int.from_bytes(data[-8:-4], "little") + 8
        at = len(data) - 1 - int(where * min(length, len(data) - 1))
        data[at] ^= 1 << bit
    elif how == "a bit anywhere":
        data[int(where * (len(data) - 1))] ^= 1 << bit
    elif how == "bytes overwritten":
        at = int(where * (len(data) - 1))
        data[at : at + len(noise)] = noise[: len(data) - at]
    else:
        del data[int(where * (len(data) - 1)) :]
    path.write_bytes(bytes(data))


def answer(question):
    """Return the frame a question gives, or the message of the clear error it ends in."""
    try:
        return question()
    except KorusError as exc:
        message = str(exc)
        assert "\n" not in message and "unexpected" not in message
        return message


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    file=st.integers(min_value=0, max_value=3),
    how=st.sampled_from(MUTATIONS),
    where=st.floats(min_value=0, max_value=1),
    bit=st.integers(min_value=0, max_value=7),
    noise=st.binary(min_size=1, max_size=64),
)
def test_a_cache_damaged_at_random_gives_the_right_figures_or_one_clear_error(
    written, file, how, where, bit, noise
):
    folder = written["folder"]
    for path in folder.iterdir():
        path.unlink()
    for name, data in written["kept"].items():
        (folder / name).write_bytes(data)
    cache._verified.clear()  # as a new process finds them
    parquet = sorted(name for name in written["kept"] if name.endswith(".parquet"))
    damage(folder / parquet[file], how, where, bit, noise)

    year = written["paths"][1]
    questions = {
        "pair": lambda: read(year).frame,
        "whole": lambda: read(year, None).frame,
        "folder": lambda: ask([written["years"]]).frame,
    }
    for name, question in questions.items():
        got = answer(question)
        if isinstance(got, pd.DataFrame):
            pd.testing.assert_frame_equal(got, written["expected"][name])
