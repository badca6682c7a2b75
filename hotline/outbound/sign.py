"""The signature on every delivery: HMAC-SHA256 over the timestamp and the body.

`X-Hotline-Signature: t=1764554400,v1=<hex>` where v1 is HMAC-SHA256(secret, "<t>." + body),
the body as the exact bytes sent. The timestamp lets a receiver refuse an old request replayed
(docs/webhooks.md has the check to copy). It is the transport's time, when the request leaves,
not the event's (`occurred_at` in the body): a retry an hour later is signed afresh.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hotline-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/webhooks.md gives it (the Zammad stand-in uses it)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, timestamp, body).partition(",v1=")[2]
    return hmac.compare_digest(expected, fields.get("v1", "")) and abs(now - timestamp) <= tolerance
