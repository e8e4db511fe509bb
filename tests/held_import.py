"""Run Python code while another thread imports pandas and never finishes until released:
a stand-in "pandas" whose import holds until the code has run. Whatever the code does
that waits for pandas' import then waits for the release (30 s): the code measures its
own time and says whether it stood still."""

from __future__ import annotations

import subprocess
import sys

PREFIX = """
import importlib.abc, importlib.machinery, sys, threading, time
started, released = threading.Event(), threading.Event()
class Slow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            return importlib.machinery.ModuleSpec(name, self)
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        started.set()
        released.wait(30)
sys.meta_path.insert(0, Slow())
import numpy as np, pyarrow as pa, pyarrow.compute
"""

START = """
threading.Thread(target=__import__, args=("pandas",), daemon=True).start()
started.wait()
began = time.monotonic()
"""


def beside_held_pandas(imports: str, body: str) -> str:
    """Return the first line ``body`` prints, run after ``imports`` while a thread is held
    importing pandas (``began``: when it started; ``released.set()`` ends the hold)."""
    script = PREFIX + imports + START + body + "\nreleased.set()\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[0]
