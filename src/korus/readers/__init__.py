"""Readers: one module per source layout, each returning the canonical frame.

Every reader module defines:

- ``LAYOUT``: its name (``census-country``), used by ``--input-format``;
- ``DESCRIPTION``: one line saying what the layout is;
- ``sniff(sample: Sample) -> bool``: whether a file's first bytes and rows are this layout's;
- ``read(path: Path) -> Reading``: the canonical frame and the account of every row.

``detect`` asks each module in ``MODULES`` order (most specific first), judging by the
content, never by the file name; ``load`` reads many files and stacks them, refusing
figures given twice.
"""

from __future__ import annotations

import glob
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from korus.errors import DataFileError
from korus.readers.common import Sample, take_sample
from korus.schema import Reading

# Module names under korus.readers, in the order their sniff is asked.
MODULES = (
    "tidy",
    "census_country",
    "census_enduse",
    "census_api",
    "census_balance",
    "comtrade_legacy",
    "comtrade_plus",
    "baci",
    "usitc",
    "kosis",
)

# The modules that tell a companion file (a code list read with the data it describes,
# ``companion``), in ``MODULES`` order: a folder's code list is judged without importing
# every reader.
COMPANIONS = ("census_api", "baci")


def _modules(names: tuple[str, ...] = MODULES) -> list:
    return list(_each_module(names))


def _each_module(names: tuple[str, ...] = MODULES):
    """Yield the reader modules of ``names``, each imported when it is asked for (a file
    told by the first readers does not wait for the others' imports)."""
    for name in names:
        try:
            yield importlib.import_module(f"korus.readers.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"korus.readers.{name}":
                raise


def layouts() -> dict[str, object]:
    """Return every layout korus reads: name -> reader module."""
    table = {}
    for module in _modules():
        for name in getattr(module, "LAYOUTS", (module.LAYOUT,)):
            table[name] = module
    return table


def known() -> str:
    """Return the layouts korus knows, for messages."""
    return ", ".join(layouts())


def detect(path: Path) -> str:
    """Return the layout name of a file, judged by its content."""
    sample = take_sample(path)
    for module in _each_module():
        layout = module.sniff(sample)
        if layout:
            return layout if isinstance(layout, str) else module.LAYOUT
    raise DataFileError(f"{path}: unknown layout, {sample.describe()}; korus knows: {known()}")


def read_file(
    path: Path,
    layout: str | None = None,
    pair: tuple[str, str] | None = None,
    one_side: bool = False,
) -> Reading:
    """Return the canonical frame of one file, detecting its layout unless one is given.

    ``pair`` (two korus country codes, ``("USA", "KOR")``) says that only the trade between
    those two countries is wanted, either way: a reader that defines
    ``scan(path, pair)`` (BACI) then reads only those rows into the frame and counts the
    others as set aside; other readers read the whole file (the metrics filter anyway).
    ``one_side`` says that only the first country's records are wanted (its exports to
    the second and imports from it): a reader whose rows give both countries' records
    of each flow (BACI) then builds that side's only.
    """
    path = Path(path)
    if _STDIN_COPY is not None and path == _STDIN_COPY:
        # Standard input is read from a temporary copy; people should see its real name.
        try:
            reading = _read_file(path, layout, pair, one_side)
        except DataFileError as exc:
            raise DataFileError(str(exc).replace(str(path), "standard input")) from None
        for account in reading.accounting:
            account.file = "standard input"
        return reading
    return _read_file(path, layout, pair, one_side)


def _read_file(
    path: Path, layout: str | None, pair: tuple[str, str] | None, one_side: bool = False
) -> Reading:
    if layout is None:
        layout = detect(path)
    table = layouts()
    if layout not in table:
        raise DataFileError(f"unknown input format {layout!r}; korus knows: {known()}")
    module = table[layout]
    if _STDIN_COPY is not None and path == _STDIN_COPY:
        from korus import cache

        cache.exclude(path)  # a temporary copy: never worth caching
    scan = getattr(module, "scan", None)
    if pair is not None and scan is not None:
        return scan(path, pair, one_side=one_side)
    reader = getattr(module, "read_layout", None)
    return reader(path, layout) if reader else module.read(path)


def _read_files(
    files: list[Path], layout: str | None, pair, one_side: bool = False, equal=None
) -> list[Reading]:
    """Return the Reading of each file, in order. Files of one layout whose reader defines
    ``read_many(paths, pair)`` (BACI: a folder of years) are read together by it. A file
    korus has cached is known by its cache entry (its layout is in it): not sniffed. Any
    other file's settled reading is taken from the store (``korus.store``) when it has
    it, only the rows that hold ``equal`` (column -> value), else read and kept there."""
    from korus import store

    rules = store.Rules.in_force(layout)
    table = None
    readings: list[Reading] = []
    run: list[Path] = []  # files of one layout waiting to be read together
    run_module = None

    def flush() -> None:
        if run:
            readings.extend(run_module.read_many(list(run), pair, one_side=one_side))
            run.clear()

    for path in files:
        if path.name == store.MANIFEST and store.is_store(path.parent):
            flush()
            run_module = None
            readings.extend(store.read_store(path.parent, equal))
            continue
        module, name = None, layout
        kept = None if path == _STDIN_COPY else store.find(path, rules, equal)
        if kept is not None:
            flush()
            run_module = None
            readings.append(kept)
            continue
        if _STDIN_COPY is None or path != _STDIN_COPY:
            module = None if layout else _cached_reader(path)
            if module is None:
                name = layout or detect(path)
                table = table or layouts()
                module = table.get(name)
                module = module if hasattr(module, "read_many") else None
        if module is None or module is not run_module:
            flush()
        if module is None:
            readings.append(_read_or_kept(path, name, pair, one_side, rules, equal))
        else:
            run.append(path)
        run_module = module
    flush()
    return readings


def _is_store(folder: Path) -> bool:
    from korus import store

    return store.is_store(folder)


def _read_or_kept(path: Path, name: str, pair, one_side: bool, rules, equal) -> Reading:
    """Return a file's reading from its source, and have it kept in the store when reading
    it was slow enough to be worth keeping."""
    from korus import store

    with store.Timer() as timer:
        reading = read_file(path, name, pair, one_side)
    if reading.settled and path != _STDIN_COPY:
        store.keep_later(path, name, rules, reading, timer.seconds)
    return reading


def _cached_reader(path: Path):
    """Return the reader module of a file with a valid korus cache entry, else None: the
    entry says the file is the one that was read, unchanged, so its layout too (the entry of
    its folder's years kept together says it for every year at once)."""
    import os

    from korus import cache

    try:
        status = path.stat()
        if not cache.is_enabled() or status.st_size < cache.MIN_BYTES:
            return None
    except OSError:
        return None
    from korus.readers import baci

    # A file found cached is known as such while it is the same writing: a folder's files
    # are asked about twice (is it data? which reader?), and each asking samples its content.
    writing = (
        os.path.realpath(path),
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,  # changes with any writing, even one that restores the time
    )
    if writing in _KNOWN_BACI:
        return baci
    if cache.member_known(path, baci.LAYOUT) or cache.known(path, baci.LAYOUT):
        _KNOWN_BACI.add(writing)
        return baci
    return None


_KNOWN_BACI: set[tuple] = set()  # files found with a valid BACI cache entry, as they were


# In a folder, files that document the data rather than hold it.
DOCUMENTS = {".txt", ".md", ".pdf", ".html", ".htm", ".json.md", ".doc", ".docx"}
# ...and files that are no data korus reads: pictures (a chart saved beside the data) and
# archives (a download not yet unpacked).
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".tif", ".tiff", ".heic"}
ARCHIVES = {".zip", ".7z", ".rar", ".tar", ".tgz", ".bz2", ".xz"}


def _folder_files(folder: Path, skipped: list[str]) -> list[Path]:
    """Return a folder's data files; code lists and documents beside them are named in
    ``skipped`` (they are read by the readers that need them, or are not data)."""
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() in DOCUMENTS:
            skipped.append(f"{path.name}: a document, not data")
            continue
        if path.suffix.lower() in IMAGES:
            skipped.append(f"{path.name}: an image, not data")
            continue
        if path.suffix.lower() in ARCHIVES:
            skipped.append(f"{path.name}: an archive, not data (unpack it first)")
            continue
        if _cached_reader(path) is not None:  # korus cached it as data: not a code list
            found.append(path)
            continue
        sample = take_sample(path)
        what = next(
            (m.companion(sample) for m in _each_module(COMPANIONS) if m.companion(sample)),
            None,
        )
        if what:
            skipped.append(f"{path.name}: {what}, read with the data it describes")
        else:
            found.append(path)
    if not found:
        aside = f" (left aside: {'; '.join(skipped)})" if skipped else ""
        raise DataFileError(f"{folder}: the folder holds no data files{aside}")
    return found


def expand(paths: list[str | Path], skipped: list[str] | None = None) -> list[Path]:
    """Return the files that paths name: files as given, folders' data files, glob matches.

    ``-`` is standard input, copied to a temporary file first (readers need to seek).
    Files of a folder that are code lists or documents are left out and named in ``skipped``.
    """
    skipped = [] if skipped is None else skipped
    files: list[Path] = []
    for given in paths:
        text = str(given)
        if text == "-":
            files.append(_stdin_copy())
        elif Path(text).is_dir() and _is_store(Path(text)):
            files.append(Path(text) / "korus-store.json")  # read by the store, not sniffed
        elif Path(text).is_dir():
            files.extend(_folder_files(Path(text), skipped))
        elif glob.has_magic(text) and not Path(text).exists():
            matches = sorted(Path(match) for match in glob.glob(text) if Path(match).is_file())
            if not matches:
                raise DataFileError(f"{text}: no file matches this pattern")
            files.extend(matches)
        else:
            files.append(Path(text))
    return files


_STDIN_COPY: Path | None = None


_STDIN_SEEN: object = None  # the stream _STDIN_COPY was copied from


def _stdin_copy() -> Path:
    # One copy per standard input stream: "-" given twice reads the same data, and a
    # process that is handed a new stream (a test runner) gets a new copy.
    global _STDIN_COPY, _STDIN_SEEN
    if _STDIN_COPY is None or _STDIN_SEEN is not sys.stdin:
        _STDIN_SEEN = sys.stdin
        handle, name = tempfile.mkstemp(prefix="korus-stdin-")
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        _STDIN_COPY = Path(name)
        import atexit

        atexit.register(_STDIN_COPY.unlink, missing_ok=True)
    return _STDIN_COPY


def remove_stdin_copy() -> None:
    """Remove the temporary copy of standard input, if korus made one."""
    if _STDIN_COPY is not None:
        _STDIN_COPY.unlink(missing_ok=True)


def load(
    paths: list[str | Path],
    layout: str | None = None,
    dedupe: bool = False,
    pair: tuple[str, str] | None = None,
    one_side: bool = False,
    equal: dict[str, str] | None = None,
) -> Reading:
    """Return the stacked canonical frame of several files; a figure given twice is an error.

    ``pair`` (two korus country codes) is passed to each reader as a hint that only the
    trade between those two countries is wanted, and ``one_side`` that only the first
    one's records of it are (see ``read_file``). Each file's rows, and then the files
    together, pass the trust layer (``korus.trust``): repeats are refused (or, exactly the
    same and with ``dedupe``, dropped and counted), values and years checked.
    """
    from korus import trust
    from korus.readers.common import collector_paused

    token = trust.RULES.set(trust.Rules(dedupe=dedupe))
    try:
        with collector_paused():
            skipped: list[str] = []
            readings = _read_files(expand(paths, skipped), layout, pair, one_side, equal)
            if skipped:
                notes = readings[0].accounting[0].notes
                notes.extend(f"not read as data: {what}" for what in skipped)
            for reading in readings:
                for account in reading.accounting:
                    if account.rows_read == 0:
                        raise DataFileError(
                            f"{account.file}: the file has a header but no data rows"
                        )
            return trust.stack(readings)
    finally:
        trust.RULES.reset(token)


def kept_table(
    paths: list[str | Path],
    layout: str | None = None,
    dedupe: bool = False,
    equal: dict[str, str] | None = None,
):
    """Return (Arrow table, its text as dictionaries; accounting) of the one file ``paths``
    name where the store keeps its reading, valid as the file is now and read with these
    rules, as ``load`` would take it (only the row groups that may hold ``equal``); else
    None. A plan of sums
    then runs on the kept rows themselves, settled and checked when they were kept, and
    never made pandas. Several files (whose figures the trust layer must judge together),
    a folder, a glob and standard input are not taken: ``load`` reads them."""
    from korus import store, trust

    if len(paths) != 1 or str(paths[0]) == "-":
        return None
    path = Path(paths[0])
    if not path.is_file() or path == _STDIN_COPY or path.name == store.MANIFEST:
        return None
    token = trust.RULES.set(trust.Rules(dedupe=dedupe))
    try:
        found = store.find_table(path, store.Rules.in_force(layout), equal, dictionary=True)
    finally:
        trust.RULES.reset(token)
    if found is None:
        return None
    table, accounting, _ = found
    if any(account.rows_read == 0 for account in accounting):
        return None  # ``load`` says what is wrong
    return table, accounting


def flows_table(
    paths: list[str | Path],
    layout: str | None = None,
    dedupe: bool = False,
    equal: dict[str, str] | None = None,
    parts: bool = False,
):
    """Return (Arrow table, its text as dictionaries; accounting) of the files ``paths``
    name where their reader builds their rows as one table (``read_many(..., table=True)``:
    BACI years), read as ``load`` reads them for the reporter ``equal`` names (its side
    only), or, where ``equal`` names a flow alone, as every country's records of that flow
    (the other record of each row not built), or, ``equal`` empty, every record of every
    row; and the rules ``load`` then applies (``trust.stack``) hold without a word
    (``trust_table.quiet_table``); else None, and ``load`` reads them and says what it
    finds. A plan of sums then runs on the table, never made pandas.

    With ``parts``, the answer is ``TableParts``: one table, or, of several files whose
    reader reads them one at a time (``read_each``: a folder of BACI years, every country's
    records), each file's table in turn, judged as it comes (a plan's steps then hold one
    file's rows at a time)."""
    from korus import store, trust

    if equal is None or any(str(path) == "-" for path in paths):
        return None
    if equal and "reporter" not in equal and set(equal) != {"flow"}:
        return None
    skipped: list[str] = []
    files = expand(paths, skipped)
    rules = store.Rules.in_force(layout)
    modules = set()
    for path in files:
        if path.name == store.MANIFEST or store.find(path, rules, equal) is not None:
            return None
        module = None if layout else _cached_reader(path)
        module = module or layouts().get(layout or detect(path))
        modules.add(module)
    module = modules.pop() if len(modules) == 1 else None
    if module is None or not hasattr(module, "read_many"):
        return None
    if parts and len(files) > 1 and "reporter" not in equal and hasattr(module, "read_each"):
        each = module.read_each(files, equal.get("flow"))
        return TableParts(_quiet_parts(each, dedupe), skipped)
    token = trust.RULES.set(trust.Rules(dedupe=dedupe))
    try:
        if "reporter" in equal:
            pair = (equal["reporter"], equal.get("partner"))
            flows = module.read_many(files, pair, one_side=True, table=True)
        else:
            flows = module.read_many(files, None, table=True, flow=equal.get("flow"))
    finally:
        trust.RULES.reset(token)
    if isinstance(flows, list) or not _quiet(flows):
        return None  # files that share a year, a file without rows, a rule: ``load`` says
    flows.accounting[0].notes.extend(f"not read as data: {what}" for what in skipped)
    if parts:
        return TableParts.of(flows.table, flows.accounting)
    return flows.table, flows.accounting


def _quiet_parts(each, dedupe: bool):
    """Yield (table, accounting) of each ``Flows`` of ``each`` where the rules ``load``
    applies hold on it without a word (on the records of both flows), as ``flows_table``
    judges the files' table; raise ``Unsettled`` where one would speak. The rules judge a
    series of one year, and no year is in two files (``read_each``): judged file by
    file, the files are judged as one table of them all."""
    from korus import trust
    from korus.readers.common import Unsettled

    while True:
        token = trust.RULES.set(trust.Rules(dedupe=dedupe))
        try:
            flows = next(each, None)
        finally:
            trust.RULES.reset(token)
        if flows is None:
            return
        if not _quiet(flows):
            raise Unsettled("a file without rows, or a rule that would speak")
        yield flows.table, flows.accounting
        del flows


def _quiet(flows) -> bool:
    """Return whether files' ``Flows`` each have rows and the rules ``load`` applies hold
    on them without a word: on every record of the rows, the flow not asked for too (each
    reporter's flow a series of its own: both quiet, all quiet)."""
    from korus import trust_table

    if any(account.rows_read == 0 for account in flows.accounting):
        return False
    if not trust_table.quiet_table(flows.table):
        return False
    return flows.other is None or trust_table.quiet_table(flows.other())


class TableParts:
    """Tables of canonical rows (text as dictionaries) that a plan of sums reads one after
    the other, and the files' accounting, complete once every table is read. Iterating
    raises ``common.Unsettled`` where the tables cannot answer (``load`` reads the files
    then). ``held``: one table, kept whole (its slices are views of it)."""

    def __init__(self, tables, skipped: list[str] = (), held: bool = False):
        self._tables = tables
        self._skipped = list(skipped)
        self.held = held
        self.accounting: list = []

    @classmethod
    def of(cls, table, accounting) -> TableParts:
        return cls(iter([(table, accounting)]), held=True)

    def __iter__(self):
        for table, accounting in self._tables:
            self.accounting.extend(accounting)
            yield table
        if self.accounting and self._skipped:
            self.accounting[0].notes.extend(f"not read as data: {what}" for what in self._skipped)
            self._skipped = []


__all__ = [
    "Sample",
    "TableParts",
    "detect",
    "expand",
    "flows_table",
    "kept_table",
    "known",
    "layouts",
    "load",
    "read_file",
]
