"""The events of a ticket's life a ticket system is told of, queued as deliveries in the
transaction of the event itself.

`publish` inserts one `Delivery` per webhook target that takes the event, in the caller's
transaction: an event that happened has its deliveries, one rolled back has none, and nothing
is sent here (the worker sends, hotline/outbound/deliver.py), so a voice request never waits
for a ticket system. It never fails the request either: its own work runs in a savepoint, and a
fault in it is logged, not raised.

The body is the generic format, version `VERSION` (docs/webhooks.md, its JSON Schema
docs/webhook-event.schema.json), made once, when the event happens: every try sends it as it
was, whatever the ticket has become since.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline import links
from hotline.models import Delivery, Ticket
from hotline.outbound.targets import targets

log = logging.getLogger(__name__)

VERSION = 1
EVENTS = (
    "emergency.opened",  # confirmed as an emergency: the chain is being rung
    "emergency.accepted",  # an engineer pressed 1
    "emergency.voicemail",  # nobody took it: the caller left a voicemail for a call-back
    "emergency.resolved",  # the work is done (work minutes)
    "message.received",  # not an emergency: a voice message for the next working day
    "urgent.opened",  # urgent, not an emergency (3): a priority ticket, nobody rung
    "urgent.message",  # the urgent request's voice message
)
KINDS = {"not_emergency": "message", "urgent": "urgent"}  # any other state: an emergency


def publish(session: Session, ticket: Ticket, event: str, at: datetime, **extra: Any) -> int:
    """Queue `event` of `ticket` for every target that takes it; returns how many were queued
    (0 also when queuing failed: that is logged). `extra`: more facts of this event for the
    ticket's part of the body (e.g. `comes_back_at`)."""
    session.flush()  # the ticket's own changes, outside the savepoint below (their errors are
    try:  # the caller's, e.g. a racing insert of the same call)
        with session.begin_nested():
            wanted = [t for t in targets(session) if t.takes(event)]
            if not wanted:
                return 0
            text = json.dumps(body(ticket, event, at, **extra), ensure_ascii=False)
            return sum(_insert(session, t.key, event, ticket.id, text, at) for t in wanted)
    except Exception:  # noqa: BLE001 - the call goes on; the log says what was not queued
        log.exception("event %s of ticket %s NOT queued for the webhooks", event, ticket.id)
        return 0


def _insert(session: Session, target: str, event: str, ticket_id: int, text: str,
            at: datetime) -> bool:  # fmt: skip
    """INSERT ... ON CONFLICT DO NOTHING: the same event of the same ticket at the same instant
    is queued once per target."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    key = f"{target}:{event}:{ticket_id}:{at.isoformat()}"[:200]
    statement = (
        insert(Delivery.__table__)
        .values(
            key=key,
            target=target,
            event=event,
            ticket_id=ticket_id,
            body=text,
            status="pending",
            tries=0,
            next_try_at=at,
            created_at=at,
        )  # fmt: skip
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Delivery.__table__.c.id)
    )
    return session.execute(statement).scalar() is not None


def iso(at: datetime | None) -> str | None:
    """An instant as the body writes it: UTC, to the second, with `Z`."""
    if at is None:
        return None
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def kind(ticket: Ticket) -> str:
    return KINDS.get(ticket.state, "emergency")


def body(ticket: Ticket, event: str, at: datetime, **extra: Any) -> dict[str, Any]:
    """The event in the generic format (docs/webhook-event.schema.json)."""
    customer = ticket.customer
    engineer = ticket.accepted_by
    return {
        "version": VERSION,
        "id": str(uuid.uuid4()),
        "event": event,
        "occurred_at": iso(at),
        "ticket": {
            "id": ticket.id,
            "kind": kind(ticket),
            "state": ticket.state,
            "url": links.public("web.ticket", ticket_id=ticket.id),
            "arrived_at": iso(ticket.arrived_at),
            "caller": ticket.from_number,
            "language": ticket.language or "de",
            "customer": {
                "number": customer.number,
                "name": customer.name,
                "email": customer.email,
                "team": customer.team.key if customer.team else None,
            }
            if customer
            else None,
            "accepted_by": {"key": engineer.key, "name": engineer.name} if engineer else None,
            "accepted_at": iso(ticket.accepted_at),
            "recording": {"url": ticket.voicemail_url, "seconds": ticket.voicemail_seconds}
            if ticket.voicemail_url
            else None,
            "resolved_at": iso(ticket.resolved_at),
            "work_minutes": ticket.work_minutes if ticket.resolved_at else None,
            **{name: iso(v) if isinstance(v, datetime) else v for name, v in extra.items()},
        },
    }
