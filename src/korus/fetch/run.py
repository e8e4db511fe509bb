"""``korus fetch``: from a question to the answer written, its record beside it.

The parts of a fetch are fetched in order, each kept in the parts folder as soon as it is
checked; a failure stops the fetch with one error (the parts fetched so far stay, and the
same command fetches only the rest). Once every part is in, the output is assembled from
them, written atomically (or to standard output), its record written beside it, and the
parts folder removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from korus.errors import KorusError
from korus.fetch import CappedAnswer, FetchError, census, comtrade, http, sidecar
from korus.fetch.parts import Store, folder_for

DEFAULT_TIMEOUT = 60.0


@dataclass
class Job:
    """A fetch: its parts, how each answer is checked, and how the output is made."""

    api: str  # the API's name, for the record
    base: str
    parts: list
    answer: Callable  # (part, Response) -> the answer; raises FetchError or CappedAnswer
    assemble: Callable  # ([(part, answer)]) -> parts.Assembled
    keys: tuple[str, ...] = ()
    way: str = ""  # how it was fetched, for the vintage ("keyless preview")
    # (part, records) -> the error of a capped answer that cannot be split: for an API
    # whose ``answer`` raises CappedAnswer (Comtrade+)
    capped: Callable | None = None


def base_url(env: Mapping[str, str], variable: str, default: str) -> str:
    """Return the API's base URL: the variable's (a mirror, or a test server) or the API's."""
    given = env.get(variable, "").strip()
    if not given:
        return default
    if urlsplit(given).scheme not in ("http", "https") or not urlsplit(given).netloc:
        raise FetchError(
            f"{variable}={given!r} is not an http:// or https:// address: give the API's base "
            f"address (by default {default}), or unset it"
        )
    return given.rstrip("/")


def census_job(question: census.Question, env: Mapping[str, str], dry_run: bool) -> Job:
    """Return the fetch of a Census question; without a key it is an error (but for a dry run)."""
    key = env.get(census.KEY_VARIABLE, "").strip() or None
    if key is None and not dry_run:
        raise FetchError(
            f"{census.KEY_VARIABLE} is not set: the Census API needs a key on every data "
            f"request; get one free at {census.KEY_SIGNUP} and set it (export "
            f"{census.KEY_VARIABLE}=...)"
        )
    base = base_url(env, census.BASE_VARIABLE, census.BASE)
    checked = question.checked()
    return Job(
        "US Census Bureau international trade API",
        base,
        census.plan(checked, base, key),
        lambda part, response: census.answer(part, checked, response),
        lambda answers: census.assemble(checked, answers),
        (key,) if key else (),
    )


def comtrade_job(
    question: comtrade.Question,
    env: Mapping[str, str],
    max_records: int | None,
    say: Callable[[str], None],
) -> Job:
    """Return the fetch of a Comtrade+ question: with the key if there is one, else the
    keyless preview when the request fits it (said on stderr)."""
    key = env.get(comtrade.KEY_VARIABLE, "").strip() or None
    base = base_url(env, comtrade.BASE_VARIABLE, comtrade.BASE)
    if max_records is None:
        given = env.get("KORUS_COMTRADE_MAX_RECORDS", "").strip()
        if given and not (given.isdigit() and int(given) > 0):
            raise FetchError(f"KORUS_COMTRADE_MAX_RECORDS={given!r} is not a number of records")
        max_records = int(given) if given else comtrade.DEFAULT_MAX_RECORDS
    checked = question.checked()
    parts = comtrade.plan(checked, base, key, max_records)
    if key is None:
        say(
            f"Note: {comtrade.KEY_VARIABLE} is not set: using Comtrade+'s keyless preview (at "
            f"most {comtrade.PREVIEW_RECORDS} records an answer); a key lifts the limit"
        )
    return Job(
        "UN Comtrade+ API",
        base,
        parts,
        comtrade.answer,
        lambda answers: comtrade.assemble(checked, answers),
        (key,) if key else (),
        "" if key else "keyless preview",
        comtrade.capped,
    )


def run(
    job: Job,
    output: str,
    *,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    out: TextIO,
    say: Callable[[str], None],
    verbose: bool = False,
) -> None:
    """Fetch every part of ``job`` (those kept from an earlier run are not fetched again),
    then write the output and its record; with ``dry_run``, print the requests instead."""
    try:
        _run(job, output, dry_run, timeout, out, say, verbose)
    except KorusError as exc:
        raise _redacted(exc, job.keys) from None


def _redacted(exc: KorusError, keys: tuple[str, ...]) -> KorusError:
    """Return the error with any key in its message replaced: a key is never shown."""
    text = str(exc)
    for key in keys:
        text = text.replace(key, "[key]")
    return exc if text == str(exc) else type(exc)(text)


def _run(job: Job, output: str, dry_run, timeout, out, say, verbose) -> None:
    if dry_run:
        for part in job.parts:
            out.write(part.request.shown() + "\n")
        return
    if output != "-":
        folder = Path(output).parent
        if not folder.is_dir():
            raise FetchError(f"-o {output}: the folder {folder} does not exist; create it first")
        if Path(output).is_dir():
            raise FetchError(f"-o {output} is a folder: give a file")
    store = Store(folder_for(output, [part.request.url for part in job.parts]))
    answers, times, shown = [], [], []
    fetched = kept = 0
    queue = list(job.parts)
    while queue:
        part = queue.pop(0)
        url = part.request.url
        record = store.get(url)
        if record is not None and "capped" in record and part.split():
            queue[:0] = part.split()
            continue
        if record is None or "answer" not in record:
            response = http.get(part.request, timeout, note=say)
            fetched += 1
            if verbose:
                say(
                    f"GET {part.request.shown()}: HTTP {response.status}, "
                    f"{len(response.body):,} bytes"
                )
            try:
                data = job.answer(part, response)
            except CappedAnswer as exc:
                smaller = part.split()
                if not smaller:
                    raise job.capped(part, exc.records) from None
                store.put(url, {"capped": exc.records})
                say(
                    f"Note: an answer reached the cap ({exc.records:,} records, probably cut "
                    f"short): asked again in {len(smaller)} parts"
                )
                queue[:0] = smaller
                continue
            record = {"retrieved": _now(), "answer": data}
            store.put(url, record)
        else:
            kept += 1
        answers.append((part, record["answer"]))
        times.append(record["retrieved"])
        shown.append(part.request.shown())
    assembled = job.assemble(answers)
    host = urlsplit(job.base).netloc
    vintage = _vintage(times, host, job.way)
    if output == "-":
        out.write(assembled.text)
        out.flush()
    else:
        sidecar.write_atomically(Path(output), assembled.text.encode("utf-8"))
        sidecar.write(
            Path(output),
            {
                "api": job.api,
                "source": host,
                "vintage": vintage,
                "retrieved": [min(times), max(times)],
                "release": None,
                "requests": shown,
                "rows": assembled.rows,
                "set_aside": dict(assembled.set_aside),
                "notes": assembled.notes,
            },
        )
    store.clear()
    earlier = f", {kept} parts kept from an earlier run" if kept else ""
    where = "standard output" if output == "-" else output
    say(
        f"wrote {_many(assembled.rows, 'row')} to {where}: {vintage} "
        f"({_many(fetched, 'request')}{earlier})"
    )
    for reason, count in assembled.set_aside.items():
        say(f"  set aside {_many(count, 'row')}: {reason}")
    for note in assembled.notes:
        say(f"  note: {note}")


def _many(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _vintage(times: list[str], host: str, way: str) -> str:
    """Return the vintage a fetch gives its output: "retrieved 2026-12-06 from HOST"."""
    days = sorted({stamp[:10] for stamp in times})
    when = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
    return f"retrieved {when} from {host}" + (f" ({way})" if way else "")


def environment() -> Mapping[str, str]:
    """Return the environment the fetch takes its keys and base URLs from."""
    return os.environ
