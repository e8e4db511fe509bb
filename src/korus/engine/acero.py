"""Grouped aggregates, joins and literal values for the plans, made without waiting for
pandas.

The command line imports pandas in a thread beside its reading. pyarrow's ``group_by``
and ``join`` import ``pyarrow.acero``, which imports ``pyarrow.dataset`` and so pandas;
``pa.array``, ``pa.scalar`` and a compute function given a Python value ask pyarrow's
pandas shim, which imports pandas too. Each then waits while the other thread imports it
(130-145 ms each, ending as the import ends), and a plan's sums of a kept reading, ready
to run, stand still until pandas is there. Built here, the same Acero plans (from
``pyarrow._acero``, the nodes ``pyarrow.acero`` itself declares) and the same values
(from their buffers) run meanwhile. Where that module is missing (another pyarrow), the
table's own methods are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


def _nodes():
    try:
        from pyarrow import _acero
    except ImportError:  # (a pyarrow without the module: its own methods, which may wait)
        return None
    return _acero


def aggregate(table: pa.Table, keys: list[str], aggregates: list, use_threads: bool = True):
    """Return ``table.group_by(keys, use_threads=use_threads).aggregate(aggregates)``:
    the same plan, so the same columns (an aggregate named ``column_function``) and rows."""
    acero = _nodes()
    if acero is None:
        return table.group_by(keys, use_threads=use_threads).aggregate(aggregates)
    specs = []
    for target, function in aggregates:
        targets = list(target) if isinstance(target, list | tuple) else [target]
        plain = function.removeprefix("hash_")
        named = "_".join(targets) + "_" + plain if targets else plain
        specs.append((targets, ("hash_" if keys else "") + plain, None, named))
    plan = acero.Declaration.from_sequence(
        [
            acero.Declaration("table_source", acero.TableSourceNodeOptions(table)),
            acero.Declaration("aggregate", acero.AggregateNodeOptions(specs, keys=list(keys))),
        ]
    )
    return plan.to_table(use_threads=use_threads)


def join(left: pa.Table, right: pa.Table, keys: list[str], join_type: str = "inner"):
    """Return ``left.join(right, keys=keys, join_type=join_type)`` for the joins the plans
    ask: "inner" (left's columns, then right's others) and "left anti" / "left semi"
    (left's columns)."""
    acero = _nodes()
    if acero is None or join_type not in ("inner", "left anti", "left semi"):
        return left.join(right, keys=keys, join_type=join_type)
    keys = list(keys)
    right_columns = [] if join_type != "inner" else [c for c in right.column_names if c not in keys]
    options = acero.HashJoinNodeOptions(
        join_type,
        keys,
        keys,
        list(left.column_names),
        right_columns,
        output_suffix_for_left="",
        output_suffix_for_right="",
    )
    sources = [
        acero.Declaration("table_source", acero.TableSourceNodeOptions(side))
        for side in (left, right)
    ]
    return acero.Declaration("hashjoin", options=options, inputs=sources).to_table(use_threads=True)


def texts(values) -> pa.Array:
    """Return Python strings as an Arrow string array (``pa.array(values, pa.string())``)."""
    import numpy as np
    import pyarrow as pa

    encoded = [value.encode("utf-8") for value in values]  # (text only: never made text)
    ends = np.cumsum([0, *(len(text) for text in encoded)], dtype=np.int64)
    if ends[-1] >= 1 << 31:
        return pa.array(list(values), pa.string())
    offsets = pa.py_buffer(ends.astype(np.int32))
    return pa.StringArray.from_buffers(len(encoded), offsets, pa.py_buffer(b"".join(encoded)))


def text(value: str) -> pa.Scalar:
    """Return a Python string as an Arrow string scalar (``pa.scalar(value)``)."""
    return texts([value])[0]


def integers(values, kind=None) -> pa.Array:
    """Return integers (Python's, or a numpy array: no copy where it is int64 and
    contiguous) as an Arrow int64 array, or of ``kind`` (``pa.array(values, kind)``)."""
    import numpy as np
    import pyarrow as pa

    if isinstance(values, np.ndarray):
        numbers = np.ascontiguousarray(values, dtype=np.int64)
    else:
        numbers = np.asarray(list(values), dtype=np.int64)
    array = pa.Array.from_buffers(pa.int64(), len(numbers), [None, pa.py_buffer(numbers)])
    return array if kind is None or kind == pa.int64() else array.cast(kind)
