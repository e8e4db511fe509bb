"""One GET to an API: a timeout on every call, no redirect followed, a rate limit waited
out a bounded number of times; a network that fails is a ``FetchError`` with the fix.

The standard library's ``urllib`` does the HTTP: one GET a part needs no dependency, and
it lets a redirect be seen instead of followed (the Census API sends a missing or bad key
to an HTML page which, followed, reads as an answer that is not JSON).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from korus import __version__
from korus.fetch import FetchError

# A rate limit answered this many times in a row is an error: the command can be run
# again later, and fetches only the parts still missing.
MAX_TRIES = 5
# A server that asks for a longer wait than this is said to, not waited for.
LONGEST_WAIT = 120.0
# Waited between tries when the server gives no hint: 1, 2, 4, 8 seconds.
FIRST_WAIT = 1.0
USER_AGENT = f"korus/{__version__} (bilateral trade statistics)"
# Replaced in tests, so that a wait the server asks for takes no time.
sleep: Callable[[float], None] = time.sleep

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) ?s(?:ec(?:ond)?s?)?\b", re.I)


@dataclass(frozen=True)
class Request:
    """A GET as korus shows it (``url``, never a key) and the key it is sent with."""

    url: str
    api: str  # the API's name, for messages ("Census API")
    base_variable: str  # the variable that points korus at another server
    key: str | None = field(default=None, repr=False)
    key_param: str | None = None  # the query parameter that carries the key (Census)
    key_header: str | None = None  # the header that carries it (Comtrade+)
    key_variable: str | None = None  # where the key comes from, shown instead of it

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def shown(self) -> str:
        """Return the URL as korus shows it: a key in the query is named, never given."""
        if self.key_param:
            joint = "&" if urlsplit(self.url).query else "?"
            return f"{self.url}{joint}{self.key_param}=${self.key_variable}"
        return self.url

    def sent(self) -> urllib.request.Request:
        """Return the request as it goes out, with its key."""
        url = self.url
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.key and self.key_param:
            joint = "&" if urlsplit(url).query else "?"
            url = f"{url}{joint}{self.key_param}={quote(self.key, safe='')}"
        if self.key and self.key_header:
            headers[self.key_header] = self.key
        return urllib.request.Request(url, headers=headers, method="GET")


@dataclass(frozen=True)
class Response:
    """What the server answered: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def looks_like_html(self) -> bool:
        """Return whether the body is a web page rather than data."""
        start = self.body.lstrip()[:15].lower()
        return self.content_type in ("text/html", "application/xhtml+xml") or start.startswith(
            (b"<!doctype", b"<html", b"<head", b"<body", b"<div", b"<h1", b"<p>", b"<title")
        )

    def said(self, limit: int = 160) -> str:
        """Return what the body says, as one short line: a JSON ``message`` or ``error``,
        an HTML page's title and heading, else its text."""
        text = self.body.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for name in ("message", "error", "Message", "detail"):
                if isinstance(data.get(name), str) and data[name].strip():
                    text = data[name]
                    break
        elif self.looks_like_html():
            parts = [
                re.sub(r"<[^>]+>", " ", found)
                for tag in ("title", "h1")
                for found in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", text, re.I | re.S)
            ]
            text = ": ".join(dict.fromkeys(" ".join(part.split()) for part in parts if part))
            text = text or "an HTML page"
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


class _SeeRedirects(urllib.request.HTTPRedirectHandler):
    """Follows no redirect: urllib then hands the 3xx answer back to be looked at."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def get(
    request: Request,
    timeout: float,
    note: Callable[[str], None] | None = None,
) -> Response:
    """Return the server's answer to a GET; a rate limit (429) is waited out as the server
    asks (its Retry-After, or "Try again in N seconds"), else 1, 2, 4, 8 seconds, and after
    ``MAX_TRIES`` answers of 429 is an error."""
    for attempt in range(1, MAX_TRIES + 1):
        response = _send(request, timeout)
        if response.status != 429:
            return response
        wait = _asked_wait(response)
        if wait is None:
            wait = FIRST_WAIT * 2 ** (attempt - 1)
        if wait > LONGEST_WAIT:
            raise FetchError(
                f"{request.api}: rate limited by {request.host} (HTTP 429: {response.said()}), "
                f"which asks to wait {wait:g} seconds: run the same command again then; the "
                "parts already fetched are kept"
            )
        if attempt == MAX_TRIES:
            break
        if note is not None:
            note(
                f"rate limited by {request.host} (HTTP 429): waiting {wait:g} s before try "
                f"{attempt + 1} of {MAX_TRIES}"
            )
        sleep(wait)
    raise FetchError(
        f"{request.api}: still rate limited by {request.host} after {MAX_TRIES} tries (HTTP "
        f"429: {response.said()}): wait a minute and run the same command again; the parts "
        "already fetched are kept"
    )


def _asked_wait(response: Response) -> float | None:
    """Return the seconds the server asks to wait: Retry-After, else its message's hint."""
    value = response.headers.get("retry-after", "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    found = _TRY_AGAIN.search(response.body.decode("utf-8", "replace"))
    return float(found.group(1)) if found else None


def _send(request: Request, timeout: float) -> Response:
    opener = urllib.request.build_opener(_SeeRedirects())
    try:
        with opener.open(request.sent(), timeout=timeout) as answer:
            body = answer.read()
            return Response(answer.status, _headers(answer.headers), body)
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read()
        except (OSError, http.client.HTTPException):
            body = b""
        return Response(exc.code, _headers(exc.headers), body)
    except urllib.error.URLError as exc:
        raise _unreachable(request, exc.reason, timeout) from None
    except http.client.IncompleteRead as exc:
        raise FetchError(
            f"{request.api}: the answer from {request.host} was cut off after "
            f"{len(exc.partial):,} bytes (the connection closed early): run the same command "
            "again; the parts already fetched are kept"
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(request, exc, timeout) from None


def _headers(message) -> dict[str, str]:
    return {name.lower(): value for name, value in (message or {}).items()}


def _unreachable(request: Request, reason: object, timeout: float) -> FetchError:
    """Return the error for a server korus could not get an answer from."""
    api, host = request.api, request.host
    again = "run the same command again; the parts already fetched are kept"
    if isinstance(reason, TimeoutError | socket.timeout):
        return FetchError(
            f"{api}: no answer from {host} within {timeout:g} seconds: the API is slow or down; "
            f"allow longer with --timeout, or {again}"
        )
    if isinstance(reason, socket.gaierror):
        return FetchError(
            f"{api}: cannot find the server {host} (the name lookup failed): check the network "
            f"connection, and {request.base_variable} if you set it"
        )
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(
            f"{api}: {host} refused the connection: the API is down, or "
            f"{request.base_variable} points at a server that is not running; {again}"
        )
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return FetchError(
            f"{api}: the secure connection to {host} failed ({_reason(reason)}): check the "
            "system's certificates, or a proxy in the way"
        )
    if isinstance(reason, ConnectionError):
        return FetchError(f"{api}: the connection to {host} broke ({_reason(reason)}): {again}")
    return FetchError(
        f"{api}: cannot reach {host} ({_reason(reason)}): check the network connection; {again}"
    )


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def refuse_unless_data(
    api: str, request: Request, response: Response, base_variable: str, what: str, hint_400: str
) -> None:
    """Raise the error of an answer that is not data, for what every API answers alike: a
    refused request (400, with ``hint_400``, what to check), no such ``what`` (404), a
    failing server (5xx) and any other status but 200."""
    status, host = response.status, request.host
    if status == 400:
        raise FetchError(
            f"{api} refused the request (HTTP 400: {response.said()}): it was "
            f"{request.shown()}; {hint_400}"
        )
    if status == 404:
        raise FetchError(
            f"{api}: {host} has no such {what} (HTTP 404 for {request.url.split('?')[0]}): "
            f"check {base_variable}"
        )
    if status >= 500:
        raise FetchError(
            f"{api}: {host} failed (HTTP {status}: {response.said()}): try again later; the "
            "parts already fetched are kept"
        )
    if status != 200:
        raise FetchError(f"{api}: {host} answered HTTP {status} ({response.said()}), not data")


def json_answer(api: str, host: str, response: Response, opener: bytes, base_variable: str):
    """Return the JSON of an answer; an answer cut off (it starts as the API's JSON does,
    ``opener``, and ends early) or one that is not JSON is an error saying which."""
    try:
        return json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        if response.body.lstrip()[:1] == opener:
            raise FetchError(
                f"{api}: the answer from {host} ends before its JSON does "
                f"({len(response.body):,} bytes: cut off): run the same command again; the "
                "parts already fetched are kept"
            ) from None
        raise FetchError(
            f"{api}: {host} answered {len(response.body):,} bytes that are not JSON "
            f"({response.said(60)!r}) instead of data: check {base_variable}"
        ) from None
