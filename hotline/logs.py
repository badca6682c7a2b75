"""The log's format: every line starts with its time in ISO 8601 with the offset, so a reader
never has to guess the zone (tickets and messages are shown in the provider's zone; the log is
kept in UTC, like the database).

Structured where a machine reads it: each webhook and each worker job ends with one line of
`key=value` pairs (`webhook endpoint=voice.incoming status=200 ms=12.4 ...`,
`job name=deliver-sms ms=3.1 result=ok`), and every line written while a webhook of a call runs
ends with the call's `call_sid=... ticket=...`, whichever module wrote it, so `grep CA123` finds
the whole call. No caller number is written in clear: numbers go through `hotline.phones.masked`
(`hotline.notify.for_log` for free text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(call)s"

# The fields of the call whose webhook this thread serves (a dict, so the handler's thread,
# which runs in a copy of this context, can add the ticket it loads: hotline/voice/guard.py).
_call: ContextVar[dict[str, Any] | None] = ContextVar("call", default=None)


class Formatter(logging.Formatter):
    """`asctime` as e.g. 2026-12-01T07:30:11.204+00:00; the call's fields at the end."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "call"):
            record.call = ""
        return super().format(record)


def _factory(base: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        fields = _call.get()
        record.call = (" " + pairs(**fields)) if fields else ""
        return record

    make.hotline = True  # type: ignore[attr-defined]
    return make


def configure() -> None:
    """Log INFO and up to standard error (standard output is the commands' own), unless the
    process configured logging already; every record learns the call it belongs to."""
    if not getattr(logging.getLogRecordFactory(), "hotline", False):
        logging.setLogRecordFactory(_factory(logging.getLogRecordFactory()))
    handler = logging.StreamHandler()  # sys.stderr
    handler.setFormatter(Formatter(FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


@contextmanager
def call(call_sid: str) -> Iterator[dict[str, Any]]:
    """Every line logged inside ends with this call's CallSid (and its ticket, once bound)."""
    fields: dict[str, Any] = {"call_sid": call_sid or "-", "ticket": "-"}
    token = _call.set(fields)
    try:
        yield fields
    finally:
        _call.reset(token)


def bind(**fields: Any) -> None:
    """Add to the current call's fields (the ticket, once a handler has it); outside a call,
    nothing."""
    current = _call.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


def current() -> dict[str, Any] | None:
    return _call.get()


def adopt(fields: dict[str, Any] | None) -> None:
    """In a thread that works for a call's request: log with that call's fields (the same dict,
    so what the thread binds, the request's own lines show too)."""
    _call.set(fields)


def pairs(**fields: Any) -> str:
    """`key=value` pairs; a value with a space or a quote is quoted."""
    out = []
    for key, value in fields.items():
        text = "-" if value is None else str(value)
        if not text or any(c in text for c in ' "=\n'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
        out.append(f"{key}={text}")
    return " ".join(out)
