"""Emergency tickets: creating, claiming engineers, accepting, the timeline.

The two guarantees of the phone side live here as single conditional UPDATEs, which both SQLite
and PostgreSQL execute atomically: an engineer is claimed by one emergency at a time, and a ticket
is accepted by one attempt only.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalation import callflow
from hotline import notify
from hotline.clock import local
from hotline.models import Attempt, Customer, Engineer, Event, Provider, Ticket

logger = logging.getLogger(__name__)

# A claim older than Twilio's maximum call length is a leftover of a lost webhook.
STALE_CLAIM = timedelta(hours=4)


def get(session: Session, call_sid: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.call_sid == call_sid))


def find(session: Session, ident: str) -> Ticket | None:
    """By id or by CallSid, for the CLI and links."""
    if ident.isdigit():
        return session.get(Ticket, int(ident))
    return get(session, ident)


def open_ticket(
    session: Session, ticket: Ticket, events: list[tuple[str, dict[str, Any]]]
) -> Ticket:
    """Insert a new call's ticket with its first events, or return the one a racing request of
    the same call inserted first: the CallSid is unique, so a retried webhook finds it."""
    try:
        with session.begin_nested():
            session.add(ticket)
            for kind, detail in events:
                log(session, ticket, ticket.arrived_at, kind, **detail)
    except IntegrityError:
        found = get(session, ticket.call_sid)
        assert found is not None
        return found
    return ticket


def log(session: Session, ticket: Ticket, at: datetime, kind: str, **detail: Any) -> None:
    session.add(Event(ticket=ticket, at=at, kind=kind, detail=detail or None))


# --- engineers: one emergency at a time ----------------------------------------------------


def claim(session: Session, engineer_id: int, ticket_id: int, now: datetime) -> bool:
    """Mark the engineer as rung for this ticket unless another emergency holds them."""
    result = session.execute(
        update(Engineer)
        .where(
            Engineer.id == engineer_id,
            or_(
                Engineer.busy_ticket_id.is_(None),
                Engineer.busy_ticket_id == ticket_id,
                Engineer.busy_since < now - STALE_CLAIM,
            ),
        )
        .values(busy_ticket_id=ticket_id, busy_since=now, last_called_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, ticket_id: int, engineer_id: int | None = None) -> None:
    """Free the engineer(s) this ticket holds."""
    statement = update(Engineer).where(Engineer.busy_ticket_id == ticket_id)
    if engineer_id is not None:
        statement = statement.where(Engineer.id == engineer_id)
    session.execute(
        statement.values(busy_ticket_id=None, busy_since=None).execution_options(
            synchronize_session=False
        )
    )


def accept(session: Session, ticket: Ticket, attempt: Attempt, now: datetime) -> bool:
    """The one atomic accept: True for the first attempt that presses 1, False for any other."""
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.accepted_attempt_id.is_(None))
        .values(
            accepted_attempt_id=attempt.id,
            accepted_by_id=attempt.engineer_id,
            accepted_at=now,
            state=callflow.CONNECTED,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(ticket)
    return result.rowcount == 1


# --- messages about a ticket ---------------------------------------------------------------


def who(ticket: Ticket) -> str:
    return ticket.customer.name if ticket.customer else "unbekannter Anrufer"


def caller(ticket: Ticket) -> str:
    return ticket.from_number or "Rufnummer unterdrückt"


def link(ticket: Ticket, who: str | None = None) -> str:
    """The ticket page for one reader: the signed token in the URL is their access (web.py)."""
    from flask import current_app

    from hotline.web import token

    base = current_app.config["HOTLINE_PUBLIC_URL"]
    return f"{base}/tickets/{ticket.id}?k={token(ticket.id, who or 'dispatch')}"


def chain_people(session: Session, ticket: Ticket) -> dict[str, str]:
    """Everybody in the frozen chain plus the customer's project lead: mobile -> engineer key."""
    people = {e["number"]: e["engineer"] for e in ticket.chain or [] if e.get("engineer")}
    customer = ticket.customer
    if customer and customer.team and customer.team.project_lead:
        lead = customer.team.project_lead
        if lead.mobile:
            people.setdefault(lead.mobile, lead.key)
    return people


def announce_voicemail(session: Session, ticket: Ticket, round_: int = 0) -> int:
    """SMS to everyone in the chain and the project lead; `round_` > 0 re-announces.

    A chain with nobody to text (an empty rota) must not swallow the voicemail: then the
    provider's support mailbox gets it, and the log says so loudly.
    """
    when = local(ticket.arrived_at).strftime("%d.%m. %H:%M")
    again = "ERINNERUNG: " if round_ else ""
    what = f"Notfall-Voicemail #{ticket.id} von {who(ticket)} ({caller(ticket)}), {when}."
    people = chain_people(session, ticket)
    sent = 0
    for number, key in people.items():
        body = f"{again}{what} Niemand hat angenommen. Bitte zurückrufen: {link(ticket, key)}"
        sent += notify.enqueue_sms(
            session, number, body, f"voicemail:{ticket.id}:{round_}:{number}", ticket.id
        )
    if not people:
        logger.error("voicemail on ticket %s: nobody in the chain to tell", ticket.id)
        mailbox = Provider.one(session)
        if mailbox and mailbox.support_email:
            sent += notify.enqueue_email(
                session, mailbox.support_email, f"{again}{what}",
                f"{what}\nNiemand war in der Bereitschaft erreichbar. Bitte zurückrufen.\n"
                f"{link(ticket)}\n",
                key=f"voicemail:{ticket.id}:{round_}:mailbox", ticket_id=ticket.id,
            )  # fmt: skip
    return sent


def reannounce(session: Session, now: datetime) -> int:
    """Re-announce voicemails nobody has taken yet, every HOTLINE_REANNOUNCE_MINUTES."""
    from flask import current_app

    every = timedelta(minutes=current_app.config["HOTLINE_REANNOUNCE_MINUTES"])
    pending = session.scalars(
        select(Ticket).where(
            Ticket.state == callflow.CALLBACK_PENDING, Ticket.acknowledged_at.is_(None)
        )
    ).all()
    sent = 0
    for ticket in pending:
        since = ticket.ended_at or ticket.arrived_at
        round_ = int((now - since) / every)
        if round_ >= 1:
            sent += announce_voicemail(session, ticket, round_)
    session.commit()
    return sent


def acknowledge(session: Session, ticket: Ticket, engineer: Engineer, now: datetime) -> None:
    """Someone takes the voicemail: re-announcing stops."""
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
        ticket.acknowledged_by_id = engineer.id
        log(session, ticket, now, "acknowledged", engineer=engineer.key)


# --- reading a ticket ----------------------------------------------------------------------


def shown(at: datetime | None) -> str | None:
    """An instant as Berlin wall-clock time in ISO form, to the second, for people."""
    return local(at).replace(microsecond=0).isoformat() if at else None


def as_dict(ticket: Ticket) -> dict[str, Any]:
    """The whole ticket with its timeline, Berlin times, for `flask ticket --json`."""
    customer: Customer | None = ticket.customer
    return {
        "id": ticket.id,
        "call_sid": ticket.call_sid,
        "state": ticket.state,
        "caller_as_sent": ticket.from_raw,
        "caller": ticket.from_number,
        "customer": {"number": customer.number, "name": customer.name} if customer else None,
        "identified_by": ticket.identified_by,
        "language": ticket.language,
        "arrived_at": shown(ticket.arrived_at),
        "confirmed_at": shown(ticket.confirmed_at),
        "accepted_by": ticket.accepted_by.key if ticket.accepted_by else None,
        "accepted_at": shown(ticket.accepted_at),
        "bridged_seconds": ticket.bridged_seconds,
        "voicemail_url": ticket.voicemail_url,
        "voicemail_seconds": ticket.voicemail_seconds,
        "acknowledged_at": shown(ticket.acknowledged_at),
        "ended_at": shown(ticket.ended_at),
        "call_seconds": ticket.call_seconds,
        "resolved_at": shown(ticket.resolved_at),
        "chain": ticket.chain,
        "chain_skipped": ticket.chain_skipped,
        "attempts": [
            {
                "seq": a.seq,
                "level": a.level,
                "engineer": a.engineer.key if a.engineer else None,
                "number": a.number,
                "started_at": shown(a.started_at),
                "answered_at": shown(a.answered_at),
                "ended_at": shown(a.ended_at),
                "outcome": a.outcome,
                "dial_status": a.dial_status,
                "ring_seconds": _seconds(a.started_at, a.answered_at or a.ended_at),
                "talk_seconds": a.talk_seconds,
            }
            for a in ticket.attempts
        ],
        "timeline": [
            {"at": shown(e.at), "event": e.kind, **(e.detail or {})} for e in ticket.events
        ],
    }


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if start and end else None
