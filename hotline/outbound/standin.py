"""A local Zammad to try the ticket system against (`flask zammad-standin`): the part of
Zammad's REST API the hotline uses, kept in memory, shown on a page.

It answers as Zammad does (201 with the ticket or article as JSON, 401 without the right
`Authorization: Token token=...`, 422 when a field Zammad requires is missing) and checks
the hotline's signature as a receiver would (`sign.verify`). Not a test double: the tests
have their own, independent receiver (tests/receiver.py); this one is for people to watch.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

from hotline.outbound import sign

FIRST_NUMBER = 31001  # Zammad's ticket numbers are long; these only need to look like them


class Standin:
    """The stand-in's state and server; `start()` serves in a thread, `stop()` ends it."""

    def __init__(self, token: str, secret: str | None = None, port: int = 0,
                 say: Callable[[str], None] = print, host: str = "127.0.0.1") -> None:  # fmt: skip
        self.token, self.secret, self.say = token, secret, say
        self.tickets: dict[int, dict[str, Any]] = {}
        self.articles: dict[int, dict[str, Any]] = {}
        self.refused: list[str] = []  # why requests were refused, for people and tests
        self._ids, self._article_ids = count(1), count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Standin:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what Zammad does with each request --------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        if method == "GET" and path in ("/", ""):
            return 200, self.page()
        if headers.get("Authorization") != f"Token token={self.token}":
            return self._refuse(401, "authentication failed", path)
        if (
            method != "GET"
            and self.secret is not None
            and not sign.verify(self.secret, headers.get(sign.HEADER, ""), body, time.time())
        ):
            return self._refuse(401, "the X-Hotline-Signature does not match", path)
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self._refuse(400, "the body is no JSON", path)
        with self._lock:
            if method == "POST" and path == "/api/v1/tickets":
                return self.create(data)
            if method == "POST" and path == "/api/v1/ticket_articles":
                return self.add(data.get("ticket_id"), data)
            if path.startswith("/api/v1/tickets/") and path.rsplit("/", 1)[1].isdigit():
                ticket_id = int(path.rsplit("/", 1)[1])
                if method == "PUT":
                    return self.update(ticket_id, data)
                if method == "GET" and ticket_id in self.tickets:
                    return 200, self.tickets[ticket_id]
        return self._refuse(404, "no such route", path)

    def create(self, data: dict[str, Any]) -> tuple[int, Any]:
        missing = [f for f in ("title", "group") if not data.get(f)]
        article = data.get("article")
        if not isinstance(article, dict) or not article.get("body"):
            missing.append("article.body")
        if missing:
            return self._refuse(422, f"missing {', '.join(missing)}", "/api/v1/tickets")
        ticket_id = next(self._ids)
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "number": str(FIRST_NUMBER + ticket_id - 1),
            "title": data["title"],
            "group": data["group"],
            "state": data.get("state", "new"),
            "priority": data.get("priority", "2 normal"),
            "customer_id": data.get("customer_id"),
            "article_ids": [],
        }
        self.say(
            f"Zammad: ticket #{self.tickets[ticket_id]['number']} (id {ticket_id}) "
            f"created: {data['title']} [{data['group']}, {data.get('customer_id')}]"
        )
        self.add(ticket_id, article)
        return 201, self.tickets[ticket_id]

    def add(self, ticket_id: Any, data: dict[str, Any]) -> tuple[int, Any]:
        if not isinstance(ticket_id, int) or ticket_id not in self.tickets:
            return self._refuse(422, f"no ticket {ticket_id!r}", "/api/v1/ticket_articles")
        if not data.get("body"):
            return self._refuse(422, "missing body", "/api/v1/ticket_articles")
        article_id = next(self._article_ids)
        fields = ("subject", "body", "content_type", "type", "internal")
        self.articles[article_id] = {"id": article_id, "ticket_id": ticket_id,
                                     **{f: data.get(f) for f in fields}}  # fmt: skip
        self.tickets[ticket_id]["article_ids"].append(article_id)
        self.say(f"Zammad: ticket id {ticket_id}, article {article_id}: {data.get('subject')}")
        return 201, self.articles[article_id]

    def update(self, ticket_id: int, data: dict[str, Any]) -> tuple[int, Any]:
        if ticket_id not in self.tickets:
            return self._refuse(404, f"no ticket {ticket_id}", f"/api/v1/tickets/{ticket_id}")
        if "state" in data:
            self.tickets[ticket_id]["state"] = data["state"]
            self.say(f"Zammad: ticket id {ticket_id} is now {data['state']}")
        if isinstance(data.get("article"), dict):
            status, answer = self.add(ticket_id, data["article"])
            if status != 201:
                return status, answer
        return 200, self.tickets[ticket_id]

    def _refuse(self, status: int, why: str, path: str) -> tuple[int, Any]:
        self.refused.append(f"{status} {path}: {why}")
        self.say(f"Zammad: refused {path} ({status}): {why}")
        return status, {"error": why}

    def page(self) -> str:
        """The tickets and their articles, newest first, for a browser (reloads every 5 s)."""
        rows = []
        for ticket in reversed(list(self.tickets.values())):
            articles = "".join(
                f"<li><b>{html.escape(str(a['subject']))}</b>"
                f"{' (intern)' if a['internal'] else ''}<pre>{html.escape(str(a['body']))}</pre>"
                for a in (self.articles[i] for i in ticket["article_ids"])
            )
            rows.append(
                f"<section><h2>#{ticket['number']} {html.escape(ticket['title'])}</h2>"
                f"<p>{html.escape(str(ticket['group']))} · {html.escape(str(ticket['state']))} · "
                f"{html.escape(str(ticket['priority']))} · "
                f"{html.escape(str(ticket['customer_id']))}</p><ul>{articles}</ul></section>"
            )
        return (
            '<!doctype html><html lang="de"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            '<meta http-equiv="refresh" content="5"><title>Zammad (Stand-in)</title>'
            '<body style="font-family:sans-serif;max-width:50em;margin:auto;padding:1em">'
            f"<h1>Zammad (Stand-in): {len(self.tickets)} Tickets</h1>"
            + ("".join(rows) or "<p>Noch keine Tickets.</p>")
            + "</body></html>"
        )


def _handler(standin: Standin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1024 * 1024)) if length else b""
            status, answer = standin.handle(self.command, self.path, self.headers, body)
            page = isinstance(answer, str)
            payload = answer.encode() if page else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "text/html; charset=utf-8" if page else "application/json"
            )
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: `say` tells what happened."""

    return Handler
