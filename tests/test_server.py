"""The web server the Procfile ships (waitress via `flask serve`), tested as a process of its own:
slow or hostile clients cannot keep Twilio's requests from being answered."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from builders import CENTRAL, FALLBACK, call_sid, small_provider
from conftest import create_schema
from realserver import form, free_port, post, serving, trickle

from hotline import create_app, db, server


def seeded(folder: Path) -> str:
    url = f"sqlite:///{folder / 'hotline.db'}"
    create_schema(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder / "seed"})
    with app.app_context():
        small_provider(db.session())
        db.engine().dispose()
    return url


def test_slow_clients_cannot_keep_twilio_waiting(tmp_path: Path) -> None:
    """Fifty connections trickle a body with a forged signature and hold on; the Fallback URL
    and the Voice URL are still answered at once (gunicorn's sync worker took 31 s)."""
    url = seeded(tmp_path)
    env = {"DATABASE_URL": url, "HOTLINE_FALLBACK_NUMBER": FALLBACK, "HOTLINE_WEB_THREADS": "4"}
    with serving(tmp_path, env) as server:
        held = trickle(server, 50)
        try:
            fallback = post(server, "/voice/fallback", form(call_sid(), To=CENTRAL), timeout=5)
            assert fallback.xml.find("Dial/Number").text == FALLBACK
            incoming = post(server, "/voice/incoming", form(call_sid()), timeout=5)
            assert incoming.xml.find("Gather") is not None
            assert max(fallback.seconds, incoming.seconds) < 2
        finally:
            for s in held:
                s.close()


def test_a_body_beyond_the_limit_is_refused_not_read(tmp_path: Path) -> None:
    import socket

    env = {"DATABASE_URL": seeded(tmp_path)}
    with serving(tmp_path, env) as server:
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 413")
        s.close()


def _running(app_: Any, monkeypatch: pytest.MonkeyPatch, deadline: float) -> Any:
    """The real server class in a thread of this test, on a free port."""
    monkeypatch.setattr(server, "READ_DEADLINE", deadline)
    built = server.build(app_, "127.0.0.1", free_port())
    threading.Thread(target=built.run, daemon=True).start()
    return built


def _closed(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(100) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_request_that_never_finishes_arriving_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A header line every few seconds keeps a connection from idling out: 1000 such connections
    filled waitress's limit and took the line down. A request must now arrive whole in time."""
    app_ = create_app({"DATABASE_URL": seeded(tmp_path), "INSTANCE_PATH": tmp_path / "i"})
    built = _running(app_, monkeypatch, deadline=1.0)
    port = built.effective_port
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\n")
    for _ in range(3):  # still trickling, never idle
        assert not _closed(slow, 0.4)
        slow.sendall(b"X-Slow: 1\r\n")
    assert _closed(slow, 2.0)
    built.close()


def test_one_address_cannot_take_every_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_ = create_app({"DATABASE_URL": seeded(tmp_path), "INSTANCE_PATH": tmp_path / "i",
                       "HOTLINE_CONNECTIONS_PER_CLIENT": 8})  # fmt: skip
    built = _running(app_, monkeypatch, deadline=30)
    held = [socket.create_connection(("127.0.0.1", built.effective_port)) for _ in range(8)]
    deadline = time.monotonic() + 5
    while len(built.active_channels) < 8 and time.monotonic() < deadline:
        threading.Event().wait(0.01)  # the event loop (another thread) registers them
    extra = socket.create_connection(("127.0.0.1", built.effective_port))
    assert _closed(extra, 2.0)
    for s in held:
        s.close()
    built.close()


def test_each_request_carries_when_it_began_to_arrive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The voice guard counts a webhook's deadline from its first byte, the server's queue
    included (tests/test_guard.py: a request that waited there gets the fallback)."""
    from flask import Flask, request

    seen: list[float] = []
    app_ = Flask(__name__)
    app_.config.update(HOTLINE_WEB_THREADS=1, HOTLINE_CONNECTIONS_PER_CLIENT=0)

    @app_.get("/")
    def stamp() -> str:
        seen.append(request.environ[server.ARRIVED])
        return "ok"

    built = _running(app_, monkeypatch, deadline=30)
    before = time.monotonic()
    s = socket.create_connection(("127.0.0.1", built.effective_port))
    s.sendall(b"GET / HTTP/1.1\r\n")
    s.sendall(b"Host: x\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 200")
    s.close()
    built.close()
    assert len(seen) == 1 and before <= seen[0] <= time.monotonic()
