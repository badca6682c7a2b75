"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping what it receives.

with running_smtp() as inbox:
    app.config.update(HOTLINE_SMTP_HOST=inbox.host, HOTLINE_SMTP_PORT=inbox.port)
    ...
    assert inbox.messages[0]["Subject"] == "..."
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """The aiosmtpd handler: parses each message; `refuse(n)` answers the next n with a 451.

    Recipients at `nobody.invalid` are refused with a 550, as a real server refuses a bad address.
    """

    host = "127.0.0.1"

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # exactly as received, for a strict reader of its own
        self.recipients: list[list[str]] = []
        self.refusals = 0

    def refuse(self, times: int = 1) -> None:
        self.refusals += times

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.endswith("@nobody.invalid"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusals:
            self.refusals -= 1
            return "451 4.3.0 try again later"
        self.raw.append(envelope.original_content)
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.messages.append(parsed)  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_smtp() -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


class Relay:
    """A mail relay that accepts TCP connections and never says a word (hung, or a black hole
    behind a firewall that lets SYN through), or with `close_at_once` hangs up on each.

    `accepted` counts the connections taken; `release()` closes them all, so that a client
    blocked waiting for the greeting gets EOF at once instead of its timeout.
    """

    host = "127.0.0.1"

    def __init__(self, close_at_once: bool = False, log: list[str] | None = None) -> None:
        self.close_at_once = close_at_once
        self.log = log if log is not None else []
        self.listener = socket.create_server((self.host, 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.accepted = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # released: the listener is shut
            self.accepted += 1
            self.log.append("smtp connect")
            if self.close_at_once:
                connection.close()
            else:
                self.open.append(connection)

    def release(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        self.thread.join()
        for connection in self.open:
            connection.close()


@contextmanager
def silent_relay(close_at_once: bool = False, log: list[str] | None = None) -> Iterator[Relay]:
    relay = Relay(close_at_once, log)
    try:
        yield relay
    finally:
        relay.release()
