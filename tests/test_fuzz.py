"""A bounded fuzz run: mutated corpus files end in a correct reading or one clear error."""

from __future__ import annotations

import pytest

from fuzzing import run_case

# Seeds are fixed so that a failure replays; tests/fuzz_long.py runs thousands more.
CASES = range(300)


@pytest.mark.parametrize("seed", CASES)
def test_a_mutated_file_never_ends_in_a_traceback(tmp_path, seed):
    assert run_case(seed, tmp_path) is None
