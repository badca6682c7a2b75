"""A strict reader for e-mails on the wire: Python's `email` parser with `policy.strict`."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

# What every e-mail of ours carries (RFC 5322 requires Date and From; the rest is MIME).
HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}


def strict(raw: bytes) -> EmailMessage:
    """The message parsed with `policy.strict` (any defect raises), after checking what that
    policy does not raise on: header defects, bare LF, and lines over RFC 5322's 998 octets."""
    assert raw.endswith(b"\r\n") or b"\r\n\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF on the wire"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "line over 998 octets"
    parsed = BytesParser(policy=policy.strict).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    for part in parsed.walk():
        assert part.defects == [], part.defects
        for name, value in part.items():
            assert value.defects == (), (name, value.defects)
    return parsed
