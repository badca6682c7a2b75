"""A ticket system played by a local HTTP server (a threaded http.server): Zammad's REST API and
a generic receiver in one, for the webhook tests.

It records every request, checks its signature with HMAC code of its own (not the product's,
hotline/outbound/sign.py), answers like Zammad (201 with a ticket `id`, articles on it) and can
be told what to answer next: a status (500, 429 with Retry-After ...), or to hang until the
test lets it go, so the client's timeout is what ends the request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "hang"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool | None  # None: no signature header
    age: float | None  # seconds between the signature's timestamp and its arrival

    def json(self) -> Any:
        return json.loads(self.body)


def signed(secret: str, header: str, body: bytes) -> tuple[bool, int]:
    """Stripe-style: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    fields = dict(pair.split("=", 1) for pair in header.split(","))
    mac = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), fields["v1"]), int(fields["t"])


class Receiver:
    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret
        self.requests: list[Seen] = []
        self.answers: deque[Any] = deque()  # what to answer next: a status, (status, headers)
        self.released = threading.Event()  # lets hanging requests go
        self.tickets: dict[int, list[dict[str, Any]]] = {}  # Zammad ticket id -> articles
        self.states: dict[int, str] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            scripted = self.answers.popleft() if self.answers else None
        if scripted == HANG:
            self.released.wait(10)
            return 201, {}, {"late": True}
        if scripted is not None:  # a status, or (status, headers[, body])
            status, headers, *said = scripted if isinstance(scripted, tuple) else (scripted, {})
            return status, headers, said[0] if said else {"error": f"scripted {status}"}
        data = json.loads(body) if body else {}
        with self._lock:
            if method == "POST" and path == "/api/v1/tickets":
                ticket_id = len(self.tickets) + 1
                self.tickets[ticket_id] = [data["article"]]
                self.states[ticket_id] = data.get("state", "new")
                return 201, {}, {"id": ticket_id, "number": f"{70000 + ticket_id}"}
            if method == "POST" and path == "/api/v1/ticket_articles":
                if data.get("ticket_id") not in self.tickets:
                    return 422, {}, {"error": "no such ticket"}
                self.tickets[data["ticket_id"]].append(data)
                return 201, {}, {"id": 100 + len(self.tickets[data["ticket_id"]])}
            if method == "PUT" and path.startswith("/api/v1/tickets/"):
                ticket_id = int(path.rsplit("/", 1)[1])
                self.tickets[ticket_id].append(data["article"])
                self.states[ticket_id] = data["state"]
                return 200, {}, {"id": ticket_id, "state": data["state"]}
        return 202, {}, {"received": True}  # a generic receiver


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            header = self.headers.get("X-Hotline-Signature")
            ok, age = None, None
            if header is not None and receiver.secret is not None:
                ok, stamp = signed(receiver.secret, header, body)
                age = time.time() - stamp
            receiver.requests.append(
                Seen(self.command, self.path, dict(self.headers), body, ok, age)
            )
            status, headers, answer = receiver.answer(self.command, self.path, body)
            payload = json.dumps(answer).encode()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

        do_POST = do_PUT = _serve  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: the test says what it saw; http.server would print every request."""

    return Handler
