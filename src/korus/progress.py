"""A progress bar on standard error for work that takes more than about a second.

It is shown only when standard error is a terminal: never on standard output, never in a
pipe or a file, and not at all for work that ends within ``DELAY`` seconds. rich is
imported only once a bar is to be shown.

    with progress.task("reading trade.csv", total=size) as bar:
        bar.follow(stream.tell)  # or bar.update(done) as the work goes
        ...
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator

DELAY = 1.0  # seconds of work before a bar appears


class Task:
    """What a piece of work has done so far: ``update(done)``, or ``follow(poll)`` to have
    the bar ask ``poll()`` (bytes read so far, say) each time it is drawn."""

    def __init__(self) -> None:
        self.done = 0
        self.poll: Callable[[], int] | None = None

    def update(self, done: int) -> None:
        self.done = done

    def advance(self, amount: int) -> None:
        self.done += amount

    def follow(self, poll: Callable[[], int]) -> None:
        self.poll = poll

    def current(self) -> int:
        if self.poll is not None:
            with contextlib.suppress(Exception):  # a closed stream: keep the last count
                self.done = int(self.poll())
        return self.done


def shown(stream=None) -> bool:
    """Return whether a bar may be shown: standard error is a terminal that may be sent
    escape sequences (not with NO_COLOR set, nor TERM=dumb)."""
    import os

    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


@contextlib.contextmanager
def task(
    description: str, total: int | None = None, *, delay: float | None = None, stream=None
) -> Iterator[Task]:
    """Yield a ``Task``; after ``delay`` seconds (default ``DELAY``) of work, show its bar
    on ``stream`` (default standard error) if that is a terminal; remove it at the end."""
    work = Task()
    stream = sys.stderr if stream is None else stream
    if not shown(stream):
        yield work
        return
    display = _Display(description, total, work, stream)
    timer = threading.Timer(DELAY if delay is None else delay, display.start)
    timer.daemon = True
    timer.start()
    try:
        yield work
    finally:
        timer.cancel()
        display.stop()


class _Display:
    """The rich bar, started from a timer thread and stopped by the work's thread."""

    def __init__(self, description: str, total: int | None, work: Task, stream) -> None:
        self.description, self.total, self.work, self.stream = description, total, work, stream
        self.lock = threading.Lock()
        self.progress = None
        self.stopped = False

    def start(self) -> None:
        with self.lock:
            if self.stopped:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            columns = [TextColumn("{task.description}"), BarColumn()]
            if self.total:
                columns.append(DownloadColumn())
            columns.append(TimeElapsedColumn())
            work = self.work

            class _Following(Progress):
                def get_renderables(self):  # each redraw asks the work how far it is
                    for task_id in self.task_ids:
                        self.update(task_id, completed=work.current())
                    yield from super().get_renderables()

            self.progress = _Following(*columns, console=Console(file=self.stream), transient=True)
            # A file's name is shown as it is: no control character obeyed, no [markup].
            from rich.markup import escape

            from korus.render import printable

            described = escape(printable(self.description))
            self.progress.add_task(described, total=self.total, completed=work.current())
            self.progress.start()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            if self.progress is not None:
                self.progress.stop()
                self.progress = None
