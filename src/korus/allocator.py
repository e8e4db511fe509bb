"""The memory Arrow takes, chosen by the command line before Arrow is loaded (Arrow reads
the choice once, from the environment; the background cache writer inherits it).

Imports nothing heavy: ``korus --help`` stays instant.
"""

from __future__ import annotations


def choose() -> None:
    """Choose the allocator Arrow takes its memory from, unless the user chose one
    (``ARROW_DEFAULT_MEMORY_POOL``): jemalloc where this Arrow is built with it, else the C
    library's. A reading makes and drops arrays of hundreds of megabytes. Arrow's default
    pool (mimalloc) makes each new memory the system hands over a page at a time (a first
    read of a 1M-row Census API answer: 5.44 s, against 4.56 s with the C library's); the
    C library's keeps the freed pieces of a CSV's parsed blocks, and the peak grows with
    them. jemalloc does neither: first reads of the 1M-row Comtrade+, Census API and
    DataWeb files, 5 runs each taken in turn, medians 2.95, 2.11 and 2.15 s with jemalloc
    against 3.15, 2.07 and 2.08 s with the C library's, and peak memory 734, 597 and
    597 MiB against 1014, 621 and 618 MiB. Set before Arrow is loaded, which reads the
    choice once; the background cache writer inherits it.

    jemalloc keeps what Arrow frees for a second before it gives it back (and freed pages
    stay counted until the system wants them): the numpy arrays made meanwhile cannot use
    it, so a reading's peak holds both. It is asked to give freed memory back after a tenth
    of a second (``JE_ARROW_MALLOC_CONF``, unless set): first reads of the 1M-row Census
    API, DataWeb and Comtrade+ files, 3 runs each in turn, peaks 421, 537 and 753 MiB
    against 509, 631 and 836 MiB, medians 1.55, 1.54 and 2.13 s against 1.60, 1.51 and
    2.23 s (at once, 0 ms: 0.1-0.4 s slower)."""
    import os

    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc" if arrow_has_jemalloc() else "system"
    os.environ.setdefault("JE_ARROW_MALLOC_CONF", JEMALLOC_CONF)


JEMALLOC_CONF = "dirty_decay_ms:100,muzzy_decay_ms:0"  # (Arrow's jemalloc, see above)


def arrow_has_jemalloc() -> bool:
    """Return whether the installed Arrow is built with jemalloc, as its build's own
    configuration header says (read without loading Arrow; an Arrow without the header
    is taken to have none: asking for an allocator it lacks prints a warning)."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec("pyarrow")
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            header = Path(folder, "include", "arrow", "util", "config.h")
            if header.is_file():
                return "#define ARROW_JEMALLOC\n" in header.read_text(errors="replace")
    except (OSError, ImportError, ValueError):
        pass
    return False
