"""The web server the Procfile and `bin/serve` run: waitress, set up so no client can hold it.

Why waitress: it reads each request, headers and body, in its event loop and hands a request to
a worker thread only once it is complete. A client that trickles its body (slow, or hostile)
therefore holds a socket, not a thread, and Twilio's requests (the Fallback URL above all) are
answered meanwhile. Gunicorn's sync and gthread workers read the body in the worker itself, so one
slow connection held a worker for 30 s.

Sockets are a resource too: a thousand connections that each send a header line every few
seconds never go idle and would fill waitress's connection limit. So a request must arrive
whole within `READ_DEADLINE` seconds of its first byte (Twilio sends one in milliseconds), one
client address may hold at most `HOTLINE_CONNECTIONS_PER_CLIENT` connections (0 behind a
reverse proxy, where every connection comes from the proxy), and the limit is high (the process's
file limit is raised to allow it). Bodies are capped, idle connections closed.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from typing import Any

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes: Twilio's requests are a few kB, a directory upload well under
IDLE = 30  # seconds a connection may send nothing before it is closed
READ_DEADLINE = 10  # seconds from a request's first byte until it must be complete
CONNECTIONS = 8000


ARRIVED = "hotline.arrived"  # the WSGI environ's key: time.monotonic() of the first byte


class Parser(HTTPRequestParser):  # type: ignore[misc]
    """A request being read, stamped with when its first byte came: the time it then waits in
    the server's queue for a thread counts against a voice webhook's deadline too (the caller
    hears silence from that moment, hotline/voice/guard.py)."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.arrived = time.monotonic()


class Task(WSGITask):  # type: ignore[misc]
    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[ARRIVED] = self.request.arrived
        return environ


class Channel(HTTPChannel):
    """A connection whose requests are stamped with when they began to arrive."""

    parser_class = Parser
    task_class = Task


class Server(TcpWSGIServer):  # type: ignore[misc]
    channel_class = Channel

    per_client = 64

    def handle_accept(self) -> None:
        """Refuse a connection beyond `per_client` from one address, before it costs anything."""
        try:
            accepted = self.accept()
        except OSError:
            return
        if accepted is None:
            return
        conn, addr = accepted
        host = addr[0] if isinstance(addr, tuple) else str(addr)
        held = Counter(
            c.addr[0] for c in self.active_channels.values() if isinstance(c.addr, tuple)
        )
        if self.per_client and held[host] >= self.per_client:
            conn.close()
            return
        try:
            self.set_socket_options(conn)
        except OSError:
            conn.close()
            return
        self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)

    def maintenance(self, now: float) -> None:
        """Close idle connections (waitress) and those whose request takes too long to arrive."""
        super().maintenance(now)
        late = time.monotonic() - READ_DEADLINE
        for channel in list(self.active_channels.values()):
            reading = getattr(channel, "request", None)  # a request not yet read in full
            if reading is not None and getattr(reading, "arrived", late) < late:
                channel.will_close = True


def _more_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted)) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def build(app: Flask, host: str, port: int, **override: Any) -> Server:
    """The server, bound and ready to `run()` (tests build one on a free port)."""
    _more_files(CONNECTIONS + 200)
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    adj = Adjustments(
        host=host,
        port=port,
        threads=int(app.config["HOTLINE_WEB_THREADS"]),
        channel_timeout=IDLE,
        cleanup_interval=1,
        max_request_body_size=MAX_BODY,
        connection_limit=min(CONNECTIONS, max(100, soft - 200)),
        asyncore_use_poll=True,  # select() stops at 1024 sockets
        ident="hotline",
        **override,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = Server(app, {}, True, None, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])
    server.per_client = int(app.config["HOTLINE_CONNECTIONS_PER_CLIENT"])
    return server


def serve(app: Flask, host: str, port: int) -> None:
    from hotline import watch

    server = build(app, host, port)
    watch.watchman(app).start()  # the web heartbeat and the dead-man's switch (hotline/watch.py)
    log.info("serving on http://%s:%s with %s threads, up to %s connections", host, port,
             server.adj.threads, server.adj.connection_limit)  # fmt: skip
    server.run()
