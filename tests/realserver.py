"""The product as it runs in production, for tests that must not trust Flask's test client:
`flask serve` (waitress, as in the Procfile) in a process of its own, a signed HTTP client that
posts to it the way Twilio does, and a TCP proxy in front of PostgreSQL that can go down or hang.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import select
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

TOKEN = "real-server-token-0123456789abcdef"
TESTS = Path(__file__).parent
# The checkout under test first: the venv's editable install may point at another checkout.
PYTHONPATH = os.pathsep.join([str(TESTS.parent), str(TESTS)])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    public: str  # HOTLINE_PUBLIC_URL: what Twilio calls and signs (several servers may share it)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(folder: Path, env: dict[str, str], app: str = "hotline") -> Iterator[Server]:
    """`flask --app APP serve` on a free loopback port until the block ends."""
    port = free_port()
    log = folder / f"server-{port}.log"
    environment = {
        **os.environ,
        "FLASK_APP": app,
        "PYTHONPATH": PYTHONPATH,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "real-server",
        "HOTLINE_DEVELOPMENT": "1",
        "HOTLINE_INSTANCE": str(folder / f"instance-{port}"),  # never the checkout's instance/
        "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **env,
    }
    public = environment["HOTLINE_PUBLIC_URL"]
    if "TWILIO_ACCOUNT_SID" not in env:  # never a developer's real account
        environment.pop("TWILIO_ACCOUNT_SID", None)
    command = [sys.executable, "-m", "flask", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=environment, cwd=folder, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
        yield Server(port, process, log, public)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Answer:
    status: int
    body: str
    seconds: float

    @property
    def xml(self) -> ET.Element:
        """The TwiML, read by the strict parser; a 5xx or a stack trace fails here."""
        assert self.status == 200, (self.status, self.body[:500])
        return ET.fromstring(self.body)


def post(server: Server, url: str, form: dict[str, str], timeout: float = 10) -> Answer:
    """A signed POST as Twilio sends it (`url` absolute or a path), with its time to answer."""
    path = path_of(url) if url.startswith("http") else url
    signature = RequestValidator(TOKEN).compute_signature(server.public + path, form)
    body = urlencode(form)
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(
            "POST", path, body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Twilio-Signature": signature},
        )  # fmt: skip
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    return Answer(response.status, text, time.monotonic() - started)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- a database that goes away or hangs -------------------------------------------------------


class Proxy:
    """A TCP proxy to PostgreSQL: `pass` forwards, `down` refuses (closes every connection),
    `hang` accepts and forwards nothing, like a server that stopped answering."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "pass"
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        """Change mode; leaving `hang` or entering `down` cuts the connections it held."""
        with self.lock:
            before, self.mode = self.mode, mode
            if mode == "down" or (before == "hang" and mode != "hang"):
                for client, upstream in self.pairs:
                    for s in (client, upstream):
                        if s is not None:
                            _close(s)
                self.pairs.clear()

    def close(self) -> None:
        self.closed = True
        self.set("down")
        _close(self.listener)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                mode = self.mode
            if mode == "down":
                _close(client)
                continue
            upstream = None if mode == "hang" else socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, upstream))
            if upstream is not None:
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        ends, mode = [client, upstream], "pass"
        try:
            while True:
                readable, _, _ = select.select(ends, [], [], 0.2)
                with self.lock:
                    mode = self.mode
                if mode == "hang":
                    continue  # hold everything: nothing goes through either way
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is client else client).sendall(data)
        except OSError:
            return
        finally:
            if mode != "hang":
                _close(client)
                _close(upstream)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected (any more): closing is all that is left
        s.shutdown(socket.SHUT_RDWR)
    s.close()


def trickle(server: Server, count: int) -> list[socket.socket]:
    """`count` connections that announce a body and send only its first bytes: slow clients
    (or an attack) holding the line."""
    held = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.sendall(
            b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"X-Twilio-Signature: forged\r\nContent-Length: 100000\r\n\r\nCallSid=CA"
        )
        held.append(s)
    return held


_phones: dict[str, str] = {}  # CallSid -> the phone it calls from


def form(sid: str, **extra: Any) -> dict[str, str]:
    """A request of call `sid`. Each call comes from a phone of Müller's of its own (its number
    block): every call here is an emergency of its own, where a second call from one number
    would join the first's open ticket."""
    return {
        "CallSid": sid, "AccountSid": "AC" + "0" * 32,
        "From": _phones.setdefault(sid, f"+49301234568{len(_phones) % 10_000:04d}"),
        "To": "+49309876540", "CallStatus": "in-progress", "Direction": "inbound",
        **{k: str(v) for k, v in extra.items()},
    }  # fmt: skip
