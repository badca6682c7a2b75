"""A ticket read back, with its chain, attempts and timeline, in the provider's time: for the
ticket page, `flask ticket` and the simulator."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from hotline import db
from hotline.clock import local, zone
from hotline.models import Customer, Engineer, Ticket, User


def shown(at: datetime | None, where: ZoneInfo | None = None) -> str | None:
    """An instant as wall-clock time of the provider's zone (`where`, else read) in ISO form
    with its offset, to the second, for people."""
    if at is None:
        return None
    return local(at, where or zone(db.session())).replace(microsecond=0).isoformat()


def names(session: Session) -> dict[str, str]:
    """Who the keys in a timeline are, for people: engineer keys and the accounts' e-mail
    addresses (`by` of a change made on a page or through the API) to their names."""
    people = {e: n or e for e, n in session.execute(select(User.email, User.name)).tuples()}
    people.update(session.execute(select(Engineer.key, Engineer.name)).tuples().all())
    return people


def as_dict(ticket: Ticket) -> dict[str, Any]:
    """The whole ticket with its timeline, in the provider's time, for `flask ticket --json`."""
    session = object_session(ticket) or db.session()
    where = zone(session)
    customer: Customer | None = ticket.customer
    return {
        "id": ticket.id,
        "call_sid": ticket.call_sid,
        "state": ticket.state,
        "bridge": ticket.bridge or "dial",  # how the caller met the engineers (docs/calls.md)
        "caller_as_sent": ticket.from_raw,
        "caller": ticket.from_number,
        "customer": {"number": customer.number, "name": customer.name} if customer else None,
        "identified_by": ticket.identified_by,
        "language": ticket.language,
        "arrived_at": shown(ticket.arrived_at, where),
        "confirmed_at": shown(ticket.confirmed_at, where),
        "accepted_by": ticket.accepted_by.key if ticket.accepted_by else None,
        "accepted_at": shown(ticket.accepted_at, where),
        "bridged_seconds": ticket.bridged_seconds,
        "voicemail_url": ticket.voicemail_url,
        "voicemail_seconds": ticket.voicemail_seconds,
        "acknowledged_at": shown(ticket.acknowledged_at, where),
        "acknowledged_by": _key(session, ticket.acknowledged_by_id),
        "ended_at": shown(ticket.ended_at, where),
        "call_seconds": ticket.call_seconds,
        "resolved_at": shown(ticket.resolved_at, where),
        "repeat_calls": [  # the same number again while the ticket was open (docs/calls.md)
            {
                "id": r.id,
                "call_sid": r.call_sid,
                "arrived_at": shown(r.arrived_at, where),
                "joins": r.joins,
                "took_over_from": r.earlier_call_sid,
                "message_url": r.recording_url,
                "message_seconds": r.recording_seconds,
            }
            for r in ticket.repeat_calls
        ],
        "chain": [asdict(e) for e in ticket.frozen_chain().entries],
        "chain_skipped": [asdict(s) for s in ticket.frozen_chain().skipped],
        "attempts": [
            {
                "seq": a.seq,
                "level": a.level,
                "engineer": a.engineer.key if a.engineer else None,
                "number": a.number,
                "started_at": shown(a.started_at, where),
                "answered_at": shown(a.answered_at, where),
                "ended_at": shown(a.ended_at, where),
                "outcome": a.outcome,
                "dial_status": a.dial_status,
                "ring_seconds": _seconds(a.started_at, a.answered_at or a.ended_at),
                "talk_seconds": a.talk_seconds,
            }
            for a in ticket.attempts
        ],
        # every call the hotline placed itself (conference bridge, `*`, moves of the caller)
        "legs": [
            {
                "id": leg.id,
                "purpose": leg.purpose,
                "engineer": leg.engineer.key if leg.engineer else None,
                "attempt": leg.attempt.seq if leg.attempt else None,
                "from": leg.from_number,
                "to": leg.to_number,
                "status": leg.status,
                "error": leg.error,
                "pressed": leg.pressed,
                "created_at": shown(leg.created_at, where),
                "answered_at": shown(leg.answered_at, where),
                "joined_at": shown(leg.joined_at, where),
                "left_at": shown(leg.left_at, where),
                "ended_at": shown(leg.ended_at, where),
                "seconds": leg.seconds,
                "talk_seconds": leg.talk_seconds,
                "round": leg.repage_round,
            }
            for leg in ticket.legs
        ],
        "callback_seconds": ticket.callback_seconds,
        "timeline": [
            {"at": shown(e.at, where), "event": e.kind, **(e.detail or {})} for e in ticket.events
        ],
    }


def _key(session: Session, engineer_id: int | None) -> str | None:
    engineer = session.get(Engineer, engineer_id) if engineer_id else None
    return engineer.key if engineer else None


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if start and end else None
