"""The web server the Procfile and `bin/serve` run: waitress, set up so no client can hold it.

Why waitress: it reads each request, headers and body, in its event loop and hands a request to
a worker thread only once it is complete. A client that trickles its body (slow, or hostile)
therefore holds a socket, not a thread, and Twilio's requests (the Fallback URL above all) are
answered meanwhile. Gunicorn's sync and gthread workers read the body in the worker itself, so one
slow connection held a worker for 30 s (issue: "one slow client takes the line down"). Bodies are
capped and idle connections closed, so neither memory nor sockets run out either.
"""

from __future__ import annotations

from flask import Flask
from waitress.server import create_server

MAX_BODY = 1024 * 1024  # bytes: Twilio's requests are a few kB, a directory upload well under
IDLE = 30  # seconds a connection may send nothing before it is closed
CONNECTIONS = 1000


def serve(app: Flask, host: str, port: int) -> None:
    server = create_server(
        app,
        host=host,
        port=port,
        threads=int(app.config["HOTLINE_WEB_THREADS"]),
        channel_timeout=IDLE,
        cleanup_interval=5,
        max_request_body_size=MAX_BODY,
        connection_limit=CONNECTIONS,
        asyncore_use_poll=True,  # select() stops at 1024 sockets
        ident="hotline",
    )
    app.logger.info("serving on http://%s:%s with %s threads", host, port,
                    app.config["HOTLINE_WEB_THREADS"])  # fmt: skip
    server.run()
