"""A JSON array of arrays of text (the Census API's answer: a header, then one array a
row) read into columns of text a whole file at a time, from the positions of its bytes:
never a Python object per cell (a million rows of seven fields: 7 million strings, 3 s to
load and 1 GB, and as long again to make columns of them).

``text_rows`` vouches for the shape such answers have: every value a string without an
escape, or null; every array as wide as the first; nothing else between them but JSON's
whitespace. It then gives exactly what ``json.loads`` and ``columns.object_columns`` give
(null as ""). Anything else (a number, true or false, an escape, a control character in a
string, a ragged or empty array, a stray byte) gives None: the reader then reads the file
the exact way, whose errors name the row, or the line and column.
"""

from __future__ import annotations

# What each byte between strings is, as bits: text (refused there), JSON's whitespace
# (a tab or line break among it, both refused inside a string), another control character
# (refused anywhere), a mark: the bytes of brackets, commas, quotes and ``null``.
_TEXT, _SPACE, _BREAK, _CONTROL, _MARK = 1, 2, 4, 8, 16
PIECE = 1 << 22  # bytes judged at once, in buffers used again for each piece


def _kinds() -> bytes:
    kinds = bytearray([_TEXT]) * 256
    kinds[:32] = bytes([_CONTROL]) * 32
    for byte in b"\t\n\r":
        kinds[byte] = _SPACE | _BREAK
    kinds[ord(" ")] = _SPACE
    for byte in b'[],"nul':
        kinds[byte] = _MARK
    return bytes(kinds)


_KINDS = _kinds()


def text_rows(data: bytes, step: int = PIECE):
    """Return (the first array's strings, the other arrays' values as columns of Arrow
    text) of a JSON array of arrays in UTF-8 ``data``, as ``json.loads`` reads it (a null
    as ""), where its shape is the one this module vouches for (see the module); else None.
    ``data`` is text already decoded (``common.utf8_bytes``): cut at its quotes, each
    string's bytes are UTF-8 as the whole is."""
    import numpy as np

    if b"\\" in data or len(data) >= (1 << 31) - 1:
        return None  # (an escape: the exact way decodes it; places of 32 bits)
    codes = np.frombuffer(data, dtype=np.uint8)
    quotes, low = _places(codes, step)
    if len(quotes) % 2 or not len(quotes):
        return None
    # What lies between strings, each closing quote with it: the text before the first,
    # from each closing quote to the next opening one, from the last to the end.
    starts = np.concatenate([np.zeros(1, np.int32), quotes[1::2]])
    stops = np.concatenate([quotes[0::2], np.array([len(codes)], np.int32)])
    marked = _marks(codes, starts, stops)
    del starts, stops  # (each array let go once it is used: the columns' peak holds none)
    if marked is None:
        return None
    found, nulls, breaks = marked
    del marked
    if breaks != low:
        return None  # (a byte below 32 in a string, where JSON refuses it)
    spelt = int(np.count_nonzero(found == ord("u"))), int(np.count_nonzero(found == ord("l")))
    if spelt != (len(nulls), 2 * len(nulls)) or (len(nulls) and nulls[-1] + 3 >= len(codes)):
        return None
    for after, byte in ((1, "u"), (2, "l"), (3, "l")):
        if len(nulls) and not (codes[nulls + after] == ord(byte)).all():
            return None  # (each n the start of a null: the u and l found are theirs)
    found = found[np.logical_and(found != ord("u"), found != ord("l"))]
    cells = _cells(found)
    del found, nulls
    if cells is None:
        return None
    rows, width, strings = cells
    cuts = np.empty(len(quotes) + 2, dtype=np.int32)  # (the quotes, and the text's ends)
    cuts[0], cuts[-1] = 0, len(data)
    cuts[1:-1] = quotes
    del quotes
    return _columns(data, cuts, strings, rows, width)


def _places(codes, step: int):
    """Return (where the quotes are, how many bytes are below 32) in ``codes``, found a
    piece at a time in one buffer: no array of the file's size is asked of the system."""
    import numpy as np

    quotes, low = [], 0
    mask = np.empty(min(step, len(codes)), dtype=bool)
    for at in range(0, len(codes), step):
        piece = codes[at : at + step]
        found = mask[: len(piece)]
        np.equal(piece, ord('"'), out=found)
        quotes.append((np.flatnonzero(found) + at).astype(np.int32))
        np.less(piece, 32, out=found)
        low += int(np.count_nonzero(found))
    return np.concatenate(quotes), low


def _marks(codes, starts, stops, step: int = 1 << 18):
    """Return (the marks from each start to its stop, in order; where the nulls among them
    start; how many tabs and line breaks there are), or None where a byte there is refused;
    ``step`` ranges at a time, so that the arrays of each are small and their memory is
    used again."""
    import numpy as np

    found, nulls, breaks = [], [], 0
    for at in range(0, len(starts), step):
        between, places = _between(codes, starts[at : at + step], stops[at : at + step])
        kinds = np.frombuffer(between.tobytes().translate(_KINDS), dtype=np.uint8)
        if (kinds & (_TEXT | _CONTROL)).any():
            return None
        breaks += int(np.count_nonzero(kinds & _BREAK))
        marks = between[kinds == _MARK]
        found.append(marks)
        nulls.append(places[between == ord("n")])  # (outside strings: marks only)
    return np.concatenate(found), np.concatenate(nulls), breaks


def _between(codes, starts, stops):
    """Return (the bytes of ``codes`` from each start to its stop, end to end; where each
    was)."""
    import numpy as np

    lengths = (stops - starts).astype(np.int64)
    total = int(lengths.sum())
    # Each byte's place: its range's start, moved on by how far into the range it is.
    first = np.cumsum(lengths) - lengths
    places = np.repeat(starts - first, lengths)
    places += np.arange(total, dtype=np.int64)
    return codes[places], places


def _cells(found):
    """Return (rows, width, which values are strings, row after row) where the marks found
    outside strings are ``[`` and the arrays, each ``[`` values ``]`` and apart by ``,``,
    and ``]``, all arrays as wide as the first and the first of strings; else None."""
    import numpy as np

    closes = found == ord("]")
    if len(found) < 4 or found[0] != ord("[") or not closes.any():
        return None
    width, extra = divmod(int(np.argmax(closes)), 2)  # ("[" "[" v "," v ... "]")
    if width == 0 or extra != 1:
        return None
    span = 2 * width + 2  # "[" values and commas "]" ","
    if (len(found) - 1) % span or found[-1] != ord("]"):
        return None
    rows = (len(found) - 1) // span
    if rows < 2:
        return None
    table = found[1:].copy()
    table[-1] = ord(",")  # (the last array is followed by the outer "]")
    table = table.reshape(rows, span)
    marks = np.frombuffer(b"[" + b"v," * width, dtype=np.uint8).copy()
    marks[-1] = ord("]")
    expected = np.concatenate([marks, np.frombuffer(b",", dtype=np.uint8)])
    value = expected == ord("v")
    if not (table[:, ~value] == expected[~value]).all():
        return None
    held = table[:, value]
    if not ((held == ord('"')) | (held == ord("n"))).all() or not (held[0] == ord('"')).all():
        return None
    return rows, width, (held == ord('"')).ravel()


def _columns(data: bytes, cuts, strings, rows: int, width: int):
    """Return (header, columns) of ``rows * width`` values, row after row, ``strings``
    telling which are strings (the others null): each string's text is read where it lies,
    one Arrow array cut at the quotes (``cuts``: 0, the quotes' places, the text's length;
    its odd cells the strings' texts, the even ones what lies between them), taken a
    column at a time."""
    import numpy as np
    import pyarrow as pa

    cuts[1:-1:2] += 1  # (a text starts after its opening quote)
    pieces = pa.Array.from_buffers(
        pa.string(), len(cuts) - 1, [None, pa.py_buffer(cuts), pa.py_buffer(data)]
    )
    header = [pieces[2 * index + 1].as_py() for index in range(width)]
    every = bool(strings.all())  # (no null: the k-th value is the k-th string)
    if not every:
        cell = np.full(rows * width, -1, dtype=np.int64)
        cell[strings] = np.arange(1, len(cuts) - 2, 2)
    columns = []
    for column in range(width):
        if every:
            first = 2 * (width + column) + 1
            columns.append(pieces.take(pa.array(np.arange(first, len(cuts) - 1, 2 * width))))
            continue
        chosen = cell[width + column :: width]
        taken = pieces.take(pa.array(chosen, mask=chosen < 0))
        columns.append(taken.fill_null("") if taken.null_count else taken)
    return header, columns
