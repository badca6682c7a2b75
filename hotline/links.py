"""Public URLs: built from the app's URL map (as `url_for` does) on the configured public base
URL, which is what Twilio and people reach, whatever host a request came in on, and available
where there is no request at all (the worker writing an SMS).

Ticket links carry a token signed with the app's secret naming the ticket and the reader: a link
opens that one ticket for that one person and nothing else.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def public(endpoint: str, **values: Any) -> str:
    """The absolute public URL of `endpoint` with `values` (path parameters, then the query)."""
    adapter = current_app.url_map.bind("hotline", url_scheme="https")
    return current_app.config["HOTLINE_PUBLIC_URL"] + adapter.build(endpoint, values)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ticket-link")


def token(ticket_id: int, reader: str) -> str:
    return _serializer().dumps([ticket_id, reader])


def reader(ticket_id: int, given: str) -> str | None:
    """The reader a valid token for this ticket names; None for anything else."""
    try:
        found, who = _serializer().loads(given)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(who) if found == ticket_id else None


def ticket(ticket_id: int, reader: str | None = None) -> str:
    """The ticket page for one reader (the SMS and e-mail link)."""
    who = reader or "dispatch"
    return public("web.ticket", ticket_id=ticket_id, k=token(ticket_id, who))
