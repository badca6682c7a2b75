"""The conference bridge on the server the Procfile ships, with Twilio's REST API played by a
local HTTP server that `TWILIO_API_URL` points the real client at: the first engineer's phone
is called right after the caller's confirmation, from a thread of the web process, before the
caller's next request asks whether it was."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from builders import CENTRAL, FALLBACK, MOBILES, call_sid, small_provider
from conftest import create_schema
from realserver import form, path_of, post, serving

from hotline import create_app, db
from hotline.models import Provider

ACCOUNT = "AC" + "1" * 32


class Twilio(BaseHTTPRequestHandler):
    """Answers Calls.json like Twilio's REST API and notes when each request came."""

    calls: list[tuple[float, dict[str, list[str]]]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.path.endswith("/Calls.json"):
            Twilio.calls.append((time.monotonic(), parse_qs(body)))
            Twilio.arrived.set()
        answer = json.dumps({"sid": f"CA{len(Twilio.calls):032d}", "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        """Quiet: the test says what it saw; http.server would print every request."""


@pytest.fixture
def twilio_api() -> Iterator[str]:
    Twilio.calls, Twilio.arrived = [], threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Twilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_first_phone_rings_right_after_the_confirmation(
    tmp_path: Path, twilio_api: str
) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    create_schema(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp_path / "seed"})
    with app.app_context():
        small_provider(db.session())
        Provider.one(db.session()).policy = {"bridge": "conference"}  # type: ignore[union-attr]
        db.session().commit()
        db.engine().dispose()
    env = {"DATABASE_URL": url, "HOTLINE_FALLBACK_NUMBER": FALLBACK,
           "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_URL": twilio_api}  # fmt: skip
    with serving(tmp_path, env) as server:
        sid = call_sid()
        caller = {**form(sid), "From": "+49301234567"}
        confirm = post(server, "/voice/incoming", caller).xml.find("Gather").get("action")
        connect = post(server, path_of(confirm), {**caller, "Digits": "1"})
        confirmed = time.monotonic()
        # placed by the web process itself (no worker runs here); within 2 s on a quiet machine
        # (about 0.05 s), a generous bound here so a loaded test machine does not fail it
        assert Twilio.arrived.wait(10), "the web process placed no engineer's call"
        at, sent = Twilio.calls[0]
        print(f"first engineer's call placed {at - confirmed:.3f} s after the confirmation")
        assert sent["To"] == [MOBILES["jonas"]] and sent["From"] == [CENTRAL]
        assert "/voice/whisper?" in sent["Url"][0]
        held = connect.xml
        for _ in range(3):  # the product's own tries: the stub may have answered a moment
            # before the sending thread recorded the call's sid; played as Twilio plays them
            if (pause := held.find("Pause")) is not None:
                time.sleep(float(pause.get("length", "1")))  # Twilio waits; the thread goes on
            held = post(server, path_of(held.find("Redirect").text), caller).xml
            if held.find("Dial/Conference") is not None:
                break
        assert held.find("Dial/Conference") is not None  # the caller holds in the conference
