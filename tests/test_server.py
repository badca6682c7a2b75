"""The web server the Procfile ships (waitress via `flask serve`), tested as a process of its own:
slow or hostile clients cannot keep Twilio's requests from being answered."""

from __future__ import annotations

from pathlib import Path

from builders import CENTRAL, FALLBACK, call_sid, small_provider
from conftest import create_schema
from realserver import form, post, serving, trickle

from hotline import create_app, db


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
