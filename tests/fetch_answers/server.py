"""A stand-in for the Census and Comtrade+ APIs on 127.0.0.1: it serves recorded answers.

Run as ``python server.py ROUTES.json PORT_FILE``: it binds a free port on 127.0.0.1,
writes the port to PORT_FILE, and answers each GET from the routes file:

    {"key": "the key a request must carry, or null",
     "log": "a file to which each request is appended as a JSON line (key left out)",
     "routes": [{"path": "/data/v1/get/C/A/HS", "query": "reporterCode=842&...",
                 "key_in": "query" | "header" | null,
                 "answers": [{"status": 429, "headers": {...}, "body": "..."},
                             {"status": 200, "body_file": "answer.json"}]}]}

A route's query is matched exactly, once its ``key`` parameter is taken out. Its n-th
request gets its n-th answer (the last one again after that). A request without the
right key gets the API's own refusal: the Census API's "Invalid Key" page, Comtrade+'s
401. A request no route knows gets 404.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

COMTRADE_HEADER = "Ocp-Apim-Subscription-Key"
INVALID_KEY_PAGE = (
    '<div class="flex-container content"><div class="content-wrap center">'
    "<h1>Invalid Key</h1><p>A valid <em>key</em> must be included with each data API "
    "request. You included a key with this request, however, it is not valid. Please check "
    "your key and try again.</p></div></div>"
)
BAD_SUBSCRIPTION = json.dumps(
    {
        "statusCode": 401,
        "message": "Access denied due to invalid subscription key. Make sure to provide a "
        "valid key for an active subscription.",
    }
)


def main(routes_file: str, port_file: str) -> None:
    config = json.loads(Path(routes_file).read_text(encoding="utf-8"))
    folder = Path(routes_file).parent
    counts: dict[int, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            sent_key = dict(pairs).get("key")
            query = "&".join(
                piece for piece in parts.query.split("&") if not piece.startswith("key=")
            )
            header_key = self.headers.get(COMTRADE_HEADER)
            index = next(
                (
                    i
                    for i, route in enumerate(config["routes"])
                    if route["path"] == parts.path and route["query"] == query
                ),
                None,
            )
            route = config["routes"][index] if index is not None else {}
            where = route.get("key_in")
            given = sent_key if where == "query" else header_key if where == "header" else None
            key_state = (
                "none asked"
                if where is None
                else "right"
                if given == config.get("key")
                else "wrong"
            )
            with open(config["log"], "a", encoding="utf-8") as log:
                log.write(json.dumps({"path": parts.path, "query": query, "key": key_state}) + "\n")
            if index is None:
                self._answer(404, {"Content-Type": "text/plain"}, b"no recorded answer")
                return
            if key_state == "wrong" and where == "query":
                self._answer(200, {"Content-Type": "text/html"}, INVALID_KEY_PAGE.encode())
                return
            if key_state == "wrong":
                self._answer(401, {"Content-Type": "application/json"}, BAD_SUBSCRIPTION.encode())
                return
            seen = counts.get(index, 0)
            counts[index] = seen + 1
            answers = route["answers"]
            answer = answers[min(seen, len(answers) - 1)]
            if "body_file" in answer:
                body = (folder / answer["body_file"]).read_bytes()
            else:
                body = answer.get("body", "").encode("utf-8")
            headers = {"Content-Type": "application/json", **answer.get("headers", {})}
            self._answer(answer.get("status", 200), headers, body)

        def _answer(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 204:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 204:
                self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass  # the log file says what was asked

    server = HTTPServer(("127.0.0.1", 0), Handler)
    temporary = Path(f"{port_file}.tmp")
    temporary.write_text(str(server.server_address[1]), encoding="utf-8")
    temporary.replace(port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
