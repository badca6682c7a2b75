"""Public URLs: built from the app's URL map (as `url_for` does) on the configured public base
URL, which is what Twilio and people reach, whatever host a request came in on, and available
where there is no request at all (the worker writing an SMS).

Ticket links carry a token signed with the app's secret naming the ticket and the reader: a link
opens that one ticket for that one person and nothing else, and only for `HOTLINE_LINK_DAYS`
(an engineer at 3 a.m. types no password, but a forwarded SMS must not open a ticket for ever).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def public(endpoint: str, **values: Any) -> str:
    """The absolute public URL of `endpoint` with `values` (path parameters, then the query)."""
    adapter = current_app.url_map.bind("hotline", url_scheme="https")
    return current_app.config["HOTLINE_PUBLIC_URL"] + adapter.build(endpoint, values)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ticket-link-v2")


def token(ticket_id: int, reader: str) -> str:
    """A link token for one ticket and one reader, valid for `HOTLINE_LINK_DAYS` from now."""
    days = int(current_app.config["HOTLINE_LINK_DAYS"])
    until = current_app.config["CLOCK"]() + timedelta(days=days)
    return _serializer().dumps([ticket_id, reader, int(until.timestamp())])


def reader(ticket_id: int, given: str) -> tuple[str | None, str | None]:
    """(the reader a valid token for this ticket names, None) or (None, "expired" | "invalid")."""
    try:
        found, who, until = _serializer().loads(given)
        valid = found == ticket_id and isinstance(who, str) and isinstance(until, int)
    except (BadSignature, ValueError, TypeError):
        valid = False
    if not valid:
        return None, "invalid"
    if current_app.config["CLOCK"]().timestamp() > until:
        return None, "expired"
    return who, None


def ticket(ticket_id: int, reader: str | None = None) -> str:
    """The ticket page for one reader (the SMS and e-mail link)."""
    who = reader or "dispatch"
    return public("web.ticket", ticket_id=ticket_id, k=token(ticket_id, who))
